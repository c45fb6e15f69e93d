//! Values as a customer reads them in a Czech or Slovak chat: `1 230,50 Kč`, `27. 11. 2026`.
//!
//! Computed once here and carried through the WIT, so no host re-implements them. Integer
//! arithmetic on cents only: float formatting would add kilobytes to the component.

/// No-break space: a chat window never wraps `1 230,50 Kč` between its parts.
const NBSP: &str = "\u{a0}";

/// An amount in whole cents, rounded once, half away from zero; `None` when it is not finite
/// or from 10^15 on (beyond any order total, and where cents stop being exact in an `f64`).
pub fn cents(amount: f64) -> Option<i64> {
    (amount.is_finite() && amount.abs() < 1e15).then(|| (amount * 100.0).round() as i64)
}

/// Appends `n` in decimal, `group` between groups of three digits. By hand: `to_string` and
/// `format!` cost the component hundreds of bytes each.
pub fn push_digits(out: &mut String, n: u64, group: &str) {
    push_place(out, n, group, 0);
}

/// `n`'s digits down to the one `place` digits from the right of the whole number.
fn push_place(out: &mut String, n: u64, group: &str, place: u32) {
    if n >= 10 {
        push_place(out, n / 10, group, place + 1);
    }
    let digit = (n % 10) as usize;
    out.push_str(&"0123456789"[digit..=digit]);
    if place > 0 && place.is_multiple_of(3) {
        out.push_str(group);
    }
}

/// `cents` written with two decimals: `group` between groups of three digits, `point` before
/// the decimals (`1 230,50` for a customer, `1230.50` for JSON).
pub fn decimal(cents: i64, group: &str, point: &str) -> String {
    let mut out = String::new();
    if cents < 0 {
        out.push('-');
    }
    let cents = cents.unsigned_abs();
    push_digits(&mut out, cents / 100, group);
    out.push_str(point);
    push_digits(&mut out, cents / 10 % 10, "");
    push_digits(&mut out, cents % 10, "");
    out
}

/// An amount as Czech and Slovak write it: `1 230,50 Kč`, `45,90 €`, `99,00 PLN` (no-break
/// spaces), just the number without a currency; `None` without an amount.
pub fn amount(amount: Option<f64>, currency: Option<&str>) -> Option<String> {
    let mut text = decimal(cents(amount?)?, NBSP, ",");
    if let Some(code) = currency.map(str::trim).filter(|c| !c.is_empty()) {
        text.push_str(NBSP);
        text.push_str(match code {
            "CZK" => "Kč",
            "EUR" => "€",
            other => other,
        });
    }
    Some(text)
}

/// The date of `2026-11-27T17:40:00+01:00` (or PHP's `2026-11-27 17:40:00.000000`) as
/// `27. 11. 2026`: as written, no time zone conversion; `None` unless it starts with a real
/// date.
pub fn date(raw: Option<&str>) -> Option<String> {
    let raw = raw?.trim();
    let bytes = raw.as_bytes();
    let shaped = bytes.len() >= 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && matches!(bytes.get(10), None | Some(b'T' | b't' | b' '));
    if !shaped {
        return None;
    }
    let number = |from: usize, to: usize| {
        bytes[from..to].iter().try_fold(0u32, |n, b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    // 31 and 30 alternate, swapping at August; February 29 only in leap years.
    let days = match month {
        2 => 28 + u32::from(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)),
        1..=12 => 30 + (month + month / 8) % 2,
        _ => return None,
    };
    if !(1..=days).contains(&day) {
        return None;
    }
    let mut text = String::new();
    for (n, after) in [(day, ". "), (month, ". "), (year, "")] {
        push_digits(&mut text, u64::from(n), "");
        text.push_str(after);
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_as_czech_and_slovak_write_them() {
        let text = |value, currency| amount(Some(value), currency).unwrap();
        assert_eq!(text(1230.5, Some("CZK")), "1\u{a0}230,50\u{a0}Kč");
        assert_eq!(text(45.9, Some("EUR")), "45,90\u{a0}€");
        assert_eq!(text(99.0, Some("PLN")), "99,00\u{a0}PLN");
        assert_eq!(text(1230.5, None), "1\u{a0}230,50");
        assert_eq!(text(1230.5, Some(" ")), "1\u{a0}230,50");
        assert_eq!(text(-1230.5, Some("CZK")), "-1\u{a0}230,50\u{a0}Kč");
        assert_eq!(text(0.0, Some("CZK")), "0,00\u{a0}Kč");
        assert_eq!(text(-0.001, None), "0,00");
        assert_eq!(text(0.005, None), "0,01");
        assert_eq!(text(999.999, None), "1\u{a0}000,00");
        assert_eq!(text(1234567.891, None), "1\u{a0}234\u{a0}567,89");
        assert_eq!(text(123456.0, None), "123\u{a0}456,00");
        assert_eq!(amount(None, Some("CZK")), None);
        assert_eq!(amount(Some(f64::NAN), None), None);
        assert_eq!(amount(Some(1e15), None), None);
    }

    #[test]
    fn digits() {
        for (n, group, want) in [
            (0, "", "0"),
            (7, " ", "7"),
            (999, " ", "999"),
            (1000, " ", "1 000"),
            (1234567, ".", "1.234.567"),
            (u64::MAX, "", "18446744073709551615"),
        ] {
            let mut out = String::from(">");
            push_digits(&mut out, n, group);
            assert_eq!(out, format!(">{want}"));
        }
    }

    #[test]
    fn decimals_for_json() {
        for (value, want) in [
            (1230.5, "1230.50"),
            (0.0, "0.00"),
            (1e6, "1000000.00"),
            (-45.9, "-45.90"),
            (0.1 + 0.2, "0.30"),
            // Half a cent, exactly: away from zero.
            (0.125, "0.13"),
            (-0.125, "-0.13"),
        ] {
            assert_eq!(decimal(cents(value).unwrap(), "", "."), want, "{value}");
        }
    }

    #[test]
    fn dates_as_written() {
        let text = |raw| date(Some(raw));
        assert_eq!(
            text("2026-11-27T17:40:00+01:00").as_deref(),
            Some("27. 11. 2026")
        );
        // The date as written: no conversion to another zone's day.
        assert_eq!(
            text("2026-01-05T23:59:00-10:00").as_deref(),
            Some("5. 1. 2026")
        );
        assert_eq!(
            text("2025-03-01 14:24:49.000000").as_deref(),
            Some("1. 3. 2025")
        );
        assert_eq!(text(" 2024-02-29 ").as_deref(), Some("29. 2. 2024"));
        for bad in [
            "",
            "2026-11-27x",
            "2026-13-01",
            "2026-00-10",
            "2026-02-29",
            "2100-02-29",
            "2026-04-31",
            "2026-11-00",
            "26-11-27",
            "2026/11/27",
            "2026-1-27",
            "2026-11-2７",
            "+026-11-27",
        ] {
            assert_eq!(text(bad), None, "{bad}");
        }
        assert_eq!(date(None), None);
    }
}
