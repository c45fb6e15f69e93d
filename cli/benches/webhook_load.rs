//! The webhook under load (docs/performance.md, "The webhook under load"):
//! `cargo bench -p upgates-cli --bench webhook_load`.
//!
//! A loopback fake shop that takes 50 ms per request and refuses a 4th at once with 429, as
//! Upgates does; in front of it the release `upgates serve`, then (where a spin CLI is found:
//! `UPGATES_SPIN` or `PATH`) the Spin app under a real `spin up`. Each gets the same load:
//! 500 chats at once, each one `verify-order` call on its own connection, over 50 distinct
//! orders. Printed per server: the answers by outcome, the requests the shop saw, the most it
//! saw at once, and the calls' p50/p99 latency. Then, for `upgates serve` with a warm cache,
//! calls per second from 32 keep-alive connections for 5 s: from this process, and from `wrk`
//! where it is installed (a lighter client, so more of the 2 cores go to the server).
//!
//! Not a test: the numbers are read and reported, never asserted on timing.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use upgates_fake_shop::{FakeShop, SAMPLE_KEY, SAMPLE_LOGIN};
// The webhook tests' servers (`upgates serve`, `spin up`, in process groups of their own).
use upgates_tests::servers::{self, Process};

const CHATS: usize = 500;
const ORDERS: usize = 50;
const UPGATES_LATENCY: Duration = Duration::from_millis(50);
const TOKEN: &str = "load-test-token-0123456789";
const WARM_CONNECTIONS: usize = 32;
const WARM_SECONDS: u64 = 5;

fn main() {
    // `cargo bench` passes `--bench`; a filter that does not match this bench skips it.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if filter.is_some_and(|f| !"webhook_load".contains(f.as_str())) {
        return;
    }
    // One thread for the load and the fake shop: the server under test keeps the other core.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run());
}

async fn run() {
    println!("machine: {}", machine());
    let fake = orders_shop();
    let upgates = fake.serve().await.expect("the fake shop listens");
    let serve = start_serve(&upgates.api_url());
    let cold = burst(&serve.base, &fake).await;
    cold.print("upgates serve, cold cache");
    let warm = warm_throughput(&serve.base).await;
    println!(
        "upgates serve, warm cache: {warm:.0} calls/s ({WARM_CONNECTIONS} keep-alive connections, {WARM_SECONDS} s)"
    );
    match wrk(&serve.base) {
        Some(line) => {
            println!("upgates serve, warm cache, wrk (a load generator in C, 1 thread): {line}")
        }
        None => println!("wrk: skipped (not on PATH)"),
    }
    drop(serve);
    drop(upgates);
    match servers::spin_binary() {
        Some(spin) => {
            let fake = orders_shop();
            let upgates = fake.serve().await.expect("the fake shop listens");
            let app = start_spin(&spin, &upgates.api_url());
            let result = burst(&app.base, &fake).await;
            result.print("spin up (the Spin app)");
        }
        None => println!("spin up: skipped (no spin CLI: set UPGATES_SPIN or put spin on PATH)"),
    }
}

/// The sample shop with `ORDERS` orders, slow and limited like Upgates.
fn orders_shop() -> FakeShop {
    let fake = FakeShop::sample(SystemTime::now());
    let template = fake.order("2025000123").expect("the sample's order");
    for i in 0..ORDERS {
        let mut order = template.clone();
        order["order_number"] = serde_json::json!(order_number(i));
        fake.add_order(order);
    }
    fake.set_latency(UPGATES_LATENCY);
    fake
}

fn order_number(i: usize) -> String {
    format!("20269{i:05}")
}

struct Burst {
    outcomes: BTreeMap<String, usize>,
    upstream: usize,
    peak: usize,
    latencies: Vec<Duration>,
    wall: Duration,
}

impl Burst {
    fn print(&self, server: &str) {
        let pct = |p: f64| {
            let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
            self.latencies[i].as_secs_f64() * 1000.0
        };
        println!(
            "{server}: {CHATS} chats over {ORDERS} orders in {:.0} ms: answers {:?}; \
             the shop saw {} requests, at most {} at once; latency p50 {:.1} ms, p99 {:.1} ms",
            self.wall.as_secs_f64() * 1000.0,
            self.outcomes,
            self.upstream,
            self.peak,
            pct(0.50),
            pct(0.99),
        );
    }
}

