//! Building responses: JSON bodies, the `{"message": ...}` errors and the paged envelope.

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE};
use http::{HeaderValue, Response, StatusCode};
use serde::ser::{Serialize, SerializeMap, Serializer};
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
pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> Response<Bytes> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    with_type(status, Bytes::from(bytes), "application/json")
}

/// `200 OK` with a JSON body.
pub(crate) fn ok(body: &impl Serialize) -> ApiResult {
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
pub(crate) fn paged<T>(items: Vec<T>, page: usize, per_page: usize, key: &str) -> Page<'_, T> {
    let total = items.len();
    let pages = total.div_ceil(per_page.max(1));
    let start = page.saturating_sub(1).saturating_mul(per_page);
    Page {
        key,
        page,
        pages,
        total,
        items: items.into_iter().skip(start).take(per_page).collect(),
    }
}

/// One page, serialised straight from the shop's state: the items are usually borrowed, so a
/// GET copies nothing but the bytes it sends.
pub(crate) struct Page<'k, T> {
    key: &'k str,
    page: usize,
    pages: usize,
    total: usize,
    items: Vec<T>,
}

impl<T: Serialize> Serialize for Page<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("current_page", &self.page)?;
        map.serialize_entry("current_page_items", &self.items.len())?;
        map.serialize_entry("number_of_items", &self.total)?;
        map.serialize_entry("number_of_pages", &self.pages)?;
        map.serialize_entry(self.key, &self.items)?;
        map.end()
    }
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
        let value = |page| serde_json::to_value(page).unwrap();
        let p3 = value(paged(items.clone(), 3, 100, "orders"));
        assert_eq!(p3["current_page_items"], 50);
        assert_eq!(p3["number_of_pages"], 3);
        assert_eq!(p3["orders"][0], 200);
        let p9 = value(paged(items, 9, 100, "orders"));
        assert_eq!(p9["orders"], json!([]));
        assert_eq!(p9["number_of_items"], 250);
        let empty = value(paged(Vec::<Value>::new(), 1, 100, "orders"));
        assert_eq!(empty["number_of_pages"], 0);
    }
}
