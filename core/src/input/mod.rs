//! Validation and normalisation of what a customer typed into the bot.
//!
//! Every value that ends up in a URL is checked here and percent-encoded again by [`crate::api`]:
//! `/`, `?`, `&`, `;`, `#` or control characters can never change a request's path or query.

use crate::failure::Failure;

mod phone;

pub use phone::{is_phone_separator, phone};

/// Longest order number accepted; Upgates' are short (e.g. "2025000123").
pub const MAX_ORDER_NUMBER: usize = 40;
/// Longest e-mail address (RFC 5321 path limit).
pub const MAX_EMAIL: usize = 254;
/// Longest status name or id.
pub const MAX_STATUS: usize = 100;
/// Longest note text the bot may write in one call, in characters.
pub const MAX_NOTE: usize = 5000;
/// The period `orders-by-phone` may look back, in days.
pub const DAYS: std::ops::RangeInclusive<u32> = 1..=3650;

/// An order number: letters, digits, `-`, `_` and `.`, starting with a letter or digit.
pub fn order_number(raw: &str) -> Result<String, Failure> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(Failure::invalid("the order number is empty"));
    }
    if value.chars().count() > MAX_ORDER_NUMBER {
        return Err(Failure::invalid(format!(
            "the order number is longer than {MAX_ORDER_NUMBER} characters"
        )));
    }
    let starts_well = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let chars_ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !starts_well || !chars_ok {
        return Err(Failure::invalid(
            "the order number may contain only letters, digits, `-`, `_` and `.`",
        ));
    }
    Ok(value.to_owned())
}

/// An e-mail address, trimmed. Compared with [`same_email`].
pub fn email(raw: &str) -> Result<String, Failure> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(Failure::invalid("the e-mail is empty"));
    }
    if value.len() > MAX_EMAIL {
        return Err(Failure::invalid(format!(
            "the e-mail is longer than {MAX_EMAIL} bytes"
        )));
    }
    let forbidden = |c: char| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c);
    let well_formed = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                // The domain must be a plain host name (ASCII letters, digits, `-`, non-empty
                // labels): internationalised domains travel as punycode (`xn--...`), so a raw
                // non-ASCII domain is a homoglyph (Cyrillic `а` for `a`, fullwidth digits) and
                // `/`, `?`, `#`, `%`, `=`, `&` are junk. Refused here, such an address costs no
                // paid order read that could only fail to match.
                && domain.split('.').all(|label| {
                    !label.is_empty()
                        && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        }
        None => false,
    };
    if !well_formed || value.chars().any(forbidden) {
        // Never echo the address: it is personal data.
        return Err(Failure::invalid(
            "the e-mail is not an address like name@example.cz",
        ));
    }
    Ok(value.to_owned())
}

/// E-mails match case-insensitively after trimming.
pub fn same_email(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    a.len() == b.len()
        && a.chars()
            .flat_map(char::to_lowercase)
            .eq(b.chars().flat_map(char::to_lowercase))
}

/// A target status: a numeric id or a name in any of the shop's languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusRef {
    Id(u32),
    Name(String),
}

pub fn status(raw: &str) -> Result<StatusRef, Failure> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(Failure::invalid("the status is empty"));
    }
    if value.chars().count() > MAX_STATUS {
        return Err(Failure::invalid(format!(
            "the status is longer than {MAX_STATUS} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Failure::invalid("the status contains control characters"));
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return value
            .parse()
            .map(StatusRef::Id)
            .map_err(|_| Failure::invalid("the status id is too large"));
    }
    Ok(StatusRef::Name(value.to_owned()))
}

/// Note text: sent intact (emoji, quotes, markup included) but trimmed, not empty, not longer
/// than [`MAX_NOTE`] characters, and without control characters other than line breaks and
/// tabs. Trimmed because a shop may drop surrounding space and line breaks, and
/// `verify-appends` looks for the text as it was sent.
pub fn note_text(raw: &str) -> Result<String, Failure> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(Failure::invalid("the note text is empty"));
    }
    if value.chars().count() > MAX_NOTE {
        return Err(Failure::invalid(format!(
            "the note text is longer than {MAX_NOTE} characters"
        )));
    }
    // Over all that was typed: a control character is refused even where it would be trimmed.
    if raw
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Failure::invalid(
            "the note text contains control characters",
        ));
    }
    Ok(value.to_owned())
}

pub fn days(days: u32) -> Result<u32, Failure> {
    if DAYS.contains(&days) {
        Ok(days)
    } else {
        Err(Failure::invalid(format!(
            "the period must be {} to {} days",
            DAYS.start(),
            DAYS.end()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers() {
        assert_eq!(order_number(" 2025000123 ").unwrap(), "2025000123");
        assert_eq!(order_number("OBJ-2025_01.a").unwrap(), "OBJ-2025_01.a");
        for bad in [
            "",
            "  ",
            "..",
            "../x",
            "1/2",
            "1?a=b",
            "1&x",
            "1;2",
            "1#",
            "1\n2",
            "1\u{7}",
            "1 2",
            "ⅰ23",
            &"9".repeat(41),
        ] {
            assert_eq!(
                order_number(bad).unwrap_err().reason(),
                "invalid-input",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn emails() {
        assert_eq!(email(" Jana@Example.cz ").unwrap(), "Jana@Example.cz");
        assert!(same_email(
            "Jana.Novakova@Example.cz",
            " jana.novakova@example.cz"
        ));
        assert!(!same_email("jana@example.cz", "jan@example.cz"));
        for bad in [
            "",
            "jana",
            "@x.cz",
            "jana@",
            "a@b@c",
            "a b@c.cz",
            "a@c.cz;b@d.cz",
            "a@.cz",
        ] {
            let err = email(bad).unwrap_err();
            assert_eq!(err.reason(), "invalid-input");
            assert!(bad.is_empty() || !err.message().contains(bad));
        }
    }

    /// National numbers decided from the numbering plans, in both countries' shops: Czech
    /// numbers have no trunk 0 and their mobiles are 60x and 7xx; Slovak ones are written
    /// with a trunk 0, and Slovakia has no 6xx or 7xx numbers.

    #[test]
    fn statuses_notes_days() {
        assert_eq!(status(" 3 ").unwrap(), StatusRef::Id(3));
        assert_eq!(
            status("Odeslaná").unwrap(),
            StatusRef::Name("Odeslaná".into())
        );
        assert!(status("99999999999").is_err());
        assert!(status("a\u{7}").is_err());
        assert_eq!(
            note_text("Díky 👍\n\"x\" & <b>").unwrap(),
            "Díky 👍\n\"x\" & <b>"
        );
        assert!(note_text(" \n").is_err());
        assert!(note_text("\r\n\t \u{a0}").is_err());
        assert!(note_text("a\u{0}b").is_err());
        assert!(note_text(&"a".repeat(MAX_NOTE + 1)).is_err());
        assert!(days(0).is_err() && days(3651).is_err() && days(30).is_ok());
    }

    #[test]
    fn note_text_is_trimmed_around_only() {
        assert_eq!(note_text("  Volat po 17:00\r\n").unwrap(), "Volat po 17:00");
        assert_eq!(note_text("\n\tA  \r\n  B\n\n").unwrap(), "A  \r\n  B");
        // The limit is on what is sent: surrounding space does not count.
        let longest = "a".repeat(MAX_NOTE);
        assert_eq!(note_text(&format!(" {longest}\n")).unwrap(), longest);
        // A control character that trimming would drop is still refused, as before.
        assert_eq!(note_text("a\u{b}").unwrap_err().reason(), "invalid-input");
    }
}
