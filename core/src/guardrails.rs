//! The shop's own rules for its bot, enforced in the actions (so every packaging obeys them):
//! which statuses the bot may set and from which, how long a note may be, the audit trail in
//! the order's history, the limit on failed e-mail checks, masked personal data, and signed
//! invoice links.

use std::fmt;
use std::time::Duration;

use crate::failure::Failure;
use crate::input::{self, StatusRef};

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
/// The HMAC-SHA256 key of signed links: at least [`MIN_LINK_SECRET`] characters.
pub const KEY_INVOICE_LINK_SECRET: &str = "invoice-link-secret";
/// Where the Spin app is reachable, e.g. `https://bot.example.cz`: links are
/// `<base>/v1/invoice/<token>`.
pub const KEY_INVOICE_LINK_BASE_URL: &str = "invoice-link-base-url";
/// How long a signed link works, in minutes. Default 15.
pub const KEY_INVOICE_LINK_MINUTES: &str = "invoice-link-minutes";

/// Every guardrail key, in the order the README's table lists them.
pub const KEYS: [&str; 10] = [
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
];

// The message of `max-note-length` names the limit as a fixed text.
const _: () = assert!(input::MAX_NOTE == 5000);

pub const DEFAULT_VERIFY_ATTEMPTS: u32 = 5;
pub const DEFAULT_VERIFY_WINDOW: Duration = Duration::from_secs(3600);
pub const DEFAULT_LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// 32 characters: `openssl rand -hex 32` gives 64.
pub const MIN_LINK_SECRET: usize = 32;

/// The guardrails of one shop. The defaults are the seed's behaviour plus the audit trail and
/// the attempt limit.
#[derive(Clone, PartialEq, Eq)]
pub struct Guardrails {
    /// `None`: the bot may set any status.
    pub allowed_statuses: Option<StatusPolicy>,
    pub max_note_length: Option<usize>,
    pub audit_trail: bool,
    /// 0: no limit.
    pub verify_attempts: u32,
    pub verify_window: Duration,
    pub mask_personal_data: bool,
    pub invoice_links: InvoiceLinks,
}

impl Default for Guardrails {
    fn default() -> Self {
        Self {
            allowed_statuses: None,
            max_note_length: None,
            audit_trail: true,
            verify_attempts: DEFAULT_VERIFY_ATTEMPTS,
            verify_window: DEFAULT_VERIFY_WINDOW,
            mask_personal_data: false,
            invoice_links: InvoiceLinks::Upgates,
        }
    }
}

impl fmt::Debug for Guardrails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guardrails")
            .field(
                "allowed_statuses",
                &self.allowed_statuses.as_ref().map(ToString::to_string),
            )
            .field("max_note_length", &self.max_note_length)
            .field("audit_trail", &self.audit_trail)
            .field("verify_attempts", &self.verify_attempts)
            .field("verify_window", &self.verify_window)
            .field("mask_personal_data", &self.mask_personal_data)
            .field("invoice_links", &self.invoice_links)
            .finish()
    }
}

/// How `order-documents` hands out the invoice.
#[derive(Clone, PartialEq, Eq)]
pub enum InvoiceLinks {
    /// Upgates' `invoice_pdf_url`.
    Upgates,
    /// `<base_url>/v1/invoice/<token>`, valid for `lifetime`.
    Signed {
        secret: String,
        base_url: String,
        lifetime: Duration,
    },
}

impl fmt::Debug for InvoiceLinks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvoiceLinks::Upgates => f.write_str("Upgates"),
            InvoiceLinks::Signed {
                base_url, lifetime, ..
            } => f
                .debug_struct("Signed")
                .field("secret", &"<redacted>")
                .field("base_url", base_url)
                .field("lifetime", lifetime)
                .finish(),
        }
    }
}

