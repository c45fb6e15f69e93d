//! Faults, the sandbox, concurrency: each checked, and together they generate
//! `docs/reliability.md` (the test fails when the committed report differs; run with
//! `UPDATE_DOCS=1` to rewrite it).

use crate::support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{ANY, Sent, config, in_process, input, matches, runtime, sample_shop};
use upgates_core::{ActionInput, ActionName, Failure, Shop, render};
use upgates_fake_shop::{
    FakeShop, Fault, MAX_CONCURRENT_REQUESTS, MissingOrder, SAMPLE_KEY, SAMPLE_LOGIN,
};
use upgates_host::{PluginRuntime, ShopConnection};

fn order(n: &str) -> ActionInput {
    input(json!({"order": n}))
}

fn ne(reason: &str, message: &str) -> Value {
    json!({"ok": false, "reason": reason, "message": message})
}

/// The report, built row by row as the checks run.
#[derive(Default)]
struct Report {
    faults: Vec<String>,
    sandbox: Vec<String>,
    concurrency: Vec<String>,
}

fn cell(value: &Value) -> String {
    let text = match value.get("ok") {
        Some(Value::Bool(true)) => format!("Ano {}", upgates_core::json_text(&value["vars"])),
        _ => format!(
            "Ne `{}`: {}",
            value["reason"].as_str().unwrap_or("?"),
            value["message"].as_str().unwrap_or("")
        ),
    };
    text.replace('|', "\\|")
}

// --- upstream faults, through the component and the fake shop in-process -----------------

struct FaultCase {
    fault: &'static str,
    setup: fn(&FakeShop),
    action: ActionName,
    input: Value,
    answer: Value,
    requests: usize,
}

