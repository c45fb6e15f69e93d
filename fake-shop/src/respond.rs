//! Building responses: JSON bodies, the `{"message": ...}` errors and the paged envelope.

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE};
use http::{HeaderValue, Response, StatusCode};
use serde_json::{Value, json};

/// An error answer: a status and the message of its `{"message": "..."}` body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub message: String,
    allow: Option<String>,
}

pub(crate) type ApiResult = Result<Response<Bytes>, ApiError>;

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            allow: None,
        }
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
    pub(crate) fn method_not_allowed(method: &str, allowed: &[&str]) -> Self {
        Self {
            allow: Some(allowed.join(", ")),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("Method {method} is not allowed on this endpoint."),
            )
        }
    }

    pub(crate) fn into_response(self) -> Response<Bytes> {
        let mut response = json(self.status, &json!({ "message": self.message }));
        if let Some(allow) = self.allow.and_then(|a| HeaderValue::from_str(&a).ok()) {
            response.headers_mut().insert(ALLOW, allow);
        }
        response
    }
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, body: &Value) -> Response<Bytes> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    with_type(status, Bytes::from(bytes), "application/json")
}

/// `200 OK` with a JSON body.
pub(crate) fn ok(body: &Value) -> ApiResult {
    Ok(json(StatusCode::OK, body))
}

/// A body with a content type.
pub(crate) fn with_type(
    status: StatusCode,
    body: Bytes,
    content_type: &'static str,
) -> Response<Bytes> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The paged list envelope: `current_page`, `current_page_items`, `number_of_pages`,
/// `number_of_items` and the page's items under `key`. A page past the end is empty.
pub(crate) fn paged(items: Vec<Value>, page: usize, per_page: usize, key: &str) -> Value {
    let total = items.len();
    let pages = total.div_ceil(per_page.max(1));
    let start = page.saturating_sub(1).saturating_mul(per_page);
    let page_items: Vec<Value> = items.into_iter().skip(start).take(per_page).collect();
    let mut envelope = serde_json::Map::new();
    envelope.insert("current_page".into(), json!(page));
    envelope.insert("current_page_items".into(), json!(page_items.len()));
    envelope.insert("number_of_pages".into(), json!(pages));
    envelope.insert("number_of_items".into(), json!(total));
    envelope.insert(key.into(), Value::Array(page_items));
    Value::Object(envelope)
}

/// One `ErrorMessage` item of a write endpoint's `messages`.
pub(crate) fn message(
    object: Option<&str>,
    property: Option<&str>,
    text: &str,
    level: &str,
) -> Value {
    json!({ "object": object, "property": property, "message": text, "level": level })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages() {
        let items: Vec<Value> = (0..250).map(|i| json!(i)).collect();
        let p3 = paged(items.clone(), 3, 100, "orders");
        assert_eq!(p3["current_page_items"], 50);
        assert_eq!(p3["number_of_pages"], 3);
        assert_eq!(p3["orders"][0], 200);
        let p9 = paged(items, 9, 100, "orders");
        assert_eq!(p9["orders"], json!([]));
        assert_eq!(p9["number_of_items"], 250);
        let empty = paged(vec![], 1, 100, "orders");
        assert_eq!(empty["number_of_pages"], 0);
    }
}