/// `CHATS` calls at once, each on a connection of its own.
async fn burst(base: &str, fake: &FakeShop) -> Burst {
    fake.clear_requests();
    let started = Instant::now();
    let calls: Vec<_> = (0..CHATS)
        .map(|i| {
            let base = base.to_owned();
            tokio::spawn(async move {
                let body = format!(r#"{{"order":"{}"}}"#, order_number(i % ORDERS));
                let began = Instant::now();
                let outcome = match connect(&base).await {
                    Ok(mut sender) => outcome(call(&mut sender, &body).await),
                    Err(e) => format!("connect: {e}"),
                };
                (outcome, began.elapsed())
            })
        })
        .collect();
    let mut outcomes = BTreeMap::new();
    let mut latencies = Vec::new();
    for call in calls {
        let (outcome, latency) = call.await.expect("a call");
        *outcomes.entry(outcome).or_default() += 1;
        latencies.push(latency);
    }
    latencies.sort();
    Burst {
        outcomes,
        upstream: fake.requests().len(),
        peak: fake.peak_in_flight(),
        latencies,
        wall: started.elapsed(),
    }
}

/// Calls per second for `WARM_SECONDS`, the cache warm (every order read once already).
async fn warm_throughput(base: &str) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(WARM_SECONDS);
    let workers: Vec<_> = (0..WARM_CONNECTIONS)
        .map(|w| {
            let (base, done) = (base.to_owned(), done.clone());
            tokio::spawn(async move {
                let mut sender = connect(&base).await.expect("a connection");
                let mut i = w;
                while Instant::now() < until {
                    let body = format!(r#"{{"order":"{}"}}"#, order_number(i % ORDERS));
                    let answer = call(&mut sender, &body).await;
                    assert_eq!(outcome(answer), "ano", "a warm call answers from the cache");
                    done.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            })
        })
        .collect();
    let started = Instant::now();
    for worker in workers {
        worker.await.expect("a worker");
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// The same warm load from `wrk` (Debian's package), a lighter client than this process's:
/// its `Requests/sec` line, or `None` where it is not installed.
fn wrk(base: &str) -> Option<String> {
    let dir = tempfile::tempdir().ok()?;
    let script = dir.path().join("verify-order.lua");
    let lua = format!(
        "wrk.method = \"POST\"\n\
         wrk.headers[\"Authorization\"] = \"Bearer {TOKEN}\"\n\
         wrk.headers[\"Content-Type\"] = \"application/json\"\n\
         local n = 0\n\
         request = function()\n  n = n + 1\n  \
         return wrk.format(nil, \"/v1/verify-order\", nil, string.format('{{\"order\":\"20269%05d\"}}', n % {ORDERS}))\nend\n"
    );
    std::fs::write(&script, lua).ok()?;
    let output = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{WARM_CONNECTIONS}"),
            &format!("-d{WARM_SECONDS}s"),
            "-s",
        ])
        .arg(&script)
        .arg(base)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let rate = text
        .lines()
        .find(|l| l.starts_with("Requests/sec"))?
        .to_owned();
    let errors = text
        .lines()
        .find(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
        .map(|l| format!(" ({})", l.trim()))
        .unwrap_or_default();
    Some(format!("{rate}{errors}"))
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(base: &str) -> Result<Sender, String> {
    let stream = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .map_err(|e| e.to_string())?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    Ok(sender)
}

async fn call(sender: &mut Sender, body: &str) -> Result<(u16, Bytes), String> {
    let request = http::Request::post("/v1/verify-order")
        .header("host", "bot")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    Ok((status, body.to_bytes()))
}

/// `ano`, the "Ne" reason, or the HTTP status / error.
fn outcome(answer: Result<(u16, Bytes), String>) -> String {
    match answer {
        Ok((200, body)) => match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(json) if json["ok"] == true => "ano".into(),
            Ok(json) => json["reason"].as_str().unwrap_or("?").to_owned(),
            Err(_) => "not JSON".into(),
        },
        Ok((status, _)) => format!("HTTP {status}"),
        Err(e) => format!("failed: {e}"),
    }
}

fn start_serve(api_url: &str) -> Process {
    let env = [
        ("UPGATES_API_URL", api_url),
        ("UPGATES_API_LOGIN", SAMPLE_LOGIN),
        ("UPGATES_API_KEY", SAMPLE_KEY),
        ("UPGATES_BOT_TOKEN", TOKEN),
        // No log line per request: the load is the point.
        ("RUST_LOG", "warn"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    servers::upgates_serve(env!("CARGO_BIN_EXE_upgates"), &env, &[])
}

fn start_spin(spin: &std::path::Path, api_url: &str) -> Process {
    let variables = [
        ("api_url", api_url),
        ("api_origin", api_url.trim_end_matches("/api/v2")),
        ("api_login", SAMPLE_LOGIN),
        ("api_key", SAMPLE_KEY),
        ("bot_token", TOKEN),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    servers::spin_up(spin, &variables.into_iter().collect())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores")
}
