//! `GET /v1/openapi.json`: the webhook's OpenAPI 3.1 document, `docs/openapi.yaml` converted
//! to JSON at build time (build.rs). A public contract: no token.

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, REFERRER_POLICY};
use http::{HeaderValue, StatusCode};
use http_body_util::Full;

use crate::reply::{JsonReply, no_referrer};

/// The document as served: compact JSON.
pub const DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

/// `200` with the document.
pub fn reply() -> JsonReply {
    let mut reply = http::Response::new(Full::new(Bytes::from_static(DOCUMENT.as_bytes())));
    *reply.status_mut() = StatusCode::OK;
    let headers = reply.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // It changes with a deployment, not per request: a client may keep it, checking back.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(REFERRER_POLICY, no_referrer());
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_json_with_every_action() {
        let document: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap();
        assert!(document["openapi"].as_str().unwrap().starts_with("3.1."));
        for action in upgates_core::ActionName::ALL {
            let path = format!("/v1/{action}");
            assert!(
                document["paths"][&path]["post"].is_object(),
                "{path} is documented"
            );
        }
        assert_eq!(reply().headers()[CONTENT_TYPE], "application/json");
    }
}
