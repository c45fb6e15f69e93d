//! MCP (the Model Context Protocol): the nine actions as tools for AI agents, at `POST /mcp`
//! and `POST /v1/shops/<name>/mcp`, over the streamable HTTP transport.
//!
//! Stateless: each POST carries one JSON-RPC message and gets one JSON answer (a request) or
//! `202` (a notification or a response), with no session and no SSE stream (`GET` is `405`),
//! so every server of the webhook serves it as it serves the actions. The messages are rmcp's
//! model types; the revisions are those with the `initialize` handshake.
//!
//! A tool call is an action call: the route's bearer token opens it, its arguments are read as
//! the webhook reads a body ([`input::parse_input`], the same `bad-request` answers), and it
//! runs through [`Backend::run`] with the shop's guardrails and proofs. "Ne" and bad arguments
//! are tool results with `isError` (what a model reads and acts on), not JSON-RPC errors.

#[path = "mcp_tools.rs"]
mod tools;

use bytes::Bytes;
use http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
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
use serde_json::{Value, json};
use upgates_core::{ActionName, Answer, Failure, json_text, render};

use crate::reply::{JsonReply, json_reply};
use crate::{Backend, Reply, Served, input};

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

/// The revisions served: rmcp's, up to the newest with the `initialize` handshake (a
/// stateless server has no other way to learn the client's revision).
fn supported() -> &'static [ProtocolVersion] {
    ProtocolVersion::known_up_to(&ProtocolVersion::LATEST_WITH_INITIALIZE)
}

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
    if let Err(refused) = check_headers(request.headers()) {
        return refused.served();
    }
    let body = match input::read_body(request.into_body()).await {
        Ok(body) => body,
        Err(rejection) => return Served::rejected(None, rejection),
    };
    let request = match parse(&body) {
        Ok(JsonRpcMessage::Request(request)) => request,
        // Notifications (`notifications/initialized`, ...) and answers to requests this
        // server never sends: nothing to answer.
        Ok(_) => return served(None, false, "accepted", accepted()),
        Err(refused) => return refused.served(),
    };
    let id = request.id;
    let request = request.request;
    let not_its_params = |id| {
        let error = ErrorData::invalid_params(
            format!("these are not the params of {}", request.method),
            None,
        );
        served(None, false, "bad-request", respond(id, Err(error)))
    };
    match request.method.as_str() {
        "initialize" => match request.params_as::<InitializeRequestParams>() {
            Ok(Some(initialize)) => {
                let result = initialized(&initialize.protocol_version);
                served(None, false, "ok", respond(id, result))
            }
            _ => not_its_params(id),
        },
        "ping" => served(None, false, "ok", respond(id, Ok(json!({})))),
        "tools/list" => {
            let mut tools = ListToolsResult::with_all_items(tools::tools());
            // The served revisions predate `resultType`.
            tools.result_type = None;
            served(None, false, "ok", respond(id, to_value(&tools)))
        }
        "tools/call" => match request.params_as::<CallToolRequestParams>() {
            Ok(Some(call)) => call_tool(backend, &shop, id, call).await,
            _ => not_its_params(id),
        },
        _ => {
            let error = ErrorData::new(
                ErrorCode::METHOD_NOT_FOUND,
                "this server serves tools only: initialize, ping, tools/list, tools/call",
                None,
            );
            served(None, false, "method-not-found", respond(id, Err(error)))
        }
    }
}

