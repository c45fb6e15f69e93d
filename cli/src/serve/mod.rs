//! `upgates serve`: the webhook bot platforms call, on the Rust host. The HTTP layer is
//! `upgates_webhook`'s (the Spin app's too); each call runs in a fresh component instance
//! under the shop's HTTP policy, so the GET cache, single flight, the limit of 3 requests in
//! flight and the failed e-mail checks are shared by every chat the process serves.

mod backend;
mod metrics;
mod routes;
mod shops;
mod shutdown;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::sync::{Semaphore, watch};
use upgates_host::PluginRuntime;

use crate::shops_file::ShopsFile;

pub use backend::{Downloads, MAX_COUNTED_LINKS, ServedShop, Server};
use metrics::Metrics;
use routes::{RequestIds, metrics_text, webhook};
use shops::{demo, shops};
use shutdown::StopSignal;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(
        long,
        value_name = "ADDR",
        env = "UPGATES_LISTEN",
        default_value = "127.0.0.1:3000"
    )]
    listen: SocketAddr,
    /// Serve a built-in fake shop with sample orders (no Upgates account needed); the token
    /// is printed at start (or UPGATES_BOT_TOKEN's).
    #[arg(long)]
    demo: bool,
    /// After SIGTERM or SIGINT, how long to keep serving with `/v1/ready` answering 503, so a
    /// load balancer stops sending before the listener closes (Kubernetes: a few seconds).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    drain: u64,
    /// Then how long the calls in flight may take to finish before the process exits anyway
    /// [default: the call timeout + 5].
    #[arg(long, value_name = "SECONDS")]
    grace: Option<u64>,
}

/// What `serve` takes from the CLI's global options.
pub struct Setup {
    pub runtime: PluginRuntime,
    pub shops_file: ShopsFile,
    /// `--shop`: the shop of `/v1/<action>` instead of the file's default.
    pub default_shop: Option<String>,
    pub timeout: Duration,
}

/// Runs until SIGTERM or SIGINT: 0 after a clean stop, 2 for settings it cannot serve, 1 when
/// it cannot listen.
pub async fn run(args: &ServeArgs, setup: Setup) -> ExitCode {
    let env = |name: &str| std::env::var(name).ok();
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(e) => return fail(1, &format!("cannot listen on {}: {e}", args.listen)),
    };
    let local = listener.local_addr().unwrap_or(args.listen);
    let mut demo_shop = None;
    // The demo prints its token, unless it is the caller's own (`UPGATES_BOT_TOKEN`).
    let mut demo_token = None;
    let (shops, default_shop) = if args.demo {
        match demo(local, setup.timeout).await {
            Ok((shops, fake, printed)) => {
                demo_shop = Some(fake);
                demo_token = Some(printed);
                shops
            }
            Err(e) => return fail(1, &e),
        }
    } else {
        match shops(
            &setup.shops_file,
            setup.default_shop.as_deref(),
            env,
            setup.timeout,
        ) {
            Ok(shops) => shops,
            Err(e) => return fail(2, &e),
        }
    };
    let served: Vec<Arc<ServedShop>> = shops.values().cloned().collect();
    let app = Arc::new(App {
        server: Server {
            runtime: setup.runtime,
            call_slots: Arc::new(Semaphore::new(CALL_SLOTS)),
            shops,
            default_shop,
            draining: AtomicBool::new(false),
            downloads: Downloads::default(),
        },
        metrics: Metrics::new(served),
        ids: RequestIds::new(),
    });
    // Installed before it says it listens: a signal from then on stops it cleanly.
    let stop = match StopSignal::install() {
        Ok(stop) => stop,
        Err(e) => return fail(1, &format!("cannot handle SIGTERM/SIGINT: {e}")),
    };
    announce(&app.server, local, demo_token);
    let (stop_tx, mut stop_rx) = watch::channel(false);
    let router = Router::new()
        .route("/metrics", get(metrics_text))
        .fallback(webhook)
        .with_state(app.clone());
    let grace = Duration::from_secs(args.grace.unwrap_or(setup.timeout.as_secs() + 5));
    let drain = Duration::from_secs(args.drain);
    let signals = {
        let app = app.clone();
        async move {
            stop.wait().await;
            app.server.draining.store(true, Ordering::Relaxed);
            tracing::info!(
                drain_seconds = drain.as_secs(),
                grace_seconds = grace.as_secs(),
                "stopping: /v1/ready answers 503; then no new connections, and the calls in \
                 flight finish"
            );
            tokio::time::sleep(drain).await;
            let _ = stop_tx.send(true);
        }
    };
    tokio::spawn(signals);
    let mut stopped = stop_rx.clone();
    let server = axum::serve(listener, router).with_graceful_shutdown(async move {
        let _ = stop_rx.wait_for(|stop| *stop).await;
    });
    let overdue = async move {
        let _ = stopped.wait_for(|stop| *stop).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => {
            if let Err(e) = result {
                return fail(1, &format!("the server failed: {e}"));
            }
            tracing::info!("stopped");
        }
        () = overdue => {
            tracing::warn!(
                in_flight = app.metrics.in_flight.get(),
                "calls still in flight after the grace period: exiting anyway"
            );
        }
    }
    drop(demo_shop);
    ExitCode::SUCCESS
}

/// Calls one process runs at once (the pooling allocator's slots); more wait for a slot.
pub const CALL_SLOTS: usize = upgates_host::DEFAULT_MAX_CONCURRENT_CALLS as usize;

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("upgates serve: {message}");
    ExitCode::from(code)
}

struct App {
    server: Server,
    metrics: Metrics,
    ids: RequestIds,
}

fn announce(server: &Server, at: SocketAddr, demo_token: Option<String>) {
    let shops: Vec<&str> = server.shops.keys().map(String::as_str).collect();
    tracing::info!(address = %at, shops = ?shops, default = %server.default_shop, "listening");
    eprintln!("upgates serve: listening on http://{at}");
    if let Some(token) = demo_token {
        // A token made up for the fake shop: printing it is the point.
        eprintln!(
            "upgates serve --demo: a fake shop with sample orders; try\n  curl -s -H \"Authorization: Bearer {token}\" -d '{{\"order\":\"2025000123\"}}' http://{at}/v1/verify-order"
        );
    }
}
