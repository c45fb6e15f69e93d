//! The guardrails through the Spin app: the shared scenario table, the deadline, and the
//! failed e-mail checks its key-value store keeps (with other writers in between).

use super::*;

/// The guardrail table the component runs in `tests/guardrails.rs`, through the Spin app:
/// every call a fresh instance, the failed e-mail checks in the shared key-value store.
#[tokio::test(flavor = "multi_thread")]
async fn every_guardrail_scenario_through_the_spin_app() {
    for scenario in support::guardrails::all() {
        let fake = sample_shop();
        let kv = Kv::default();
        for (i, (action, input, want)) in scenario.calls.iter().enumerate() {
            let vars = variables_with(scenario.settings);
            let reply = serve_with(&fake, vars, &kv, post(*action, input)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}: {reply:?}", scenario.name);
            assert_eq!(&reply.json, want, "{}: call {i} ({action})", scenario.name);
        }
        assert_eq!(sent(&fake), scenario.sent, "{}: requests", scenario.name);
        (scenario.after)(&fake);
    }
}

/// Upgates accepts the request and never answers. The host's own request timeouts are set
/// longer than the app's deadline, so only the deadline can end the call (this test takes
/// the deadline's 30 s).
#[tokio::test(flavor = "multi_thread")]
async fn a_call_past_the_deadline_answers_timeout() {
    let mut policy = shop_policy().with_in_process_async(Arc::new(|_request| {
        Box::pin(std::future::pending::<http::Response<Bytes>>())
    }));
    policy.first_byte_timeout = Duration::from_secs(300);
    let started = std::time::Instant::now();
    let raw = serve_through(
        policy,
        variables(),
        &Kv::default(),
        post(ActionName::VerifyOrder, &json!({"order": "2025000123"})),
    )
    .await;
    let elapsed = started.elapsed();
    let json: Value = serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(json["ok"], json!(false));
    assert_eq!(json["reason"], json!("timeout"), "{json}");
    // Not before the deadline; no upper bound: how late a loaded machine wakes is not the
    // app's behaviour (the answer can only come from the deadline, Upgates never answers).
    assert!(elapsed >= Duration::from_secs(30), "{elapsed:?}");
}

/// The app's counter `which` (`begun`, `given-back`) of `order`'s checks in the window that
/// began at `start`: `verify-failures/<shop>/<order>/<start>/<which>`, the shop a hash of its
/// API URL (apps of several shops may share one store).
fn checks_key(api_url: &str, order: &str, start: u64, which: &str) -> String {
    let shop = upgates_core::ShopConfig::new(api_url, "bot", "k", "420").unwrap();
    upgates_core::WindowedAttempts::for_shop(&shop, ()).counter_key(order, start, which)
}

/// `verify-window-minutes`' default, in seconds.
const HOUR: u64 = 3600;

/// Order 124's `begun` counter of the window the pinned clock is in (`back` 0), or of one
/// before it.
fn checks_124(back: u64) -> String {
    counter_124(back, "begun")
}

/// Order 124's counter `which` of the window `back` windows before the pinned clock's.
fn counter_124(back: u64, which: &str) -> String {
    let start = support::NOW_SECS / HOUR * HOUR - back * HOUR;
    checks_key(API_URL, "2025000124", start, which)
}

/// Order 124's checks held in that window: begun less given back; `None` when none began.
fn held_124(kv: &Kv, back: u64) -> Option<i64> {
    let begun = kv.counter(&checks_124(back))?;
    Some(begun - kv.counter(&counter_124(back, "given-back")).unwrap_or(0))
}

/// Both counters of order 124's window `back`, as `Kv::keys` lists them.
fn window_124(back: u64) -> [String; 2] {
    [checks_124(back), counter_124(back, "given-back")]
}

const ORDER_124: &str = "/api/v2/orders/2025000124";
const JANA: &str = "jana.novakova@example.cz";

fn right_email_124() -> Value {
    json!({"order": "2025000124", "email": JANA})
}

fn wrong_email_124() -> Value {
    json!({"order": "2025000124", "email": "x@example.cz"})
}

