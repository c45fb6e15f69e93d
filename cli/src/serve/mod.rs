//! `upgates serve`: the webhook bot platforms call, on the Rust host. The HTTP layer is
//! `upgates_webhook`'s (the Spin app's too); each call runs in a fresh component instance
//! under the shop's HTTP policy, so the GET cache, single flight, the limit of 3 requests in
//! flight and the failed e-mail checks are shared by every chat the process serves.

mod backend;
mod metrics;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;
use http::{HeaderValue, Method};
use tokio::sync::{Semaphore, watch};
use upgates_core::ShopConfig;
use upgates_core::config::KEY_API_URL;
use upgates_fake_shop::{FakeShop, SAMPLE_KEY, SAMPLE_LOGIN};
use upgates_host::{PluginRuntime, ShopConnection};
use upgates_webhook::{Reply, Target, is_shop_name, token_problem};

use crate::shops_file::{self, ShopsFile};

pub use backend::{ServedShop, Server};
use metrics::{ActionLabel, CallLabels, Metrics};
use prometheus_client::metrics::gauge::Gauge;

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

/// The shops to serve: every shop of the shops file (or the one the `UPGATES_*` variables
/// describe), each with its own token, and the name of the one `/v1/<action>` serves. The
/// `UPGATES_*` variables apply to that default shop only, as they do for the CLI's calls.
fn shops(
    file: &ShopsFile,
    chosen: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
    timeout: Duration,
) -> Result<(BTreeMap<String, Arc<ServedShop>>, String), String> {
    let default = match chosen.or(file.default_name()) {
        Some(name) => name.to_owned(),
        None if file.shops.is_empty() => "default".to_owned(),
        None => {
            return Err(
                "the shops file has several shops and no `default`: set one, or pass --shop NAME"
                    .into(),
            );
        }
    };
    let names: Vec<String> = if file.shops.is_empty() {
        vec![default.clone()]
    } else {
        if !file.shops.contains_key(&default) {
            return Err(format!("no shop named `{default}` in the shops file"));
        }
        file.shops.keys().cloned().collect()
    };
    let mut shops = BTreeMap::new();
    for name in names {
        if !is_shop_name(&name) {
            return Err(format!(
                "a shop's name is part of its path (/v1/shops/<name>/...): use letters, \
                 digits, `-` and `_`, at most 64 (not `{}`)",
                name.escape_default()
            ));
        }
        let is_default = name == default;
        // Another shop's settings must not come from the default shop's variables; the
        // variables its own entry names (`api_key_env`, ...) are its own.
        let env_of = |var: &str| {
            if is_default || !shops_file::is_override(var) {
                env(var)
            } else {
                None
            }
        };
        let in_file = (!file.shops.is_empty()).then_some(name.as_str());
        let config = file
            .resolve(in_file, env_of)
            .map_err(|e| format!("shop `{name}`: {e}"))?;
        let token = file
            .bot_token(in_file, env_of)
            .map_err(|e| format!("shop `{name}`: {e}"))?
            .ok_or_else(|| {
                format!(
                    "shop `{name}` has no bot token: set `bot_token_env` (or `bot_token`) in \
                     the shops file{}",
                    if is_default {
                        ", or UPGATES_BOT_TOKEN"
                    } else {
                        ""
                    }
                )
            })?;
        if let Some(problem) = token_problem("bot_token", &token) {
            return Err(format!("shop `{name}`: {problem}"));
        }
        if shops
            .values()
            .any(|other: &Arc<ServedShop>| other.token == token)
        {
            return Err(format!(
                "shop `{name}` has another shop's bot token: a token must open one shop only"
            ));
        }
        let shop = served(&name, config, token, timeout)?;
        shops.insert(name, Arc::new(shop));
    }
    Ok((shops, default))
}

fn served(
    name: &str,
    config: ShopConfig,
    token: String,
    timeout: Duration,
) -> Result<ServedShop, String> {
    let mut connection = ShopConnection::new(config).map_err(|f| f.message())?;
    connection.policy.call_timeout = timeout;
    Ok(ServedShop {
        // Once per shop and process.
        name: Box::leak(name.into()),
        connection,
        token,
    })
}

/// `--demo`: the fake shop on a loopback port as the only shop, with signed invoice links to
/// this server, and a token of its own (or UPGATES_BOT_TOKEN's).
async fn demo(
    here: SocketAddr,
    timeout: Duration,
) -> Result<
    (
        (BTreeMap<String, Arc<ServedShop>>, String),
        upgates_fake_shop::LoopbackServer,
        String,
    ),
    String,
