//! Responses: the actions' answers and the JSON errors, all `{"ok":...}` objects.

use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, REFERRER_POLICY, WWW_AUTHENTICATE};
use http::{HeaderValue, Method, StatusCode};
use http_body_util::Full;
use serde_json::{Value, json};
use upgates_core::{Answer, Failure, render};

pub type JsonReply = http::Response<Full<Bytes>>;

/// Every answer's `Referrer-Policy`: a signed invoice link is a credential in the browser's
/// address bar, and a link in the PDF (or any page opened from it) must not carry it along in
/// a `Referer` header.
pub fn no_referrer() -> HeaderValue {
    HeaderValue::from_static("no-referrer")
}

/// A request that gets no action answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Rejection {
    /// 404: no such route.
    NoRoute,
    /// 404: the path names a shop this server does not serve.
    NoShop(String),
    /// 405: the route takes another method.
    WrongMethod { allow: Method },
    /// 401: no or a wrong `Authorization: Bearer` token.
    Unauthenticated,
    /// 400: the body is not the action's inputs.
    BadRequest(String),
    /// 413: the body is larger than [`crate::input::MAX_BODY_BYTES`].
    TooLarge,
    /// 500: a setting is missing or invalid (the message names it, never its value).
    Misconfigured(String),
    /// 503: not ready to serve (settings invalid, or shutting down).
    NotReady(String),
    /// 500: the action could not run to an answer (the component trapped); the server's log
    /// says why.
    Failed,
    /// 403: an invoice link that is expired, altered or not ours.
    LinkRefused,
    /// 410: an invoice link downloaded as often as `invoice-link-downloads` allows.
    LinkUsedUp,
    /// 404 / 502: Upgates did not hand over an invoice's PDF (the failure says why).
    Upstream(Failure),
}

