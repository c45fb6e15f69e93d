//! Phone numbers as customers type them, normalised to an MSISDN.

use crate::failure::Failure;

/// What people put between a phone number's digits: spaces (also the no-break, figure, thin
/// and narrow no-break ones word processors and web forms put in), dashes (also the Unicode
/// hyphens and dashes), dots, slashes (`602/123 456`, the Czech way) and brackets. The phone
/// parser drops them; the redaction of Upgates' words counts digits across them.
pub fn is_phone_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '-' | '.' | '/' | '(' | ')' | '\u{a0}' | '\u{2007}' | '\u{2009}' | '\u{202f}'
    ) || ('\u{2010}'..='\u{2015}').contains(&c)
}

/// A phone number as MSISDN (country code + number, digits only: `420601223344`).
///
/// Separators ([`is_phone_separator`]: spaces, dashes, dots, slashes, brackets) are dropped;
/// a `+` or `00` prefix carries the country code
/// (a trunk `(0)` after it, as in `+421 (0)905 123 456`, is dropped too); 12 digits starting
/// with 420 or 421 are already an MSISDN. A national number (9 digits, or 10 with a trunk `0`)
/// is decided from the two numbering plans: Czech numbers have no trunk prefix, and their
/// mobiles are 60x and 7xx; Slovak numbers are written with a trunk 0 (`02` Bratislava, `03x`
/// to `05x`, `08xx`, mobiles `09xx`) and Slovakia has no 6xx or 7xx numbers. So in a Czech or
/// Slovak shop one starting with 6 or 7 is Czech (`0601 223 344` -> 420601223344); else a
/// trunk 0 in a Czech shop is Slovak (`0905 123 456` -> 421905123456), and any other national
/// number gets `default_country_code`. A trunk 0 right after `+420`/`+421` (or
/// `00420`/`00421`: `+421 0905 123 456`) is dropped. Anything else is `invalid-input`.
pub fn phone(raw: &str, default_country_code: &str) -> Result<String, Failure> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(Failure::invalid("the phone number is empty"));
    }
    if value.len() > 40 {
        return Err(Failure::invalid("the phone number is too long"));
    }
    let trunk_dropped;
    let value = match trunk_after_country_code(value) {
        Some(at) => {
            trunk_dropped = format!("{}{}", &value[..at], &value[at + "(0)".len()..]);
            trunk_dropped.as_str()
        }
        None => value,
    };
    let invalid = || Failure::invalid("the phone number is not like +420 777 123 456");
    // A number starts with a digit, its `+` or a bracket: not with a separator (`../601...`).
    if !value.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '(')) {
        return Err(invalid());
    }
    let compact: String = value.chars().filter(|&c| !is_phone_separator(c)).collect();
    let (international, digits) = if let Some(rest) = compact.strip_prefix('+') {
        (true, rest)
    } else if let Some(rest) = compact.strip_prefix("00") {
        (true, rest)
    } else {
        (false, compact.as_str())
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let msisdn = if international && (digits.starts_with("4200") || digits.starts_with("4210")) {
        // `+421 0905 123 456`: the trunk 0 kept after the country code. Neither country's
        // numbers start with 0, and they have 9 digits.
        if digits.len() != 13 {
            return Err(invalid());
        }
        format!("{}{}", &digits[..3], &digits[4..])
    } else if international
        || (digits.len() == 12 && (digits.starts_with("420") || digits.starts_with("421")))
    {
        digits.to_owned()
    } else if let Some(national) = national_number(digits) {
        let czech_or_slovak = matches!(default_country_code, "420" | "421");
        let czech_start = matches!(national.as_bytes().first(), Some(b'6' | b'7'));
        let country = if czech_or_slovak && czech_start {
            // Czech 60x and 7xx: Slovakia has no such numbers, with or without a trunk 0.
            "420"
        } else if national.len() < digits.len() && default_country_code == "420" {
            // A trunk 0 is how Slovaks write national numbers (`0905 123 456`, Bratislava's
            // `02 1234 5678`); Czech numbers have none, so in a Czech shop it is Slovak.
            "421"
        } else {
            default_country_code
        };
        format!("{country}{national}")
    } else {
        return Err(invalid());
    };
    // E.164: at most 15 digits; a country code plus a subscriber number is at least 8.
    if !(8..=15).contains(&msisdn.len()) || msisdn.starts_with('0') {
        return Err(invalid());
    }
    Ok(msisdn)
}

