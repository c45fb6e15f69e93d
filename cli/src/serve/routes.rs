//! The HTTP routes of `upgates serve`: `/metrics`, and every other path through the shared
//! webhook, with a request id, a log line and the metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use http::{HeaderValue, Method};
use prometheus_client::metrics::gauge::Gauge;
use upgates_webhook::{Reply, Target};

use super::App;
use super::Server;
use super::metrics::{ActionLabel, CallLabels};
use super::shops::random_hex;

pub(super) async fn metrics_text(State(app): State<Arc<App>>) -> Response {
    let mut response = Response::new(Body::from(app.metrics.render()));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Every other path: the shared webhook, with a request id, a log line and the metrics.
pub(super) async fn webhook(State(app): State<Arc<App>>, request: Request) -> Response {
    let started = Instant::now();
    let id = app.ids.for_request(request.headers());
    let method = request.method().clone();
    // What the logs and metrics may say of the path: its route, never the path itself.
    let (route, shop) = route_of(&app.server, &method, request.uri().path());
    // Counted down on drop, also when the caller hangs up and the request is dropped.
    let _in_flight = (method == Method::POST).then(|| InFlight::new(&app.metrics.in_flight));
    let span = tracing::info_span!("request", id = %id);
    let served = tracing::Instrument::instrument(
        upgates_webhook::handle(&app.server, request),
        span.clone(),
    )
    .await;
    let elapsed = started.elapsed();
    if let Some(action) = served.action {
        app.metrics
            .calls
            .get_or_create(&CallLabels {
                shop,
                action: action.as_str(),
                outcome: served.outcome,
            })
            .inc();
        // The calls that ran: refusals answered in microseconds would hide their time.
        if served.answered {
            app.metrics
                .durations
                .get_or_create(&ActionLabel {
                    action: action.as_str(),
                })
                .observe(elapsed.as_secs_f64());
        }
    }
    let mut response = match served.reply {
        Reply::Json(reply) => reply.map(Body::new),
        Reply::Pdf(pdf) => pdf.map(Body::new),
    };
    let _entered = span.enter();
    tracing::info!(
        %method,
        route,
        shop,
        action = served.action.map(|a| a.as_str()),
        status = response.status().as_u16(),
        outcome = served.outcome,
        elapsed_ms = elapsed.as_millis() as u64,
        "answered"
    );
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// A call in flight for the gauge, from the request's start until it is answered or dropped.
struct InFlight(Gauge);

impl InFlight {
    fn new(gauge: &Gauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The route a request takes (`/v1/<action>`, `/v1/shops/<name>/invoice/…`, `no route`)
/// and the shop it names, for the logs and the metrics: a path is the caller's text (an
/// e-mail a template put in it, a link's token), so only what matched is told.
fn route_of(server: &Server, method: &Method, path: &str) -> (&'static str, &'static str) {
    let Ok(route) = upgates_webhook::routing::route(method, path) else {
        return ("no route", "");
    };
    let shop = match server.shop_named(route.shop.as_deref()) {
        Some(shop) => shop.name,
        None => return ("an unknown shop's", "unknown"),
    };
    let named = route.shop.is_some();
    let route = match (route.target, named) {
        (Target::Health, _) => "/v1/health",
        (Target::Ready, _) => "/v1/ready",
        (Target::OpenApi, _) => "/v1/openapi.json",
        (Target::Invoice(_), false) => "/v1/invoice/…",
        (Target::Invoice(_), true) => "/v1/shops/<name>/invoice/…",
        (Target::Action(_), false) => "/v1/<action>",
        (Target::Action(_), true) => "/v1/shops/<name>/<action>",
        (Target::Mcp, false) => "/mcp",
        (Target::Mcp, true) => "/v1/shops/<name>/mcp",
    };
    (route, shop)
}

/// Request ids for the logs: the caller's `X-Request-Id` when it is a plain token, else one
/// of ours (a random prefix per process and a counter).
pub(super) struct RequestIds {
    prefix: String,
    next: AtomicU64,
}

impl RequestIds {
    pub(super) fn new() -> Self {
        Self {
            prefix: random_hex()[..8].to_owned(),
            next: AtomicU64::new(1),
        }
    }

    fn for_request(&self, headers: &http::HeaderMap) -> String {
        let given = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| {
                (1..=64).contains(&v.len())
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
            });
        match given {
            Some(id) => id.to_owned(),
            None => format!(
                "{}-{}",
                self.prefix,
                self.next.fetch_add(1, Ordering::Relaxed)
            ),
        }
    }
}
