//! The shop's API URL and credentials, from whatever config source the packaging has.

use std::fmt;

use crate::base_url::url_problem;
use crate::failure::Failure;
use crate::guardrails::Guardrails;

pub use crate::base_url::{is_loopback, url_path};
pub use crate::settings::{
    DEFAULT_COUNTRY_CODE, KEY_API_KEY, KEY_API_LOGIN, KEY_API_URL, KEY_DEFAULT_COUNTRY_CODE,
    KEY_VERIFY_APPENDS,
};

/// Set by a host that adds the API user's `Authorization` to every request itself (our Rust
/// host: the CLI, `upgates serve`, embedders of `PluginRuntime`), to [`CREDENTIALS_FROM_HOST`]:
/// the component then gets no `api-login` / `api-key` and sends no `Authorization`. Hosts that
/// do not inject (stock wasmtime, jco) leave it out and pass the login and key as before.
pub const KEY_API_CREDENTIALS: &str = "api-credentials";
/// [`KEY_API_CREDENTIALS`]' one value.
pub const CREDENTIALS_FROM_HOST: &str = "host";

/// One shop's Upgates API v2 access. `Debug` never prints the key.
#[derive(Clone, PartialEq, Eq)]
pub struct ShopConfig {
    /// `https://<shop>.admin.<server>.upgates.com/api/v2`, without a trailing slash.
    pub api_url: String,
    /// Empty when [`Self::credentials_from_host`].
    pub login: String,
    /// Empty when [`Self::credentials_from_host`].
    pub key: String,
    /// The host adds `Authorization` to every request ([`KEY_API_CREDENTIALS`]); requests
    /// built from this config carry none.
    pub credentials_from_host: bool,
    /// Digits only, e.g. "420".
    pub default_country_code: String,
    /// Check appends against concurrent writers on other hosts (one extra GET per append).
    pub verify_appends: bool,
    /// The shop's rules for its bot (write policy, audit trail, attempt limit, masking, links).
    pub guardrails: Guardrails,
}

impl fmt::Debug for ShopConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShopConfig")
            .field("api_url", &self.api_url)
            .field("login", &"<redacted>")
            .field("key", &"<redacted>")
            .field("credentials_from_host", &self.credentials_from_host)
            .field("default_country_code", &self.default_country_code)
            .field("verify_appends", &self.verify_appends)
            .field("guardrails", &self.guardrails)
            .finish()
    }
}

