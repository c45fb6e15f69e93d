//! Which shops `upgates serve` serves: every shop of the shops file with its own bot token,
//! or with `--demo` the built-in fake shop.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use upgates_core::ShopConfig;
use upgates_core::config::{KEY_API_CREDENTIALS, KEY_API_URL};
use upgates_fake_shop::{FakeShop, SAMPLE_KEY, SAMPLE_LOGIN};
use upgates_host::ShopConnection;
use upgates_webhook::{is_shop_name, token_problem};

use super::ServedShop;
use crate::shops_file::{self, ShopsFile};

/// The shops to serve: every shop of the shops file (or the one the `UPGATES_*` variables
/// describe), each with its own token, and the name of the one `/v1/<action>` serves. The
/// `UPGATES_*` variables apply to that default shop only, as they do for the CLI's calls.
pub(super) fn shops(
    file: &ShopsFile,
    chosen: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
    timeout: Duration,
) -> Result<(BTreeMap<String, Arc<ServedShop>>, String), String> {
    let default = match chosen.or(file.default_name()) {
        Some(name) => name.to_owned(),
        None if file.shops.is_empty() => "default".to_owned(),
        None => {
            return Err(
                "the shops file has several shops and no `default`: set one, or pass --shop NAME"
                    .into(),
            );
        }
    };
    let names: Vec<String> = if file.shops.is_empty() {
        vec![default.clone()]
    } else {
        if !file.shops.contains_key(&default) {
            return Err(format!("no shop named `{default}` in the shops file"));
        }
        file.shops.keys().cloned().collect()
    };
    let mut shops = BTreeMap::new();
    for name in names {
        if !is_shop_name(&name) {
            return Err(format!(
                "a shop's name is part of its path (/v1/shops/<name>/...): use letters, \
                 digits, `-` and `_`, at most 64 (not `{}`)",
                name.escape_default()
            ));
        }
        let is_default = name == default;
        // Another shop's settings must not come from the default shop's variables; the
        // variables its own entry names (`api_key_env`, ...) are its own.
        let env_of = |var: &str| {
            if is_default || !shops_file::is_override(var) {
                env(var)
            } else {
                None
            }
        };
        let in_file = (!file.shops.is_empty()).then_some(name.as_str());
        let config = file
            .resolve(in_file, env_of)
            .map_err(|e| format!("shop `{name}`: {e}"))?;
        let token = file
            .bot_token(in_file, env_of)
            .map_err(|e| format!("shop `{name}`: {e}"))?
            .ok_or_else(|| {
                format!(
                    "shop `{name}` has no bot token: set `bot_token_env` (or `bot_token`) in \
                     the shops file{}",
                    if is_default {
                        ", or UPGATES_BOT_TOKEN"
                    } else {
                        ""
                    }
                )
            })?;
        if let Some(problem) = token_problem("bot_token", &token) {
            return Err(format!("shop `{name}`: {problem}"));
        }
        if shops
            .values()
            .any(|other: &Arc<ServedShop>| other.token == token)
        {
            return Err(format!(
                "shop `{name}` has another shop's bot token: a token must open one shop only"
            ));
        }
        let shop = served(&name, config, token, timeout)?;
        shops.insert(name, Arc::new(shop));
    }
    Ok((shops, default))
}

fn served(
    name: &str,
    config: ShopConfig,
    token: String,
    timeout: Duration,
) -> Result<ServedShop, String> {
    let mut connection = ShopConnection::new(config).map_err(|f| f.message())?;
    connection.policy.call_timeout = timeout;
    Ok(ServedShop {
        // Once per shop and process.
        name: Box::leak(name.into()),
        connection,
        token,
    })
}

/// `--demo`: the fake shop on a loopback port as the only shop, with signed invoice links to
/// this server, a token of its own (or UPGATES_BOT_TOKEN's), and the guardrails the
/// `UPGATES_*` variables set.
pub(super) async fn demo(
    here: SocketAddr,
    timeout: Duration,
) -> Result<
    (
        (BTreeMap<String, Arc<ServedShop>>, String),
        upgates_fake_shop::LoopbackServer,
        String,
    ),
    String,
> {
    let fake = FakeShop::sample(SystemTime::now());
    let upgates = fake
        .serve()
        .await
        .map_err(|e| format!("cannot start the demo shop: {e}"))?;
    let (token, printed) = match std::env::var("UPGATES_BOT_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
    {
        Some(token) => (token, "$UPGATES_BOT_TOKEN".to_owned()),
        None => {
            let token = random_hex();
            (token.clone(), token)
        }
    };
    if let Some(problem) = token_problem("UPGATES_BOT_TOKEN", &token) {
        return Err(problem);
    }
    // Links must point where this server answers: a wildcard address is not an address.
    let mut here = here;
    if here.ip().is_unspecified() {
        here.set_ip(Ipv4Addr::LOCALHOST.into());
    }
    let api_url = upgates.api_url();
    let secret = format!("{}{}", random_hex(), random_hex());
    let base_url = format!("http://{here}");
    let settings = [
        (KEY_API_URL, api_url.as_str()),
        ("api-login", SAMPLE_LOGIN),
        ("api-key", SAMPLE_KEY),
        ("invoice-links", "signed"),
        ("invoice-link-secret", secret.as_str()),
        ("invoice-link-base-url", base_url.as_str()),
    ];
    // The demo's shop and links are its own; its guardrails are the `UPGATES_*` variables', as
    // a real shop's, so they can be tried on the demo (`UPGATES_ALLOWED_STATUSES=Odeslaná`).
    let config = ShopConfig::from_lookup(|key| {
        match settings.iter().find(|(k, _)| *k == key) {
            Some((_, v)) => Some((*v).to_owned()),
            // The demo's login is its own.
            None if key == KEY_API_CREDENTIALS => None,
            None => std::env::var(shops_file::env_name(key)).ok(),
        }
    })
    .map_err(|f| f.message())?;
    let name = "demo".to_owned();
    let shop = served(&name, config, token, timeout)?;
    let shops = BTreeMap::from([(name.clone(), Arc::new(shop))]);
    Ok(((shops, name), upgates, printed))
}

/// 32 hex digits no one can guess: two hashes under std's `RandomState`, whose keys come from
/// the OS's random source (a demo's token and link secret, nothing that must be a key).
pub(super) fn random_hex() -> String {
    use std::hash::BuildHasher as _;
    let half = || std::hash::RandomState::new().hash_one(SystemTime::now());
    format!("{:016x}{:016x}", half(), half())
}
