//! The shop's GET cache as the component's requests see it: a fresh answer is reused, identical
//! GETs in flight share one upstream request, and a write drops what it makes stale (by core's
//! Upgates rules) however it ends.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions};

use upgates_core::upgates_rules::{self, CacheLife};

use crate::sandbox::HttpPolicy;
use crate::shop_state::Stored;

impl HttpPolicy {
    /// Order statuses and products change rarely: cached for the code-list TTL.
    fn ttl_for(&self, path: &str) -> Duration {
        match upgates_rules::cache_life(path) {
            CacheLife::CodeList => self.code_list_ttl,
            CacheLife::Short => self.cache_ttl,
        }
    }

    /// GETs: from the cache when fresh (unless the guest sent `Cache-Control: no-cache`),
    /// identical concurrent ones coalesced into one upstream request.
    pub(crate) async fn get(
        &self,
        request: http::Request<Bytes>,
        options: Option<RequestOptions>,
    ) -> Result<Stored, HttpError> {
        let key = cache_key(&request);
        // `no-store`: the answer is not kept (a signed link's PDF, up to 32 MiB).
        let ttl = if has_directive(&request, &["no-store"]) {
            Duration::ZERO
        } else {
            self.ttl_for(request.uri().path())
        };
        // Sent before any write that lands meanwhile: such an answer is not kept.
        let key = key.as_str();
        let fetch = |request, options| async move {
            self.shop.saw_cache_miss();
            let sent = self.shop.epoch();
            let stored = self.forward(request, options).await?;
            self.shop.store(key, &stored, ttl, sent);
            Ok::<_, HttpError>(stored)
        };
        if wants_fresh(&request) {
            return fetch(request, options).await;
        }
        if let Some(hit) = self.shop.cached(key) {
            tracing::debug!(path = %crate::logging::loggable_path(request.uri()), "served from the cache");
            self.shop.saw_cache_hit();
            return Ok(hit);
        }
        let cell = self.shop.flight(key);
        let (mut fetched, mut hit) = (false, false);
        let result = match cell
            .get_or_init(|| async {
                // A flight that landed between the cache lookup above and taking this cell
                // has stored its answer: use it instead of asking again.
                if let Some(stored) = self.shop.cached(key) {
                    hit = true;
                    return Ok(stored);
                }
                fetched = true;
                fetch(request, options).await.map_err(Arc::new)
            })
            .await
        {
            Ok(stored) => Ok(stored.clone()),
            Err(failed) => Err(replicate(failed)),
        };
        if hit {
            self.shop.saw_cache_hit();
        } else if !fetched {
            self.shop.saw_shared_get();
        }
        self.shop.land(key, &cell);
        result
    }

    /// Writes drop what they make stale ([`upgates_rules::write_scope`]); the cache keys
    /// carry the URL after the credentials.
    fn invalidate_after_write(&self, request: &http::Request<Bytes>) {
        let scope = upgates_rules::write_scope(request.uri().path(), request.body());
        self.shop.invalidate(|key| {
            key.split('\u{0}')
                .nth(1)
                .is_none_or(|url| scope.makes_stale(url))
        });
    }
}

/// The same failure again, for each caller of a shared GET (wasmtime-wasi-http's error is
/// not `Clone`). Each reads to the guest as the original would: a hyper error as the error
/// code inside it, else a protocol error (wasmtime-wasi-http's default); I/O errors keep
/// their kind and text.
pub fn replicate(e: &HttpError) -> HttpError {
    use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
    match e {
        HttpError::Hyper(err) => std::error::Error::source(err)
            .and_then(|cause| cause.downcast_ref::<ErrorCode>())
            .map_or(HttpError::HttpProtocolError, |code| code.clone().into()),
        HttpError::Connect(err) => {
            HttpError::Connect(std::io::Error::new(err.kind(), err.to_string()))
        }
        HttpError::Tls(err) => HttpError::Tls(std::io::Error::new(err.kind(), err.to_string())),
        HttpError::DnsTimeout => HttpError::DnsTimeout,
        HttpError::DnsError { rcode, info_code } => HttpError::DnsError {
            rcode: rcode.clone(),
            info_code: *info_code,
        },
        HttpError::DestinationNotFound => HttpError::DestinationNotFound,
        HttpError::DestinationUnavailable => HttpError::DestinationUnavailable,
        HttpError::DestinationIpProhibited => HttpError::DestinationIpProhibited,
        HttpError::DestinationIpUnroutable => HttpError::DestinationIpUnroutable,
        HttpError::ConnectionRefused => HttpError::ConnectionRefused,
        HttpError::ConnectionTerminated => HttpError::ConnectionTerminated,
        HttpError::ConnectionTimeout => HttpError::ConnectionTimeout,
        HttpError::ConnectionReadTimeout => HttpError::ConnectionReadTimeout,
        HttpError::ConnectionWriteTimeout => HttpError::ConnectionWriteTimeout,
        HttpError::ConnectionLimitReached => HttpError::ConnectionLimitReached,
        HttpError::TlsProtocolError => HttpError::TlsProtocolError,
        HttpError::TlsCertificateError => HttpError::TlsCertificateError,
        HttpError::TlsAlertReceived {
            alert_id,
            alert_message,
        } => HttpError::TlsAlertReceived {
            alert_id: *alert_id,
            alert_message: alert_message.clone(),
        },
        HttpError::HttpRequestDenied => HttpError::HttpRequestDenied,
        HttpError::HttpResponseIncomplete => HttpError::HttpResponseIncomplete,
        HttpError::HttpResponseBodySize(size) => HttpError::HttpResponseBodySize(*size),
        HttpError::HttpResponseTimeout => HttpError::HttpResponseTimeout,
        HttpError::HttpProtocolError => HttpError::HttpProtocolError,
        HttpError::InternalError(message) => HttpError::InternalError(message.clone()),
        // The rest concern the request, which a GET the host builds does not get wrong, or
        // are rarer than worth naming: the guest reads them as one.
        other => HttpError::InternalError(Some(format!("the shared request failed: {other}"))),
    }
}

/// Drops what a write makes stale when the write is over, however it ended.
pub(crate) struct StaleAfterWrite<'a> {
    policy: &'a HttpPolicy,
    request: &'a http::Request<Bytes>,
}

impl<'a> StaleAfterWrite<'a> {
    pub(crate) fn new(policy: &'a HttpPolicy, request: &'a http::Request<Bytes>) -> Self {
        Self { policy, request }
    }
}

impl Drop for StaleAfterWrite<'_> {
    fn drop(&mut self) {
        self.policy.invalidate_after_write(self.request);
    }
}

/// Cache key: the credentials and the full URL (the credentials never leave memory).
fn cache_key(request: &http::Request<Bytes>) -> String {
    let auth = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    format!("{}\u{0}{}", String::from_utf8_lossy(auth), request.uri())
}

fn wants_fresh(request: &http::Request<Bytes>) -> bool {
    has_directive(request, &["no-cache", "no-store", "max-age=0"])
}

/// Whether the request's `Cache-Control` carries one of `directives`.
fn has_directive(request: &http::Request<Bytes>, directives: &[&str]) -> bool {
    request
        .headers()
        .get_all(http::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|d| directives.contains(&d.trim())))
}
