//! Every setting of a shop's bot in one table, [`SETTINGS`]: its key, its default and what it
//! means. The keys are the component's `wasi:config` keys; Spin variables and the CLI's shops
//! file write them with `_` for `-`. `spin.toml`, the shops file and the docs' table follow the
//! table (tests compare them). The readers here turn a value into its type; a malformed value
//! is `misconfigured`, naming the key and never the value.

use std::time::Duration;

use crate::failure::Failure;

/// The shop: where its API is and the API user.
pub const KEY_API_URL: &str = "api-url";
pub const KEY_API_LOGIN: &str = "api-login";
pub const KEY_API_KEY: &str = "api-key";
pub const KEY_DEFAULT_COUNTRY_CODE: &str = "default-country-code";
/// "true": re-read the note after an append and re-append when a concurrent writer lost it.
pub const KEY_VERIFY_APPENDS: &str = "verify-appends";
/// The country code a 9-digit national phone number gets when none is configured (Czechia).
pub const DEFAULT_COUNTRY_CODE: &str = "420";

/// `Odeslaná; Stornovaná: Přijatá|2`: the statuses the bot may set (by id or name), each
/// optionally only from the listed current statuses. Unset or empty: any status.
pub const KEY_ALLOWED_STATUSES: &str = "allowed-statuses";
/// The longest text (in characters) `append-note` and `replace-note` may write.
pub const KEY_MAX_NOTE_LENGTH: &str = "max-note-length";
/// `true` (default): every write also adds a record to the order's history.
pub const KEY_AUDIT_TRAIL: &str = "audit-trail";
/// Failed e-mail checks per order number within the window before the e-mail-gated actions
/// answer `not-verified` without asking Upgates. Default 5; 0 turns the limit off.
pub const KEY_VERIFY_ATTEMPTS: &str = "verify-attempts";
/// The window of [`KEY_VERIFY_ATTEMPTS`], in minutes. Default 60.
pub const KEY_VERIFY_WINDOW_MINUTES: &str = "verify-window-minutes";
/// `true`: `customer-email` and `order-detail` answer masked e-mails and phone numbers.
pub const KEY_MASK_PERSONAL_DATA: &str = "mask-personal-data";
/// `upgates` (default: Upgates' own PDF URL) or `signed` (our expiring link, served by the
/// Spin app's `GET /v1/invoice/<token>`).
pub const KEY_INVOICE_LINKS: &str = "invoice-links";
/// The HMAC-SHA256 key of signed links: at least [`MIN_SECRET`] characters.
pub const KEY_INVOICE_LINK_SECRET: &str = "invoice-link-secret";
/// Where the Spin app is reachable, e.g. `https://bot.example.cz`: links are
/// `<base>/v1/invoice/<token>`.
pub const KEY_INVOICE_LINK_BASE_URL: &str = "invoice-link-base-url";
/// How long a signed link works, in minutes. Default 15.
pub const KEY_INVOICE_LINK_MINUTES: &str = "invoice-link-minutes";
/// How often one signed link may be downloaded. Default 3.
pub const KEY_INVOICE_LINK_DOWNLOADS: &str = "invoice-link-downloads";
/// The actions the shop's bot may call, by WIT name, comma-separated. Unset: all nine.
pub const KEY_ENABLED_ACTIONS: &str = "enabled-actions";
/// The HMAC-SHA256 key of the proofs the e-mail-gated actions answer (`crate::proof`): at
/// least [`MIN_SECRET`] characters. Unset: no proofs.
pub const KEY_PROOF_SECRET: &str = "proof-secret";
/// How long a proof works, in minutes. Default 30.
pub const KEY_PROOF_MINUTES: &str = "proof-minutes";
/// `true`: the writes and `customer-email` answer `not-verified` without their order's proof.
pub const KEY_REQUIRE_PROOF: &str = "require-proof";