fn fault_cases() -> Vec<FaultCase> {
    use ActionName::*;
    let verify = json!({"order": "2025000123"});
    let status = json!({"order": "2025000123", "status": "Odeslaná", "notify": true});
    let f = |fault, setup: fn(&FakeShop), action, input: &Value, answer, requests| FaultCase {
        fault,
        setup,
        action,
        input: input.clone(),
        answer,
        requests,
    };
    vec![
        f(
            "401",
            |s| s.push_fault(Fault::json(401, json!({"message": "Unauthorized"}))),
            VerifyOrder,
            &verify,
            ne(
                "unauthorized",
                "Upgates refused the API login or key (HTTP 401)",
            ),
            1,
        ),
        f(
            "403 (never retried)",
            |s| s.push_fault(Fault::status(403)),
            VerifyOrder,
            &verify,
            ne(
                "forbidden",
                "Upgates refused access (HTTP 403): the API user lacks the right or is locked",
            ),
            1,
        ),
        f(
            "404",
            |_| {},
            VerifyOrder,
            &json!({"order": "404404"}),
            ne("not-found", "no such order"),
            1,
        ),
        f(
            "200 with `orders: []`",
            |s| s.set_missing_order_style(MissingOrder::EmptyList),
            VerifyOrder,
            &json!({"order": "404404"}),
            ne("not-found", "no such order"),
            1,
        ),
        f(
            "429, Retry-After an hour away (HTTP date)",
            |s| {
                s.push_fault(
                    Fault::status(429).header("Retry-After", "Sat, 28 Nov 2026 17:40:00 GMT"),
                )
            },
            VerifyOrder,
            &verify,
            ne(
                "rate-limited",
                "Upgates' request limit was hit (HTTP 429); retry after Sat, 28 Nov 2026 17:40:00 GMT",
            ),
            1,
        ),
        f(
            "429, Retry-After in 1 s (HTTP date): waited, retried once",
            |s| {
                s.push_fault(
                    Fault::status(429).header("Retry-After", "Sat, 28 Nov 2026 16:40:01 GMT"),
                )
            },
            VerifyOrder,
            &verify,
            json!({"ok": true, "vars": ANY}),
            2,
        ),
        f(
            "429, Retry-After: 1 (seconds): waited, retried once",
            |s| s.push_fault(Fault::status(429).header("Retry-After", "1")),
            VerifyOrder,
            &verify,
            json!({"ok": true, "vars": ANY}),
            2,
        ),
        f(
            "429 twice, Retry-After: 1",
            |s| {
                s.push_fault(Fault::status(429).header("Retry-After", "1"));
                s.push_fault(Fault::status(429).header("Retry-After", "1"));
            },
            VerifyOrder,
            &verify,
            ne(
                "rate-limited",
                "Upgates' request limit was hit (HTTP 429); retry after 1",
            ),
            2,
        ),
        f(
            "429 on a PUT (writes are never resent)",
            |s| s.push_fault(Fault::status(429).header("Retry-After", "1")),
            SetOrderStatus,
            &status,
            ne(
                "rate-limited",
                "Upgates' request limit was hit (HTTP 429); retry after 1",
            ),
            1,
        ),
        f(
            "500 on a PUT (never resent)",
            |s| s.push_fault(Fault::status(500)),
            SetOrderStatus,
            &status,
            ne(
                "upstream",
                "unexpected answer from Upgates: Upgates answered HTTP 500",
            ),
            1,
        ),
        f(
            "500",
            |s| s.push_fault(Fault::status(500)),
            VerifyOrder,
            &verify,
            ne(
                "upstream",
                "unexpected answer from Upgates: Upgates answered HTTP 500",
            ),
            1,
        ),
        f(
            "502",
            |s| s.push_fault(Fault::status(502)),
            VerifyOrder,
            &verify,
            ne(
                "upstream",
                "unexpected answer from Upgates: Upgates answered HTTP 502",
            ),
            1,
        ),
        f(
            "503",
            |s| s.push_fault(Fault::status(503)),
            VerifyOrder,
            &verify,
            ne(
                "upstream",
                "unexpected answer from Upgates: Upgates answered HTTP 503",
            ),
            1,
        ),
        f(
            "301 with `Location` (not followed)",
            |s| {
                s.push_fault(Fault::status(301).header(
                    "Location",
                    "https://demo.admin.s9.upgates.com/api/v2/orders/2025000123",
                ))
            },
            VerifyOrder,
            &verify,
            ne(
                "misconfigured",
                "shop configuration: the shop's API moved to https://demo.admin.s9.upgates.com/api/v2; update `api-url`",
            ),
            1,
        ),
        f(
            "301 with `{\"api_url\": ...}` (not followed)",
            |s| {
                s.push_fault(Fault::json(
                    301,
                    json!({"api_url": "https://demo.admin.s9.upgates.com/api/v2"}),
                ))
            },
            VerifyOrder,
            &verify,
            ne(
                "misconfigured",
                "shop configuration: the shop's API moved to https://demo.admin.s9.upgates.com/api/v2; update `api-url`",
            ),
            1,
        ),
        f(
            "body cut mid-JSON",
            |s| s.push_fault(Fault::raw(200, br#"{"orders":[{"order_number":"2025"#)),
            VerifyOrder,
            &verify,
            ne(
                "upstream",
                "unexpected answer from Upgates: the response is cut short (line 1, column 32)",
            ),
            1,
        ),
        f(
            "invalid JSON",
            |s| s.push_fault(Fault::raw(200, b"{orders: [}")),
            VerifyOrder,
            &verify,
            ne(
                "upstream",
                "unexpected answer from Upgates: the response is not valid JSON (line 1, column 2)",
            ),
            1,
        ),
        f(
            "HTML instead of JSON",
            |s| s.push_fault(Fault::raw(200, b"<!DOCTYPE html><h1>502</h1>")),
            VerifyOrder,
            &verify,
            ne(
                "upstream",
                "unexpected answer from Upgates: the response is not valid JSON (line 1, column 1)",
            ),
            1,
        ),
        f(
            "body larger than the 8 MiB cap",
            |s| s.push_fault(Fault::raw(200, &vec![b' '; 9 << 20])),
            VerifyOrder,
            &verify,
            ne(
                "upstream",
                "unexpected answer from Upgates: the response is too large",
            ),
            1,
        ),
        f(
            "`null` in every nullable field",
            |_| {},
            VerifyOrder,
            &json!({"order": "2025000125"}),
            json!({"ok": true, "vars": {"status": null, "billing": null, "shipping": null, "paid": false, "topay": 0.0,
                   "topaytext": "0,00\u{a0}Kč", "currency": "CZK", "tracking": null, "trackingurl": null}}),
            1,
        ),
        f(
            "200, an unknown field nested 100,000 deep",
            |s| s.push_fault(nested_order("deep", 100_000)),
            VerifyOrder,
            &verify,
            json!({"ok": true, "vars": ANY}),
            1,
        ),
        f(
            "200, `customer` nested 100,000 deep",
            |s| s.push_fault(nested_order("customer", 100_000)),
            VerifyOrder,
            &verify,
            json!({"ok": true, "vars": ANY}),
            1,
        ),
        f(
            "2024 shape with a PHP date object",
            |_| {},
            VerifyOrder,
            &json!({"order": "2024000077"}),
            json!({"ok": true, "vars": ANY}),
            1,
        ),
    ]
}

/// An order whose `field` holds `depth` nested lists of objects. The component must skip or
/// read it without recursing once per level: the stack of a wasm instance is small.
fn nested_order(field: &str, depth: usize) -> Fault {
    let body = format!(
        r#"{{"orders":[{{"order_number":"2025000123","status":"Přijatá","{field}":{}1{}}}]}}"#,
        r#"[{"a":"#.repeat(depth),
        "}]".repeat(depth)
    );
    Fault::raw(200, body.as_bytes()).header("content-type", "application/json")
}

async fn check_faults(report: &mut Report) {
    for case in fault_cases() {
        let fake = sample_shop();
        (case.setup)(&fake);
        let result = runtime()
            .call(&in_process(&fake), case.action, &input(case.input.clone()))
            .await
            .unwrap();
        let answer = render(&result);
        let wanted = if case.answer["vars"] == json!(ANY) {
            json!({"ok": true, "vars": answer["vars"].clone()})
        } else {
            case.answer.clone()
        };
        assert!(
            matches(&wanted, &answer),
            "{}: got {answer}, want {}",
            case.fault,
            case.answer
        );
        assert_eq!(
            fake.requests().len(),
            case.requests,
            "{}: requests",
            case.fault
        );
        // What was sent, not only how much: `verify-order` sends one GET, and a retry (after
        // a short 429) is that same GET again; a write is never sent twice.
        let sent = support::sent(&fake);
        if case.action == ActionName::VerifyOrder {
            let order = case.input["order"].as_str().unwrap_or_default();
            let wanted = Sent::get(&format!("/api/v2/orders/{order}"));
            assert!(
                sent.iter().all(|s| *s == wanted),
                "{}: {sent:?}",
                case.fault
            );
        } else {
            assert!(
                sent.iter().filter(|s| s.method != "GET").count() <= 1,
                "{}: {sent:?}",
                case.fault
            );
        }
        next_call_works(&fake).await;
        report.faults.push(format!(
            "| {} | {} | {} | {} |",
            case.fault,
            case.action,
            cell(&answer),
            case.requests
        ));
    }
    for (fault, answer, requests) in loopback_faults().await {
        report.faults.push(format!(
            "| {fault} | verify-order | {} | {requests} |",
            cell(&answer)
        ));
    }
}

/// The same runtime answers the next call normally after any fault.
async fn next_call_works(fake: &FakeShop) {
    let next = runtime()
        .call(
            &in_process(fake),
            ActionName::VerifyOrder,
            &order("2025000123"),
        )
        .await
        .unwrap();
    assert!(next.is_ok(), "the call after a fault failed: {next:?}");
}

/// A loopback server that answers each connection with `reply` (after reading the request).
fn raw_server(reply: &'static [u8], hold: Duration) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api/v2", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { continue };
            seen.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(reply);
            std::thread::sleep(hold);
        }
    });
    (url, connections)
}

