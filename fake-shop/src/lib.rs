//! A faithful, stateful fake of the Upgates e-shop REST API v2, for tests and the demo.
//!
//! One [`FakeShop`] holds orders, order statuses, invoices and products, answers requests the
//! way the API Blueprint documents them (HTTP Basic auth, the failed-login lockout, rate-limit
//! headers and 429, per-endpoint rights, paged envelopes, `PUT /orders` semantics) and records
//! every request. [`FakeShop::handle`] is the whole server as a pure function of an
//! `http::Request<Bytes>`; [`FakeShop::serve_request`] takes a request as the network does
//! (in flight for the shop's latency, a 4th at once refused with 429, as Upgates allows 3
//! concurrent requests); [`FakeShop::serve`] and [`FakeShop::serve_in_thread`] put that on a
//! loopback port.
//!
//! Served paths (under `/api/v2`): `status`; `orders` (GET, PUT); `orders/{n}`;
//! `orders/{n}/history` (GET, POST); `orders/{n}/pdf`; `order-statuses[/{id}]`;
//! `invoices[/{n}]`; `invoices/{n}/pdf`; `products[/{code}]` and `products[/{code}]/simple`.

#![recursion_limit = "256"] // the sample data's `json!` literals are large

mod auth;
mod concurrency;
mod dates;
mod fault;
mod history;
mod invoices;
mod order_update;
mod orders;
mod pdf;
mod products;
mod query;
mod quota;
mod record;
mod respond;
mod rights;
mod router;
mod sample;
mod server;
mod state;
mod statuses;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde_json::Value;

pub use concurrency::MAX_CONCURRENT_REQUESTS;
pub use fault::{Fault, MissingOrder, STALL, Stalled};
pub use record::{Notification, RecordedRequest};
pub use server::LoopbackServer;

use concurrency::InFlight;
use state::{State, upsert};

/// The sample shop's API login.
pub const SAMPLE_LOGIN: &str = "demo";
/// The sample shop's API key.
pub const SAMPLE_KEY: &str = "demo-key-4f1c2a9e";

/// A fake Upgates shop. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct FakeShop {
    state: Arc<Mutex<State>>,
    in_flight: Arc<InFlight>,
}

impl fmt::Debug for FakeShop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.lock();
        f.debug_struct("FakeShop")
            .field("login", &s.auth.login())
            .field("orders", &s.orders.len())
            .field("requests", &s.requests.len())
            .finish_non_exhaustive()
    }
}

impl FakeShop {
    /// The sample shop (credentials [`SAMPLE_LOGIN`] / [`SAMPLE_KEY`]) with orders dated
    /// relative to `now`, so a demo run any day finds recent orders. The shop's clock starts
    /// at `now` too (it stamps `last_update_time` and history records).
    ///
    /// Statuses 1–6 (cs/en/sk names), orders `2025000123`, `2025000124`, `2024000077` (2024
    /// response shape), `2025000125` (empty draft) and `2025000126`, invoices `FV2025001` and
    /// `FV2025002`, products `TRIKO` (variants `TRIKO-M`, `TRIKO-L`), `HRNEK` and `TASKA`.
    pub fn sample(now: SystemTime) -> Self {
        let mut state = State::new(SAMPLE_LOGIN, SAMPLE_KEY, now);
        sample::fill(&mut state, dates::from_system_time(now));
        Self::from_state(state)
    }

    /// An empty shop with these credentials; add data with the `add_*` methods.
    pub fn new(login: &str, key: &str) -> Self {
        Self::from_state(State::new(login, key, SystemTime::now()))
    }

    fn from_state(state: State) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
            in_flight: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds an order (a full order object as `GET /orders` returns it); an order with the same
    /// `order_number` is replaced. Orders list in the order they were added.
    pub fn add_order(&self, order: Value) {
        upsert(&mut self.lock().orders, "order_number", order);
    }

    /// Adds an `order-statuses` item (`id`, `type`, `descriptions[]`, ...); replaces one with
    /// the same `id`.
    pub fn add_status(&self, status: Value) {
        upsert(&mut self.lock().statuses, "id", status);
    }

    /// Adds an invoice (an `invoices[]` item); replaces one with the same `invoice_number`.
    pub fn add_invoice(&self, invoice: Value) {
        upsert(&mut self.lock().invoices, "invoice_number", invoice);
    }

