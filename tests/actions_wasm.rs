//! The action table through the real component: wasm, the HTTP hook's policy, the fake shop
//! in-process; plus what only the host can show (denied hosts, real loopback HTTP, the world).

use crate::support;

use serde_json::{Value, json};
use support::{Sent, cases, in_process, run_wasm, runtime, sample_shop, sent};
use upgates_core::{ActionInput, ActionName, Failure};
use upgates_fake_shop::FakeShop;
use upgates_host::{Allocator, PLUGIN_WASM, PluginRuntime, RuntimeOptions, ShopConnection};

#[tokio::test(flavor = "multi_thread")]
async fn every_case_through_the_component() {
    for case in cases::all() {
        let shop = sample_shop();
        (case.setup)(&shop);
        let answer = run_wasm(&shop, case.action, &case.input()).await;
        support::check(&case, &shop, &answer);
    }
}

fn order(n: &str) -> ActionInput {
    ActionInput {
        order: Some(n.into()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_other_than_the_shop_is_denied() {
    let fake = sample_shop();
    let mut shop = in_process(&fake);
    // The component is told one URL, the policy allows another: nothing may leave.
    shop.config.api_url = "https://evil.example/api/v2".into();
    let result = runtime()
        .call(&shop, ActionName::VerifyOrder, &order("2025000123"))
        .await
        .unwrap();
    assert_eq!(
        result,
        Err(Failure::Misconfigured(
            "the host does not allow requests to this API URL".into()
        ))
    );
    assert!(fake.requests().is_empty());
    // The same host still answers the next call.
    let ok = runtime()
        .call(
            &in_process(&fake),
            ActionName::VerifyOrder,
            &order("2025000123"),
        )
        .await
        .unwrap();
    assert!(ok.is_ok());
}

/// The on-demand allocator (no pool; what the runtime falls back to when the pool cannot
/// reserve its address space) answers like the pool, within a smaller memory limit too.
#[tokio::test(flavor = "multi_thread")]
async fn the_on_demand_allocator_answers_like_the_pool() {
    let options = RuntimeOptions {
        allocator: Allocator::OnDemand,
        memory_limit: 4 << 20,
        cache: None,
    };
    let on_demand = PluginRuntime::with_options(PLUGIN_WASM, &options).unwrap();
    assert_eq!(on_demand.allocator(), Allocator::OnDemand);
    for action in [ActionName::VerifyOrder, ActionName::OrderDetail] {
        let input = ActionInput {
            email: Some("jana.novakova@example.cz".into()),
            ..order("2025000123")
        };
        let fake = sample_shop();
        let expected = runtime()
            .call(&in_process(&fake), action, &input)
            .await
            .unwrap();
        assert!(expected.is_ok(), "{expected:?}");
        let answer = on_demand
            .call(&in_process(&fake), action, &input)
            .await
            .unwrap();
        assert_eq!(answer, expected, "{}", action.as_str());
    }
}

/// `action` through the component to `fake` served over real HTTP on a loopback port; the
/// bot's JSON.
async fn over_loopback(fake: &FakeShop, action: ActionName, input: &ActionInput) -> Value {
    let server = fake.serve().await.unwrap();
    let mut shop = ShopConnection::new(support::config(&server.api_url())).unwrap();
    // One process runs every test: a port used again must not find another test's cache.
    shop.policy = shop.policy.isolated();
    shop.fixed_time = Some(support::now());
    let result = runtime().call(&shop, action, input).await.unwrap();
    upgates_core::render(&result)
}

#[tokio::test(flavor = "multi_thread")]
async fn real_http_on_loopback() {
    let fake = sample_shop();
    let input = ActionInput {
        order: Some("2025000124".into()),
        email: Some("jana.novakova@example.cz".into()),
        ..Default::default()
    };
    assert_eq!(
        over_loopback(&fake, ActionName::OrderDocuments, &input).await,
        json!({"ok": true, "vars": {"invoice": "found", "invoiceurl": "https://demo.admin.s1.upgates.com/invoices/pdf/FV2025001",
                                    "invoicenumber": "FV2025001"}})
    );
    assert_eq!(
        sent(&fake),
        vec![
            Sent::get("/api/v2/orders/2025000124"),
            Sent::get("/api/v2/invoices/FV2025001")
        ]
    );
}

/// The table's invoice case whose GET times out, through the component over real HTTP: the
/// fake holds its answer past the connection's first-byte timeout.
#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_get_that_times_out_over_loopback() {
    let case = cases::invoice_timeout();
    let fake = sample_shop();
    (case.setup)(&fake);
    let server = fake.serve().await.unwrap();
    let mut shop = ShopConnection::new(support::config(&server.api_url())).unwrap();
    // One process runs every test: a port used again must not find another test's cache.
    shop.policy = shop.policy.isolated();
    shop.fixed_time = Some(support::now());
    shop.policy.first_byte_timeout = std::time::Duration::from_millis(300);
    let result = runtime()
        .call(&shop, case.action, &case.input())
        .await
        .unwrap();
    support::check(&case, &fake, &upgates_core::render(&result));
}

/// Over real HTTP (wasmtime-wasi-http and hyper between the component and the shop), a body
/// goes with its `content-length`, never chunked.
#[tokio::test(flavor = "multi_thread")]
async fn writes_over_real_http_carry_their_length() {
    let fake = sample_shop();
    let input = ActionInput {
        order: Some("2025000124".into()),
        text: Some("Doručit po 17:00 👍".into()),
        ..Default::default()
    };
    assert_eq!(
        over_loopback(&fake, ActionName::AppendNote, &input).await,
        json!({"ok": true, "vars": {}})
    );
    let requests = fake.requests();
    let methods: Vec<&str> = requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["GET", "PUT", "POST"]);
    for request in &requests {
        support::check_length("append-note over loopback", request);
        assert_eq!(
            request.header("transfer-encoding"),
            None,
            "{}",
            request.path
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_refused_is_a_typed_failure() {
    // Bind and drop: nothing listens on this port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let shop =
        ShopConnection::new(support::config(&format!("http://127.0.0.1:{port}/api/v2"))).unwrap();
    let result = runtime()
        .call(&shop, ActionName::VerifyOrder, &order("1"))
        .await
        .unwrap();
    assert_eq!(
        result,
        Err(Failure::Upstream(
            "request failed: connection refused".into()
        ))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_input_never_reaches_the_component() {
    let fake = sample_shop();
    let result = runtime()
        .call(
            &in_process(&fake),
            ActionName::OrderDetail,
            &order("2025000123"),
        )
        .await
        .unwrap();
    assert_eq!(
        result,
        Err(Failure::InvalidInput(
            "`email` is required for order-detail".into()
        ))
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn the_component_has_exactly_the_plugin_world() {
    let engine = wasmtime::Engine::default();
    let component = wasmtime::component::Component::new(&engine, PLUGIN_WASM).unwrap();
    let ty = component.component_type();
    let exports: Vec<String> = ty
        .exports(&engine)
        .map(|(name, _)| name.to_string())
        .collect();
    assert_eq!(exports, ["upgates:bot/actions@0.2.0"]);
    let imports: Vec<String> = ty
        .imports(&engine)
        .map(|(name, _)| name.to_string())
        .collect();
    for needed in [
        "wasi:config/store@0.2.0-rc.1",
        "wasi:http/outgoing-handler@0.2.12",
        // The failed e-mail checks' counters, at the version wasmtime 48's `-Skeyvalue` has.
        "wasi:keyvalue/store@0.2.0-draft",
        "wasi:keyvalue/atomics@0.2.0-draft",
    ] {
        assert!(
            imports.iter().any(|i| i == needed),
            "{needed} missing from {imports:?}"
        );
    }
    // Standard interfaces only, so stock runtimes run it; and no filesystem and no sockets:
    // std's wasi:cli, clocks, random and io are all it needs besides the above.
    for import in &imports {
        assert!(import.starts_with("wasi:"), "{import}");
        assert!(
            !import.starts_with("wasi:filesystem") && !import.starts_with("wasi:sockets"),
            "{import}"
        );
    }
}

/// The size target of the release component (issue 5): bytes are deterministic for one
/// toolchain, so this is a test, not a benchmark. `docs/performance.md` has the figure.
#[test]
fn the_release_component_is_under_300_kib() {
    let size = upgates_host::PLUGIN_WASM.len();
    assert!(
        size < 300 * 1024,
        "{size} B = {:.1} KiB",
        size as f64 / 1024.0
    );
}