async fn loopback_faults() -> Vec<(&'static str, Value, usize)> {
    let mut rows = Vec::new();
    let call = |url: String, first_byte: Duration| async move {
        let mut shop = ShopConnection::new(config(&url)).unwrap();
        shop.policy = shop.policy.isolated();
        shop.policy.first_byte_timeout = first_byte;
        let started = Instant::now();
        let result = runtime()
            .call(&shop, ActionName::VerifyOrder, &order("2025000123"))
            .await
            .unwrap();
        (render(&result), started.elapsed())
    };

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (answer, _) = call(
        format!("http://127.0.0.1:{port}/api/v2"),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        answer,
        ne(
            "upstream",
            "unexpected answer from Upgates: request failed: connection refused"
        )
    );
    rows.push(("connection refused (loopback)", answer, 0));

    let (url, connections) = raw_server(b"", Duration::from_secs(3));
    let (answer, took) = call(url, Duration::from_millis(300)).await;
    assert_eq!(answer, ne("timeout", "Upgates did not answer in time"));
    assert!(
        took < Duration::from_secs(3),
        "the stall was not cut: {took:?}"
    );
    rows.push((
        "no first byte within the timeout (loopback, 300 ms)",
        answer,
        connections.load(Ordering::SeqCst),
    ));

    let (url, connections) = raw_server(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"orders\":[{\"order_n",
        Duration::ZERO,
    );
    let (answer, _) = call(url, Duration::from_secs(2)).await;
    assert_eq!(answer["reason"], json!("upstream"), "{answer}");
    rows.push((
        "connection closed mid-body (loopback)",
        answer,
        connections.load(Ordering::SeqCst),
    ));
    rows
}

