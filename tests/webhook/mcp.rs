//! MCP at `/mcp`: the nine actions as tools, through `upgates serve` (the binary over real
//! HTTP) and through the Spin app (the wasmtime harness), both in front of the fake shop.
//! Each exchange is checked alike on both, with the requests it cost the shop.

use std::collections::HashMap;
use std::time::SystemTime;

use bytes::Bytes;
use http::Method;
use http_body_util::{BodyExt as _, Full};
use serde_json::{Value, json};
use upgates_cli::shops_file::env_name;
use upgates_core::ActionName;
use upgates_fake_shop::{FakeShop, LoopbackServer, SAMPLE_KEY, SAMPLE_LOGIN};
use upgates_webhook::input::MAX_BODY_BYTES;

use crate::support::cases::history;
use crate::support::guardrails::PROOF_SECRET;
use crate::support::servers::{self, Answer, Process};
use crate::support::spin_harness::{self, Kv, TOKEN};
use crate::support::{ANY, Sent, matches, sample_shop, sent};
use crate::webhook::openapi::{Contract, Exchange};

/// A server of the webhook with its own fake shop.
enum Server {
    Serve {
        process: Process,
        fake: FakeShop,
        _upgates: LoopbackServer,
    },
    Spin {
        fake: FakeShop,
        variables: HashMap<String, String>,
        kv: Kv,
    },
}

impl Server {
    /// `upgates serve` with the shop's `settings` as `UPGATES_*` variables.
    async fn serve(settings: &[(&str, &str)]) -> Self {
        let fake = FakeShop::sample(SystemTime::now());
        let upgates = fake.serve().await.expect("the fake shop listens");
        let mut env = vec![
            ("UPGATES_API_URL".to_owned(), upgates.api_url()),
            ("UPGATES_API_LOGIN".to_owned(), SAMPLE_LOGIN.to_owned()),
            ("UPGATES_API_KEY".to_owned(), SAMPLE_KEY.to_owned()),
            ("UPGATES_BOT_TOKEN".to_owned(), TOKEN.to_owned()),
        ];
        for (key, value) in settings {
            env.push((env_name(key), (*value).to_owned()));
        }
        Server::Serve {
            process: servers::upgates_serve(crate::UPGATES, &env, &[]),
            fake,
            _upgates: upgates,
        }
    }

    /// The Spin app with the shop's `settings` as Spin variables.
    fn spin(settings: &[(&str, &str)]) -> Self {
        let mut variables = spin_harness::variables();
        for (key, value) in settings {
            variables.insert(key.replace('-', "_"), (*value).to_owned());
        }
        Server::Spin {
            fake: sample_shop(),
            variables,
            kv: Kv::default(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Server::Serve { .. } => "upgates serve",
            Server::Spin { .. } => "spin app",
        }
    }

    /// The origin a page this server serves would send: its scheme and the `Host` it is
    /// reached by.
    fn own_origin(&self) -> String {
        match self {
            Server::Serve { process, .. } => process.base.clone(),
            Server::Spin { .. } => "http://upgates-bot.example".to_owned(),
        }
    }

    fn fake(&self) -> &FakeShop {
        match self {
            Server::Serve { fake, .. } | Server::Spin { fake, .. } => fake,
        }
    }

    /// `request`'s answer, checked against the OpenAPI document (docs/openapi.yaml): its
    /// status and body, and the request's body when it was answered `200`.
    async fn send(&self, request: http::Request<Full<Bytes>>) -> Answer {
        let method = request.method().to_string();
        let path = request.uri().path().to_owned();
        let content_type = request
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = String::from_utf8_lossy(
            request
                .body()
                .clone()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .as_ref(),
        )
        .into_owned();
        let answer = self.send_unchecked(request).await;
        // Every answer's header, documented once for the whole API (docs/openapi.yaml's info).
        assert_eq!(
            answer
                .headers
                .get("referrer-policy")
                .and_then(|value| value.to_str().ok()),
            Some("no-referrer"),
            "{}: {method} {path} {}",
            self.name(),
            answer.status
        );
        let exchange = Exchange {
            method: &method,
            path: &path,
            request_content_type: content_type.as_deref(),
            request_body: &body,
            status: answer.status.as_u16(),
            content_type: answer
                .headers
                .get("content-type")
                .and_then(|value| value.to_str().ok()),
            body: &answer.body,
        };
        if let Err(why) = Contract::served().check_headers(&exchange, &answer.headers) {
            panic!(
                "{}: not the headers docs/openapi.yaml promises: {why}",
                self.name()
            );
        }
        // `202` has no body, which the check's body rule does not take: its status is enough.
        if answer.status != 202 {
            let exchange = Exchange {
                method: &method,
                path: &path,
                request_content_type: content_type.as_deref(),
                request_body: &body,
                status: answer.status.as_u16(),
                content_type: answer
                    .headers
                    .get("content-type")
                    .and_then(|value| value.to_str().ok()),
                body: &answer.body,
            };
            if let Err(why) = Contract::served().check(&exchange) {
                panic!(
                    "{}: not what docs/openapi.yaml promises: {why}",
                    self.name()
                );
            }
        }
        answer
    }

    /// [`Server::send`] without the document's check: for a batch the document does not
    /// promise to take as a whole (one of its messages is not JSON-RPC 2.0).
    async fn send_unchecked(&self, request: http::Request<Full<Bytes>>) -> Answer {
        match self {
            Server::Serve { process, .. } => servers::send(&process.base, request).await,
            Server::Spin {
                fake,
                variables,
                kv,
            } => {
                let reply = spin_harness::serve_raw(fake, variables.clone(), kv, request).await;
                Answer {
                    status: reply.status,
                    headers: reply.headers,
                    body: reply.body,
                }
            }
        }
    }

    /// One JSON-RPC message to `/mcp` as MCP clients send it, after `initialize` (the
    /// revision's header) with the right token; the answer's JSON (`null` for no body).
    async fn post(&self, message: Value) -> (u16, Value) {
        let answer = self.send(mcp_request("/mcp", Some(TOKEN), &message)).await;
        (answer.status.as_u16(), json_of(&answer))
    }

    /// `tools/call` of `tool` with `arguments`: the result, checked to be a 200 answer to
    /// the request's id.
    async fn call_tool(&self, tool: &str, arguments: Value) -> Value {
        let (status, answer) = self
            .post(json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                         "params": {"name": tool, "arguments": arguments}}))
            .await;
        assert_eq!(status, 200, "{}: {answer}", self.name());
        assert_eq!(answer["id"], json!(7), "{}: {answer}", self.name());
        answer["result"].clone()
    }

    fn requests(&self) -> Vec<Sent> {
        sent(self.fake())
    }
}