/// Every guardrail key, in [`SETTINGS`]' order.
pub const KEYS: [&str; 15] = [
    KEY_ALLOWED_STATUSES,
    KEY_MAX_NOTE_LENGTH,
    KEY_AUDIT_TRAIL,
    KEY_VERIFY_ATTEMPTS,
    KEY_VERIFY_WINDOW_MINUTES,
    KEY_MASK_PERSONAL_DATA,
    KEY_INVOICE_LINKS,
    KEY_INVOICE_LINK_SECRET,
    KEY_INVOICE_LINK_BASE_URL,
    KEY_INVOICE_LINK_MINUTES,
    KEY_INVOICE_LINK_DOWNLOADS,
    KEY_ENABLED_ACTIONS,
    KEY_PROOF_SECRET,
    KEY_PROOF_MINUTES,
    KEY_REQUIRE_PROOF,
];

pub const DEFAULT_VERIFY_ATTEMPTS: u32 = 5;
pub const DEFAULT_VERIFY_WINDOW: Duration = Duration::from_secs(3600);
pub const DEFAULT_LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The customer opens the link, perhaps once more or on another device; each download is a
/// request to Upgates, so a link passed around or replayed is soon used up.
pub const DEFAULT_LINK_DOWNLOADS: u32 = 3;
/// Long enough for a chat to verify the customer and then ask what to change; short enough
/// that a proof copied out of a transcript is soon worthless.
pub const DEFAULT_PROOF_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// The shortest `invoice-link-secret` and `proof-secret`, in characters: `openssl rand -hex
/// 32` gives 64.
pub const MIN_SECRET: usize = 32;

/// One setting: its key, whether it must be set, its default as written (empty: unset), and
/// what it means in a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting {
    pub key: &'static str,
    pub required: bool,
    pub default: &'static str,
    pub meaning: &'static str,
}

const fn required(key: &'static str, meaning: &'static str) -> Setting {
    Setting {
        key,
        required: true,
        default: "",
        meaning,
    }
}

const fn optional(key: &'static str, default: &'static str, meaning: &'static str) -> Setting {
    Setting {
        key,
        required: false,
        default,
        meaning,
    }
}

/// Every setting: the shop's five, then the guardrails ([`KEYS`]), in the docs' order.
pub const SETTINGS: &[Setting] = &[
    required(
        KEY_API_URL,
        "https://<shop>.admin.<server>.upgates.com/api/v2",
    ),
    required(KEY_API_LOGIN, "The Upgates API user's login"),
    required(KEY_API_KEY, "The Upgates API user's key"),
    optional(
        KEY_DEFAULT_COUNTRY_CODE,
        DEFAULT_COUNTRY_CODE,
        "The country code a 9-digit phone number gets",
    ),
    optional(
        KEY_VERIFY_APPENDS,
        "false",
        "true when several hosts write to one shop: an append is re-read and redone if a concurrent write lost it",
    ),
    optional(
        KEY_ALLOWED_STATUSES,
        "",
        "The statuses the bot may set, e.g. `Odeslaná; Stornovaná: Přijatá|2` (Stornovaná only from Přijatá or 2); empty: any",
    ),
    optional(
        KEY_MAX_NOTE_LENGTH,
        "",
        "The longest note text the bot may write, in characters; empty: 5000",
    ),
    optional(
        KEY_AUDIT_TRAIL,
        "true",
        "Record every write in the order's history (one more request per write)",
    ),
    optional(
        KEY_VERIFY_ATTEMPTS,
        "5",
        "Failed e-mail checks per order within the window before the e-mail-gated actions answer not-verified unasked; 0: no limit",
    ),
    optional(
        KEY_VERIFY_WINDOW_MINUTES,
        "60",
        "The window of verify-attempts, in minutes",
    ),
    optional(
        KEY_MASK_PERSONAL_DATA,
        "false",
        "true: customer-email and order-detail answer masked e-mails and phones",
    ),
    optional(
        KEY_INVOICE_LINKS,
        "upgates",
        "upgates (Upgates' PDF URL) or signed (an expiring /v1/invoice/<token> link, served by the Spin app and upgates serve)",
    ),
    optional(
        KEY_INVOICE_LINK_SECRET,
        "",
        "The HMAC-SHA256 key of signed links, at least 32 characters (openssl rand -hex 32)",
    ),
    optional(
        KEY_INVOICE_LINK_BASE_URL,
        "",
        "The bot's public https:// address, for signed links",
    ),
    optional(
        KEY_INVOICE_LINK_MINUTES,
        "15",
        "How long a signed link works, in minutes",
    ),
    optional(
        KEY_INVOICE_LINK_DOWNLOADS,
        "3",
        "How often one signed link may be downloaded (each download is a request to Upgates); then it answers 410",
    ),
    optional(
        KEY_ENABLED_ACTIONS,
        "",
        "The actions the bot may call, comma-separated WIT names, e.g. `verify-order, verify-customer`; the others answer not-allowed unasked; empty: all nine",
    ),
    optional(
        KEY_PROOF_SECRET,
        "",
        "The HMAC-SHA256 key of the proofs verify-customer, order-detail and order-documents answer (`proof`), at least 32 characters; empty: no proofs",
    ),
    optional(
        KEY_PROOF_MINUTES,
        "30",
        "How long a proof works, in minutes",
    ),
    optional(
        KEY_REQUIRE_PROOF,
        "false",
        "true: set-order-status, append-note, replace-note and customer-email answer not-verified without the order's proof (needs proof-secret)",
    ),
];

