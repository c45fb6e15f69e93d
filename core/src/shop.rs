//! One shop over one transport, and the steps several actions share: the call with its
//! rate-limit retry, reading and verifying an order, the PUT, the audit record. The actions
//! themselves are in [`crate::actions`], one file each.

use std::fmt::Write as _;
use std::time::Duration;

use crate::answer::OrderSummary;
use crate::api::{
    ApiRequest, ApiResponse, Method, Requests, Upstream, check_status, parse_json, retry_after,
};
use crate::attempts::{AttemptLog, MemoryAttempts};
use crate::config::ShopConfig;
use crate::display;
use crate::failure::Failure;
use crate::guardrails::{self, StatusName, StatusPolicy, StatusRule, audit_record};
use crate::input::{self, StatusRef};
use crate::model::{Order, OrderUpdate, OrdersPage, PutOrders, PutOrdersResult, StatusesPage};

/// The longest `Retry-After` a GET waits for before retrying once; longer is `rate-limited`.
pub const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(2);

/// One shop's actions over one transport, counting failed e-mail checks in `A`.
pub struct Shop<U, A = MemoryAttempts> {
    pub(crate) config: ShopConfig,
    pub(crate) upstream: U,
    pub(crate) attempts: A,
}

impl<U: Upstream> Shop<U> {
    /// Failed e-mail checks are counted in this `Shop` only: packagings whose `Shop` lives
    /// for one call give it a longer-lived log with [`Shop::with_attempt_log`].
    pub fn new(config: ShopConfig, upstream: U) -> Self {
        Self::with_attempt_log(config, upstream, MemoryAttempts::new())
    }
}

impl<U: Upstream, A: AttemptLog> Shop<U, A> {
    /// The shop, counting failed e-mail checks in `attempts`.
    pub fn with_attempt_log(config: ShopConfig, upstream: U, attempts: A) -> Self {
        Self {
            config,
            upstream,
            attempts,
        }
    }

    pub fn config(&self) -> &ShopConfig {
        &self.config
    }

    /// The transport back (tests inspect what it recorded).
    pub fn into_upstream(self) -> U {
        self.upstream
    }

