//! [`Upstream`] over `wasi:http/outgoing-handler`, with wstd.

use std::time::Duration;

use http_body_util::BodyExt;
use upgates_core::api::MAX_RESPONSE_BYTES;
use upgates_core::{ApiRequest, ApiResponse, TransportError, Upstream};
use wstd::http::error::ErrorCode;
use wstd::http::{Body, Client, Request};

/// The guest asks for these; the host's policy may cap them lower.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(15);
const BETWEEN_BYTES_TIMEOUT: Duration = Duration::from_secs(15);

pub struct WasiHttp;

impl Upstream for WasiHttp {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        let mut builder = Request::builder()
            .method(request.method.as_str())
            .uri(&request.url);
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        let body = request.body.map(Body::from).unwrap_or_else(Body::empty);
        let outgoing = builder
            .body(body)
            .map_err(|_| TransportError::Failed("the request could not be built".into()))?;
        let mut client = Client::new();
        client.set_connect_timeout(CONNECT_TIMEOUT);
        client.set_first_byte_timeout(FIRST_BYTE_TIMEOUT);
        client.set_between_bytes_timeout(BETWEEN_BYTES_TIMEOUT);
        let response = client.send(outgoing).await.map_err(classify)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let body = read_capped(response.into_body()).await?;
        Ok(ApiResponse {
            status,
            headers,
            body,
        })
    }
}

/// Reads the body frame by frame and stops at the cap instead of buffering without end.
async fn read_capped(body: Body) -> Result<Vec<u8>, TransportError> {
    if body
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(TransportError::TooLarge);
    }
    let mut stream = body.into_boxed_body();
    let mut bytes = Vec::new();
    while let Some(frame) = stream.frame().await {
        let frame = frame.map_err(classify)?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > MAX_RESPONSE_BYTES {
                return Err(TransportError::TooLarge);
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}

/// Maps the `wasi:http` error code; the text of other errors is not kept (it differs between
/// debug and release builds and may quote the URL).
fn classify(error: wstd::http::Error) -> TransportError {
    match error.downcast_ref::<ErrorCode>() {
        Some(ErrorCode::HttpRequestDenied) => TransportError::Denied,
        Some(
            ErrorCode::ConnectionTimeout
            | ErrorCode::ConnectionReadTimeout
            | ErrorCode::ConnectionWriteTimeout
            | ErrorCode::HttpResponseTimeout
            | ErrorCode::DnsTimeout,
        ) => TransportError::Timeout,
        Some(ErrorCode::HttpResponseBodySize(_)) => TransportError::TooLarge,
        Some(ErrorCode::ConnectionRefused) => TransportError::Failed("connection refused".into()),
        Some(ErrorCode::DnsError(_)) => {
            TransportError::Failed("the API host name does not resolve".into())
        }
        Some(
            ErrorCode::TlsCertificateError
            | ErrorCode::TlsProtocolError
            | ErrorCode::TlsAlertReceived(_),
        ) => TransportError::Failed("TLS failed".into()),
        Some(ErrorCode::HttpProtocolError | ErrorCode::HttpResponseIncomplete) => {
            TransportError::Failed("the response was cut off or malformed".into())
        }
        Some(_) => TransportError::Failed("the connection failed".into()),
        None => TransportError::Failed("the connection failed".into()),
    }
}