> {
    let fake = FakeShop::sample(SystemTime::now());
    let upgates = fake
        .serve()
        .await
        .map_err(|e| format!("cannot start the demo shop: {e}"))?;
    let (token, printed) = match std::env::var("UPGATES_BOT_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
    {
        Some(token) => (token, "$UPGATES_BOT_TOKEN".to_owned()),
        None => {
            let token = random_hex();
            (token.clone(), token)
        }
    };
    if let Some(problem) = token_problem("UPGATES_BOT_TOKEN", &token) {
        return Err(problem);
    }
    // Links must point where this server answers: a wildcard address is not an address.
    let mut here = here;
    if here.ip().is_unspecified() {
        here.set_ip(Ipv4Addr::LOCALHOST.into());
    }
    let api_url = upgates.api_url();
    let secret = format!("{}{}", random_hex(), random_hex());
    let base_url = format!("http://{here}");
    let settings = [
        (KEY_API_URL, api_url.as_str()),
        ("api-login", SAMPLE_LOGIN),
        ("api-key", SAMPLE_KEY),
        ("invoice-links", "signed"),
        ("invoice-link-secret", secret.as_str()),
        ("invoice-link-base-url", base_url.as_str()),
    ];
    let config = ShopConfig::from_lookup(|key| {
        settings
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
    })
    .map_err(|f| f.message())?;
    let name = "demo".to_owned();
    let shop = served(&name, config, token, timeout)?;
    let shops = BTreeMap::from([(name.clone(), Arc::new(shop))]);
    Ok(((shops, name), upgates, printed))
}

/// 32 hex digits no one can guess: two hashes under std's `RandomState`, whose keys come from
/// the OS's random source (a demo's token and link secret, nothing that must be a key).
fn random_hex() -> String {
    use std::hash::BuildHasher as _;
    let half = || std::hash::RandomState::new().hash_one(SystemTime::now());
    format!("{:016x}{:016x}", half(), half())
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

/// SIGTERM (Kubernetes, systemd) or SIGINT (Ctrl-C).
struct StopSignal {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl StopSignal {
    fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                terminate: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

async fn metrics_text(State(app): State<Arc<App>>) -> Response {
    let mut response = Response::new(Body::from(app.metrics.render()));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Every other path: the shared webhook, with a request id, a log line and the metrics.
async fn webhook(State(app): State<Arc<App>>, request: Request) -> Response {
    let started = Instant::now();
    let id = app.ids.for_request(request.headers());
    let method = request.method().clone();
    // What the logs and metrics may say of the path: its route, never the path itself.
    let (route, shop) = route_of(&app.server, &method, request.uri().path());
    // Counted down on drop, also when the caller hangs up and the request is dropped.
    let _in_flight = (method == Method::POST).then(|| InFlight::new(&app.metrics.in_flight));
    let span = tracing::info_span!("request", id = %id);
    let served = tracing::Instrument::instrument(
        upgates_webhook::handle(&app.server, request),
        span.clone(),
    )
    .await;
    let elapsed = started.elapsed();
    if let Some(action) = served.action {
        app.metrics
            .calls
            .get_or_create(&CallLabels {
                shop,
                action: action.as_str(),
                outcome: served.outcome,
            })
            .inc();
        // The calls that ran: refusals answered in microseconds would hide their time.
        if served.answered {
            app.metrics
                .durations
                .get_or_create(&ActionLabel {
                    action: action.as_str(),
                })
                .observe(elapsed.as_secs_f64());
        }
    }
    let mut response = match served.reply {
        Reply::Json(reply) => reply.map(Body::new),
        Reply::Pdf(pdf) => pdf.map(Body::new),
    };
    let _entered = span.enter();
    tracing::info!(
        %method,
        route,
        shop,
        action = served.action.map(|a| a.as_str()),
        status = response.status().as_u16(),
        outcome = served.outcome,
        elapsed_ms = elapsed.as_millis() as u64,
        "answered"
    );
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// A call in flight for the gauge, from the request's start until it is answered or dropped.
struct InFlight(Gauge);

impl InFlight {
    fn new(gauge: &Gauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The route a request takes (`/v1/<action>`, `/v1/shops/<name>/invoice/…`, `no route`)
/// and the shop it names, for the logs and the metrics: a path is the caller's text (an
/// e-mail a template put in it, a link's token), so only what matched is told.
fn route_of(server: &Server, method: &Method, path: &str) -> (&'static str, &'static str) {
    let Ok(route) = upgates_webhook::routing::route(method, path) else {
        return ("no route", "");
    };
    let shop = match server.shop_named(route.shop.as_deref()) {
        Some(shop) => shop.name,
        None => return ("an unknown shop's", "unknown"),
    };
    let named = route.shop.is_some();
    let route = match (route.target, named) {
        (Target::Health, _) => "/v1/health",
        (Target::Ready, _) => "/v1/ready",
        (Target::Invoice(_), false) => "/v1/invoice/…",
        (Target::Invoice(_), true) => "/v1/shops/<name>/invoice/…",
        (Target::Action(_), false) => "/v1/<action>",
        (Target::Action(_), true) => "/v1/shops/<name>/<action>",
    };
    (route, shop)
}

/// Request ids for the logs: the caller's `X-Request-Id` when it is a plain token, else one
/// of ours (a random prefix per process and a counter).
struct RequestIds {
    prefix: String,
    next: AtomicU64,
}

impl RequestIds {
    fn new() -> Self {
        Self {
            prefix: random_hex()[..8].to_owned(),
            next: AtomicU64::new(1),
        }
    }

    fn for_request(&self, headers: &http::HeaderMap) -> String {
        let given = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| {
                (1..=64).contains(&v.len())
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
            });
        match given {
            Some(id) => id.to_owned(),
            None => format!(
                "{}-{}",
                self.prefix,
                self.next.fetch_add(1, Ordering::Relaxed)
            ),
        }
    }
}