/// A stand-in that never answers: the whole-call deadline ends the call.
async fn stalled_call_is_cut(report: &mut Report) {
    let fake = sample_shop();
    let mut shop = in_process(&fake);
    shop.policy = shop.policy.with_in_process_async(Arc::new(|_| {
        Box::pin(async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            http::Response::new(bytes::Bytes::new())
        })
    }));
    shop.policy.call_timeout = Duration::from_millis(500);
    let started = Instant::now();
    let result = runtime()
        .call(&shop, ActionName::VerifyOrder, &order("2025000123"))
        .await
        .unwrap();
    assert_eq!(result, Err(Failure::Timeout));
    assert!(started.elapsed() < Duration::from_secs(5));
    report.faults.push(format!(
        "| a response that never comes (whole-call deadline 500 ms) | verify-order | {} | 1 |",
        cell(&render(&result))
    ));
}

// --- the sandbox, with a deliberately hostile component ----------------------------------

/// `tests/guests/misbehave`, as the support crate's build script built it.
fn hostile() -> &'static PluginRuntime {
    static RUNTIME: OnceLock<PluginRuntime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let wasm = std::fs::read(upgates_tests::MISBEHAVE_WASM_PATH).unwrap();
        PluginRuntime::new(&wasm).unwrap()
    })
}

