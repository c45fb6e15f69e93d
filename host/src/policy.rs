//! What the component may reach over HTTP, and how: the shop's origin only, `http://` only on
//! loopback, bounded waits and a bounded response size.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use upgates_core::{Failure, ShopConfig};

/// A request handler that stands in for the network: the fake shop in tests and the demo.
pub type InProcess = Arc<dyn Fn(http::Request<Bytes>) -> http::Response<Bytes> + Send + Sync>;

/// `scheme://host:port` of the shop's API, the only place the component may call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// The origin of an API URL; `http://` is accepted for loopback hosts only.
    pub fn of_api_url(api_url: &str) -> Result<Self, Failure> {
        let uri: http::Uri = api_url
            .parse()
            .map_err(|_| Failure::Misconfigured("`api-url` is not a valid URL".into()))?;
        let origin = Self::of_uri(&uri).ok_or_else(|| {
            Failure::Misconfigured("`api-url` must be an http(s) URL with a host".into())
        })?;
        if origin.scheme == "http" && !is_loopback(&origin.host) {
            return Err(Failure::Misconfigured(
                "`api-url` must use https:// (http:// is allowed only for 127.0.0.1 / localhost)"
                    .into(),
            ));
        }
        Ok(origin)
    }

    fn of_uri(uri: &http::Uri) -> Option<Self> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            _ => return None,
        };
        let host = uri
            .host()?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        if host.is_empty() {
            return None;
        }
        Some(Self {
            scheme,
            host,
            port: uri.port_u16().unwrap_or(default_port),
        })
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The limits one shop's calls run under.
#[derive(Clone)]
pub struct HttpPolicy {
    pub origin: Origin,
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
    /// The whole action call, all its requests included.
    pub call_timeout: Duration,
    pub max_response_bytes: usize,
    /// `None`: the real network. `Some`: this handler answers instead (same policy checks).
    pub in_process: Option<InProcess>,
}

impl std::fmt::Debug for HttpPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpPolicy")
            .field("origin", &self.origin)
            .field("connect_timeout", &self.connect_timeout)
            .field("first_byte_timeout", &self.first_byte_timeout)
            .field("call_timeout", &self.call_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("in_process", &self.in_process.is_some())
            .finish()
    }
}

impl HttpPolicy {
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    pub const DEFAULT_FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(15);
    pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 8 << 20;

    /// The default policy for a shop: its origin, 5 s / 15 s / 30 s, 8 MiB.
    pub fn for_shop(config: &ShopConfig) -> Result<Self, Failure> {
        Ok(Self {
            origin: Origin::of_api_url(&config.api_url)?,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            first_byte_timeout: Self::DEFAULT_FIRST_BYTE_TIMEOUT,
            call_timeout: Self::DEFAULT_CALL_TIMEOUT,
            max_response_bytes: Self::DEFAULT_MAX_RESPONSE_BYTES,
            in_process: None,
        })
    }

    pub fn with_in_process(mut self, handler: InProcess) -> Self {
        self.in_process = Some(handler);
        self
    }

    /// The request may go out only to the shop's own scheme, host and port.
    fn allows(&self, uri: &http::Uri) -> bool {
        Origin::of_uri(uri).is_some_and(|o| o == self.origin)
    }

    /// The guest may ask for shorter waits, never longer ones.
    fn clamp(&self, asked: Option<RequestOptions>) -> RequestOptions {
        let asked = asked.unwrap_or_default();
        let cap = |d: Option<Duration>, max: Duration| Some(d.map_or(max, |d| d.min(max)));
        RequestOptions {
            connect_timeout: cap(asked.connect_timeout, self.connect_timeout),
            first_byte_timeout: cap(asked.first_byte_timeout, self.first_byte_timeout),
            between_bytes_timeout: cap(asked.between_bytes_timeout, self.first_byte_timeout),
        }
    }
}

type BoxFuture<T> = Box<dyn Future<Output = T> + Send>;
type SendResult = Result<(http::Response<WasiBody>, BoxFuture<Result<(), HttpError>>), HttpError>;

impl WasiHttpHooks for HttpPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _response_done: BoxFuture<Result<(), HttpError>>,
    ) -> BoxFuture<SendResult> {
        let policy = self.clone();
        Box::new(async move {
            if !policy.allows(request.uri()) {
                return Err(HttpError::HttpRequestDenied);
            }
            let cap = policy.max_response_bytes;
            let done: BoxFuture<Result<(), HttpError>> = Box::new(async { Ok(()) });
            if let Some(handler) = &policy.in_process {
                let (parts, body) = request.into_parts();
                let body = body.collect().await?.to_bytes();
                let response = handler(http::Request::from_parts(parts, body));
                if response.body().len() > cap {
                    return Err(HttpError::HttpResponseBodySize(Some(
                        response.body().len() as u64
                    )));
                }
                let response =
                    response.map(|b| Full::new(b).map_err(|never| match never {}).boxed_unsync());
                return Ok((response, done));
            }
            let options = policy.clamp(options);
            let (response, io) =
                wasmtime_wasi_http::default_send_request(request, Some(options)).await?;
            let response = response.map(|body| {
                Limited::new(body, cap)
                    .map_err(|e| match e.downcast::<HttpError>() {
                        Ok(inner) => *inner,
                        Err(_) => HttpError::HttpResponseBodySize(None),
                    })
                    .boxed_unsync()
            });
            Ok((response, Box::new(io) as BoxFuture<Result<(), HttpError>>))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let o = Origin::of_api_url("https://Demo.admin.s1.upgates.com/api/v2").unwrap();
        assert_eq!(
            o,
            Origin {
                scheme: "https".into(),
                host: "demo.admin.s1.upgates.com".into(),
                port: 443
            }
        );
        assert!(Origin::of_api_url("http://127.0.0.1:8080/api/v2").is_ok());
        assert!(Origin::of_api_url("http://[::1]:8080/api/v2").is_ok());
        assert!(Origin::of_api_url("http://demo.admin.s1.upgates.com/api/v2").is_err());
        let config =
            ShopConfig::new("https://demo.admin.s1.upgates.com/api/v2", "l", "k", "420").unwrap();
        let policy = HttpPolicy::for_shop(&config).unwrap();
        assert!(
            policy.allows(
                &"https://demo.admin.s1.upgates.com/api/v2/orders"
                    .parse()
                    .unwrap()
            )
        );
        assert!(policy.allows(&"https://demo.admin.s1.upgates.com:443/x".parse().unwrap()));
        for denied in [
            "http://demo.admin.s1.upgates.com/api/v2",
            "https://demo.admin.s1.upgates.com:8443/api/v2",
            "https://evil.example/api/v2",
            "https://demo.admin.s1.upgates.com.evil.example/",
        ] {
            assert!(!policy.allows(&denied.parse().unwrap()), "{denied}");
        }
        let clamped = policy.clamp(Some(RequestOptions {
            connect_timeout: Some(Duration::from_secs(600)),
            first_byte_timeout: Some(Duration::from_secs(1)),
            between_bytes_timeout: None,
        }));
        assert_eq!(clamped.connect_timeout, Some(Duration::from_secs(5)));
        assert_eq!(clamped.first_byte_timeout, Some(Duration::from_secs(1)));
        assert_eq!(clamped.between_bytes_timeout, Some(Duration::from_secs(15)));
    }
}
