//! What the fake remembers about its traffic: every request, and every customer notification
//! a status change would have sent.

use bytes::Bytes;

/// One request as the fake received it (recorded before it is answered, faults included).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    /// The HTTP method as sent (not the `X-HTTP-Method-Override` one).
    pub method: String,
    /// The path as sent, still percent-encoded, e.g. `/api/v2/orders/2025000123`.
    pub path: String,
    /// The raw query string, still percent-encoded, without the `?`.
    pub query: Option<String>,
    /// All headers, names lowercase, values lossily decoded as UTF-8, in order.
    pub headers: Vec<(String, String)>,
    /// The body, lossily decoded as UTF-8.
    pub body: String,
}

impl RecordedRequest {
    pub(crate) fn of(req: &http::Request<Bytes>) -> Self {
        Self {
            method: req.method().as_str().to_owned(),
            path: req.uri().path().to_owned(),
            query: req.uri().query().map(str::to_owned),
            headers: req
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_ascii_lowercase(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: String::from_utf8_lossy(req.body()).into_owned(),
        }
    }

    /// The first value of a header, name matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The query's pairs, percent-decoded (`+` as a space, as PHP decodes it), in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        crate::query::pairs(self.query.as_deref())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// An e-mail and/or SMS the shop would have sent the customer because an order's status changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    pub order_number: String,
    /// The new status.
    pub status_id: i64,
    /// Whether an e-mail went out (`send_emails_yn`).
    pub email: bool,
    /// Whether an SMS went out (`send_sms_yn`).
    pub sms: bool,
}
