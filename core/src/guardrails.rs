//! The shop's own rules for its bot, enforced in the actions (so every packaging obeys them),
//! read into one [`Guardrails`]: which statuses the bot may set ([`crate::status_policy`]), how
//! long a note may be, the audit trail (`audit.rs`), the limit on failed e-mail checks,
//! masked personal data ([`crate::personal_data`]) and signed invoice links. The keys and
//! their defaults are in [`crate::settings`].

use std::fmt;
use std::time::Duration;

use crate::base_url::url_problem;
use crate::failure::Failure;
use crate::input;
use crate::settings::{flag, minutes, misconfigured, number};

pub use crate::personal_data::{mask_email, mask_phone, redact_personal};
pub use crate::settings::{
    DEFAULT_LINK_LIFETIME, DEFAULT_VERIFY_ATTEMPTS, DEFAULT_VERIFY_WINDOW, KEY_ALLOWED_STATUSES,
    KEY_AUDIT_TRAIL, KEY_INVOICE_LINK_BASE_URL, KEY_INVOICE_LINK_MINUTES, KEY_INVOICE_LINK_SECRET,
    KEY_INVOICE_LINKS, KEY_MASK_PERSONAL_DATA, KEY_MAX_NOTE_LENGTH, KEY_VERIFY_ATTEMPTS,
    KEY_VERIFY_WINDOW_MINUTES, KEYS, MIN_LINK_SECRET, is_placeholder,
};
pub use crate::status_policy::{StatusPolicy, StatusRule};

// The message of `max-note-length` names the limit as a fixed text.
const _: () = assert!(input::MAX_NOTE == 5000);

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
                    Some(url) => url_problem(url),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::tests::lookup;

    #[test]
    fn defaults_are_the_seed_plus_audit_and_attempts() {
        let g = Guardrails::from_lookup(|_| None).unwrap();
        assert_eq!(g, Guardrails::default());
        assert!(g.audit_trail && g.allowed_statuses.is_none() && !g.mask_personal_data);
        assert_eq!((g.verify_attempts, g.verify_window.as_secs()), (5, 3600));
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
}
