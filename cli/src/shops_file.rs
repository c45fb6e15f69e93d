//! Several shops in one TOML file (`--config`, default `upgates/shops.toml` in the user's
//! config dir), chosen with `--shop NAME`; `UPGATES_*` environment variables override.
//!
//! ```toml
//! default = "cz"
//!
//! [shops.cz]
//! api_url = "https://myshop.admin.s1.upgates.com/api/v2"
//! api_login = "bot"
//! api_key = "..."              # or: api_key_env = "MYSHOP_CZ_KEY"
//! default_country_code = "420"
//!
//! [shops.sk]
//! api_url = "https://myshop-sk.admin.s2.upgates.com/api/v2"
//! api_login = "bot"
//! api_key_env = "MYSHOP_SK_KEY"
//! default_country_code = "421"
//! ```
//!
//! `upgates serve` also reads each shop's `bot_token` (or `bot_token_env`) and the signed
//! invoice links' settings (`invoice_links = "signed"`, `invoice_link_secret` or
//! `invoice_link_secret_env`, `invoice_link_base_url`, `invoice_link_minutes`).

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use upgates_core::config::{
    KEY_API_KEY, KEY_API_LOGIN, KEY_API_URL, KEY_DEFAULT_COUNTRY_CODE, KEY_VERIFY_APPENDS,
};
use upgates_core::guardrails::{
    KEY_ALLOWED_STATUSES, KEY_AUDIT_TRAIL, KEY_INVOICE_LINK_BASE_URL, KEY_INVOICE_LINK_MINUTES,
    KEY_INVOICE_LINK_SECRET, KEY_INVOICE_LINKS, KEY_MASK_PERSONAL_DATA, KEY_MAX_NOTE_LENGTH,
    KEY_VERIFY_ATTEMPTS, KEY_VERIFY_WINDOW_MINUTES,
};
use upgates_core::{ShopConfig, settings};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopsFile {
    /// The shop used without `--shop`.
    pub default: Option<String>,
    #[serde(default)]
    pub shops: BTreeMap<String, ShopEntry>,
}

/// One shop. `Debug` never shows the key.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopEntry {
    pub api_url: Option<String>,
    pub api_login: Option<String>,
    pub api_key: Option<String>,
    /// The name of an environment variable holding the key (keeps it out of the file).
    pub api_key_env: Option<String>,
    pub default_country_code: Option<String>,
    pub verify_appends: Option<bool>,
    /// The guardrails (docs/configuration.md); the component's keys with `_` for `-`.
    pub allowed_statuses: Option<String>,
    pub max_note_length: Option<u32>,
    pub audit_trail: Option<bool>,
    pub verify_attempts: Option<u32>,
    pub verify_window_minutes: Option<u32>,
    pub mask_personal_data: Option<bool>,
    /// `upgates serve`: what callers send as `Authorization: Bearer <token>` for this shop.
    pub bot_token: Option<String>,
    /// The name of an environment variable holding the bot token.
    pub bot_token_env: Option<String>,
    /// `upgates serve`: `signed` hands out the server's own expiring invoice links.
    pub invoice_links: Option<String>,
    pub invoice_link_secret: Option<String>,
    /// The name of an environment variable holding the links' secret.
    pub invoice_link_secret_env: Option<String>,
    pub invoice_link_base_url: Option<String>,
    pub invoice_link_minutes: Option<u32>,
    pub invoice_link_downloads: Option<u32>,
    /// The actions the bot may call, and the proofs of e-mail checks (docs/configuration.md).
    pub enabled_actions: Option<String>,
    pub proof_secret: Option<String>,
    /// The name of an environment variable holding the proofs' secret.
    pub proof_secret_env: Option<String>,
    pub proof_minutes: Option<u32>,
    pub require_proof: Option<bool>,
}

