//! `wasi:http/outgoing-handler` for the plugin.
//!
//! wasmtime-wasi-http's own `handle` hands every request to a new task, and the component
//! then suspends until that task has run, even when the answer is already there. Our policy
//! often has it at once: a cache hit, a refused origin, an in-process shop. This `handle`
//! builds the request as wasmtime-wasi-http does, polls the policy's future once, and hands
//! an answer that is ready straight to the component. Anything still pending (a network
//! request) goes to a task exactly as before.

use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::runtime::AbortOnDropJoinHandle;
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Method, RequestOptions, Scheme};
use wasmtime_wasi_http::p2::types::{HostFutureIncomingResponse, HostOutgoingRequest};
use wasmtime_wasi_http::p2::{HttpResult, http_request_error};
use wasmtime_wasi_http::{WasiBody, WasiHttpCtxView, WasiHttpView};

/// The `wasi:http` version the guest and wasmtime-wasi-http 48 both speak.
const INTERFACE: &str = "wasi:http/outgoing-handler@0.2.12";

/// Defines `wasi:http/outgoing-handler.handle` in `linker`, for any store whose data gives
/// wasi-http's view (the rest of `wasi:http` comes from wasmtime-wasi-http).
pub(crate) fn add_to_linker<T: WasiHttpView + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    linker.instance(INTERFACE)?.func_wrap(
        "handle",
        |mut store: StoreContextMut<'_, T>,
         (request, options): (
            Resource<HostOutgoingRequest>,
            Option<Resource<RequestOptions>>,
        )| {
            match handle(&mut store.data_mut().http(), request, options) {
                Ok(future) => Ok((Ok(future),)),
                // An `ErrorCode` is the guest's answer; anything else traps, as in
                // wasmtime-wasi-http.
                Err(e) => Ok((Err(e.downcast()?),)),
            }
        },
    )
}

fn handle(
    view: &mut WasiHttpCtxView<'_>,
    request: Resource<HostOutgoingRequest>,
    options: Option<Resource<RequestOptions>>,
) -> HttpResult<Resource<HostFutureIncomingResponse>> {
    let options = options.and_then(|o| view.table.get(&o).ok()).cloned();
    let request = view.table.delete(request)?;
    let request = to_http(view, request)?;
    let mut sent = Pin::from(
        view.hooks
            .send_request(request, options, Box::new(async { Ok(()) })),
    );
    // One poll with a waker that does nothing: a future must accept a new waker on its next
    // poll, which the task below gives it if this one finds it pending.
    let response = match sent.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => {
            HostFutureIncomingResponse::Ready(result.map(|(response, io)| (response, run(io))))
        }
        Poll::Pending => {
            HostFutureIncomingResponse::Pending(wasmtime_wasi::runtime::spawn(async move {
                let (response, io) = sent.await?;
                Ok((response, run(io)))
            }))
        }
    };
    Ok(view.table.push(response)?)
}

/// The task that finishes the exchange once the response is handed over (for our hook,
/// nothing is left to do, but wasi-http keeps the task with the body).
fn run(
    io: Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
) -> AbortOnDropJoinHandle<()> {
    wasmtime_wasi::runtime::spawn(async move {
        if let Err(e) = Pin::from(io).await {
            tracing::warn!(error = %e, "the exchange failed after its response");
        }
    })
}

/// The guest's request as an `http::Request`, checked as wasmtime-wasi-http's `handle` checks
/// it (48.0.8, `p2/http_impl.rs`).
fn to_http(
    view: &mut WasiHttpCtxView<'_>,
    request: HostOutgoingRequest,
) -> HttpResult<http::Request<WasiBody>> {
    // `content-length` is otherwise only checked when a body is written or finished, which a
    // guest need not do: a request without a body must not announce one.
    if request.body.is_none() && announces_body(&request.headers)? {
        return Err(ErrorCode::HttpRequestBodySize(Some(0)).into());
    }
    let method = match request.method {
        Method::Get => http::Method::GET,
        Method::Head => http::Method::HEAD,
        Method::Post => http::Method::POST,
        Method::Put => http::Method::PUT,
        Method::Delete => http::Method::DELETE,
        Method::Connect => http::Method::CONNECT,
        Method::Options => http::Method::OPTIONS,
        Method::Trace => http::Method::TRACE,
        Method::Patch => http::Method::PATCH,
        Method::Other(m) => http::Method::from_bytes(m.as_bytes())
            .map_err(|_| ErrorCode::HttpRequestMethodInvalid)?,
    };
    let scheme = match request.scheme {
        Some(scheme) => {
            let scheme = match scheme {
                Scheme::Http => http::uri::Scheme::HTTP,
                Scheme::Https => http::uri::Scheme::HTTPS,
                Scheme::Other(s) => http::uri::Scheme::try_from(s.as_str())
                    .map_err(|_| ErrorCode::HttpProtocolError)?,
            };
            if !view.hooks.is_supported_scheme(&scheme) {
                return Err(ErrorCode::HttpProtocolError.into());
            }
            scheme
        }
        None => view
            .hooks
            .default_scheme()
            .ok_or(ErrorCode::HttpProtocolError)?,
    };
    let authority = request.authority.unwrap_or_default();
    let mut uri = http::Uri::builder()
        .scheme(scheme)
        .authority(authority.as_str());
    if let Some(path) = request.path_with_query {
        uri = uri.path_and_query(path);
    }
    let mut builder = http::Request::builder()
        .method(method)
        .uri(uri.build().map_err(http_request_error)?);
    if view.hooks.set_host_header() {
        builder = builder.header(http::header::HOST, authority.as_str());
    }
    for (name, value) in request.headers.iter() {
        builder = builder.header(name, value);
    }
    let body = request.body.unwrap_or_else(|| {
        Empty::<Bytes>::new()
            .map_err(|never| match never {})
            .boxed_unsync()
    });
    builder
        .body(body)
        .map_err(|e| ErrorCode::InternalError(Some(e.to_string())).into())
}

/// Whether the headers announce a body (`content-length` other than 0); more than one
/// `content-length` or one that is not a number is an error, as in wasmtime-wasi-http.
fn announces_body(headers: &http::HeaderMap) -> HttpResult<bool> {
    let mut values = headers.get_all(http::header::CONTENT_LENGTH).iter();
    let Some(value) = values.next() else {
        return Ok(false);
    };
    let length = value
        .to_str()
        .ok()
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<u64>().ok());
    match (length, values.next()) {
        (Some(length), None) => Ok(length != 0),
        _ => Err(ErrorCode::InternalError(Some(
            "invalid or repeated `content-length` header".into(),
        ))
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use http_body_util::BodyExt;
    use upgates_core::ShopConfig;
    use wasmtime::component::ResourceTable;
    use wasmtime_wasi_http::{FieldMap, WasiHttpCtx};

    use super::*;
    use crate::sandbox::HttpPolicy;

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
        let mut policy =
            policy("http://127.0.0.1:10/api/v2").with_in_process(Arc::new(|_| orders()));
        let HostFutureIncomingResponse::Ready(Err(e)) =
            get_orders(&mut policy, http::HeaderMap::new()).unwrap()
        else {
            panic!("the refusal was not handed over ready");
        };
        assert!(
            matches!(e, wasmtime_wasi_http::Error::HttpRequestDenied),
            "{e:?}"
        );
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
}
