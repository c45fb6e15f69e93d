//! The Spin app's own behaviour through the wasmtime harness: its settings (Spin variables),
//! its key-value store of failed e-mail checks, its log, its deadline, its invoice route's
//! streaming. The HTTP layer it shares with `upgates serve` is held by the case table
//! (`http_cases.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::Full;
use serde_json::{Value, json};
use upgates_core::ActionName;
use upgates_fake_shop::{Fault, SAMPLE_KEY, SAMPLE_LOGIN};
use upgates_host::HttpPolicy;

use crate::support::spin_harness::*;
use crate::support::{self, API_URL, Sent, cases, sample_shop, sent};

/// A valid signed link's token to this invoice of order 124, for ten more minutes.
fn link_token(invoice: &str) -> String {
    upgates_core::invoice_link::sign(
        LINK_SECRET,
        API_URL,
        "2025000124",
        invoice,
        support::now() + Duration::from_secs(600),
    )
}

// --- the nine routes ----------------------------------------------------------------------

/// The same answers as the plugin, side by side, for one "Ano" and one "Ne" per action.
#[tokio::test(flavor = "multi_thread")]
async fn the_same_json_as_the_plugin() {
    let samples = [
        (ActionName::VerifyOrder, json!({"order": "2025000124"})),
        (
            ActionName::OrderDetail,
            json!({"order": "2025000123", "email": "jana.novakova@example.cz"}),
        ),
        (ActionName::CustomerEmail, json!({"order": "2025000125"})),
        (
            ActionName::SetOrderStatus,
            json!({"order": "2025000123", "status": "Odeslaná"}),
        ),
        (
            ActionName::VerifyCustomer,
            json!({"order": "2025000124", "email": "x@example.cz"}),
        ),
        (
            ActionName::OrdersByPhone,
            json!({"phone": "601 223 344", "days": 60}),
        ),
        (
            ActionName::AppendNote,
            json!({"order": "9999999", "text": "x"}),
        ),
        (
            ActionName::ReplaceNote,
            json!({"order": "2025000124", "text": "Nová"}),
        ),
        (
            ActionName::OrderDocuments,
            json!({"order": "2025000124", "email": "jana.novakova@example.cz"}),
        ),
    ];
    for (action, input) in samples {
        let (plugin_shop, spin_shop) = (sample_shop(), sample_shop());
        let input_struct = serde_json::from_value(input.clone()).unwrap();
        let plugin = support::run_wasm(&plugin_shop, action, &input_struct).await;
        let spin = serve(&spin_shop, variables(), post(action, &input)).await;
        assert_eq!(spin.json, plugin, "{action}");
        assert_eq!(sent(&spin_shop), sent(&plugin_shop), "{action}: requests");
    }
}

