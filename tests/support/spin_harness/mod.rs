//! The Spin app (`spin/`, spin-sdk 7, WASIp3) served by wasmtime 48, no spin CLI: the
//! component's `wasi:http/handler@0.3.0` export gets the requests, a stub `spin:variables`
//! answers its settings (and notes which it was asked for), an in-memory `wasi:keyvalue` store
//! that answers as Spin's SQLite one keeps its counts (failed e-mail checks, invoice
//! downloads), and its outbound requests go through the host's `HttpPolicy` (the same hook as
//! the plugin's tests) to the fake shop in-process. The policy allows only the shop's origin,
//! as Spin's `allowed_outbound_hosts` does.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use http_body_util::{BodyExt as _, Full};
use serde_json::{Value, json};
use upgates_core::ActionName;
use upgates_fake_shop::{FakeShop, SAMPLE_KEY, SAMPLE_LOGIN};
use upgates_host::HttpPolicy;
use wasmtime::component::{Accessor, Component, HasData, Linker, Resource, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostWallClock, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p3::bindings::ServicePre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::API_URL;

mod key_value;

pub use key_value::{CasHandle, Kv, KvInner, Versioned, WasiKeyValue};

mod spin_host {
    wasmtime::component::bindgen!({
        // `deps/` vendored from the spin-sdk 7.0.0 crate (wit/deps/spin-variables@3.0.0 and
        // wasi-keyvalue-2024-10-17, i.e. wasi:keyvalue@0.2.0-draft2).
        path: "wit-spin",
        world: "upgates:spin-harness/host",
        // A CAS handle is a row of the instance's resource table.
        with: { "wasi:keyvalue/atomics.cas": crate::spin_harness::CasHandle },
    });
}
use spin_host::spin::variables::variables as spin_vars;
use spin_host::wasi::keyvalue::{atomics as kv_atomics, store as kv_store};

pub const TOKEN: &str = "test-bot-token-0123456789";

/// The settings `spin up` would get from `SPIN_VARIABLE_*`.
pub fn variables() -> HashMap<String, String> {
    HashMap::from(
        [
            ("api_url", API_URL),
            // spin.toml's `allowed_outbound_hosts`: api_url's scheme and host.
            ("api_origin", "https://demo.admin.s1.upgates.com"),
            ("api_login", SAMPLE_LOGIN),
            ("api_key", SAMPLE_KEY),
            ("bot_token", TOKEN),
            ("default_country_code", "420"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    )
}

// --- the harness ------------------------------------------------------------------------

/// Per request: WASI (pinned clock, stderr captured), wasi:http under the shop's policy, the
/// Spin variables.
pub struct State {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    policy: HttpPolicy,
    variables: HashMap<String, String>,
    /// Spin's `default` key-value store: shared by every request (instance) given the same one.
    kv: Kv,
    /// Whether this request wrote to `kv` yet, and its turn in the store's schedule.
    wrote: bool,
    ticket: Option<usize>,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.policy,
        }
    }
}

/// `spin:variables` over [`State::variables`]: an absent name is `undefined`, as in Spin.
pub struct SpinVariables;

impl HasData for SpinVariables {
    type Data<'a> = &'a mut State;
}

impl spin_vars::Host for &mut State {}

/// Every variable name an instance asked for, in any test of this binary.
static ASKED: Mutex<std::collections::BTreeSet<String>> =
    Mutex::new(std::collections::BTreeSet::new());

/// The Spin variables the app has asked for so far, defined or not.
pub fn asked_variables() -> std::collections::BTreeSet<String> {
    ASKED.lock().unwrap().clone()
}

impl<T> spin_vars::HostWithStore<T> for SpinVariables {
    async fn get(accessor: &Accessor<T, Self>, name: String) -> Result<String, spin_vars::Error> {
        ASKED.lock().unwrap().insert(name.clone());
        accessor
            .with(|mut access| access.get().variables.get(&name).cloned())
            .ok_or(spin_vars::Error::Undefined(name))
    }
}

pub struct FixedClock;

impl HostWallClock for FixedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        crate::now().duration_since(UNIX_EPOCH).unwrap()
    }
}

