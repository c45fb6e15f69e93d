//! The shop's own rules for its bot, enforced in the actions (so every packaging obeys them),
//! read into one [`Guardrails`]: which statuses the bot may set ([`crate::status_policy`]), how
//! long a note may be, the audit trail (`audit.rs`), the limit on failed e-mail checks,
//! masked personal data ([`crate::personal_data`]), signed invoice links, the actions the bot
//! may call at all and the proofs that bind a write to an e-mail check ([`crate::proof`]). The
//! keys and their defaults are in [`crate::settings`].

use std::fmt;
use std::time::Duration;

use crate::action::ActionName;
use crate::base_url::url_problem;
use crate::failure::Failure;
use crate::input;
use crate::settings::{
    DEFAULT_LINK_DOWNLOADS, KEY_INVOICE_LINK_DOWNLOADS, flag, minutes, misconfigured, number,
};

pub use crate::personal_data::{mask_email, mask_phone, redact_personal};
pub use crate::settings::{
    DEFAULT_LINK_LIFETIME, DEFAULT_PROOF_LIFETIME, DEFAULT_VERIFY_ATTEMPTS, DEFAULT_VERIFY_WINDOW,
    KEY_ALLOWED_STATUSES, KEY_AUDIT_TRAIL, KEY_ENABLED_ACTIONS, KEY_INVOICE_LINK_BASE_URL,
    KEY_INVOICE_LINK_MINUTES, KEY_INVOICE_LINK_SECRET, KEY_INVOICE_LINKS, KEY_MASK_PERSONAL_DATA,
    KEY_MAX_NOTE_LENGTH, KEY_PROOF_MINUTES, KEY_PROOF_SECRET, KEY_REQUIRE_PROOF,
    KEY_VERIFY_ATTEMPTS, KEY_VERIFY_WINDOW_MINUTES, KEYS, MIN_SECRET, is_placeholder,
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
    pub enabled_actions: EnabledActions,
    /// The key of the proofs the e-mail-gated actions answer; `None`: they answer none.
    pub proof_secret: Option<String>,
    pub proof_lifetime: Duration,
    /// The writes and `customer-email` take only their order's proof (needs `proof_secret`).
    pub require_proof: bool,
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
            enabled_actions: EnabledActions::ALL,
            proof_secret: None,
            proof_lifetime: DEFAULT_PROOF_LIFETIME,
            require_proof: false,
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
            .field("enabled_actions", &self.enabled_actions)
            .field(
                "proof_secret",
                &self.proof_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("proof_lifetime", &self.proof_lifetime)
            .field("require_proof", &self.require_proof)
            .finish()
    }
}

/// The actions a shop's bot may call: one bit per [`ActionName`], in [`ActionName::ALL`]'s order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EnabledActions(u16);

impl EnabledActions {
    pub const ALL: Self = Self((1 << ActionName::ALL.len()) - 1);

    pub fn contains(self, action: ActionName) -> bool {
        self.0 & (1 << action as u16) != 0
    }

    /// The actions listed in `list` (WIT names, comma-separated); an unknown name is
    /// `misconfigured`, naming it.
    pub fn parse(list: &str) -> Result<Self, Failure> {
        let mut enabled = 0u16;
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let Ok(action) = name.parse::<ActionName>() else {
                let shown: String = name.chars().filter(|c| !c.is_control()).take(40).collect();
                return Err(misconfigured(
                    KEY_ENABLED_ACTIONS,
                    &format!("names no action `{shown}`"),
                ));
            };
            enabled |= 1 << action as u16;
        }
        // A list of only commas and spaces lists nothing: as if unset.
        Ok(if enabled == 0 {
            Self::ALL
        } else {
            Self(enabled)
        })
    }

    /// The actions, in [`ActionName::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = ActionName> {
        ActionName::ALL
            .into_iter()
            .filter(move |a| self.contains(*a))
    }
}

impl fmt::Display for EnabledActions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, action) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(action.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for EnabledActions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{self}]")
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
        /// How often one link may be downloaded.
        downloads: u32,
    },
}

