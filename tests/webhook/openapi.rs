//! The webhook's OpenAPI document (`docs/openapi.yaml`, served at `/v1/openapi.json`) against
//! what the servers answer: every answer of the HTTP case table must be documented for its
//! path, method and status, with a body its schema accepts, and every request body the
//! servers accept must be one the document says they take (checked from `http_cases`).

use serde_json::{Value, json};

/// The document, a JSON Schema validator over it, and the rules that find an answer's
/// description.
pub struct Contract {
    document: Value,
}

/// What one exchange was: the request as sent, the answer as received.
pub struct Exchange<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub request_content_type: Option<&'a str>,
    pub request_body: &'a str,
    pub status: u16,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

impl Contract {
    /// The document as the servers serve it.
    pub fn served() -> Self {
        let document =
            serde_json::from_str(upgates_webhook::openapi::DOCUMENT).expect("the document is JSON");
        Self { document }
    }

    /// Why `exchange` is not what the document promises, or `Ok`.
    pub fn check(&self, exchange: &Exchange) -> Result<(), String> {
        let method = exchange.method.to_ascii_lowercase();
        let (template, operation) = match self.path_item(exchange.path) {
            None => return self.generic(exchange, 404, "NoRoute"),
            Some((template, item)) => match item.get(&method) {
                None => return self.generic(exchange, 405, "MethodNotAllowed"),
                Some(operation) => (template, operation),
            },
        };
        let at = format!("{} {template}", exchange.method);
        let status = exchange.status.to_string();
        let response = operation["responses"]
            .get(&status)
            .ok_or_else(|| format!("{at}: status {status} is not documented"))?;
        let response = self.resolve(response)?;
        self.check_body(&format!("{at} {status}"), response, exchange)?;
        if exchange.status == 200
            && let Some(request_body) = operation.get("requestBody")
        {
            self.check_request(&at, self.resolve(request_body)?, exchange)?;
        }
        Ok(())
    }

    /// Why the answer's headers are not what the document says for it (each header its
    /// response lists must be there, its value one the header's schema takes), or `Ok`.
    pub fn check_headers(
        &self,
        exchange: &Exchange,
        headers: &http::HeaderMap,
    ) -> Result<(), String> {
        let at = format!("{} {} {}", exchange.method, exchange.path, exchange.status);
        let Some(response) = self.response(exchange)? else {
            return Err(format!("{at}: status not documented"));
        };
        let Some(documented) = response.get("headers").and_then(Value::as_object) else {
            return Ok(());
        };
        for (name, header) in documented {
            let header = self.resolve(header)?;
            let value = headers
                .get(name.as_str())
                .ok_or_else(|| format!("{at}: no {name} header"))?
                .to_str()
                .map_err(|e| format!("{at}: {name} is not text: {e}"))?;
            self.validate(&format!("{at} {name}"), &header["schema"], &json!(value))?;
        }
        Ok(())
    }

    /// The Response object the document gives for the exchange's path, method and status.
    fn response(&self, exchange: &Exchange) -> Result<Option<&Value>, String> {
        let method = exchange.method.to_ascii_lowercase();
        let response = match self.path_item(exchange.path) {
            None => &self.document["components"]["responses"]["NoRoute"],
            Some((_, item)) => match item.get(&method) {
                None => &self.document["components"]["responses"]["MethodNotAllowed"],
                Some(operation) => match operation["responses"].get(exchange.status.to_string()) {
                    None => return Ok(None),
                    Some(response) => response,
                },
            },
        };
        self.resolve(response).map(Some)
    }

    /// An answer no operation lists: the document's own description of it.
    fn generic(&self, exchange: &Exchange, status: u16, name: &str) -> Result<(), String> {
        let at = format!("{} {}", exchange.method, exchange.path);
        if exchange.status != status {
            return Err(format!(
                "{at}: no operation here, so the answer must be {status}, not {}",
                exchange.status
            ));
        }
        let response = &self.document["components"]["responses"][name];
        self.check_body(&at, response, exchange)
    }

