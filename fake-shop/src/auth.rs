//! HTTP Basic authentication (`login:API key`) and the lockout after 5 failed logins an hour.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use http::header::AUTHORIZATION;

/// Failed logins tolerated within [`WINDOW`]; the next request is refused with 403.
pub(crate) const MAX_FAILED_LOGINS: usize = 5;
/// The floating window for failed logins.
pub(crate) const WINDOW: Duration = Duration::from_secs(3600);

/// The shop's one API user and its failed login attempts.
#[derive(Debug)]
pub(crate) struct Auth {
    login: String,
    key: String,
    failures: VecDeque<Instant>,
}

impl Auth {
    pub(crate) fn new(login: &str, key: &str) -> Self {
        Self {
            login: login.to_owned(),
            key: key.to_owned(),
            failures: VecDeque::new(),
        }
    }

    pub(crate) fn login(&self) -> &str {
        &self.login
    }

    /// Whether 5 logins failed within the last hour (floating window).
    pub(crate) fn locked_out(&mut self) -> bool {
        let now = Instant::now();
        while self
            .failures
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            self.failures.pop_front();
        }
        self.failures.len() >= MAX_FAILED_LOGINS
    }

    /// Checks the `Authorization` header; a failure is remembered for the lockout.
    pub(crate) fn check(&mut self, headers: &HeaderMap) -> bool {
        let ok =
            credentials(headers).is_some_and(|(login, key)| login == self.login && key == self.key);
        if !ok {
            self.failures.push_back(Instant::now());
        }
        ok
    }
}

/// `login` and `key` from `Authorization: Basic base64(login:key)`.
fn credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (login, key) = decoded.split_once(':')?;
    Some((login.to_owned(), key.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn parses_basic_credentials() {
        let good = format!("Basic {}", STANDARD.encode("demo:k:ey"));
        assert_eq!(
            credentials(&with(&good)),
            Some(("demo".into(), "k:ey".into()))
        );
        let lower = format!("basic {}", STANDARD.encode("demo:key"));
        assert_eq!(
            credentials(&with(&lower)),
            Some(("demo".into(), "key".into()))
        );
        for bad in [
            "Bearer abc",
            "Basic",
            "Basic !!!",
            &format!("Basic {}", STANDARD.encode("nocolon")),
        ] {
            assert_eq!(credentials(&with(bad)), None, "{bad}");
        }
        assert_eq!(credentials(&HeaderMap::new()), None);
    }
}