impl fmt::Debug for InvoiceLinks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvoiceLinks::Upgates => f.write_str("Upgates"),
            InvoiceLinks::Signed {
                base_url,
                lifetime,
                downloads,
                ..
            } => f
                .debug_struct("Signed")
                .field("secret", &"<redacted>")
                .field("base_url", base_url)
                .field("lifetime", lifetime)
                .field("downloads", downloads)
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
                if secret.chars().count() < MIN_SECRET {
                    return Err(misconfigured(
                        KEY_INVOICE_LINK_SECRET,
                        &format!(
                            "must be at least {MIN_SECRET} characters when `{KEY_INVOICE_LINKS}` is signed"
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
                let downloads = value(KEY_INVOICE_LINK_DOWNLOADS)
                    .map(|v| {
                        number(
                            KEY_INVOICE_LINK_DOWNLOADS,
                            &v,
                            1,
                            100,
                            "must be a whole number from 1 to 100",
                        )
                    })
                    .transpose()?
                    .map_or(DEFAULT_LINK_DOWNLOADS, |n| n as u32);
                InvoiceLinks::Signed {
                    secret,
                    base_url,
                    lifetime,
                    downloads,
                }
            }
            Some(_) => {
                return Err(misconfigured(
                    KEY_INVOICE_LINKS,
                    "must be upgates or signed",
                ));
            }
        };
        let enabled_actions = value(KEY_ENABLED_ACTIONS)
            .map(|v| EnabledActions::parse(&v))
            .transpose()?
            .unwrap_or(EnabledActions::ALL);
        let proof_secret = value(KEY_PROOF_SECRET);
        if let Some(secret) = &proof_secret {
            // The examples' placeholder is public: proofs made with it could be forged.
            if is_placeholder(secret) {
                return Err(misconfigured(
                    KEY_PROOF_SECRET,
                    "is still the example's placeholder: set a secret of your own",
                ));
            }
            if secret.chars().count() < MIN_SECRET {
                return Err(misconfigured(
                    KEY_PROOF_SECRET,
                    &format!("must be at least {MIN_SECRET} characters"),
                ));
            }
        }
        let proof_lifetime =
            minutes(KEY_PROOF_MINUTES, value(KEY_PROOF_MINUTES))?.unwrap_or(DEFAULT_PROOF_LIFETIME);
        let require_proof = flag(KEY_REQUIRE_PROOF, value(KEY_REQUIRE_PROOF), false)?;
        // Required and impossible to make: every write would be refused, so it is the
        // configuration that is wrong, and it says so.
        if require_proof && proof_secret.is_none() {
            return Err(misconfigured(
                KEY_REQUIRE_PROOF,
                "needs `proof-secret` to make and check the proofs",
            ));
        }
        Ok(Self {
            allowed_statuses,
            max_note_length,
            audit_trail,
            verify_attempts,
            verify_window,
            mask_personal_data,
            invoice_links,
            enabled_actions,
            proof_secret,
            proof_lifetime,
            require_proof,
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
            downloads,
        } = &self.invoice_links
        {
            if *downloads != DEFAULT_LINK_DOWNLOADS {
                pairs.push((KEY_INVOICE_LINK_DOWNLOADS, downloads.to_string()));
            }
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
        if self.enabled_actions != EnabledActions::ALL {
            pairs.push((KEY_ENABLED_ACTIONS, self.enabled_actions.to_string()));
        }
        if let Some(secret) = &self.proof_secret {
            pairs.push((KEY_PROOF_SECRET, secret.clone()));
        }
        if self.proof_lifetime != default.proof_lifetime {
            pairs.push((
                KEY_PROOF_MINUTES,
                (self.proof_lifetime.as_secs() / 60).to_string(),
            ));
        }
        if self.require_proof {
            pairs.push((KEY_REQUIRE_PROOF, "true".into()));
        }
        pairs
    }

    /// `not-allowed` when `enabled-actions` does not list `action`.
    pub(crate) fn check_enabled(&self, action: ActionName) -> Result<(), Failure> {
        if self.enabled_actions.contains(action) {
            Ok(())
        } else {
            Err(Failure::NotAllowed(format!(
                "`{KEY_ENABLED_ACTIONS}` does not list `{action}`"
            )))
        }
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
            (KEY_INVOICE_LINK_DOWNLOADS, "7"),
            (KEY_ENABLED_ACTIONS, "verify-customer, set-order-status"),
            (KEY_PROOF_SECRET, "fedcba9876543210fedcba9876543210"),
            (KEY_PROOF_MINUTES, "10"),
            (KEY_REQUIRE_PROOF, "true"),
        ]))
        .unwrap();
        assert_eq!(
            g.enabled_actions.iter().collect::<Vec<_>>(),
            [ActionName::SetOrderStatus, ActionName::VerifyCustomer]
        );
        assert!(g.require_proof && g.proof_lifetime == Duration::from_secs(600));
        assert!(!format!("{g:?}").contains("fedcba98"));
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
                downloads: 7,
            }
        );
    }

    #[test]
    fn enabled_actions_read_wit_names_and_name_an_unknown_one() {
        let g = Guardrails::from_lookup(lookup(&[(
            KEY_ENABLED_ACTIONS,
            " verify-order,order-documents ,, ",
        )]))
        .unwrap();
        assert_eq!(
            g.enabled_actions.to_string(),
            "verify-order, order-documents"
        );
        assert_eq!(
            g.check_enabled(ActionName::AppendNote),
            Err(Failure::NotAllowed(
                "`enabled-actions` does not list `append-note`".into()
            ))
        );
        assert_eq!(g.check_enabled(ActionName::OrderDocuments), Ok(()));
        for all in ["", " , "] {
            let g = Guardrails::from_lookup(lookup(&[(KEY_ENABLED_ACTIONS, all)])).unwrap();
            assert_eq!(g.enabled_actions, EnabledActions::ALL, "{all:?}");
        }
        let err = Guardrails::from_lookup(lookup(&[(
            KEY_ENABLED_ACTIONS,
            "verify-order, delete-order",
        )]))
        .unwrap_err();
        assert_eq!(
            err,
            Failure::Misconfigured("`enabled-actions` names no action `delete-order`".into())
        );
    }

    #[test]
    fn require_proof_needs_a_proof_secret() {
        let err = Guardrails::from_lookup(lookup(&[(KEY_REQUIRE_PROOF, "true")])).unwrap_err();
        assert_eq!(
            err,
            Failure::Misconfigured(
                "`require-proof` needs `proof-secret` to make and check the proofs".into()
            )
        );
        let placeholder = Guardrails::from_lookup(lookup(&[(
            KEY_PROOF_SECRET,
            "REPLACE-WITH-openssl-rand-hex-32-output-here",
        )]))
        .unwrap_err();
        assert!(
            placeholder.message().contains("placeholder"),
            "{placeholder}"
        );
        // A secret alone: proofs answered, none required.
        let g = Guardrails::from_lookup(lookup(&[(
            KEY_PROOF_SECRET,
            "0123456789abcdef0123456789abcdef",
        )]))
        .unwrap();
        assert!(g.proof_secret.is_some() && !g.require_proof);
        assert_eq!(g.proof_lifetime, DEFAULT_PROOF_LIFETIME);
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
            (KEY_PROOF_MINUTES, "ninety"),
            (KEY_REQUIRE_PROOF, "yes"),
            (KEY_PROOF_SECRET, "too-short-a-secret"),
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
