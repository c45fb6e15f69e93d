//! The wire: what a request to Upgates looks like, the transport trait, and how an HTTP
//! status maps to a [`Failure`].

use std::future::Future;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

pub use crate::calendar::http_date;
use crate::config::ShopConfig;
use crate::failure::Failure;

/// Everything but RFC 3986 unreserved characters is encoded, in paths and query values alike.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Largest response body an action reads (a page of 100 full orders is well below this).
pub const MAX_RESPONSE_BYTES: usize = 8 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
        }
    }
}

/// One request to the shop's API, fully built (URL, auth, body).
#[derive(Clone, PartialEq)]
pub struct ApiRequest {
    pub method: Method,
    pub url: String,
    /// Lowercase names. Includes `authorization`: never log this struct's headers.
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
}

impl std::fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a phone number in its query: keep only the path.
        let path = self.url.split('?').next().unwrap_or_default();
        f.debug_struct("ApiRequest")
            .field("method", &self.method)
            .field("path", &path)
            .finish_non_exhaustive()
    }
}

impl ApiRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How long to wait before asking again (429): seconds or an HTTP date.
pub const RETRY_AFTER: &str = "retry-after";
/// Where a moved shop's API went (301).
pub const LOCATION: &str = "location";
/// Every response header the actions read, and only from a response that is not a success
/// (a 429, a redirect). A host may hand the component only these (and a `content-length`);
/// the plugin's transport reads no headers at all from a 2xx, so a header an action wants from
/// a success must be added there too.
pub const RESPONSE_HEADERS_READ: [&str; 2] = [RETRY_AFTER, LOCATION];

/// Upgates' answer: status, headers (lowercase names) and the whole body.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl ApiResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request got no HTTP answer at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// The host's policy refused the destination.
    Denied,
    /// Connecting, the first byte or the whole call took too long.
    Timeout,
    /// The response body was larger than the cap.
    TooLarge,
    /// Connection refused, reset, DNS, TLS... (a short description, no secrets).
    Failed(String),
}

impl From<TransportError> for Failure {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::Denied => {
                Failure::Misconfigured("the host does not allow requests to this API URL".into())
            }
            TransportError::Timeout => Failure::Timeout,
            TransportError::TooLarge => Failure::Upstream("the response is too large".into()),
            TransportError::Failed(why) => Failure::Upstream(format!("request failed: {why}")),
        }
    }
}

/// How the packaging sends a request: `wasi:http` in the component, the Spin SDK in the Spin
/// app, a fake shop in tests.
#[allow(async_fn_in_trait)] // single-threaded wasm guests; no Send bound wanted
pub trait Upstream {
    fn send(
        &self,
        request: ApiRequest,
    ) -> impl Future<Output = Result<ApiResponse, TransportError>>;

    /// The wall clock, for `orders-by-phone`'s period and `Retry-After` dates. Tests pin it.
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    /// Waits `duration`; `false` when this transport cannot wait (then a 429 is answered at
    /// once instead of retried).
    fn sleep(&self, duration: Duration) -> impl Future<Output = bool> {
        let _ = duration;
        std::future::ready(false)
    }
}

/// How long Upgates asks us to wait: `Retry-After` as seconds or as an HTTP date.
pub fn retry_after(response: &ApiResponse, now: SystemTime) -> Option<Duration> {
    let value = response.header(RETRY_AFTER)?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `Basic <base64(login:key)>`, the `Authorization` Upgates takes. Secret.
pub fn basic_authorization(config: &ShopConfig) -> String {
    let credentials = format!("{}:{}", config.login, config.key);
    let auth = base64::engine::general_purpose::STANDARD.encode(credentials);
    format!("Basic {auth}")
}

/// Builds requests against one shop.
pub(crate) struct Requests<'a> {
    config: &'a ShopConfig,
}

impl<'a> Requests<'a> {
    pub fn new(config: &'a ShopConfig) -> Self {
        Self { config }
    }

    fn base(&self, method: Method, url: String) -> ApiRequest {
        let mut headers = vec![("accept", "application/json".into())];
        // Under a host that adds it, the component has no key to put here.
        if !self.config.credentials_from_host {
            headers.push(("authorization", basic_authorization(self.config)));
        }
        ApiRequest {
            method,
            url,
            headers,
            body: None,
        }
    }

    /// `GET <api>/<path segments...>?<query>`: every segment and value percent-encoded.
    pub fn get(&self, segments: &[&str], query: &[(&str, &str)]) -> ApiRequest {
        let mut url = self.config.api_url.clone();
        for segment in segments {
            url.push('/');
            url.extend(utf8_percent_encode(segment, COMPONENT));
        }
        for (i, (key, value)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(key);
            url.push('=');
            url.extend(utf8_percent_encode(value, COMPONENT));
        }
        self.base(Method::Get, url)
    }

    /// `POST <api>/<path segments...>` with a JSON body.
    pub fn post(&self, segments: &[&str], body: &impl serde::Serialize) -> ApiRequest {
        let mut request = self.get(segments, &[]);
        request.method = Method::Post;
        with_json(request, body)
    }

