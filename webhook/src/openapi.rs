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

    use crate::reply::Rejection;
    use crate::routing::route;
    use http::Method;

    /// The one method `route` takes on `path`, if it routes at all.
    fn routed_method(path: &str) -> Option<Method> {
        match route(&Method::GET, path) {
            Ok(_) => Some(Method::GET),
            Err(Rejection::WrongMethod { allow }) => Some(allow),
            Err(_) => None,
        }
    }

    /// Every route the router takes is in the document, with the method it takes and no other;
    /// and every documented path, its parameters filled in, routes with each documented method.
    #[test]
    fn the_document_and_the_router_list_the_same_routes() {
        let document: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap();
        let paths = document["paths"].as_object().unwrap();
        let mut routes: Vec<String> = ["/v1/health", "/v1/ready", "/v1/openapi.json", "/mcp"]
            .map(str::to_owned)
            .to_vec();
        routes.push("/v1/shops/{shop}/mcp".to_owned());
        for prefix in ["/v1/", "/v1/shops/{shop}/"] {
            routes.push(format!("{prefix}invoice/{{token}}"));
            for action in upgates_core::ActionName::ALL {
                routes.push(format!("{prefix}{action}"));
            }
        }
        let filled = |template: &str| template.replace("{shop}", "sk_2").replace("{token}", "a.b");
        for template in &routes {
            let method = routed_method(&filled(template))
                .unwrap_or_else(|| panic!("{template} does not route"));
            let item = paths
                .get(template)
                .unwrap_or_else(|| panic!("{template} is not documented"));
            let documented: Vec<&String> = item
                .as_object()
                .unwrap()
                .keys()
                .filter(|key| key.as_str() != "parameters")
                .collect();
            assert_eq!(
                documented,
                [&method.as_str().to_ascii_lowercase()],
                "{template}: the methods documented"
            );
        }
        for (template, item) in paths {
            let path = filled(template);
            for method in item.as_object().unwrap().keys() {
                if method == "parameters" {
                    continue;
                }
                let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
                assert!(
                    route(&method, &path).is_ok(),
                    "{method} {template} is documented but does not route"
                );
            }
        }
        assert_eq!(
            paths.len(),
            routes.len(),
            "documented paths the walk does not know"
        );
    }

    /// OpenAI's custom GPT actions refuse an operation whose summary or description is longer
    /// than 300 characters.
    #[test]
    fn every_operation_summary_and_description_fits_openai_actions() {
        let document: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap();
        for (template, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                for key in ["summary", "description"] {
                    let text = operation[key].as_str().unwrap_or_default();
                    assert!(
                        text.chars().count() <= 300,
                        "{method} {template} {key}: {} characters",
                        text.chars().count()
                    );
                }
            }
        }
    }
}
