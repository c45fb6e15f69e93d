//! The performance numbers of docs/performance.md: `cargo bench -p upgates-host`.
//!
//! Criterion benchmarks (medians in the summary printed at the end):
//! - `verify_order/wasm_pooling`, `verify_order/wasm_on_demand`: a fresh instance (a new
//!   `Store`, `InstancePre::instantiate_async`) plus one `verify-order` call through wasi:http
//!   to the in-process fake shop, pinned clock, host GET cache off;
//! - `verify_order/native`: the same action compiled natively (`upgates_core::Shop`) against the
//!   same fake, straight (`FakeUpstream`: no cache, limiter, single flight or origin check);
//! - `verify_order/native_through_policy`: the same, through the host's HTTP layer (the
//!   `HttpPolicy` the component's requests take, GET cache off as for the component);
//! - `verify_order/wasm_pooling_no_request` (an invalid order number: instance + call, the
//!   guest answers without a request) and `verify_order/fake_shop_only` (the fake answering the
//!   GET, no client at all): where the time goes;
//! - `throughput/wasm_pooling`, `throughput/wasm_on_demand`: `verify-order` calls from
//!   `TASKS` tasks on a multi-thread runtime with one worker per core;
//! - `load/cranelift_compile`, `load/deserialize_file`: the component compiled vs. loaded
//!   from a precompiled `.cwasm`;
//! - `cli_cold_start/cached`, `cli_cold_start/compile`: the release `upgates` binary from
//!   process start to its answer, against the fake on a loopback port, with the precompiled
//!   cache (warm) and with `--no-cache`;
//! - `scenario/cache_off`, `scenario/cache_on`: the demo conversation on one order
//!   (`tests/support/conversation.rs`, six actions and a final `verify-order`) with the host's
//!   GET cache off and on (30 s), audit trail on (the default).
//!
//! Printed before them (not timings): the component's size, the peak linear memory per call
//! of each action, the host's RSS with 100 calls in flight (measured in a child process per
//! allocator so earlier benchmarks don't blur it), and the demo conversation's upstream
//! requests with the cache off and on.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::future::Future;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, SamplingMode, Throughput};
use http_body_util::{BodyExt, Full};
use upgates_core::{
    ActionInput, ActionName, Answer, ApiRequest, ApiResponse, Failure, Shop, TransportError,
    Upstream,
};
use upgates_fake_shop::{FakeShop, SAMPLE_KEY, SAMPLE_LOGIN};
use upgates_host::{
    Allocator, HttpPolicy, PLUGIN_WASM, PluginRuntime, PrecompiledCache, RuntimeOptions,
    ShopConnection,
};
use wasmtime_wasi_http::WasiHttpHooks;

use support::{API_URL, FakeUpstream, api_response, config, http_request, now};

const ORDER: &str = "2025000123";
/// The host's default GET cache TTL, for the conversation with the cache on.
const CONVERSATION_CACHE_TTL: Duration = Duration::from_secs(30);
/// Concurrent tasks in the throughput benchmark.
const TASKS: usize = 8;
/// Calls in flight for the host memory measurement.
const IN_FLIGHT: usize = 100;
/// Set in the child process that measures RSS: `pooling` or `on-demand`.
const RSS_CHILD_ENV: &str = "UPGATES_BENCH_RSS_CHILD";
/// A component file to measure instead of the embedded one.
const BENCH_WASM_ENV: &str = "UPGATES_BENCH_WASM";
/// Only run this many calls in a loop, for a profiler (see [`profile_loop`]).
const PROFILE_ENV: &str = "UPGATES_BENCH_PROFILE";

/// The sample shop without the fake's own quota getting in the way of millions of calls.
fn fake() -> FakeShop {
    let fake = FakeShop::sample(now());
    fake.set_quota(u32::MAX, u32::MAX);
    fake
}

/// The shop behind the component's HTTP hook, answered in-process by `fake`; the host's GET
/// cache off, so every call reaches the fake like the native run does.
fn in_process(fake: &FakeShop) -> ShopConnection {
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

fn verify_order() -> ActionInput {
    ActionInput {
        order: Some(ORDER.into()),
        ..Default::default()
    }
}

/// The component under test: the embedded one, or the file `UPGATES_BENCH_WASM` names (to
/// compare builds, e.g. another `opt-level`, without rebuilding the host). The CLI benchmark
/// always runs the binary's embedded component.
fn wasm() -> &'static [u8] {
    static WASM: OnceLock<Vec<u8>> = OnceLock::new();
    WASM.get_or_init(|| match std::env::var_os(BENCH_WASM_ENV) {
        Some(path) => std::fs::read(&path).unwrap(),
        None => PLUGIN_WASM.to_vec(),
    })
}

