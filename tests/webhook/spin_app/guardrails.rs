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
    assert!(
        (Duration::from_secs(30)..Duration::from_secs(60)).contains(&elapsed),
        "{elapsed:?}"
    );
}

/// The app's key for order 124's checks: `verify-failures/<shop>/<order>`, the shop a hash of
/// its API URL (apps of several shops may share one store).
fn checks_key(api_url: &str, order: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(api_url.as_bytes());
    let scope: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("verify-failures/{scope}/{order}")
}

fn checks_124() -> String {
    checks_key(API_URL, "2025000124")
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
    // A check that passes is held while Upgates answers, then withdrawn: nothing stays held.
    let reply = serve_with(
        &fake,
        vars(),
        &kv,
        post(ActionName::VerifyCustomer, &right_email_124()),
    )
    .await;
    assert_eq!(reply.json, json!({"ok": true, "vars": {}}), "{reply:?}");
    assert_eq!(kv.times(&checks_124()), Vec::<u64>::new());
    for _ in 0..2 {
        let wrong = post(ActionName::VerifyCustomer, &wrong_email_124());
        let reply = serve_with(&fake, vars(), &kv, wrong).await;
        assert_not_verified(&reply);
    }
    // The store is opened once per request, the check begun and withdrawn alike.
    assert_eq!(kv.opens(), 3);
    assert_eq!(kv.keys(), [checks_124()], "one key per order number");
    assert_eq!(
        kv.times(&checks_124()),
        [support::NOW_SECS, support::NOW_SECS]
    );
    assert_eq!(kv.cas_failures(), 0);
    // At the limit even the right e-mail is not checked, and nothing more is held.
    let right = post(ActionName::VerifyCustomer, &right_email_124());
    let reply = serve_with(&fake, vars(), &kv, right).await;
    assert_not_verified(&reply);
    assert_eq!(
        kv.times(&checks_124()),
        [support::NOW_SECS, support::NOW_SECS]
    );
    assert_eq!(sent(&fake), vec![Sent::get(ORDER_124); 3]);

    // A value something else wrote counts as no checks (and is replaced on the next one).
    let broken = Kv::default();
    broken.set(&checks_124(), b"not json");
    let fake = sample_shop();
    let wrong = post(ActionName::VerifyCustomer, &wrong_email_124());
    let reply = serve_with(&fake, vars(), &broken, wrong).await;
    assert_not_verified(&reply);
    assert_eq!(broken.times(&checks_124()), [support::NOW_SECS]);
    assert_eq!(sent(&fake), vec![Sent::get(ORDER_124)]);
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
    assert_eq!(
        kv.keys(),
        [checks_124(), checks_key(OTHER_URL, "2025000124")]
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );
    assert!(kv.keys().iter().all(|k| !k.contains("upgates.com")));
}

/// Another replica writes the order's key between the app's read and its swap: the swap is
/// refused, and the app counts again from the other writer's list, keeping its check. The
/// same on a store that reports the refused swap as done (Spin's Redis store): the read-back
/// does not find the check.
#[tokio::test(flavor = "multi_thread")]
async fn a_check_retries_when_another_writer_got_in_between() {
    for kv in [Kv::default(), Kv::misreporting()] {
        let fake = sample_shop();
        let other = support::NOW_SECS - 5;
        kv.interfere(&checks_124(), 0, 1, move |held| held.push((other, 7)));
        let vars = variables_with(&[("verify-attempts", "2")]);
        let wrong = post(ActionName::VerifyCustomer, &wrong_email_124());
        assert_not_verified(&serve_with(&fake, vars, &kv, wrong).await);
        assert_eq!(kv.cas_failures(), 1);
        // Neither check is lost: the other writer's, then this one (still held: it failed).
        assert_eq!(kv.times(&checks_124()), [other, support::NOW_SECS]);
        assert_eq!(sent(&fake), vec![Sent::get(ORDER_124)]);
    }
}

