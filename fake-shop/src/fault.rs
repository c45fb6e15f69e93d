//! Fault injection and switchable behaviours for the unknowns of the real API.

use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderName, HeaderValue, Response, StatusCode};
use serde_json::json;

/// A canned response served instead of the real handler (the request is still recorded).
///
/// Queue them with [`FakeShop::push_fault`](crate::FakeShop::push_fault); each answers one request.
/// The response is exactly the fault: no rate-limit headers are added.
#[derive(Clone, Debug)]
pub struct Fault {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Only for requests with this method and a path ending so ([`Fault::on`]); else any.
    pub only: Option<(http::Method, String)>,
    /// The answer does not come in time ([`Fault::stall`]).
    pub stalled: bool,
}

/// How long the loopback server holds a [`Fault::stall`]ed answer: longer than any client
/// under test waits for a first byte, short enough that a server stopped meanwhile stops soon.
pub const STALL: Duration = Duration::from_secs(5);

/// Marks a response of [`FakeShop::handle`](crate::FakeShop::handle) that a [`Fault::stall`]
/// answered: an in-process transport reports it as its timeout, as it would the network's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stalled;

impl Fault {
    /// This status with a JSON `{"message": "<reason phrase>"}` body, as Upgates errors look.
    pub fn status(code: u16) -> Self {
        let reason = StatusCode::from_u16(code)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        Self::json(code, json!({ "message": reason }))
    }

    /// This status with a JSON body (`Content-Type: application/json`).
    pub fn json(code: u16, body: serde_json::Value) -> Self {
        Self {
            status: code,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Bytes::from(serde_json::to_vec(&body).unwrap_or_default()),
            only: None,
            stalled: false,
        }
    }

    /// This status with exactly these body bytes and no headers (add them with [`Fault::header`]).
    pub fn raw(code: u16, body: &[u8]) -> Self {
        Self {
            status: code,
            headers: Vec::new(),
            body: Bytes::copy_from_slice(body),
            only: None,
            stalled: false,
        }
    }

    /// No answer in time: the loopback server answers only after [`STALL`] (a 504), and
    /// [`FakeShop::handle`](crate::FakeShop::handle)'s answer is marked [`Stalled`] for an
    /// in-process transport to report as a timeout. The request is recorded: it reached the shop.
    pub fn stall() -> Self {
        Self {
            stalled: true,
            ..Self::status(504)
        }
    }

    /// Adds a header, e.g. `Retry-After` or `Location`; replaces an earlier one of the same name.
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers
            .retain(|(name, _)| !name.eq_ignore_ascii_case(k));
        self.headers.push((k.to_owned(), v.to_owned()));
        self
    }

    /// Answers only a request with this method whose path ends with `path_end` (e.g. a
    /// `POST` to `/history`); other requests pass it by and keep their place in the queue.
    pub fn on(mut self, method: http::Method, path_end: &str) -> Self {
        self.only = Some((method, path_end.to_owned()));
        self
    }

    /// Whether this fault answers `req`.
    pub(crate) fn applies_to<B>(&self, req: &http::Request<B>) -> bool {
        self.only.as_ref().is_none_or(|(method, path_end)| {
            req.method() == method && req.uri().path().ends_with(path_end.as_str())
        })
    }

    /// The response. An invalid status becomes 500; invalid headers are left out.
    pub(crate) fn to_response(&self) -> Response<Bytes> {
        let mut response = Response::new(self.body.clone());
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (k, v) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) {
                if name == CONTENT_TYPE {
                    response.headers_mut().insert(name, value);
                } else {
                    response.headers_mut().append(name, value);
                }
            }
        }
        if self.stalled {
            response.extensions_mut().insert(Stalled);
        }
        response
    }
}

/// How `GET /api/v2/orders/{order_number}` answers for an order that does not exist
/// (undocumented in the Blueprint, so both plausible forms are offered).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MissingOrder {
    /// `404` with a JSON `{"message": ...}` body.
    #[default]
    NotFound404,
    /// `200` with the list envelope, `orders: []` and `number_of_items: 0`.
    EmptyList,
}
