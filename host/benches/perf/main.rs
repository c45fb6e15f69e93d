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
//! - `cli_cold_start/cached`, `cli_cold_start/compile`: the release `upgates` binary (built
//!   beforehand: `cargo build --release -p upgates-cli`) from process start to its answer,
//!   against the fake on a loopback port, with the precompiled cache (warm) and with
//!   `--no-cache`;
//! - `scenario/cache_off`, `scenario/cache_on`: the demo conversation on one order
//!   (`tests/support/conversation.rs`, six actions and a final `verify-order`) with the host's
//!   GET cache off and on (30 s), audit trail on (the default).
//!
//! Printed before them (not timings): the component's size, the peak linear memory per call
//! of each action, the host's RSS with 100 calls in flight (measured in a child process per
//! allocator so earlier benchmarks don't blur it), and the demo conversation's upstream
//! requests with the cache off and on.

mod footprint;
mod groups;
mod setup;
mod summary;

use std::time::Duration;

use criterion::Criterion;

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
/// Only run this many calls in a loop, for a profiler (see [`summary::profile_loop`]).
const PROFILE_ENV: &str = "UPGATES_BENCH_PROFILE";

/// Other work on the machine skews the timings: printed at the start and the end.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn main() {
    if let Ok(allocator) = std::env::var(RSS_CHILD_ENV) {
        footprint::rss_child(&allocator);
        return;
    }
    if let Ok(spec) = std::env::var(PROFILE_ENV) {
        summary::profile_loop(&spec);
        return;
    }
    // `cargo bench -- <filter>`: the footprint report runs with no filter or `footprint`.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if filter.as_deref().is_none_or(|f| "footprint".contains(f)) {
        footprint::report_footprint();
    }
    let mut c = Criterion::default().configure_from_args();
    groups::bench_verify_order(&mut c);
    groups::bench_throughput(&mut c);
    groups::bench_load(&mut c);
    groups::bench_cli_cold_start(&mut c);
    groups::bench_scenario(&mut c);
    c.final_summary();
    summary::summary();
}
