//! The Spin app (`spin/`, spin-sdk 7, WASIp3) served by wasmtime 48, no spin CLI: the
//! component's `wasi:http/handler@0.3.0` export gets the requests, a stub `spin:variables`
//! answers its settings, an in-memory `wasi:keyvalue` store (with real compare-and-swap) keeps
//! its failed e-mail checks, and its outbound requests go through the host's `HttpPolicy` (the
//! same hook as the plugin's tests) to the fake shop in-process. The policy allows only the
//! shop's origin, as Spin's `allowed_outbound_hosts` does.

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
}

/// The `default` store: its contents, each key with a version (what compare-and-swap
/// compares), how often a request opened it, and the other writer a test may set on it.
#[derive(Clone, Default)]
pub struct Kv {
    inner: Arc<Mutex<KvInner>>,
    opens: Arc<AtomicUsize>,
}

#[derive(Default)]
pub struct KvInner {
    entries: HashMap<String, Versioned>,
    /// The version of the last write: versions only grow, so a key deleted and written again
    /// has changed too.
    version: u64,
    /// Swaps refused because the key had changed since the handle was made.
    cas_failures: usize,
    interference: Option<Interference>,
    /// Answers swaps as Spin's Redis store does (3.x-4.0): a swap that went through is
    /// reported as failed, one that was refused as done (its `UNWATCH` with an argument always
    /// errs; an aborted `EXEC` reads as success).
    misreports: bool,
}

pub struct Versioned {
    value: Vec<u8>,
    version: u64,
}

/// A check as the app stores it: when it began and its tag.
pub type Held = (u64, u64);

/// What the other writer does to the list of checks it finds.
pub type OtherWrite = Box<dyn FnMut(&mut Vec<Held>) + Send>;

/// Another writer (another instance or replica of the app) that changes `key` just before
/// swaps on it: the `skip` first swaps go through untouched, the next `times` each meet its
/// write. Its value is a list of check times, as the app writes.
pub struct Interference {
    key: String,
    skip: usize,
    times: usize,
    write: OtherWrite,
}

impl KvInner {
    fn write(&mut self, key: &str, value: Vec<u8>) {
        self.version += 1;
        let version = self.version;
        self.entries
            .insert(key.to_owned(), Versioned { value, version });
    }

    fn version_of(&self, key: &str) -> Option<u64> {
        self.entries.get(key).map(|e| e.version)
    }

    fn value_of(&self, key: &str) -> Option<Vec<u8>> {
        self.entries.get(key).map(|e| e.value.clone())
    }

    /// The other writer's turn, if this swap on `key` is one it meets.
    fn interfere(&mut self, key: &str) {
        let Some(other) = self.interference.as_mut().filter(|i| i.key == key) else {
            return;
        };
        if other.skip > 0 {
            other.skip -= 1;
            return;
        }
        if other.times == 0 {
            return;
        }
        other.times -= 1;
        let mut held: Vec<Held> = self
            .entries
            .get(key)
            .and_then(|e| serde_json::from_slice(&e.value).ok())
            .unwrap_or_default();
        (other.write)(&mut held);
        let value = serde_json::to_vec(&held).unwrap();
        self.write(key, value);
    }
}

impl Kv {
    pub fn lock(&self) -> MutexGuard<'_, KvInner> {
        self.inner.lock().unwrap()
    }

    pub fn opens(&self) -> usize {
        self.opens.load(Ordering::SeqCst)
    }

    /// Writes `key` as something besides the app would.
    pub fn set(&self, key: &str, value: &[u8]) {
        self.lock().write(key, value.to_vec());
    }

    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.lock().entries.keys().cloned().collect();
        keys.sort();
        keys
    }

    /// When the checks held under `key` began (it must hold the app's JSON list).
    pub fn times(&self, key: &str) -> Vec<u64> {
        let value = self
            .lock()
            .value_of(key)
            .unwrap_or_else(|| panic!("no {key}"));
        let held: Vec<Held> = serde_json::from_slice(&value).unwrap();
        held.into_iter().map(|(at, _)| at).collect()
    }

    /// A store that answers swaps as Spin's Redis store does: see [`KvInner::misreports`].
    pub fn misreporting() -> Self {
        let kv = Kv::default();
        kv.lock().misreports = true;
        kv
    }

    pub fn cas_failures(&self) -> usize {
        self.lock().cas_failures
    }

    /// Sets the other writer: see [`Interference`].
    pub fn interfere(
        &self,
        key: &str,
        skip: usize,
        times: usize,
        write: impl FnMut(&mut Vec<Held>) + Send + 'static,
    ) {
        self.lock().interference = Some(Interference {
            key: key.to_owned(),
            skip,
            times,
            write: Box::new(write),
        });
    }
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

impl<T> spin_vars::HostWithStore<T> for SpinVariables {
    async fn get(accessor: &Accessor<T, Self>, name: String) -> Result<String, spin_vars::Error> {
        accessor
            .with(|mut access| access.get().variables.get(&name).cloned())
            .ok_or(spin_vars::Error::Undefined(name))
    }
}

