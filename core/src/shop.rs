//! The nine actions against one shop.

use std::fmt::Write as _;
use std::time::{Duration, UNIX_EPOCH};

use crate::answer::{
    InvoiceState, OrderDetail, OrderDocuments, OrderItem, OrderRef, OrderSummary, PhoneOrders,
};
use crate::api::{
    ApiRequest, ApiResponse, Method, Requests, Upstream, check_status, parse_json, retry_after,
};
use crate::attempts::{AttemptLog, MemoryAttempts};
use crate::config::ShopConfig;
use crate::display;
use crate::failure::Failure;
use crate::guardrails::{self, StatusName, StatusPolicy, StatusRule, audit_record};
use crate::input::{self, StatusRef};
use crate::model::{
    InvoicesPage, Order, OrderLine, OrderUpdate, OrdersPage, Product, ProductsPage, PutOrders,
    PutOrdersResult, StatusesPage,
};

/// The longest `Retry-After` a GET waits for before retrying once; longer is `rate-limited`.
pub const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(2);
/// Attempts of a verified append before giving up.
pub const APPEND_ATTEMPTS: u32 = 5;
/// How long a verified append waits before re-reading the note: about one API round trip,
/// the window in which another host's stale write can still land.
pub const APPEND_SETTLE: Duration = Duration::from_millis(300);

/// The most orders `orders-by-phone` lists: Upgates' first page, newest first. One request,
/// however many orders the phone has: anyone can type a phone (the shop's own, a B2B
/// buyer's with thousands of orders), and every further page would be one more paid request
/// for a list no one picks from in a chat. `count` is still Upgates' total.
pub const MAX_PHONE_ORDERS: usize = 100;
/// At most this many products go into one brand lookup (Upgates pages products by 50).
pub const MAX_BRAND_PRODUCTS: usize = 50;

/// One shop's actions over one transport, counting failed e-mail checks in `A`.
pub struct Shop<U, A = MemoryAttempts> {
    config: ShopConfig,
    upstream: U,
    attempts: A,
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

