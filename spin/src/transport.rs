//! [`Upstream`] over `spin_sdk::http::send` (`wasi:http/client@0.3.0`).
//!
//! Spin refuses hosts missing from `allowed_outbound_hosts` with `http-request-denied`, which
//! becomes `TransportError::Denied` and the answer "Ne: misconfigured", as in the plugin.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use spin_sdk::http::Response;
use spin_sdk::wasip3::http::types::{ErrorCode, RequestOptions};
use spin_sdk::wasip3::http_compat::RequestOptionsExtension;
use upgates_core::api::MAX_RESPONSE_BYTES;
use upgates_core::{ApiRequest, ApiResponse, Method, TransportError, Upstream};

/// What we ask the host for; it may hold us to less.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(15);
const BETWEEN_BYTES_TIMEOUT: Duration = Duration::from_secs(15);

pub struct SpinHttp;

/// A response's headers as [`ApiResponse`] holds them (those that are text).
pub(crate) fn headers_of(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect()
}

/// Sends `request` and returns the response with its body unread (the invoice route streams
/// it on; [`SpinHttp::send`] reads it whole).
pub async fn open(request: ApiRequest) -> Result<Response, TransportError> {
    let mut builder = http::Request::builder()
        .method(request.method.as_str())
        .uri(&request.url);
    for (name, value) in &request.headers {
        builder = builder.header(*name, value);
    }
    let mut outgoing = builder
        .body(Full::new(Bytes::from(request.body.unwrap_or_default())))
        .map_err(|_| failed("the request could not be built from the API URL"))?;
    outgoing
        .extensions_mut()
        .insert(RequestOptionsExtension(options()));
    spin_sdk::http::send(outgoing).await.map_err(classify)
}

/// A body error mid-stream, as a transport error.
pub fn body_error(e: &(dyn std::error::Error + 'static)) -> TransportError {
    if e.is::<LengthLimitError>() {
        TransportError::TooLarge
    } else {
        match e.downcast_ref::<ErrorCode>() {
            Some(code) => classify(code.clone()),
            None => failed("the response was cut off"),
        }
    }
}

impl Upstream for SpinHttp {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        let write = (request.method != Method::Get).then(|| {
            // The path only: a query may carry a phone number.
            let path = request
                .url
                .parse::<http::Uri>()
                .map(|uri| uri.path().to_owned());
            (request.method, path.unwrap_or_default())
        });
        let response = open(request).await?;
        let status = response.status().as_u16();
        if let Some((method, path)) = write.filter(|_| !(200..300).contains(&status)) {
            // An action answers "Ano" when only its audit record failed (the write happened),
            // so this line is how the shop learns of it, as in the Rust host.
            eprintln!(
                "upgates-bot: Upgates refused a write: {} {path} ({status})",
                method.as_str()
            );
        }
        let headers = headers_of(response.headers());
        let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| body_error(e.as_ref()))?
            .to_bytes();
        Ok(ApiResponse {
            status,
            headers,
            body: body.to_vec(),
        })
    }

    /// The host's monotonic clock (`wasi:clocks@0.3.0`): a short `Retry-After` is waited
    /// out without holding a thread.
    async fn sleep(&self, duration: Duration) -> bool {
        wait(duration).await;
        true
    }
}

/// Timeouts for one request. A host that does not support an option keeps its own default:
/// not an error.
fn options() -> RequestOptions {
    let options = RequestOptions::new();
    let _ = options.set_connect_timeout(Some(nanos(CONNECT_TIMEOUT)));
    let _ = options.set_first_byte_timeout(Some(nanos(FIRST_BYTE_TIMEOUT)));
    let _ = options.set_between_bytes_timeout(Some(nanos(BETWEEN_BYTES_TIMEOUT)));
    options
}

/// Waits on the host's monotonic clock: the retry back-off and the whole call's deadline.
pub(crate) async fn wait(duration: Duration) {
    spin_sdk::wasip3::clocks::monotonic_clock::wait_for(nanos(duration)).await;
}

/// Completes `duration` after this call, however late it is first polled (`wait` counts
/// from its first poll).
pub(crate) fn deadline_from_now(duration: Duration) -> impl Future<Output = ()> {
    use spin_sdk::wasip3::clocks::monotonic_clock;
    let when = monotonic_clock::now().saturating_add(nanos(duration));
    monotonic_clock::wait_until(when)
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn failed(what: &str) -> TransportError {
    TransportError::Failed(what.into())
}

/// Maps the `wasi:http` error code: codes are data, so every host build agrees.
fn classify(code: ErrorCode) -> TransportError {
    match code {
        ErrorCode::HttpRequestDenied | ErrorCode::DestinationIpProhibited => TransportError::Denied,
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout
        | ErrorCode::DnsTimeout => TransportError::Timeout,
        ErrorCode::HttpResponseBodySize(_) => TransportError::TooLarge,
        ErrorCode::ConnectionRefused => failed("connection refused"),
        ErrorCode::DnsError(_) | ErrorCode::DestinationNotFound => {
            failed("the API host name does not resolve")
        }
        ErrorCode::TlsCertificateError
        | ErrorCode::TlsProtocolError
        | ErrorCode::TlsAlertReceived(_) => failed("TLS failed"),
        ErrorCode::HttpProtocolError | ErrorCode::HttpResponseIncomplete => {
            failed("the response was cut off or malformed")
        }
        _ => failed("the connection failed"),
    }
}