// --- configuration ------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_variable_is_a_500_naming_it_never_a_value() {
    for name in ["api_url", "api_login", "api_key", "bot_token"] {
        for value in [None, Some("  ")] {
            let fake = sample_shop();
            let mut vars = variables();
            match value {
                None => vars.remove(name),
                Some(blank) => vars.insert(name.to_owned(), blank.to_owned()),
            };
            let reply = serve(
                &fake,
                vars,
                post(ActionName::VerifyOrder, &json!({"order": "2025000123"})),
            )
            .await;
            assert_error(
                &reply,
                500,
                "misconfigured",
                &format!("shop configuration: `{name}` is not set"),
            );
            for secret in [SAMPLE_KEY, SAMPLE_LOGIN, TOKEN, "demo.admin"] {
                assert!(
                    !reply.json.to_string().contains(secret),
                    "{name}: {reply:?}"
                );
            }
            assert!(fake.requests().is_empty(), "{name}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_variables_are_named_too() {
    let invalid = [
        (
            "api_url",
            "ftp://demo.admin.s1.upgates.com",
            "shop configuration: `api_url` must start with https://",
        ),
        // The login and key would go over the network in clear text.
        (
            "api_url",
            "http://demo.admin.s1.upgates.com/api/v2",
            "shop configuration: `api_url` must start with https:// (http:// only for \
             127.0.0.1, [::1] or localhost)",
        ),
        (
            "api_login",
            "demo:x",
            "shop configuration: `api_login` must be non-empty, without `:` or control characters",
        ),
        (
            "default_country_code",
            "42a",
            "shop configuration: `default_country_code` must be 1 to 3 digits, e.g. 420",
        ),
        (
            "verify_appends",
            "maybe",
            "shop configuration: `verify_appends` must be true or false",
        ),
        (
            "bot_token",
            "short",
            "shop configuration: `bot_token` must be at least 16 printable characters without spaces",
        ),
        // `allowed_outbound_hosts` would refuse every request to Upgates.
        (
            "api_origin",
            "https://other.admin.s1.upgates.com",
            "shop configuration: `api_origin` must be the scheme and host of `api_url` \
             (https://<shop>.admin.<server>.upgates.com): the only host the app may call",
        ),
        // deploy/secret.example.yaml's placeholder passes the length check; deployed as it
        // is, anyone could call the bot.
        (
            "bot_token",
            "REPLACE-WITH-openssl-rand-hex-32",
            "shop configuration: `bot_token` is still the example's placeholder: set a secret of your own",
        ),
    ];
    for (name, value, message) in invalid {
        let fake = sample_shop();
        let mut vars = variables();
        vars.insert(name.to_owned(), value.to_owned());
        let reply = serve(
            &fake,
            vars,
            post(ActionName::VerifyOrder, &json!({"order": "2025000123"})),
        )
        .await;
        assert_error(&reply, 500, "misconfigured", message);
        assert!(fake.requests().is_empty(), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_country_code_defaults_to_420_and_can_be_changed() {
    let input = json!({"phone": "601 223 344", "days": 30});
    let fake = sample_shop();
    let mut vars = variables();
    vars.remove("default_country_code");
    let reply = serve(&fake, vars, post(ActionName::OrdersByPhone, &input)).await;
    assert_eq!(reply.json["vars"]["count"], json!(2), "{reply:?}");
    // A Slovak shop: a national number gets 421 (one starting with 6 or 7 is Czech anywhere).
    let input = json!({"phone": "212 345 678", "days": 30});
    let fake = sample_shop();
    let mut vars = variables();
    vars.insert("default_country_code".into(), "421".into());
    let reply = serve(&fake, vars, post(ActionName::OrdersByPhone, &input)).await;
    assert_eq!(
        reply.json,
        json!({"ok": true, "vars": {"count": 0, "orders": []}})
    );
    assert_eq!(sent(&fake).len(), 1);
    assert!(
        fake.requests()[0]
            .query
            .as_deref()
            .unwrap()
            .starts_with("phone=421212345678&")
    );
}

/// A 429 with a short `Retry-After` is waited out on the host's clock and the read sent
/// once more, as the plugin does.
#[tokio::test(flavor = "multi_thread")]
async fn a_short_retry_after_is_waited_out_like_the_plugin() {
    let input = json!({"order": "2025000123"});
    let rate_limited = || Fault::status(429).header("Retry-After", "1");
    let (plugin_shop, spin_shop) = (sample_shop(), sample_shop());
    plugin_shop.push_fault(rate_limited());
    spin_shop.push_fault(rate_limited());
    let plugin = support::run_wasm(
        &plugin_shop,
        ActionName::VerifyOrder,
        &serde_json::from_value(input.clone()).unwrap(),
    )
    .await;
    let started = std::time::Instant::now();
    let spin = serve(
        &spin_shop,
        variables(),
        post(ActionName::VerifyOrder, &input),
    )
    .await;
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(spin.json["ok"], json!(true), "{spin:?}");
    assert_eq!(spin.json, plugin);
    let order = || Sent::get("/api/v2/orders/2025000123");
    assert_eq!(sent(&spin_shop), vec![order(), order()]);
}

/// With `verify_appends` (several replicas writing one shop) an append is read back.
#[tokio::test(flavor = "multi_thread")]
async fn verify_appends_reads_the_note_back() {
    let fake = sample_shop();
    let mut vars = variables();
    vars.insert("verify_appends".into(), "true".into());
    let input = json!({"order": "2025000123", "text": "Druhý řádek"});
    let reply = serve(&fake, vars, post(ActionName::AppendNote, &input)).await;
    assert_eq!(reply.json, json!({"ok": true, "vars": {}}), "{reply:?}");
    let methods: Vec<String> = sent(&fake).into_iter().map(|s| s.method).collect();
    // The read, the write, the read-back, then the history record (`audit_trail`).
    assert_eq!(methods, ["GET", "PUT", "GET", "POST"]);
    assert_eq!(
        fake.order("2025000123").unwrap()["internal_note"],
        json!("Druhý řádek")
    );
}

/// `api_url` names another host than the one the host allows: the request is refused before
/// it leaves, as Spin refuses hosts missing from `allowed_outbound_hosts`. (Plain http to the
/// shop is refused earlier, as a setting: `invalid_variables_are_named_too`.)
#[tokio::test(flavor = "multi_thread")]
async fn another_host_than_the_shops_is_refused() {
    for url in [
        "https://evil.example/api/v2",
        "https://demo.admin.s1.upgates.com:8443/api/v2",
    ] {
        let fake = sample_shop();
        let mut vars = variables();
        vars.insert("api_url".into(), url.into());
        // The host's own allow-list, not the variable the app checks (that one is a 500:
        // `invalid_variables_are_named_too`).
        vars.remove("api_origin");
        let reply = serve(
            &fake,
            vars,
            post(ActionName::VerifyOrder, &json!({"order": "2025000123"})),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{url}");
        assert_eq!(
            reply.json,
            json!({"ok": false, "reason": "misconfigured",
                   "message": "shop configuration: the host does not allow requests to this API URL"}),
            "{url}"
        );
        assert!(fake.requests().is_empty(), "{url}");
    }
}

// --- what the app logs -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn the_log_names_the_reason_never_the_customer() {
    let fake = sample_shop();
    let input = json!({"order": "2025000124", "email": "peter.horvath@example.sk"});
    let reply = serve(&fake, variables(), post(ActionName::VerifyCustomer, &input)).await;
    assert_eq!(reply.json["reason"], json!("not-verified"));
    assert_eq!(reply.log, "upgates-bot: verify-customer: not-verified\n");
    assert_eq!(sent(&fake), vec![Sent::get("/api/v2/orders/2025000124")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_audit_record_is_logged_and_the_write_still_answers_ano() {
    let fake = sample_shop();
    fake.push_fault(Fault::status(500).on(Method::POST, "/history"));
    let input = json!({"order": "2025000123", "status": "Odeslaná", "notify": false});
    let reply = serve(&fake, variables(), post(ActionName::SetOrderStatus, &input)).await;
    assert_eq!(reply.json, json!({"ok": true, "vars": {}}));
    assert_eq!(
        reply.log,
        "upgates-bot: Upgates refused a write: POST /api/v2/orders/2025000123/history (500)\n"
    );
    assert_eq!(fake.order("2025000123").unwrap()["status_id"], json!(3));
    assert!(fake.history("2025000123").is_empty());
    assert_eq!(sent(&fake), refused_audit_requests());
}

/// The status change of [`a_refused_audit_record_is_logged_and_the_write_still_answers_ano`]:
/// the PUT, then the history record Upgates refuses; nothing is retried.
fn refused_audit_requests() -> Vec<Sent> {
    vec![
        Sent::put(
            "/api/v2/orders",
            json!({"send_emails_yn": false, "send_sms_yn": false,
                   "orders": [{"order_number": "2025000123", "status": "Odeslaná"}]}),
        ),
        cases::history(
            "2025000123",
            "Chatbot: změna stavu",
            "Nový stav: Odeslaná (upozornit zákazníka: ne)",
        ),
    ]
}

// --- the world ---------------------------------------------------------------------------

/// What the component needs from its host is what Spin provides: WASI 0.2 for Rust's std,
/// `wasi:http` 0.3, `spin:variables` and `wasi:keyvalue` draft2 (store and atomics, which Spin
/// serves from the same stores as `spin:key-value`); no sockets, no files. It exports the
/// WASIp3 handler.
#[test]
fn imports_only_what_spin_provides() {
    let (engine, pre) = spin_app();
    let ty = pre.instance_pre().component().component_type();
    let allowed = [
        "wasi:cli/",
        "wasi:io/",
        "wasi:clocks/",
        "wasi:random/",
        "wasi:http/types@0.3.0",
        "wasi:http/client@0.3.0",
        "spin:variables/variables@3.0.0",
        "wasi:keyvalue/store@0.2.0-draft2",
        "wasi:keyvalue/atomics@0.2.0-draft2",
    ];
    let imports: Vec<String> = ty
        .imports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    for name in &imports {
        assert!(
            allowed.iter().any(|a| name.starts_with(a)),
            "unexpected import {name}"
        );
    }
    for needed in [
        "spin:variables/variables@3.0.0",
        "wasi:keyvalue/atomics@0.2.0-draft2",
    ] {
        assert!(imports.iter().any(|n| n == needed), "{needed}: {imports:?}");
    }
    let exports: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    assert_eq!(exports, ["wasi:http/handler@0.3.0"]);
}

// --- guardrails ----------------------------------------------------------------------------

/// The sample shop's variables with `settings` (the component's `wasi:config` keys) on top, as
/// Spin variables (`-` → `_`).
fn variables_with(settings: &[(&str, &str)]) -> HashMap<String, String> {
    let mut vars = variables();
    for (key, value) in settings {
        vars.insert(key.replace('-', "_"), (*value).to_owned());
    }
    vars
}

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

const LINK_SECRET: &str = "test-link-secret-0123456789abcdef0123";

fn signed_links() -> HashMap<String, String> {
    variables_with(&[
        ("invoice-links", "signed"),
        ("invoice-link-secret", LINK_SECRET),
        ("invoice-link-base-url", "https://bot.example.cz/"),
    ])
}

fn get(path: &str) -> http::Request<Full<Bytes>> {
    request(Method::GET, path, None, "")
}

/// `order-documents` hands out our link; the link streams the PDF with one request; the
/// link is refused (403, no request) once expired, when altered, and when signed elsewhere.
#[tokio::test(flavor = "multi_thread")]
async fn signed_invoice_links() {
    let fake = sample_shop();
    let verified = json!({"order": "2025000124", "email": "jana.novakova@example.cz"});
    let reply = serve(
        &fake,
        signed_links(),
        post(ActionName::OrderDocuments, &verified),
    )
    .await;
    assert_eq!(reply.json["vars"]["invoice"], json!("found"), "{reply:?}");
    let url = reply.json["vars"]["invoiceurl"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = url
        .strip_prefix("https://bot.example.cz/v1/invoice/")
        .unwrap_or_else(|| panic!("our link, not Upgates': {url}"));
    // What the token grants, and until when: 15 minutes from now by default.
    let grant =
        upgates_core::invoice_link::verify(LINK_SECRET, API_URL, token, support::now()).unwrap();
    assert_eq!(
        (grant.order_number.as_str(), grant.invoice_number.as_str()),
        ("2025000124", "FV2025001")
    );
    assert_eq!(grant.expires, support::now() + Duration::from_secs(15 * 60));

    fake.clear_requests();
    let pdf = serve_raw(
        &fake,
        signed_links(),
        &Kv::default(),
        get(&format!("/v1/invoice/{token}")),
    )
    .await;
    assert_eq!(pdf.status, StatusCode::OK, "{pdf:?}");
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert_eq!(pdf.headers["cache-control"], "private, no-store");
    assert_eq!(
        pdf.headers["content-disposition"],
        "inline; filename=\"FV2025001.pdf\""
    );
    assert!(pdf.body.starts_with(b"%PDF-"), "a PDF");
    assert!(String::from_utf8_lossy(&pdf.body).contains("Faktura FV2025001"));
    let wanted = Sent::get("/api/v2/invoices/FV2025001/pdf");
    assert_eq!(sent(&fake), vec![wanted]);
    assert_eq!(
        fake.requests()[0].header("authorization"),
        Some(support::basic_auth().as_str())
    );

    let expired = upgates_core::invoice_link::sign(
        LINK_SECRET,
        API_URL,
        "2025000124",
        "FV2025001",
        support::now() - Duration::from_secs(1),
    );
    let (payload, tag) = token.split_once('.').unwrap();
    let mut altered = payload.to_owned().into_bytes();
    // Another order: flip one character of the payload under the same tag.
    altered[3] = if altered[3] == b'A' { b'B' } else { b'A' };
    let altered = format!("{}.{tag}", String::from_utf8(altered).unwrap());
    let foreign = upgates_core::invoice_link::sign(
        "another-shops-secret-0123456789abcdef",
        API_URL,
        "2025000124",
        "FV2025001",
        support::now() + Duration::from_secs(600),
    );
    for (what, bad) in [
        ("expired", expired.as_str()),
        ("altered", altered.as_str()),
        ("foreign", foreign.as_str()),
        ("junk", "not-a-token"),
    ] {
        fake.clear_requests();
        let reply = serve(&fake, signed_links(), get(&format!("/v1/invoice/{bad}"))).await;
        assert_error(
            &reply,
            403,
            "link-refused",
            "this invoice link is expired or invalid: ask the bot for a new one",
        );
        assert!(fake.requests().is_empty(), "{what}: no request to Upgates");
        assert!(!reply.log.contains(bad), "{what}: the token is not logged");
    }

    // A valid link to an invoice Upgates no longer has: 404, one request.
    fake.clear_requests();
    let gone = link_token("FV2099999");
    let reply = serve(&fake, signed_links(), get(&format!("/v1/invoice/{gone}"))).await;
    assert_error(&reply, 404, "not-found", "no such order");
    assert_eq!(
        sent(&fake),
        vec![Sent::get("/api/v2/invoices/FV2099999/pdf")]
    );
}

/// On the invoice route Upgates' refusal keeps what tells it apart (a 429's `Retry-After`), and
/// a 200 that is not a PDF (an error page, JSON) is not passed on under the PDF's name.
#[tokio::test(flavor = "multi_thread")]
async fn invoice_route_refusals_and_answers_that_are_not_a_pdf() {
    let fake = sample_shop();
    let token = link_token("FV2025001");
    let link = format!("/v1/invoice/{token}");
    fake.push_fault(Fault::status(429).header("retry-after", "Sun, 29 Nov 2026 17:00:00 GMT"));
    let reply = serve(&fake, signed_links(), get(&link)).await;
    assert_error(
        &reply,
        502,
        "rate-limited",
        "Upgates' request limit was hit (HTTP 429); retry after Sun, 29 Nov 2026 17:00:00 GMT",
    );
    fake.push_fault(Fault::json(
        200,
        json!({"messages": [{"message": "Chyba"}]}),
    ));
    let reply = serve(&fake, signed_links(), get(&link)).await;
    assert_error(
        &reply,
        502,
        "upstream",
        "unexpected answer from Upgates: Upgates did not send a PDF",
    );
    let pdf = Sent::get("/api/v2/invoices/FV2025001/pdf");
    assert_eq!(sent(&fake), vec![pdf.clone(), pdf]);
}

/// Without `invoice_links = signed` the route does not exist, and the answer is Upgates' URL.
#[tokio::test(flavor = "multi_thread")]
async fn invoice_links_are_upgates_by_default() {
    let fake = sample_shop();
    let token = link_token("FV2025001");
    let reply = serve(&fake, variables(), get(&format!("/v1/invoice/{token}"))).await;
    assert_eq!(reply.status.as_u16(), 404);
    assert!(fake.requests().is_empty());
    let short_secret = variables_with(&[
        ("invoice-links", "signed"),
        ("invoice-link-secret", "too-short"),
        ("invoice-link-base-url", "https://bot.example.cz"),
    ]);
    let reply = serve(&fake, short_secret, get(&format!("/v1/invoice/{token}"))).await;
    assert_error(
        &reply,
        500,
        "misconfigured",
        "shop configuration: `invoice_link_secret` must be at least 32 characters when `invoice_links` is signed",
    );
    // The example's placeholder is long enough, and public.
    let placeholder = variables_with(&[
        ("invoice-links", "signed"),
        (
            "invoice-link-secret",
            "REPLACE-WITH-ANOTHER-openssl-rand-hex-32",
        ),
        ("invoice-link-base-url", "https://bot.example.cz"),
    ]);
    let reply = serve(&fake, placeholder, get(&format!("/v1/invoice/{token}"))).await;
    assert_error(
        &reply,
        500,
        "misconfigured",
        "shop configuration: `invoice_link_secret` is still the example's placeholder: set a secret of your own",
    );
}

/// The invoice route's answer from Upgates is bounded by the actions' 30 s deadline too: a
/// stalled Upgates gives `502 timeout`, not a request hanging until the per-read timeouts.
#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_upgates_never_answers_is_a_timeout() {
    let mut policy = shop_policy().with_in_process_async(Arc::new(|_request| {
        Box::pin(std::future::pending::<http::Response<Bytes>>())
    }));
    policy.first_byte_timeout = Duration::from_secs(300);
    let token = link_token("FV2025001");
    let started = std::time::Instant::now();
    let raw = serve_through(
        policy,
        signed_links(),
        &Kv::default(),
        get(&format!("/v1/invoice/{token}")),
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(raw.status, StatusCode::BAD_GATEWAY);
    let json: Value = serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(json["reason"], json!("timeout"), "{json}");
    assert!(
        (Duration::from_secs(30)..Duration::from_secs(60)).contains(&elapsed),
        "{elapsed:?}"
    );
}