impl Guardrails {
    /// Reads the guardrail keys through `get`; a malformed value is `misconfigured`, naming
    /// the key and never the value.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, Failure> {
        let value = |key: &str| {
            get(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let defaults = Self::default();
        let allowed_statuses = value(KEY_ALLOWED_STATUSES)
            .map(|v| StatusPolicy::parse(&v))
            .transpose()?;
        let max_note_length = value(KEY_MAX_NOTE_LENGTH)
            .map(|v| {
                number(
                    KEY_MAX_NOTE_LENGTH,
                    &v,
                    1,
                    input::MAX_NOTE as u64,
                    "must be a whole number from 1 to 5000",
                )
            })
            .transpose()?
            .map(|n| n as usize);
        let audit_trail = flag(
            KEY_AUDIT_TRAIL,
            value(KEY_AUDIT_TRAIL),
            defaults.audit_trail,
        )?;
        let verify_attempts = value(KEY_VERIFY_ATTEMPTS)
            .map(|v| {
                number(
                    KEY_VERIFY_ATTEMPTS,
                    &v,
                    0,
                    1000,
                    "must be a whole number from 0 to 1000",
                )
            })
            .transpose()?
            .map_or(defaults.verify_attempts, |n| n as u32);
        let verify_window = minutes(KEY_VERIFY_WINDOW_MINUTES, value(KEY_VERIFY_WINDOW_MINUTES))?
            .unwrap_or(defaults.verify_window);
        let mask_personal_data = flag(
            KEY_MASK_PERSONAL_DATA,
            value(KEY_MASK_PERSONAL_DATA),
            defaults.mask_personal_data,
        )?;
        let invoice_links = match value(KEY_INVOICE_LINKS).as_deref() {
            None | Some("upgates") => InvoiceLinks::Upgates,
            Some("signed") if !cfg!(feature = "signed-links") => {
                return Err(misconfigured(
                    KEY_INVOICE_LINKS,
                    "can be signed only where the links are served: the Spin app and `upgates serve`",
                ));
            }
            Some("signed") => {
                let secret = value(KEY_INVOICE_LINK_SECRET).unwrap_or_default();
                // The examples' placeholder is public: links signed with it could be forged.
                if is_placeholder(&secret) {
                    return Err(misconfigured(
                        KEY_INVOICE_LINK_SECRET,
                        "is still the example's placeholder: set a secret of your own",
                    ));
                }
                if secret.chars().count() < MIN_LINK_SECRET {
                    return Err(misconfigured(
                        KEY_INVOICE_LINK_SECRET,
                        &format!(
                            "must be at least {MIN_LINK_SECRET} characters when `{KEY_INVOICE_LINKS}` is signed"
                        ),
                    ));
                }
                let base_url =
                    value(KEY_INVOICE_LINK_BASE_URL).map(|v| v.trim_end_matches('/').to_owned());
                let problem = match &base_url {
                    Some(url) => crate::config::url_problem(url),
                    None => Some("it is not set"),
                };
                if let Some(why) = problem {
                    return Err(misconfigured(
                        KEY_INVOICE_LINK_BASE_URL,
                        &format!(
                            "must be the bot's https:// address when `{KEY_INVOICE_LINKS}` is signed: {why}"
                        ),
                    ));
                }
                let base_url = base_url.unwrap_or_default();
                let lifetime = minutes(KEY_INVOICE_LINK_MINUTES, value(KEY_INVOICE_LINK_MINUTES))?
                    .unwrap_or(DEFAULT_LINK_LIFETIME);
                InvoiceLinks::Signed {
                    secret,
                    base_url,
                    lifetime,
                }
            }
            Some(_) => {
                return Err(misconfigured(
                    KEY_INVOICE_LINKS,
                    "must be upgates or signed",
                ));
            }
        };
        Ok(Self {
            allowed_statuses,
            max_note_length,
            audit_trail,
            verify_attempts,
            verify_window,
            mask_personal_data,
            invoice_links,
        })
    }

    /// The settings that differ from their defaults, as config key/value pairs
    /// ([`Self::from_lookup`] reads them back to an equal value, applying the same defaults),
    /// for a host that hands them to the component. A default is left out: each pair is two
    /// strings the component must receive and parse on every call.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let default = Self::default();
        let mut pairs = Vec::new();
        if let Some(statuses) = &self.allowed_statuses {
            pairs.push((KEY_ALLOWED_STATUSES, statuses.to_string()));
        }
        if let Some(max) = self.max_note_length {
            pairs.push((KEY_MAX_NOTE_LENGTH, max.to_string()));
        }
        if self.audit_trail != default.audit_trail {
            pairs.push((KEY_AUDIT_TRAIL, self.audit_trail.to_string()));
        }
        if self.verify_attempts != default.verify_attempts {
            pairs.push((KEY_VERIFY_ATTEMPTS, self.verify_attempts.to_string()));
        }
        if self.verify_window != default.verify_window {
            pairs.push((
                KEY_VERIFY_WINDOW_MINUTES,
                (self.verify_window.as_secs() / 60).to_string(),
            ));
        }
        if self.mask_personal_data != default.mask_personal_data {
            pairs.push((KEY_MASK_PERSONAL_DATA, self.mask_personal_data.to_string()));
        }
        if let InvoiceLinks::Signed {
            secret,
            base_url,
            lifetime,
        } = &self.invoice_links
        {
            pairs.extend([
                (KEY_INVOICE_LINKS, "signed".into()),
                (KEY_INVOICE_LINK_SECRET, secret.clone()),
                (KEY_INVOICE_LINK_BASE_URL, base_url.clone()),
                (
                    KEY_INVOICE_LINK_MINUTES,
                    (lifetime.as_secs() / 60).to_string(),
                ),
            ]);
        }
        pairs
    }

