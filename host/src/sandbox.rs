//! What the component may reach over HTTP, and how: the shop's origin only, `http://` only on
//! loopback, only the methods and paths the actions send, bounded waits and a bounded response
//! size; of a response's headers it sees only those the actions read. In a call the host adds
//! the shop's `Authorization` itself (the component never has the key). GETs go through the
//! shop's cache (`crate::shop_cache`).

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use upgates_core::api::RESPONSE_HEADERS_READ;
use upgates_core::{Failure, ShopConfig};

use crate::shop_cache::StaleAfterWrite;
use crate::shop_state::{RateLimits, ShopState, Stored};

/// A request handler that stands in for the network: the fake shop in tests and the demo.
pub type InProcess = Arc<dyn Fn(http::Request<Bytes>) -> http::Response<Bytes> + Send + Sync>;
/// The same, answering asynchronously (a slow or concurrent stand-in).
pub type InProcessAsync = Arc<
    dyn Fn(http::Request<Bytes>) -> Pin<Box<dyn Future<Output = http::Response<Bytes>> + Send>>
        + Send
        + Sync,
>;

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
        // The same rule as the config's (which every packaging applies).
        if origin.scheme == "http" && !upgates_core::config::is_loopback(&origin.host) {
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

/// The limits one shop's calls run under.
#[derive(Clone)]
pub struct HttpPolicy {
    pub origin: Origin,
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
    /// The whole action call, all its requests included.
    pub call_timeout: Duration,
    pub max_response_bytes: usize,
    /// How long a GET answer is reused (0: no cache). Writes drop the entries they affect.
    pub cache_ttl: Duration,
    /// The same for code lists that rarely change: order statuses, products' manufacturers.
    pub code_list_ttl: Duration,
    /// `None`: the real network. `Some`: this handler answers instead (same policy checks).
    pub in_process: Option<InProcessAsync>,
    /// Shared by every call to this shop in the process: limiter, cache, rate-limit figures.
    pub(crate) shop: Arc<ShopState>,
    /// The path of `api-url` (`/api/v2`): the actions' paths are under it.
    api_path: String,
    /// `Basic ...` for the shop's API user, set on a call's copy of the policy: every request
    /// the component sends gets it in place of any `Authorization` of its own.
    authorization: Option<http::HeaderValue>,
    /// On a call's copy: the requests of the call the host works on at once, their bodies'
    /// reading included ([`MAX_SENDS_PER_CALL`]); more wait, and so do their bodies' writers.
    call_sends: Option<Arc<tokio::sync::Semaphore>>,
}

impl std::fmt::Debug for HttpPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpPolicy")
            .field("origin", &self.origin)
            .field("connect_timeout", &self.connect_timeout)
            .field("first_byte_timeout", &self.first_byte_timeout)
            .field("call_timeout", &self.call_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("cache_ttl", &self.cache_ttl)
            .field("code_list_ttl", &self.code_list_ttl)
            .field("in_process", &self.in_process.is_some())
            .finish()
    }
}

impl HttpPolicy {
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    pub const DEFAULT_FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(15);
    pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 8 << 20;
    pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(30);
    pub const DEFAULT_CODE_LIST_TTL: Duration = Duration::from_secs(3600);

    /// The default policy for a shop: its origin, 5 s / 15 s / 30 s, 8 MiB, a 30 s GET cache.
    pub fn for_shop(config: &ShopConfig) -> Result<Self, Failure> {
        let origin = Origin::of_api_url(&config.api_url)?;
        // Upgates counts concurrent requests per API access group, which a shop's API users
        // share: one limiter per origin (the cache keys carry the credentials).
        let shop_key = format!("{}://{}:{}", origin.scheme, origin.host, origin.port);
        Ok(Self {
            origin,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            first_byte_timeout: Self::DEFAULT_FIRST_BYTE_TIMEOUT,
            call_timeout: Self::DEFAULT_CALL_TIMEOUT,
            max_response_bytes: Self::DEFAULT_MAX_RESPONSE_BYTES,
            cache_ttl: Self::DEFAULT_CACHE_TTL,
            code_list_ttl: Self::DEFAULT_CODE_LIST_TTL,
            in_process: None,
            shop: ShopState::of(&shop_key),
            api_path: upgates_core::config::url_path(&config.api_url).to_owned(),
            authorization: None,
            call_sends: None,
        })
    }

