//! `HttpPolicy`: the sandbox (the origin, deadlines, what the component sees of a response)
//! and the shop's GET cache.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use upgates_core::ShopConfig;
use upgates_host::for_tests::replicate;
use upgates_host::for_tests::wasmtime_wasi_http as wasi_http;
use upgates_host::{HttpPolicy, Origin};
use wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

type BoxFuture<T> = Box<dyn Future<Output = T> + Send>;

/// The component stops reading at the announced length, so the hook announces the exact
/// length of the body it hands over, whatever the upstream said; of the other headers,
/// only those the actions read reach the component.
#[tokio::test]
async fn the_component_gets_the_exact_length_and_the_headers_it_reads() {
    let config = ShopConfig::new("http://127.0.0.1:9/api/v2", "l", "k", "420").unwrap();
    let mut policy = HttpPolicy::for_shop(&config)
        .unwrap()
        .isolated()
        .with_in_process(Arc::new(|_| {
            http::Response::builder()
                .status(429)
                .header(http::header::CONTENT_LENGTH, "999")
                .header(http::header::CONTENT_TYPE, "application/json")
                .header("retry-after", "7")
                .header("location", "https://elsewhere.example/api/v2")
                .header("x-rate-limit-hour-remaining", "9")
                .header(http::header::SET_COOKIE, "session=secret")
                .body(Bytes::from_static(b"{\"orders\":[]}"))
                .unwrap()
        }));
    let request = http::Request::get("http://127.0.0.1:9/api/v2/orders")
        .body(
            http_body_util::Empty::new()
                .map_err(|never| match never {})
                .boxed_unsync(),
        )
        .unwrap();
    let sent = Box::into_pin(policy.send_request(request, None, Box::new(async { Ok(()) })));
    let (response, _) = sent.await.unwrap();
    let mut headers: Vec<_> = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str(), value.to_str().unwrap()))
        .collect();
    headers.sort();
    assert_eq!(
        headers,
        [
            ("content-length", "13"),
            ("location", "https://elsewhere.example/api/v2"),
            ("retry-after", "7"),
        ]
    );
    assert_eq!(response.status(), 429);
    // The host still saw the rate-limit figures.
    assert!(policy.rate_limits().is_some());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body.len(), 13);
}

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
    let get = http::Method::GET;
    assert!(
        policy.allows(
            &get,
            &"https://demo.admin.s1.upgates.com/api/v2/orders"
                .parse()
                .unwrap()
        )
    );
    assert!(
        policy.allows(
            &get,
            &"https://demo.admin.s1.upgates.com:443/api/v2/status"
                .parse()
                .unwrap()
        )
    );
    for denied in [
        "http://demo.admin.s1.upgates.com/api/v2/orders",
        "https://demo.admin.s1.upgates.com:8443/api/v2/orders",
        "https://evil.example/api/v2/orders",
        "https://demo.admin.s1.upgates.com.evil.example/api/v2/orders",
    ] {
        assert!(!policy.allows(&get, &denied.parse().unwrap()), "{denied}");
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

/// Upgates counts concurrent requests per API access group, which all API users of a
/// shop share: two logins of one shop share the limiter (and the rest of the state).
#[test]
fn a_shops_api_users_share_its_limit() {
    let url = "https://shared-limit.admin.s1.upgates.com/api/v2";
    let first = HttpPolicy::for_shop(&ShopConfig::new(url, "bot", "k1", "420").unwrap());
    let second = HttpPolicy::for_shop(&ShopConfig::new(url, "other", "k2", "420").unwrap());
    assert!(first.unwrap().shares_state_with(&second.unwrap()));
    let elsewhere = "https://another.admin.s1.upgates.com/api/v2";
    let third = HttpPolicy::for_shop(&ShopConfig::new(elsewhere, "bot", "k1", "420").unwrap());
    let first = HttpPolicy::for_shop(&ShopConfig::new(url, "bot", "k1", "420").unwrap());
    assert!(!first.unwrap().shares_state_with(&third.unwrap()));
}

/// Every waiter of a failed shared GET gets the failure the first caller got.
#[test]
fn a_shared_failure_is_replicated_as_it_was() {
    let same = |e: HttpError| format!("{:?}", replicate(&e)) == format!("{e:?}");
    assert!(same(HttpError::HttpResponseBodySize(Some(9))));
    assert!(same(HttpError::ConnectionReadTimeout));
    assert!(same(HttpError::DnsError {
        rcode: Some("x".into()),
        info_code: Some(3)
    }));
    assert!(same(HttpError::Connect(std::io::Error::new(
        std::io::ErrorKind::ConnectionRefused,
        "refused"
    ))));
    assert!(matches!(
        replicate(&HttpError::LoopDetected),
        HttpError::InternalError(Some(_))
    ));
}

fn empty_body() -> WasiBody {
    http_body_util::Empty::new()
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn full_body(bytes: &'static [u8]) -> WasiBody {
    Full::new(Bytes::from_static(bytes))
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A write the call stops while Upgates has it (the call's deadline) may still have been
/// applied: the order's cached reads go all the same.
#[tokio::test]
async fn a_write_stopped_midway_still_drops_the_orders_cached_reads() {
    const ORDER_URL: &str = "http://127.0.0.1:9/api/v2/orders/2025000123";
    let config = ShopConfig::new("http://127.0.0.1:9/api/v2", "l", "k", "420").unwrap();
    let mut policy = HttpPolicy::for_shop(&config)
        .unwrap()
        .isolated()
        .with_in_process_async(Arc::new(|request| {
            Box::pin(async move {
                if request.method() == http::Method::PUT {
                    // Upgates never answers the write.
                    std::future::pending::<()>().await;
                }
                http::Response::new(Bytes::from_static(b"{\"orders\":[]}"))
            })
        }));
    let done = || -> BoxFuture<Result<(), HttpError>> { Box::new(async { Ok(()) }) };
    let read = |policy: &mut HttpPolicy| {
        let request = http::Request::get(ORDER_URL).body(empty_body()).unwrap();
        Box::into_pin(policy.send_request(request, None, done()))
    };
    let _ = read(&mut policy).await.unwrap();
    assert_eq!(policy.upstream_requests(), 1);
    let _ = read(&mut policy).await.unwrap();
    assert_eq!(policy.upstream_requests(), 1, "the second read is cached");
    let put = http::Request::put("http://127.0.0.1:9/api/v2/orders")
        .body(full_body(
            br#"{"orders":[{"internal_note":"n","order_number":"2025000123"}],"send_emails_yn":false,"send_sms_yn":false}"#,
        ))
        .unwrap();
    let write = Box::into_pin(policy.send_request(put, None, done()));
    let stopped = tokio::time::timeout(Duration::from_millis(50), write).await;
    assert!(stopped.is_err(), "the write never answers");
    let _ = read(&mut policy).await.unwrap();
    assert_eq!(policy.upstream_requests(), 2, "read again after the write");
}

/// Only what the nine actions, `upgates check` / `statuses` and a signed link's PDF send, under
/// `api-url`'s own path: every other method or path is refused before anything is sent.
#[test]
fn only_the_requests_the_actions_send() {
    use http::Method;
    let config =
        ShopConfig::new("https://demo.admin.s1.upgates.com/api/v2", "l", "k", "420").unwrap();
    let policy = HttpPolicy::for_shop(&config).unwrap();
    let allows = |method: Method, path: &str| {
        let uri = format!("https://demo.admin.s1.upgates.com{path}");
        policy.allows(&method, &uri.parse().unwrap())
    };
    for (method, path) in [
        (Method::GET, "/api/v2/orders/2025000123"),
        (Method::GET, "/api/v2/orders?phone=%2B420601223344&page=1"),
        (
            Method::GET,
            "/api/v2/products/simple?product_ids=1%3B2&variants_yn=0",
        ),
        (Method::GET, "/api/v2/invoices/2025001"),
        (Method::GET, "/api/v2/invoices/2025001/pdf"),
        (Method::GET, "/api/v2/order-statuses"),
        (Method::GET, "/api/v2/status"),
        (Method::GET, "/api/v2/orders/a%2E"),
        (Method::GET, "/api/v2/invoices/FV%2F2025%2F001"),
        (Method::GET, "/api/v2/invoices/FV%2F2025%2F001/pdf"),
        (Method::PUT, "/api/v2/orders"),
        (Method::POST, "/api/v2/orders/2025000123/history"),
    ] {
        assert!(allows(method.clone(), path), "{method} {path}");
    }
    for (method, path) in [
        (Method::DELETE, "/api/v2/orders/2025000123"),
        (Method::DELETE, "/api/v2/orders"),
        (Method::PUT, "/api/v2/customers"),
        (Method::GET, "/api/v2/customers"),
        (Method::PUT, "/api/v2/orders/2025000123"),
        (Method::PUT, "/api/v2/orders?x=1"),
        (Method::POST, "/api/v2/orders"),
        (Method::POST, "/api/v2/orders/1/history?x=1"),
        (Method::PATCH, "/api/v2/orders"),
        (Method::HEAD, "/api/v2/orders"),
        (Method::GET, "/api/v2/orders/1/history"),
        (Method::GET, "/api/v2/orders/"),
        (Method::GET, "/api/v2/orders/.."),
        (Method::GET, "/api/v2/orders/%2e%2E"),
        (Method::GET, "/api/v2/orders/..%2Fcustomers"),
        (Method::GET, "/api/v2/orders/a%2F..%2Fb"),
        (Method::GET, "/api/v2/invoices/..%5Ccustomers"),
        (Method::GET, "/api/v2/invoices/.%2F%2E%2e%2Fcustomers"),
        (Method::GET, "/api/v2/orders/1;customers"),
        (Method::GET, "/api/v2/orders/1,2"),
        (Method::GET, "/api/v2//orders"),
        (Method::GET, "/api/v2"),
        (Method::GET, "/api/v3/orders"),
        (Method::GET, "/api/v2x/orders"),
        (Method::GET, "/orders"),
        (Method::GET, "/x/api/v2/orders"),
    ] {
        assert!(!allows(method.clone(), path), "{method} {path}");
    }
    // Under a proxy's path, that path is the base.
    let proxied = ShopConfig::new("https://proxy.example/upgates/api/v2", "l", "k", "420").unwrap();
    let proxied = HttpPolicy::for_shop(&proxied).unwrap();
    let uri = |path: &str| format!("https://proxy.example{path}").parse().unwrap();
    assert!(proxied.allows(&Method::GET, &uri("/upgates/api/v2/orders/1")));
    assert!(!proxied.allows(&Method::GET, &uri("/api/v2/orders/1")));
}

/// A write's body as core builds it goes through; one with a field no action writes (the
/// customer, the items), a second order or record, a missing flag, a value of another type
/// or no JSON at all is refused; a read carries no body.
#[test]
fn only_the_bodies_the_actions_send() {
    use http::Method;
    use upgates_host::for_tests::body_sent_by_an_action as allowed;
    let put = |body: &str| allowed(&Method::PUT, body.as_bytes());
    let post = |body: &str| allowed(&Method::POST, body.as_bytes());
    for body in [
        r#"{"orders":[{"internal_note":"n","order_number":"1"}],"send_emails_yn":false,"send_sms_yn":false}"#,
        r#"{"orders":[{"order_number":"1","status":"Vyřízena"}],"send_emails_yn":true,"send_sms_yn":true}"#,
        r#"{"orders":[{"order_number":"1","status_id":3}],"send_emails_yn":false,"send_sms_yn":false}"#,
    ] {
        assert!(put(body), "{body}");
    }
    for body in [
        r#"{"orders":[{"order_number":"1","customer":{"email":"e@x.cz"}}],"send_emails_yn":false,"send_sms_yn":false}"#,
        r#"{"orders":[{"order_number":"1","items":[]}],"send_emails_yn":false,"send_sms_yn":false}"#,
        r#"{"orders":[{"order_number":"1"},{"order_number":"2"}],"send_emails_yn":false,"send_sms_yn":false}"#,
        r#"{"orders":[{"status":"x"}],"send_emails_yn":false,"send_sms_yn":false}"#,
        r#"{"orders":[{"order_number":"1","status_id":"3"}],"send_emails_yn":false,"send_sms_yn":false}"#,
        r#"{"orders":[{"order_number":"1","status":"x"}],"send_emails_yn":false}"#,
        r#"{"orders":[{"order_number":"1","status":"x"}],"send_emails_yn":"no","send_sms_yn":false}"#,
        r#"{"orders":[{"order_number":"1"}],"send_emails_yn":false,"send_sms_yn":false,"x":1}"#,
        r#"{"data":[{"name":"a","value":"b"}]}"#,
        "",
        "not json",
    ] {
        assert!(!put(body), "{body}");
    }
    assert!(post(
        r#"{"data":[{"name":"set-order-status","value":"Vyřízena"}]}"#
    ));
    for body in [
        r#"{"data":[{"name":"a","value":"b","extra":1}]}"#,
        r#"{"data":[{"name":"a"}]}"#,
        r#"{"data":[{"name":"a","value":"b"},{"name":"c","value":"d"}]}"#,
        r#"{"data":[{"name":"a","value":"b"}],"customer":{}}"#,
        r#"{"data":[]}"#,
        "[]",
    ] {
        assert!(!post(body), "{body}");
    }
    assert!(allowed(&Method::GET, b""));
    assert!(!allowed(&Method::GET, b"{}"));
    assert!(!allowed(&Method::DELETE, b""));
}
