//! [`Upstream`] over `wasi:http/outgoing-handler`, blocking.
//!
//! The component handles one call at a time, so it sends one request at a time and waits for
//! it. Writing the body before waiting for the response keeps the host's verdict (a denied
//! destination, a timeout) as the error we see, instead of a "connection reset" from the body
//! stream racing it.

use std::time::Duration;

use ::wasi::http::outgoing_handler;
use ::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method as WasiMethod, OutgoingBody, OutgoingRequest,
    RequestOptions, Scheme,
};
use ::wasi::io::streams::StreamError;
use upgates_core::api::MAX_RESPONSE_BYTES;
use upgates_core::{ApiRequest, ApiResponse, Method, TransportError, Upstream};

/// The guest asks for these; the host's policy may cap them lower.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(15);
const BETWEEN_BYTES_TIMEOUT: Duration = Duration::from_secs(15);
/// `blocking-write-and-flush` takes at most 4096 bytes a call.
const WRITE_CHUNK: usize = 4096;
const READ_CHUNK: u64 = 64 * 1024;

pub struct WasiHttp;

impl Upstream for WasiHttp {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        send(request)
    }

    async fn sleep(&self, duration: Duration) -> bool {
        ::wasi::clocks::monotonic_clock::subscribe_duration(nanos(duration)).block();
        true
    }
}

fn failed(what: &str) -> TransportError {
    TransportError::Failed(what.into())
}

fn send(request: ApiRequest) -> Result<ApiResponse, TransportError> {
    let (scheme, authority, path) =
        split_url(&request.url).ok_or_else(|| failed("the API URL is malformed"))?;
    let headers: Vec<(String, Vec<u8>)> = request
        .headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.as_bytes().to_vec()))
        .collect();
    let headers =
        Fields::from_list(&headers).map_err(|_| failed("a request header was refused"))?;
    // A new `outgoing-request` is a GET (wasi:http says so): only writes set a method.
    let outgoing = OutgoingRequest::new(headers);
    let method = match request.method {
        Method::Get => None,
        Method::Put => Some(WasiMethod::Put),
        Method::Post => Some(WasiMethod::Post),
    };
    if let Some(method) = method {
        outgoing
            .set_method(&method)
            .map_err(|()| failed("the method was refused"))?;
    }
    outgoing
        .set_scheme(Some(&scheme))
        .map_err(|()| failed("the scheme was refused"))?;
    outgoing
        .set_authority(Some(authority))
        .map_err(|()| failed("the host was refused"))?;
    outgoing
        .set_path_with_query(Some(path))
        .map_err(|()| failed("the path was refused"))?;
    // A GET sends no body: not asking for one saves four host calls (body, write, the
    // stream's drop, finish), and the host sends an empty body.
    let body = match request.body.as_deref() {
        Some(bytes) => Some((
            outgoing
                .body()
                .map_err(|()| failed("the request body is unavailable"))?,
            bytes,
        )),
        None => None,
    };

    let options = RequestOptions::new();
    // A host that does not support an option keeps its own default: not an error.
    let _ = options.set_connect_timeout(Some(nanos(CONNECT_TIMEOUT)));
    let _ = options.set_first_byte_timeout(Some(nanos(FIRST_BYTE_TIMEOUT)));
    let _ = options.set_between_bytes_timeout(Some(nanos(BETWEEN_BYTES_TIMEOUT)));
    let pending = outgoing_handler::handle(outgoing, Some(options)).map_err(classify)?;

    // The body first; if writing fails, the response below says why.
    let written = body.map_or(Ok(()), |(body, bytes)| write_body(body, bytes));
    // Take the response if the host already has it (a cache hit, an answer the host gives
    // itself): three host calls fewer (subscribe, block, the pollable's drop). Otherwise
    // wait for it; against the network the extra `get` costs nothing that shows.
    let mut ready = None;
    let response = loop {
        match pending.get() {
            Some(Ok(Ok(response))) => break response,
            Some(Ok(Err(code))) => return Err(classify(code)),
            Some(Err(())) => return Err(failed("the response was already taken")),
            None => ready.get_or_insert_with(|| pending.subscribe()).block(),
        }
    };
    drop(ready);
    written?;

    let status = response.status();
    // The actions read headers only from a refusal or a redirect (`retry-after`,
    // `location`: `upgates_core::api::RESPONSE_HEADERS_READ`). A success's headers would cost
    // three host calls and three copies into the component (headers, entries, the fields'
    // drop) to learn its length, where one more read to see the end costs one.
    let headers = if (200..300).contains(&status) {
        Vec::new()
    } else {
        response
            .headers()
            .entries()
            .into_iter()
            .filter_map(|(name, value)| {
                Some((name.to_ascii_lowercase(), String::from_utf8(value).ok()?))
            })
            .collect()
    };
    let incoming = response
        .consume()
        .map_err(|()| failed("the response body is unavailable"))?;
    let mut answer = ApiResponse {
        status,
        headers,
        body: Vec::new(),
    };
    let length = answer
        .header("content-length")
        .and_then(|value| value.trim().parse().ok());
    let body = read_body(&incoming, length);
    // Dropped, not `finish`ed: Upgates sends no trailers, and `finish` would hand back a
    // future to drop as well (one host call instead of two).
    drop(incoming);
    answer.body = body?;
    Ok(answer)
}

