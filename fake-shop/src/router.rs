//! The request pipeline: lockout, authentication, quota, routing, rights, then the handlers.

use bytes::Bytes;
use http::header::{HOST, RETRY_AFTER};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use percent_encoding::percent_decode_str;

use crate::dates;
use crate::query::Query;
use crate::respond::{ApiError, ApiResult};
use crate::rights::Privilege;
use crate::state::State;
use crate::{history, invoices, order_update, orders, products, statuses};

/// Where the shop lives when a request does not say (origin-form URI and no `Host`).
const DEFAULT_BASE: &str = "https://demo.admin.s1.upgates.com";

/// Answers one (already recorded, not faulted) request.
pub(crate) fn handle(state: &mut State, req: &Request<Bytes>) -> Response<Bytes> {
    let now = state.clock.now();
    let mut response = if state.auth.locked_out() {
        ApiError::forbidden("Too many failed login attempts. Access is blocked for an hour.")
            .into_response()
    } else if !state.auth.check(req.headers()) {
        let mut r = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: wrong or missing API login or key.",
        )
        .into_response();
        r.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Upgates API\""),
        );
        r
    } else if !state.quota.take(now) {
        too_many_requests(
            "Too many requests: the request limit is exhausted.",
            dates::next_full_hour(now),
        )
    } else {
        route(state, req).unwrap_or_else(ApiError::into_response)
    };
    state.quota.add_headers(now, response.headers_mut());
    response
}

/// The answer to a request that arrived while [`crate::MAX_CONCURRENT_REQUESTS`] others were
/// in flight: 429 like an exhausted quota, which it does not draw on. Upgates documents the
/// refusal but not its `Retry-After` here; the fake says two seconds on (an HTTP date has
/// whole seconds, so "one second on" could read as now and be retried into another refusal).
pub(crate) fn refuse_concurrent(state: &mut State) -> Response<Bytes> {
    let now = state.clock.now();
    let mut response = too_many_requests(
        &format!(
            "Too many requests: at most {} concurrent requests are allowed.",
            crate::MAX_CONCURRENT_REQUESTS
        ),
        now + time::Duration::seconds(2),
    );
    state.quota.add_headers(now, response.headers_mut());
    response
}

/// 429 with `message` and `Retry-After` at `retry_at` (an HTTP date in GMT, as Upgates
/// documents it).
fn too_many_requests(message: &str, retry_at: time::OffsetDateTime) -> Response<Bytes> {
    let mut response = ApiError::new(StatusCode::TOO_MANY_REQUESTS, message).into_response();
    if let Ok(v) = HeaderValue::from_str(&dates::http_date(retry_at)) {
        response.headers_mut().insert(RETRY_AFTER, v);
    }
    response
}

/// What a path names.
enum Route {
    Status,
    Orders,
    Order(String),
    OrderHistory(String),
    OrderPdf(String),
    Statuses,
    OrderStatus(String),
    Invoices,
    Invoice(String),
    InvoicePdf(String),
    Products { code: Option<String>, simple: bool },
}

impl Route {
    fn parse(path: &str) -> Result<Self, ApiError> {
        let not_found = || ApiError::not_found(format!("Not found: {path}"));
        let rest = path.strip_prefix("/api/v2").ok_or_else(not_found)?;
        let rest = rest.strip_prefix('/').unwrap_or(rest);
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let mut segments = Vec::new();
        for raw in rest.split('/') {
            if raw.is_empty() {
                return Err(not_found());
            }
            let decoded = percent_decode_str(raw)
                .decode_utf8()
                .map_err(|_| ApiError::bad_request("The URL path is not valid UTF-8."))?;
            segments.push(decoded.into_owned());
        }
        let s: Vec<&str> = segments.iter().map(String::as_str).collect();
        let own = |x: &str| x.to_owned();
        Ok(match s.as_slice() {
            ["status"] => Self::Status,
            ["orders"] => Self::Orders,
            ["orders", n] => Self::Order(own(n)),
            ["orders", n, "history"] => Self::OrderHistory(own(n)),
            ["orders", n, "pdf"] => Self::OrderPdf(own(n)),
            ["order-statuses"] => Self::Statuses,
            ["order-statuses", id] => Self::OrderStatus(own(id)),
            ["invoices"] => Self::Invoices,
            ["invoices", n] => Self::Invoice(own(n)),
            ["invoices", n, "pdf"] => Self::InvoicePdf(own(n)),
            ["products"] => Self::Products {
                code: None,
                simple: false,
            },
            ["products", "simple"] => Self::Products {
                code: None,
                simple: true,
            },
            ["products", code] => Self::Products {
                code: Some(own(code)),
                simple: false,
            },
            ["products", code, "simple"] => Self::Products {
                code: Some(own(code)),
                simple: true,
            },
            _ => return Err(not_found()),
        })
    }