async fn check_sandbox(report: &mut Report) {
    let fake = sample_shop();
    let mut shop = in_process(&fake);
    shop.policy.call_timeout = Duration::from_secs(1);
    let rt = hostile();
    let mut row =
        |what: &str, outcome: String| report.sandbox.push(format!("| {what} | {outcome} |"));

    let started = Instant::now();
    let spin = rt.call(&shop, ActionName::VerifyOrder, &order("1")).await;
    let took = started.elapsed();
    assert!(
        spin.is_err() && took < Duration::from_secs(5),
        "an endless loop was not stopped: {spin:?} after {took:?}"
    );
    row(
        "an endless loop",
        "stopped by the epoch deadline (1 s): a `CallError`, the host carries on".into(),
    );

    let hoard = rt
        .call(
            &shop,
            ActionName::OrderDetail,
            &input(json!({"order": "1", "email": "a@b.cz"})),
        )
        .await;
    assert!(
        hoard.is_err(),
        "unbounded allocation was not stopped: {hoard:?}"
    );
    row(
        "allocation without end",
        "stopped at the 64 MiB memory limit: a `CallError`".into(),
    );

    let evil = rt
        .call(&shop, ActionName::CustomerEmail, &order("1"))
        .await
        .unwrap();
    assert!(
        matches!(&evil, Err(Failure::Upstream(m)) if m.starts_with("denied")),
        "{evil:?}"
    );
    assert!(fake.requests().is_empty());
    row(
        "a request to another host (`https://evil.example/steal`)",
        "refused by the HTTP policy (`HttpRequestDenied`); nothing sent".into(),
    );

    let snoop = rt
        .call(
            &shop,
            ActionName::SetOrderStatus,
            &input(json!({"order": "1", "status": "x"})),
        )
        .await
        .unwrap();
    assert_eq!(
        snoop,
        Err(Failure::Upstream("env=0 args=0 files=false".into()))
    );
    row(
        "environment variables, arguments, files",
        "none visible (`env=0 args=0 files=false`)".into(),
    );

    let keys = rt
        .call(
            &shop,
            ActionName::OrdersByPhone,
            &input(json!({"phone": "1", "days": 1})),
        )
        .await
        .unwrap();
    let Err(Failure::Upstream(keys)) = keys else {
        panic!("{keys:?}")
    };
    let mut keys: Vec<&str> = keys.split(',').collect();
    keys.sort_unstable();
    // The shop's URL and credentials; its guardrails are all at their defaults, which the
    // host leaves out (the component applies the same ones).
    assert_eq!(keys, ["api-key", "api-login", "api-url"]);
    row(
        "`wasi:config` keys",
        "only the shop's own settings: URL, credentials, guardrails not at their defaults".into(),
    );

    let panicked = rt
        .call(
            &shop,
            ActionName::AppendNote,
            &input(json!({"order": "1", "text": "x"})),
        )
        .await;
    assert!(panicked.is_err());
    row(
        "a guest panic",
        "a trap, reported as a `CallError`; the host carries on".into(),
    );

    // After all of that, the real component still answers on the same host process.
    next_call_works(&fake).await;
}

// --- concurrency -----------------------------------------------------------------------