/// The 9 digits of a national number: written alone, or after one trunk `0`.
fn national_number(digits: &str) -> Option<&str> {
    let national = match digits.len() {
        10 => digits.strip_prefix('0')?,
        _ => digits,
    };
    (national.len() == 9 && !national.starts_with('0')).then_some(national)
}

/// Where `(0)` stands right after an international prefix and a country code (`+421 (0)905`,
/// `00421(0)905`): the trunk prefix, written for callers within the country.
fn trunk_after_country_code(value: &str) -> Option<usize> {
    let rest = value
        .strip_prefix('+')
        .or_else(|| value.strip_prefix("00"))?;
    let rest = rest.trim_start();
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=3).contains(&digits) {
        return None;
    }
    let after = rest[digits..].trim_start();
    after.starts_with("(0)").then(|| value.len() - after.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_normalise_to_msisdn() {
        for (raw, want) in [
            ("+420 601 223 344", "420601223344"),
            ("00420601223344", "420601223344"),
            ("601-223-344", "420601223344"),
            ("(601) 223.344", "420601223344"),
            ("+421 905 123 456", "421905123456"),
            // The MSISDN itself, typed without a `+`.
            ("420 601 223 344", "420601223344"),
            ("421905123456", "421905123456"),
            // A trunk 0 after the country code, as Slovak numbers are often written.
            ("+421 (0)905 123 456", "421905123456"),
            ("00421 (0)905 123 456", "421905123456"),
            // Czech numbers have no trunk 0: in a Czech shop a leading 0 is Slovak, a mobile
            // (09..) or a landline (Bratislava's 02).
            ("0905 123 456", "421905123456"),
            ("02 1234 5678", "421212345678"),
            // The trunk 0 after the country code, without brackets.
            ("+421 0905 123 456", "421905123456"),
            ("00420 0601 223 344", "420601223344"),
            // The Czech slash, and the spaces and dashes word processors and web forms put in.
            ("601/223 344", "420601223344"),
            ("+420 602/123456", "420602123456"),
            ("+420\u{a0}601\u{202f}223\u{2013}344", "420601223344"),
        ] {
            assert_eq!(phone(raw, "420").unwrap(), want, "{raw}");
        }
        assert_eq!(phone("0664 123 456", "43").unwrap(), "43664123456");
        assert_eq!(phone("664 123 456", "43").unwrap(), "43664123456");
        // Elsewhere 6 and 7 are no sign of a Czech number.
        assert_eq!(phone("601 223 344", "48").unwrap(), "48601223344");
        assert_eq!(phone("0601 223 344", "43").unwrap(), "43601223344");

        for bad in [
            "",
            "abc",
            "12345",
            "+",
            "+420 601 22x 344",
            "60122334",
            "1234567890123456",
            "../601223344",
            "/601223344",
            "-601 223 344",
            // A 0 after 420 is a trunk 0, and what follows has 9 digits.
            "+420 0601 22 334",
        ] {
            assert_eq!(
                phone(bad, "420").unwrap_err().reason(),
                "invalid-input",
                "{bad}"
            );
        }
    }

    #[test]
    fn national_numbers_from_the_numbering_plans() {
        for (shop, raw, want) in [
            // A Czech shop: a Czech number typed with a stray trunk 0 is still Czech...
            ("420", "0601 223 344", "420601223344"),
            ("420", "0777 123 456", "420777123456"),
            ("420", "601 223 344", "420601223344"),
            ("420", "777 123 456", "420777123456"),
            ("420", "212 345 678", "420212345678"),
            // ...and any other trunk 0 is Slovak: mobiles, Bratislava, the regions.
            ("420", "0905 123 456", "421905123456"),
            ("420", "02 1234 5678", "421212345678"),
            ("420", "041 123 4567", "421411234567"),
            // A Slovak shop: its own numbers with or without the trunk 0...
            ("421", "0905 123 456", "421905123456"),
            ("421", "905 123 456", "421905123456"),
            ("421", "02 1234 5678", "421212345678"),
            // ...and Czech 60x and 7xx numbers, which Slovakia does not have.
            ("421", "0601 223 344", "420601223344"),
            ("421", "601 223 344", "420601223344"),
            ("421", "777 123 456", "420777123456"),
            ("421", "0777 123 456", "420777123456"),
            // With a country code, the code decides.
            ("421", "+421 601 223 344", "421601223344"),
            ("420", "+420 905 123 456", "420905123456"),
        ] {
            assert_eq!(phone(raw, shop).unwrap(), want, "{raw} in a {shop} shop");
        }
    }
}