fn mcp_request(path: &str, token: Option<&str>, message: &Value) -> http::Request<Full<Bytes>> {
    mcp_request_text(path, token, &message.to_string())
}

/// [`mcp_request`] of the body as written (numbers a `Value` would round).
fn mcp_request_text(path: &str, token: Option<&str>, body: &str) -> http::Request<Full<Bytes>> {
    let mut builder = http::Request::builder()
        .method(Method::POST)
        .uri(format!("http://upgates-bot.example{path}"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap()
}

fn json_of(answer: &Answer) -> Value {
    if answer.body.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(&answer.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&answer.body)))
}

/// Both servers, each with these shop settings.
async fn both(settings: &[(&str, &str)]) -> [Server; 2] {
    [Server::serve(settings).await, Server::spin(settings)]
}

/// `initialize` names the revision the client asked for (a served one) and the tools
/// capability; `notifications/initialized` is `202` with no body; `ping` answers `{}`.
/// Nothing is sent to the shop.
#[tokio::test(flavor = "multi_thread")]
async fn initialize_notifications_and_ping() {
    for server in both(&[]).await {
        let name = server.name();
        let initialize = mcp_request(
            "/mcp",
            Some(TOKEN),
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "test", "version": "1"}}}),
        );
        let answer = server.send(initialize).await;
        assert_eq!(answer.status, 200, "{name}: {answer:?}");
        assert_eq!(answer.headers["content-type"], "application/json", "{name}");
        let expected = json!({"jsonrpc": "2.0", "id": 1, "result": {
            "protocolVersion": "2025-06-18",
            "capabilities": {"tools": {"listChanged": false}},
            "serverInfo": {"name": "upgates-bot", "title": "Upgates e-shop customer service",
                           "version": env!("CARGO_PKG_VERSION")},
            "instructions": ANY}});
        let got = json_of(&answer);
        assert!(matches(&expected, &got), "{name}: {got}");
        // A revision it does not serve: the newest it does, for the client to decide.
        let (_, answer) = server
            .post(
                json!({"jsonrpc": "2.0", "id": "a", "method": "initialize", "params": {
                "protocolVersion": "2099-01-01", "capabilities": {},
                "clientInfo": {"name": "test", "version": "1"}}}),
            )
            .await;
        assert_eq!(answer["result"]["protocolVersion"], "2025-11-25", "{name}");
        assert_eq!(answer["id"], "a", "{name}");
        // 2024-11-05's clients speak HTTP+SSE, which is not served here.
        let (_, answer) = server
            .post(
                json!({"jsonrpc": "2.0", "id": "b", "method": "initialize", "params": {
                "protocolVersion": "2024-11-05", "capabilities": {},
                "clientInfo": {"name": "test", "version": "1"}}}),
            )
            .await;
        assert_eq!(answer["result"]["protocolVersion"], "2025-11-25", "{name}");

        let (status, answer) = server
            .post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        assert_eq!((status, answer), (202, Value::Null), "{name}");
        let (status, answer) = server
            .post(json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}))
            .await;
        assert_eq!(
            (status, answer),
            (200, json!({"jsonrpc": "2.0", "id": 2, "result": {}})),
            "{name}"
        );
        assert_eq!(server.requests(), vec![], "{name}");
    }
}

