//! `wasi:http/outgoing-handler` as the host defines it: an answer the policy has at once is
//! handed over ready, and a request is checked as wasmtime-wasi-http checks it.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::BodyExt;
use upgates_core::ShopConfig;
use upgates_host::HttpPolicy;
use upgates_host::for_tests::wasmtime_wasi_http as wasi_http;
use upgates_host::for_tests::{announces_body, outgoing_handle as handle};
use wasi_http::p2::HttpResult;
use wasi_http::p2::bindings::http::types::{ErrorCode, Method, Scheme};
use wasi_http::p2::types::{HostFutureIncomingResponse, HostOutgoingRequest};
use wasi_http::{FieldMap, WasiBody, WasiHttpCtx, WasiHttpCtxView};
use wasmtime::component::ResourceTable;

fn policy(api_url: &str) -> HttpPolicy {
    let config = ShopConfig::new(api_url, "l", "k", "420").unwrap();
    HttpPolicy::for_shop(&config).unwrap().isolated()
}

/// The shop of the requests below (`get_orders`).
const API_URL: &str = "http://127.0.0.1:9/api/v2";

fn orders() -> http::Response<Bytes> {
    http::Response::builder()
        .status(200)
        .body(Bytes::from_static(b"{\"orders\":[]}"))
        .unwrap()
}

/// `GET http://127.0.0.1:9/api/v2/orders?order_number=2024001` with `headers`, as the
/// guest builds it.
fn orders_request(policy: &mut HttpPolicy, headers: http::HeaderMap) -> HostOutgoingRequest {
    HostOutgoingRequest {
        method: Method::Get,
        scheme: Some(Scheme::Http),
        authority: Some("127.0.0.1:9".into()),
        path_with_query: Some("/api/v2/orders?order_number=2024001".into()),
        headers: FieldMap::new_immutable(policy, headers),
        body: None,
    }
}

/// `handle` for `request`; what it pushed for the guest.
fn send(
    policy: &mut HttpPolicy,
    request: HostOutgoingRequest,
) -> HttpResult<HostFutureIncomingResponse> {
    let mut table = ResourceTable::new();
    let mut ctx = WasiHttpCtx::new();
    let mut view = WasiHttpCtxView {
        hooks: policy,
        table: &mut table,
        ctx: &mut ctx,
    };
    let request = view.table.push(request).unwrap();
    let future = handle(&mut view, request, None)?;
    Ok(view.table.delete(future).unwrap())
}

fn get_orders(
    policy: &mut HttpPolicy,
    headers: http::HeaderMap,
) -> HttpResult<HostFutureIncomingResponse> {
    let request = orders_request(policy, headers);
    send(policy, request)
}

async fn body_of(response: http::Response<WasiBody>) -> Bytes {
    response.into_body().collect().await.unwrap().to_bytes()
}

/// The in-process shop answers at once: the component gets the response without a task
/// (and without suspending the call), and the request arrives as wasmtime-wasi-http
/// would have built it.
#[tokio::test]
async fn an_answer_the_policy_has_at_once_is_handed_over_ready() {
    let seen = Arc::new(Mutex::new(None));
    let mut policy = policy(API_URL).with_in_process(Arc::new({
        let seen = seen.clone();
        move |request| {
            *seen.lock().unwrap() = Some((
                request.method().clone(),
                request.uri().to_string(),
                request.headers().clone(),
            ));
            orders()
        }
    }));
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::ACCEPT, "application/json".parse().unwrap());
    let HostFutureIncomingResponse::Ready(Ok((response, _))) =
        get_orders(&mut policy, headers).unwrap()
    else {
        panic!("the answer was not handed over ready");
    };
    assert_eq!(response.status(), 200);
    assert_eq!(body_of(response).await, "{\"orders\":[]}");
    let (method, uri, headers) = seen.lock().unwrap().take().unwrap();
    assert_eq!(method, http::Method::GET);
    assert_eq!(uri, "http://127.0.0.1:9/api/v2/orders?order_number=2024001");
    assert_eq!(headers[http::header::ACCEPT], "application/json");
    assert_eq!(headers[http::header::HOST], "127.0.0.1:9");
}

