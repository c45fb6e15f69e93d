//! For the people who set a shop up: `upgates check` (is the API URL right, can the API user
//! do what the nine actions need) and `upgates statuses` (what `set-order-status` accepts).
//! These call Upgates from the host through the same policy as the component's requests.

use std::fmt::Write as _;
use std::process::ExitCode;

use upgates_core::admin::{self, ApiStatus, OrderStatusList, Service};
use upgates_core::guardrails::{
    KEY_ALLOWED_STATUSES, KEY_ENABLED_ACTIONS, KEY_MASK_PERSONAL_DATA, KEY_PROOF_SECRET,
    KEY_REQUIRE_PROOF,
};
use upgates_core::{ActionName, ApiRequest, Failure, Guardrails};

use upgates_host::{RateLimits, ShopConnection};

/// What an API user may do with one service (`GET /api/v2/status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Privilege {
    Deny,
    ReadOnly,
    All,
}

impl Privilege {
    pub fn parse(text: &str) -> Self {
        match text {
            "all" => Privilege::All,
            "readonly" => Privilege::ReadOnly,
            _ => Privilege::Deny,
        }
    }

    pub fn allows(self, write: bool) -> bool {
        match self {
            Privilege::All => true,
            Privilege::ReadOnly => !write,
            Privilege::Deny => false,
        }
    }
}

/// The rights an action needs: (service, write?, required?). Optional ones only degrade it.
fn needs(action: ActionName) -> &'static [(&'static str, bool, bool)] {
    use ActionName::*;
    match action {
        VerifyOrder | CustomerEmail | VerifyCustomer | OrdersByPhone => &[("orders", false, true)],
        OrderDetail => &[("orders", false, true), ("products", false, false)],
        SetOrderStatus | ReplaceNote => &[("orders", true, true)],
        AppendNote => &[("orders", false, true), ("orders", true, true)],
        OrderDocuments => &[("orders", false, true), ("invoices", false, false)],
    }
}

/// One line of the check's table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionCheck {
    pub action: ActionName,
    /// Works fully.
    pub ok: bool,
    /// What is missing, for people.
    pub missing: Vec<String>,
    /// Cannot work at all (a required right is missing).
    pub broken: bool,
    /// Listed in `enabled-actions`: an action the shop turned off needs no rights.
    pub enabled: bool,
}

#[derive(Clone, Debug)]
pub struct CheckReport {
    /// A warning when the URL does not look like an Upgates API URL.
    pub url_warning: Option<String>,
    /// Where the shop's guardrails leave it open to anyone in the chat ([`exposure_warnings`]).
    pub exposure: Vec<String>,
    pub actions: Vec<ActionCheck>,
    pub rate_limits: Option<RateLimits>,
}

impl CheckReport {
    /// True when every action can work (optional rights may still be missing).
    pub fn all_actions_work(&self) -> bool {
        self.actions.iter().all(|a| !a.broken)
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for warning in self.url_warning.iter().chain(&self.exposure) {
            let _ = writeln!(out, "warning: {warning}");
        }
        let _ = writeln!(out, "{:<18} rights", "action");
        for a in &self.actions {
            let verdict = if !a.enabled {
                format!("off (not in `{KEY_ENABLED_ACTIONS}`)")
            } else if a.ok {
                "ok".to_owned()
            } else if a.broken {
                format!("CANNOT WORK: missing {}", a.missing.join(", "))
            } else {
                format!("works, degraded: missing {}", a.missing.join(", "))
            };
            let _ = writeln!(out, "{:<18} {verdict}", a.action.as_str());
        }
        match &self.rate_limits {
            Some(r) => {
                let show = |v: Option<u64>| v.map_or("?".to_owned(), |v| v.to_string());
                let _ = writeln!(
                    out,
                    "quota: {} of {} left this hour, {} of {} today, {} in total",
                    show(r.hour_remaining),
                    show(r.hour),
                    show(r.day_remaining),
                    show(r.day),
                    show(r.total_remaining)
                );
            }
            None => {
                let _ = writeln!(out, "quota: Upgates sent no X-Rate-Limit-* headers");
            }
        }
        out
    }
}

/// `https://<shop>.admin.<server>.upgates.com/api/v2`, the shape the admin shows.
pub fn url_warning(api_url: &str) -> Option<String> {
    let rest = api_url.strip_prefix("https://").unwrap_or_default();
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let labels: Vec<&str> = host.split('.').collect();
    let shaped = labels.len() == 5
        && labels[1] == "admin"
        && labels[3] == "upgates"
        && labels[4] == "com"
        && path.trim_end_matches('/') == "api/v2";
    (!shaped).then(|| {
        "the API URL is not shaped like https://<shop>.admin.<server>.upgates.com/api/v2 (copy it from Doplňky > API)".into()
    })
}