/// `tools/list`: the nine actions by their WIT names, with a title, a description, their
/// inputs' schema as the webhook parses them, and the annotations of a read or a write.
#[tokio::test(flavor = "multi_thread")]
async fn tools_list_names_schemas_and_annotations() {
    for server in both(&[]).await {
        let name = server.name();
        let (status, answer) = server
            .post(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}))
            .await;
        assert_eq!(status, 200, "{name}: {answer}");
        let tools = answer["result"]["tools"].as_array().expect("tools");
        let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
        let actions: Vec<&str> = ActionName::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names, actions, "{name}");
        let tool = |tool: &str| {
            tools
                .iter()
                .find(|t| t["name"] == tool)
                .cloned()
                .unwrap_or_default()
        };
        let read = json!({"title": ANY, "readOnlyHint": true, "openWorldHint": false});
        let write = |destructive: bool| {
            json!({"title": ANY, "readOnlyHint": false, "destructiveHint": destructive,
                   "idempotentHint": false, "openWorldHint": false})
        };
        for (tool_name, annotations) in [
            ("verify-order", read.clone()),
            ("order-detail", read.clone()),
            ("customer-email", read.clone()),
            ("verify-customer", read.clone()),
            ("orders-by-phone", read.clone()),
            ("order-documents", read.clone()),
            ("set-order-status", write(true)),
            ("replace-note", write(true)),
            ("append-note", write(false)),
        ] {
            let tool = tool(tool_name);
            assert!(
                matches(&annotations, &tool["annotations"]),
                "{name}: {tool_name}: {}",
                tool["annotations"]
            );
            assert!(tool["title"].is_string(), "{name}: {tool_name}");
            let description = tool["description"].as_str().unwrap_or_default();
            assert!(
                description.contains("request"),
                "{name}: {tool_name}: the cost"
            );
        }
        assert_eq!(
            tool("verify-order")["inputSchema"],
            json!({"type": "object", "additionalProperties": false, "required": ["order"],
                   "properties": {"order": {"type": "string", "description": "The order number."}}}),
            "{name}"
        );
        assert_eq!(
            tool("set-order-status")["inputSchema"],
            json!({"type": "object", "additionalProperties": false,
                   "required": ["order", "status"],
                   "properties": {
                       "order": {"type": "string", "description": "The order number."},
                       "status": {"type": "string", "description":
                           "The status: its name in any shop language, or its id."},
                       "notify": {"type": "boolean", "default": false, "description":
                           "Send the status's e-mail and SMS to the customer."},
                       "proof": {"type": "string", "description":
                           "The proof verify-customer answered for the order (`require-proof`)."}}}),
            "{name}"
        );
        assert_eq!(
            tool("orders-by-phone")["inputSchema"]["properties"]["days"],
            json!({"type": "integer", "minimum": 1, "maximum": 3650,
                   "description": "How many days back to look."}),
            "{name}"
        );
        // The proof flow is told where it matters.
        for tool_name in ["verify-customer", "set-order-status", "append-note"] {
            let description = tool(tool_name)["description"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(description.contains("proof"), "{name}: {tool_name}");
        }
        assert_eq!(server.requests(), vec![], "{name}");
    }
}

/// A read: its answer's variables as structured content (and as JSON text), after exactly the
/// request the webhook's call costs.
#[tokio::test(flavor = "multi_thread")]
async fn a_read_is_the_actions_answer_and_its_requests() {
    for server in both(&[]).await {
        let name = server.name();
        let result = server
            .call_tool("verify-order", json!({"order": "2025000123"}))
            .await;
        let vars = json!({"status": "Přijatá", "billing": "Převodem na účet", "shipping": "PPL",
                          "paid": false, "topay": 1230.5, "topaytext": "1\u{a0}230,50\u{a0}Kč",
                          "currency": "CZK", "tracking": null, "trackingurl": null});
        assert_eq!(result["isError"], json!(false), "{name}: {result}");
        assert_eq!(result["structuredContent"], vars, "{name}");
        let text = result["content"][0]["text"].as_str().expect("a text");
        assert!(text.contains("\"topay\":1230.50"), "{name}: {text}");
        assert_eq!(serde_json::from_str::<Value>(text).unwrap(), vars, "{name}");
        assert_eq!(
            server.requests(),
            vec![Sent::get("/api/v2/orders/2025000123")],
            "{name}"
        );
        // "Ne" is a result too, with its reason.
        server.fake().clear_requests();
        let result = server
            .call_tool("verify-order", json!({"order": "9999999"}))
            .await;
        assert_eq!(
            result,
            json!({"isError": true,
                   "content": [{"type": "text", "text": "Ne (not-found): no such order"}],
                   "structuredContent": {"ok": false, "reason": "not-found",
                                         "message": "no such order"}}),
            "{name}"
        );
        assert_eq!(
            server.requests(),
            vec![Sent::get("/api/v2/orders/9999999")],
            "{name}"
        );
    }
}