    /// This policy for one call: adding `config`'s credentials to every request the component
    /// sends, and working on [`MAX_SENDS_PER_CALL`] of them at once.
    pub(crate) fn for_call(mut self, config: &ShopConfig) -> Self {
        self.call_sends = Some(Arc::new(tokio::sync::Semaphore::new(MAX_SENDS_PER_CALL)));
        let mut value =
            http::HeaderValue::try_from(upgates_core::api::basic_authorization(config)).ok();
        if let Some(value) = &mut value {
            value.set_sensitive(true);
        }
        self.authorization = value;
        self
    }

    pub fn with_in_process(self, handler: InProcess) -> Self {
        self.with_in_process_async(Arc::new(move |request| {
            let response = handler(request);
            Box::pin(async move { response })
        }))
    }

    pub fn with_in_process_async(mut self, handler: InProcessAsync) -> Self {
        self.in_process = Some(handler);
        self
    }

    /// Gives this policy a state of its own instead of the process-wide one for its shop
    /// (tests that must not see each other's cache or limiter).
    pub fn isolated(mut self) -> Self {
        self.shop = Arc::new(ShopState::new());
        self
    }

    /// The `X-Rate-Limit-*` figures Upgates sent last, if any.
    pub fn rate_limits(&self) -> Option<RateLimits> {
        self.shop.rate_limits()
    }

    /// A request from the host itself (`upgates check`, `statuses`) under the same rules as
    /// the component's: the shop's origin only, the limiter, the cache, the rate-limit record.
    pub async fn request(&self, request: http::Request<Bytes>) -> Result<Stored, HttpError> {
        if !self.allows(request.method(), request.uri()) {
            return Err(HttpError::HttpRequestDenied);
        }
        if request.method() == http::Method::GET {
            self.get(request, None).await
        } else {
            self.forward(request, None).await
        }
    }

    /// upgates-core's request from the host itself (the signed invoice link's PDF) under the
    /// same rules, within the call timeout.
    pub async fn send_api(
        &self,
        request: upgates_core::ApiRequest,
    ) -> Result<upgates_core::ApiResponse, upgates_core::TransportError> {
        use upgates_core::TransportError;
        let mut builder = http::Request::builder()
            .method(request.method.as_str())
            .uri(&request.url);
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        let request = builder
            .body(Bytes::from(request.body.unwrap_or_default()))
            .map_err(|_| TransportError::Failed("the request could not be built".into()))?;
        let stored = tokio::time::timeout(self.call_timeout, self.request(request))
            .await
            .map_err(|_| TransportError::Timeout)?
            .map_err(|e| match e {
                HttpError::HttpRequestDenied => TransportError::Denied,
                HttpError::ConnectionTimeout
                | HttpError::ConnectionReadTimeout
                | HttpError::HttpResponseTimeout => TransportError::Timeout,
                HttpError::HttpResponseBodySize(_) => TransportError::TooLarge,
                other => TransportError::Failed(other.to_string()),
            })?;
        Ok(stored.to_api_response())
    }

    /// This shop's `wasi:keyvalue` store in this process, where the component counts failed
    /// e-mail checks (shared like the cache; `isolated` policies have their own).
    pub fn counters(&self) -> &Arc<upgates_core::MemoryCounters> {
        &self.shop.counters
    }

    /// The lock appends to `order` take turns on in this process.
    pub fn order_lock(&self, order: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.shop.order_lock(order)
    }

