//! The sandbox, with a deliberately hostile component.

use super::faults::next_call_works;
use super::*;

/// `tests/guests/misbehave`, as the support crate's build script built it.
fn hostile() -> &'static PluginRuntime {
    static RUNTIME: OnceLock<PluginRuntime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let wasm = std::fs::read(upgates_tests::MISBEHAVE_WASM_PATH).unwrap();
        PluginRuntime::new(&wasm).unwrap()
    })
}

pub(super) async fn check_sandbox(report: &mut Report) {
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
    let Err(Failure::Upstream(pairs)) = keys else {
        panic!("{keys:?}")
    };
    let (mut keys, values): (Vec<&str>, Vec<&str>) = pairs
        .lines()
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .unzip();
    keys.sort_unstable();
    // The shop's URL and the mark that the host authenticates its requests; its guardrails
    // are all at their defaults, which the host leaves out (the component applies the same
    // ones). No login or key, under any name.
    assert_eq!(keys, ["api-credentials", "api-url"]);
    assert!(
        values
            .iter()
            .all(|v| *v != SAMPLE_LOGIN && !v.contains(SAMPLE_KEY)),
        "{pairs}"
    );
    row(
        "`wasi:config` keys",
        "only the shop's own settings: URL, guardrails not at their defaults; no API login or key (the host adds `Authorization`)".into(),
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

/// Runs the attack `what` (`tests/guests/misbehave/src/hostile.rs`) against the sample shop:
/// its outcome as the guest reports it, or the `CallError` that stopped it, with the time it
/// took and the shop.
async fn attack(
    what: &str,
    keyvalue: Option<Arc<dyn upgates_host::keyvalue::KeyValueStore>>,
) -> (Result<String, String>, Duration, FakeShop) {
    let fake = sample_shop();
    let mut shop = in_process(&fake);
    shop.policy.call_timeout = Duration::from_secs(10);
    shop.keyvalue = keyvalue;
    // Compiled before the clock starts (a debug build's compile takes seconds).
    let runtime = hostile();
    let started = Instant::now();
    let outcome = runtime
        .call(
            &shop,
            ActionName::ReplaceNote,
            &input(json!({"order": "1", "text": what})),
        )
        .await;
    let took = started.elapsed();
    let outcome = match outcome {
        Ok(Err(Failure::Upstream(said))) => Ok(said),
        Ok(other) => panic!("{what}: {other:?}"),
        Err(stopped) => Err(format!("{stopped:#}")),
    };
    (outcome, took, fake)
}

/// Resources held in a loop (header sets): the call's resource table is full at the host's
/// cap, long before wasmtime's default of a million, and the call traps at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_in_a_loop_fill_a_bounded_table() {
    let (outcome, took, fake) = attack("resources", None).await;
    let Err(trap) = outcome else {
        panic!("the guest created all it wanted: {outcome:?}")
    };
    assert!(trap.contains("resource table has no free keys"), "{trap}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(fake.requests().is_empty());
    assert_eq!(upgates_host::for_tests::MAX_TABLE_ENTRIES, 1024);
}

/// One header set appended to in a loop: refused (a trap) at the host's 16 KiB, not at
/// wasmtime-wasi-http's 128 KiB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_fields_stop_at_the_hosts_limit() {
    let (outcome, took, fake) = attack("fields", None).await;
    let Err(trap) = outcome else {
        panic!("the guest appended all it wanted: {outcome:?}")
    };
    assert!(trap.contains("header") || trap.contains("size"), "{trap}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(fake.requests().is_empty());
}

/// What a key-value store was handed: every key, by operation.
#[derive(Debug, Default)]
struct KeysSeen(std::sync::Mutex<Vec<String>>);

impl KeysSeen {
    fn saw(&self, key: &str) {
        self.0.lock().unwrap().push(key.to_owned());
    }
}

impl upgates_host::keyvalue::KeyValueStore for KeysSeen {
    fn get(&self, key: &str) -> Result<Option<u64>, upgates_host::keyvalue::StoreError> {
        self.saw(key);
        Ok(None)
    }

    fn set(&self, key: &str, _: u64) -> Result<(), upgates_host::keyvalue::StoreError> {
        self.saw(key);
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), upgates_host::keyvalue::StoreError> {
        self.saw(key);
        Ok(())
    }

    fn increment(&self, key: &str, delta: u64) -> Result<u64, upgates_host::keyvalue::StoreError> {
        self.saw(key);
        Ok(delta)
    }
}

/// Eight new keys of a mebibyte each, incremented: the store is handed each as its SHA-256
/// (64 hex digits; a key over 128 bytes is not kept as it came), distinct keys stay
/// distinct; the shop's own in-memory store holds as few.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyvalue_keys_are_bounded_in_size() {
    let seen = Arc::new(KeysSeen::default());
    let (outcome, _, fake) = attack("kv-huge-keys", Some(seen.clone())).await;
    assert_eq!(outcome, Ok("counted 8".into()));
    let keys = seen.0.lock().unwrap().clone();
    assert_eq!(keys.len(), 8);
    assert!(keys.iter().all(|k| k.len() == 64), "{keys:?}");
    let distinct: std::collections::HashSet<_> = keys.iter().collect();
    assert_eq!(distinct.len(), 8, "distinct keys stay distinct");
    assert!(fake.requests().is_empty());
    assert_eq!(upgates_host::keyvalue::MAX_KEY_BYTES, 128);

    // The default store: the shop's state in memory.
    let fake = sample_shop();
    let shop = in_process(&fake);
    let outcome = hostile()
        .call(
            &shop,
            ActionName::ReplaceNote,
            &input(json!({"order": "1", "text": "kv-huge-keys"})),
        )
        .await
        .unwrap();
    assert_eq!(outcome, Err(Failure::Upstream("counted 8".into())));
    let counters = shop.policy.counters();
    assert_eq!(counters.len(), 8);
    assert!(counters.keys().iter().all(|k| k.len() == 64));
}

/// `set` is refused, whatever the value (a mebibyte of digits, text, a number): the component
/// only counts up, and a `set` could write any count over the shop's failed checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyvalue_set_is_refused() {
    let fake = sample_shop();
    let shop = in_process(&fake);
    let outcome = hostile()
        .call(
            &shop,
            ActionName::ReplaceNote,
            &input(json!({"order": "1", "text": "kv-huge-value"})),
        )
        .await
        .unwrap();
    assert_eq!(
        outcome,
        Err(Failure::Upstream(
            "huge false, text false, number false".into()
        ))
    );
    assert!(shop.policy.counters().is_empty());
}

