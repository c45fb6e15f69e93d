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