/// The setting named `key`.
pub fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// A secret still as the deploy examples write it (`REPLACE-WITH-...`).
pub fn is_placeholder(secret: &str) -> bool {
    secret.to_ascii_uppercase().contains("REPLACE-WITH")
}

pub(crate) fn misconfigured(key: &str, why: &str) -> Failure {
    Failure::Misconfigured(format!("`{key}` {why}"))
}

pub(crate) fn flag(key: &str, value: Option<String>, default: bool) -> Result<bool, Failure> {
    match value.as_deref() {
        None => Ok(default),
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(_) => Err(misconfigured(key, "must be true or false")),
    }
}

/// A whole number in `min..=max`; `why` says so (a fixed text: each `format!` costs the
/// component bytes).
pub(crate) fn number(
    key: &str,
    value: &str,
    min: u64,
    max: u64,
    why: &str,
) -> Result<u64, Failure> {
    value
        .parse::<u64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| misconfigured(key, why))
}

pub(crate) fn minutes(key: &str, value: Option<String>) -> Result<Option<Duration>, Failure> {
    value
        .map(|v| {
            number(
                key,
                &v,
                1,
                7 * 24 * 60,
                "must be a whole number of minutes from 1 to 10080",
            )
            .map(|m| Duration::from_secs(m * 60))
        })
        .transpose()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::ShopConfig;

    /// A config source over fixed pairs (also used by the guardrails' tests).
    pub(crate) fn lookup<'a>(
        pairs: &'a [(&'a str, &'a str)],
    ) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_table_lists_every_key_once_with_the_guardrails_last() {
        let keys: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
        assert_eq!(keys[SETTINGS.len() - KEYS.len()..], KEYS);
        for (i, key) in keys.iter().enumerate() {
            assert!(!keys[..i].contains(key), "{key} twice");
            assert_eq!(setting(key).map(|s| s.key), Some(*key));
        }
    }

    /// The defaults as the table writes them read as no value at all.
    #[test]
    fn the_tables_defaults_are_the_defaults() {
        let mut pairs = vec![
            (KEY_API_URL, "https://x.cz/api/v2"),
            (KEY_API_LOGIN, "bot"),
            (KEY_API_KEY, "k3y"),
        ];
        let implicit = ShopConfig::from_lookup(lookup(&pairs)).unwrap();
        pairs.extend(
            SETTINGS
                .iter()
                .filter(|s| !s.required)
                .map(|s| (s.key, s.default)),
        );
        assert_eq!(ShopConfig::from_lookup(lookup(&pairs)).unwrap(), implicit);
        assert_eq!(implicit.to_pairs().len(), 3);
        let verify_window = setting(KEY_VERIFY_WINDOW_MINUTES).unwrap().default;
        assert_eq!(
            verify_window.parse::<u64>().unwrap() * 60,
            DEFAULT_VERIFY_WINDOW.as_secs()
        );
        let proof_minutes = setting(KEY_PROOF_MINUTES).unwrap().default;
        assert_eq!(
            proof_minutes.parse::<u64>().unwrap() * 60,
            DEFAULT_PROOF_LIFETIME.as_secs()
        );
        let link_minutes = setting(KEY_INVOICE_LINK_MINUTES).unwrap().default;
        assert_eq!(
            link_minutes.parse::<u64>().unwrap() * 60,
            DEFAULT_LINK_LIFETIME.as_secs()
        );
    }
}