    /// The path item whose template (`/v1/shops/{shop}/verify-order`) matches `path`: a
    /// parameter is one whole segment.
    fn path_item(&self, path: &str) -> Option<(&str, &Value)> {
        let segments: Vec<&str> = path.split('/').collect();
        let paths = self.document["paths"].as_object()?;
        paths.iter().find_map(|(template, item)| {
            let parts: Vec<&str> = template.split('/').collect();
            let matches = parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(part, segment)| {
                    part == segment
                        || (part.starts_with('{') && part.ends_with('}') && !segment.is_empty())
                });
            matches.then_some((template.as_str(), item))
        })
    }

    fn check_body(&self, at: &str, response: &Value, exchange: &Exchange) -> Result<(), String> {
        let content_type = exchange
            .content_type
            .ok_or_else(|| format!("{at}: the answer has no content type"))?;
        let media = content_type.split(';').next().unwrap_or_default().trim();
        let described = response["content"]
            .get(media)
            .ok_or_else(|| format!("{at}: content type {media} is not documented"))?;
        if media == "application/pdf" {
            return match exchange.body.starts_with(b"%PDF-") {
                true => Ok(()),
                false => Err(format!("{at}: not a PDF")),
            };
        }
        let body: Value = serde_json::from_slice(exchange.body)
            .map_err(|e| format!("{at}: the body is not JSON: {e}"))?;
        self.validate(&format!("{at} answer"), &described["schema"], &body)
    }

    /// The request body, read as the webhook reads it: a form when it says so and does not
    /// start with `{` (webhook/src/input.rs), else JSON.
    fn check_request(
        &self,
        at: &str,
        request_body: &Value,
        exchange: &Exchange,
    ) -> Result<(), String> {
        let form = exchange
            .request_content_type
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
            && !exchange.request_body.trim_start().starts_with('{');
        let (media, body) = if form {
            let fields = form_fields(exchange.request_body);
            ("application/x-www-form-urlencoded", fields)
        } else {
            let body = serde_json::from_str(exchange.request_body)
                .map_err(|e| format!("{at}: an accepted request body is not JSON: {e}"))?;
            ("application/json", body)
        };
        let schema = &request_body["content"][media]["schema"];
        if schema.is_null() {
            return Err(format!(
                "{at}: request content type {media} is not documented"
            ));
        }
        self.validate(&format!("{at} request ({media})"), schema, &body)
    }

    /// `instance` against `schema`, a part of the document (its `$ref`s resolve in it).
    fn validate(&self, at: &str, schema: &Value, instance: &Value) -> Result<(), String> {
        // The whole document is the root schema, so `#/components/...` resolves; its own
        // keys (`openapi`, `paths`) are no JSON Schema keywords and are ignored.
        let mut root = self.document.clone();
        root["$defs"] = json!({ "checked": schema });
        root["$ref"] = json!("#/$defs/checked");
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&root)
            .map_err(|e| format!("{at}: the document's schema does not compile: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        match errors.is_empty() {
            true => Ok(()),
            false => Err(format!("{at}: {instance}\n  {}", errors.join("\n  "))),
        }
    }

    /// A Response or Request Body object, its `$ref` followed.
    fn resolve<'a>(&'a self, value: &'a Value) -> Result<&'a Value, String> {
        match value.get("$ref").and_then(Value::as_str) {
            None => Ok(value),
            Some(reference) => reference
                .strip_prefix('#')
                .and_then(|pointer| self.document.pointer(pointer))
                .ok_or_else(|| format!("{reference} is not in the document")),
        }
    }
}

fn form_fields(body: &str) -> Value {
    let fields = form_urlencoded::parse(body.as_bytes())
        .map(|(key, value)| (key.into_owned(), Value::String(value.into_owned())));
    Value::Object(fields.collect())
}

/// `docs/openapi.yaml` is what the servers serve: the build's conversion loses nothing.
#[test]
fn the_served_document_is_the_yaml() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.yaml");
    let yaml = std::fs::read_to_string(path).expect("docs/openapi.yaml");
    let written: serde_yaml_ng::Value = serde_yaml_ng::from_str(&yaml).expect("YAML, no key twice");
    let written = serde_json::to_value(written).expect("JSON can hold it");
    assert_eq!(written, Contract::served().document);
    // A key written twice is refused, not silently the last one (build.rs reads it so too).
    assert!(serde_yaml_ng::from_str::<serde_yaml_ng::Value>("paths:\n  /a: 1\n  /a: 2\n").is_err());
}

