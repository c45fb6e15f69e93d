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
    attempts: Option<Arc<dyn upgates_host::attempt_store::AttemptStore>>,
) -> (Result<String, String>, Duration, FakeShop) {
    let fake = sample_shop();
    let mut shop = in_process(&fake);
    shop.policy.call_timeout = Duration::from_secs(10);
    shop.attempts = attempts;
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

/// What an attempt store was handed: every key.
#[derive(Debug, Default)]
struct KeysSeen(std::sync::Mutex<Vec<String>>);

impl upgates_host::attempt_store::AttemptStore for KeysSeen {
    fn begin_check(&self, key: &str, _limit: u32, _window: Duration) -> bool {
        self.0.lock().unwrap().push(key.to_owned());
        true
    }

    fn withdraw_check(&self, key: &str, _window: Duration) {
        self.0.lock().unwrap().push(key.to_owned());
    }
}

/// A mebibyte-long new attempt key per check, 32 times: the store is handed at most a few
/// keys per call, each at most 64 bytes (a long key is kept as its SHA-256); the shop's
/// own in-memory store holds as few.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempt_keys_are_bounded_in_size_and_number() {
    let seen = Arc::new(KeysSeen::default());
    let (outcome, _, _) = attack("attempt-keys", Some(seen.clone())).await;
    assert_eq!(outcome, Ok("begun 4".into()));
    let keys = seen.0.lock().unwrap().clone();
    assert_eq!(keys.len(), 4);
    assert!(keys.iter().all(|k| k.len() == 64), "{keys:?}");
    let distinct: std::collections::HashSet<_> = keys.iter().collect();
    assert_eq!(distinct.len(), 4, "distinct keys stay distinct");

    // The default store: the shop's state in memory.
    let fake = sample_shop();
    let shop = in_process(&fake);
    let outcome = hostile()
        .call(
            &shop,
            ActionName::ReplaceNote,
            &input(json!({"order": "1", "text": "attempt-keys"})),
        )
        .await
        .unwrap();
    assert_eq!(outcome, Err(Failure::Upstream("begun 4".into())));
    assert_eq!(shop.policy.attempts().len(), 4);
}

/// What an attempt store was handed, begins and withdraws apart.
#[derive(Debug, Default)]
struct BeginsAndWithdraws {
    begun: std::sync::Mutex<Vec<String>>,
    withdrawn: std::sync::Mutex<Vec<String>>,
}

impl upgates_host::attempt_store::AttemptStore for BeginsAndWithdraws {
    fn begin_check(&self, key: &str, _limit: u32, _window: Duration) -> bool {
        self.begun.lock().unwrap().push(key.to_owned());
        true
    }

    fn withdraw_check(&self, key: &str, _window: Duration) {
        self.withdrawn.lock().unwrap().push(key.to_owned());
    }
}

/// A thousand withdraws of keys no check of the call began, then one begun key withdrawn
/// twice: the store is handed the one withdraw of the key that began, so a component can
/// neither take back others' failed checks nor have the CLI open a file per key it names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_calls_own_checks_are_withdrawn() {
    let store = Arc::new(BeginsAndWithdraws::default());
    let (outcome, _, fake) = attack("withdraw-keys", Some(store.clone())).await;
    assert_eq!(outcome, Ok("begun true".into()));
    assert_eq!(*store.begun.lock().unwrap(), ["2025000123"]);
    assert_eq!(*store.withdrawn.lock().unwrap(), ["2025000123"]);
    assert!(fake.requests().is_empty());

    // The CLI's files: one, for the key that began, and it holds no check.
    let dir = tempfile::tempdir().unwrap();
    let files = upgates_cli::attempt_files::FileAttempts::new(
        dir.path().join("attempts"),
        &upgates_core::ShopConfig::new("https://demo.admin.s1.upgates.com/api/v2", "l", "k", "420")
            .unwrap(),
    );
    let (outcome, _, _) = attack("withdraw-keys", Some(Arc::new(files))).await;
    assert_eq!(outcome, Ok("begun true".into()));
    let names: Vec<_> = std::fs::read_dir(dir.path().join("attempts"))
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert_eq!(names, ["[]"]);
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