    /// The service whose rights apply (`None` for `/status`, always allowed).
    fn service(&self) -> Option<&'static str> {
        match self {
            Self::Status => None,
            Self::Orders | Self::Order(_) | Self::OrderHistory(_) | Self::OrderPdf(_) => {
                Some("orders")
            }
            Self::Statuses | Self::OrderStatus(_) => Some("order-statuses"),
            Self::Invoices | Self::Invoice(_) | Self::InvoicePdf(_) => Some("invoices"),
            Self::Products { .. } => Some("products"),
        }
    }
}

/// The method to act on: `X-HTTP-Method-Override` wins over the request line.
fn effective_method(req: &Request<Bytes>) -> Method {
    req.headers()
        .get("x-http-method-override")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Method::from_bytes(v.trim().to_ascii_uppercase().as_bytes()).ok())
        .unwrap_or_else(|| req.method().clone())
}

/// `scheme://host[:port]` of the shop as the client addressed it.
fn api_base(req: &Request<Bytes>) -> String {
    let uri = req.uri();
    if let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) {
        return format!("{scheme}://{authority}");
    }
    match req
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty())
    {
        Some(host) => format!("http://{host}"),
        None => DEFAULT_BASE.to_owned(),
    }
}

fn route(state: &mut State, req: &Request<Bytes>) -> ApiResult {
    let route = Route::parse(req.uri().path())?;
    let method = effective_method(req);
    if let Some(service) = route.service() {
        match state.rights.of(service) {
            Privilege::Deny => {
                return Err(ApiError::forbidden(format!(
                    "The API user has no access to `{service}`."
                )));
            }
            Privilege::ReadOnly if method != Method::GET => {
                return Err(ApiError::forbidden(format!(
                    "The API user has read-only access to `{service}`."
                )));
            }
            _ => {}
        }
    }
    let query = Query::parse(req.uri().query());
    let body = req.body();
    let m = method.as_str();
    match (route, m) {
        (Route::Status, "GET") => crate::respond::ok(&state.rights.status_body(&api_base(req))),
        (Route::Orders, "GET") => orders::list(state, &query),
        (Route::Orders, "PUT") => order_update::put(state, body),
        (Route::Order(n), "GET") => orders::get(state, &n),
        (Route::OrderHistory(n), "GET") => history::get(state, &n),
        (Route::OrderHistory(n), "POST") => history::post(state, &n, body),
        (Route::OrderPdf(n), "GET") => orders::pdf(state, &n),
        (Route::Statuses, "GET") => statuses::list(state, &query),
        (Route::OrderStatus(id), "GET") => statuses::get(state, &id),
        (Route::Invoices, "GET") => invoices::list(state, &query),
        (Route::Invoice(n), "GET") => invoices::get(state, &n),
        (Route::InvoicePdf(n), "GET") => invoices::pdf(state, &n),
        (Route::Products { code, simple }, "GET") => {
            products::list(state, &query, code.as_deref(), simple)
        }
        (Route::Orders, _) => Err(ApiError::method_not_allowed(m, &["GET", "PUT"])),
        (Route::OrderHistory(_), _) => Err(ApiError::method_not_allowed(m, &["GET", "POST"])),
        _ => Err(ApiError::method_not_allowed(m, &["GET"])),
    }
}