/// The Spin component, compiled and linked once per test binary.
pub fn spin_app() -> &'static (Engine, ServicePre<State>) {
    static APP: OnceLock<(Engine, ServicePre<State>)> = OnceLock::new();
    APP.get_or_init(|| {
        let mut config = Config::new();
        config.wasm_component_model_async(true);
        let engine = Engine::new(&config).unwrap();
        let component = Component::from_file(&engine, crate::SPIN_WASM_PATH).unwrap();
        let mut linker = Linker::new(&engine);
        // Rust std imports wasi:cli etc. @0.2; the SDK wasi:http @0.3, spin:variables and
        // wasi:keyvalue.
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
        wasmtime_wasi::p3::add_to_linker(&mut linker).unwrap();
        wasmtime_wasi_http::p3::add_to_linker(&mut linker).unwrap();
        spin_vars::add_to_linker::<_, SpinVariables>(&mut linker, |state| state).unwrap();
        kv_store::add_to_linker::<_, WasiKeyValue>(&mut linker, |state| state).unwrap();
        kv_atomics::add_to_linker::<_, WasiKeyValue>(&mut linker, |state| state).unwrap();
        let pre = ServicePre::new(linker.instantiate_pre(&component).unwrap()).unwrap();
        (engine, pre)
    })
}

/// What came back, and what the app wrote to stderr (Spin's log).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
    pub log: String,
}

/// One request through a fresh instance, with `variables`, an empty key-value store and the
/// `fake` shop behind the policy for [`API_URL`]'s origin.
pub async fn serve(
    fake: &FakeShop,
    variables: HashMap<String, String>,
    request: http::Request<Full<Bytes>>,
) -> Reply {
    serve_with(fake, variables, &Kv::default(), request).await
}

/// [`serve`] with the key-value store `kv` (several requests sharing one, as Spin's instances
/// and replicas share the app's store).
pub async fn serve_with(
    fake: &FakeShop,
    variables: HashMap<String, String>,
    kv: &Kv,
    request: http::Request<Full<Bytes>>,
) -> Reply {
    let raw = serve_raw(fake, variables, kv, request).await;
    let json = serde_json::from_slice(&raw.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&raw.body)));
    Reply {
        status: raw.status,
        headers: raw.headers,
        json,
        log: raw.log,
    }
}

/// A reply as bytes (the invoice route's PDF).
#[derive(Debug)]
pub struct RawReply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub log: String,
}

pub async fn serve_raw(
    fake: &FakeShop,
    variables: HashMap<String, String>,
    kv: &Kv,
    request: http::Request<Full<Bytes>>,
) -> RawReply {
    let handler = fake.clone();
    let policy = shop_policy().with_in_process(Arc::new(move |request| handler.handle(request)));
    serve_through(policy, variables, kv, request).await
}

/// The host's HTTP policy for the test shop, with a state of its own.
pub fn shop_policy() -> HttpPolicy {
    HttpPolicy::for_shop(&crate::config(API_URL))
        .unwrap()
        .isolated()
}

/// [`serve_raw`] with the app's outgoing requests answered by `policy`.
pub async fn serve_through(
    policy: HttpPolicy,
    variables: HashMap<String, String>,
    kv: &Kv,
    request: http::Request<Full<Bytes>>,
) -> RawReply {
    let (engine, pre) = spin_app();
    let stderr = MemoryOutputPipe::new(64 << 10);
    let wasi = WasiCtx::builder()
        .wall_clock(FixedClock)
        .stderr(stderr.clone())
        .build();
    let mut store = Store::new(
        engine,
        State {
            table: ResourceTable::new(),
            wasi,
            http: WasiHttpCtx::new(),
            policy,
            variables,
            kv: kv.clone(),
            wrote: false,
            ticket: None,
        },
    );
    let service = pre.instantiate_async(&mut store).await.unwrap();
    let (request, request_io) =
        wasmtime_wasi_http::p3::Request::from_http(&mut store.data_mut().policy, request);
    let (status, headers, body) = store
        .run_concurrent(async |accessor| {
            let response = service.handle(accessor, request).await?.unwrap();
            let response = accessor.with(|access| response.into_http(access, async { Ok(()) }))?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await?.to_bytes();
            request_io.await?;
            wasmtime::Result::<_>::Ok((parts.status, parts.headers, body))
        })
        .await
        .unwrap()
        .unwrap();
    if let Some(ticket) = store.data().ticket {
        kv.gate.done(ticket);
    }
    RawReply {
        status,
        headers,
        body,
        log: String::from_utf8_lossy(&stderr.contents()).into_owned(),
    }
}

pub fn request(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> http::Request<Full<Bytes>> {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(format!("http://upgates-bot.example{path}"))
        .header("content-type", "application/json");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap()
}

/// `POST /v1/<action>` with the right token.
pub fn post(action: ActionName, body: &Value) -> http::Request<Full<Bytes>> {
    request(
        Method::POST,
        &format!("/v1/{action}"),
        Some(TOKEN),
        &body.to_string(),
    )
}

pub fn assert_error(reply: &Reply, status: u16, reason: &str, message: &str) {
    assert_eq!(reply.status.as_u16(), status, "{reply:?}");
    assert_eq!(
        reply.json,
        json!({"ok": false, "reason": reason, "message": message}),
        "{reply:?}"
    );
    assert_eq!(reply.headers["content-type"], "application/json");
}
