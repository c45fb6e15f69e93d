//! The wire: what a request to Upgates looks like, the transport trait, and how an HTTP
//! status maps to a [`Failure`].

use std::future::Future;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

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

/// An HTTP-date (RFC 9110, 5.6.7) in any of the three forms a recipient must accept:
/// `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete `Sunday, 06-Nov-94 08:49:37 GMT` (years
/// 70-99 are 19xx, the rest 20xx) and `Sun Nov  6 08:49:37 1994`. The weekday is not checked.
/// By hand: the `httpdate` crate cost the component 9 KB.
pub fn http_date(value: &str) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = value
        .split([' ', ',', '-'])
        .filter(|p| !p.is_empty())
        .collect();
    let (day, month, year, time) = match parts[..] {
        [_, day, month, year, time, "GMT"] => (day, month, year, time),
        [_, month, day, time, year] => (day, month, year, time),
        _ => return None,
    };
    let number = |text: &str, digits: std::ops::RangeInclusive<usize>| {
        (digits.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<u64>().ok())
            .flatten()
    };
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let day = number(day, 1..=2).filter(|d| (1..=31).contains(d))?;
    let year = match (year.len(), number(year, 2..=4)?) {
        (2, y @ 70..) => 1900 + y,
        (2, y) => 2000 + y,
        (4, y @ 1970..) => y,
        _ => return None,
    };
    let mut clock = time.split(':').map(|part| number(part, 2..=2));
    let (Some(Some(hour)), Some(Some(minute)), Some(Some(second)), None) =
        (clock.next(), clock.next(), clock.next(), clock.next())
    else {
        return None;
    };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Days since 1970-01-01 (Howard Hinnant's `days_from_civil`; the year is 1970 or later).
    let y = if month <= 2 { year - 1 } else { year };
    let (era, yoe) = (y / 400, y % 400);
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    Some(std::time::UNIX_EPOCH + Duration::from_secs(seconds))
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
        let credentials = format!("{}:{}", self.config.login, self.config.key);
        let auth = base64::engine::general_purpose::STANDARD.encode(credentials);
        ApiRequest {
            method,
            url,
            headers: vec![
                ("authorization", format!("Basic {auth}")),
                ("accept", "application/json".into()),
            ],
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
/// body `{"api_url": ...}`. Not followed: the configuration must be fixed.
fn moved(response: &ApiResponse) -> Failure {
    let from_body = || {
        serde_json::from_slice::<crate::model::Moved>(&response.body)
            .ok()?
            .api_url
    };
    // A Location names the moved resource (`.../api/v2/orders/123`): what `api-url` needs is
    // its base, up to `/api/v2`; a Location without it is not offered as one.
    let location = || {
        let url = response.header(LOCATION)?;
        let end = url.find("/api/v2")? + "/api/v2".len();
        Some(url[..end].to_owned())
    };
    // Offered only when it is a valid `api-url` itself (https, a host without user info, the
    // path exactly `/api/v2`, no query) and holds nothing that reads as an e-mail or a phone
    // number: the message passes on nothing else of what the body or header says.
    let target = location()
        .or_else(from_body)
        .filter(|url| url.len() < 300)
        .and_then(|url| crate::config::validate_api_url(&url).ok())
        .filter(|url| {
            crate::base_url::url_path(url) == "/api/v2"
                && crate::personal_data::redact_personal(url, "") == *url
        });
    match target {
        Some(url) => {
            Failure::Misconfigured(format!("the shop's API moved to {url}; update `api-url`"))
        }
        _ => Failure::Misconfigured(format!(
            "the shop's API moved (HTTP {}); update `api-url`",
            response.status
        )),
    }
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
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn config() -> ShopConfig {
        ShopConfig::new(
            "https://demo.admin.s1.upgates.com/api/v2",
            "bot",
            "k3y",
            "420",
        )
        .unwrap()
    }

    #[test]
    fn encodes_every_segment_and_value() {
        let cfg = config();
        let req = Requests::new(&cfg).get(&["orders", "a/../b?c#d"], &[("phone", "+420 1;&=%")]);
        assert_eq!(
            req.url,
            "https://demo.admin.s1.upgates.com/api/v2/orders/a%2F..%2Fb%3Fc%23d?phone=%2B420%201%3B%26%3D%25"
        );
        assert_eq!(req.header("authorization"), Some("Basic Ym90OmszeQ=="));
        assert!(!format!("{req:?}").contains("phone"));
        assert_eq!(req.header("content-length"), None);
    }

    #[test]
    fn http_dates_in_all_three_forms() {
        // RFC 9110's example, 1994-11-06T08:49:37Z.
        let at = UNIX_EPOCH + Duration::from_secs(784_111_777);
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(http_date(text), Some(at), "{text}");
        }
        assert_eq!(
            http_date("Sat, 28 Nov 2026 17:00:00 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(1_795_884_000 + 1200))
        );
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(UNIX_EPOCH));
        assert_eq!(
            http_date("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(253_402_300_799))
        );
        // Two-digit years: 70-99 are 19xx, the rest 20xx.
        assert_eq!(
            http_date("Thursday, 01-Jan-70 00:00:00 GMT"),
            Some(UNIX_EPOCH)
        );
        assert_eq!(
            http_date("Saturday, 28-Nov-26 17:00:00 GMT"),
            http_date("Sat, 28 Nov 2026 17:00:00 GMT")
        );
        for bad in [
            "",
            "120",
            "Sun, 06 Nov 1994 08:49:37 CET",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1969 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 08:49:37:00 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, +6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 19945 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
        ] {
            assert_eq!(http_date(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        /// The `httpdate` crate, which this replaced, reads every date it writes, in each of
        /// the three forms, as `http_date` does.
        #[test]
        fn http_dates_as_httpdate_reads_them(secs in 0u64..253_402_300_800) {
            let at = UNIX_EPOCH + Duration::from_secs(secs);
            let imf = httpdate::fmt_http_date(at);
            proptest::prop_assert_eq!(http_date(&imf), Some(at), "{}", imf);
            proptest::prop_assert_eq!(httpdate::parse_http_date(&imf).ok(), Some(at));
            // `Sun, 06 Nov 1994 08:49:37 GMT` as asctime: `Sun Nov  6 08:49:37 1994`.
            let (weekday, day, month, year, time) =
                (&imf[..3], &imf[5..7], &imf[8..11], &imf[12..16], &imf[17..25]);
            let asctime = format!("{weekday} {month} {:>2} {time} {year}", day.trim_start_matches('0'));
            proptest::prop_assert_eq!(http_date(&asctime), Some(at), "{}", asctime);
            proptest::prop_assert_eq!(httpdate::parse_http_date(&asctime).ok(), Some(at));
            // RFC 850's two-digit years reach 1970-2069 only.
            if (1970..2070).contains(&year.parse::<u32>().unwrap_or(0)) {
                let full = match weekday {
                    "Tue" => "Tuesday",
                    "Wed" => "Wednesday",
                    "Thu" => "Thursday",
                    "Sat" => "Saturday",
                    _ => &format!("{weekday}day"),
                };
                let rfc850 = format!("{full}, {day}-{month}-{} {time} GMT", &year[2..]);
                proptest::prop_assert_eq!(http_date(&rfc850), Some(at), "{}", rfc850);
                proptest::prop_assert_eq!(httpdate::parse_http_date(&rfc850).ok(), Some(at));
            }
        }
    }

    #[test]
    fn every_body_carries_its_length() {
        let cfg = config();
        let requests = Requests::new(&cfg);
        let body = serde_json::json!({"text": "Díky 👍"});
        for req in [
            requests.put_orders(&body),
            requests.post(&["orders", "1", "history"], &body),
        ] {
            let sent = req.body.as_deref().unwrap();
            assert_eq!(sent, serde_json::to_vec(&body).unwrap());
            let length = sent.len().to_string();
            assert_eq!(req.header("content-length"), Some(length.as_str()));
            assert_eq!(req.header("content-type"), Some("application/json"));
        }
    }

    #[test]
    fn statuses_map_to_failures() {
        let r = |status: u16, headers: &[(&str, &str)], body: &str| ApiResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(check_status(&r(200, &[], "")), Ok(()));
        assert_eq!(check_status(&r(401, &[], "")), Err(Failure::Unauthorized));
        assert_eq!(check_status(&r(403, &[], "")), Err(Failure::Forbidden));
        assert_eq!(check_status(&r(404, &[], "")), Err(Failure::NotFound));
        assert_eq!(
            check_status(&r(
                429,
                &[("Retry-After", "Sat, 28 Nov 2026 18:00:00 GMT")],
                ""
            )),
            Err(Failure::RateLimited(Some(
                "Sat, 28 Nov 2026 18:00:00 GMT".into()
            )))
        );
        assert_eq!(
            check_status(&r(503, &[], "")),
            Err(Failure::Upstream("Upgates answered HTTP 503".into()))
        );
        let moved = check_status(&r(
            301,
            &[],
            r#"{"api_url":"https://x.admin.s2.upgates.com/api/v2"}"#,
        ));
        assert_eq!(
            moved,
            Err(Failure::Misconfigured(
                "the shop's API moved to https://x.admin.s2.upgates.com/api/v2; update `api-url`"
                    .into()
            ))
        );
        // A Location names the moved resource: `api-url` is its base.
        let located = check_status(&r(
            301,
            &[(
                "location",
                "https://x.admin.s2.upgates.com/api/v2/orders/2025000123",
            )],
            "",
        ));
        assert_eq!(moved, located);
        let elsewhere = check_status(&r(301, &[("location", "https://x.example/login")], ""));
        let contact_in_path = check_status(&r(
            301,
            &[("location", "https://x.example/jana@x.cz/api/v2/orders/1")],
            "",
        ));
        assert_eq!(
            elsewhere,
            Err(Failure::Misconfigured(
                "the shop's API moved (HTTP 301); update `api-url`".into()
            ))
        );
        // What is not a valid `api-url` itself is not passed on.
        for body in [
            r#"{"api_url":"call +420 601 223 344 or jana@x.cz"}"#,
            r#"{"api_url":"http://x.admin.s2.upgates.com/api/v2"}"#,
            r#"{"api_url":"https://x.admin.s2.upgates.com/api/v2?phone=420601223344"}"#,
            r#"{"api_url":"https://jana@x.admin.s2.upgates.com/api/v2"}"#,
            r#"{"api_url":"https://x.admin.s2.upgates.com/jana@x.cz/api/v2"}"#,
            r#"{"api_url":"https://x.admin.s2.upgates.com/420601223344/api/v2"}"#,
            r#"{"api_url":"https://420601223344.example/api/v2"}"#,
        ] {
            assert_eq!(check_status(&r(301, &[], body)), elsewhere, "{body}");
        }
        assert_eq!(contact_in_path, elsewhere);
        let bad =
            parse_json::<serde_json::Value>(&r(200, &[], r#"{"email":"jana@x.cz""#)).unwrap_err();
        assert!(!bad.message().contains("jana"));
    }
}
