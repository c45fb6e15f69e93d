//! `upgates serve`'s own behaviour, the binary over real HTTP in front of the fake shop on a
//! loopback port: several shops with a token each, what all chats share (the cache, single
//! flight, the limit of 3 in flight), metrics, request ids, logs, stopping, and refusing to
//! start on settings it cannot serve.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::Method;
use http_body_util::Full;
use serde_json::{Value, json};
use upgates_fake_shop::{FakeShop, SAMPLE_KEY, SAMPLE_LOGIN};

use crate::support::Sent;
use crate::support::servers::{self, Answer, Process};

const CZ_TOKEN: &str = "cz-shop-token-0123456789";
const SK_TOKEN: &str = "sk-shop-token-0123456789";

fn call(path: &str, token: &str, body: &str) -> http::Request<Full<Bytes>> {
    http::Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap()
}

fn json_of(answer: &Answer) -> Value {
    serde_json::from_slice(&answer.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&answer.body)))
}

/// Two shops from a shops file, `cz` the default, each with the token its own variable holds.
fn two_shops(cz: &str, sk: &str) -> (tempfile::TempDir, Vec<(String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shops.toml");
    std::fs::write(
        &file,
        format!(
            "default = \"cz\"\n\
             [shops.cz]\napi_url = \"{cz}\"\napi_login = \"{SAMPLE_LOGIN}\"\napi_key = \"{SAMPLE_KEY}\"\n\
             bot_token_env = \"CZ_TOKEN\"\n\
             [shops.sk]\napi_url = \"{sk}\"\napi_login = \"{SAMPLE_LOGIN}\"\napi_key = \"{SAMPLE_KEY}\"\n\
             bot_token_env = \"SK_TOKEN\"\ndefault_country_code = \"421\"\n"
        ),
    )
    .unwrap();
    // It holds keys: owner-only, or `upgates` refuses it.
    #[cfg(unix)]
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let env = vec![
        ("UPGATES_CONFIG".to_owned(), file.display().to_string()),
        ("CZ_TOKEN".to_owned(), CZ_TOKEN.to_owned()),
        ("SK_TOKEN".to_owned(), SK_TOKEN.to_owned()),
    ];
    (dir, env)
}

/// `/v1/<action>` is the default shop's, `/v1/shops/<name>/<action>` each shop's; a token
/// opens its own shop only.
#[tokio::test(flavor = "multi_thread")]
async fn each_shop_has_its_route_and_its_token() {
    let (cz, sk) = (
        FakeShop::sample(SystemTime::now()),
        FakeShop::sample(SystemTime::now()),
    );
    let (cz_upgates, sk_upgates) = (cz.serve().await.unwrap(), sk.serve().await.unwrap());
    let (_dir, env) = two_shops(&cz_upgates.api_url(), &sk_upgates.api_url());
    let server = servers::upgates_serve(crate::UPGATES, &env, &[]);
    let order = r#"{"order":"2025000123"}"#;
    // Other orders each time: a second read of one order comes from the cache.
    for (path, token, shop, order) in [
        ("/v1/verify-order", CZ_TOKEN, &cz, "2025000123"),
        ("/v1/shops/cz/verify-order", CZ_TOKEN, &cz, "2025000124"),
        ("/v1/shops/sk/verify-order", SK_TOKEN, &sk, "2025000123"),
    ] {
        cz.clear_requests();
        sk.clear_requests();
        let body = format!(r#"{{"order":"{order}"}}"#);
        let answer = servers::send(&server.base, call(path, token, &body)).await;
        assert_eq!(json_of(&answer)["ok"], json!(true), "{path}: {answer:?}");
        assert_eq!(shop.requests().len(), 1, "{path}: the shop it names");
        assert_eq!(cz.requests().len() + sk.requests().len(), 1, "{path}");
    }
    for (path, token) in [
        ("/v1/verify-order", SK_TOKEN),
        ("/v1/shops/sk/verify-order", CZ_TOKEN),
        ("/v1/shops/cz/verify-order", SK_TOKEN),
    ] {
        let answer = servers::send(&server.base, call(path, token, order)).await;
        assert_eq!(answer.status, 401, "{path} with another shop's token");
    }
    let answer = servers::send(
        &server.base,
        call("/v1/shops/de/verify-order", CZ_TOKEN, order),
    )
    .await;
    assert_eq!(answer.status, 404);
    // The Slovak shop's own settings: its default country code.
    sk.clear_requests();
    let phone = r#"{"phone":"905 123 456","days":30}"#;
    servers::send(
        &server.base,
        call("/v1/shops/sk/orders-by-phone", SK_TOKEN, phone),
    )
    .await;
    assert!(
        sk.requests()[0]
            .query
            .as_deref()
            .unwrap()
            .starts_with("phone=421905123456&"),
        "{:?}",
        sk.requests()
    );
}

/// 20 chats asking about one order at once cost the shop one request, and a slow Upgates
/// never sees more than 3 requests of the server at once.
#[tokio::test(flavor = "multi_thread")]
async fn chats_share_one_request_and_the_limit_of_three() {
    let fake = FakeShop::sample(SystemTime::now());
    fake.set_latency(Duration::from_millis(200));
    let upgates = fake.serve().await.unwrap();
    let server = servers::upgates_serve(crate::UPGATES, &shop_env(&upgates.api_url()), &[]);
    let calls = (0..20).map(|_| {
        let base = server.base.clone();
        async move {
            servers::send(
                &base,
                call("/v1/verify-order", CZ_TOKEN, r#"{"order":"2025000123"}"#),
            )
            .await
        }
    });
    for answer in futures_all(calls).await {
        assert_eq!(json_of(&answer)["ok"], json!(true));
    }
    assert_eq!(
        crate::support::sent(&fake),
        vec![Sent::get("/api/v2/orders/2025000123")]
    );
    // Different orders cannot share: at most 3 at once, the rest wait their turn.
    fake.clear_requests();
    let orders = [
        "2025000124",
        "2025000125",
        "2024000077",
        "2025000126",
        "9999999",
    ];
    let calls = orders.iter().map(|order| {
        let (base, body) = (server.base.clone(), format!(r#"{{"order":"{order}"}}"#));
        async move { servers::send(&base, call("/v1/verify-order", CZ_TOKEN, &body)).await }
    });
    for answer in futures_all(calls).await {
        assert_eq!(answer.status, 200);
        assert_ne!(json_of(&answer)["reason"], json!("rate-limited"));
    }
    assert_eq!(fake.requests().len(), orders.len());
    // Never a 4th at once (the fake counts one it refuses too).
    assert!(fake.peak_in_flight() <= 3, "{}", fake.peak_in_flight());
}

/// Runs the futures at once, their outputs in order.
async fn futures_all<F: Future<Output = T> + Send + 'static, T: Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<T> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.unwrap());
    }
    outputs
}

fn shop_env(api_url: &str) -> Vec<(String, String)> {
    [
        ("UPGATES_API_URL", api_url),
        ("UPGATES_API_LOGIN", SAMPLE_LOGIN),
        ("UPGATES_API_KEY", SAMPLE_KEY),
        ("UPGATES_BOT_TOKEN", CZ_TOKEN),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .to_vec()
}

/// `/metrics` counts calls by outcome, Upgates' answers by status, the cache's hits, and the
/// quota Upgates reported; the logs carry a request id per request (the caller's when sent)
/// and never the customer's phone or e-mail.
#[tokio::test(flavor = "multi_thread")]
async fn metrics_request_ids_and_logs() {
    let fake = FakeShop::sample(SystemTime::now());
    let upgates = fake.serve().await.unwrap();
    let server = servers::upgates_serve(crate::UPGATES, &shop_env(&upgates.api_url()), &["-v"]);
    let mut request = call(
        "/v1/order-detail",
        CZ_TOKEN,
        r#"{"order":"2025000123","email":"jana.novakova@example.cz"}"#,
    );
    request
        .headers_mut()
        .insert("x-request-id", "chat-42.step-7".parse().unwrap());
    let answer = servers::send(&server.base, request).await;
    assert_eq!(answer.headers["x-request-id"], "chat-42.step-7");
    let phone = r#"{"phone":"+420 601 223 344","days":"30"}"#;
    for _ in 0..2 {
        let answer =
            servers::send(&server.base, call("/v1/orders-by-phone", CZ_TOKEN, phone)).await;
        let id = answer.headers["x-request-id"].to_str().unwrap().to_owned();
        assert!(!id.is_empty() && id != "chat-42.step-7");
    }
    servers::send(
        &server.base,
        call("/v1/verify-order", "not-the-token-0123", "{}"),
    )
    .await;
    let metrics = servers::send(
        &server.base,
        http::Request::get("/metrics")
            .body(Full::new(Bytes::new()))
            .unwrap(),
    )
    .await;
    let text = String::from_utf8_lossy(&metrics.body);
    for line in [
        "upgates_calls_total{shop=\"default\",action=\"order-detail\",outcome=\"ano\"} 1",
        "upgates_calls_total{shop=\"default\",action=\"orders-by-phone\",outcome=\"ano\"} 2",
        "upgates_calls_total{shop=\"default\",action=\"verify-order\",outcome=\"unauthenticated\"} 1",
        // order-detail: the order and its products; orders-by-phone once, then cached.
        "upgates_upstream_responses_total{shop=\"default\",status=\"200\"} 3",
        "upgates_cache_hits_total{shop=\"default\"} 1",
        "upgates_cache_misses_total{shop=\"default\"} 3",
        "upgates_calls_in_flight 0",
        "upgates_quota_remaining{shop=\"default\",period=\"hour\"}",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    // Each of the four calls' lines.
    let log = server.log_with("answered", 4);
    assert!(log.contains("chat-42.step-7"), "{log}");
    for personal in [
        "601223344",
        "601 223",
        "jana",
        "example.cz",
        CZ_TOKEN,
        SAMPLE_KEY,
    ] {
        assert!(!log.contains(personal), "{personal} in the log:\n{log}");
    }
}

/// SIGTERM: the call in flight finishes with its answer, no new connection is taken, and the
/// process exits 0.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_the_calls_in_flight_then_exits_0() {
    let fake = FakeShop::sample(SystemTime::now());
    fake.set_latency(Duration::from_millis(1500));
    let upgates = fake.serve().await.unwrap();
    let server = servers::upgates_serve(crate::UPGATES, &shop_env(&upgates.api_url()), &[]);
    let base = server.base.clone();
    let in_flight = tokio::spawn(async move {
        servers::send(
            &base,
            call("/v1/verify-order", CZ_TOKEN, r#"{"order":"2025000123"}"#),
        )
        .await
    });
    // Upgates has the request (the fake records it when it answers).
    while fake.peak_in_flight() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    terminate(&server);
    let answer = in_flight.await.unwrap();
    assert_eq!(json_of(&answer)["ok"], json!(true), "{answer:?}");
    let base = server.base.clone();
    let code = tokio::task::spawn_blocking(move || server.wait(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(code, Some(0));
    let authority = base.trim_start_matches("http://");
    assert!(
        std::net::TcpStream::connect(authority).is_err(),
        "not listening any more"
    );
}

/// A call that outlasts `--grace` does not keep the process: it exits 0 all the same.
#[tokio::test(flavor = "multi_thread")]
async fn a_call_past_the_grace_period_does_not_hold_the_exit() {
    let fake = FakeShop::sample(SystemTime::now());
    fake.set_latency(Duration::from_secs(8));
    let upgates = fake.serve().await.unwrap();
    let server = servers::upgates_serve(
        crate::UPGATES,
        &shop_env(&upgates.api_url()),
        &["--grace", "1"],
    );
    // A caller that never gets its answer: the request written, the connection left open.
    let body = r#"{"order":"2025000123"}"#;
    let mut caller =
        std::net::TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
    std::io::Write::write_all(
        &mut caller,
        format!(
            "POST /v1/verify-order HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {CZ_TOKEN}\r\n\
             content-length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .unwrap();
    // Upgates has the request (the fake records it when it answers).
    while fake.peak_in_flight() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    terminate(&server);
    let code = tokio::task::spawn_blocking(move || server.wait(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(code, Some(0));
}

fn terminate(server: &Process) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Settings it cannot serve are refused at start, exit 2, naming the problem and never a
/// secret.
#[test]
fn refuses_to_start_without_what_it_needs() {
    let upgates = "http://127.0.0.1:9/api/v2";
    let without_token: Vec<(String, String)> = shop_env(upgates)
        .into_iter()
        .filter(|(k, _)| k != "UPGATES_BOT_TOKEN")
        .collect();
    let short_token: Vec<(String, String)> = shop_env(upgates)
        .into_iter()
        .map(|(k, v)| {
            let v = if k == "UPGATES_BOT_TOKEN" {
                "short".into()
            } else {
                v
            };
            (k, v)
        })
        .collect();
    let (_dir, mut same_tokens) = two_shops(upgates, "http://127.0.0.1:10/api/v2");
    same_tokens.push(("SK_TOKEN".into(), CZ_TOKEN.into()));
    for (env, message) in [
        (
            without_token,
            "shop `default` has no bot token: set `bot_token_env` (or `bot_token`) in the shops file, or UPGATES_BOT_TOKEN",
        ),
        (
            short_token,
            "shop `default`: `bot_token` must be at least 16 printable characters without spaces",
        ),
        (
            same_tokens,
            "shop `sk` has another shop's bot token: a token must open one shop only",
        ),
    ] {
        let output = crate::upgates_command()
            .args(["serve", "--listen", "127.0.0.1:0", "--no-cache"])
            .envs(env)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(message), "{stderr}");
        assert!(
            !stderr.contains(SAMPLE_KEY) && !stderr.contains(CZ_TOKEN),
            "{stderr}"
        );
    }
}

/// The README's try-it-now: `serve --demo` and one curl answer "Ano".
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_answers_the_readmes_curl() {
    let token = "readme-demo-token-0123456789";
    let env = [("UPGATES_BOT_TOKEN".to_owned(), token.to_owned())];
    let server = servers::upgates_serve(crate::UPGATES, &env, &["--demo"]);
    let answer = servers::send(
        &server.base,
        call("/v1/verify-order", token, r#"{"order":"2025000123"}"#),
    )
    .await;
    assert_eq!(json_of(&answer)["ok"], json!(true), "{answer:?}");
    // Its invoice links open here.
    let documents = servers::send(
        &server.base,
        call(
            "/v1/order-documents",
            token,
            r#"{"order":"2025000124","email":"jana.novakova@example.cz"}"#,
        ),
    )
    .await;
    let link = json_of(&documents)["vars"]["invoiceurl"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = link
        .strip_prefix(&server.base)
        .expect("a link to this server");
    let pdf = servers::send(
        &server.base,
        http::Request::get(path)
            .body(Full::new(Bytes::new()))
            .unwrap(),
    )
    .await;
    assert_eq!(pdf.status, 200);
    assert!(pdf.body.starts_with(b"%PDF-"));
}

/// Every shop's signed links have the Spin app's form, `<base>/v1/invoice/<token>`: the link
/// a named shop hands out opens that shop's invoice (its signature tells the shop), and one
/// signed for no shop served here is refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_named_shops_signed_link_opens_its_own_invoice() {
    let (cz, sk) = (
        FakeShop::sample(SystemTime::now()),
        FakeShop::sample(SystemTime::now()),
    );
    let (cz_upgates, sk_upgates) = (cz.serve().await.unwrap(), sk.serve().await.unwrap());
    let (_dir, mut env) = two_shops(&cz_upgates.api_url(), &sk_upgates.api_url());
    // The default shop's links from the variables, the other's from its own.
    for (name, value) in [
        ("UPGATES_INVOICE_LINKS", "signed"),
        (
            "UPGATES_INVOICE_LINK_SECRET",
            "cz-links-secret-0123456789abcdef012",
        ),
        ("UPGATES_INVOICE_LINK_BASE_URL", "http://127.0.0.1:9"),
    ] {
        env.push((name.to_owned(), value.to_owned()));
    }
    let file = env[0].1.clone();
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(
        "invoice_links = \"signed\"\ninvoice_link_secret_env = \"SK_LINKS\"\n\
         invoice_link_base_url = \"http://127.0.0.1:9\"\n",
    );
    std::fs::write(&file, text).unwrap();
    env.push((
        "SK_LINKS".into(),
        "sk-links-secret-0123456789abcdef012".into(),
    ));
    let server = servers::upgates_serve(crate::UPGATES, &env, &[]);
    let verified = r#"{"order":"2025000124","email":"jana.novakova@example.cz"}"#;
    for (route, token, shop, other) in [
        ("/v1/shops/sk/order-documents", SK_TOKEN, &sk, &cz),
        ("/v1/order-documents", CZ_TOKEN, &cz, &sk),
    ] {
        let answer = servers::send(&server.base, call(route, token, verified)).await;
        let link = json_of(&answer)["vars"]["invoiceurl"]
            .as_str()
            .unwrap_or_else(|| panic!("{route}: {answer:?}"))
            .to_owned();
        let path = link
            .strip_prefix("http://127.0.0.1:9")
            .expect("the shop's base URL");
        assert!(path.starts_with("/v1/invoice/"), "{path}");
        shop.clear_requests();
        other.clear_requests();
        let pdf = servers::send(
            &server.base,
            http::Request::get(path)
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await;
        assert_eq!(pdf.status, 200, "{route}: {pdf:?}");
        assert!(pdf.body.starts_with(b"%PDF-"));
        assert_eq!(
            crate::support::sent(shop),
            vec![Sent::get("/api/v2/invoices/FV2025001/pdf")],
            "{route}: the shop that signed it"
        );
        assert!(other.requests().is_empty(), "{route}");
    }
    cz.clear_requests();
    sk.clear_requests();
    let foreign = upgates_core::invoice_link::sign(
        "nobodys-links-secret-0123456789abcdef",
        &sk_upgates.api_url(),
        "2025000124",
        "FV2025001",
        SystemTime::now() + Duration::from_secs(600),
    );
    let refused = servers::send(
        &server.base,
        http::Request::get(format!("/v1/invoice/{foreign}"))
            .body(Full::new(Bytes::new()))
            .unwrap(),
    )
    .await;
    assert_eq!(refused.status, 403);
    assert!(cz.requests().is_empty() && sk.requests().is_empty());
}

/// A caller that hangs up (a bot platform's shorter timeout) does not stop the call halfway:
/// the e-mail check it held is withdrawn when Upgates answers, so the right e-mail still
/// passes with a limit of one failed check; the gauge of calls in flight goes back to 0.
#[tokio::test(flavor = "multi_thread")]
async fn a_call_whose_caller_hangs_up_still_finishes() {
    let fake = FakeShop::sample(SystemTime::now());
    fake.set_latency(Duration::from_millis(600));
    let upgates = fake.serve().await.unwrap();
    let mut env = shop_env(&upgates.api_url());
    env.push(("UPGATES_VERIFY_ATTEMPTS".into(), "1".into()));
    let server = servers::upgates_serve(crate::UPGATES, &env, &[]);
    let right = r#"{"order":"2025000124","email":"jana.novakova@example.cz"}"#;
    let base = server.base.clone();
    let hung_up = tokio::spawn(async move {
        servers::send(&base, call("/v1/verify-customer", CZ_TOKEN, right)).await
    });
    while fake.peak_in_flight() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    hung_up.abort();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(fake.requests().len(), 1, "the call went on to Upgates");
    let answer = servers::send(&server.base, call("/v1/verify-customer", CZ_TOKEN, right)).await;
    assert_eq!(json_of(&answer)["ok"], json!(true), "{answer:?}");
    let metrics = servers::send(
        &server.base,
        http::Request::get("/metrics")
            .body(Full::new(Bytes::new()))
            .unwrap(),
    )
    .await;
    let text = String::from_utf8_lossy(&metrics.body);
    assert!(text.contains("upgates_calls_in_flight 0"), "{text}");
}

/// With `--drain`, after SIGTERM the server keeps answering for a while, `/v1/ready` with 503
/// so a load balancer stops sending, then stops and exits 0.
#[tokio::test(flavor = "multi_thread")]
async fn ready_turns_503_while_draining() {
    let fake = FakeShop::sample(SystemTime::now());
    let upgates = fake.serve().await.unwrap();
    let server = servers::upgates_serve(
        crate::UPGATES,
        &shop_env(&upgates.api_url()),
        &["--drain", "2"],
    );
    let ready = || {
        http::Request::get("/v1/ready")
            .body(Full::new(Bytes::new()))
            .unwrap()
    };
    assert_eq!(servers::send(&server.base, ready()).await.status, 200);
    terminate(&server);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let draining = servers::send(&server.base, ready()).await;
    assert_eq!(draining.status, 503);
    assert_eq!(
        json_of(&draining),
        json!({"ok": false, "reason": "not-ready", "message": "not ready: shutting down"})
    );
    // Calls are still answered meanwhile.
    let answer = servers::send(
        &server.base,
        call("/v1/verify-order", CZ_TOKEN, r#"{"order":"2025000123"}"#),
    )
    .await;
    assert_eq!(json_of(&answer)["ok"], json!(true));
    let code = tokio::task::spawn_blocking(move || server.wait(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(code, Some(0));
}

/// What a caller puts in a path is not logged (a template may put an e-mail there), and a
/// path naming a shop tells whether it exists only to a caller with a token.
#[tokio::test(flavor = "multi_thread")]
async fn paths_are_not_logged_and_shops_not_listed() {
    let fake = FakeShop::sample(SystemTime::now());
    let upgates = fake.serve().await.unwrap();
    let server = servers::upgates_serve(crate::UPGATES, &shop_env(&upgates.api_url()), &[]);
    let stray = servers::send(
        &server.base,
        call("/v1/order-detail/jana.novakova@example.cz", CZ_TOKEN, "{}"),
    )
    .await;
    assert_eq!(stray.status, 404);
    let unknown = r#"{"order":"2025000123"}"#;
    let guess = servers::send(
        &server.base,
        call(
            "/v1/shops/guess/verify-order",
            "not-a-token-0123456789",
            unknown,
        ),
    )
    .await;
    assert_eq!(guess.status, 401, "no token: not told the shop is missing");
    let known = servers::send(
        &server.base,
        call("/v1/shops/guess/verify-order", CZ_TOKEN, unknown),
    )
    .await;
    assert_eq!(known.status, 404);
    // Each of the three requests' lines.
    let log = server.log_with("answered", 3);
    assert!(log.contains("route=\"no route\""), "{log}");
    assert!(!log.contains("jana") && !log.contains("guess"), "{log}");
}

/// `upgates serve` counts each link's downloads in its memory: per link, kept while the link
/// works, the expired ones dropped once many are counted, and past
/// [`MAX_COUNTED_LINKS`](upgates_cli::serve::MAX_COUNTED_LINKS) live links a new one is
/// refused (`503`) rather than an old count forgotten.
#[test]
fn link_downloads_are_counted_per_link_while_it_works() {
    use upgates_cli::serve::{Downloads, MAX_COUNTED_LINKS};
    use upgates_webhook::Rejection;
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let minute = Duration::from_secs(60);
    let downloads = Downloads::default();
    assert_eq!(downloads.count("a", now + minute, now), Ok(1));
    assert_eq!(downloads.count("a", now + minute, now), Ok(2));
    assert_eq!(downloads.count("b", now + minute, now), Ok(1));
    // Full of live links (with `a` and `b`): a new one is refused, a counted one still counts.
    for i in 2..MAX_COUNTED_LINKS {
        downloads
            .count(&format!("live-{i}"), now + minute, now)
            .unwrap();
    }
    assert_eq!(
        downloads.count("new", now + minute, now),
        Err(Rejection::NotReady(
            "too many invoice links in use: retry later".into()
        ))
    );
    assert_eq!(downloads.count("a", now + minute, now), Ok(3));
    // A download that got no PDF is given back; a count never goes below 0.
    downloads.give_back("a");
    assert_eq!(downloads.count("a", now + minute, now), Ok(3));
    downloads.give_back("b");
    downloads.give_back("b");
    assert_eq!(downloads.count("b", now + minute, now), Ok(1));
    // Once they expire they make room, and a link counted afresh starts at 1.
    let later = now + 2 * minute;
    assert_eq!(downloads.count("new", later + minute, later), Ok(1));
    assert_eq!(downloads.count("a", later + minute, later), Ok(1));
}

/// With [`MAX_COUNTED_LINKS`](upgates_cli::serve::MAX_COUNTED_LINKS) live links counted, new
/// links are refused (`503`, no count forgotten) and the counted ones still count.
#[test]
fn a_full_download_count_refuses_new_links_and_keeps_the_counted() {
    use upgates_cli::serve::{Downloads, MAX_COUNTED_LINKS};
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let minute = Duration::from_secs(60);
    let downloads = Downloads::default();
    for i in 0..MAX_COUNTED_LINKS {
        downloads
            .count(&format!("live-{i}"), now + minute, now)
            .unwrap();
    }
    // What a new link costs is not timed here (no timed tests): the expiry queue makes it
    // constant; the earlier scan of every counted link took ~5 ms each at this size.
    for i in 0..10_000 {
        assert!(
            downloads
                .count(&format!("new-{i}"), now + minute, now)
                .is_err()
        );
    }
    // And the counted ones still count.
    assert_eq!(downloads.count("live-7", now + minute, now), Ok(2));
}

/// The shops file's `invoice_link_downloads`: a named shop's link opens once, the second
/// download is `410` and Upgates is asked once. The route of a named shop counts as the
/// default route does.
#[tokio::test(flavor = "multi_thread")]
async fn a_shops_files_link_downloads_limit_its_links() {
    const SECRET: &str = "shops-file-link-secret-0123456789abcdef";
    let fake = FakeShop::sample(SystemTime::now());
    let upgates = fake.serve().await.unwrap();
    let api_url = upgates.api_url();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shops.toml");
    std::fs::write(
        &file,
        format!(
            "[shops.cz]\napi_url = \"{api_url}\"\napi_login = \"{SAMPLE_LOGIN}\"\n\
             api_key = \"{SAMPLE_KEY}\"\nbot_token_env = \"CZ_TOKEN\"\n\
             invoice_links = \"signed\"\ninvoice_link_secret = \"{SECRET}\"\n\
             invoice_link_base_url = \"https://bot.example.cz\"\ninvoice_link_downloads = 1\n"
        ),
    )
    .unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let env = vec![
        ("UPGATES_CONFIG".to_owned(), file.display().to_string()),
        ("CZ_TOKEN".to_owned(), CZ_TOKEN.to_owned()),
    ];
    let server = servers::upgates_serve(crate::UPGATES, &env, &[]);
    let expires = SystemTime::now() + Duration::from_secs(600);
    let token =
        upgates_core::invoice_link::sign(SECRET, &api_url, "2025000124", "FV2025001", expires);
    let download = || {
        http::Request::builder()
            .uri(format!("/v1/shops/cz/invoice/{token}"))
            .body(Full::new(Bytes::new()))
            .unwrap()
    };
    let first = servers::send(&server.base, download()).await;
    assert_eq!(first.status.as_u16(), 200, "{first:?}");
    assert_eq!(first.headers["referrer-policy"], "no-referrer");
    let second = servers::send(&server.base, download()).await;
    assert_eq!(second.status.as_u16(), 410, "{second:?}");
    assert_eq!(json_of(&second)["reason"], json!("link-used-up"));
    assert_eq!(
        crate::support::sent(&fake),
        vec![Sent::get("/api/v2/invoices/FV2025001/pdf")]
    );
}