    /// Requests that reached the shop from this process through this shop's state.
    pub fn upstream_requests(&self) -> u64 {
        self.shop.upstream_requests()
    }

    /// What this shop's calls in this process cost and saved (shared like the cache).
    pub fn stats(&self) -> crate::ShopStats {
        self.shop.stats()
    }

    /// Whether both policies hold one shop's state (cache, limiter, key-value store): the tests'
    /// check that a shop's API users share it.
    #[doc(hidden)]
    pub fn shares_state_with(&self, other: &HttpPolicy) -> bool {
        Arc::ptr_eq(&self.shop, &other.shop)
    }

    /// The request may go out only to the shop's own scheme, host and port, and only as one
    /// the actions (or `upgates check` / `statuses`, or a signed link's PDF) send.
    #[doc(hidden)]
    pub fn allows(&self, method: &http::Method, uri: &http::Uri) -> bool {
        Origin::of_uri(uri).is_some_and(|o| o == self.origin)
            && uri
                .path()
                .strip_prefix(self.api_path.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|rest| sent_by_an_action(method, rest, uri.query().is_some()))
    }

    /// The guest may ask for shorter waits, never longer ones.
    #[doc(hidden)]
    pub fn clamp(&self, asked: Option<RequestOptions>) -> RequestOptions {
        let asked = asked.unwrap_or_default();
        let cap = |d: Option<Duration>, max: Duration| Some(d.map_or(max, |d| d.min(max)));
        RequestOptions {
            connect_timeout: cap(asked.connect_timeout, self.connect_timeout),
            first_byte_timeout: cap(asked.first_byte_timeout, self.first_byte_timeout),
            between_bytes_timeout: cap(asked.between_bytes_timeout, self.first_byte_timeout),
        }
    }

    /// One request through the limiter to the network or the in-process stand-in, with the
    /// whole body read (bounded) so the permit is held exactly while Upgates works on it.
    pub(crate) async fn forward(
        &self,
        request: http::Request<Bytes>,
        options: Option<RequestOptions>,
    ) -> Result<Stored, HttpError> {
        let _permit = self
            .shop
            .limiter
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| HttpError::InternalError(Some("the shop's limiter is closed".into())))?;
        let cap = self.max_response_bytes;
        let (method, path) = (
            request.method().clone(),
            crate::logging::loggable_path(request.uri()).to_owned(),
        );
        let (parts, body) = match &self.in_process {
            Some(handler) => handler(request).await.into_parts(),
            None => self.over_network(request, options).await.inspect_err(|_| {
                self.shop.saw_failure();
            })?,
        };
        if body.len() > cap {
            self.shop.saw_failure();
            return Err(HttpError::HttpResponseBodySize(Some(body.len() as u64)));
        }
        let stored = Stored {
            status: parts.status.as_u16(),
            headers: parts
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            body,
        };
        self.shop.saw(&stored);
        tracing::debug!(method = %method, path = %path, status = stored.status, bytes = stored.body.len(), "upstream");
        if method != http::Method::GET && !(200..300).contains(&stored.status) {
            // Shown by default: an action answers "Ano" when only its audit record failed
            // (the write happened), so this line is how the shop learns of it.
            tracing::warn!(method = %method, path = %path, status = stored.status, "Upgates refused a write");
        }
        Ok(stored)
    }

    /// The request over the network (hyper through wasmtime-wasi-http's client), the body
    /// read whole up to the cap. Boxed in a function of its own: the client's future is
    /// large, and built inline it would grow `forward`'s stack frame, whose first poll runs on
    /// the call's fiber stack (`crate::outgoing`), so every call in flight would touch more
    /// memory (docs/performance.md).
    #[inline(never)]
    fn over_network(
        &self,
        request: http::Request<Bytes>,
        options: Option<RequestOptions>,
    ) -> Exchange<'_> {
        Box::pin(self.network_exchange(request, options))
    }

    async fn network_exchange(
        &self,
        request: http::Request<Bytes>,
        options: Option<RequestOptions>,
    ) -> Result<(http::response::Parts, Bytes), HttpError> {
        let request = request.map(|b| Full::new(b).map_err(|never| match never {}).boxed_unsync());
        let (response, io) =
            wasmtime_wasi_http::default_send_request(request, Some(self.clamp(options))).await?;
        // The connection task must run while the body is read.
        let connection = tokio::spawn(io);
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, self.max_response_bytes)
            .collect()
            .await
            .map_err(|e| match e.downcast::<HttpError>() {
                Ok(inner) => *inner,
                Err(_) => HttpError::HttpResponseBodySize(None),
            })?
            .to_bytes();
        connection.abort();
        Ok((parts, body))
    }
}