    /// Adds a products/simple item (`code`, `product_id`, `manufacturer`, `variants[]`, ...);
    /// replaces one with the same `code`.
    pub fn add_product(&self, product: Value) {
        upsert(&mut self.lock().products, "code", product);
    }

    /// The order's current state, for assertions.
    pub fn order(&self, order_number: &str) -> Option<Value> {
        self.lock().order(order_number).cloned()
    }

    /// The order's history records (`GET /orders/{n}/history`'s `history`), oldest first.
    pub fn history(&self, order_number: &str) -> Vec<Value> {
        self.lock()
            .history
            .get(order_number)
            .cloned()
            .unwrap_or_default()
    }

    /// Answers one request: the whole fake API as a pure function (no I/O), for in-process
    /// transports. The URI may be absolute (`https://shop.example/api/v2/orders/1`) or
    /// origin-form (`/api/v2/orders/1`); only its path and query matter. The request is
    /// recorded first; a queued [`Fault`] then answers instead of the API.
    ///
    /// Every non-fault response carries the `X-Rate-Limit-*` headers; errors are JSON
    /// `{"message": "..."}`. A request never panics the fake, whatever it contains.
    pub fn handle(&self, req: http::Request<Bytes>) -> http::Response<Bytes> {
        let mut state = self.lock();
        state.requests.push(RecordedRequest::of(&req));
        let fault = state.faults.iter().position(|f| f.applies_to(&req));
        if let Some(fault) = fault.and_then(|i| state.faults.remove(i)) {
            return fault.to_response();
        }
        router::handle(&mut state, &req)
    }

    /// One request as Upgates takes it over the network: in flight for the shop's latency
    /// ([`FakeShop::set_latency`], none by default), and refused with 429 while
    /// [`MAX_CONCURRENT_REQUESTS`] others are in flight. The loopback server answers through
    /// this; an in-process host can too, to have its requests overlap.
    pub async fn serve_request(&self, req: http::Request<Bytes>) -> http::Response<Bytes> {
        let slot = self.in_flight.enter();
        if slot.over_limit {
            let mut state = self.lock();
            state.requests.push(RecordedRequest::of(&req));
            return router::refuse_concurrent(&mut state);
        }
        let latency = self.lock().latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let response = self.handle(req);
        if response.extensions().get::<Stalled>().is_some() {
            tokio::time::sleep(STALL).await;
        }
        drop(slot);
        response
    }

    /// How long [`FakeShop::serve_request`] keeps a request in flight before answering.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// The most requests that were in flight at once in [`FakeShop::serve_request`], refused
    /// ones included: more than [`MAX_CONCURRENT_REQUESTS`] means some were refused.
    pub fn peak_in_flight(&self) -> usize {
        self.in_flight.peak()
    }

    /// Records a request whose body was too large to read and answers 413.
    pub(crate) fn reject_too_large(&self, req: http::Request<Bytes>) -> http::Response<Bytes> {
        let mut state = self.lock();
        state.requests.push(RecordedRequest::of(&req));
        respond::ApiError::new(
            http::StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large.",
        )
        .into_response()
    }

    /// Every request handled so far, in order (including refused and faulted ones).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// The e-mails/SMS that status changes would have sent, in order.
    pub fn sent_notifications(&self) -> Vec<Notification> {
        self.lock().notifications.clone()
    }

    /// Queues a canned response: the next request (after those already queued) gets it
    /// instead of the real handler, and is still recorded. A fault made with [`Fault::on`]
    /// waits for a request it applies to; a request gets the first queued fault that applies.
    pub fn push_fault(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    /// How `GET /orders/{order_number}` answers an unknown order (default: 404).
    pub fn set_missing_order_style(&self, style: MissingOrder) {
        self.lock().missing_order = style;
    }

    /// Sets the hourly and daily request limits (and starts counting afresh). Each
    /// authenticated request uses the hour's quota first, then the day's; when both are spent
    /// the answer is 429 with `Retry-After` (an HTTP date, GMT) at the next full hour. Without
    /// this call both limits are 100000.
    pub fn set_quota(&self, hour: u32, day: u32) {
        self.lock().quota = quota::Quota::new(hour, day);
    }

    /// Sets the API user's privilege on a service (`orders`, `order-statuses`, `invoices`,
    /// `products`, ...): `"deny"` (403 on everything), `"readonly"` (403 on all but GET) or
    /// `"all"`; any other word counts as `"deny"`. `/status` lists the result.
    pub fn set_rights(&self, service: &str, privilege: &str) {
        self.lock().rights.set(service, privilege);
    }
}