/// A thousand new keys in one call: the call's store operations stop at 16 (the open and
/// 15 increments), so a call adds at most that many keys to the shop's store, whose key
/// count is bounded besides (`upgates_core::MAX_TRACKED_KEYS`). The next call has its own
/// budget, and the real component still counts its checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calls_keyvalue_operations_are_bounded() {
    let fake = sample_shop();
    let shop = in_process(&fake);
    let fill_input = input(json!({"order": "1", "text": "kv-fill"}));
    let fill = || hostile().call(&shop, ActionName::ReplaceNote, &fill_input);
    assert_eq!(
        fill().await.unwrap(),
        Err(Failure::Upstream("stored 15".into()))
    );
    assert_eq!(shop.policy.counters().len(), 15);
    assert_eq!(upgates_host::keyvalue::MAX_OPERATIONS_PER_CALL, 16);
    assert_eq!(
        fill().await.unwrap(),
        Err(Failure::Upstream("stored 15".into()))
    );
    assert_eq!(shop.policy.counters().len(), 15, "the same keys again");
    assert!(fake.requests().is_empty());

    // The component's own check fits in a call's budget, on the same store.
    let mut shop = shop;
    shop.config.guardrails.verify_attempts = 1;
    let wrong = json!({"order": "2025000123", "email": "x@example.cz"});
    for attempt in 1..=2 {
        let answer = runtime()
            .call(&shop, ActionName::VerifyCustomer, &input(wrong.clone()))
            .await
            .unwrap();
        assert_eq!(answer, Err(Failure::NotVerified), "check {attempt}");
    }
    assert_eq!(
        fake.requests().len(),
        1,
        "the second check was refused unasked"
    );
}