fn assert_not_verified(reply: &Reply) {
    assert_eq!(
        reply.json,
        json!({"ok": false, "reason": "not-verified",
               "message": "the order number and e-mail do not match"}),
        "{reply:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_checks_are_kept_in_the_key_value_store() {
    let fake = sample_shop();
    let kv = Kv::default();
    let vars = || variables_with(&[("verify-attempts", "2")]);
    // A check that passes is held while Upgates answers, then given back: nothing stays held.
    let reply = serve_with(
        &fake,
        vars(),
        &kv,
        post(ActionName::VerifyCustomer, &right_email_124()),
    )
    .await;
    assert_eq!(reply.json, json!({"ok": true, "vars": {}}), "{reply:?}");
    assert_eq!(held_124(&kv, 0), Some(0));
    for _ in 0..2 {
        let wrong = post(ActionName::VerifyCustomer, &wrong_email_124());
        let reply = serve_with(&fake, vars(), &kv, wrong).await;
        assert_not_verified(&reply);
    }
    // The store is opened once per request, the check begun and withdrawn alike.
    assert_eq!(kv.opens(), 3);
    assert_eq!(
        kv.keys(),
        window_124(0),
        "two counters per order and window"
    );
    assert_eq!(held_124(&kv, 0), Some(2));
    // At the limit even the right e-mail is not checked, and the refused check is not held.
    let right = post(ActionName::VerifyCustomer, &right_email_124());
    let reply = serve_with(&fake, vars(), &kv, right).await;
    assert_not_verified(&reply);
    assert_eq!(held_124(&kv, 0), Some(2));
    assert_eq!(sent(&fake), vec![Sent::get(ORDER_124); 3]);
}

/// Ten wrong e-mails for one order at once, on a store that answers like Spin's SQLite one,
/// with a limit of 5: every request reads the store before any writes to it, and exactly 5
/// reach Upgates; the others are refused unasked. Each request runs on a thread of its own, as
/// Spin's instances run side by side.
#[test]
fn concurrent_first_checks_pass_only_up_to_the_limit() {
    const AT_ONCE: usize = 10;
    let fake = sample_shop();
    let kv = Kv::meeting(AT_ONCE);
    let vars = variables_with(&[("verify-attempts", "5")]);
    let calls: Vec<_> = (0..AT_ONCE)
        .map(|_| {
            let (fake, kv, vars) = (fake.clone(), kv.clone(), vars.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let wrong = post(ActionName::VerifyCustomer, &wrong_email_124());
                runtime.block_on(serve_with(&fake, vars, &kv, wrong))
            })
        })
        .collect();
    for call in calls {
        assert_not_verified(&call.join().unwrap());
    }
    assert_eq!(sent(&fake).len(), 5, "checks that reached Upgates");
    assert_eq!(sent(&fake), vec![Sent::get(ORDER_124); 5]);
    assert_eq!(held_124(&kv, 0), Some(5), "the refused gave theirs back");
    // The five failures stay counted: the right e-mail is refused unasked now.
    let right = post(ActionName::VerifyCustomer, &right_email_124());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    assert_not_verified(&runtime.block_on(serve_with(&fake, vars, &kv, right)));
    assert_eq!(sent(&fake).len(), 5);
}

/// Two shops' apps sharing one store (one Redis for several `SpinApp`s): the same order
/// number at another shop is another key, so one shop's failures do not lock the other's
/// customer out, and no key names a shop's URL.
#[tokio::test(flavor = "multi_thread")]
async fn shops_sharing_a_store_keep_their_own_checks() {
    const OTHER_URL: &str = "https://other.admin.s1.upgates.com/api/v2";
    let kv = Kv::default();
    let fake = sample_shop();
    let vars = variables_with(&[("verify-attempts", "1")]);
    let wrong = post(ActionName::VerifyCustomer, &wrong_email_124());
    assert_not_verified(&serve_with(&fake, vars.clone(), &kv, wrong).await);
    let right = post(ActionName::VerifyCustomer, &right_email_124());
    assert_not_verified(&serve_with(&fake, vars, &kv, right).await);
    // The other shop: its own URL (and policy), the same store.
    let other = sample_shop();
    let handler = other.clone();
    let policy = HttpPolicy::for_shop(&support::config(OTHER_URL))
        .unwrap()
        .isolated()
        .with_in_process(Arc::new(move |request| handler.handle(request)));
    let vars = variables_with(&[
        ("verify-attempts", "1"),
        ("api-url", OTHER_URL),
        ("api-origin", "https://other.admin.s1.upgates.com"),
    ]);
    let right = post(ActionName::VerifyCustomer, &right_email_124());
    let raw = serve_through(policy, vars, &kv, right).await;
    let answer: Value = serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(answer, json!({"ok": true, "vars": {}}), "{raw:?}");
    assert_eq!(sent(&other), vec![Sent::get(ORDER_124)]);
    let start = support::NOW_SECS / HOUR * HOUR;
    let mut keys = window_124(0).to_vec();
    for which in ["begun", "given-back"] {
        keys.push(checks_key(OTHER_URL, "2025000124", start, which));
    }
    keys.sort();
    assert_eq!(kv.keys(), keys);
    assert!(kv.keys().iter().all(|k| !k.contains("upgates.com")));
}