fn runtime(allocator: Allocator) -> PluginRuntime {
    let options = RuntimeOptions {
        allocator,
        ..RuntimeOptions::default()
    };
    PluginRuntime::with_options(wasm(), &options).unwrap()
}

fn pooling() -> Allocator {
    Allocator::default()
}

/// One `verify-order` (or, with an invalid order number, one call answered without a
/// request) through a fresh instance of the component.
async fn wasm_call(
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
async fn native_call(
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
struct ThroughPolicy(HttpPolicy);

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
async fn native_policy_call(
    config: &upgates_core::ShopConfig,
    shop: &ShopConnection,
    input: &ActionInput,
) -> Result<Answer, Failure> {
    let native = Shop::new(config.clone(), ThroughPolicy(shop.policy.clone()));
    upgates_core::run(&native, ActionName::VerifyOrder, input).await
}

/// The fake answering the component's GET, with no client at all.
fn fake_get(fake: &FakeShop, auth: &str) -> http::Response<Bytes> {
    let request = http::Request::get(format!("{API_URL}/orders/{ORDER}"))
        .header("authorization", auth)
        .body(Bytes::new())
        .unwrap();
    let response = fake.handle(request);
    fake.clear_requests();
    response
}

/// How long `iters` calls of `call` take, one after another on `rt`.
fn timed<F, Fut>(rt: &tokio::runtime::Runtime, iters: u64, mut call: F) -> Duration
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

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn bench_verify_order(c: &mut Criterion) {
    let rt = current_thread();
    let input = verify_order();
    let mut group = c.benchmark_group("verify_order");
    for (name, allocator) in [
        ("wasm_pooling", pooling()),
        ("wasm_on_demand", Allocator::OnDemand),
    ] {
        let runtime = runtime(allocator);
        let fake = fake();
        let shop = in_process(&fake);
        let answer = rt.block_on(wasm_call(&runtime, &shop, &input));
        assert!(answer.is_ok(), "{answer:?}");
        group.bench_function(name, |b| {
            b.iter_custom(|iters| timed(&rt, iters, || wasm_call(&runtime, &shop, &input)));
        });
    }
    // The parts: an instance and a call the guest answers without a request (an invalid
    // order number), and the fake shop answering the GET natively (both paths pay that).
    let runtime = runtime(pooling());
    let fake = fake();
    let shop = in_process(&fake);
    let invalid = ActionInput {
        order: Some("#1".into()),
        ..Default::default()
    };
    let answer = rt.block_on(wasm_call(&runtime, &shop, &invalid));
    assert!(
        matches!(answer, Err(Failure::InvalidInput(_))),
        "{answer:?}"
    );
    group.bench_function("wasm_pooling_no_request", |b| {
        b.iter_custom(|iters| timed(&rt, iters, || wasm_call(&runtime, &shop, &invalid)));
    });
    let auth = basic_auth();
    assert_eq!(fake_get(&fake, &auth).status(), 200);
    group.bench_function("fake_shop_only", |b| {
        b.iter(|| black_box(fake_get(&fake, &auth)));
    });
    let config = config(API_URL);
    let answer = rt.block_on(native_call(&config, &fake, &input));
    assert!(answer.is_ok(), "{answer:?}");
    group.bench_function("native", |b| {
        b.iter_custom(|iters| timed(&rt, iters, || native_call(&config, &fake, &input)));
    });
    let shop = in_process(&fake);
    let answer = rt.block_on(native_policy_call(&config, &shop, &input));
    assert!(answer.is_ok(), "{answer:?}");
    group.bench_function("native_through_policy", |b| {
        b.iter_custom(|iters| timed(&rt, iters, || native_policy_call(&config, &shop, &input)));
    });
    group.finish();
}

fn bench_throughput(c: &mut Criterion) {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("throughput");
    group.throughput(Throughput::Elements(1));
    for (name, allocator) in [
        ("wasm_pooling", pooling()),
        ("wasm_on_demand", Allocator::OnDemand),
    ] {
        let runtime = runtime(allocator);
        // A shop (and fake) per task: a platform's calls go to many shops, and one fake's
        // mutex would otherwise be what is measured.
        let shops: Vec<ShopConnection> = (0..TASKS).map(|_| in_process(&fake())).collect();
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    let tasks: Vec<_> = shops
                        .iter()
                        .enumerate()
                        .map(|(i, shop)| {
                            let calls =
                                iters / TASKS as u64 + u64::from((i as u64) < iters % TASKS as u64);
                            let (runtime, shop) = (runtime.clone(), shop.clone());
                            tokio::spawn(async move {
                                let input = verify_order();
                                for _ in 0..calls {
                                    let answer = runtime
                                        .call(&shop, ActionName::VerifyOrder, &input)
                                        .await
                                        .unwrap();
                                    black_box(answer.unwrap());
                                }
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.unwrap();
                    }
                    start.elapsed()
                })
            });
        });
    }
    group.finish();
}