/// Another bucket than `""` (Spin's `default`, say): `no-such-store`; and the keys of the
/// shop's store cannot be listed (they are order numbers checked lately).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_shops_bucket_opens_and_its_keys_are_not_listed() {
    let (outcome, _, fake) = attack("kv-other-store", None).await;
    assert_eq!(outcome, Ok("Error::NoSuchStore".into()));
    let (outcome, _, _) = attack("kv-list", None).await;
    assert_eq!(outcome, Ok("Error::AccessDenied".into()));
    assert!(fake.requests().is_empty());
}

/// The CLI's files: a hostile call names at most 15 keys, so it creates at most 15 files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clis_files_are_bounded_per_call() {
    let dir = tempfile::tempdir().unwrap();
    let files = upgates_cli::attempt_files::FileCounters::new(
        dir.path().join("attempts"),
        &upgates_core::ShopConfig::new("https://demo.admin.s1.upgates.com/api/v2", "l", "k", "420")
            .unwrap(),
    );
    let (outcome, _, _) = attack("kv-fill", Some(Arc::new(files))).await;
    assert_eq!(outcome, Ok("stored 15".into()));
    let contents: Vec<_> = std::fs::read_dir(dir.path().join("attempts"))
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert_eq!(contents, vec!["00000000000000000001"; 15]);
}

/// Writes no action sends, on paths the actions write to: `PUT /orders` with the customer's
/// e-mail and address, a history record with a key of its own. Refused before anything is
/// sent; the actions' own writes (the case table's) go through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_bodies_no_action_sends_are_refused() {
    for what in ["put-customer-fields", "post-history-extra"] {
        let (outcome, _, fake) = attack(what, None).await;
        assert_eq!(outcome, Ok("denied".to_owned()), "{what}");
        assert!(fake.requests().is_empty(), "{what}: {:?}", fake.requests());
    }
}

/// Requests to the shop's own origin that no action sends: refused before anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_no_action_sends_are_refused() {
    for what in ["delete-order", "put-customers", "post-orders"] {
        let (outcome, _, fake) = attack(what, None).await;
        assert_eq!(outcome, Ok("denied".to_owned()), "{what}");
        assert!(fake.requests().is_empty(), "{what}: {:?}", fake.requests());
    }
}

/// The host authenticates the component's requests itself: an `Authorization` the component
/// sets is replaced by the shop's, so it can neither read the key nor send another one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_replaces_the_components_authorization() {
    let (outcome, _, fake) = attack("own-authorization", None).await;
    assert_eq!(outcome, Ok("sent: HTTP 200".to_owned()));
    let requests = fake.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].path, "/api/v2/orders/2025000123");
    let authorization: Vec<_> = requests[0]
        .headers
        .iter()
        .filter(|(name, _)| name == "authorization")
        .map(|(_, value)| value.as_str())
        .collect();
    // base64("demo:demo-key-4f1c2a9e"), the sample shop's user.
    assert_eq!(authorization, ["Basic ZGVtbzpkZW1vLWtleS00ZjFjMmE5ZQ=="]);
}

/// Sixteen `PUT orders` handed to the host at once, then a mebibyte written into each body: the
/// host works on two of a call's requests at a time, so the third body's writer waits (the
/// call ends at its deadline) instead of the host holding 16 MiB of bodies; nothing reaches
/// the shop, whose writes never finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calls_open_request_bodies_are_read_two_at_a_time() {
    let fake = sample_shop();
    let mut shop = in_process(&fake);
    shop.policy.call_timeout = Duration::from_secs(2);
    let runtime = hostile();
    let started = Instant::now();
    let outcome = runtime
        .call(
            &shop,
            ActionName::ReplaceNote,
            &input(json!({"order": "1", "text": "open-bodies"})),
        )
        .await
        .unwrap();
    assert_eq!(outcome, Err(Failure::Timeout));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    assert_eq!(upgates_host::for_tests::MAX_SENDS_PER_CALL, 2);
}