/// Fixed windows stand in for a sliding one: the previous window's failures (another
/// replica's, or this one's an hour ago) still count, so a burst at the end of one window
/// and another at the start of the next cannot pass twice the limit.
#[tokio::test(flavor = "multi_thread")]
async fn the_previous_windows_failures_still_count() {
    let vars = || variables_with(&[("verify-attempts", "2")]);
    // The previous window at the limit: refused unasked, nothing counted in this one.
    let fake = sample_shop();
    let kv = Kv::default();
    kv.set_counter(&checks_124(1), 2);
    let right = post(ActionName::VerifyCustomer, &right_email_124());
    assert_not_verified(&serve_with(&fake, vars(), &kv, right).await);
    assert!(fake.requests().is_empty(), "{:?}", sent(&fake));
    assert_eq!(kv.keys(), [checks_124(1)]);
    // One failure there: one check here, then no more.
    let fake = sample_shop();
    let kv = Kv::default();
    kv.set_counter(&checks_124(1), 1);
    for _ in 0..2 {
        let wrong = post(ActionName::VerifyCustomer, &wrong_email_124());
        assert_not_verified(&serve_with(&fake, vars(), &kv, wrong).await);
    }
    assert_eq!(sent(&fake), vec![Sent::get(ORDER_124)]);
    assert_eq!(held_124(&kv, 0), Some(1));
    assert_eq!(held_124(&kv, 1), Some(1));
}

/// Old windows go: the first check of a window deletes the counters of the window before the
/// previous one, whose failures no longer count.
#[tokio::test(flavor = "multi_thread")]
async fn a_windows_first_check_deletes_the_window_before_last() {
    let fake = sample_shop();
    let kv = Kv::default();
    kv.set_counter(&checks_124(2), 5);
    kv.set_counter(&counter_124(2, "given-back"), 1);
    kv.set_counter(&checks_124(3), 5);
    let vars = variables_with(&[("verify-attempts", "2")]);
    let right = post(ActionName::VerifyCustomer, &right_email_124());
    let reply = serve_with(&fake, vars, &kv, right).await;
    assert_eq!(reply.json, json!({"ok": true, "vars": {}}), "{reply:?}");
    assert_eq!(sent(&fake), vec![Sent::get(ORDER_124)]);
    // The one before it was deleted when its own next window was first counted.
    let mut keys = window_124(0).to_vec();
    keys.push(checks_124(3));
    keys.sort();
    assert_eq!(kv.keys(), keys);
}

/// A passed check takes back only its own 1: another replica's failure in the same window
/// stays counted.
#[tokio::test(flavor = "multi_thread")]
async fn a_withdrawn_check_leaves_another_replicas_failure_counted() {
    let fake = sample_shop();
    let kv = Kv::default();
    kv.set_counter(&checks_124(0), 1);
    let vars = variables_with(&[("verify-attempts", "2")]);
    let right = post(ActionName::VerifyCustomer, &right_email_124());
    let reply = serve_with(&fake, vars, &kv, right).await;
    assert_eq!(reply.json, json!({"ok": true, "vars": {}}), "{reply:?}");
    assert_eq!(held_124(&kv, 0), Some(1));
    assert_eq!(sent(&fake), vec![Sent::get(ORDER_124)]);
}

/// A store that cannot count (here a counter something else overwrote with text) answers
/// like a missing store, without asking Upgates: the closed side.
#[tokio::test(flavor = "multi_thread")]
async fn a_store_that_cannot_count_fails_closed() {
    let fake = sample_shop();
    let kv = Kv::default();
    kv.set(&checks_124(0), b"not a number");
    let vars = variables_with(&[("verify-attempts", "5")]);
    let right = post(ActionName::VerifyCustomer, &right_email_124());
    let reply = serve_with(&fake, vars, &kv, right).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(
        reply.json,
        json!({"ok": false, "reason": "misconfigured",
               "message": "shop configuration: the key-value store `default` is not available (spin.toml: key_value_stores = [\"default\"])"}),
        "{reply:?}"
    );
    assert!(fake.requests().is_empty(), "{:?}", sent(&fake));
}

#[tokio::test(flavor = "multi_thread")]
async fn order_detail_masks_the_phone_like_the_plugin() {
    let input = json!({"order": "2025000123", "email": "jana.novakova@example.cz"});
    let fake = sample_shop();
    let vars = variables_with(&[("mask-personal-data", "true")]);
    let reply = serve(&fake, vars, post(ActionName::OrderDetail, &input)).await;
    assert_eq!(
        reply.json["vars"]["phone"],
        json!(support::guardrails::MASKED_PHONE)
    );
    assert!(!reply.json.to_string().contains("601223344"));
}