/// The cache scenario: upstream requests of the demo conversation, cache off and on.
fn report_conversation(rt: &tokio::runtime::Runtime, runtime: &PluginRuntime) {
    println!("demo conversation (6 actions on one order; upstream requests, cache off -> on):");
    for (audit, label) in [
        (false, "audit trail off"),
        (true, "audit trail on (default)"),
    ] {
        let count = |ttl| {
            rt.block_on(support::conversation::run(runtime, ttl, audit))
                .0
                .len()
        };
        let (off, on) = (count(Duration::ZERO), count(CONVERSATION_CACHE_TTL));
        println!(
            "  {label:<25} {off:>2} -> {on:>2}  ({:.0} % fewer)",
            100.0 * (off as f64 - on as f64) / off as f64
        );
    }
}

/// The demo conversation timed with the GET cache off and on.
fn bench_scenario(c: &mut Criterion) {
    let rt = current_thread();
    let runtime = runtime(pooling());
    let mut group = c.benchmark_group("scenario");
    group.sample_size(30);
    for (name, ttl) in [
        ("cache_off", Duration::ZERO),
        ("cache_on", CONVERSATION_CACHE_TTL),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| rt.block_on(support::conversation::run(&runtime, ttl, true)))
        });
    }
    group.finish();
}

fn bench_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    let options = RuntimeOptions::default();
    let engine = runtime(options.allocator).engine().clone();
    group.bench_function("cranelift_compile", |b| {
        b.iter(|| black_box(wasmtime::component::Component::new(&engine, wasm()).unwrap()));
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = PrecompiledCache::new(dir.path());
    cache.load_or_compile(&engine, wasm()).unwrap();
    let path = cache.path_for(&engine, wasm());
    group.bench_function("deserialize_file", |b| {
        b.iter(|| {
            // SAFETY: a file this benchmark's own engine just wrote into its own temp dir.
            black_box(unsafe {
                wasmtime::component::Component::deserialize_file(&engine, &path).unwrap()
            })
        });
    });
    group.finish();
}

/// The release `upgates` binary cargo built for this bench.
fn cli_binary() -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_BIN_EXE_upgates"));
    path.is_file().then_some(path)
}

fn cli(binary: &Path, api_url: &str, cache_dir: &Path, cached: bool) -> Command {
    let mut cmd = Command::new(binary);
    cmd.args(["verify-order", "--order", ORDER])
        .env_clear()
        .env("UPGATES_API_URL", api_url)
        .env("UPGATES_API_LOGIN", SAMPLE_LOGIN)
        .env("UPGATES_API_KEY", SAMPLE_KEY)
        .env("UPGATES_CACHE_DIR", cache_dir);
    if !cached {
        cmd.arg("--no-cache");
    }
    cmd
}

