//! MCP (the Model Context Protocol): the nine actions as tools for AI agents, at `POST /mcp`
//! and `POST /v1/shops/<name>/mcp`, over the streamable HTTP transport.
//!
//! Stateless: each POST carries one JSON-RPC message, or a batch of up to [`MAX_BATCH`] (the
//! 2025-03-26 revision has servers take batches), and gets its JSON answer (an array for a
//! batch), or `202` when it holds no request; no session and no SSE stream (`GET` is `405`),
//! so every server of the webhook serves it as it serves the actions. The messages are rmcp's
//! model types; the revisions are those of this transport with the `initialize` handshake.
//!
//! A tool call is an action call: the route's bearer token opens it, its arguments are read as
//! the webhook reads a body ([`input::parse_input`], the same `bad-request` answers), and it
//! runs through [`Backend::run`] with the shop's guardrails and proofs. "Ne" and bad arguments
//! are tool results with `isError` (what a model reads and acts on), not JSON-RPC errors.

#[path = "mcp_tools.rs"]
mod tools;

use bytes::Bytes;
use http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HOST, ORIGIN, REFERRER_POLICY};
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body::Body;
use http_body_util::Full;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ContentBlock, CustomNotification, CustomRequest,
    ErrorCode, ErrorData, Implementation, InitializeRequestParams, InitializeResult,
    JsonRpcMessage, ListToolsResult, ProtocolVersion, RequestId, ServerCapabilities,
    ToolsCapability,
};
use serde::Deserialize as _;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use upgates_core::{ActionName, Answer, Failure, json_text, render};

use crate::reply::{JsonReply, json_reply, no_referrer};
use crate::{Backend, Rejection, Reply, Served, input};

/// The header a client names its negotiated revision in, after `initialize`.
const PROTOCOL_VERSION: &str = "mcp-protocol-version";

/// A JSON-RPC message as rmcp models any one: a method and its params, read into the served
/// method's own types once the method is known. (rmcp's `ClientJsonRpcMessage` would read
/// every method MCP has: its code is most of what MCP adds to the Spin component.)
type Message = JsonRpcMessage<CustomRequest, Value, CustomNotification>;

/// What `initialize` tells the agent about using the tools together.
const INSTRUCTIONS: &str = "Customer-service tools of one Upgates e-shop. Ask the customer for \
    the order number; for anything personal (order-detail, order-documents) also for the e-mail \
    the order was placed with. Before changing an order (set-order-status, append-note, \
    replace-note), confirm with the customer and check them with verify-customer; when its \
    answer carries a `proof`, pass it as `proof` to the change. A refused call is an error \
    result with a `reason`; after `not-verified` twice, hand over to the shop's staff. Answers \
    may hold personal data: show them only to the customer they belong to.";

/// The revisions served: those of the streamable HTTP transport (2024-11-05's clients speak
/// HTTP+SSE, which this server does not serve) up to the newest with the `initialize`
/// handshake (a stateless server has no other way to learn the client's revision).
static SUPPORTED: [ProtocolVersion; 3] = [
    ProtocolVersion::V_2025_03_26,
    ProtocolVersion::V_2025_06_18,
    ProtocolVersion::V_2025_11_25,
];

/// The most messages one batch may hold: each `tools/call` costs the shop paid requests to
/// Upgates, so one POST may not ask for an unbounded number of them.
pub const MAX_BATCH: usize = 10;