/// Every schema of the document compiles, including the ones no case of the table reaches.
#[test]
fn every_schema_compiles() {
    let contract = Contract::served();
    let schemas = contract.document["components"]["schemas"]
        .as_object()
        .expect("components.schemas");
    assert!(schemas.len() > 30, "{}", schemas.len());
    for name in schemas.keys() {
        let reference = json!({ "$ref": format!("#/components/schemas/{name}") });
        let mut root = contract.document.clone();
        root["$ref"] = reference["$ref"].clone();
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&root)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// A right answer passes; each kind of wrong one is caught, so the table's check bites.
#[test]
fn the_check_refuses_what_the_document_does_not_promise() {
    let contract = Contract::served();
    let exchange = |path, status, content_type, body: &'static str| Exchange {
        method: "POST",
        path,
        request_content_type: Some("application/json"),
        request_body: r#"{"order":"2025000123"}"#,
        status,
        content_type,
        body: body.as_bytes(),
    };
    let json = Some("application/json");
    let ano = r#"{"ok":true,"vars":{"status":"Přijatá","billing":null,"shipping":"PPL","paid":false,"topay":1230.50,"topaytext":"1 230,50 Kč","currency":"CZK","tracking":null,"trackingurl":null}}"#;
    assert_eq!(
        contract.check(&exchange("/v1/verify-order", 200, json, ano)),
        Ok(())
    );
    let ne = r#"{"ok":false,"reason":"not-found","message":"no such order"}"#;
    assert_eq!(
        contract.check(&exchange("/v1/verify-order", 200, json, ne)),
        Ok(())
    );
    for (why, path, status, content_type, body) in [
        (
            "a variable too many",
            "/v1/verify-order",
            200,
            json,
            r#"{"ok":true,"vars":{"status":null,"billing":null,"shipping":null,"paid":false,"topay":null,"topaytext":null,"currency":null,"tracking":null,"trackingurl":null,"extra":1}}"#,
        ),
        (
            "a variable missing",
            "/v1/verify-order",
            200,
            json,
            r#"{"ok":true,"vars":{"paid":false}}"#,
        ),
        (
            "another action's variables",
            "/v1/customer-email",
            200,
            json,
            ano,
        ),
        (
            "a reason not listed",
            "/v1/verify-order",
            200,
            json,
            r#"{"ok":false,"reason":"teapot","message":"no"}"#,
        ),
        (
            "paid as text",
            "/v1/verify-order",
            200,
            json,
            r#"{"ok":true,"vars":{"status":null,"billing":null,"shipping":null,"paid":"no","topay":null,"topaytext":null,"currency":null,"tracking":null,"trackingurl":null}}"#,
        ),
        ("an undocumented status", "/v1/verify-order", 418, json, ne),
        (
            "an error's reason for another status",
            "/v1/verify-order",
            401,
            json,
            r#"{"ok":false,"reason":"bad-request","message":"send `Authorization: Bearer <token>`"}"#,
        ),
        (
            "another content type",
            "/v1/verify-order",
            200,
            Some("text/plain"),
            ne,
        ),
        ("no content type", "/v1/verify-order", 200, None, ne),
        ("not JSON", "/v1/verify-order", 200, json, "Ano"),
        (
            "an unknown path answered 200",
            "/v1/drop-table",
            200,
            json,
            ne,
        ),
    ] {
        assert!(
            contract
                .check(&exchange(path, status, content_type, body))
                .is_err(),
            "{why}: passed"
        );
    }
    // A request body the document does not take, answered 200, is caught too.
    let accepted_but_undocumented = Exchange {
        request_body: r#"{"order":"2025000123","extra":"x"}"#,
        ..exchange("/v1/verify-order", 200, json, ne)
    };
    assert!(contract.check(&accepted_but_undocumented).is_err());
    // A path no operation lists must be 404 no-route; a listed one with another method 405.
    let no_route = r#"{"ok":false,"reason":"no-route","message":"no such route"}"#;
    assert_eq!(
        contract.check(&exchange("/v1/drop-table", 404, json, no_route)),
        Ok(())
    );
    let wrong_method = Exchange {
        method: "GET",
        ..exchange(
            "/v1/verify-order",
            405,
            json,
            r#"{"ok":false,"reason":"method-not-allowed","message":"this route takes POST only"}"#,
        )
    };
    assert_eq!(contract.check(&wrong_method), Ok(()));
    assert!(
        contract
            .check(&Exchange {
                status: 404,
                ..wrong_method
            })
            .is_err()
    );
}