impl ShopConfig {
    /// Reads and validates the four keys through `get` (a `wasi:config` store, Spin variables,
    /// environment variables...). Missing or malformed values are `misconfigured`, naming the
    /// key, never its value. With `api-credentials = host` the login and key are not read.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, Failure> {
        let required = |key: &str| -> Result<String, Failure> {
            match get(key).map(|v| v.trim().to_owned()) {
                Some(v) if !v.is_empty() => Ok(v),
                _ => Err(Failure::Misconfigured(format!("`{key}` is not set"))),
            }
        };
        let api_url = required(KEY_API_URL)?;
        let credentials_from_host = match get(KEY_API_CREDENTIALS).as_deref().map(str::trim) {
            None | Some("") => false,
            Some(CREDENTIALS_FROM_HOST) => true,
            Some(_) => {
                return Err(Failure::Misconfigured(
                    "`api-credentials` must be `host` or unset".into(),
                ));
            }
        };
        // Placeholders to validate, cleared below: the host holds the real ones.
        let (login, key) = if credentials_from_host {
            (String::from("-"), String::from("-"))
        } else {
            (required(KEY_API_LOGIN)?, required(KEY_API_KEY)?)
        };
        let default_country_code = get(KEY_DEFAULT_COUNTRY_CODE)
            .map(|v| v.trim().trim_start_matches('+').to_owned())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| DEFAULT_COUNTRY_CODE.to_owned());
        let verify_appends = match get(KEY_VERIFY_APPENDS).as_deref().map(str::trim) {
            None | Some("") | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(_) => {
                return Err(Failure::Misconfigured(format!(
                    "`{KEY_VERIFY_APPENDS}` must be true or false"
                )));
            }
        };
        let guardrails = Guardrails::from_lookup(&get)?;
        let mut config = Self {
            verify_appends,
            guardrails,
            ..Self::new(&api_url, &login, &key, &default_country_code)?
        };
        if credentials_from_host {
            config.login.clear();
            config.key.clear();
            config.credentials_from_host = true;
        }
        Ok(config)
    }

    /// Validates the parts: the URL must be `http(s)://authority[/path]` with no query, fragment
    /// or user info; the login must not contain `:` (HTTP Basic would split it).
    pub fn new(api_url: &str, login: &str, key: &str, country_code: &str) -> Result<Self, Failure> {
        let api_url = validate_api_url(api_url)?;
        if login.is_empty() || login.contains(':') || login.chars().any(char::is_control) {
            return Err(Failure::Misconfigured(format!(
                "`{KEY_API_LOGIN}` must be non-empty, without `:` or control characters"
            )));
        }
        if key.is_empty() || key.chars().any(char::is_control) {
            return Err(Failure::Misconfigured(format!(
                "`{KEY_API_KEY}` must be non-empty, without control characters"
            )));
        }
        // No country code starts with 0: with "0" or "042" every 9-digit national phone
        // number would become an MSISDN starting with 0, which `input::phone` refuses, so
        // `orders-by-phone` would blame the customer (`invalid-input`) for the shop's setting:
        // refused here as `misconfigured` instead.
        if country_code.is_empty()
            || country_code.len() > 3
            || !country_code.bytes().all(|b| b.is_ascii_digit())
            || country_code.starts_with('0')
        {
            return Err(Failure::Misconfigured(format!(
                "`{KEY_DEFAULT_COUNTRY_CODE}` must be 1 to 3 digits, e.g. 420"
            )));
        }
        Ok(Self {
            api_url,
            login: login.to_owned(),
            key: key.to_owned(),
            credentials_from_host: false,
            default_country_code: country_code.to_owned(),
            verify_appends: false,
            guardrails: Guardrails::default(),
        })
    }

    /// The settings as config key/value pairs, for a host that hands them to the component
    /// through `wasi:config` ([`Self::from_lookup`] reads them back to an equal value): the
    /// URL and the credentials always, the rest only where it differs from its default (the
    /// component applies the same defaults; every pair costs it two strings to receive and
    /// parse per call). Holds the secrets, unless [`Self::credentials_from_host`].
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![(KEY_API_URL, self.api_url.clone())];
        if self.credentials_from_host {
            pairs.push((KEY_API_CREDENTIALS, CREDENTIALS_FROM_HOST.into()));
        } else {
            pairs.push((KEY_API_LOGIN, self.login.clone()));
            pairs.push((KEY_API_KEY, self.key.clone()));
        }
        if self.default_country_code != DEFAULT_COUNTRY_CODE {
            pairs.push((KEY_DEFAULT_COUNTRY_CODE, self.default_country_code.clone()));
        }
        if self.verify_appends {
            pairs.push((KEY_VERIFY_APPENDS, "true".into()));
        }
        pairs.extend(self.guardrails.to_pairs());
        pairs
    }
}