/// `https://host:port/path?query` into its parts.
fn split_url(url: &str) -> Option<(Scheme, &str, &str)> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (Scheme::Https, rest)
    } else {
        (Scheme::Http, url.strip_prefix("http://")?)
    };
    let split = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    Some((scheme, authority, if path.is_empty() { "/" } else { path }))
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn write_body(body: OutgoingBody, bytes: &[u8]) -> Result<(), TransportError> {
    {
        let stream = body
            .write()
            .map_err(|()| failed("the request body is unavailable"))?;
        for chunk in bytes.chunks(WRITE_CHUNK) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|_| failed("sending the request failed"))?;
        }
    }
    OutgoingBody::finish(body, None).map_err(classify)
}

/// Reads to the end, refusing more than [`MAX_RESPONSE_BYTES`]. With a known length (only a
/// refusal's or redirect's headers are read) it stops once that much has arrived, without one
/// more read to see the end: an HTTP/1.1 body with a `content-length` ends there (the host's
/// client enforces it, and our host announces the exact length of the body it holds). A body
/// that ends short of it was cut off. A success is read until the stream ends; a body cut off
/// there is the host's stream error.
fn read_body(incoming: &IncomingBody, length: Option<usize>) -> Result<Vec<u8>, TransportError> {
    if length.is_some_and(|n| n > MAX_RESPONSE_BYTES) {
        return Err(TransportError::TooLarge);
    }
    let stream = incoming
        .stream()
        .map_err(|()| failed("the response body is unavailable"))?;
    let mut bytes = Vec::new();
    loop {
        if length == Some(bytes.len()) {
            return Ok(bytes);
        }
        match stream.blocking_read(READ_CHUNK) {
            Ok(chunk) => {
                if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(TransportError::TooLarge);
                }
                // Most bodies come in one chunk: keep it instead of copying it.
                if bytes.is_empty() {
                    bytes = chunk;
                } else {
                    bytes.extend_from_slice(&chunk);
                }
            }
            Err(StreamError::Closed) if length.is_some_and(|n| bytes.len() < n) => {
                return Err(failed("the response was cut off"));
            }
            Err(StreamError::Closed) => return Ok(bytes),
            Err(StreamError::LastOperationFailed(_)) => {
                return Err(failed("the response was cut off"));
            }
        }
    }
}

/// Maps the `wasi:http` error code. Codes are data, not text, so debug and release builds of
/// the guest agree.
fn classify(code: ErrorCode) -> TransportError {
    match code {
        ErrorCode::HttpRequestDenied => TransportError::Denied,
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout
        | ErrorCode::DnsTimeout => TransportError::Timeout,
        ErrorCode::HttpResponseBodySize(_) => TransportError::TooLarge,
        ErrorCode::ConnectionRefused => failed("connection refused"),
        ErrorCode::DnsError(_) => failed("the API host name does not resolve"),
        ErrorCode::TlsCertificateError
        | ErrorCode::TlsProtocolError
        | ErrorCode::TlsAlertReceived(_) => failed("TLS failed"),
        ErrorCode::HttpProtocolError | ErrorCode::HttpResponseIncomplete => {
            failed("the response was cut off or malformed")
        }
        _ => failed("the connection failed"),
    }
}