/// A write the shop's guardrails refuse is an error result with `not-allowed`; nothing is
/// sent to the shop.
#[tokio::test(flavor = "multi_thread")]
async fn a_write_refused_by_a_guardrail_sends_nothing() {
    for server in both(&[("enabled-actions", "verify-order, verify-customer")]).await {
        let name = server.name();
        let result = server
            .call_tool(
                "set-order-status",
                json!({"order": "2025000124", "status": "Stornovaná", "notify": true}),
            )
            .await;
        let message = "not allowed by the shop's bot policy: `enabled-actions` does not list \
                       `set-order-status`";
        assert_eq!(result["isError"], json!(true), "{name}: {result}");
        assert_eq!(
            result["structuredContent"],
            json!({"ok": false, "reason": "not-allowed", "message": message}),
            "{name}"
        );
        assert_eq!(server.requests(), vec![], "{name}");
    }
    // require-proof: a write without verify-customer's proof is `not-verified`, unsent.
    let proof = [
        ("require-proof", "true"),
        ("proof-secret", "0123456789abcdef0123456789abcdef"),
    ];
    for server in both(&proof).await {
        let name = server.name();
        let result = server
            .call_tool(
                "append-note",
                json!({"order": "2025000124", "text": "Po 17:00"}),
            )
            .await;
        assert_eq!(result["isError"], json!(true), "{name}: {result}");
        assert_eq!(
            result["structuredContent"]["reason"], "not-verified",
            "{name}: {result}"
        );
        assert_eq!(server.requests(), vec![], "{name}");
    }
}

/// Arguments that are not the action's inputs answer as the webhook answers such a body,
/// `bad-request`, as an error result; nothing is sent.
#[tokio::test(flavor = "multi_thread")]
async fn bad_arguments_are_the_webhooks_bad_request() {
    for server in both(&[]).await {
        let name = server.name();
        for (tool, arguments, message) in [
            (
                "verify-order",
                json!({}),
                "invalid input: `order` is required for verify-order",
            ),
            (
                "verify-order",
                json!({"order": true}),
                "`order` must be text (or a whole number)",
            ),
            (
                "orders-by-phone",
                json!({"phone": "601223344", "days": "thirty"}),
                "`days` must be a whole number of days, e.g. 30",
            ),
            (
                "verify-order",
                json!({"order": "2025000123", "email": "jana@example.cz"}),
                "`email` is not an input of verify-order; it takes: order",
            ),
        ] {
            let result = server.call_tool(tool, arguments).await;
            assert_eq!(
                result,
                json!({"isError": true,
                       "content": [{"type": "text", "text": format!("Ne (bad-request): {message}")}],
                       "structuredContent": {"ok": false, "reason": "bad-request",
                                             "message": message}}),
                "{name}"
            );
        }
        assert_eq!(server.requests(), vec![], "{name}");
    }
}

/// A number in a tool's arguments is read from its digits, as the webhook reads a body's:
/// `9007199254740993.0` is that order (an f64 would make it …992), and a fraction an f64
/// rounds to a whole number is refused, not sent as another order.
#[tokio::test(flavor = "multi_thread")]
async fn argument_numbers_are_taken_as_written() {
    for server in both(&[]).await {
        let name = server.name();
        let call = |order: &str| {
            format!(
                r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{{"name":"verify-order","arguments":{{"order":{order}}}}}}}"#
            )
        };
        let answer = server
            .send(mcp_request_text(
                "/mcp",
                Some(TOKEN),
                &call("9007199254740993.0"),
            ))
            .await;
        assert_eq!(answer.status, 200, "{name}");
        assert_eq!(
            json_of(&answer)["result"]["structuredContent"]["reason"],
            "not-found",
            "{name}"
        );
        assert_eq!(
            server.requests(),
            vec![Sent::get("/api/v2/orders/9007199254740993")],
            "{name}"
        );
        server.fake().clear_requests();
        for order in ["4503599627370497.5", "9007199254740991.9"] {
            let answer = server
                .send(mcp_request_text("/mcp", Some(TOKEN), &call(order)))
                .await;
            let message = "`order` must be text (or a whole number)";
            assert_eq!(
                json_of(&answer),
                json!({"jsonrpc": "2.0", "id": 7, "result": {"isError": true,
                       "content": [{"type": "text", "text": format!("Ne (bad-request): {message}")}],
                       "structuredContent": {"ok": false, "reason": "bad-request",
                                             "message": message}}}),
                "{name}: {order}"
            );
        }
        assert_eq!(server.requests(), vec![], "{name}");
    }
}