    /// `not-allowed` when `text` is longer than `max-note-length`.
    pub(crate) fn check_note(&self, text: &str) -> Result<(), Failure> {
        match self.max_note_length {
            Some(max) if text.chars().count() > max => Err(Failure::NotAllowed(format!(
                "`{KEY_MAX_NOTE_LENGTH}` allows notes of at most {max} characters"
            ))),
            _ => Ok(()),
        }
    }
}

fn misconfigured(key: &str, why: &str) -> Failure {
    Failure::Misconfigured(format!("`{key}` {why}"))
}

fn flag(key: &str, value: Option<String>, default: bool) -> Result<bool, Failure> {
    match value.as_deref() {
        None => Ok(default),
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(_) => Err(misconfigured(key, "must be true or false")),
    }
}

/// A whole number in `min..=max`; `why` says so (a fixed text: each `format!` costs the
/// component bytes).
fn number(key: &str, value: &str, min: u64, max: u64, why: &str) -> Result<u64, Failure> {
    value
        .parse::<u64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| misconfigured(key, why))
}

fn minutes(key: &str, value: Option<String>) -> Result<Option<Duration>, Failure> {
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

/// `allowed-statuses`: the statuses the bot may set, each with the current statuses it may
/// set them from (empty: from any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusPolicy {
    pub rules: Vec<StatusRule>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusRule {
    pub target: StatusRef,
    pub from: Vec<StatusRef>,
}

impl StatusRule {
    /// Adds what another entry for the same status allows: a status listed twice may be set
    /// from what either entry allows, and from any when either says so (no current statuses).
    pub(crate) fn absorb(&mut self, from: Vec<StatusRef>) {
        if self.from.is_empty() || from.is_empty() {
            self.from.clear();
            return;
        }
        for status in from {
            if !self.from.contains(&status) {
                self.from.push(status);
            }
        }
    }
}

impl StatusPolicy {
    /// `Odeslaná; Stornovaná: Přijatá|2; 5`: rules split by `;`, a rule's allowed current
    /// statuses after `:`, split by `|`. Ids are numbers, anything else a name.
    pub fn parse(raw: &str) -> Result<Self, Failure> {
        let bad = |why: &str| misconfigured(KEY_ALLOWED_STATUSES, why);
        let status = |s: &str| {
            input::status(s).map_err(|_| bad("has an empty, too long or malformed status"))
        };
        let mut rules: Vec<StatusRule> = Vec::new();
        for entry in raw.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let (target, from) = match entry.split_once(':') {
                Some((target, from)) => (target, Some(from)),
                None => (entry, None),
            };
            let from = match from {
                None => Vec::new(),
                Some(list) => list.split('|').map(status).collect::<Result<Vec<_>, _>>()?,
            };
            if from.len() > 50 {
                return Err(bad("lists too many statuses"));
            }
            let target = status(target)?;
            match rules
                .iter_mut()
                .find(|rule| same_as_written(&rule.target, &target))
            {
                Some(rule) => {
                    rule.absorb(from);
                    if rule.from.len() > 50 {
                        return Err(bad("lists too many statuses"));
                    }
                }
                None => rules.push(StatusRule { target, from }),
            }
        }
        if rules.is_empty() || rules.len() > 100 {
            return Err(bad("must list 1 to 100 statuses, separated by `;`"));
        }
        Ok(Self { rules })
    }
}