/// Answers one POST to the MCP endpoint of `shop` (`None`: the default one).
pub(crate) async fn serve<B, Incoming>(
    backend: &B,
    shop: Option<&str>,
    request: http::Request<Incoming>,
) -> Served<B::Pdf>
where
    B: Backend,
    Incoming: Body,
    Incoming::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let shop = match crate::open(backend, shop, request.headers()).await {
        Ok(shop) => shop,
        Err(rejection) => return Served::rejected(None, rejection),
    };
    if let Err(refused) = check_headers(&request) {
        return refused.served();
    }
    let body = match input::read_body(request.into_body()).await {
        Ok(body) => body,
        // A body cut off or badly framed is answered as MCP answers a body it cannot parse.
        Err(Rejection::BadRequest(_)) => {
            return Refused::bad_request(ErrorCode::PARSE_ERROR, "the body could not be read")
                .served();
        }
        Err(rejection) => return Served::rejected(None, rejection),
    };
    // Each message as its text too: a tool's arguments are read from theirs, as the webhook
    // reads a body, so a number is taken as written, not as the nearest f64.
    let messages = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(_)) => serde_json::from_slice(&body).map(Messages::Batch),
        Ok(_) => serde_json::from_slice(&body).map(Messages::One),
        Err(error) => Err(error),
    };
    let batch = match messages {
        Ok(Messages::Batch(batch)) => batch,
        Ok(Messages::One(message)) => {
            let handled = handle_message(backend, &shop, message).await;
            let reply = match &handled.answer {
                Some(answer) => json_reply(handled.status, answer),
                None => accepted(),
            };
            return Served {
                reply: Reply::Json(reply),
                action: handled.action,
                answered: handled.answered,
                outcome: handled.outcome,
            };
        }
        Err(_) => {
            return Refused::bad_request(ErrorCode::PARSE_ERROR, "the body is not JSON").served();
        }
    };
    if batch.is_empty() {
        return Refused::bad_request(ErrorCode::INVALID_REQUEST, "the batch is empty").served();
    }
    if batch.len() > MAX_BATCH {
        return Refused::bad_request(
            ErrorCode::INVALID_REQUEST,
            "a batch holds at most 10 messages",
        )
        .served();
    }
    // One after another, in the batch's order: a write and a read of the same order in one
    // batch see each other, as they would in two POSTs.
    let mut answers = Vec::new();
    for message in batch {
        answers.extend(handle_message(backend, &shop, message).await.answer);
    }
    let reply = if answers.is_empty() {
        accepted()
    } else {
        json_reply(StatusCode::OK, &Value::Array(answers))
    };
    served(None, false, "batch", reply)
}

