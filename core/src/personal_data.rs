//! Personal data in what the bot answers and logs: masked e-mails and phone numbers (with
//! `mask-personal-data`), and contacts redacted from Upgates' own words before they reach a
//! message.

use crate::input;

/// Upgates' own words, fit for a message: what looks like an e-mail address (a word with
/// `@`) or a phone number (7 or more digits, with [separators](input::is_phone_separator) or
/// a `+` between them: `+420 601 223 344`, `602/123 456`) becomes `…`, except `keep` (the
/// order number the words are about). Upgates may quote a value back, and a note or an
/// address can hold a customer's contact.
pub fn redact_personal(text: &str, keep: &str) -> String {
    let mut words = String::with_capacity(text.len());
    for (n, word) in text.split(' ').enumerate() {
        if n > 0 {
            words.push(' ');
        }
        words.push_str(if word.contains('@') { "…" } else { word });
    }
    // Numbers: from a digit (or a `+` or `(` just before one) across digits and separators,
    // up to the last digit. `i` and `end` only ever move past whole chars.
    let next_char = |at: usize| words.get(at..).and_then(|rest| rest.chars().next());
    let mut out = String::with_capacity(words.len());
    let (mut copied, mut i) = (0, 0);
    while let Some(c) = next_char(i) {
        let starts_number = c.is_ascii_digit()
            || (matches!(c, '+' | '(')
                && words.as_bytes().get(i + 1).is_some_and(u8::is_ascii_digit));
        if !starts_number {
            i += c.len_utf8();
            continue;
        }
        // One past the number's last digit.
        let (mut end, mut j) = (i, i);
        while let Some(d) = next_char(j) {
            if d.is_ascii_digit() {
                end = j + 1;
            } else if !(d == '+' || input::is_phone_separator(d)) {
                break;
            }
            j += d.len_utf8();
        }
        let digits = words[i..end].bytes().filter(u8::is_ascii_digit);
        if digits.clone().count() >= 7 && !digits.eq(keep.bytes()) {
            out.push_str(&words[copied..i]);
            out.push('…');
            copied = end;
        }
        i = end;
    }
    out.push_str(&words[copied..]);
    out
}

/// `j***@example.cz`: the first character of the local part and the domain.
pub fn mask_email(email: &str) -> String {
    let email = email.trim();
    match email.rsplit_once('@') {
        Some((local, domain)) if !domain.is_empty() => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        _ => "***".into(),
    }
}

/// `+420 *** *** 456`: the country code (when it is Czech, Slovak or the shop's own) and the
/// last three digits. Other countries' subscriber numbers differ in length, so where their
/// country code ends is not known: `*** *** 789`, rather than a split that shows a digit of
/// the subscriber number as part of it. A number under 9 digits is `***`: its last three
/// and a code would be most of it.
pub fn mask_phone(phone: &str, default_country_code: &str) -> String {
    let msisdn = match input::phone(phone, default_country_code) {
        Ok(msisdn) if msisdn.len() >= 9 => msisdn,
        _ => return "***".into(),
    };
    let last = &msisdn[msisdn.len() - 3..];
    // The code only before a subscriber number of 8 digits or more (Czech and Slovak: 9).
    let country = ["420", "421", default_country_code]
        .into_iter()
        .find(|code| {
            !code.is_empty() && msisdn.starts_with(code) && msisdn.len() >= code.len() + 8
        });
    match country {
        Some(code) => format!("+{code} *** *** {last}"),
        None => format!("*** *** {last}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgates_words_lose_contacts_but_keep_the_order_number() {
        for (said, want) in [
            (
                "Order \"2025000123\" does not exist.",
                "Order \"2025000123\" does not exist.",
            ),
            (
                "Hodnota jana.novakova@example.cz není platná",
                "Hodnota … není platná",
            ),
            (
                "Note too long: Zavolat na +420 601 223 344 prosím",
                "Note too long: Zavolat na … prosím",
            ),
            ("telefon (601) 223-344, kus 3", "telefon …, kus 3"),
            ("status_id 12 not found", "status_id 12 not found"),
            ("a 2025000123 b 2025000124", "a 2025000123 b …"),
            // The Czech slash, and the spaces and dashes word processors put in.
            ("Volejte 602/123 456.", "Volejte …."),
            ("Volejte 602\u{a0}123\u{202f}456", "Volejte …"),
            ("tel. +420 602–123–456!", "tel. …!"),
        ] {
            assert_eq!(redact_personal(said, "2025000123"), want, "{said}");
        }
        // Another order's number is a number like any other.
        assert_eq!(
            redact_personal("Order 9999999 does not exist.", "2025000123"),
            "Order … does not exist."
        );
    }

    #[test]
    fn masks() {
        assert_eq!(mask_email("jana.novakova@example.cz"), "j***@example.cz");
        assert_eq!(mask_email("Žofie@příklad.cz"), "Ž***@příklad.cz");
        assert_eq!(mask_email("nonsense"), "***");
        assert_eq!(mask_phone("+420 601 223 456", "420"), "+420 *** *** 456");
        assert_eq!(mask_phone("601223456", "420"), "+420 *** *** 456");
        assert_eq!(mask_phone("+421 905 123 789", "420"), "+421 *** *** 789");
        // A stored national number is masked as it reads: `order-detail` normalises it
        // (`0601 223 344` in a Czech shop is +420601223344) before masking.
        assert_eq!(mask_phone("0601 223 344", "420"), "+420 *** *** 344");
        assert_eq!(mask_phone("+420601223344", "420"), "+420 *** *** 344");
        assert_eq!(mask_phone("0905 123 456", "421"), "+421 *** *** 456");
        assert_eq!(mask_phone("601 223 344", "421"), "+420 *** *** 344");
        assert_eq!(mask_phone("12", "420"), "***");
        // Where another country's code ends is not guessed.
        assert_eq!(mask_phone("+49 151 23456789", "420"), "*** *** 789");
        assert_eq!(mask_phone("+1 555 123 4567", "420"), "*** *** 567");
        assert_eq!(mask_phone("+49 151 23456789", "49"), "+49 *** *** 789");
        // Short numbers show less: no code before a short subscriber number, nothing under 9.
        assert_eq!(mask_phone("+42012345", "420"), "***");
        assert_eq!(mask_phone("+420123456", "420"), "*** *** 456");
    }
}