    pub(crate) fn requests(&self) -> Requests<'_> {
        Requests::new(&self.config)
    }

    /// Sends and checks the status: every non-2xx answer becomes its failure. A GET that
    /// hits the rate limit is retried once when Upgates asks for a short wait (at most
    /// [`MAX_RATE_LIMIT_WAIT`]); writes are never resent.
    pub(crate) async fn call(&self, request: ApiRequest) -> Result<ApiResponse, Failure> {
        let retry = (request.method == Method::Get).then(|| request.clone());
        let mut response = self.upstream.send(request).await?;
        if let (429, Some(request)) = (response.status, retry) {
            let wait = retry_after(&response, self.upstream.now());
            if let Some(wait) = wait.filter(|w| *w <= MAX_RATE_LIMIT_WAIT)
                && self.upstream.sleep(wait).await
            {
                response = self.upstream.send(request).await?;
            }
        }
        check_status(&response)?;
        Ok(response)
    }

    /// `GET /orders/{n}`: 404 and an empty `orders` list both mean not found. `fresh` asks any
    /// cache in between for an uncached read (before a write built on it).
    pub(crate) async fn order(&self, order_number: &str, fresh: bool) -> Result<Order, Failure> {
        let mut request = self.requests().get(&["orders", order_number], &[]);
        if fresh {
            request.headers.push(("cache-control", "no-cache".into()));
        }
        let page: OrdersPage = parse_json(&self.call(request).await?)?;
        page.orders
            .into_iter()
            .find(|o| o.order_number.as_deref().is_none_or(|n| n == order_number))
            .ok_or(Failure::NotFound)
    }

    /// The order, only when `email` is its customer's. A missing order and a wrong e-mail
    /// answer the same, so the bot is no oracle for guessing order numbers.
    ///
    /// With `verify-attempts` failed or unfinished checks for the order number within the
    /// window, the answer is `not-verified` without asking Upgates, whatever the e-mail. The
    /// check is held before Upgates is asked (so concurrent checks cannot all slip under the
    /// limit) and withdrawn when it passes or Upgates gives no answer.
    pub(crate) async fn verified_order(
        &self,
        order_number: &str,
        email: &str,
    ) -> Result<Order, Failure> {
        let guardrails = &self.config.guardrails;
        let (limit, window) = (guardrails.verify_attempts, guardrails.verify_window);
        let limited = limit > 0;
        if limited
            && !self
                .attempts
                .begin_check(order_number, limit, window)
                .await?
        {
            return Err(Failure::NotVerified);
        }
        let checked = match self.order(order_number, false).await {
            Ok(order)
                if order
                    .customer
                    .email
                    .as_deref()
                    .is_some_and(|on_order| input::same_email(on_order, email)) =>
            {
                Ok(order)
            }
            Ok(_) | Err(Failure::NotFound) => return Err(Failure::NotVerified),
            // No answer to check against (timeout, rate limit, ...): not a failed check.
            Err(other) => Err(other),
        };
        if limited {
            // A store that fails here leaves the check counted as failed: the safe side.
            let _ = self.attempts.withdraw_check(order_number, window).await;
        }
        checked
    }

    /// `PUT /orders` for one order. Upgates e-mails and texts the customer on a status change
    /// unless told not to (both flags default to true), so both are always sent explicitly.
    pub(crate) async fn put_order(
        &self,
        order: OrderUpdate<'_>,
        notify: bool,
    ) -> Result<(), Failure> {
        let order_number = order.order_number;
        let body = PutOrders {
            orders: [order],
            send_emails_yn: notify,
            send_sms_yn: notify,
        };
        let response = self.call(self.requests().put_orders(&body)).await?;
        let result: PutOrdersResult = parse_json(&response)?;
        let Some(item) = result.orders.first() else {
            return Err(Failure::Upstream(
                "Upgates did not report the update".into(),
            ));
        };
        if item.updated_yn.0 {
            return Ok(());
        }
        let messages: Vec<&str> = item
            .messages
            .iter()
            .filter_map(|m| m.message.as_deref())
            .filter(|m| !m.trim().is_empty())
            .collect();
        let said: String = messages
            .join("; ")
            .chars()
            .filter(|c| !c.is_control())
            .take(300)
            .collect();
        let said = guardrails::redact_personal(&said, order_number);
        Err(Failure::Upstream(if said.is_empty() {
            "Upgates did not update the order".into()
        } else {
            format!("Upgates did not update the order: {said}")
        }))
    }

    /// Records a successful write in the order's history (`POST /orders/{n}/history`), when
    /// `audit-trail` is on. The write has happened: a failed record does not turn the answer
    /// into "Ne" (a bot retrying would write twice); the host and the Spin app log a refused
    /// write as a warning.
    pub(crate) async fn audit(&self, order_number: &str, name: &str, value: &str) {
        if !self.config.guardrails.audit_trail {
            return;
        }
        let request = self.requests().post(
            &["orders", order_number, "history"],
            &audit_record(name, value),
        );
        let _ = self.call(request).await;
    }

    /// The rule for setting `target`, if the policy lists it. A status may be listed by id and
    /// again by name: it may then be set from what either entry allows. Entries of the same
    /// kind were merged when the policy was read, so only an id meeting a name needs the
    /// shop's statuses, and not when the direct entry already allows any current status.
    pub(crate) async fn rule_for(
        &self,
        statuses: &mut StatusBook,
        policy: &StatusPolicy,
        target: &StatusRef,
    ) -> Result<Option<StatusRule>, Failure> {
        let same_kind = |rule: &StatusRule| {
            matches!(rule.target, StatusRef::Id(_)) == matches!(target, StatusRef::Id(_))
        };
        let direct = policy
            .rules
            .iter()
            .find(|rule| guardrails::same_as_written(&rule.target, target));
        let other_kind = policy.rules.iter().any(|rule| !same_kind(rule));
        if !other_kind || direct.is_some_and(|rule| rule.from.is_empty()) {
            return Ok(direct.cloned());
        }
        let page = self.status_book(statuses).await?;
        let mut merged = direct.cloned();
        for rule in policy
            .rules
            .iter()
            .filter(|rule| !same_kind(rule) && same_status(&rule.target, target, Some(page)))
        {
            match &mut merged {
                None => merged = Some(rule.clone()),
                Some(found) => found.absorb(rule.from.clone()),
            }
        }
        Ok(merged)
    }

    /// The shop's statuses, read on first use within a call (the host caches them for an hour).
    async fn status_book<'b>(
        &self,
        statuses: &'b mut StatusBook,
    ) -> Result<&'b StatusesPage, Failure> {
        let page = match statuses.0.take() {
            Some(page) => page,
            None => {
                let request = self.requests().get(&["order-statuses"], &[]);
                parse_json(&self.call(request).await?)?
            }
        };
        Ok(statuses.0.insert(page))
    }

    /// `not-allowed` unless the order's current status is one `rule` allows changing from.
    pub(crate) async fn check_from(
        &self,
        statuses: &mut StatusBook,
        order_number: &str,
        rule: &StatusRule,
    ) -> Result<(), Failure> {
        if rule.from.is_empty() {
            return Ok(());
        }
        let order = self.order(order_number, true).await?;
        let current: Vec<StatusRef> = order
            .status_id
            .map(StatusRef::Id)
            .into_iter()
            .chain(order.status.clone().map(StatusRef::Name))
            .collect();
        let allowed: Vec<&StatusRef> = rule.from.iter().collect();
        if self
            .first_match(statuses, &allowed, &current)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let mut from = String::new();
        for (i, status) in rule.from.iter().enumerate() {
            let _ = write!(
                from,
                "{}{}",
                if i == 0 { "`" } else { "`, `" },
                StatusName(status)
            );
        }
        let current = order
            .status
            .or_else(|| order.status_id.map(|id| id.to_string()))
            .unwrap_or_else(|| "unknown".into());
        Err(Failure::NotAllowed(format!(
            "`{}` allows `{}` only from {from}`; the order is `{current}`",
            guardrails::KEY_ALLOWED_STATUSES,
            StatusName(&rule.target),
        )))
    }

    /// The first candidate naming one of `wanted`: ids with ids and names with names first
    /// (names ignoring ASCII case and surrounding space); only when that finds nothing and an
    /// id meets a name are the shop's statuses read (once per call; the host caches them for
    /// an hour), matching a name in any of the shop's languages. Answers the candidate's index.
    async fn first_match(
        &self,
        statuses: &mut StatusBook,
        candidates: &[&StatusRef],
        wanted: &[StatusRef],
    ) -> Result<Option<usize>, Failure> {
        let find = |page: Option<&StatusesPage>| {
            candidates
                .iter()
                .position(|c| wanted.iter().any(|w| same_status(c, w, page)))
        };
        let direct = find(None);
        let mixed = candidates.iter().any(|c| {
            wanted
                .iter()
                .any(|w| matches!(c, StatusRef::Id(_)) != matches!(w, StatusRef::Id(_)))
        });
        if direct.is_some() || !mixed {
            return Ok(direct);
        }
        Ok(find(Some(self.status_book(statuses).await?)))
    }
}

