//! The criterion groups: `verify_order`, `throughput`, `scenario`, `load` and
//! `cli_cold_start`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use upgates_core::{ActionInput, ActionName, Failure};
use upgates_fake_shop::{SAMPLE_KEY, SAMPLE_LOGIN};
use upgates_host::{Allocator, PrecompiledCache, RuntimeOptions, ShopConnection};
use upgates_tests::{API_URL, config};

use crate::setup::{
    basic_auth, current_thread, fake, fake_get, in_process, native_call, native_policy_call,
    pooling, runtime, timed, verify_order, wasm, wasm_call,
};
use crate::{CONVERSATION_CACHE_TTL, ORDER, TASKS};

pub fn bench_verify_order(c: &mut Criterion) {
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

pub fn bench_throughput(c: &mut Criterion) {
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

/// The demo conversation timed with the GET cache off and on.
pub fn bench_scenario(c: &mut Criterion) {
    let rt = current_thread();
    let runtime = runtime(pooling());
    let mut group = c.benchmark_group("scenario");
    group.sample_size(30);
    for (name, ttl) in [
        ("cache_off", Duration::ZERO),
        ("cache_on", CONVERSATION_CACHE_TTL),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| rt.block_on(upgates_tests::conversation::run(&runtime, ttl, true)))
        });
    }
    group.finish();
}

pub fn bench_load(c: &mut Criterion) {
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

/// Where the `upgates` binary of this profile is (`target/<profile>/upgates`, beside the
/// bench's `deps/`): it is the CLI crate's, which cargo does not build for this bench.
pub fn cli_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    profile_dir.join(format!("upgates{}", std::env::consts::EXE_SUFFIX))
}

/// The `upgates` binary, if it is built.
pub fn cli_binary() -> Option<PathBuf> {
    let path = cli_path();
    path.is_file().then_some(path)
}

pub fn cli(binary: &Path, api_url: &str, cache_dir: &Path, cached: bool) -> Command {
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

pub fn run_cli(mut cmd: Command) {
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("\"ok\":true"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn bench_cli_cold_start(c: &mut Criterion) {
    let Some(binary) = cli_binary() else {
        println!(
            "cli_cold_start: skipped, {} is not built (run `cargo build --release -p upgates-cli` first)",
            cli_path().display()
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