/// Where the shop's settings let a stranger in the chat change or learn more than a customer
/// who proved the order's e-mail could: the enabled writes with any status, `customer-email`
/// unmasked to whoever knows an order number, writes that take no proof.
pub fn exposure_warnings(guardrails: &Guardrails) -> Vec<String> {
    let enabled = |action| guardrails.enabled_actions.contains(action);
    let writes: Vec<&str> = [
        ActionName::SetOrderStatus,
        ActionName::AppendNote,
        ActionName::ReplaceNote,
    ]
    .into_iter()
    .filter(|a| enabled(*a))
    .map(ActionName::as_str)
    .collect();
    let mut warnings = Vec::new();
    if enabled(ActionName::SetOrderStatus) && guardrails.allowed_statuses.is_none() {
        warnings.push(format!(
            "set-order-status may set any status: list the ones the bot may set in `{KEY_ALLOWED_STATUSES}`, or leave it out of `{KEY_ENABLED_ACTIONS}`"
        ));
    }
    if enabled(ActionName::CustomerEmail)
        && !guardrails.require_proof
        && !guardrails.mask_personal_data
    {
        warnings.push(format!(
            "customer-email tells anyone who has an order number its customer's e-mail: set `{KEY_REQUIRE_PROOF}` or `{KEY_MASK_PERSONAL_DATA}`, or leave it out of `{KEY_ENABLED_ACTIONS}`"
        ));
    }
    if !writes.is_empty() && !guardrails.require_proof {
        warnings.push(format!(
            "the writes ({}) take only an order number: set `{KEY_PROOF_SECRET}` and `{KEY_REQUIRE_PROOF}` so they need the proof of the customer's e-mail check",
            writes.join(", ")
        ));
    }
    warnings
}

/// Sends one of core's requests through the shop's policy and reads the answer as `T`.
async fn get<T: serde::de::DeserializeOwned>(
    shop: &ShopConnection,
    request: ApiRequest,
) -> Result<(T, Option<RateLimits>), Failure> {
    let response = shop.policy.send_api(request).await?;
    upgates_core::api::check_status(&response)?;
    let answer = serde_json::from_slice(&response.body)
        .map_err(|_| Failure::Upstream("the response is not valid JSON".into()))?;
    Ok((answer, shop.policy.rate_limits()))
}

/// What `/status` grants for `service` (`orders`, ...): the entry of that name, or, since
/// Upgates documents the `url` of each entry but not its names, the entry whose URL is that
/// endpoint (`.../api/v2/orders`). Not listed at all: no right.
pub fn privilege_of(services: &[Service], service: &str) -> Privilege {
    let endpoint = format!("/api/v2/{service}");
    let named = |s: &&Service| s.service.as_deref() == Some(service);
    let at_url = |s: &&Service| {
        s.url
            .as_deref()
            .is_some_and(|url| url.trim_end_matches('/').ends_with(&endpoint))
    };
    services
        .iter()
        .find(named)
        .or_else(|| services.iter().find(at_url))
        .and_then(|s| s.privilege.as_deref())
        .map_or(Privilege::Deny, Privilege::parse)
}

/// One `GET /api/v2/status`: the rights of the API user against what each action needs.
pub async fn check(shop: &ShopConnection) -> Result<CheckReport, Failure> {
    let (status, rate_limits): (ApiStatus, _) =
        get(shop, admin::status_request(&shop.config)).await?;
    let privilege = |service: &str| privilege_of(&status.services, service);
    let actions = ActionName::ALL
        .into_iter()
        .map(|action| {
            let mut missing = Vec::new();
            let mut broken = false;
            let enabled = shop.config.guardrails.enabled_actions.contains(action);
            for &(service, write, required) in needs(action).iter().filter(|_| enabled) {
                if !privilege(service).allows(write) {
                    missing.push(format!(
                        "{service} {}",
                        if write { "write" } else { "read" }
                    ));
                    broken |= required;
                }
            }
            ActionCheck {
                action,
                ok: missing.is_empty(),
                missing,
                broken,
                enabled,
            }
        })
        .collect();
    Ok(CheckReport {
        url_warning: url_warning(&shop.config.api_url),
        exposure: exposure_warnings(&shop.config.guardrails),
        actions,
        rate_limits,
    })
}

/// One order status: its id, type and names per language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusInfo {
    pub id: i64,
    pub kind: String,
    pub names: Vec<(String, String)>,
}

/// `GET /api/v2/order-statuses`: the statuses with an id, in Upgates' order.
pub async fn statuses(shop: &ShopConnection) -> Result<Vec<StatusInfo>, Failure> {
    let (list, _): (OrderStatusList, _) =
        get(shop, admin::order_statuses_request(&shop.config)).await?;
    Ok(list
        .order_statuses
        .into_iter()
        .filter_map(|status| {
            Some(StatusInfo {
                id: status.id?,
                kind: status.kind.unwrap_or_default(),
                names: status
                    .descriptions
                    .into_iter()
                    .filter_map(|d| Some((d.language_id?, d.name?)))
                    .collect(),
            })
        })
        .collect())
}

pub fn statuses_text(statuses: &[StatusInfo]) -> String {
    let mut out = format!("{:<6} {:<20} names\n", "id", "type");
    for s in statuses {
        let names: Vec<String> = s
            .names
            .iter()
            .map(|(lang, name)| format!("{lang}: {name}"))
            .collect();
        let _ = writeln!(out, "{:<6} {:<20} {}", s.id, s.kind, names.join(" | "));
    }
    out
}

/// `upgates check`: the table on stdout; exit 1 when an action cannot work. The exposure
/// warnings do not change the exit code: they name choices a shop may make on purpose (a
/// staff-only bot), and a script that checks the API user's rights must not start failing.
pub async fn run_check(shop: &ShopConnection) -> ExitCode {
    match check(shop).await {
        Ok(report) => {
            print!("{}", report.to_text());
            if report.all_actions_work() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(failure) => {
            eprintln!("upgates check: {}", failure.message());
            ExitCode::FAILURE
        }
    }
}

/// `upgates statuses`: the list on stdout.
pub async fn run_statuses(shop: &ShopConnection) -> ExitCode {
    match statuses(shop).await {
        Ok(list) => {
            print!("{}", statuses_text(&list));
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("upgates statuses: {}", failure.message());
            ExitCode::FAILURE
        }
    }
}