/// The body's JSON-RPC messages, each as its JSON text.
enum Messages<'body> {
    One(&'body RawValue),
    Batch(Vec<&'body RawValue>),
}

/// What one message comes to: its answer (none for a notification or a response), the HTTP
/// status that answer has when it is the POST's only message, and what a log line counts.
struct Handled {
    answer: Option<Value>,
    status: StatusCode,
    action: Option<ActionName>,
    answered: bool,
    outcome: &'static str,
}

impl Handled {
    /// The answer to the request `id`, `200`.
    fn to(id: &RequestId, outcome: &'static str, result: Result<Value, ErrorData>) -> Self {
        Self {
            answer: Some(message(Some(id), result)),
            status: StatusCode::OK,
            action: None,
            answered: false,
            outcome,
        }
    }

    fn of(mut self, action: ActionName, answered: bool) -> Self {
        self.action = Some(action);
        self.answered = answered;
        self
    }
}

/// One JSON-RPC message of the body (alone or in a batch).
async fn handle_message<B: Backend>(backend: &B, shop: &B::Shop, text: &RawValue) -> Handled {
    let parsed = serde_json::from_str::<Value>(text.get())
        .map_err(|_| Refused::bad_request(ErrorCode::PARSE_ERROR, "the body is not JSON"))
        .and_then(parse);
    let request = match parsed {
        Ok(JsonRpcMessage::Request(request)) => request,
        // Notifications (`notifications/initialized`, ...) and answers to requests this
        // server never sends: nothing to answer.
        Ok(_) => {
            return Handled {
                answer: None,
                status: StatusCode::ACCEPTED,
                action: None,
                answered: false,
                outcome: "accepted",
            };
        }
        Err(refused) => {
            return Handled {
                answer: Some(message(refused.id.as_ref(), Err(refused.error))),
                status: refused.status,
                action: None,
                answered: false,
                outcome: refused.outcome,
            };
        }
    };
    let id = request.id;
    let request = request.request;
    let not_its_params = |id| {
        let error = ErrorData::invalid_params(
            format!("these are not the params of {}", request.method),
            None,
        );
        Handled::to(id, "bad-request", Err(error))
    };
    match request.method.as_str() {
        "initialize" => match request.params_as::<InitializeRequestParams>() {
            Ok(Some(initialize)) => {
                Handled::to(&id, "ok", initialized(&initialize.protocol_version))
            }
            _ => not_its_params(&id),
        },
        "ping" => Handled::to(&id, "ok", Ok(json!({}))),
        "tools/list" => match backend.enabled_actions(shop).await {
            Ok(enabled) => {
                let mut tools = ListToolsResult::with_all_items(tools::tools(enabled));
                // The served revisions predate `resultType`.
                tools.result_type = None;
                Handled::to(&id, "ok", to_value(&tools))
            }
            Err(rejection) => Handled::to(&id, rejection.reason(), Err(internal(&rejection))),
        },
        "tools/call" => match request.params_as::<CallToolRequestParams>() {
            Ok(Some(call)) => call_tool(backend, shop, &id, call, text).await,
            _ => not_its_params(&id),
        },
        _ => {
            let error = ErrorData::new(
                ErrorCode::METHOD_NOT_FOUND,
                "this server serves tools only: initialize, ping, tools/list, tools/call",
                None,
            );
            Handled::to(&id, "method-not-found", Err(error))
        }
    }
}

/// A rejection where the answer is a JSON-RPC error: its message (which names no input).
fn internal(rejection: &Rejection) -> ErrorData {
    let body = rejection.body();
    let message = body["message"].as_str().unwrap_or_default().to_owned();
    ErrorData::internal_error(message, None)
}

/// `tools/call`: the action the tool names, run as the webhook runs it.
async fn call_tool<B: Backend>(
    backend: &B,
    shop: &B::Shop,
    id: &RequestId,
    call: CallToolRequestParams,
    text: &RawValue,
) -> Handled {
    let Ok(action) = call.name.parse::<ActionName>() else {
        // The name is the caller's text: not echoed.
        let error = ErrorData::invalid_params("no such tool: tools/list names them", None);
        return Handled::to(id, "unknown-tool", Err(error));
    };
    // The arguments' own text as the webhook's JSON body: the same inputs, the same refusals,
    // numbers as written.
    let body = match serde_json::from_str::<CallText>(text.get()) {
        Ok(CallText {
            params: ParamsText {
                arguments: Some(arguments),
            },
        }) => arguments.get(),
        Ok(_) => "{}",
        Err(_) => {
            let error = ErrorData::invalid_params("the arguments could not be read", None);
            return Handled::to(id, "bad-request", Err(error));
        }
    };
    let input = match input::parse_input(action, &HeaderMap::new(), body.as_bytes()) {
        Ok(input) => input,
        Err(rejection) => {
            let result = refused(&rejection.body());
            return Handled::to(id, rejection.reason(), to_value(&result)).of(action, false);
        }
    };
    match backend.run(shop, action, input).await {
        Ok(result) => {
            let outcome = match &result {
                Ok(_) => "ano",
                Err(failure) => failure.reason(),
            };
            Handled::to(id, outcome, to_value(&answered(&result))).of(action, true)
        }
        Err(rejection) => {
            let result = refused(&rejection.body());
            Handled::to(id, rejection.reason(), to_value(&result)).of(action, false)
        }
    }
}

/// A `tools/call` request's arguments as their JSON text (`params` is known to hold an
/// object there, or none).
#[derive(serde::Deserialize)]
struct CallText<'message> {
    #[serde(borrow)]
    params: ParamsText<'message>,
}

#[derive(serde::Deserialize)]
struct ParamsText<'message> {
    #[serde(borrow, default)]
    arguments: Option<&'message RawValue>,
}

/// "Ano": the answer's variables as structured content, and as JSON text for clients that
/// read only text. "Ne": an error result with the reason and message.
fn answered(result: &Result<Answer, Failure>) -> CallToolResult {
    match result {
        Ok(answer) => {
            let vars = answer.vars();
            let mut result = CallToolResult::success(vec![ContentBlock::text(json_text(&vars))]);
            result.structured_content = Some(vars);
            // The served revisions predate `resultType`.
            result.result_type = None;
            result
        }
        Err(_) => refused(&render(result)),
    }
}