/// `tools/call`: the action the tool names, run as the webhook runs it.
async fn call_tool<B: Backend>(
    backend: &B,
    shop: &B::Shop,
    id: RequestId,
    call: CallToolRequestParams,
) -> Served<B::Pdf> {
    let Ok(action) = call.name.parse::<ActionName>() else {
        // The name is the caller's text: not echoed.
        let error = ErrorData::invalid_params("no such tool: tools/list names them", None);
        return served(None, false, "unknown-tool", respond(id, Err(error)));
    };
    let arguments = Value::Object(call.arguments.unwrap_or_default());
    // The arguments as the webhook's JSON body: the same inputs, the same refusals.
    let body = arguments.to_string();
    let input = match input::parse_input(action, &HeaderMap::new(), body.as_bytes()) {
        Ok(input) => input,
        Err(rejection) => {
            let result = refused(&rejection.body());
            return served(
                Some(action),
                false,
                rejection.reason(),
                respond(id, to_value(&result)),
            );
        }
    };
    match backend.run(shop, action, input).await {
        Ok(result) => {
            let outcome = match &result {
                Ok(_) => "ano",
                Err(failure) => failure.reason(),
            };
            served(
                Some(action),
                true,
                outcome,
                respond(id, to_value(&answered(&result))),
            )
        }
        Err(rejection) => {
            let result = refused(&rejection.body());
            served(
                Some(action),
                false,
                rejection.reason(),
                respond(id, to_value(&result)),
            )
        }
    }
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
    let version = supported()
        .iter()
        .find(|served| *served == asked)
        .cloned()
        .unwrap_or(ProtocolVersion::LATEST_WITH_INITIALIZE);
    let mut capabilities = ServerCapabilities::default();
    // The tools are the nine actions: their list never changes while a server runs.
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
/// error, with the request's id when it has one.
struct Refused {
    status: StatusCode,
    outcome: &'static str,
    id: Option<RequestId>,
    error: ErrorData,
}

impl Refused {
    fn served<P>(self) -> Served<P> {
        let message: Message = JsonRpcMessage::error(self.error, self.id);
        served(
            None,
            false,
            self.outcome,
            message_reply(self.status, &message),
        )
    }
}

/// The transport's rules for a POST: a JSON body, an answer the client accepts as JSON, and
/// a revision this server speaks.
fn check_headers(headers: &HeaderMap) -> Result<(), Refused> {
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
        if !supported().iter().any(|served| served.as_str() == version) {
            let asked = ProtocolVersion::deserialize(&Value::String(version.to_owned()))
                .unwrap_or(ProtocolVersion::LATEST);
            return Err(Refused {
                status: StatusCode::BAD_REQUEST,
                outcome: "unsupported-protocol-version",
                id: None,
                error: ErrorData::unsupported_protocol_version(asked, supported()),
            });
        }
    }
    Ok(())
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

/// One JSON-RPC message (no batches: the served revisions have none). A request whose params
/// are not its method's (a `tools/call` without a name) is answered as that request, `200`
/// with `invalid params`.
fn parse(body: &[u8]) -> Result<Message, Refused> {
    let bad = |code: ErrorCode, message: &'static str| Refused {
        status: StatusCode::BAD_REQUEST,
        outcome: "bad-request",
        id: None,
        error: ErrorData::new(code, message, None),
    };
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| bad(ErrorCode::PARSE_ERROR, "the body is not JSON"))?;
    match Message::deserialize(&value) {
        Ok(message) => Ok(message),
        Err(_) => match (
            value.get("method"),
            value.get("id").map(RequestId::deserialize),
        ) {
            (Some(_), Some(Ok(id))) => Err(Refused {
                status: StatusCode::OK,
                outcome: "bad-request",
                id: Some(id),
                error: ErrorData::invalid_params(
                    "the request's params are not those of its method",
                    None,
                ),
            }),
            _ => Err(bad(
                ErrorCode::INVALID_REQUEST,
                "the body is not one JSON-RPC 2.0 message",
            )),
        },
    }
}

fn respond(id: RequestId, result: Result<Value, ErrorData>) -> JsonReply {
    let message: Message = match result {
        Ok(result) => JsonRpcMessage::response(result, id),
        Err(error) => JsonRpcMessage::error(error, Some(id)),
    };
    message_reply(StatusCode::OK, &message)
}

/// A result as the answer's JSON.
fn to_value<T: serde::Serialize>(result: &T) -> Result<Value, ErrorData> {
    // Maps with string keys and plain values: not reached.
    serde_json::to_value(result)
        .map_err(|_| ErrorData::internal_error("the answer could not be written", None))
}

fn message_reply(status: StatusCode, message: &Message) -> JsonReply {
    match serde_json::to_value(message) {
        Ok(value) => json_reply(status, &value),
        Err(_) => json_reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"jsonrpc": "2.0", "error": {"code": ErrorCode::INTERNAL_ERROR.0,
                    "message": "the answer could not be written"}}),
        ),
    }
}

/// `202 Accepted`, no body: a notification was received.
fn accepted() -> JsonReply {
    let mut reply = http::Response::new(Full::new(Bytes::new()));
    *reply.status_mut() = StatusCode::ACCEPTED;
    reply
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