/// An answer that is not there yet (the network) goes to a task, which finishes it once
/// the upstream answers.
#[tokio::test]
async fn an_answer_to_wait_for_goes_to_a_task() {
    let (answer, answered) = tokio::sync::oneshot::channel::<()>();
    let answered = Arc::new(Mutex::new(Some(answered)));
    let mut policy = policy(API_URL).with_in_process_async(Arc::new(move |_| {
        let answered = answered.lock().unwrap().take();
        Box::pin(async move {
            if let Some(answered) = answered {
                let _ = answered.await;
            }
            orders()
        })
    }));
    let HostFutureIncomingResponse::Pending(task) =
        get_orders(&mut policy, http::HeaderMap::new()).unwrap()
    else {
        panic!("an answer still to come was handed over as ready");
    };
    answer.send(()).unwrap();
    let (response, _) = task.await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(body_of(response).await, "{\"orders\":[]}");
}

/// A refusal of the policy's own (another origin) reaches the component as its error code,
/// ready.
#[tokio::test]
async fn a_refusal_is_handed_over_ready() {
    let mut policy = policy("http://127.0.0.1:10/api/v2").with_in_process(Arc::new(|_| orders()));
    let HostFutureIncomingResponse::Ready(Err(e)) =
        get_orders(&mut policy, http::HeaderMap::new()).unwrap()
    else {
        panic!("the refusal was not handed over ready");
    };
    assert!(matches!(e, wasi_http::Error::HttpRequestDenied), "{e:?}");
}

/// A request without a body may not announce one, as wasmtime-wasi-http's `handle` checks.
#[tokio::test]
async fn a_request_without_a_body_may_not_announce_one() {
    let mut policy = policy(API_URL).with_in_process(Arc::new(|_| orders()));
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::CONTENT_LENGTH, "5".parse().unwrap());
    let Err(e) = get_orders(&mut policy, headers) else {
        panic!("a GET announcing a body was sent");
    };
    assert!(
        matches!(e.downcast(), Ok(ErrorCode::HttpRequestBodySize(Some(0)))),
        "the wrong error"
    );
}

#[test]
fn content_length_is_read_strictly() {
    let announces = |values: &[&str]| {
        let mut headers = http::HeaderMap::new();
        for value in values {
            headers.append(http::header::CONTENT_LENGTH, value.parse().unwrap());
        }
        announces_body(&headers).ok()
    };
    assert_eq!(announces(&[]), Some(false));
    assert_eq!(announces(&["0"]), Some(false));
    assert_eq!(announces(&["12"]), Some(true));
    assert_eq!(announces(&["+12"]), None);
    assert_eq!(announces(&[""]), None);
    assert_eq!(announces(&["1", "1"]), None);
}

/// What the request itself gets wrong is the guest's error code, and the policy never
/// sees it, as in wasmtime-wasi-http: a scheme other than http(s), a malformed authority,
/// a malformed method.
#[tokio::test]
async fn a_malformed_request_gets_its_error_code() {
    let mut policy = policy(API_URL).with_in_process(Arc::new(|_| {
        unreachable!("the policy was asked to send a malformed request")
    }));
    let mut refused = |change: fn(&mut HostOutgoingRequest)| {
        let mut request = orders_request(&mut policy, http::HeaderMap::new());
        change(&mut request);
        send(&mut policy, request)
            .err()
            .map(|e| e.downcast().expect("an error code, not a trap"))
    };
    assert!(matches!(
        refused(|r| r.scheme = Some(Scheme::Other("ftp".into()))),
        Some(ErrorCode::HttpProtocolError)
    ));
    assert!(matches!(
        refused(|r| r.authority = Some("bad host:9".into())),
        Some(ErrorCode::HttpRequestUriInvalid)
    ));
    assert!(matches!(
        refused(|r| r.method = Method::Other("BAD METHOD".into())),
        Some(ErrorCode::HttpRequestMethodInvalid)
    ));
}