impl std::fmt::Debug for ShopEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopEntry")
            .field("api_url", &self.api_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("api_key_env", &self.api_key_env)
            .field("bot_token", &self.bot_token.as_ref().map(|_| "<redacted>"))
            .field(
                "invoice_link_secret",
                &self.invoice_link_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

/// The environment variable that overrides a setting: `api-url` -> `UPGATES_API_URL`.
pub fn env_name(key: &str) -> String {
    format!("UPGATES_{}", key.replace('-', "_").to_ascii_uppercase())
}

/// Whether `var` is one of the `UPGATES_*` variables that override a shop's settings (or its
/// bot token), as opposed to one a shops file names itself (`api_key_env`, `bot_token_env`).
pub fn is_override(var: &str) -> bool {
    var == BOT_TOKEN_VAR
        || [
            KEY_API_URL,
            KEY_API_LOGIN,
            KEY_API_KEY,
            KEY_DEFAULT_COUNTRY_CODE,
            KEY_VERIFY_APPENDS,
        ]
        .into_iter()
        .chain(upgates_core::guardrails::KEYS)
        .any(|key| env_name(key) == var)
}

const BOT_TOKEN_VAR: &str = "UPGATES_BOT_TOKEN";

/// The default file: `<config dir>/upgates/shops.toml`.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("upgates").join("shops.toml"))
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
pub fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    // Counting the bytes that start a UTF-8 character: no boundary needed.
    let column = before[line_start..]
        .iter()
        .filter(|&&b| (b & 0xc0) != 0x80)
        .count()
        + 1;
    (line, column)
}

/// toml's message without the file's text. serde's type and value errors quote the value
/// (`invalid type: integer `1234567890`, expected a string`) and an unknown field its name:
/// only what follows the last ", expected " is ours (the type or fields asked for). Anything
/// else is the TOML parser's own fixed description (`string values must be quoted`, `duplicate
/// key`), which names no part of the input.
fn describe_error(message: &str) -> String {
    // Searched from the end: a quoted value may itself contain ", expected ".
    let expected = message
        .rfind(", expected ")
        .map(|i| &message[i + ", ".len()..]);
    let with_expected = |what: &str| match expected {
        Some(expected) => format!("{what}, {}", readable_expected(expected)),
        None => what.to_string(),
    };
    if message.starts_with("invalid type") {
        with_expected("wrong type of value")
    } else if message.starts_with("invalid value") || message.starts_with("invalid length") {
        with_expected("value not allowed")
    } else if message.starts_with("unknown field") {
        with_expected("unknown setting")
    } else if message.starts_with("unknown variant") {
        with_expected("unknown value")
    } else if message.starts_with("invalid ") || message.starts_with("unknown ") {
        // Another serde error of this shape, not seen in practice: may quote the value.
        "not a valid value".to_string()
    } else {
        message.to_string()
    }
}

/// serde's names for the integer types, as a person would say them.
fn readable_expected(expected: &str) -> String {
    match expected {
        "expected u32" => "expected a whole number from 0 to 4294967295".to_string(),
        other => other.to_string(),
    }
}

impl ShopsFile {
    /// Reads `path`; a missing default file is an empty one, a missing named file an error.
    /// On Unix the file is refused, as `ssh` refuses its own, when another user (not root)
    /// owns it or its group or others may write it (they could point `api_url` elsewhere and
    /// be sent the key), or when it holds a secret (`api_key`, `bot_token`,
    /// `invoice_link_secret`, `proof_secret`) and its group or others may read it. The mode is
    /// read from the handle the text is read from.
    pub fn load(path: &Path, named_explicitly: bool) -> Result<Self, String> {
        let read = std::fs::File::open(path).and_then(|mut file| {
            let mut text = String::new();
            file.read_to_string(&mut text)?;
            Ok((file.metadata()?, text))
        });
        let (metadata, text) = match read {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named_explicitly => {
                return Ok(Self::default());
            }
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let file: Self = toml::from_str(&text).map_err(|e| {
            // toml's report quotes the offending line and its message may quote the value
            // (`invalid type: integer `1234`, ...`), either of which may be a key: only the
            // position and a description that never repeats the file's text.
            let at = e
                .span()
                .map(|s| {
                    let (line, column) = line_and_column(&text, s.start);
                    format!(" (line {line}, column {column})")
                })
                .unwrap_or_default();
            format!(
                "{} is not a valid shops file{at}: {}",
                path.display(),
                describe_error(e.message())
            )
        })?;
        #[cfg(unix)]
        file.check_permissions(path, &metadata)?;
        #[cfg(not(unix))]
        let _ = metadata;
        Ok(file)
    }

    /// Whether any shop keeps a secret in the file itself (not in a variable it names).
    pub fn holds_secret(&self) -> bool {
        self.shops.values().any(|shop| {
            shop.api_key.is_some()
                || shop.bot_token.is_some()
                || shop.invoice_link_secret.is_some()
                || shop.proof_secret.is_some()
        })
    }

    /// `ssh`'s rule for its own files: see [`Self::load`].
    #[cfg(unix)]
    fn check_permissions(&self, path: &Path, metadata: &std::fs::Metadata) -> Result<(), String> {
        use std::os::unix::fs::MetadataExt as _;
        let (owner, mode) = (metadata.uid(), metadata.mode() & 0o7777);
        let me = upgates_host::private_files::effective_uid();
        let path = path.display();
        if owner != me && owner != 0 {
            return Err(format!(
                "{path} is owned by another user (uid {owner}), who can change the shops it \
                 sends the API key to: use a shops file of your own"
            ));
        }
        if mode & 0o022 != 0 {
            return Err(format!(
                "{path} can be changed by its group or by others (mode {mode:04o}), who could \
                 send the API key elsewhere: run `chmod go-w {path}`"
            ));
        }
        if mode & 0o044 != 0 && self.holds_secret() {
            return Err(format!(
                "{path} holds a secret (`api_key`, `bot_token`, `invoice_link_secret` or \
                 `proof_secret`) and can be read by its group or by others (mode {mode:04o}): \
                 run `chmod 600 {path}`, or keep the secrets out of it (`api_key_env`, \
                 `bot_token_env`, `invoice_link_secret_env`, `proof_secret_env`)"
            ));
        }
        Ok(())
    }

    /// The shop used without a name: the file's `default`, or its only shop.
    pub fn default_name(&self) -> Option<&str> {
        match &self.default {
            Some(name) => Some(name),
            None if self.shops.len() == 1 => self.shops.keys().next().map(String::as_str),
            None => None,
        }
    }

    /// The shop's bearer token for `upgates serve`: `UPGATES_BOT_TOKEN`, the file's
    /// `bot_token`, or the variable `bot_token_env` names. `None` when none is set.
    pub fn bot_token(
        &self,
        shop: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<String>, String> {
        let env = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        let entry = self.entry(shop)?;
        Ok(env(BOT_TOKEN_VAR)
            .or_else(|| entry?.bot_token.clone())
            .or_else(|| env(entry?.bot_token_env.as_deref()?))
            .map(|token| token.trim().to_owned()))
    }

    fn entry(&self, shop: Option<&str>) -> Result<Option<&ShopEntry>, String> {
        match shop.or(self.default.as_deref()) {
            Some(name) => self.shops.get(name).map(Some).ok_or_else(|| {
                let known: Vec<&str> = self.shops.keys().map(String::as_str).collect();
                format!(
                    "no shop named `{name}` in the shops file (it has: {})",
                    known.join(", ")
                )
            }),
            None if self.shops.len() == 1 => Ok(self.shops.values().next()),
            None if self.shops.is_empty() => Ok(None),
            None => Err("the shops file has several shops: choose one with --shop NAME".into()),
        }
    }

    /// The shop's settings: the file's entry with `env` (e.g. `UPGATES_API_KEY`) on top. A
    /// variable that is empty or blank counts as unset: a blank line in an env file or an unset
    /// CI secret must not silently replace the file's key or switch a guardrail off.
    pub fn resolve(
        &self,
        shop: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ShopConfig, String> {
        let env = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        let entry = self.entry(shop)?;
        let from_file = |key: &str| -> Option<String> {
            let e = entry?;
            match key {
                KEY_API_URL => e.api_url.clone(),
                KEY_API_LOGIN => e.api_login.clone(),
                KEY_API_KEY => e.api_key.clone().or_else(|| env(e.api_key_env.as_deref()?)),
                KEY_DEFAULT_COUNTRY_CODE => e.default_country_code.clone(),
                KEY_VERIFY_APPENDS => e.verify_appends.map(|v| v.to_string()),
                KEY_ALLOWED_STATUSES => e.allowed_statuses.clone(),
                KEY_MAX_NOTE_LENGTH => e.max_note_length.map(|v| v.to_string()),
                KEY_AUDIT_TRAIL => e.audit_trail.map(|v| v.to_string()),
                KEY_VERIFY_ATTEMPTS => e.verify_attempts.map(|v| v.to_string()),
                KEY_VERIFY_WINDOW_MINUTES => e.verify_window_minutes.map(|v| v.to_string()),
                KEY_MASK_PERSONAL_DATA => e.mask_personal_data.map(|v| v.to_string()),
                KEY_INVOICE_LINKS => e.invoice_links.clone(),
                KEY_INVOICE_LINK_SECRET => e
                    .invoice_link_secret
                    .clone()
                    .or_else(|| env(e.invoice_link_secret_env.as_deref()?)),
                KEY_INVOICE_LINK_BASE_URL => e.invoice_link_base_url.clone(),
                KEY_INVOICE_LINK_MINUTES => e.invoice_link_minutes.map(|v| v.to_string()),
                settings::KEY_ENABLED_ACTIONS => e.enabled_actions.clone(),
                settings::KEY_PROOF_SECRET => e
                    .proof_secret
                    .clone()
                    .or_else(|| env(e.proof_secret_env.as_deref()?)),
                settings::KEY_PROOF_MINUTES => e.proof_minutes.map(|v| v.to_string()),
                settings::KEY_REQUIRE_PROOF => e.require_proof.map(|v| v.to_string()),
                settings::KEY_INVOICE_LINK_DOWNLOADS => {
                    e.invoice_link_downloads.map(|v| v.to_string())
                }
                _ => None,
            }
        };
        let lookup = |key: &str| env(&env_name(key)).or_else(|| from_file(key));
        // The component's setting (for a host that adds the credentials); the CLI is that host.
        if lookup(upgates_core::config::KEY_API_CREDENTIALS).is_some() {
            return Err(format!(
                "{} is set: that is the component's setting, for a host that adds the \
                 credentials itself; the CLI needs the API login and key (unset it)",
                env_name(upgates_core::config::KEY_API_CREDENTIALS)
            ));
        }
        ShopConfig::from_lookup(lookup).map_err(|f| {
            let message = f.message();
            // Where a missing required setting can come from. `from_lookup` checks these first,
            // in this order, and reports the first one missing; other errors say what is wrong
            // with a value that is there.
            let Some(key) = [KEY_API_URL, KEY_API_LOGIN, KEY_API_KEY]
                .into_iter()
                .find(|key| lookup(key).is_none_or(|value| value.trim().is_empty()))
            else {
                return message;
            };
            let key_env = entry
                .and_then(|e| e.api_key_env.as_deref())
                .filter(|_| key == KEY_API_KEY);
            match key_env {
                Some(name) => format!(
                    "{message}: the shops file reads it from the environment variable {name} \
                     (`api_key_env`), which is not set; or set {}",
                    env_name(key)
                ),
                None => format!(
                    "{message} (set it in the shops file or in the environment as {})",
                    env_name(key)
                ),
            }
        })
    }
}