/// Largest request body the component may send: the actions send a note or a status change,
/// a few KiB at most.
pub const MAX_REQUEST_BODY_BYTES: usize = 1 << 20;
/// Requests of one call the host works on at once. The plugin sends one at a time (blocking
/// `wasi:http`); a component that opens more waits, so the request bodies a call has the host
/// hold stay under this many times [`MAX_REQUEST_BODY_BYTES`].
pub const MAX_SENDS_PER_CALL: usize = 2;

/// Whether `method` on `path` (relative to `api-url`'s path, e.g. `orders/123`) is a request
/// the nine actions, `upgates check` / `statuses` or a signed link's PDF send: the reads of
/// orders, products, invoices, order statuses and the API status, `PUT orders` and
/// `POST orders/{n}/history`. Queries go with reads only.
pub fn sent_by_an_action(method: &http::Method, path: &str, has_query: bool) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    let read = match segments.as_slice() {
        ["orders" | "order-statuses" | "status"] | ["products", "simple"] => true,
        ["orders" | "invoices", id] | ["invoices", id, "pdf"] => is_one_segment(id),
        _ => false,
    };
    let write = match (method, segments.as_slice()) {
        (&http::Method::PUT, ["orders"]) => true,
        (&http::Method::POST, ["orders", id, "history"]) => is_one_segment(id),
        _ => false,
    };
    match *method {
        http::Method::GET => read,
        _ => write && !has_query,
    }
}

/// Whether `body` is one `method` of the actions sends (its path already allowed by
/// [`sent_by_an_action`]): a read none; `PUT orders` one order's number with only the fields
/// the actions change (internal note, status, status id) and both notification flags;
/// `POST orders/{n}/history` one record of a name and a value. So a component cannot have the
/// host write an order's customer, address or items.
pub fn body_sent_by_an_action(method: &http::Method, body: &[u8]) -> bool {
    use serde_json::{Map, Value};
    if *method == http::Method::GET {
        return body.is_empty();
    }
    let Ok(Value::Object(top)) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    // Exactly `keys`, each holding what `holds` says of it.
    let exactly =
        |object: &Map<String, Value>, keys: &[&str], holds: &dyn Fn(&str, &Value) -> bool| {
            object.len() == keys.len()
                && object
                    .iter()
                    .all(|(key, value)| keys.contains(&key.as_str()) && holds(key, value))
        };
    let one = |value: &Value| match value {
        Value::Array(items) if items.len() == 1 => match &items[0] {
            Value::Object(object) => Some(object.clone()),
            _ => None,
        },
        _ => None,
    };
    match *method {
        http::Method::PUT => {
            let order_holds = |order: &Map<String, Value>| {
                order.get("order_number").is_some_and(Value::is_string)
                    && order.iter().all(|(key, value)| match key.as_str() {
                        "order_number" | "internal_note" | "status" => value.is_string(),
                        "status_id" => value.is_u64(),
                        _ => false,
                    })
            };
            exactly(
                &top,
                &["orders", "send_emails_yn", "send_sms_yn"],
                &|key, value| match key {
                    "orders" => one(value).is_some_and(|order| order_holds(&order)),
                    _ => value.is_boolean(),
                },
            )
        }
        http::Method::POST => exactly(&top, &["data"], &|_, data| {
            one(data).is_some_and(|record| {
                exactly(&record, &["name", "value"], &|_, value| value.is_string())
            })
        }),
        _ => false,
    }
}

