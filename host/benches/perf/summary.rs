//! The medians of this run from criterion's estimates, and the profiler's steady loop.

use std::path::{Path, PathBuf};

use upgates_tests::{API_URL, config};

use crate::load_average;
use crate::setup::{
    basic_auth, current_thread, fake, fake_get, in_process, native_call, native_policy_call,
    pooling, runtime, timed, verify_order, wasm_call,
};

/// Medians from criterion's estimates (written under its output directory).
pub fn summary() {
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
pub fn profile_loop(spec: &str) {
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