async fn check_concurrency(report: &mut Report) {
    // The fake as Upgates is over the network: each request in flight for 20 ms (long enough
    // for three calls to meet there on a slow machine), a 4th at once refused with 429.
    let fake = sample_shop();
    fake.set_latency(Duration::from_millis(20));
    let mut shop = in_process(&fake);
    let served = fake.clone();
    shop.policy = shop.policy.with_in_process_async(Arc::new(move |req| {
        let fake = served.clone();
        Box::pin(async move { fake.serve_request(req).await })
    }));
    let calls: Vec<_> = (0..100)
        .map(|i| {
            let shop = shop.clone();
            tokio::spawn(async move {
                runtime()
                    .call(
                        &shop,
                        ActionName::VerifyOrder,
                        &order(&format!("90000{i:02}")),
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), Err(Failure::NotFound));
    }
    // Exactly 3: never a 4th (the fake would have refused it), and the limiter not stricter.
    assert_eq!(fake.peak_in_flight(), MAX_CONCURRENT_REQUESTS);
    assert_eq!(fake.requests().len(), 100);
    report.concurrency.push("| 100 concurrent `verify-order` calls; the fake takes 20 ms a request and, as Upgates, answers 429 to a 4th at once | 3 in flight at most and at once, 0 rate-limited answers, 100 requests |".into());

    // Identical concurrent reads share one request.
    let fake = sample_shop();
    let shop = in_process(&fake);
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let shop = shop.clone();
            tokio::spawn(async move {
                runtime()
                    .call(&shop, ActionName::VerifyOrder, &order("2025000123"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    for call in calls {
        assert!(call.await.unwrap().is_ok());
    }
    assert_eq!(fake.requests().len(), 1);
    report.concurrency.push("| 20 concurrent identical `verify-order` calls | 1 upstream request (single flight + cache) |".into());

    // 50 appends to one order in one host: serialised per order, nothing lost.
    let fake = sample_shop();
    let shop = in_process(&fake);
    let calls: Vec<_> = (0..50)
        .map(|i| {
            let shop = shop.clone();
            tokio::spawn(async move {
                runtime()
                    .call(
                        &shop,
                        ActionName::AppendNote,
                        &input(json!({"order": "2025000124", "text": format!("line {i}")})),
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), Ok(upgates_core::Answer::Done));
    }
    let note = fake.order("2025000124").unwrap()["internal_note"]
        .as_str()
        .unwrap()
        .to_owned();
    let lost = (0..50)
        .filter(|i| !note.lines().any(|l| l == format!("line {i}")))
        .count();
    assert_eq!(lost, 0, "{note}");
    // Each: the fresh read, the PUT, the history record (`audit-trail`).
    assert_eq!(fake.requests().len(), 150);
    report.concurrency.push("| 50 concurrent `append-note` calls on one order, one host | 50 of 50 lines kept (per-order lock), 150 requests (GET, PUT, history POST each) |".into());

    // Several hosts (no shared lock): another host's stale write overwrites our line; the
    // re-read after the PUT notices and appends it again.
    let (fake, requests) = lost_update_is_repaired(false);
    let note = fake.order("2025000124").unwrap()["internal_note"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        note.lines().any(|l| l == "our line") && note.lines().any(|l| l == "other host"),
        "{note}"
    );
    // The same when the note already held that line: the read-back counts it.
    let (again, _) = lost_update_is_repaired(true);
    let note = again.order("2025000124").unwrap()["internal_note"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        note.lines().collect::<Vec<_>>(),
        ["our line", "other host", "our line"],
        "{note}"
    );
    assert_eq!(
        requests,
        [
            "GET",
            "PUT",
            "PUT (other host)",
            "GET",
            "GET",
            "PUT",
            "GET",
            "POST"
        ]
    );
    report.concurrency.push("| `append-note` with `verify-appends` whose line another host overwrites right after the PUT | both lines kept: GET, PUT, (other host's PUT), GET finds the line missing, back-off, GET, PUT again, GET confirms, then the one history record |".into());

    // The same under real contention. How many lines are lost is measured and printed, not
    // asserted (the API has no compare-and-swap, so no figure is guaranteed); what is
    // asserted holds whatever the timing: every answer is "Ano" or, after the last of its
    // 5 writes, `upstream`, and all writers together spend no more than 16 requests each.
    let (lost_plain, _) = appends_across_hosts(false, 20);
    let (lost_verified, requests) = appends_across_hosts(true, 20);
    eprintln!(
        "appends from 20 hosts at once: {lost_plain}/20 lost without verify-appends, {lost_verified}/20 with ({requests} requests)"
    );
    assert!(requests <= 20 * 16, "{requests} requests");
}

/// An upstream where, right after our first PUT, another host writes the note it computed
/// from a read taken before our PUT (the lost update the API cannot prevent).
struct RacingUpstream {
    fake: FakeShop,
    stale_note: String,
    log: std::sync::Mutex<Vec<&'static str>>,
}

impl upgates_core::Upstream for RacingUpstream {
    async fn send(
        &self,
        request: upgates_core::ApiRequest,
    ) -> Result<upgates_core::ApiResponse, upgates_core::TransportError> {
        let is_put = request.method == upgates_core::Method::Put;
        let first_put = is_put && !self.log.lock().unwrap().contains(&"PUT");
        self.log.lock().unwrap().push(request.method.as_str());
        let response = support::FakeUpstream(self.fake.clone()).send(request).await;
        if first_put {
            let body = json!({"send_emails_yn": false, "send_sms_yn": false,
                              "orders": [{"order_number": "2025000124", "internal_note": format!("{}\nother host", self.stale_note)}]});
            let put = http::Request::put(format!("{}/orders", support::API_URL))
                .header("authorization", support::basic_auth())
                .body(bytes::Bytes::from(body.to_string()))
                .unwrap();
            assert_eq!(self.fake.handle(put).status(), 200);
            self.log.lock().unwrap().push("PUT (other host)");
        }
        response
    }
}

fn lost_update_is_repaired(already_there: bool) -> (FakeShop, Vec<&'static str>) {
    let fake = sample_shop();
    if already_there {
        // The note already holds the very line: finding it after our PUT proves nothing.
        let body = json!({"orders": [{"order_number": "2025000124", "internal_note": "our line"}]});
        let put = http::Request::put(format!("{}/orders", support::API_URL))
            .header("authorization", support::basic_auth())
            .body(bytes::Bytes::from(body.to_string()))
            .unwrap();
        assert_eq!(fake.handle(put).status(), 200);
        fake.clear_requests();
    }
    let stale_note = fake.order("2025000124").unwrap()["internal_note"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut config = config(support::API_URL);
    config.verify_appends = true;
    let upstream = RacingUpstream {
        fake: fake.clone(),
        stale_note,
        log: Default::default(),
    };
    let shop = Shop::new(config, upstream);
    support::block_on(shop.append_note("2025000124", "our line")).unwrap();
    let log = shop.into_upstream().log.into_inner().unwrap();
    (fake, log)
}

/// `writers` threads, each its own `Shop` (as separate hosts would be), append to one order.
fn appends_across_hosts(verify: bool, writers: usize) -> (usize, usize) {
    let fake = sample_shop();
    let threads: Vec<_> = (0..writers)
        .map(|i| {
            let fake = fake.clone();
            std::thread::spawn(move || {
                let mut config = config(support::API_URL);
                config.verify_appends = verify;
                let shop = Shop::new(config, support::FakeUpstream(fake));
                let text = format!("host {i}");
                let result = support::block_on(shop.append_note("2025000124", &text));
                (text, result)
            })
        })
        .collect();
    let answers: Vec<(String, Result<(), Failure>)> =
        threads.into_iter().map(|t| t.join().unwrap()).collect();
    for (text, result) in &answers {
        match result {
            Ok(()) => {}
            // Only the verified appends give up, and only as `upstream`.
            Err(Failure::Upstream(_)) if verify => {}
            Err(other) => panic!("{text}: {other:?}"),
        }
    }
    let texts: Vec<String> = answers.into_iter().map(|(text, _)| text).collect();
    let note = fake.order("2025000124").unwrap()["internal_note"]
        .as_str()
        .unwrap()
        .to_owned();
    let lost = texts
        .iter()
        .filter(|t| !note.lines().any(|l| l == t.as_str()))
        .count();
    (lost, fake.requests().len())
}

/// Separate `upgates` processes on one machine: the per-shop-and-order lock file.
fn appends_across_processes(report: &mut Report) {
    let fake = FakeShop::sample(std::time::SystemTime::now());
    let server = fake.serve_in_thread().unwrap();
    let url = server.api_url();
    let locks = std::env::temp_dir().join(format!("upgates-locks-{}", std::process::id()));
    let children: Vec<_> = (0..6)
        .map(|i| {
            crate::upgates_command()
                .args([
                    "append-note",
                    "--order",
                    "2025000124",
                    "--text",
                    &format!("process {i}"),
                ])
                .env("UPGATES_API_URL", &url)
                .env("UPGATES_API_LOGIN", SAMPLE_LOGIN)
                .env("UPGATES_API_KEY", SAMPLE_KEY)
                .env("UPGATES_LOCK_DIR", &locks)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim(),
            r#"{"ok":true,"vars":{}}"#
        );
    }
    let note = fake.order("2025000124").unwrap()["internal_note"]
        .as_str()
        .unwrap()
        .to_owned();
    let lost = (0..6)
        .filter(|i| !note.lines().any(|l| l == format!("process {i}")))
        .count();
    assert_eq!(lost, 0, "{note}");
    report.concurrency.push("| 6 concurrent `upgates append-note` processes on one order | 6 of 6 lines kept (flock on a per-shop-and-order lock file) |".into());
}

// --- the report ----------------------------------------------------------------------

fn render_report(report: &Report) -> String {
    let mut doc = String::from(
        "# Reliability\n\n\
         Generated by `tests/reliability.rs` (`cargo test -p upgates-cli --test integration -- reliability`; `UPDATE_DOCS=1` rewrites it). \
         Every row is an assertion of that test: the answer, the number of requests that reached the shop, \
         and that the next call on the same host still works.\n\n\
         Bad input (empty, huge, control characters, `../`, `?&;#=%`, homoglyphs, SQL- and JSON-looking \
         strings, emoji) is tabulated in [bad-input.md](bad-input.md).\n\n\
         ## Upstream faults\n\n\
         | fault | action | answer | requests |\n|---|---|---|---|\n",
    );
    for row in &report.faults {
        doc.push_str(row);
        doc.push('\n');
    }
    doc.push_str("\n## The sandbox\n\nA deliberately hostile component (`tests/guests/misbehave`) in the same host:\n\n| it tries | outcome |\n|---|---|\n");
    for row in &report.sandbox {
        doc.push_str(row);
        doc.push('\n');
    }
    doc.push_str("\n## Concurrency and nothing lost\n\n| scenario | result |\n|---|---|\n");
    for row in &report.concurrency {
        doc.push_str(row);
        doc.push('\n');
    }
    doc.push_str(
        "\n`set-order-status` is one PUT per call whatever happens: a 429, a 500 or a timeout is reported, \
         never resent (rows above). Without `verify-appends`, appends from separate hosts can overwrite \
         each other (the API has no compare-and-swap); the test prints the measured loss.\n",
    );
    doc
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reliability_report() {
    let mut report = Report::default();
    check_faults(&mut report).await;
    stalled_call_is_cut(&mut report).await;
    check_sandbox(&mut report).await;
    check_concurrency(&mut report).await;
    tokio::task::block_in_place(|| appends_across_processes(&mut report));

    let doc = render_report(&report);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/reliability.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &doc).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == doc,
        "docs/reliability.md is out of date; run with UPDATE_DOCS=1. Expected:\n{doc}"
    );
}

/// An append waiting for another append's turn on the same order is bounded by the call's
/// time too: it answers `timeout` when `call_timeout` runs out, not after the first append.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_for_an_orders_turn_counts_against_the_call_timeout() {
    let fake = sample_shop();
    let mut shop = in_process(&fake);
    // The first append's read does not get its answer: Upgates hangs.
    let support::GatedShop {
        handler,
        gate,
        arrived,
    } = support::gated(&fake, |before, _| before == 0);
    shop.policy = shop.policy.with_in_process_async(handler);
    let append = |text: &str| input(json!({"order": "2025000124", "text": text}));
    // The first append may take long; the second may wait 300 ms in all.
    let first = {
        let (mut shop, append) = (shop.clone(), append("první"));
        shop.policy.call_timeout = Duration::from_secs(20);
        tokio::spawn(async move { runtime().call(&shop, ActionName::AppendNote, &append).await })
    };
    while arrived.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    shop.policy.call_timeout = Duration::from_millis(300);
    let started = Instant::now();
    // Bounded here too, so a regression fails instead of hanging on the held first append.
    let second = tokio::time::timeout(
        Duration::from_secs(10),
        runtime().call(&shop, ActionName::AppendNote, &append("druhý")),
    )
    .await
    .expect("answered within its call timeout")
    .unwrap();
    let waited = started.elapsed();
    assert_eq!(second, Err(Failure::Timeout));
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    // The second never reached Upgates: it timed out waiting for its turn.
    assert_eq!(arrived.load(Ordering::SeqCst), 1);
    gate.close();
    assert_eq!(
        first.await.unwrap().unwrap(),
        Ok(upgates_core::Answer::Done)
    );
    assert_eq!(
        arrived.load(Ordering::SeqCst),
        3,
        "the first's GET, PUT and history"
    );
}