/// An error result from a refusal's JSON (`{"ok":false,"reason":...,"message":...}`).
fn refused(body: &Value) -> CallToolResult {
    let reason = body["reason"].as_str().unwrap_or("refused");
    let message = body["message"].as_str().unwrap_or_default();
    let mut result = CallToolResult::error(vec![ContentBlock::text(format!(
        "Ne ({reason}): {message}"
    ))]);
    result.structured_content = Some(body.clone());
    result.result_type = None;
    result
}

/// `initialize`: the client's revision when it is served, else the newest served one (the
/// client then decides whether it speaks that).
fn initialized(asked: &ProtocolVersion) -> Result<Value, ErrorData> {
    let version = SUPPORTED
        .iter()
        .find(|served| *served == asked)
        .cloned()
        .unwrap_or(ProtocolVersion::LATEST_WITH_INITIALIZE);
    let mut capabilities = ServerCapabilities::default();
    // What tools/list lists follows the shop's settings, which a running server does not
    // re-read: the list never changes while it runs.
    let mut tools = ToolsCapability::default();
    tools.list_changed = Some(false);
    capabilities.tools = Some(tools);
    let server = Implementation::new("upgates-bot", env!("CARGO_PKG_VERSION"))
        .with_title("Upgates e-shop customer service");
    to_value(
        &InitializeResult::new(capabilities)
            .with_protocol_version(version)
            .with_server_info(server)
            .with_instructions(INSTRUCTIONS),
    )
}

/// A message refused before its method was looked at: an HTTP error status with a JSON-RPC
/// error, with the request's id when it has one (else `null`).
struct Refused {
    status: StatusCode,
    outcome: &'static str,
    id: Option<RequestId>,
    error: ErrorData,
}

impl Refused {
    fn bad_request(code: ErrorCode, text: &'static str) -> Self {
        Refused {
            status: StatusCode::BAD_REQUEST,
            outcome: "bad-request",
            id: None,
            error: ErrorData::new(code, text, None),
        }
    }

    fn served<P>(self) -> Served<P> {
        let answer = message(self.id.as_ref(), Err(self.error));
        served(None, false, self.outcome, json_reply(self.status, &answer))
    }
}

/// The transport's rules for a POST: from a page of this server's own origin if from a page
/// at all (against DNS rebinding), a JSON body, an answer the client accepts as JSON, and a
/// revision this server speaks.
fn check_headers<Incoming>(request: &http::Request<Incoming>) -> Result<(), Refused> {
    let headers = request.headers();
    if let Some(origin) = headers.get(ORIGIN)
        && !same_origin(origin, request)
    {
        return Err(Refused {
            status: StatusCode::FORBIDDEN,
            outcome: "forbidden-origin",
            id: None,
            error: ErrorData::invalid_request(
                "the Origin is not this server's: MCP is not served to other sites' pages",
                None,
            ),
        });
    }
    if !headers
        .get(CONTENT_TYPE)
        .is_some_and(|value| media_types(value).any(|media| media == "application/json"))
    {
        return Err(Refused {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            outcome: "unsupported-media-type",
            id: None,
            error: ErrorData::invalid_request(
                "send the JSON-RPC message as application/json",
                None,
            ),
        });
    }
    // The spec has clients accept JSON and an event stream; this server answers JSON only, so
    // a client that takes JSON (or anything) is served.
    let mut accepts = headers.get_all(ACCEPT).iter().peekable();
    if accepts.peek().is_some()
        && !accepts
            .flat_map(media_types)
            .any(|media| media == "application/json" || media == "application/*" || media == "*/*")
    {
        return Err(Refused {
            status: StatusCode::NOT_ACCEPTABLE,
            outcome: "not-acceptable",
            id: None,
            error: ErrorData::invalid_request("this server answers application/json", None),
        });
    }
    if let Some(version) = headers.get(PROTOCOL_VERSION) {
        let version = version.to_str().unwrap_or_default().trim();
        if !SUPPORTED.iter().any(|served| served.as_str() == version) {
            // The header is the caller's text: not echoed, as a tool's name is not.
            return Err(Refused {
                status: StatusCode::BAD_REQUEST,
                outcome: "unsupported-protocol-version",
                id: None,
                error: ErrorData::new(
                    ErrorCode::UNSUPPORTED_PROTOCOL_VERSION,
                    "Unsupported protocol version",
                    Some(json!({ "supported": SUPPORTED })),
                ),
            });
        }
    }
    Ok(())
}