/// An order or invoice number as core encodes it: unreserved characters and `%` escapes only,
/// not empty, and no dot segment even where an escaped slash or backslash is read as one (an
/// invoice number may hold a `/`; `..%2Fcustomers` may not reach another path).
fn is_one_segment(segment: &str) -> bool {
    let decoded = segment
        .to_ascii_lowercase()
        .replace("%2e", ".")
        .replace("%2f", "/")
        .replace("%5c", "/");
    !segment.is_empty()
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b))
        && decoded
            .split('/')
            .all(|piece| piece != "." && piece != "..")
}

pub(crate) type BoxFuture<T> = Box<dyn Future<Output = T> + Send>;
/// An exchange over the network: the response's head and its whole body.
type Exchange<'a> =
    Pin<Box<dyn Future<Output = Result<(http::response::Parts, Bytes), HttpError>> + Send + 'a>>;
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
            if !policy.allows(request.method(), request.uri()) {
                return Err(HttpError::HttpRequestDenied);
            }
            let _slot = match &policy.call_sends {
                Some(slots) => Some(slots.clone().acquire_owned().await.map_err(|_| {
                    HttpError::InternalError(Some("the call's request slots are closed".into()))
                })?),
                None => None,
            };
            // Our requests are small JSON: read the body whole (bounded), so a GET can be
            // keyed and a PUT can say which cache entries it makes stale.
            let (mut parts, body) = request.into_parts();
            // Before the cache key is made of it: cached answers stay per API user.
            if let Some(authorization) = &policy.authorization {
                parts
                    .headers
                    .insert(http::header::AUTHORIZATION, authorization.clone());
            }
            let body = Limited::new(body, MAX_REQUEST_BODY_BYTES)
                .collect()
                .await
                .map_err(|_| HttpError::HttpRequestBodySize(None))?
                .to_bytes();
            if !body_sent_by_an_action(&parts.method, &body) {
                return Err(HttpError::HttpRequestDenied);
            }
            let request = http::Request::from_parts(parts, body);
            let stored = if request.method() == http::Method::GET {
                policy.get(request, options).await?
            } else {
                // On drop, so also when the call is stopped mid-write: Upgates may have
                // applied it anyway.
                let _stale = StaleAfterWrite::new(&policy, &request);
                policy.forward(request.clone(), options).await?
            };
            let body_len = stored.body.len();
            let mut response = http::Response::new(
                Full::new(stored.body)
                    .map_err(|never| match never {})
                    .boxed_unsync(),
            );
            *response.status_mut() = http::StatusCode::from_u16(stored.status)
                .map_err(|_| HttpError::HttpProtocolError)?;
            // Only the headers the actions read: each one handed over is two strings copied
            // into the component. The rest (rate-limit figures, which the host records itself,
            // cookies, server details) stay here.
            response.headers_mut().extend(
                stored
                    .headers
                    .into_iter()
                    .filter(|(name, _)| RESPONSE_HEADERS_READ.contains(&name.as_str())),
            );
            // The body is whole in memory: announce its exact length, so a component that
            // reads the headers (ours does for a refusal or redirect) can stop reading once it
            // has it instead of reading once more to see the end.
            response.headers_mut().insert(
                http::header::CONTENT_LENGTH,
                http::HeaderValue::from(body_len),
            );
            let done: BoxFuture<Result<(), HttpError>> = Box::new(async { Ok(()) });
            Ok((response, done))
        })
    }
}
