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

pub fn handle(
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
pub fn announces_body(headers: &http::HeaderMap) -> HttpResult<bool> {
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