/// The headers a response lists are checked: present, with a value their schema takes.
#[test]
fn the_check_refuses_headers_the_document_does_not_promise() {
    let contract = Contract::served();
    let headers = |pairs: &[(&'static str, &'static str)]| {
        let mut map = http::HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, http::HeaderValue::from_static(value));
        }
        map
    };
    let exchange = |method, path, status| Exchange {
        method,
        path,
        request_content_type: Some("application/json"),
        request_body: r#"{"order":"2025000123"}"#,
        status,
        content_type: Some("application/json"),
        body: b"{}",
    };
    let answer = exchange("POST", "/v1/verify-order", 200);
    let no_store = headers(&[("cache-control", "no-store")]);
    assert_eq!(contract.check_headers(&answer, &no_store), Ok(()));
    for wrong in [headers(&[("cache-control", "max-age=60")]), headers(&[])] {
        assert!(
            contract.check_headers(&answer, &wrong).is_err(),
            "{wrong:?}"
        );
    }
    let wrong_method = exchange("GET", "/v1/verify-order", 405);
    let allow = headers(&[("cache-control", "no-store"), ("allow", "POST")]);
    assert_eq!(contract.check_headers(&wrong_method, &allow), Ok(()));
    assert!(contract.check_headers(&wrong_method, &no_store).is_err());
    let unauthenticated = exchange("POST", "/v1/verify-order", 401);
    let bearer = headers(&[("cache-control", "no-store"), ("www-authenticate", "Basic")]);
    assert!(contract.check_headers(&unauthenticated, &bearer).is_err());
}

/// An MCP answer is a JSON-RPC answer: exactly one of `result` and `error`, nothing else.
#[test]
fn the_check_refuses_what_is_not_a_json_rpc_answer() {
    let contract = Contract::served();
    let exchange = |body: &'static str| Exchange {
        method: "POST",
        path: "/mcp",
        request_content_type: Some("application/json"),
        request_body: r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
        status: 200,
        content_type: Some("application/json"),
        body: body.as_bytes(),
    };
    for answer in [
        r#"{"jsonrpc":"2.0","id":1,"result":{}}"#,
        r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"the body is not JSON"}}"#,
    ] {
        assert_eq!(contract.check(&exchange(answer)), Ok(()), "{answer}");
    }
    for answer in [
        r#"{"jsonrpc":"2.0","id":1}"#,
        r#"{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":-32603,"message":"both"}}"#,
        r#"{"jsonrpc":"2.0","id":1,"result":{},"extra":true}"#,
    ] {
        assert!(contract.check(&exchange(answer)).is_err(), "{answer}");
    }
}

/// A misconfigured Spin app's answers (no shop can be built from its variables, which
/// `upgates serve` refuses at start): `500 misconfigured` on an action, `503 not-ready` on
/// ready, both as the document describes them; Upgates is not asked.
#[tokio::test(flavor = "multi_thread")]
async fn a_misconfigured_spin_apps_answers_are_documented() {
    use crate::support::spin_harness::{self, Kv, TOKEN};
    let fake = crate::support::sample_shop();
    let mut variables = spin_harness::variables();
    variables.remove("api_url");
    let body = r#"{"order":"2025000123"}"#;
    let action = http::Request::post("/v1/verify-order")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from_static(
            body.as_bytes(),
        )))
        .expect("a request");
    let ready = http::Request::get("/v1/ready")
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .expect("a request");
    for (request, method, path, status, reason) in [
        (action, "POST", "/v1/verify-order", 500, "misconfigured"),
        (ready, "GET", "/v1/ready", 503, "not-ready"),
    ] {
        let reply =
            spin_harness::serve_raw(&fake, variables.clone(), &Kv::default(), request).await;
        assert_eq!(reply.status.as_u16(), status, "{path}: {reply:?}");
        let answer: Value = serde_json::from_slice(&reply.body).expect("JSON");
        assert_eq!(answer["reason"], json!(reason), "{path}: {answer}");
        let exchange = Exchange {
            method,
            path,
            request_content_type: (method == "POST").then_some("application/json"),
            request_body: if method == "POST" { body } else { "" },
            status,
            content_type: reply
                .headers
                .get("content-type")
                .and_then(|value| value.to_str().ok()),
            body: &reply.body,
        };
        let contract = Contract::served();
        assert_eq!(contract.check(&exchange), Ok(()), "{path}");
        assert_eq!(
            contract.check_headers(&exchange, &reply.headers),
            Ok(()),
            "{path}"
        );
    }
    assert!(fake.requests().is_empty());
}
