//! The integration tests' support (the tests are `tests/main.rs`, one binary): a pinned clock,
//! the sample shop, both ways of running an action (natively and through the component), the
//! tables of action cases, the Spin app's host harness, the webhook's servers as processes, and
//! the guests `build.rs` built.

pub mod cases;
pub mod conversation;
pub mod guardrails;
pub mod servers;
pub mod spin_harness;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::Value;
use upgates_core::{
    ActionInput, ActionName, ApiRequest, ApiResponse, Shop, ShopConfig, TransportError, Upstream,
    render,
};
use upgates_fake_shop::{FakeShop, RecordedRequest, SAMPLE_KEY, SAMPLE_LOGIN, Stalled};
use upgates_host::{PLUGIN_WASM, PluginRuntime, ShopConnection};

/// The plugin component, as `build.rs` built it (the host embeds its own build of it).
pub const PLUGIN_WASM_PATH: &str = env!("UPGATES_PLUGIN_WASM_PATH");
/// The Spin app (`spin/`), for the harness and `spin up`.
pub const SPIN_WASM_PATH: &str = env!("UPGATES_SPIN_WASM_PATH");
/// The deliberately hostile guest (`tests/guests/misbehave`), for the sandbox's tests.
pub const MISBEHAVE_WASM_PATH: &str = env!("UPGATES_MISBEHAVE_WASM_PATH");

/// 2026-11-28T16:40:00Z: every test sees the same "now".
pub const NOW_SECS: u64 = 1_795_884_000;

pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW_SECS)
}

/// A shop URL that only the in-process fake answers.
pub const API_URL: &str = "https://demo.admin.s1.upgates.com/api/v2";

pub fn sample_shop() -> FakeShop {
    FakeShop::sample(now())
}

pub fn config(api_url: &str) -> ShopConfig {
    ShopConfig::new(api_url, SAMPLE_LOGIN, SAMPLE_KEY, "420").expect("valid test config")
}

/// The component, compiled once per test binary (a debug-build Cranelift compile takes seconds).
pub fn runtime() -> &'static PluginRuntime {
    static RUNTIME: OnceLock<PluginRuntime> = OnceLock::new();
    RUNTIME.get_or_init(|| PluginRuntime::new(PLUGIN_WASM).expect("the component compiles"))
}

/// An action's input from its JSON form (as the CLI and the Spin app take it).
pub fn input(json: Value) -> ActionInput {
    serde_json::from_value(json).expect("a valid action input")
}

/// The shop behind the component's HTTP hook, answered in-process by `fake`.
pub fn in_process(fake: &FakeShop) -> ShopConnection {
    let handler = fake.clone();
    let mut shop = ShopConnection::new(config(API_URL)).expect("valid policy");
    // Each test's fake is a different shop at the same URL: no shared cache or limiter.
    shop.policy = shop
        .policy
        .isolated()
        .with_in_process(Arc::new(move |req| handler.handle(req)));
    shop.fixed_time = Some(now());
    shop
}

/// upgates-core's request as an `http::Request`, as a native transport sends it.
pub fn http_request(request: ApiRequest) -> Result<http::Request<Bytes>, TransportError> {
    let mut builder = http::Request::builder()
        .method(request.method.as_str())
        .uri(&request.url);
    for (name, value) in &request.headers {
        builder = builder.header(*name, value);
    }
    builder
        .body(Bytes::from(request.body.unwrap_or_default()))
        .map_err(|e| TransportError::Failed(e.to_string()))
}

/// An HTTP answer as upgates-core reads it (a header that is not text reads as empty).
pub fn api_response(
    status: http::StatusCode,
    headers: &http::HeaderMap,
    body: &[u8],
) -> ApiResponse {
    ApiResponse {
        status: status.as_u16(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    }
}

/// The same fake as a native transport for upgates-core; a [`Stalled`] answer is its timeout.
pub struct FakeUpstream(pub FakeShop);

impl Upstream for FakeUpstream {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        let response = self.0.handle(http_request(request)?);
        if response.extensions().get::<Stalled>().is_some() {
            return Err(TransportError::Timeout);
        }
        Ok(api_response(
            response.status(),
            response.headers(),
            response.body(),
        ))
    }

    fn now(&self) -> SystemTime {
        // The pinned date, with the real sub-second part: back-off jitter needs variety.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        now() + Duration::from_nanos(u64::from(nanos))
    }

    async fn sleep(&self, duration: Duration) -> bool {
        std::thread::sleep(duration);
        true
    }
}

/// Runs an action natively against `fake`; the bot's JSON.
pub async fn run_native(fake: &FakeShop, action: ActionName, input: &ActionInput) -> Value {
    let shop = Shop::new(config(API_URL), FakeUpstream(fake.clone()));
    render(&upgates_core::run(&shop, action, input).await)
}

/// Runs an action through the component (wasm, hooks, in-process fake); the bot's JSON.
pub async fn run_wasm(fake: &FakeShop, action: ActionName, input: &ActionInput) -> Value {
    let result = runtime()
        .call(&in_process(fake), action, input)
        .await
        .expect("the component runs to an answer");
    render(&result)
}

/// A request as the tests expect it: method, path, raw query, JSON body.
#[derive(Clone, Debug, PartialEq)]
pub struct Sent {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub body: Option<Value>,
}

impl Sent {
    pub fn get(path: &str) -> Self {
        Sent {
            method: "GET".into(),
            path: path.into(),
            query: None,
            body: None,
        }
    }

    pub fn query(mut self, query: &str) -> Self {
        self.query = Some(query.into());
        self
    }

    pub fn put(path: &str, body: Value) -> Self {
        Sent {
            method: "PUT".into(),
            path: path.into(),
            query: None,
            body: Some(body),
        }
    }