/// A body `upgates serve` cannot read (its chunked framing broken) is answered as MCP answers
/// a body that is not JSON: `400` with JSON-RPC's parse error, not the webhook's error shape.
#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_body_is_a_json_rpc_parse_error() {
    let server = Server::serve(&[]).await;
    let Server::Serve { process, .. } = &server else {
        unreachable!("Server::serve is `upgates serve`")
    };
    let authority = process.base.trim_start_matches("http://").to_owned();
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read as _, Write as _};
        let mut caller = std::net::TcpStream::connect(authority).unwrap();
        // Only a guard against a server that never answers: the answer is asserted below.
        caller
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        caller
            .write_all(
                format!(
                    "POST /mcp HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {TOKEN}\r\n\
                     content-type: application/json\r\nconnection: close\r\n\
                     transfer-encoding: chunked\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n"
                )
                .as_bytes(),
            )
            .unwrap();
        let mut answer = Vec::new();
        // The server may close with unread input left, which resets the connection after the
        // answer was read.
        let _ = caller.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(
        head.to_ascii_lowercase()
            .contains("referrer-policy: no-referrer"),
        "{answer}"
    );
    assert_eq!(
        serde_json::from_str::<Value>(body).unwrap(),
        json!({"jsonrpc": "2.0", "id": null,
               "error": {"code": -32700, "message": "the body could not be read"}}),
        "{answer}"
    );
    assert_eq!(server.requests(), vec![]);
}