/// Whether `origin` (`scheme://host[:port]`) names the host the request was sent to: its
/// `Host` header, or the authority of its URI (HTTP/2). `null` and anything unreadable do not.
fn same_origin<Incoming>(origin: &HeaderValue, request: &http::Request<Incoming>) -> bool {
    let Some(origin) = origin
        .to_str()
        .ok()
        .and_then(|origin| origin.split_once("://"))
        .map(|(_, authority)| authority)
    else {
        return false;
    };
    let host = match request.headers().get(HOST) {
        Some(host) => host.to_str().ok(),
        None => request
            .uri()
            .authority()
            .map(|authority| authority.as_str()),
    };
    host.is_some_and(|host| !host.is_empty() && host.eq_ignore_ascii_case(origin))
}

/// A header's media types, lower-case, without their parameters.
fn media_types(value: &HeaderValue) -> impl Iterator<Item = String> + '_ {
    value.to_str().unwrap_or_default().split(',').map(|media| {
        media
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    })
}

/// One JSON-RPC message. A message that is not JSON-RPC 2.0 is `invalid request`; a request
/// whose params are not its method's (a `tools/call` without a name) is answered as that
/// request, `200` with `invalid params`.
fn parse(value: Value) -> Result<Message, Refused> {
    let id = value
        .get("id")
        .and_then(|id| RequestId::deserialize(id).ok());
    let invalid = |id: Option<RequestId>, text: &'static str| Refused {
        status: StatusCode::BAD_REQUEST,
        outcome: "bad-request",
        id,
        error: ErrorData::new(ErrorCode::INVALID_REQUEST, text, None),
    };
    if value.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid(
            id,
            "not a JSON-RPC 2.0 message (\"jsonrpc\": \"2.0\")",
        ));
    }
    match Message::deserialize(&value) {
        Ok(message) => Ok(message),
        Err(_) => match (value.get("method"), id) {
            (Some(_), Some(id)) => Err(Refused {
                status: StatusCode::OK,
                outcome: "bad-request",
                id: Some(id),
                error: ErrorData::invalid_params(
                    "the request's params are not those of its method",
                    None,
                ),
            }),
            (_, id) => Err(invalid(id, "the body is not one JSON-RPC 2.0 message")),
        },
    }
}

/// The JSON-RPC answer to the request `id`: its result or its error (`"id": null` when the
/// message's id could not be read, as JSON-RPC 2.0 has it).
fn message(id: Option<&RequestId>, result: Result<Value, ErrorData>) -> Value {
    let id = id.map_or(Value::Null, |id| id.clone().into_json_value());
    match result {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(error) => match serde_json::to_value(&error) {
            Ok(error) => json!({"jsonrpc": "2.0", "id": id, "error": error}),
            Err(_) => json!({"jsonrpc": "2.0", "id": id, "error": {
                "code": ErrorCode::INTERNAL_ERROR.0, "message": "the answer could not be written"}}),
        },
    }
}

/// A result as the answer's JSON.
fn to_value<T: serde::Serialize>(result: &T) -> Result<Value, ErrorData> {
    // Maps with string keys and plain values: not reached.
    serde_json::to_value(result)
        .map_err(|_| ErrorData::internal_error("the answer could not be written", None))
}

/// `202 Accepted`, no body: a notification was received.
fn accepted() -> JsonReply {
    let mut reply = http::Response::new(Full::new(Bytes::new()));
    *reply.status_mut() = StatusCode::ACCEPTED;
    let headers = reply.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, no_referrer());
    reply
}

fn served<P>(
    action: Option<ActionName>,
    answered: bool,
    outcome: &'static str,
    reply: JsonReply,
) -> Served<P> {
    Served {
        reply: Reply::Json(reply),
        action,
        answered,
        outcome,
    }
}