fn run_cli(mut cmd: Command) {
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("\"ok\":true"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn bench_cli_cold_start(c: &mut Criterion) {
    let Some(binary) = cli_binary() else {
        println!(
            "cli_cold_start: skipped, {} is not built (cargo bench builds it; run `cargo build --release -p upgates-host`)",
            env!("CARGO_BIN_EXE_upgates")
        );
        return;
    };
    let fake = fake();
    let server = fake.serve_in_thread().unwrap();
    let api_url = server.api_url();
    let cache_dir = tempfile::tempdir().unwrap();
    // Warm the cache once (a miss writes the file).
    run_cli(cli(&binary, &api_url, cache_dir.path(), true));
    let mut group = c.benchmark_group("cli_cold_start");
    group.sample_size(30);
    group.bench_function("cached", |b| {
        b.iter(|| run_cli(cli(&binary, &api_url, cache_dir.path(), true)));
    });
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("compile", |b| {
        b.iter(|| run_cli(cli(&binary, &api_url, cache_dir.path(), false)));
    });
    group.finish();
}

/// Every action once, in the demo's order, on the sample shop.
fn all_actions() -> Vec<(ActionName, ActionInput)> {
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

/// Other work on the machine skews the timings: printed at the start and the end.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn report_footprint() {
    println!("== footprint ==");
    println!("load average at the start: {}", load_average());
    let size = wasm().len();
    println!(
        "component size: {size} B = {:.1} KiB (target < 300 KiB)",
        size as f64 / 1024.0
    );
    let runtime = runtime(pooling());
    match runtime.engine().precompile_component(wasm()) {
        Ok(cwasm) => println!(
            "precompiled .cwasm size: {} B = {:.1} KiB",
            cwasm.len(),
            cwasm.len() as f64 / 1024.0
        ),
        Err(e) => println!("precompiled .cwasm size: failed: {e:#}"),
    }
    let rt = current_thread();
    let fake = fake();
    let shop = in_process(&fake);
    println!("peak linear memory per call (largest memory created or grown to):");
    for (action, input) in all_actions() {
        runtime.reset_peak_memory();
        let answer = rt.block_on(runtime.call(&shop, action, &input)).unwrap();
        let peak = runtime.peak_memory();
        println!(
            "  {:<17} {:>9} B = {:>6.2} MiB  ({})",
            action.as_str(),
            peak,
            peak as f64 / (1 << 20) as f64,
            if answer.is_ok() { "Ano" } else { "Ne" }
        );
    }
    report_conversation(&rt, &runtime);
    for allocator in ["pooling", "on-demand"] {
        let out = Command::new(std::env::current_exe().unwrap())
            .env(RSS_CHILD_ENV, allocator)
            .output()
            .unwrap();
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            println!(
                "  host RSS ({allocator}): the measuring process failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// In a child process: RSS before and with `IN_FLIGHT` verify-order calls all waiting on the
/// (in-process) shop, each with its own instance and store.
fn rss_child(allocator_name: &str) {
    let allocator = match allocator_name {
        "on-demand" => Allocator::OnDemand,
        _ => pooling(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let runtime = runtime(allocator);
    let fake = fake();
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let arrived = Arc::new(AtomicUsize::new(0));
    let shop = |gated: bool| {
        let (fake, gate, arrived) = (fake.clone(), gate.clone(), arrived.clone());
        let mut shop = in_process(&fake);
        shop.policy = shop
            .policy
            .isolated()
            .with_in_process_async(Arc::new(move |req| {
                let (fake, gate, arrived) = (fake.clone(), gate.clone(), arrived.clone());
                Box::pin(async move {
                    if gated {
                        arrived.fetch_add(1, Ordering::SeqCst);
                        // Closed to release everyone at once.
                        let _ = gate.acquire().await;
                    }
                    fake.handle(req)
                })
            }));
        shop
    };
    let input = verify_order();
    // Warm up: the component's first instantiation, the runtime's threads.
    let warm = shop(false);
    for _ in 0..10 {
        rt.block_on(runtime.call(&warm, ActionName::VerifyOrder, &input))
            .unwrap()
            .unwrap();
    }
    std::thread::sleep(Duration::from_millis(200));
    let before = rss_kib();
    let calls: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let (runtime, shop, input) = (runtime.clone(), shop(true), input.clone());
            rt.spawn(async move { runtime.call(&shop, ActionName::VerifyOrder, &input).await })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while arrived.load(Ordering::SeqCst) < IN_FLIGHT && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let during = rss_kib();
    let in_flight = arrived.load(Ordering::SeqCst);
    gate.close();
    let answered = rt.block_on(async {
        let mut ok = 0;
        for call in calls {
            if matches!(call.await, Ok(Ok(Ok(_)))) {
                ok += 1;
            }
        }
        ok
    });
    let after = rss_kib();
    let delta = during.saturating_sub(before);
    println!(
        "host RSS with {in_flight} calls in flight ({allocator_name}): {before} KiB idle -> {during} KiB, +{delta} KiB = {:.1} KiB per call; {after} KiB after ({answered} answered)",
        delta as f64 / in_flight.max(1) as f64
    );
}

/// Medians from criterion's estimates (written under its output directory).
fn summary() {
    let dir = std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR").map(|t| PathBuf::from(t).join("criterion"))
        })
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
                .join("criterion")
        });
    let median_ns = |id: &str| -> Option<f64> {
        let text = std::fs::read_to_string(dir.join(id).join("new").join("estimates.json")).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        json["median"]["point_estimate"].as_f64()
    };
    println!("== summary (medians of this run; {}) ==", dir.display());
    println!("load average now: {}", load_average());
    let show = |label: &str, id: &str| {
        if let Some(ns) = median_ns(id) {
            println!("{label:<44} {:>12.1} µs", ns / 1e3);
        }
    };
    show(
        "instantiate + verify-order, pooling",
        "verify_order/wasm_pooling",
    );
    show(
        "instantiate + verify-order, on-demand",
        "verify_order/wasm_on_demand",
    );
    show("verify-order natively", "verify_order/native");
    show(
        "verify-order natively, host HTTP layer",
        "verify_order/native_through_policy",
    );
    show(
        "instantiate + call answered without a request",
        "verify_order/wasm_pooling_no_request",
    );
    show(
        "the fake shop answering the GET",
        "verify_order/fake_shop_only",
    );
    for (label, native) in [
        ("wasm (pooling) / native", "verify_order/native"),
        (
            "wasm (pooling) / native, host HTTP layer",
            "verify_order/native_through_policy",
        ),
    ] {
        if let (Some(wasm), Some(native)) =
            (median_ns("verify_order/wasm_pooling"), median_ns(native))
        {
            println!("{label:<44} {:>12.2} x", wasm / native);
        }
    }
    for (label, id) in [
        ("throughput, pooling", "throughput/wasm_pooling"),
        ("throughput, on-demand", "throughput/wasm_on_demand"),
    ] {
        if let Some(ns) = median_ns(id) {
            println!("{label:<44} {:>12.0} calls/s", 1e9 / ns);
        }
    }
    for (label, id) in [
        (
            "Cranelift compile of the component",
            "load/cranelift_compile",
        ),
        ("Component::deserialize_file", "load/deserialize_file"),
        ("CLI cold start, precompiled cache", "cli_cold_start/cached"),
        ("CLI cold start, --no-cache", "cli_cold_start/compile"),
        ("demo conversation, GET cache off", "scenario/cache_off"),
        ("demo conversation, GET cache on", "scenario/cache_on"),
    ] {
        if let Some(ns) = median_ns(id) {
            println!("{label:<44} {:>12.2} ms", ns / 1e6);
        }
    }
}

/// `UPGATES_BENCH_PROFILE=<what>:<calls>`: only run that many `verify-order` calls in a loop
/// and exit, a steady workload for `perf record` or `valgrind --tool=callgrind` without
/// criterion or the compile in the way (the component is compiled before the loop). `<what>`:
/// `wasm` (pooling, the in-process fake, as `verify_order/wasm_pooling`), `native` (as
/// `verify_order/native`), `native-policy` (as `verify_order/native_through_policy`) or
/// `fake` (as `verify_order/fake_shop_only`).
fn profile_loop(spec: &str) {
    let (what, calls) = spec.split_once(':').unwrap_or(("wasm", spec));
    let calls: u64 = calls.parse().expect("UPGATES_BENCH_PROFILE=<what>:<calls>");
    let rt = current_thread();
    let fake = fake();
    let input = verify_order();
    let elapsed = match what {
        "native" => {
            let config = config(API_URL);
            timed(&rt, calls, || native_call(&config, &fake, &input))
        }
        "native-policy" => {
            let config = config(API_URL);
            let shop = in_process(&fake);
            timed(&rt, calls, || native_policy_call(&config, &shop, &input))
        }
        "fake" => {
            let auth = basic_auth();
            timed(&rt, calls, || async { fake_get(&fake, &auth) })
        }
        _ => {
            let runtime = runtime(pooling());
            let shop = in_process(&fake);
            timed(&rt, calls, || wasm_call(&runtime, &shop, &input))
        }
    };
    eprintln!("{calls} calls ({what}): {elapsed:?}");
}

fn basic_auth() -> String {
    use base64::Engine as _;
    let credentials = format!("{SAMPLE_LOGIN}:{SAMPLE_KEY}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    )
}

fn main() {
    if let Ok(allocator) = std::env::var(RSS_CHILD_ENV) {
        rss_child(&allocator);
        return;
    }
    if let Ok(spec) = std::env::var(PROFILE_ENV) {
        profile_loop(&spec);
        return;
    }
    // `cargo bench -- <filter>`: the footprint report runs with no filter or `footprint`.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if filter.as_deref().is_none_or(|f| "footprint".contains(f)) {
        report_footprint();
    }
    let mut c = Criterion::default().configure_from_args();
    bench_verify_order(&mut c);
    bench_throughput(&mut c);
    bench_load(&mut c);
    bench_cli_cold_start(&mut c);
    bench_scenario(&mut c);
    c.final_summary();
    summary();
}
