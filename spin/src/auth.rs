//! Callers authenticate with `Authorization: Bearer <bot_token>`.

use http::HeaderMap;
use http::header::AUTHORIZATION;
use subtle::ConstantTimeEq;

/// Exactly one `Authorization` header whose Bearer token equals `expected`. The scheme is
/// case-insensitive (RFC 9110); the token is compared in constant time (only its length can
/// show through timing).
pub fn authorized(headers: &HeaderMap, expected: &str) -> bool {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return false;
    };
    let value = value.as_bytes();
    let Some(space) = value.iter().position(|b| *b == b' ') else {
        return false;
    };
    let (scheme, token) = value.split_at(space);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return false;
    }
    let token = token.trim_ascii();
    // An empty `expected` never matches: config refuses it, and so does this.
    !expected.is_empty() && bool::from(token.ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(AUTHORIZATION, v.parse().unwrap());
        }
        headers
    }

    const TOKEN: &str = "0123456789abcdef-token";

    #[test]
    fn accepts_the_bearer_token() {
        assert!(authorized(&with(&["Bearer 0123456789abcdef-token"]), TOKEN));
        assert!(authorized(
            &with(&["bearer  0123456789abcdef-token "]),
            TOKEN
        ));
        assert!(authorized(&with(&["BEARER 0123456789abcdef-token"]), TOKEN));
    }

    #[test]
    fn refuses_anything_else() {
        for values in [
            &[][..],
            &["Bearer"][..],
            &["Bearer "][..],
            &["Bearer 0123456789abcdef-toke"][..],
            &["Bearer 0123456789abcdef-token2"][..],
            &["Basic 0123456789abcdef-token"][..],
            &["Bearer0123456789abcdef-token"][..],
            &["0123456789abcdef-token"][..],
            &[
                "Bearer 0123456789abcdef-token",
                "Bearer 0123456789abcdef-token",
            ][..],
        ] {
            assert!(!authorized(&with(values), TOKEN), "{values:?}");
        }
        assert!(!authorized(&with(&["Bearer "]), ""));
    }
}