pub(crate) fn summary(order: &Order) -> OrderSummary {
    OrderSummary {
        status: order.status.clone(),
        billing: order.payment.name.clone(),
        shipping: order.shipment.name.clone(),
        paid: order.is_paid(),
        topay: order.order_total,
        topay_text: display::amount(order.order_total, order.currency_id.as_deref()),
        currency: order.currency_id.clone(),
        tracking: order.tracking_code.clone().filter(|t| !t.trim().is_empty()),
        tracking_url: order.tracking_url.clone().filter(|t| !t.trim().is_empty()),
    }
}

/// The shop's statuses, read at most once per call and only when needed.
#[derive(Default)]
pub(crate) struct StatusBook(pub(crate) Option<StatusesPage>);

/// The id of the shop's status one of whose names is `name` (as [`guardrails::same_name`]).
pub(crate) fn id_named(page: &StatusesPage, name: &str) -> Option<u32> {
    page.order_statuses
        .iter()
        .find(|s| {
            s.descriptions.iter().any(|d| {
                d.name
                    .as_deref()
                    .is_some_and(|n| guardrails::same_name(n, name))
            })
        })?
        .id
}

/// Two references to one status: ids and names directly; an id and a name only through the
/// shop's statuses (`page`), by the name in any language.
fn same_status(a: &StatusRef, b: &StatusRef, page: Option<&StatusesPage>) -> bool {
    match (a, b) {
        (StatusRef::Id(id), StatusRef::Name(name)) | (StatusRef::Name(name), StatusRef::Id(id)) => {
            page.is_some_and(|page| {
                page.order_statuses.iter().any(|s| {
                    s.id == Some(*id)
                        && s.descriptions.iter().any(|d| {
                            d.name
                                .as_deref()
                                .is_some_and(|n| guardrails::same_name(n, name))
                        })
                })
            })
        }
        _ => guardrails::same_as_written(a, b),
    }
}