/// The transport's refusals: no or a wrong token (`401` with `WWW-Authenticate`, before the
/// body is read), an unknown tool (a JSON-RPC error), GET (no SSE stream: `405`), a revision
/// it does not speak (`400`), a body that is not JSON-RPC (`400`), a body that is not JSON
/// by type (`415`), a body over the limit (`413`), a page of another origin (`403`). Nothing is
/// sent.
#[tokio::test(flavor = "multi_thread")]
async fn refusals() {
    for server in both(&[]).await {
        let name = server.name();
        let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
        for token in [None, Some("not-the-token-0123456789")] {
            let answer = server.send(mcp_request("/mcp", token, &list)).await;
            assert_eq!(answer.status, 401, "{name}");
            assert_eq!(answer.headers["www-authenticate"], "Bearer", "{name}");
            assert_eq!(json_of(&answer)["reason"], "unauthenticated", "{name}");
        }
        // A named shop the Spin app does not serve: 401 without the token, 404 with it.
        let answer = server
            .send(mcp_request("/v1/shops/nope/mcp", None, &list))
            .await;
        assert_eq!(answer.status, 401, "{name}");
        let answer = server
            .send(mcp_request("/v1/shops/nope/mcp", Some(TOKEN), &list))
            .await;
        assert_eq!(answer.status, 404, "{name}");
        assert_eq!(json_of(&answer)["reason"], "no-route", "{name}");

        let result = server
            .post(json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
                         "params": {"name": "drop-table", "arguments": {}}}))
            .await;
        assert_eq!(
            result,
            (
                200,
                json!({"jsonrpc": "2.0", "id": 5, "error": {"code": -32602,
                       "message": "no such tool: tools/list names them"}})
            ),
            "{name}"
        );
        let (status, answer) = server
            .post(json!({"jsonrpc": "2.0", "id": 6, "method": "resources/list"}))
            .await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(answer["error"]["code"], -32601, "{name}: {answer}");
        let (status, answer) = server
            .post(json!({"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {}}))
            .await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(answer["id"], 8, "{name}: {answer}");
        assert_eq!(answer["error"]["code"], -32602, "{name}: {answer}");

        let mut get = mcp_request("/mcp", Some(TOKEN), &list);
        *get.method_mut() = Method::GET;
        let answer = server.send(get).await;
        assert_eq!(answer.status, 405, "{name}");
        assert_eq!(answer.headers["allow"], "POST", "{name}");

        let mut newer = mcp_request("/mcp", Some(TOKEN), &list);
        newer
            .headers_mut()
            .insert("mcp-protocol-version", "2099-01-01".parse().unwrap());
        let answer = server.send(newer).await;
        assert_eq!(answer.status, 400, "{name}");
        // The header's text is not echoed; the id of a message not read is null.
        assert_eq!(
            json_of(&answer),
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32022,
                   "message": "Unsupported protocol version",
                   "data": {"supported": ["2025-03-26", "2025-06-18", "2025-11-25"]}}}),
            "{name}"
        );
        let mut sse_era = mcp_request("/mcp", Some(TOKEN), &list);
        sse_era
            .headers_mut()
            .insert("mcp-protocol-version", "2024-11-05".parse().unwrap());
        assert_eq!(server.send(sse_era).await.status, 400, "{name}");

        let mut not_json = mcp_request("/mcp", Some(TOKEN), &list);
        *not_json.body_mut() = Full::new(Bytes::from_static(b"{\"jsonrpc\":"));
        let answer = server.send(not_json).await;
        assert_eq!(answer.status, 400, "{name}");
        assert_eq!(
            json_of(&answer),
            json!({"jsonrpc": "2.0", "id": null,
                   "error": {"code": -32700, "message": "the body is not JSON"}}),
            "{name}"
        );
        // Not JSON-RPC 2.0: `invalid request` (not `invalid params`), with the id it names.
        for message in [
            json!({"jsonrpc": "1.0", "id": 9, "method": "ping"}),
            json!({"id": 9, "method": "ping"}),
        ] {
            let (status, answer) = server.post(message).await;
            assert_eq!(
                (status, answer),
                (
                    400,
                    json!({"jsonrpc": "2.0", "id": 9, "error": {"code": -32600,
                           "message": "not a JSON-RPC 2.0 message (\"jsonrpc\": \"2.0\")"}})
                ),
                "{name}"
            );
        }
        let (status, answer) = server.post(json!({"jsonrpc": "2.0", "id": [1]})).await;
        assert_eq!(status, 400, "{name}");
        assert_eq!(answer["id"], Value::Null, "{name}: {answer}");
        assert_eq!(answer["error"]["code"], -32600, "{name}: {answer}");

        // A body over the webhook's limit is refused unread: 413.
        let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "verify-order", "arguments": {"order": "2025000123", "pad": ""}}});
        let padding = MAX_BODY_BYTES + 1 - call.to_string().len();
        let mut large = call.clone();
        large["params"]["arguments"]["pad"] = json!("x".repeat(padding));
        assert_eq!(large.to_string().len(), MAX_BODY_BYTES + 1);
        let large = mcp_request("/mcp", Some(TOKEN), &large);
        let answer = server.send(large).await;
        assert_eq!(answer.status, 413, "{name}");
        assert_eq!(json_of(&answer)["reason"], "too-large", "{name}");

        // A page of another site (DNS rebinding): 403, before the body is read.
        let mut foreign = mcp_request("/mcp", Some(TOKEN), &list);
        foreign
            .headers_mut()
            .insert("origin", "http://rebound.example".parse().unwrap());
        let answer = server.send(foreign).await;
        assert_eq!(answer.status, 403, "{name}");
        assert_eq!(
            json_of(&answer),
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message":
                   "the Origin is not this server's: MCP is not served to other sites' pages"}}),
            "{name}"
        );
        // A page of its own origin is served.
        let mut own = mcp_request("/mcp", Some(TOKEN), &list);
        own.headers_mut()
            .insert("origin", server.own_origin().parse().unwrap());
        assert_eq!(server.send(own).await.status, 200, "{name}");

        let mut form = mcp_request("/mcp", Some(TOKEN), &list);
        form.headers_mut().insert(
            "content-type",
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        assert_eq!(server.send(form).await.status, 415, "{name}");

        let mut html = mcp_request("/mcp", Some(TOKEN), &list);
        html.headers_mut()
            .insert("accept", "text/html".parse().unwrap());
        assert_eq!(server.send(html).await.status, 406, "{name}");

        assert_eq!(server.requests(), vec![], "{name}");
    }
}

/// `tools/list` offers only the actions the shop's `enabled-actions` allows.
#[tokio::test(flavor = "multi_thread")]
async fn tools_list_offers_only_the_enabled_actions() {
    for server in both(&[("enabled-actions", "verify-customer, verify-order")]).await {
        let name = server.name();
        let (status, answer) = server
            .post(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}))
            .await;
        assert_eq!(status, 200, "{name}: {answer}");
        let names: Vec<&str> = answer["result"]["tools"]
            .as_array()
            .expect("tools")
            .iter()
            .filter_map(|tool| tool["name"].as_str())
            .collect();
        assert_eq!(names, ["verify-order", "verify-customer"], "{name}");
        assert_eq!(server.requests(), vec![], "{name}");
    }
}

