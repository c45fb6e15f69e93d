//! Settings from Spin variables (`spin.toml`; `SPIN_VARIABLE_*` with `spin up`, Kubernetes
//! secrets on SpinKube). The shop's keys are the component's `wasi:config` keys with `_` for
//! `-` (`api-url` → `api_url`), validated by the same `ShopConfig::from_lookup`.
//!
//! Read on every request: a provider may rotate a key between requests, and a lookup is far
//! cheaper than the request to Upgates that follows.

use std::collections::HashMap;

use spin_sdk::variables::{self, Error};
use upgates_core::ShopConfig;
use upgates_core::settings::SETTINGS;
use upgates_webhook::Rejection;

/// The token callers send as `Authorization: Bearer <bot_token>`.
pub const BOT_TOKEN: &str = "bot_token";

/// Every setting's `wasi:config` key: core's table, the same one `spin.toml` declares.
fn all_keys() -> impl Iterator<Item = &'static str> {
    SETTINGS.iter().map(|setting| setting.key)
}

pub async fn bot_token() -> Result<String, Rejection> {
    let token = variable(BOT_TOKEN)
        .await?
        .ok_or_else(|| Rejection::Misconfigured(format!("`{BOT_TOKEN}` is not set")))?;
    match upgates_webhook::token_problem(BOT_TOKEN, &token) {
        Some(problem) => Err(Rejection::Misconfigured(problem)),
        None => Ok(token),
    }
}

pub async fn shop() -> Result<ShopConfig, Rejection> {
    let mut values = HashMap::new();
    for key in all_keys() {
        if let Some(value) = variable(&spin_name(key)).await? {
            values.insert(key, value);
        }
    }
    let config =
        ShopConfig::from_lookup(|key| values.get(key).cloned()).map_err(
            |failure| match failure {
                upgates_core::Failure::Misconfigured(why) => {
                    Rejection::Misconfigured(in_spin_terms(&why))
                }
                other => Rejection::Misconfigured(other.message()),
            },
        )?;
    // `spin.toml` lets the app call only `api_origin`: one that is not `api_url`'s would make
    // every action answer "Ne misconfigured" from the refused request, not name the variable.
    if let Some(origin) = variable(API_ORIGIN).await?
        && !same_origin(&origin, &config.api_url)
    {
        return Err(Rejection::Misconfigured(format!(
            "`{API_ORIGIN}` must be the scheme and host of `api_url` \
             (https://<shop>.admin.<server>.upgates.com): the only host the app may call"
        )));
    }
    Ok(config)
}

/// The Spin variable `spin.toml` puts in `allowed_outbound_hosts`.
const API_ORIGIN: &str = "api_origin";

/// `origin` (`https://host[:port]`) is `url`'s scheme and host: hosts compare in any case, a
/// scheme's default port may be written or not.
fn same_origin(origin: &str, url: &str) -> bool {
    let normal = |text: &str| {
        let text = text.trim().trim_end_matches('/').to_ascii_lowercase();
        let (scheme, rest) = text.split_once("://")?;
        let authority = rest.split('/').next()?;
        let default_port = if scheme == "https" { ":443" } else { ":80" };
        let authority = authority.strip_suffix(default_port).unwrap_or(authority);
        Some(format!("{scheme}://{authority}"))
    };
    normal(origin).is_some_and(|origin| normal(url) == Some(origin))
}

/// A variable's value; `None` when it is not defined for this component or empty.
async fn variable(name: &str) -> Result<Option<String>, Rejection> {
    match variables::get(name).await {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value.trim().to_owned())),
        Err(Error::Undefined(_) | Error::InvalidName(_)) => Ok(None),
        // The provider's text might quote what it read: not passed on.
        Err(Error::Provider(_) | Error::Other(_)) => Err(Rejection::Misconfigured(format!(
            "`{name}` could not be read from the variables provider"
        ))),
    }
}

/// The Spin variable for a `wasi:config` key: `api-url` → `api_url`.
fn spin_name(key: &str) -> String {
    key.replace('-', "_")
}

/// Core's messages name the `wasi:config` keys; here they are Spin variables.
fn in_spin_terms(message: &str) -> String {
    all_keys().fold(message.to_owned(), |message, key| {
        message.replace(&format!("`{key}`"), &format!("`{}`", spin_name(key)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use upgates_core::config::{KEY_API_URL, KEY_DEFAULT_COUNTRY_CODE};

    #[test]
    fn the_origin_is_the_api_urls_scheme_and_host() {
        let url = "https://demo.admin.s1.upgates.com/api/v2";
        for same in [
            "https://demo.admin.s1.upgates.com",
            "https://Demo.Admin.S1.upgates.com/",
            "https://demo.admin.s1.upgates.com:443",
        ] {
            assert!(same_origin(same, url), "{same}");
        }
        for other in [
            "https://other.admin.s1.upgates.com",
            "http://demo.admin.s1.upgates.com",
            "https://demo.admin.s1.upgates.com:8443",
            "demo.admin.s1.upgates.com",
            "",
        ] {
            assert!(!same_origin(other, url), "{other}");
        }
        assert!(same_origin(
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/api/v2"
        ));
    }

    #[test]
    fn spin_names_for_config_keys() {
        assert_eq!(spin_name(KEY_API_URL), "api_url");
        assert_eq!(spin_name(KEY_DEFAULT_COUNTRY_CODE), "default_country_code");
        assert_eq!(
            in_spin_terms("`api-login` must be non-empty, without `:`"),
            "`api_login` must be non-empty, without `:`"
        );
        let err = ShopConfig::from_lookup(|_| None).unwrap_err();
        assert_eq!(
            in_spin_terms(&err.message()),
            "shop configuration: `api_url` is not set"
        );
    }
}