/// The other writer's check fills the last free place between the app's read and its swap:
/// the retry sees the limit, holds nothing, and Upgates is not asked, right e-mail or not.
#[tokio::test(flavor = "multi_thread")]
async fn a_check_that_another_writer_pushed_over_the_limit_is_refused() {
    let fake = sample_shop();
    let kv = Kv::default();
    let earlier = support::NOW_SECS - 20;
    kv.set(&checks_124(), format!("[[{earlier},1]]").as_bytes());
    let other = support::NOW_SECS - 5;
    kv.interfere(&checks_124(), 0, 1, move |held| held.push((other, 7)));
    let vars = variables_with(&[("verify-attempts", "2")]);
    let right = post(ActionName::VerifyCustomer, &right_email_124());
    let reply = serve_with(&fake, vars, &kv, right).await;
    assert_not_verified(&reply);
    assert_eq!(kv.cas_failures(), 1);
    assert_eq!(
        kv.times(&checks_124()),
        [earlier, other],
        "over the limit: nothing added"
    );
    assert!(fake.requests().is_empty(), "{:?}", sent(&fake));
}

/// A passed check is withdrawn with compare-and-swap too: when another writer adds a check
/// meanwhile, the retry removes one check from the new list, so the other writer's still
/// counts. (The checks are times only, so "which one" is the newest.)
#[tokio::test(flavor = "multi_thread")]
async fn a_withdrawn_check_leaves_another_writers_check_held() {
    let fake = sample_shop();
    let kv = Kv::default();
    let other = support::NOW_SECS - 5;
    // The first swap (the begin) goes through; the second (the withdraw) meets the writer.
    kv.interfere(&checks_124(), 1, 1, move |held| held.push((other, 7)));
    let vars = variables_with(&[("verify-attempts", "2")]);
    let right = post(ActionName::VerifyCustomer, &right_email_124());
    let reply = serve_with(&fake, vars, &kv, right).await;
    assert_eq!(reply.json, json!({"ok": true, "vars": {}}), "{reply:?}");
    assert_eq!(kv.cas_failures(), 1);
    assert_eq!(kv.times(&checks_124()).len(), 1, "the other writer's check");
    assert_eq!(sent(&fake), vec![Sent::get(ORDER_124)]);
}

/// Spin's Redis store reports every swap that went through as failed: the app reads the
/// list back and finds its check there, so a check is held once, not once per retry, and a
/// passed one is withdrawn once. (Trusting the answer, the first check of an order held
/// `verify-attempts` entries and answered not-verified.)
#[tokio::test(flavor = "multi_thread")]
async fn checks_hold_once_on_a_store_that_misreports_its_swaps() {
    let fake = sample_shop();
    let kv = Kv::misreporting();
    let vars = || variables_with(&[("verify-attempts", "2")]);
    let right = || post(ActionName::VerifyCustomer, &right_email_124());
    let reply = serve_with(&fake, vars(), &kv, right()).await;
    assert_eq!(reply.json, json!({"ok": true, "vars": {}}), "{reply:?}");
    assert_eq!(kv.times(&checks_124()), Vec::<u64>::new());
    for _ in 0..2 {
        let wrong = post(ActionName::VerifyCustomer, &wrong_email_124());
        assert_not_verified(&serve_with(&fake, vars(), &kv, wrong).await);
    }
    assert_eq!(
        kv.times(&checks_124()),
        [support::NOW_SECS, support::NOW_SECS]
    );
    assert_not_verified(&serve_with(&fake, vars(), &kv, right()).await);
    assert_eq!(sent(&fake), vec![Sent::get(ORDER_124); 3]);
}

/// A key that changes before every swap: after 8 refused swaps the app gives up and answers
/// like a store that fails, without asking Upgates (the closed side), and writes nothing of
/// its own.
#[tokio::test(flavor = "multi_thread")]
async fn a_check_that_never_gets_its_swap_fails_closed() {
    let fake = sample_shop();
    let kv = Kv::default();
    let mut next = support::NOW_SECS - 100;
    kv.interfere(&checks_124(), 0, usize::MAX, move |held| {
        // Another writer's churn: always one check, a new time each round.
        next += 1;
        *held = vec![(next, 7)];
    });
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
    assert_eq!(kv.cas_failures(), 8);
    assert_eq!(kv.times(&checks_124()), [support::NOW_SECS - 100 + 8]);
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