impl Rejection {
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::NoRoute | Rejection::NoShop(_) => StatusCode::NOT_FOUND,
            Rejection::WrongMethod { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Rejection::Unauthenticated => StatusCode::UNAUTHORIZED,
            Rejection::BadRequest(_) => StatusCode::BAD_REQUEST,
            Rejection::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::Misconfigured(_) | Rejection::Failed => StatusCode::INTERNAL_SERVER_ERROR,
            Rejection::NotReady(_) => StatusCode::SERVICE_UNAVAILABLE,
            Rejection::LinkRefused => StatusCode::FORBIDDEN,
            Rejection::LinkUsedUp => StatusCode::GONE,
            Rejection::Upstream(Failure::NotFound) => StatusCode::NOT_FOUND,
            Rejection::Upstream(_) => StatusCode::BAD_GATEWAY,
        }
    }

    /// The `reason` of the JSON body: what a log line or a metric names the rejection by.
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::NoRoute | Rejection::NoShop(_) => "no-route",
            Rejection::WrongMethod { .. } => "method-not-allowed",
            Rejection::Unauthenticated => "unauthenticated",
            Rejection::BadRequest(_) => "bad-request",
            Rejection::TooLarge => "too-large",
            Rejection::Misconfigured(_) => "misconfigured",
            Rejection::NotReady(_) => "not-ready",
            Rejection::Failed => "internal",
            Rejection::LinkRefused => "link-refused",
            Rejection::LinkUsedUp => "link-used-up",
            Rejection::Upstream(failure) => failure.reason(),
        }
    }

    /// The JSON body: the shape of an action's "Ne".
    pub fn body(&self) -> Value {
        let message = match self {
            Rejection::NoRoute => "no such route: POST /v1/<action>, POST /mcp, GET /v1/health, \
                                   GET /v1/ready, GET /v1/invoice/<token>; GET /v1/openapi.json \
                                   lists them all"
                .to_owned(),
            Rejection::NoShop(name) => format!("no shop named `{name}` is served here"),
            Rejection::WrongMethod { allow } => format!("this route takes {allow} only"),
            Rejection::Unauthenticated => "send `Authorization: Bearer <token>`".to_owned(),
            Rejection::BadRequest(why) => why.clone(),
            Rejection::TooLarge => format!(
                "the body is larger than {} bytes",
                crate::input::MAX_BODY_BYTES
            ),
            // The same words as the component's `misconfigured` answer.
            Rejection::Misconfigured(why) => Failure::Misconfigured(why.clone()).message(),
            Rejection::NotReady(why) => format!("not ready: {why}"),
            Rejection::Failed => {
                "the action could not run to an answer; the server's log says why".to_owned()
            }
            Rejection::LinkRefused => {
                "this invoice link is expired or invalid: ask the bot for a new one".to_owned()
            }
            Rejection::LinkUsedUp => {
                "this invoice link has been downloaded as often as it may be: ask the bot for a \
                 new one"
                    .to_owned()
            }
            Rejection::Upstream(failure) => return render(&Err(failure.clone())),
        };
        json!({ "ok": false, "reason": self.reason(), "message": message })
    }

    pub fn into_reply(self) -> JsonReply {
        let mut reply = json_reply(self.status(), &self.body());
        let headers = reply.headers_mut();
        match self {
            Rejection::WrongMethod { allow } => {
                if let Ok(value) = HeaderValue::from_str(allow.as_str()) {
                    headers.insert(ALLOW, value);
                }
            }
            Rejection::Unauthenticated => {
                headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        reply
    }
}

/// `200` with the CLI's JSON for the action's result, "Ano" or "Ne".
pub fn answer(result: &Result<Answer, Failure>) -> JsonReply {
    json_reply(StatusCode::OK, &render(result))
}

/// `/v1/health` and `/v1/ready`: who answers.
pub fn alive() -> JsonReply {
    json_reply(
        StatusCode::OK,
        &json!({ "ok": true, "service": "upgates-bot", "version": env!("CARGO_PKG_VERSION") }),
    )
}

pub fn json_reply(status: StatusCode, body: &Value) -> JsonReply {
    let text = upgates_core::json_text(body);
    let mut reply = http::Response::new(Full::new(Bytes::from(text)));
    *reply.status_mut() = status;
    let headers = reply.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // Answers carry customers' data: no cache on the way may keep them.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, no_referrer());
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_are_json_with_their_status_and_headers() {
        let reply = Rejection::WrongMethod {
            allow: Method::POST,
        }
        .into_reply();
        assert_eq!(reply.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(reply.headers()[ALLOW], "POST");
        assert_eq!(reply.headers()[CONTENT_TYPE], "application/json");
        let reply = Rejection::Unauthenticated.into_reply();
        assert_eq!(reply.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(reply.headers()[WWW_AUTHENTICATE], "Bearer");
        assert_eq!(
            Rejection::Misconfigured("`api_key` is not set".into()).body(),
            json!({"ok": false, "reason": "misconfigured",
                   "message": "shop configuration: `api_key` is not set"})
        );
        assert_eq!(Rejection::TooLarge.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let used_up = Rejection::LinkUsedUp.into_reply();
        assert_eq!(used_up.status(), StatusCode::GONE);
        assert_eq!(used_up.headers()[REFERRER_POLICY], "no-referrer");
        assert_eq!(
            Rejection::NotReady("shutting down".into()).body(),
            json!({"ok": false, "reason": "not-ready", "message": "not ready: shutting down"})
        );
        assert_eq!(
            Rejection::Upstream(Failure::Timeout).status(),
            StatusCode::BAD_GATEWAY
        );
        assert_eq!(Rejection::Upstream(Failure::Timeout).reason(), "timeout");
    }

    #[test]
    fn answers_are_the_clis_json() {
        let reply = answer(&Err(Failure::NotFound));
        assert_eq!(reply.status(), StatusCode::OK);
        assert_eq!(reply.headers()[CACHE_CONTROL], "no-store");
        let body: Value = serde_json::from_slice(&body_of(reply)).unwrap();
        assert_eq!(body, render(&Err(Failure::NotFound)));
    }

    /// A `Full` body is ready at the first poll.
    fn body_of(reply: JsonReply) -> Bytes {
        use http_body_util::BodyExt as _;
        let mut body = reply.into_body();
        let mut frame = std::pin::pin!(body.frame());
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match frame.as_mut().poll(&mut context) {
            std::task::Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap(),
            _ => panic!("a full body"),
        }
    }
}