/// `wasi:keyvalue` (store, atomics) over [`State::kv`]: only the `default` bucket exists, as
/// `key_value_stores = ["default"]` in spin.toml grants; Spin answers `access-denied` for a
/// label the component was not given.
pub struct WasiKeyValue;

impl HasData for WasiKeyValue {
    type Data<'a> = &'a mut State;
}

/// A compare-and-swap under way: the key, and its version and value when the handle was made
/// (a missing key has no version). The swap succeeds only if the key is still at that version.
/// `pub`: the generated bindings re-export it.
pub struct CasHandle {
    key: String,
    version: Option<u64>,
    value: Option<Vec<u8>>,
}

impl State {
    fn cas_handle(&mut self, key: String) -> Result<Resource<CasHandle>, kv_store::Error> {
        let (version, value) = {
            let kv = self.kv.lock();
            (kv.version_of(&key), kv.value_of(&key))
        };
        self.table
            .push(CasHandle {
                key,
                version,
                value,
            })
            .map_err(|e| kv_store::Error::Other(e.to_string()))
    }
}

impl kv_store::Host for &mut State {
    fn open(&mut self, identifier: String) -> Result<Resource<kv_store::Bucket>, kv_store::Error> {
        if identifier == "default" {
            self.kv.opens.fetch_add(1, Ordering::SeqCst);
            // One bucket: its handle needs no state.
            Ok(Resource::new_own(0))
        } else {
            Err(kv_store::Error::AccessDenied)
        }
    }
}

impl kv_store::HostBucket for &mut State {
    fn get(
        &mut self,
        _bucket: Resource<kv_store::Bucket>,
        key: String,
    ) -> Result<Option<Vec<u8>>, kv_store::Error> {
        Ok(self.kv.lock().value_of(&key))
    }

    fn set(
        &mut self,
        _bucket: Resource<kv_store::Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), kv_store::Error> {
        self.kv.lock().write(&key, value);
        Ok(())
    }

    fn delete(
        &mut self,
        _bucket: Resource<kv_store::Bucket>,
        key: String,
    ) -> Result<(), kv_store::Error> {
        let mut kv = self.kv.lock();
        if kv.entries.remove(&key).is_some() {
            kv.version += 1;
        }
        Ok(())
    }

    fn exists(
        &mut self,
        _bucket: Resource<kv_store::Bucket>,
        key: String,
    ) -> Result<bool, kv_store::Error> {
        Ok(self.kv.lock().entries.contains_key(&key))
    }

    fn list_keys(
        &mut self,
        _bucket: Resource<kv_store::Bucket>,
        _cursor: Option<String>,
    ) -> Result<kv_store::KeyResponse, kv_store::Error> {
        Err(kv_store::Error::Other(
            "list-keys: not in this harness".into(),
        ))
    }

    fn drop(&mut self, bucket: Resource<kv_store::Bucket>) -> wasmtime::Result<()> {
        let _ = bucket;
        Ok(())
    }
}

impl kv_atomics::HostCas for &mut State {
    fn new(
        &mut self,
        _bucket: Resource<kv_atomics::Bucket>,
        key: String,
    ) -> Result<Resource<CasHandle>, kv_store::Error> {
        self.cas_handle(key)
    }

    fn current(&mut self, cas: Resource<CasHandle>) -> Result<Option<Vec<u8>>, kv_store::Error> {
        let cas = self
            .table
            .get(&cas)
            .map_err(|e| kv_store::Error::Other(e.to_string()))?;
        Ok(cas.value.clone())
    }

    fn drop(&mut self, cas: Resource<CasHandle>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

impl kv_atomics::Host for &mut State {
    /// As Spin's stores: the value is an i64, little-endian; a missing key counts as 0.
    fn increment(
        &mut self,
        _bucket: Resource<kv_atomics::Bucket>,
        key: String,
        delta: i64,
    ) -> Result<i64, kv_store::Error> {
        let mut kv = self.kv.lock();
        let old = match kv.value_of(&key) {
            None => 0,
            Some(bytes) => i64::from_le_bytes(
                bytes
                    .try_into()
                    .map_err(|_| kv_store::Error::Other("not a number".into()))?,
            ),
        };
        let new = old.wrapping_add(delta);
        kv.write(&key, new.to_le_bytes().to_vec());
        Ok(new)
    }

    fn swap(
        &mut self,
        cas: Resource<CasHandle>,
        value: Vec<u8>,
    ) -> Result<(), kv_atomics::CasError> {
        let cas = self
            .table
            .delete(cas)
            .map_err(|e| kv_atomics::CasError::StoreError(kv_store::Error::Other(e.to_string())))?;
        {
            let mut kv = self.kv.lock();
            kv.interfere(&cas.key);
            let unchanged = kv.version_of(&cas.key) == cas.version;
            if unchanged {
                kv.write(&cas.key, value);
            } else {
                kv.cas_failures += 1;
            }
            if unchanged != kv.misreports {
                return Ok(());
            }
        }
        // As the WIT asks: a handle at the latest version, for the retry.
        let fresh = self
            .cas_handle(cas.key)
            .map_err(kv_atomics::CasError::StoreError)?;
        Err(kv_atomics::CasError::CasFailed(fresh))
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