impl fmt::Display for StatusPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, rule) in self.rules.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}", StatusName(&rule.target))?;
            for (j, from) in rule.from.iter().enumerate() {
                f.write_str(if j == 0 { ": " } else { "|" })?;
                write!(f, "{}", StatusName(from))?;
            }
        }
        Ok(())
    }
}

/// Two statuses as written are the same: equal ids, or names equal after trimming, ignoring
/// ASCII case only (Unicode case tables would cost the component 4 KiB, and a mismatch
/// refuses: the safe side). An id and a name are not, without the shop's statuses.
pub(crate) fn same_as_written(a: &StatusRef, b: &StatusRef) -> bool {
    match (a, b) {
        (StatusRef::Id(x), StatusRef::Id(y)) => x == y,
        (StatusRef::Name(x), StatusRef::Name(y)) => same_name(x, y),
        _ => false,
    }
}

/// Two status names are the same status (see [`same_as_written`]).
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// A status as people write it: its id or its name.
pub(crate) struct StatusName<'a>(pub &'a StatusRef);

impl fmt::Display for StatusName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            StatusRef::Id(id) => write!(f, "{id}"),
            StatusRef::Name(name) => f.write_str(name),
        }
    }
}

/// A secret still as the deploy examples write it (`REPLACE-WITH-...`).
pub fn is_placeholder(secret: &str) -> bool {
    secret.to_ascii_uppercase().contains("REPLACE-WITH")
}

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

/// The order history record of a write (Upgates cuts names to 50 and values to 500 characters;
/// cut here, so what is sent is what is kept).
pub(crate) fn audit_record(name: &str, value: &str) -> AuditRecord {
    AuditRecord {
        data: [AuditEntry {
            name: cut(name, 50),
            value: cut(value, 500),
        }],
    }
}

/// `POST /orders/{n}/history` body: `{"data": [{"name": ..., "value": ...}]}`.
#[derive(Debug, serde::Serialize)]
pub(crate) struct AuditRecord {
    data: [AuditEntry; 1],
}

#[derive(Debug, serde::Serialize)]
struct AuditEntry {
    name: String,
    value: String,
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut kept: String = text.chars().take(max - 1).collect();
        kept.push('…');
        kept
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
    use crate::config::tests::lookup;

    #[test]
    fn defaults_are_the_seed_plus_audit_and_attempts() {
        let g = Guardrails::from_lookup(|_| None).unwrap();
        assert_eq!(g, Guardrails::default());
        assert!(g.audit_trail && g.allowed_statuses.is_none() && !g.mask_personal_data);
        assert_eq!((g.verify_attempts, g.verify_window.as_secs()), (5, 3600));
    }

    #[test]
    fn parses_status_rules_and_round_trips() {
        let policy = StatusPolicy::parse(" Odeslaná ; Stornovaná: Přijatá | 2 ;5;").unwrap();
        assert_eq!(
            policy.rules,
            vec![
                StatusRule {
                    target: StatusRef::Name("Odeslaná".into()),
                    from: vec![]
                },
                StatusRule {
                    target: StatusRef::Name("Stornovaná".into()),
                    from: vec![StatusRef::Name("Přijatá".into()), StatusRef::Id(2)],
                },
                StatusRule {
                    target: StatusRef::Id(5),
                    from: vec![]
                },
            ]
        );
        assert_eq!(policy.to_string(), "Odeslaná; Stornovaná: Přijatá|2; 5");
        assert_eq!(StatusPolicy::parse(&policy.to_string()).unwrap(), policy);
        // A status listed twice: from what either entry allows, from any when one says so.
        let twice = StatusPolicy::parse("Stornovaná: Přijatá|2; 5: 1;  stornovaná : 2|Nová; 5");
        assert_eq!(twice.unwrap().to_string(), "Stornovaná: Přijatá|2|Nová; 5");
        for bad in ["", " ; ", "A: ", "A:|B"] {
            assert_eq!(
                StatusPolicy::parse(bad).unwrap_err().reason(),
                "misconfigured",
                "{bad}"
            );
        }
    }

