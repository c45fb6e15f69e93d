//! Concurrency: limits, single flight, appends racing within a host and across hosts.

use super::*;

pub(super) async fn check_concurrency(report: &mut Report) {
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
    support::block_on(shop.append_note("2025000124", "our line", None)).unwrap();
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
                let result = support::block_on(shop.append_note("2025000124", &text, None));
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
pub(super) fn appends_across_processes(report: &mut Report) {
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