    /// `PUT <api>/orders` with a JSON body.
    pub fn put_orders(&self, body: &impl serde::Serialize) -> ApiRequest {
        let request = self.base(Method::Put, format!("{}/orders", self.config.api_url));
        with_json(request, body)
    }
}

/// The bodies are our own structs of strings, numbers and bools: serialising them cannot fail.
fn with_json(request: ApiRequest, body: &impl serde::Serialize) -> ApiRequest {
    with_body(request, serde_json::to_vec(body).unwrap_or_default())
}

/// A JSON body with its `content-length`, always: without it a transport may stream the body
/// chunked (Spin did), which not every server in front of Upgates takes. Not generic, so the
/// component has one copy.
fn with_body(mut request: ApiRequest, body: Vec<u8>) -> ApiRequest {
    let mut length = String::new();
    crate::display::push_digits(&mut length, body.len() as u64, "");
    request.headers.extend([
        ("content-type", "application/json".into()),
        ("content-length", length),
    ]);
    request.body = Some(body);
    request
}

/// Maps a non-2xx answer to its failure; 2xx passes.
pub fn check_status(response: &ApiResponse) -> Result<(), Failure> {
    match response.status {
        200..=299 => Ok(()),
        301 | 302 | 307 | 308 => Err(moved(response)),
        401 => Err(Failure::Unauthorized),
        403 => Err(Failure::Forbidden),
        404 => Err(Failure::NotFound),
        429 => Err(Failure::RateLimited(
            response
                .header(RETRY_AFTER)
                .map(|v| v.trim().chars().take(64).collect()),
        )),
        413 => Err(Failure::Upstream(
            "Upgates refused the request as too large (HTTP 413)".into(),
        )),
        status => Err(Failure::Upstream(format!("Upgates answered HTTP {status}"))),
    }
}

/// Upgates answers 301 when a shop moved servers: the new URL comes in `Location` or in a JSON
/// body `{"api_url": ...}`. Not followed: the configuration must be fixed. Only an address on
/// Upgates' own API hosts is offered as the fix: anyone who can answer for the shop (a proxy,
/// a hijacked name) could otherwise have the shop send its API key where they say.
fn moved(response: &ApiResponse) -> Failure {
    let offered = response.header(LOCATION).map(str::to_owned).or_else(|| {
        serde_json::from_slice::<crate::model::Moved>(&response.body)
            .ok()?
            .api_url
    });
    let elsewhere = offered.as_deref().and_then(on_upgates) == Some(false);
    // A Location names the moved resource (`.../api/v2/orders/123`): what `api-url` needs is
    // its base, up to `/api/v2`. Offered only when it is a valid `api-url` itself (https, a
    // host without user info, the path exactly `/api/v2`, no query) and holds nothing that
    // reads as an e-mail or a phone number: the message passes on nothing else of what the
    // body or header says.
    let target = offered
        .filter(|_| !elsewhere)
        .and_then(|url| Some(url[..url.find("/api/v2")? + "/api/v2".len()].to_owned()))
        .filter(|url| url.len() < 300)
        .and_then(|url| crate::config::validate_api_url(&url).ok())
        .filter(|url| {
            crate::base_url::url_path(url) == "/api/v2"
                && crate::personal_data::redact_personal(url, "") == *url
        });
    Failure::Misconfigured(match target {
        Some(url) => format!("the shop's API moved to {url}; update `api-url`"),
        None if elsewhere => format!(
            "the shop's API moved somewhere that is not Upgates (HTTP {}); check `api-url` \
             against the shop's admin (Doplňky > API)",
            response.status
        ),
        None => format!(
            "the shop's API moved (HTTP {}); update `api-url`",
            response.status
        ),
    })
}

/// Whether an absolute URL's host is one of Upgates' API hosts, `<shop>.admin.<server>.upgates.com`
/// or `<shop>.admin.upgates.com` (`None`: a relative URL). User info, a trailing dot, a host
/// of anything but letters, digits, dots and hyphens, or anything else unusual reads as not
/// Upgates.
fn on_upgates(url: &str) -> Option<bool> {
    const DOMAIN: &[u8] = b".upgates.com";
    let rest = url.split_once("://")?.1;
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let host = &authority.as_bytes()[..authority.find(':').unwrap_or(authority.len())];
    let name = host.len().saturating_sub(DOMAIN.len());
    Some(
        crate::base_url::is_plain_authority(authority)
            && name > 0
            && host[name..].eq_ignore_ascii_case(DOMAIN)
            && host[name - 1] != b'.',
    )
}

/// Parses a JSON body; the error names the position only, never the content (which may hold
/// customers' data).
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    response: &ApiResponse,
) -> Result<T, Failure> {
    serde_json::from_slice(&response.body).map_err(|e| {
        let kind = match e.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "not valid JSON",
            serde_json::error::Category::Data => "not the expected JSON shape",
            serde_json::error::Category::Eof => "cut short",
        };
        Failure::Upstream(format!(
            "the response is {kind} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

#[cfg(test)]
mod tests;
