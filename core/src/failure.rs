//! Why an action answered "Ne".

use std::fmt;

/// The reason an action failed. Mirrors the WIT `failure` variant.
///
/// Messages are written by this crate only: they never quote the API key, the login, an
/// e-mail address or a phone number, and never echo upstream bodies verbatim.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    NotFound,
    NotVerified,
    InvalidInput(String),
    Unauthorized,
    Forbidden,
    RateLimited(Option<String>),
    Timeout,
    Upstream(String),
    Misconfigured(String),
    /// The shop's guardrails refuse the write; the message names the rule. Nothing was sent.
    NotAllowed(String),
}

impl Failure {
    /// The kebab-case reason, as the WIT variant names it (`not-found`, ...).
    pub fn reason(&self) -> &'static str {
        match self {
            Failure::NotFound => "not-found",
            Failure::NotVerified => "not-verified",
            Failure::InvalidInput(_) => "invalid-input",
            Failure::Unauthorized => "unauthorized",
            Failure::Forbidden => "forbidden",
            Failure::RateLimited(_) => "rate-limited",
            Failure::Timeout => "timeout",
            Failure::Upstream(_) => "upstream",
            Failure::Misconfigured(_) => "misconfigured",
            Failure::NotAllowed(_) => "not-allowed",
        }
    }

    /// A sentence for people (logs, the CLI's `message`).
    pub fn message(&self) -> String {
        match self {
            Failure::NotFound => "no such order".into(),
            Failure::NotVerified => "the order number and e-mail do not match".into(),
            Failure::InvalidInput(m) => format!("invalid input: {m}"),
            Failure::Unauthorized => "Upgates refused the API login or key (HTTP 401)".into(),
            Failure::Forbidden => {
                "Upgates refused access (HTTP 403): the API user lacks the right or is locked"
                    .into()
            }
            Failure::RateLimited(Some(at)) => {
                format!("Upgates' request limit was hit (HTTP 429); retry after {at}")
            }
            Failure::RateLimited(None) => "Upgates' request limit was hit (HTTP 429)".into(),
            Failure::Timeout => "Upgates did not answer in time".into(),
            Failure::Upstream(m) => format!("unexpected answer from Upgates: {m}"),
            Failure::Misconfigured(m) => format!("shop configuration: {m}"),
            Failure::NotAllowed(m) => format!("not allowed by the shop's bot policy: {m}"),
        }
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Failure::InvalidInput(msg.into())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason(), self.message())
    }
}

impl std::error::Error for Failure {}