/// The shop's proofs through MCP: verify-customer's result carries the proof, append-note
/// with it writes (its exact requests), and the same proof on another order is
/// `not-verified`, with nothing sent.
#[tokio::test(flavor = "multi_thread")]
async fn a_proof_from_verify_customer_opens_a_write_of_its_order_only() {
    let settings = [("proof-secret", PROOF_SECRET), ("require-proof", "true")];
    for server in both(&settings).await {
        let name = server.name();
        let verified = server
            .call_tool(
                "verify-customer",
                json!({"order": "2025000124", "email": "jana.novakova@example.cz"}),
            )
            .await;
        assert_eq!(verified["isError"], json!(false), "{name}: {verified}");
        let proof = verified["structuredContent"]["proof"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: a proof in {verified}"))
            .to_owned();
        assert_eq!(
            server.requests(),
            vec![Sent::get("/api/v2/orders/2025000124")],
            "{name}"
        );
        server.fake().clear_requests();

        let appended = server
            .call_tool(
                "append-note",
                json!({"order": "2025000124", "text": "Ověřeno", "proof": proof}),
            )
            .await;
        assert_eq!(
            appended,
            json!({"isError": false, "content": [{"type": "text", "text": "{}"}],
                   "structuredContent": {}}),
            "{name}"
        );
        assert_eq!(
            server.requests(),
            vec![
                Sent::get("/api/v2/orders/2025000124"),
                Sent::put(
                    "/api/v2/orders",
                    json!({"send_emails_yn": false, "send_sms_yn": false,
                           "orders": [{"order_number": "2025000124", "internal_note":
                               "Zákazník volal kvůli dopravě.\nOvěřeno"}]})
                ),
                history("2025000124", "Chatbot: doplnění poznámky", "Ověřeno"),
            ],
            "{name}"
        );
        server.fake().clear_requests();

        let elsewhere = server
            .call_tool(
                "append-note",
                json!({"order": "2025000123", "text": "Ověřeno", "proof": proof}),
            )
            .await;
        assert_eq!(elsewhere["isError"], json!(true), "{name}: {elsewhere}");
        assert_eq!(
            elsewhere["structuredContent"]["reason"], "not-verified",
            "{name}: {elsewhere}"
        );
        assert_eq!(server.requests(), vec![], "{name}");
    }
}

/// A batch (which the 2025-03-26 revision has servers take): an array of the answers to its
/// requests, in its order, none for its notifications; only notifications: `202`. An empty
/// batch, and one over the cap, are one JSON-RPC error, with nothing run.
#[tokio::test(flavor = "multi_thread")]
async fn a_batch_is_answered_with_an_array() {
    for server in both(&[]).await {
        let name = server.name();
        let batch = mcp_request(
            "/mcp",
            Some(TOKEN),
            &json!([
                {"jsonrpc": "2.0", "id": 1, "method": "ping"},
                {"jsonrpc": "2.0", "method": "notifications/initialized"},
                {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
                    "name": "verify-order", "arguments": {"order": "2025000123"}}},
                {"jsonrpc": "1.0", "id": 3, "method": "ping"},
            ]),
        );
        let answer = server.send_unchecked(batch).await;
        assert_eq!(answer.status, 200, "{name}: {answer:?}");
        let answer = json_of(&answer);
        let answers = answer.as_array().expect("an array");
        assert_eq!(answers.len(), 3, "{name}: {answer}");
        assert_eq!(
            answers[0],
            json!({"jsonrpc": "2.0", "id": 1, "result": {}}),
            "{name}"
        );
        assert_eq!(answers[1]["id"], 2, "{name}: {answer}");
        assert_eq!(
            answers[1]["result"]["structuredContent"]["status"], "Přijatá",
            "{name}: {answer}"
        );
        assert_eq!(answers[2]["id"], 3, "{name}: {answer}");
        assert_eq!(answers[2]["error"]["code"], -32600, "{name}: {answer}");
        assert_eq!(
            server.requests(),
            vec![Sent::get("/api/v2/orders/2025000123")],
            "{name}"
        );
        server.fake().clear_requests();

        let (status, answer) = server
            .post(json!([
                {"jsonrpc": "2.0", "method": "notifications/initialized"},
                {"jsonrpc": "2.0", "method": "notifications/cancelled",
                 "params": {"requestId": 1}},
            ]))
            .await;
        assert_eq!((status, answer), (202, Value::Null), "{name}");

        let call = json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {
            "name": "verify-order", "arguments": {"order": "2025000123"}}});
        for (batch, message) in [
            (json!([]), "the batch is empty"),
            (json!(vec![call; 11]), "a batch holds at most 10 messages"),
        ] {
            let (status, answer) = server.post(batch).await;
            assert_eq!(
                (status, answer),
                (
                    400,
                    json!({"jsonrpc": "2.0", "id": null,
                           "error": {"code": -32600, "message": message}})
                ),
                "{name}"
            );
        }
        assert_eq!(server.requests(), vec![], "{name}");
    }
}