    fn requests(&self) -> Requests<'_> {
        Requests::new(&self.config)
    }

    /// Sends and checks the status: every non-2xx answer becomes its failure. A GET that
    /// hits the rate limit is retried once when Upgates asks for a short wait (at most
    /// [`MAX_RATE_LIMIT_WAIT`]); writes are never resent.
    async fn call(&self, request: ApiRequest) -> Result<ApiResponse, Failure> {
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
    async fn order(&self, order_number: &str, fresh: bool) -> Result<Order, Failure> {
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
    async fn verified_order(&self, order_number: &str, email: &str) -> Result<Order, Failure> {
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

    /// Ověřit číslo objednávky.
    pub async fn verify_order(&self, order_number: &str) -> Result<OrderSummary, Failure> {
        let order_number = input::order_number(order_number)?;
        Ok(summary(&self.order(&order_number, false).await?))
    }

    /// Načíst detail objednávky (for the customer who knows the order's e-mail).
    pub async fn order_detail(
        &self,
        order_number: &str,
        email: &str,
    ) -> Result<OrderDetail, Failure> {
        let order_number = input::order_number(order_number)?;
        let email = input::email(email)?;
        let order = self.verified_order(&order_number, &email).await?;
        let goods: Vec<&OrderLine> = order.products.iter().filter(|l| l.is_goods()).collect();
        let catalogue = self.catalogue_products(&goods).await;
        let items = goods
            .iter()
            .map(|line| OrderItem {
                name: line.title.clone().unwrap_or_default(),
                brand: manufacturer(&catalogue, line),
                code: line.code.clone().filter(|c| !c.trim().is_empty()),
            })
            .collect();
        let cc = &self.config.default_country_code;
        // `+420601223344`, as the seed shows it, when it parses; else as the shop stored it.
        let mut phone = order.customer.phone.as_deref().map(|stored| {
            input::phone(stored, cc).map_or_else(
                |_| stored.to_owned(),
                |mut msisdn| {
                    msisdn.insert(0, '+');
                    msisdn
                },
            )
        });
        if self.config.guardrails.mask_personal_data {
            phone = phone.map(|p| guardrails::mask_phone(&p, cc));
        }
        Ok(OrderDetail {
            summary: summary(&order),
            url: order.admin_url.clone(),
            phone,
            items,
        })
    }

    /// The lines' catalogue products, for their manufacturers: one batched
    /// `GET /products/simple?product_ids=`. By id, not code: a variant's line carries the
    /// variant's code, which `codes=` does not find, but its product's id, so one request
    /// covers variants and plain products alike. `variants_yn=0` leaves out the products'
    /// variant lists, which can be most of a page's bytes (up to 100 variants a product).
    /// Brands are a nicety: when the lookup fails the detail is still answered, without them.
    async fn catalogue_products(&self, lines: &[&OrderLine]) -> Vec<Product> {
        let mut ids: Vec<&str> = Vec::new();
        for id in lines.iter().filter_map(|l| catalogue_id(l)) {
            if !ids.contains(&id) && ids.len() < MAX_BRAND_PRODUCTS {
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return Vec::new();
        }
        let request = self.requests().get(
            &["products", "simple"],
            &[("product_ids", &ids.join(";")), ("variants_yn", "0")],
        );
        let Ok(response) = self.call(request).await else {
            return Vec::new();
        };
        parse_json::<ProductsPage>(&response).map_or_else(|_| Vec::new(), |page| page.products)
    }

    /// Načíst e-mail zákazníka dle objednávky. "Ne" when the order has no customer e-mail.
    pub async fn customer_email(&self, order_number: &str) -> Result<String, Failure> {
        let order_number = input::order_number(order_number)?;
        let order = self.order(&order_number, false).await?;
        let email = order
            .customer
            .email
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty())
            .ok_or(Failure::NotFound)?;
        Ok(if self.config.guardrails.mask_personal_data {
            guardrails::mask_email(&email)
        } else {
            email
        })
    }

    /// Změnit stav objednávky: one PUT, `status_id` for a number, else the name.
    ///
    /// With `allowed-statuses`, a status the policy does not list is refused before any
    /// request; a rule with allowed current statuses first reads the order (uncached). Ids and
    /// names are compared directly; only when one side is an id and the other a name are the
    /// shop's statuses read (cached for an hour by the host).
    pub async fn set_order_status(
        &self,
        order_number: &str,
        status: &str,
        notify_customer: bool,
    ) -> Result<(), Failure> {
        let order_number = input::order_number(order_number)?;
        let target = input::status(status)?;
        // What the PUT names: Upgates documents no looser match than the name as the shop has
        // it (in any of its languages), so where the policy gave us the shop's own spelling,
        // that goes instead of the chat's ("stornovaná" for "Stornovaná"): the id from the
        // shop's list if it was read, else the name as the policy writes it.
        let mut sent = target.clone();
        if let Some(policy) = &self.config.guardrails.allowed_statuses {
            let mut statuses = StatusBook::default();
            let Some(rule) = self.rule_for(&mut statuses, policy, &target).await? else {
                // Any 100 characters pass as a status, so what was typed may be a customer's
                // e-mail or phone: redacted, as the message goes to logs and the CLI's JSON.
                let typed = guardrails::redact_personal(&StatusName(&target).to_string(), "");
                return Err(Failure::NotAllowed(format!(
                    "`{}` does not list the status `{typed}`",
                    guardrails::KEY_ALLOWED_STATUSES,
                )));
            };
            self.check_from(&mut statuses, &order_number, &rule).await?;
            if let StatusRef::Name(typed) = &target {
                let listed = statuses.0.as_ref().and_then(|page| id_named(page, typed));
                if let Some(id) = listed {
                    sent = StatusRef::Id(id);
                } else if matches!(rule.target, StatusRef::Name(_)) {
                    sent = rule.target.clone();
                }
            }
        }
        let order = match &sent {
            StatusRef::Id(id) => OrderUpdate {
                status_id: Some(*id),
                ..OrderUpdate::new(&order_number)
            },
            StatusRef::Name(name) => OrderUpdate {
                status: Some(name),
                ..OrderUpdate::new(&order_number)
            },
        };
        self.put_order(order, notify_customer).await?;
        let told = if notify_customer { "ano" } else { "ne" };
        self.audit(
            &order_number,
            "Chatbot: změna stavu",
            &format!(
                "Nový stav: {} (upozornit zákazníka: {told})",
                // The shop's spelling when the PUT used it; an id only as the chat gave it.
                StatusName(if matches!(sent, StatusRef::Name(_)) {
                    &sent
                } else {
                    &target
                })
            ),
        )
        .await;
        Ok(())
    }

    /// The rule for setting `target`, if the policy lists it. A status may be listed by id and
    /// again by name: it may then be set from what either entry allows. Entries of the same
    /// kind were merged when the policy was read, so only an id meeting a name needs the
    /// shop's statuses, and not when the direct entry already allows any current status.
    async fn rule_for(
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
    async fn check_from(
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

    /// Records a successful write in the order's history (`POST /orders/{n}/history`), when
    /// `audit-trail` is on. The write has happened: a failed record does not turn the answer
    /// into "Ne" (a bot retrying would write twice); the host and the Spin app log a refused
    /// write as a warning.
    async fn audit(&self, order_number: &str, name: &str, value: &str) {
        if !self.config.guardrails.audit_trail {
            return;
        }
        let request = self.requests().post(
            &["orders", order_number, "history"],
            &audit_record(name, value),
        );
        let _ = self.call(request).await;
    }

    /// Ověřit zákazníka podle e-mailu.
    pub async fn verify_customer(&self, order_number: &str, email: &str) -> Result<(), Failure> {
        let order_number = input::order_number(order_number)?;
        let email = input::email(email)?;
        self.verified_order(&order_number, &email).await.map(drop)
    }

    /// Načíst objednávky zákazníka dle telefonu za posledních `days` dní, newest first.
    pub async fn orders_by_phone(&self, phone: &str, days: u32) -> Result<PhoneOrders, Failure> {
        let phone = input::phone(phone, &self.config.default_country_code)?;
        let days = input::days(days)?;
        // From the start of that minute: the same question asked again a few seconds later is
        // then the same URL, which a host's GET cache can answer without a paid request.
        let since = self
            .upstream
            .now()
            .checked_sub(Duration::from_secs(u64::from(days) * 86_400))
            .unwrap_or(UNIX_EPOCH);
        let since = iso8601(start_of_minute(since));
        let request = self.requests().get(
            &["orders"],
            &[
                ("phone", &phone),
                ("creation_time_from", &since),
                ("order_by", "creation_time"),
                ("order_dir", "desc"),
                ("page", "1"),
            ],
        );
        // No orders in the period is an answer, "Ano" with an empty list: the seed keeps "Ne"
        // for a list that could not be loaded. Upgates may say so with a 404 on the list.
        let page: OrdersPage = match self.call(request).await {
            Ok(response) => parse_json(&response)?,
            Err(Failure::NotFound) => OrdersPage::default(),
            Err(other) => return Err(other),
        };
        let total = page.number_of_items;
        let orders: Vec<OrderRef> = page
            .orders
            .into_iter()
            .filter_map(|o| {
                Some(OrderRef {
                    price_text: display::amount(o.order_total, o.currency_id.as_deref()),
                    date_text: display::date(o.creation_time.as_deref()),
                    orderid: o.order_number?,
                    date: o.creation_time,
                    price: o.order_total,
                    currency: o.currency_id,
                })
            })
            .take(MAX_PHONE_ORDERS)
            .collect();
        // Upgates' total (at least the orders listed), and 0 when none is listed: `count` and
        // `orders` agree on "none".
        let count = match orders.len() {
            0 => 0,
            listed => total
                .unwrap_or(0)
                .max(u32::try_from(listed).unwrap_or(u32::MAX)),
        };
        Ok(PhoneOrders { count, orders })
    }

    /// Přidat text k interní poznámce: a fresh read, then the old note + newline + text.
    ///
    /// Upgates has no compare-and-swap, so two writers can overwrite each other's line. With
    /// `verify-appends` on (several hosts writing one shop), the note is read again once
    /// concurrent writers have had time to land ([`APPEND_SETTLE`]), and the text appended
    /// again, after a jittered back-off, when it went missing: up to [`APPEND_ATTEMPTS`] times.
    /// Once Upgates has confirmed a write, a check read that fails answers "Ano": the line is
    /// in, and a "Ne" would have the bot send it again.
    pub async fn append_note(&self, order_number: &str, text: &str) -> Result<(), Failure> {
        let order_number = input::order_number(order_number)?;
        let text = input::note_text(text)?;
        self.config.guardrails.check_note(&text)?;
        let mut note = self.order(&order_number, true).await?.internal_note;
        // Counted, not just looked for: the note may already hold the same text (an "OK"),
        // and then only one more occurrence shows that our line was kept. Compared as lines
        // (see `same_lines`): a text Upgates stored reformatted would never be found, and
        // every attempt would append it again.
        let wanted = same_lines(&text);
        let occurrences = |note: &Option<String>| {
            note.as_deref()
                .map_or(0, |n| count_as_lines(&same_lines(n), &wanted))
        };
        for attempt in 0..APPEND_ATTEMPTS {
            let before = occurrences(&note);
            let appended = match note.as_deref() {
                Some(old) if !old.is_empty() => format!("{old}\n{text}"),
                _ => text.clone(),
            };
            self.put_order(
                OrderUpdate {
                    internal_note: Some(&appended),
                    ..OrderUpdate::new(&order_number)
                },
                false,
            )
            .await?;
            let kept = if self.config.verify_appends {
                self.upstream.sleep(APPEND_SETTLE).await;
                match self.order(&order_number, true).await {
                    Ok(order) => {
                        note = order.internal_note;
                        occurrences(&note) > before
                    }
                    // Upgates said `updated_yn` (else `put_order` failed): the line was
                    // written. Unchecked is no reason for a "Ne" the bot would retry, nor for
                    // appending again blind: either could leave the line in twice.
                    Err(_) => true,
                }
            } else {
                true
            };
            if kept {
                self.audit(&order_number, "Chatbot: doplnění poznámky", &text)
                    .await;
                return Ok(());
            }
            if attempt + 1 == APPEND_ATTEMPTS {
                // Out of attempts: another wait and read would be paid for and thrown away.
                break;
            }
            self.upstream.sleep(self.backoff(attempt)).await;
            note = self.order(&order_number, true).await?.internal_note;
        }
        Err(Failure::Upstream(
            "the note kept changing under concurrent writers; the text was not kept".into(),
        ))
    }

    /// 50 ms, 100 ms, 200 ms... plus up to as much again, so colliding writers spread out.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = Duration::from_millis(50) * 2u32.saturating_pow(attempt.min(6));
        let nanos = self
            .upstream
            .now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        // Integer arithmetic: float Durations would pull their conversions into the component.
        base + base * (nanos % 1000) / 1000
    }

    /// Upgates' PDF URL, or in `signed` mode our expiring link to it.
    fn invoice_url(&self, order_number: &str, invoice_number: &str, upgates_url: String) -> String {
        // Without the feature `signed` is refused when the config is read
        // (`Guardrails::from_lookup`); the component's host signs its own links.
        #[cfg(feature = "signed-links")]
        if let Some(link) = crate::invoice_link::signed_url(
            &self.config,
            order_number,
            invoice_number,
            self.upstream.now(),
        ) {
            return link;
        }
        let _ = (order_number, invoice_number);
        upgates_url
    }

    /// Přepsat poznámku: one PUT.
    pub async fn replace_note(&self, order_number: &str, text: &str) -> Result<(), Failure> {
        let order_number = input::order_number(order_number)?;
        let text = input::note_text(text)?;
        self.config.guardrails.check_note(&text)?;
        self.put_order(
            OrderUpdate {
                internal_note: Some(&text),
                ..OrderUpdate::new(&order_number)
            },
            false,
        )
        .await?;
        self.audit(&order_number, "Chatbot: přepsání poznámky", &text)
            .await;
        Ok(())
    }

    /// `PUT /orders` for one order. Upgates e-mails and texts the customer on a status change
    /// unless told not to (both flags default to true), so both are always sent explicitly.
    async fn put_order(&self, order: OrderUpdate<'_>, notify: bool) -> Result<(), Failure> {
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

    /// Načíst doklady k objednávce. "Ne" only when the customer is not verified; an invoice
    /// that cannot be loaded is the answer `error`.
    pub async fn order_documents(
        &self,
        order_number: &str,
        email: &str,
    ) -> Result<OrderDocuments, Failure> {
        let order_number = input::order_number(order_number)?;
        let email = input::email(email)?;
        let order = self.verified_order(&order_number, &email).await?;
        let notfound = OrderDocuments::without_link(InvoiceState::Notfound);
        let error = OrderDocuments::without_link(InvoiceState::Error);
        let Some(invoice_number) = order.invoice_number.filter(|n| !n.trim().is_empty()) else {
            return Ok(notfound);
        };
        // The invoice number comes from the shop's answer and becomes a path segment. "." or
        // ".." would turn `<api>/invoices/..` into `<api>/` once the path is normalised, and
        // percent-encoding cannot help (`.` is unreserved, and `%2E%2E` is a dot segment to
        // URL parsers too), so such a number is never requested. Found by a property test.
        if matches!(invoice_number.as_str(), "." | "..") {
            return Ok(error);
        }
        let request = self.requests().get(&["invoices", &invoice_number], &[]);
        let page: InvoicesPage = match self.call(request).await {
            Ok(response) => match parse_json(&response) {
                Ok(page) => page,
                Err(_) => return Ok(error),
            },
            Err(Failure::NotFound) => return Ok(notfound),
            Err(_) => return Ok(error),
        };
        let invoice = page.invoices.into_iter().find(|i| {
            i.invoice_number
                .as_deref()
                .is_none_or(|n| n == invoice_number)
                && i.order_number.as_deref().is_none_or(|n| n == order_number)
        });
        Ok(match invoice {
            None => notfound,
            Some(i) => match i.invoice_pdf_url.filter(|u| !u.trim().is_empty()) {
                Some(url) => OrderDocuments {
                    invoice: InvoiceState::Found,
                    invoice_url: Some(self.invoice_url(&order_number, &invoice_number, url)),
                    invoice_number: Some(invoice_number),
                },
                None => error,
            },
        })
    }
}

/// `text` as `append-note` compares it: CRLF and lone CR as LF, and each line without its
/// trailing whitespace. Upgates does not document that it stores a note byte for byte.
fn same_lines(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(line.trim_end());
    }
    out
}

/// How often `block` (one or more whole lines) stands in `text` as whole lines, not inside a
/// longer one: a concurrent writer's "OK, díky" is not our "OK", nor "host 10" our "host 1".
fn count_as_lines(text: &str, block: &str) -> usize {
    let bytes = text.as_bytes();
    text.match_indices(block)
        .filter(|(at, _)| {
            let end = at + block.len();
            (*at == 0 || bytes[at - 1] == b'\n') && (end == bytes.len() || bytes[end] == b'\n')
        })
        .count()
}

/// The shop's statuses, read at most once per call and only when needed.
#[derive(Default)]
struct StatusBook(Option<StatusesPage>);

/// Two references to one status: ids and names directly; an id and a name only through the
/// shop's statuses (`page`), by the name in any language.
/// The id of the shop's status one of whose names is `name` (as [`guardrails::same_name`]).
fn id_named(page: &StatusesPage, name: &str) -> Option<u32> {
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

/// A line's catalogue product id, if it names one: digits only, so nothing else reaches the
/// query.
fn catalogue_id(line: &OrderLine) -> Option<&str> {
    line.product_id
        .as_deref()
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// The manufacturer of the line's product, as the catalogue has it.
fn manufacturer(catalogue: &[Product], line: &OrderLine) -> Option<String> {
    let id = catalogue_id(line)?;
    catalogue
        .iter()
        .find(|p| p.product_id.as_deref() == Some(id))?
        .manufacturer
        .clone()
        .filter(|m| !m.trim().is_empty())
}

fn summary(order: &Order) -> OrderSummary {
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

/// Whole seconds since 1970-01-01 (0 for an earlier time).
fn unix_secs(at: std::time::SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn start_of_minute(at: std::time::SystemTime) -> std::time::SystemTime {
    let secs = unix_secs(at);
    UNIX_EPOCH + Duration::from_secs(secs - secs % 60)
}

/// ISO 8601 in UTC with an explicit offset, as Upgates' date filters take it:
/// `2026-11-28T17:00:00+00:00`.
fn iso8601(at: std::time::SystemTime) -> String {
    let secs = unix_secs(at);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+00:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
/// Ten lines here spare the component a date crate.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An append is found as whole lines, not inside another writer's longer line.
    #[test]
    fn appended_text_counts_as_whole_lines() {
        assert_eq!(count_as_lines("OK", "OK"), 1);
        assert_eq!(count_as_lines("Poznámka\nOK\nOK", "OK"), 2);
        assert_eq!(count_as_lines("OK, díky\nNOK", "OK"), 0);
        assert_eq!(count_as_lines("host 10\nhost 11", "host 1"), 0);
        assert_eq!(
            count_as_lines("a\nŘádek 1\nŘádek 2\nb", "Řádek 1\nŘádek 2"),
            1
        );
        assert_eq!(count_as_lines("Řádek 1\nŘádek 2x", "Řádek 1\nŘádek 2"), 0);
        assert_eq!(count_as_lines("", "OK"), 0);
    }

    #[test]
    fn phone_periods_start_on_the_minute() {
        let at = UNIX_EPOCH + Duration::from_secs(1_795_884_000);
        for offset in [0, 1, 59] {
            let start = start_of_minute(at + Duration::from_millis(offset * 1000 + 999));
            assert_eq!(iso8601(start), "2026-11-28T16:40:00+00:00");
        }
        assert_eq!(
            iso8601(start_of_minute(at + Duration::from_secs(60))),
            "2026-11-28T16:41:00+00:00"
        );
    }

    #[test]
    fn iso8601_has_explicit_offset() {
        let at = UNIX_EPOCH + Duration::from_secs(1_795_884_000);
        assert_eq!(iso8601(at), "2026-11-28T16:40:00+00:00");
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00+00:00");
        // A leap day and the turn of a century.
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00+00:00"
        );
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(4_107_542_399)),
            "2100-02-28T23:59:59+00:00"
        );
    }
}