pub(crate) fn validate_api_url(raw: &str) -> Result<String, Failure> {
    let url = raw.trim().trim_end_matches('/');
    let why = url_problem(url).or_else(|| {
        // Upgates' API is at `/api/v2` on the shop's admin host. Any other path answers 404
        // to everything, which reads as "no such order": every customer's e-mail check would
        // fail and count against them.
        (!url_path(url).ends_with("/api/v2"))
            .then_some("must end in /api/v2 (like https://myshop.admin.s1.upgates.com/api/v2)")
    });
    match why {
        Some(why) => Err(Failure::Misconfigured(format!("`{KEY_API_URL}` {why}"))),
        None => Ok(url.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::tests::lookup;

    #[test]
    fn reads_keys_and_defaults_country_code() {
        let cfg = ShopConfig::from_lookup(lookup(&[
            ("api-url", "https://demo.admin.s1.upgates.com/api/v2/"),
            ("api-login", "bot"),
            ("api-key", "s3cret"),
        ]))
        .unwrap();
        assert_eq!(cfg.api_url, "https://demo.admin.s1.upgates.com/api/v2");
        assert_eq!(cfg.default_country_code, "420");
        assert!(!format!("{cfg:?}").contains("s3cret"));
    }

    /// The pairs a host hands the component: the defaults stay implicit, and whatever is set
    /// reads back to the same config.
    #[test]
    fn pairs_leave_out_defaults_and_read_back() {
        let read_back = |cfg: &ShopConfig| {
            let pairs = cfg.to_pairs();
            ShopConfig::from_lookup(|k| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| v.clone())
            })
            .unwrap()
        };
        let plain = ShopConfig::new("https://x.cz/api/v2", "bot", "k3y", "420").unwrap();
        let keys: Vec<_> = plain.to_pairs().iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, [KEY_API_URL, KEY_API_LOGIN, KEY_API_KEY]);
        assert_eq!(read_back(&plain), plain);

        let every = ShopConfig::from_lookup(lookup(&[
            (KEY_API_URL, "https://x.cz/api/v2"),
            (KEY_API_LOGIN, "bot"),
            (KEY_API_KEY, "k3y"),
            (KEY_DEFAULT_COUNTRY_CODE, "421"),
            (KEY_VERIFY_APPENDS, "true"),
            ("allowed-statuses", "Stornovaná: Přijatá"),
            ("max-note-length", "200"),
            ("audit-trail", "false"),
            ("verify-attempts", "3"),
            ("verify-window-minutes", "30"),
            ("mask-personal-data", "true"),
        ]))
        .unwrap();
        assert_eq!(every.to_pairs().len(), 11);
        assert_eq!(read_back(&every), every);
    }

    /// Under a host that authenticates the requests itself, the component has neither login
    /// nor key, and its requests carry no `Authorization`; a host that passes them through
    /// still gets requests with them.
    #[test]
    fn a_host_that_adds_credentials_leaves_them_out() {
        let from_host = ShopConfig::from_lookup(lookup(&[
            (KEY_API_URL, "https://x.cz/api/v2"),
            (KEY_API_CREDENTIALS, CREDENTIALS_FROM_HOST),
        ]))
        .unwrap();
        assert!(from_host.credentials_from_host);
        assert_eq!((from_host.login.as_str(), from_host.key.as_str()), ("", ""));
        let request = crate::api::Requests::new(&from_host).get(&["orders", "1"], &[]);
        assert_eq!(request.header("authorization"), None);
        let pairs = from_host.to_pairs();
        assert_eq!(
            pairs,
            [
                (KEY_API_URL, "https://x.cz/api/v2".to_owned()),
                (KEY_API_CREDENTIALS, CREDENTIALS_FROM_HOST.to_owned())
            ]
        );

        let passed = ShopConfig::new("https://x.cz/api/v2", "bot", "k3y", "420").unwrap();
        let request = crate::api::Requests::new(&passed).get(&["orders", "1"], &[]);
        assert_eq!(request.header("authorization"), Some("Basic Ym90OmszeQ=="));

        let odd = ShopConfig::from_lookup(lookup(&[
            (KEY_API_URL, "https://x.cz/api/v2"),
            (KEY_API_CREDENTIALS, "guest"),
        ]))
        .unwrap_err();
        assert_eq!(
            odd,
            Failure::Misconfigured("`api-credentials` must be `host` or unset".into())
        );
    }

    #[test]
    fn names_the_missing_key_not_a_value() {
        let err = ShopConfig::from_lookup(lookup(&[("api-url", "https://x/api/v2")])).unwrap_err();
        assert_eq!(err, Failure::Misconfigured("`api-login` is not set".into()));
        for url in [
            "ftp://x",
            "https://",
            "https://u:p@x/api",
            "https://x/api?a=1",
            "x",
        ] {
            let err = ShopConfig::new(url, "l", "k", "420").unwrap_err();
            assert_eq!(err.reason(), "misconfigured", "{url}");
        }
        assert!(ShopConfig::new("https://x/api/v2", "a:b", "k", "420").is_err());
        assert!(ShopConfig::new("https://x/api/v2", "a", "k", "42a").is_err());
    }

    /// Another path than Upgates' `/api/v2` answers 404 to every request, which the actions
    /// would read as "no such order" (and count as a customer's failed e-mail check).
    #[test]
    fn the_api_url_ends_in_api_v2() {
        for url in [
            "https://demo.admin.s1.upgates.com",
            "https://demo.admin.s1.upgates.com/api",
            "https://demo.admin.s1.upgates.com/api/v1",
            "https://demo.admin.s1.upgates.com/api/v2/orders",
            // The host `api`, the path `/v2`.
            "https://api/v2",
        ] {
            let err = ShopConfig::new(url, "l", "k", "420").unwrap_err();
            assert_eq!(
                err,
                Failure::Misconfigured(
                    "`api-url` must end in /api/v2 (like https://myshop.admin.s1.upgates.com/api/v2)"
                        .into()
                ),
                "{url}"
            );
        }
        for url in [
            "https://demo.admin.s1.upgates.com/api/v2/",
            "https://proxy.example/upgates/api/v2",
        ] {
            assert!(ShopConfig::new(url, "l", "k", "420").is_ok(), "{url}");
        }
    }

    /// Plain http would send the API login and key (or a signed link's token) in clear text:
    /// only to this machine.
    #[test]
    fn plain_http_only_to_this_machine() {
        for local in [
            "http://127.0.0.1:8080/api/v2",
            "http://127.0.0.1/api/v2",
            "http://127.255.0.9:1/api/v2",
            "http://localhost:8080/api/v2",
            "http://LOCALHOST/api/v2",
            "http://[::1]:8080/api/v2",
            "https://demo.admin.s1.upgates.com/api/v2",
            "https://[2001:db8::1]/api/v2",
        ] {
            assert_eq!(url_problem(local), None, "{local}");
        }
        for remote in [
            "http://demo.admin.s1.upgates.com/api/v2",
            "http://127.0.0.1.evil.example/api/v2",
            "http://localhost.evil.example/api/v2",
            "http://128.0.0.1/api/v2",
            "http://127.0.0.256/api/v2",
            "http://127.0.0/api/v2",
            "http://[::2]:8080/api/v2",
            "http://[::1/api/v2",
        ] {
            assert!(
                url_problem(remote).is_some_and(|p| p.contains("https://")),
                "{remote}"
            );
        }
        assert!(ShopConfig::new("http://shop.example/api/v2", "l", "k", "420").is_err());
    }

    /// The deploy examples' placeholder hosts are refused, not called or handed out.
    #[test]
    fn the_examples_placeholder_hosts_are_refused() {
        for example in [
            "https://YOUR-SHOP.admin.YOUR-SERVER.upgates.com/api/v2",
            "https://bot.YOUR-SHOP.cz",
        ] {
            assert!(
                url_problem(example).is_some_and(|p| p.contains("placeholder")),
                "{example}"
            );
        }
        let refused = ShopConfig::new(
            "https://YOUR-SHOP.admin.YOUR-SERVER.upgates.com/api/v2",
            "l",
            "k",
            "420",
        )
        .unwrap_err();
        assert!(refused.message().contains("placeholder"), "{refused:?}");
        // A real host with "your" in it is a host.
        assert_eq!(url_problem("https://bot.your-shop.cz"), None);
    }

    /// A host a URL parser would read as another one (`\` is `/` to a browser) is refused.
    #[test]
    fn hosts_hold_letters_digits_dots_and_hyphens_only() {
        for odd in [
            "https://evil.com\\.admin.s2.upgates.com/api/v2",
            "https://evil.com%5c.admin.s2.upgates.com/api/v2",
            "https://evil.com%2f.admin.s2.upgates.com/api/v2",
            "https://demo.admin.s1.upgates.com:/api/v2",
            "https://demo.admin.s1.upgates.com:44x/api/v2",
            "https://demo.admin.s1.upgates.com:443:443/api/v2",
            "https://[2001:db8::1]x/api/v2",
            "https://dem_o.admin.s1.upgates.com/api/v2",
        ] {
            assert!(
                url_problem(odd).is_some_and(|p| p.contains("letters, digits")),
                "{odd}"
            );
        }
        assert!(
            ShopConfig::new(
                "https://evil.com\\.admin.s2.upgates.com/api/v2",
                "l",
                "k",
                "420"
            )
            .is_err()
        );
        for fine in [
            "https://demo.admin.s1.upgates.com:8443/api/v2",
            "https://x-1.admin.S1.upgates.com/api/v2",
            "https://[2001:db8::1]:443/api/v2",
        ] {
            assert_eq!(url_problem(fine), None, "{fine}");
        }
    }
}