    #[test]
    #[cfg(feature = "signed-links")]
    fn every_setting_round_trips_through_pairs() {
        let g = Guardrails::from_lookup(lookup(&[
            (KEY_ALLOWED_STATUSES, "3; Stornovaná: 1"),
            (KEY_MAX_NOTE_LENGTH, "200"),
            (KEY_AUDIT_TRAIL, "false"),
            (KEY_VERIFY_ATTEMPTS, "3"),
            (KEY_VERIFY_WINDOW_MINUTES, "30"),
            (KEY_MASK_PERSONAL_DATA, "true"),
            (KEY_INVOICE_LINKS, "signed"),
            (KEY_INVOICE_LINK_SECRET, "0123456789abcdef0123456789abcdef"),
            (KEY_INVOICE_LINK_BASE_URL, "https://bot.example.cz/"),
            (KEY_INVOICE_LINK_MINUTES, "5"),
        ]))
        .unwrap();
        let pairs = g.to_pairs();
        let back = Guardrails::from_lookup(|k| {
            pairs
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.clone())
        })
        .unwrap();
        assert_eq!(back, g);
        assert!(!format!("{g:?}").contains("0123456789abcdef"));
        assert_eq!(
            g.invoice_links,
            InvoiceLinks::Signed {
                secret: "0123456789abcdef0123456789abcdef".into(),
                base_url: "https://bot.example.cz".into(),
                lifetime: Duration::from_secs(300),
            }
        );
    }

    #[test]
    fn malformed_settings_name_the_key_not_the_value() {
        for (key, value) in [
            (KEY_MAX_NOTE_LENGTH, "99999"),
            (KEY_MAX_NOTE_LENGTH, "lots"),
            (KEY_AUDIT_TRAIL, "yes"),
            (KEY_VERIFY_ATTEMPTS, "-1"),
            (KEY_VERIFY_WINDOW_MINUTES, "77777"),
            (KEY_INVOICE_LINKS, "pdf"),
        ] {
            let err = Guardrails::from_lookup(lookup(&[(key, value)])).unwrap_err();
            assert_eq!(err.reason(), "misconfigured");
            assert!(
                err.message().contains(key) && !err.message().contains(value),
                "{err}"
            );
        }
        let short = Guardrails::from_lookup(lookup(&[
            (KEY_INVOICE_LINKS, "signed"),
            (KEY_INVOICE_LINK_SECRET, "short-secret"),
            (KEY_INVOICE_LINK_BASE_URL, "https://bot.example.cz"),
        ]))
        .unwrap_err();
        if cfg!(feature = "signed-links") {
            assert!(short.message().contains(KEY_INVOICE_LINK_SECRET));
        }
        assert!(!short.message().contains("short-secret"));
        let no_base = Guardrails::from_lookup(lookup(&[
            (KEY_INVOICE_LINKS, "signed"),
            (KEY_INVOICE_LINK_SECRET, "0123456789abcdef0123456789abcdef"),
        ]))
        .unwrap_err();
        if cfg!(feature = "signed-links") {
            assert!(no_base.message().contains(KEY_INVOICE_LINK_BASE_URL));
        }
        // The deploy example's placeholder, left as it is, would send customers to a domain
        // anyone could register.
        let example_base = Guardrails::from_lookup(lookup(&[
            (KEY_INVOICE_LINKS, "signed"),
            (KEY_INVOICE_LINK_SECRET, "0123456789abcdef0123456789abcdef"),
            (KEY_INVOICE_LINK_BASE_URL, "https://bot.YOUR-SHOP.cz"),
        ]))
        .unwrap_err();
        if cfg!(feature = "signed-links") {
            assert!(
                example_base.message().contains(KEY_INVOICE_LINK_BASE_URL)
                    && example_base.message().contains("placeholder"),
                "{example_base}"
            );
        }
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

    #[test]
    fn audit_records_are_cut_to_upgates_limits() {
        let record = serde_json::to_value(audit_record(&"n".repeat(60), &"v".repeat(600))).unwrap();
        let name = record["data"][0]["name"].as_str().unwrap();
        let value = record["data"][0]["value"].as_str().unwrap();
        assert_eq!((name.chars().count(), value.chars().count()), (50, 500));
        assert!(value.ends_with('…'));
    }
}
