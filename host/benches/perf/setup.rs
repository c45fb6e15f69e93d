//! What every measurement shares: the sample shop without a quota, the shop behind the
//! component's HTTP hook, the runtime, and one `verify-order` each way (the component, core
//! natively, core through the host's HTTP layer, the fake alone).

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use upgates_core::{
    ActionInput, ActionName, Answer, ApiRequest, ApiResponse, Failure, Shop, TransportError,
    Upstream,
};
use upgates_fake_shop::{FakeShop, SAMPLE_KEY, SAMPLE_LOGIN};
use upgates_host::{
    Allocator, HttpPolicy, PLUGIN_WASM, PluginRuntime, RuntimeOptions, ShopConnection,
};
use upgates_tests::{API_URL, FakeUpstream, api_response, config, http_request, now};
use wasmtime_wasi_http::WasiHttpHooks;

use crate::{BENCH_WASM_ENV, ORDER};

/// The sample shop without the fake's own quota getting in the way of millions of calls.
pub fn fake() -> FakeShop {
    let fake = FakeShop::sample(now());
    fake.set_quota(u32::MAX, u32::MAX);
    fake
}

/// The shop behind the component's HTTP hook, answered in-process by `fake`; the host's GET
/// cache off, so every call reaches the fake like the native run does.
pub fn in_process(fake: &FakeShop) -> ShopConnection {
    let handler = fake.clone();
    let mut shop = ShopConnection::new(config(API_URL)).unwrap();
    let mut policy = shop.policy.isolated().with_in_process(Arc::new(move |req| {
        let response = handler.handle(req);
        handler.clear_requests();
        response
    }));
    policy.cache_ttl = Duration::ZERO;
    policy.code_list_ttl = Duration::ZERO;
    shop.policy = policy;
    shop.fixed_time = Some(now());
    shop
}

pub fn verify_order() -> ActionInput {
    ActionInput {
        order: Some(ORDER.into()),
        ..Default::default()
    }
}

/// The component under test: the embedded one, or the file `UPGATES_BENCH_WASM` names (to
/// compare builds, e.g. another `opt-level`, without rebuilding the host). The CLI benchmark
/// always runs the binary's embedded component.
pub fn wasm() -> &'static [u8] {
    static WASM: OnceLock<Vec<u8>> = OnceLock::new();
    WASM.get_or_init(|| match std::env::var_os(BENCH_WASM_ENV) {
        Some(path) => std::fs::read(&path).unwrap(),
        None => PLUGIN_WASM.to_vec(),
    })
}

pub fn runtime(allocator: Allocator) -> PluginRuntime {
    let options = RuntimeOptions {
        allocator,
        ..RuntimeOptions::default()
    };
    PluginRuntime::with_options(wasm(), &options).unwrap()
}

pub fn pooling() -> Allocator {
    Allocator::default()
}

/// One `verify-order` (or, with an invalid order number, one call answered without a
/// request) through a fresh instance of the component.
pub async fn wasm_call(
    runtime: &PluginRuntime,
    shop: &ShopConnection,
    input: &ActionInput,
) -> Result<Answer, Failure> {
    runtime
        .call(shop, ActionName::VerifyOrder, input)
        .await
        .expect("the component runs to an answer")
}

/// The same action compiled natively against the same fake (a new `Shop` per call, as the
/// component gets a new instance).
pub async fn native_call(
    config: &upgates_core::ShopConfig,
    fake: &FakeShop,
    input: &ActionInput,
) -> Result<Answer, Failure> {
    let shop = Shop::new(config.clone(), FakeUpstream(fake.clone()));
    let answer = upgates_core::run(&shop, ActionName::VerifyOrder, input).await;
    // The tests' transport keeps the fake's request log; a benchmark must not grow it.
    fake.clear_requests();
    answer
}

/// upgates-core's transport over the host's HTTP layer, the layer the component's requests
/// take (origin check, the in-flight limiter, single flight, the GET cache, the rate-limit
/// figures): what a native build of the product would send through. [`FakeUpstream`] goes
/// straight to the fake with none of it.
pub struct ThroughPolicy(HttpPolicy);

impl Upstream for ThroughPolicy {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        let failed = |e: &dyn std::fmt::Display| TransportError::Failed(e.to_string());
        let request = http_request(request)?
            .map(|b| Full::new(b).map_err(|never| match never {}).boxed_unsync());
        let mut policy = self.0.clone();
        let sent = policy.send_request(request, None, Box::new(async { Ok(()) }));
        let (response, _done) = Pin::from(sent).await.map_err(|e| failed(&e))?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| failed(&e))?.to_bytes();
        Ok(api_response(parts.status, &parts.headers, &body))
    }
}

/// The same action natively through the host's HTTP layer to the same in-process fake (the
/// component's path without the component).
pub async fn native_policy_call(
    config: &upgates_core::ShopConfig,
    shop: &ShopConnection,
    input: &ActionInput,
) -> Result<Answer, Failure> {
    let native = Shop::new(config.clone(), ThroughPolicy(shop.policy.clone()));
    upgates_core::run(&native, ActionName::VerifyOrder, input).await
}

/// The fake answering the component's GET, with no client at all.
pub fn fake_get(fake: &FakeShop, auth: &str) -> http::Response<Bytes> {
    let request = http::Request::get(format!("{API_URL}/orders/{ORDER}"))
        .header("authorization", auth)
        .body(Bytes::new())
        .unwrap();
    let response = fake.handle(request);
    fake.clear_requests();
    response
}

/// How long `iters` calls of `call` take, one after another on `rt`.
pub fn timed<F, Fut>(rt: &tokio::runtime::Runtime, iters: u64, mut call: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future,
{
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(call().await);
        }
        start.elapsed()
    })
}

pub fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Every action once, in the demo's order, on the sample shop.
pub fn all_actions() -> Vec<(ActionName, ActionInput)> {
    let input = |json: serde_json::Value| -> ActionInput { serde_json::from_value(json).unwrap() };
    use ActionName::*;
    vec![
        (VerifyOrder, input(serde_json::json!({"order": ORDER}))),
        (
            VerifyCustomer,
            input(serde_json::json!({"order": ORDER, "email": "jana.novakova@example.cz"})),
        ),
        (
            OrderDetail,
            input(serde_json::json!({"order": ORDER, "email": "jana.novakova@example.cz"})),
        ),
        (CustomerEmail, input(serde_json::json!({"order": ORDER}))),
        (
            OrderDocuments,
            input(serde_json::json!({"order": ORDER, "email": "jana.novakova@example.cz"})),
        ),
        (
            OrdersByPhone,
            input(serde_json::json!({"phone": "+420 601 223 344", "days": 3650})),
        ),
        (
            AppendNote,
            input(serde_json::json!({"order": ORDER, "text": "Doručit po 17:00"})),
        ),
        (
            ReplaceNote,
            input(serde_json::json!({"order": ORDER, "text": "Doručit po 17:00"})),
        ),
        (
            SetOrderStatus,
            input(serde_json::json!({"order": ORDER, "status": "Stornovaná", "notify": false})),
        ),
    ]
}

pub fn basic_auth() -> String {
    use base64::Engine as _;
    let credentials = format!("{SAMPLE_LOGIN}:{SAMPLE_KEY}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    )
}