/// `upgates serve` counts a tool call as the action call it is; its named shops have their
/// MCP endpoint at `/v1/shops/<name>/mcp`.
#[tokio::test(flavor = "multi_thread")]
async fn serve_counts_tool_calls_as_action_calls() {
    let server = Server::serve(&[]).await;
    server
        .call_tool("verify-order", json!({"order": "2025000123"}))
        .await;
    server.call_tool("verify-order", json!({})).await;
    let answer = server
        .send(mcp_request(
            "/v1/shops/default/mcp",
            Some(TOKEN),
            &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
        ))
        .await;
    assert_eq!(json_of(&answer)["result"], json!({}));
    let Server::Serve { process, .. } = &server else {
        unreachable!("a serve")
    };
    let metrics = servers::send(
        &process.base,
        http::Request::get("/metrics")
            .body(Full::new(Bytes::new()))
            .unwrap(),
    )
    .await;
    let text = String::from_utf8_lossy(&metrics.body);
    for line in [
        "upgates_calls_total{shop=\"default\",action=\"verify-order\",outcome=\"ano\"} 1",
        "upgates_calls_total{shop=\"default\",action=\"verify-order\",outcome=\"bad-request\"} 1",
        "upgates_upstream_responses_total{shop=\"default\",status=\"200\"} 1",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
}

/// `serve --demo` takes its guardrails from the `UPGATES_*` variables, as a real shop does:
/// what the CI's MCP client (.ci/mcp_client.sh) tries on the demo.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_takes_its_guardrails_from_the_variables() {
    let env = [
        ("UPGATES_BOT_TOKEN".to_owned(), TOKEN.to_owned()),
        ("UPGATES_ALLOWED_STATUSES".to_owned(), "Odeslaná".to_owned()),
    ];
    let process = servers::upgates_serve(crate::UPGATES, &env, &["--demo"]);
    let call = |arguments: Value, tool: &str| {
        mcp_request(
            "/mcp",
            Some(TOKEN),
            &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                    "params": {"name": tool, "arguments": arguments}}),
        )
    };
    let refused = servers::send(
        &process.base,
        call(
            json!({"order": "2025000123", "status": "Stornovaná"}),
            "set-order-status",
        ),
    )
    .await;
    let result = &json_of(&refused)["result"];
    assert_eq!(result["isError"], json!(true), "{result}");
    assert_eq!(
        result["structuredContent"]["reason"], "not-allowed",
        "{result}"
    );
    // The order kept its status.
    let read = servers::send(
        &process.base,
        call(json!({"order": "2025000123"}), "verify-order"),
    )
    .await;
    assert_eq!(
        json_of(&read)["result"]["structuredContent"]["status"],
        "Přijatá"
    );
}

/// A real `spin up` of spin.toml serves `/mcp` too (its route takes every path), where a spin
/// CLI is installed (CI sets UPGATES_SPIN).
#[tokio::test(flavor = "multi_thread")]
async fn a_real_spin_up_serves_the_tools() {
    let Some(spin) = servers::spin_binary() else {
        eprintln!(
            "SKIPPED a_real_spin_up_serves_the_tools: no spin CLI (set UPGATES_SPIN or put spin on PATH)"
        );
        return;
    };
    let fake = FakeShop::sample(SystemTime::now());
    let upgates = fake.serve().await.expect("the fake shop listens");
    let api_url = upgates.api_url();
    let mut variables = spin_harness::variables();
    variables.insert("api_url".into(), api_url.clone());
    variables.insert(
        "api_origin".into(),
        api_url.trim_end_matches("/api/v2").to_owned(),
    );
    let process = servers::spin_up(&spin, &variables);
    let answer = servers::send(
        &process.base,
        mcp_request(
            "/mcp",
            Some(TOKEN),
            &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
                "name": "verify-order", "arguments": {"order": "2025000123"}}}),
        ),
    )
    .await;
    let result = &json_of(&answer)["result"];
    assert_eq!(result["isError"], json!(false), "{result}");
    assert_eq!(result["structuredContent"]["status"], "Přijatá", "{result}");
    assert_eq!(sent(&fake), vec![Sent::get("/api/v2/orders/2025000123")]);
    let unauthenticated = servers::send(
        &process.base,
        mcp_request(
            "/mcp",
            None,
            &json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}),
        ),
    )
    .await;
    assert_eq!(unauthenticated.status, 401);
}
