//! Upstream faults through the component: in-process, over loopback, and a call cut off.

use super::fault_table::fault_cases;
use super::*;

pub(super) async fn check_faults(report: &mut Report) {
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
pub(super) async fn next_call_works(fake: &FakeShop) {
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
pub(super) async fn stalled_call_is_cut(report: &mut Report) {
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
