//! Per-endpoint rights of the API user (`deny` | `readonly` | `all`) and `GET /api/v2/status`.

use serde_json::{Value, json};

/// The services the fake serves, listed by `/status` in this order.
pub(crate) const SERVICES: [&str; 4] = ["orders", "order-statuses", "invoices", "products"];

/// Upgates' documentation, as `/status` links it.
const DOCUMENTATION_LINK: &str = "https://upgatesapiv2.docs.apiary.io/";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Privilege {
    Deny,
    ReadOnly,
    All,
}

impl Privilege {
    /// `deny`, `readonly` or `all` (any case); anything else counts as `deny`.
    fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" => Self::All,
            "readonly" => Self::ReadOnly,
            _ => Self::Deny,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Deny => "deny",
            Self::ReadOnly => "readonly",
            Self::All => "all",
        }
    }
}

#[derive(Debug)]
pub(crate) struct Rights(Vec<(String, Privilege)>);

impl Default for Rights {
    fn default() -> Self {
        Self(
            SERVICES
                .iter()
                .map(|s| ((*s).to_owned(), Privilege::All))
                .collect(),
        )
    }
}

impl Rights {
    pub(crate) fn set(&mut self, service: &str, privilege: &str) {
        let privilege = Privilege::parse(privilege);
        match self.0.iter_mut().find(|(s, _)| s == service) {
            Some(entry) => entry.1 = privilege,
            None => self.0.push((service.to_owned(), privilege)),
        }
    }

    /// The privilege on a service; services never mentioned are allowed.
    pub(crate) fn of(&self, service: &str) -> Privilege {
        self.0
            .iter()
            .find(|(s, _)| s == service)
            .map_or(Privilege::All, |(_, p)| *p)
    }

    /// The `/status` body; `api_base` is `scheme://host` of the shop.
    pub(crate) fn status_body(&self, api_base: &str) -> Value {
        let services: Vec<Value> = self
            .0
            .iter()
            .map(|(service, privilege)| {
                json!({
                    "service": service,
                    "url": format!("{api_base}/api/v2/{service}"),
                    "privilege": privilege.as_str(),
                })
            })
            .collect();
        json!({ "services": services, "documentation_link": DOCUMENTATION_LINK })
    }
}
