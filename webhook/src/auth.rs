//! Callers authenticate with `Authorization: Bearer <token>`, a token per shop.

use http::HeaderMap;
use http::header::AUTHORIZATION;
use subtle::ConstantTimeEq;

/// Shorter tokens are refused as a configuration error: they can be guessed.
pub const MIN_TOKEN_LEN: usize = 16;

/// What is wrong with `token` as a shop's bearer token, said of the setting `name`; `None`
/// when it will do. Never quotes the token.
pub fn token_problem(name: &str, token: &str) -> Option<String> {
    if token.len() < MIN_TOKEN_LEN || token.bytes().any(|b| !b.is_ascii_graphic()) {
        return Some(format!(
            "`{name}` must be at least {MIN_TOKEN_LEN} printable characters without spaces"
        ));
    }
    // The examples' placeholder is public: deployed as it is, anyone could call the bot.
    upgates_core::guardrails::is_placeholder(token)
        .then(|| format!("`{name}` is still the example's placeholder: set a secret of your own"))
}

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
    fn weak_tokens_are_named_never_quoted() {
        assert_eq!(token_problem("bot_token", TOKEN), None);
        for weak in ["short", "with spaces in the token", "0123456789abcde\u{e9}"] {
            let problem = token_problem("bot_token", weak).unwrap();
            assert!(problem.starts_with("`bot_token` must be"), "{problem}");
            assert!(!problem.contains(weak));
        }
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
