//! One shop over one transport, and the steps several actions share: the call with its
//! rate-limit retry, reading and verifying an order, the PUT, the audit record. The actions
//! themselves are in [`crate::actions`], one file each.

use std::time::Duration;

use crate::answer::OrderSummary;
use crate::api::{
    ApiRequest, ApiResponse, Method, Requests, Upstream, check_status, parse_json, retry_after,
};
use crate::attempts::{AttemptLog, MemoryAttempts};
use crate::audit::audit_record;
use crate::config::ShopConfig;
use crate::display;
use crate::failure::Failure;
use crate::input;
use crate::model::{Order, OrderUpdate, OrdersPage, PutOrders, PutOrdersResult};
use crate::personal_data::redact_personal;
use crate::proof;

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

    /// The proof of a passed e-mail check for `order_number`, valid for `proof-minutes` from
    /// now; `None` when the shop has no `proof-secret`.
    pub(crate) fn proof(&self, order_number: &str) -> Option<String> {
        let guardrails = &self.config.guardrails;
        let secret = guardrails.proof_secret.as_deref()?;
        let expires = self.upstream.now() + guardrails.proof_lifetime;
        Some(proof::sign(
            secret,
            &self.config.api_url,
            order_number,
            expires,
        ))
    }

    /// With `require-proof`, `not-verified` unless `given` is a valid proof for `order_number`
    /// at this shop: checked before any request, so an unverified chat costs the shop nothing.
    pub(crate) fn check_proof(
        &self,
        order_number: &str,
        given: Option<&str>,
    ) -> Result<(), Failure> {
        let guardrails = &self.config.guardrails;
        if !guardrails.require_proof {
            return Ok(());
        }
        // `require-proof` without a secret is refused when the settings are read.
        let (Some(secret), Some(given)) = (guardrails.proof_secret.as_deref(), given) else {
            return Err(Failure::NotVerified);
        };
        proof::verify(
            secret,
            &self.config.api_url,
            order_number,
            given,
            self.upstream.now(),
        )
        .map_err(|_| Failure::NotVerified)
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
        let said = redact_personal(&said, order_number);
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