    pub fn post(path: &str, body: Value) -> Self {
        Sent {
            method: "POST".into(),
            path: path.into(),
            query: None,
            body: Some(body),
        }
    }

    pub fn of(r: &RecordedRequest) -> Self {
        Sent {
            method: r.method.clone(),
            path: r.path.clone(),
            query: r.query.clone(),
            body: if r.body.is_empty() {
                None
            } else {
                Some(serde_json::from_str(&r.body).unwrap_or(Value::String(r.body.clone())))
            },
        }
    }
}

/// Every request `fake` saw, in the tests' form.
pub fn sent(fake: &FakeShop) -> Vec<Sent> {
    fake.requests().iter().map(Sent::of).collect()
}

/// In an expected answer, stands for any string (a generated id, Upgates' own wording).
pub const ANY: &str = "<any>";

/// `expected` equals `actual`, where the string [`ANY`] matches any string.
pub fn matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(e), Value::String(_)) if e == ANY => true,
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|av| matches(v, av)))
        }
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(e, a)| matches(e, a))
        }
        _ => expected == actual,
    }
}

/// The answer, the exact requests (and so their count), the credentials on each, the state.
pub fn check(case: &cases::Case, fake: &FakeShop, answer: &Value) {
    assert!(
        matches(&case.answer, answer),
        "{}: answer\n  got  {answer}\n  want {}",
        case.name,
        case.answer
    );
    assert_eq!(sent(fake), case.sent, "{}: requests", case.name);
    let auth = format!("Basic {}", base64_credentials());
    for request in fake.requests() {
        assert_eq!(
            request.header("authorization"),
            Some(auth.as_str()),
            "{}: credentials",
            case.name
        );
        check_length(case.name, &request);
    }
    assert!(
        floats_are_amounts("", answer),
        "{}: a float that is not an amount in {answer}",
        case.name
    );
    (case.after)(fake);
}

/// A body goes with its `content-length` (a real `spin up` sent bodies chunked without one);
/// a GET has neither.
pub fn check_length(case: &str, request: &RecordedRequest) {
    let length = request.header("content-length");
    if request.method == "GET" {
        assert_eq!(
            (length, request.body.as_str()),
            (None, ""),
            "{case}: a GET with a body or a length"
        );
    } else if !request.body.is_empty() {
        let want = request.body.len().to_string();
        assert_eq!(
            length,
            Some(want.as_str()),
            "{case}: {} {} without its content-length",
            request.method,
            request.path
        );
    }
}

/// Every float in an answer is an amount (`topay`, `price`): `render_text` writes every float
/// with two decimals, which would be wrong for any other.
pub fn floats_are_amounts(key: &str, value: &Value) -> bool {
    match value {
        Value::Number(n) if n.is_f64() => matches!(key, "topay" | "price"),
        Value::Array(items) => items.iter().all(|v| floats_are_amounts(key, v)),
        Value::Object(map) => map.iter().all(|(k, v)| floats_are_amounts(k, v)),
        _ => true,
    }
}

/// The `Authorization` header value of the sample shop's credentials.
pub fn basic_auth() -> String {
    format!("Basic {}", base64_credentials())
}

fn base64_credentials() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{SAMPLE_LOGIN}:{SAMPLE_KEY}"))
}

/// Polls a future that never waits (the fake answers at once) to completion.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut context) {
            return out;
        }
        std::thread::yield_now();
    }
}

/// The `upgates` binary, cut off from the developer's own set-up: no `UPGATES_*` from the
/// shell, and a home of its own (no `~/.config/upgates/shops.toml`, no `~/.cache/upgates`), so
/// the README's test command gives the same answers on a machine where the CLI is set up.
/// One home per test binary run, so its tests share the precompiled component. `binary` is the
/// `upgates` Cargo built for the caller (`env!("CARGO_BIN_EXE_upgates")`, which only a test or
/// bench of the CLI's crate knows).
pub fn upgates_command(binary: &str) -> std::process::Command {
    static HOME: OnceLock<tempfile::TempDir> = OnceLock::new();
    let home = HOME
        .get_or_init(|| tempfile::tempdir().expect("a temp dir"))
        .path();
    let mut command = std::process::Command::new(binary);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("UPGATES_") {
            command.env_remove(name);
        }
    }
    command
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("XDG_RUNTIME_DIR");
    command
}

/// The fake behind a gate, for requests in flight at once: every request is counted in
/// `arrived`; those `hold` picks (given how many came before, and the request) are answered
/// by the fake on arrival, as the shop was then, and handed back only once `gate` is closed.
pub struct GatedShop {
    pub handler: upgates_host::InProcessAsync,
    pub gate: Arc<tokio::sync::Semaphore>,
    pub arrived: Arc<std::sync::atomic::AtomicUsize>,
}

pub fn gated(
    fake: &FakeShop,
    hold: impl Fn(usize, &http::Request<Bytes>) -> bool + Send + Sync + 'static,
) -> GatedShop {
    use std::sync::atomic::Ordering;
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let arrived = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let hold = Arc::new(hold);
    let (fake, gate_in, count) = (fake.clone(), gate.clone(), arrived.clone());
    let handler: upgates_host::InProcessAsync = Arc::new(move |request| {
        let before = count.fetch_add(1, Ordering::SeqCst);
        let held = hold(before, &request);
        let response = fake.handle(request);
        let gate = gate_in.clone();
        Box::pin(async move {
            if held {
                // Closed to release everyone at once.
                let _ = gate.acquire().await;
            }
            response
        })
    });
    GatedShop {
        handler,
        gate,
        arrived,
    }
}
