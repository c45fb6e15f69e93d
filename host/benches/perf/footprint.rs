//! Printed before the timings: the component's size, the peak linear memory per call of each
//! action, the demo conversation's upstream requests, and the host's RSS with calls in flight
//! (in a child process per allocator).

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use upgates_core::ActionName;
use upgates_host::{Allocator, PluginRuntime};

use crate::setup::{
    all_actions, current_thread, fake, in_process, pooling, runtime, verify_order, wasm,
};
use crate::{CONVERSATION_CACHE_TTL, IN_FLIGHT, RSS_CHILD_ENV, load_average};

/// The cache scenario: upstream requests of the demo conversation, cache off and on.
pub fn report_conversation(rt: &tokio::runtime::Runtime, runtime: &PluginRuntime) {
    println!("demo conversation (6 actions on one order; upstream requests, cache off -> on):");
    for (audit, label) in [
        (false, "audit trail off"),
        (true, "audit trail on (default)"),
    ] {
        let count = |ttl| {
            rt.block_on(upgates_tests::conversation::run(runtime, ttl, audit))
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

pub fn report_footprint() {
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

pub fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// In a child process: RSS before and with `IN_FLIGHT` verify-order calls all waiting on the
/// (in-process) shop, each with its own instance and store.
pub fn rss_child(allocator_name: &str) {
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
