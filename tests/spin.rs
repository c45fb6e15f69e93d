//! The Spin app (`spin/`, spin-sdk 7, WASIp3) served by wasmtime 48, no spin CLI: the
//! component's `wasi:http/handler@0.3.0` export gets the requests, a stub `spin:variables`
//! answers its settings, an in-memory `wasi:keyvalue` store (with real compare-and-swap) keeps
//! its failed e-mail checks, and its outbound requests go through the host's `HttpPolicy` (the
//! same hook as the plugin's tests) to the fake shop in-process. The policy allows only the
//! shop's origin, as Spin's `allowed_outbound_hosts` does.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use http_body_util::{BodyExt as _, Full};
use serde_json::{Value, json};
use support::{API_URL, Sent, cases, sample_shop, sent};
use upgates_core::ActionName;
use upgates_fake_shop::{FakeShop, Fault, SAMPLE_KEY, SAMPLE_LOGIN};
use upgates_host::HttpPolicy;
use wasmtime::component::{Accessor, Component, HasData, Linker, Resource, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostWallClock, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p3::bindings::ServicePre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

mod spin_host {
    wasmtime::component::bindgen!({
        // `deps/` vendored from the spin-sdk 7.0.0 crate (wit/deps/spin-variables@3.0.0 and
        // wasi-keyvalue-2024-10-17, i.e. wasi:keyvalue@0.2.0-draft2).
        path: "../tests/wit-spin",
        world: "upgates:spin-harness/host",
        // A CAS handle is a row of the instance's resource table.
        with: { "wasi:keyvalue/atomics.cas": crate::CasHandle },
    });
}
use spin_host::spin::variables::variables as spin_vars;
use spin_host::wasi::keyvalue::{atomics as kv_atomics, store as kv_store};

const TOKEN: &str = "test-bot-token-0123456789";

/// The settings `spin up` would get from `SPIN_VARIABLE_*`.
fn variables() -> HashMap<String, String> {
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
struct State {
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
struct Kv {
    inner: Arc<Mutex<KvInner>>,
    opens: Arc<AtomicUsize>,
}

#[derive(Default)]
struct KvInner {
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

struct Versioned {
    value: Vec<u8>,
    version: u64,
}

/// A check as the app stores it: when it began and its tag.
type Held = (u64, u64);

/// What the other writer does to the list of checks it finds.
type OtherWrite = Box<dyn FnMut(&mut Vec<Held>) + Send>;

/// Another writer (another instance or replica of the app) that changes `key` just before
/// swaps on it: the `skip` first swaps go through untouched, the next `times` each meet its
/// write. Its value is a list of check times, as the app writes.
struct Interference {
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
    fn lock(&self) -> MutexGuard<'_, KvInner> {
        self.inner.lock().unwrap()
    }

    fn opens(&self) -> usize {
        self.opens.load(Ordering::SeqCst)
    }

    /// Writes `key` as something besides the app would.
    fn set(&self, key: &str, value: &[u8]) {
        self.lock().write(key, value.to_vec());
    }

    fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.lock().entries.keys().cloned().collect();
        keys.sort();
        keys
    }

    /// When the checks held under `key` began (it must hold the app's JSON list).
    fn times(&self, key: &str) -> Vec<u64> {
        let value = self
            .lock()
            .value_of(key)
            .unwrap_or_else(|| panic!("no {key}"));
        let held: Vec<Held> = serde_json::from_slice(&value).unwrap();
        held.into_iter().map(|(at, _)| at).collect()
    }

    /// A store that answers swaps as Spin's Redis store does: see [`KvInner::misreports`].
    fn misreporting() -> Self {
        let kv = Kv::default();
        kv.lock().misreports = true;
        kv
    }

    fn cas_failures(&self) -> usize {
        self.lock().cas_failures
    }

    /// Sets the other writer: see [`Interference`].
    fn interfere(
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
struct SpinVariables;

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
struct WasiKeyValue;

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

struct FixedClock;

impl HostWallClock for FixedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        support::now().duration_since(UNIX_EPOCH).unwrap()
    }
}

/// The Spin component, compiled and linked once per test binary.
fn spin_app() -> &'static (Engine, ServicePre<State>) {
    static APP: OnceLock<(Engine, ServicePre<State>)> = OnceLock::new();
    APP.get_or_init(|| {
        let mut config = Config::new();
        config.wasm_component_model_async(true);
        let engine = Engine::new(&config).unwrap();
        let component = Component::from_file(&engine, env!("UPGATES_SPIN_WASM_PATH")).unwrap();
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
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    json: Value,
    log: String,
}

/// One request through a fresh instance, with `variables`, an empty key-value store and the
/// `fake` shop behind the policy for [`API_URL`]'s origin.
async fn serve(
    fake: &FakeShop,
    variables: HashMap<String, String>,
    request: http::Request<Full<Bytes>>,
) -> Reply {
    serve_with(fake, variables, &Kv::default(), request).await
}

/// [`serve`] with the key-value store `kv` (several requests sharing one, as Spin's instances
/// and replicas share the app's store).
async fn serve_with(
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
struct RawReply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    log: String,
}

async fn serve_raw(
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
fn shop_policy() -> HttpPolicy {
    HttpPolicy::for_shop(&support::config(API_URL))
        .unwrap()
        .isolated()
}

/// [`serve_raw`] with the app's outgoing requests answered by `policy`.
async fn serve_through(
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

fn request(
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
fn post(action: ActionName, body: &Value) -> http::Request<Full<Bytes>> {
    request(
        Method::POST,
        &format!("/v1/{action}"),
        Some(TOKEN),
        &body.to_string(),
    )
}

fn assert_error(reply: &Reply, status: u16, reason: &str, message: &str) {
    assert_eq!(reply.status.as_u16(), status, "{reply:?}");
    assert_eq!(
        reply.json,
        json!({"ok": false, "reason": reason, "message": message}),
        "{reply:?}"
    );
    assert_eq!(reply.headers["content-type"], "application/json");
}

/// A valid signed link's token to this invoice of order 124, for ten more minutes.
fn link_token(invoice: &str) -> String {
    upgates_core::invoice_link::sign(
        LINK_SECRET,
        API_URL,
        "2025000124",
        invoice,
        support::now() + Duration::from_secs(600),
    )
}

// --- the nine routes ----------------------------------------------------------------------

/// Every case of the action table (each action's "Ano" and "Ne" paths, the exact requests
/// and the shop's state afterwards): the Spin answer is the CLI's JSON, with status 200.
#[tokio::test(flavor = "multi_thread")]
async fn every_case_through_the_spin_app() {
    let mut seen = HashMap::<ActionName, (bool, bool)>::new();
    for case in cases::all() {
        let fake = sample_shop();
        (case.setup)(&fake);
        let reply = serve(&fake, variables(), post(case.action, &case.input)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}: {reply:?}", case.name);
        assert_eq!(reply.headers["cache-control"], "no-store", "{}", case.name);
        support::check(&case, &fake, &reply.json);
        let (yes, no) = seen.entry(case.action).or_default();
        if reply.json["ok"] == json!(true) {
            *yes = true;
        } else {
            *no = true;
        }
    }
    for action in ActionName::ALL {
        assert_eq!(
            seen.get(&action),
            Some(&(true, true)),
            "{action}: an Ano and a Ne"
        );
    }
}

/// The same answers as the plugin, side by side, for one "Ano" and one "Ne" per action.
#[tokio::test(flavor = "multi_thread")]
async fn the_same_json_as_the_plugin() {
    let samples = [
        (ActionName::VerifyOrder, json!({"order": "2025000124"})),
        (
            ActionName::OrderDetail,
            json!({"order": "2025000123", "email": "jana.novakova@example.cz"}),
        ),
        (ActionName::CustomerEmail, json!({"order": "2025000125"})),
        (
            ActionName::SetOrderStatus,
            json!({"order": "2025000123", "status": "Odeslaná"}),
        ),
        (
            ActionName::VerifyCustomer,
            json!({"order": "2025000124", "email": "x@example.cz"}),
        ),
        (
            ActionName::OrdersByPhone,
            json!({"phone": "601 223 344", "days": 60}),
        ),
        (
            ActionName::AppendNote,
            json!({"order": "9999999", "text": "x"}),
        ),
        (
            ActionName::ReplaceNote,
            json!({"order": "2025000124", "text": "Nová"}),
        ),
        (
            ActionName::OrderDocuments,
            json!({"order": "2025000124", "email": "jana.novakova@example.cz"}),
        ),
    ];
    for (action, input) in samples {
        let (plugin_shop, spin_shop) = (sample_shop(), sample_shop());
        let input_struct = serde_json::from_value(input.clone()).unwrap();
        let plugin = support::run_wasm(&plugin_shop, action, &input_struct).await;
        let spin = serve(&spin_shop, variables(), post(action, &input)).await;
        assert_eq!(spin.json, plugin, "{action}");
        assert_eq!(sent(&spin_shop), sent(&plugin_shop), "{action}: requests");
    }
}

// --- what the HTTP layer refuses ------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn health_needs_no_token_and_no_shop() {
    let fake = sample_shop();
    let reply = serve(
        &fake,
        HashMap::new(),
        request(Method::GET, "/v1/health", None, ""),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["ok"], json!(true));
    assert_eq!(reply.json["service"], json!("upgates-bot"));
    assert!(fake.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_or_wrong_token_is_401_without_upstream_requests() {
    let body = r#"{"order":"2025000123"}"#;
    let wrong = format!("{TOKEN}x");
    let short = &TOKEN[..TOKEN.len() - 1];
    for token in [
        None,
        Some(""),
        Some(wrong.as_str()),
        Some(short),
        Some("demo-key-4f1c2a9e"),
    ] {
        let fake = sample_shop();
        let reply = serve(
            &fake,
            variables(),
            request(Method::POST, "/v1/verify-order", token, body),
        )
        .await;
        assert_error(
            &reply,
            401,
            "unauthenticated",
            "send `Authorization: Bearer <bot_token>`",
        );
        assert_eq!(reply.headers["www-authenticate"], "Bearer");
        assert!(fake.requests().is_empty(), "{token:?}");
    }
    // Another scheme, or the token in a second header.
    let fake = sample_shop();
    let mut basic = request(Method::POST, "/v1/verify-order", None, body);
    basic
        .headers_mut()
        .insert("authorization", format!("Basic {TOKEN}").parse().unwrap());
    let reply = serve(&fake, variables(), basic).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let mut twice = request(Method::POST, "/v1/verify-order", Some(TOKEN), body);
    twice
        .headers_mut()
        .append("authorization", "Bearer other".parse().unwrap());
    let reply = serve(&fake, variables(), twice).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(fake.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_json_unknown_fields_and_missing_inputs_are_400() {
    let cases = [
        (
            ActionName::VerifyOrder,
            "{\"order\":",
            "the body is not valid JSON (line 1, column 9)",
        ),
        (
            ActionName::VerifyOrder,
            "",
            "the body is empty: send a JSON object of verify-order's inputs: order",
        ),
        (
            ActionName::VerifyOrder,
            "\"2025000123\"",
            "the body must be a JSON object of verify-order's inputs: order",
        ),
        (
            ActionName::VerifyOrder,
            r#"{"order":"2025000123","evil":1}"#,
            "`evil` is not an input of verify-order; it takes: order",
        ),
        (
            ActionName::VerifyOrder,
            r#"{"order":"2025000123","email":"jana.novakova@example.cz"}"#,
            "`email` is not an input of verify-order; it takes: order",
        ),
        (
            ActionName::OrdersByPhone,
            r#"{"phone":601223344,"days":30}"#,
            "`phone` must be a string",
        ),
        (
            ActionName::OrdersByPhone,
            r#"{"phone":"601223344","days":"30"}"#,
            "`days` must be a whole number",
        ),
        (
            ActionName::SetOrderStatus,
            r#"{"order":"2025000123","status":"3","notify":"yes"}"#,
            "`notify` must be true or false",
        ),
        (
            ActionName::OrderDetail,
            r#"{"order":"2025000123"}"#,
            "invalid input: `email` is required for order-detail",
        ),
        (
            ActionName::AppendNote,
            r#"{"text":"x"}"#,
            "invalid input: `order` is required for append-note",
        ),
    ];
    for (action, body, message) in cases {
        let fake = sample_shop();
        let reply = serve(
            &fake,
            variables(),
            request(Method::POST, &format!("/v1/{action}"), Some(TOKEN), body),
        )
        .await;
        assert_error(&reply, 400, "bad-request", message);
        assert!(fake.requests().is_empty(), "{action} {body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_over_64_kib_is_413() {
    let fake = sample_shop();
    let text = "x".repeat(70 << 10);
    let body = json!({"order": "2025000123", "text": text}).to_string();
    let reply = serve(
        &fake,
        variables(),
        request(Method::POST, "/v1/replace-note", Some(TOKEN), &body),
    )
    .await;
    assert_error(
        &reply,
        413,
        "too-large",
        "the body is larger than 65536 bytes",
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_method_is_405_and_unknown_route_404() {
    let fake = sample_shop();
    for (method, path) in [
        (Method::GET, "/v1/verify-order"),
        (Method::PUT, "/v1/append-note"),
    ] {
        let reply = serve(&fake, variables(), request(method, path, Some(TOKEN), "{}")).await;
        assert_error(
            &reply,
            405,
            "method-not-allowed",
            "this route takes POST only",
        );
        assert_eq!(reply.headers["allow"], "POST");
    }
    let reply = serve(
        &fake,
        variables(),
        request(Method::POST, "/v1/health", None, ""),
    )
    .await;
    assert_error(
        &reply,
        405,
        "method-not-allowed",
        "this route takes GET only",
    );
    assert_eq!(reply.headers["allow"], "GET");
    for path in [
        "/",
        "/v1/drop-table",
        "/v1/verify-order/2025000123",
        "/verify-order",
    ] {
        let reply = serve(
            &fake,
            variables(),
            request(Method::POST, path, Some(TOKEN), "{}"),
        )
        .await;
        assert_error(
            &reply,
            404,
            "no-route",
            "no such route: POST /v1/<action>, GET /v1/health or GET /v1/invoice/<token>",
        );
    }
    assert!(fake.requests().is_empty());
}

// --- configuration ------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_variable_is_a_500_naming_it_never_a_value() {
    for name in ["api_url", "api_login", "api_key", "bot_token"] {
        for value in [None, Some("  ")] {
            let fake = sample_shop();
            let mut vars = variables();
            match value {
                None => vars.remove(name),
                Some(blank) => vars.insert(name.to_owned(), blank.to_owned()),
            };
            let reply = serve(
                &fake,
                vars,
                post(ActionName::VerifyOrder, &json!({"order": "2025000123"})),
            )
            .await;
            assert_error(
                &reply,
                500,
                "misconfigured",
                &format!("shop configuration: `{name}` is not set"),
            );
            for secret in [SAMPLE_KEY, SAMPLE_LOGIN, TOKEN, "demo.admin"] {
                assert!(
                    !reply.json.to_string().contains(secret),
                    "{name}: {reply:?}"
                );
            }
            assert!(fake.requests().is_empty(), "{name}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_variables_are_named_too() {
    let invalid = [
        (
            "api_url",
            "ftp://demo.admin.s1.upgates.com",
            "shop configuration: `api_url` must start with https://",
        ),
        // The login and key would go over the network in clear text.
        (
            "api_url",
            "http://demo.admin.s1.upgates.com/api/v2",
            "shop configuration: `api_url` must start with https:// (http:// only for \
             127.0.0.1, [::1] or localhost)",
        ),
        (
            "api_login",
            "demo:x",
            "shop configuration: `api_login` must be non-empty, without `:` or control characters",
        ),
        (
            "default_country_code",
            "42a",
            "shop configuration: `default_country_code` must be 1 to 3 digits, e.g. 420",
        ),
        (
            "verify_appends",
            "maybe",
            "shop configuration: `verify_appends` must be true or false",
        ),
        (
            "bot_token",
            "short",
            "shop configuration: `bot_token` must be at least 16 printable characters without spaces",
        ),
        // `allowed_outbound_hosts` would refuse every request to Upgates.
        (
            "api_origin",
            "https://other.admin.s1.upgates.com",
            "shop configuration: `api_origin` must be the scheme and host of `api_url` \
             (https://<shop>.admin.<server>.upgates.com): the only host the app may call",
        ),
        // deploy/secret.example.yaml's placeholder passes the length check; deployed as it
        // is, anyone could call the bot.
        (
            "bot_token",
            "REPLACE-WITH-openssl-rand-hex-32",
            "shop configuration: `bot_token` is still the example's placeholder: set a secret of your own",
        ),
    ];
    for (name, value, message) in invalid {
        let fake = sample_shop();
        let mut vars = variables();
        vars.insert(name.to_owned(), value.to_owned());
        let reply = serve(
            &fake,
            vars,
            post(ActionName::VerifyOrder, &json!({"order": "2025000123"})),
        )
        .await;
        assert_error(&reply, 500, "misconfigured", message);
        assert!(fake.requests().is_empty(), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_country_code_defaults_to_420_and_can_be_changed() {
    let input = json!({"phone": "601 223 344", "days": 30});
    let fake = sample_shop();
    let mut vars = variables();
    vars.remove("default_country_code");
    let reply = serve(&fake, vars, post(ActionName::OrdersByPhone, &input)).await;
    assert_eq!(reply.json["vars"]["count"], json!(2), "{reply:?}");
    let fake = sample_shop();
    let mut vars = variables();
    vars.insert("default_country_code".into(), "421".into());
    let reply = serve(&fake, vars, post(ActionName::OrdersByPhone, &input)).await;
    assert_eq!(reply.json["ok"], json!(false));
    assert_eq!(sent(&fake).len(), 1);
    assert!(
        fake.requests()[0]
            .query
            .as_deref()
            .unwrap()
            .starts_with("phone=421601223344&")
    );
}

/// A 429 with a short `Retry-After` is waited out on the host's clock and the read sent
/// once more, as the plugin does.
#[tokio::test(flavor = "multi_thread")]
async fn a_short_retry_after_is_waited_out_like_the_plugin() {
    let input = json!({"order": "2025000123"});
    let rate_limited = || Fault::status(429).header("Retry-After", "1");
    let (plugin_shop, spin_shop) = (sample_shop(), sample_shop());
    plugin_shop.push_fault(rate_limited());
    spin_shop.push_fault(rate_limited());
    let plugin = support::run_wasm(
        &plugin_shop,
        ActionName::VerifyOrder,
        &serde_json::from_value(input.clone()).unwrap(),
    )
    .await;
    let started = std::time::Instant::now();
    let spin = serve(
        &spin_shop,
        variables(),
        post(ActionName::VerifyOrder, &input),
    )
    .await;
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(spin.json["ok"], json!(true), "{spin:?}");
    assert_eq!(spin.json, plugin);
    let order = || Sent::get("/api/v2/orders/2025000123");
    assert_eq!(sent(&spin_shop), vec![order(), order()]);
}

/// With `verify_appends` (several replicas writing one shop) an append is read back.
#[tokio::test(flavor = "multi_thread")]
async fn verify_appends_reads_the_note_back() {
    let fake = sample_shop();
    let mut vars = variables();
    vars.insert("verify_appends".into(), "true".into());
    let input = json!({"order": "2025000123", "text": "Druhý řádek"});
    let reply = serve(&fake, vars, post(ActionName::AppendNote, &input)).await;
    assert_eq!(reply.json, json!({"ok": true, "vars": {}}), "{reply:?}");
    let methods: Vec<String> = sent(&fake).into_iter().map(|s| s.method).collect();
    // The read, the write, the read-back, then the history record (`audit_trail`).
    assert_eq!(methods, ["GET", "PUT", "GET", "POST"]);
    assert_eq!(
        fake.order("2025000123").unwrap()["internal_note"],
        json!("Druhý řádek")
    );
}

/// `api_url` names another host than the one the host allows: the request is refused before
/// it leaves, as Spin refuses hosts missing from `allowed_outbound_hosts`. (Plain http to the
/// shop is refused earlier, as a setting: `invalid_variables_are_named_too`.)
#[tokio::test(flavor = "multi_thread")]
async fn another_host_than_the_shops_is_refused() {
    for url in [
        "https://evil.example/api/v2",
        "https://demo.admin.s1.upgates.com:8443/api/v2",
    ] {
        let fake = sample_shop();
        let mut vars = variables();
        vars.insert("api_url".into(), url.into());
        // The host's own allow-list, not the variable the app checks (that one is a 500:
        // `invalid_variables_are_named_too`).
        vars.remove("api_origin");
        let reply = serve(
            &fake,
            vars,
            post(ActionName::VerifyOrder, &json!({"order": "2025000123"})),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{url}");
        assert_eq!(
            reply.json,
            json!({"ok": false, "reason": "misconfigured",
                   "message": "shop configuration: the host does not allow requests to this API URL"}),
            "{url}"
        );
        assert!(fake.requests().is_empty(), "{url}");
    }
}

// --- what the app logs -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn the_log_names_the_reason_never_the_customer() {
    let fake = sample_shop();
    let input = json!({"order": "2025000124", "email": "peter.horvath@example.sk"});
    let reply = serve(&fake, variables(), post(ActionName::VerifyCustomer, &input)).await;
    assert_eq!(reply.json["reason"], json!("not-verified"));
    assert_eq!(reply.log, "upgates-bot: verify-customer: not-verified\n");
    assert_eq!(sent(&fake), vec![Sent::get("/api/v2/orders/2025000124")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_audit_record_is_logged_and_the_write_still_answers_ano() {
    let fake = sample_shop();
    fake.push_fault(Fault::status(500).on(Method::POST, "/history"));
    let input = json!({"order": "2025000123", "status": "Odeslaná", "notify": false});
    let reply = serve(&fake, variables(), post(ActionName::SetOrderStatus, &input)).await;
    assert_eq!(reply.json, json!({"ok": true, "vars": {}}));
    assert_eq!(
        reply.log,
        "upgates-bot: Upgates refused a write: POST /api/v2/orders/2025000123/history (500)\n"
    );
    assert_eq!(fake.order("2025000123").unwrap()["status_id"], json!(3));
    assert!(fake.history("2025000123").is_empty());
    assert_eq!(sent(&fake), refused_audit_requests());
}

/// The status change of [`a_refused_audit_record_is_logged_and_the_write_still_answers_ano`]:
/// the PUT, then the history record Upgates refuses; nothing is retried.
fn refused_audit_requests() -> Vec<Sent> {
    vec![
        Sent::put(
            "/api/v2/orders",
            json!({"send_emails_yn": false, "send_sms_yn": false,
                   "orders": [{"order_number": "2025000123", "status": "Odeslaná"}]}),
        ),
        cases::history(
            "2025000123",
            "Chatbot: změna stavu",
            "Nový stav: Odeslaná (upozornit zákazníka: ne)",
        ),
    ]
}

// --- the world ---------------------------------------------------------------------------

/// What the component needs from its host is what Spin provides: WASI 0.2 for Rust's std,
/// `wasi:http` 0.3, `spin:variables` and `wasi:keyvalue` draft2 (store and atomics, which Spin
/// serves from the same stores as `spin:key-value`); no sockets, no files. It exports the
/// WASIp3 handler.
#[test]
fn imports_only_what_spin_provides() {
    let (engine, pre) = spin_app();
    let ty = pre.instance_pre().component().component_type();
    let allowed = [
        "wasi:cli/",
        "wasi:io/",
        "wasi:clocks/",
        "wasi:random/",
        "wasi:http/types@0.3.0",
        "wasi:http/client@0.3.0",
        "spin:variables/variables@3.0.0",
        "wasi:keyvalue/store@0.2.0-draft2",
        "wasi:keyvalue/atomics@0.2.0-draft2",
    ];
    let imports: Vec<String> = ty
        .imports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    for name in &imports {
        assert!(
            allowed.iter().any(|a| name.starts_with(a)),
            "unexpected import {name}"
        );
    }
    for needed in [
        "spin:variables/variables@3.0.0",
        "wasi:keyvalue/atomics@0.2.0-draft2",
    ] {
        assert!(imports.iter().any(|n| n == needed), "{needed}: {imports:?}");
    }
    let exports: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    assert_eq!(exports, ["wasi:http/handler@0.3.0"]);
}

// --- guardrails ----------------------------------------------------------------------------

/// The sample shop's variables with `settings` (the component's `wasi:config` keys) on top, as
/// Spin variables (`-` → `_`).
fn variables_with(settings: &[(&str, &str)]) -> HashMap<String, String> {
    let mut vars = variables();
    for (key, value) in settings {
        vars.insert(key.replace('-', "_"), (*value).to_owned());
    }
    vars
}

/// The guardrail table the component runs in `tests/guardrails.rs`, through the Spin app:
/// every call a fresh instance, the failed e-mail checks in the shared key-value store.
#[tokio::test(flavor = "multi_thread")]
async fn every_guardrail_scenario_through_the_spin_app() {
    for scenario in support::guardrails::all() {
        let fake = sample_shop();
        let kv = Kv::default();
        for (i, (action, input, want)) in scenario.calls.iter().enumerate() {
            let vars = variables_with(scenario.settings);
            let reply = serve_with(&fake, vars, &kv, post(*action, input)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}: {reply:?}", scenario.name);
            assert_eq!(&reply.json, want, "{}: call {i} ({action})", scenario.name);
        }
        assert_eq!(sent(&fake), scenario.sent, "{}: requests", scenario.name);
        (scenario.after)(&fake);
    }
}

/// Upgates accepts the request and never answers. The host's own request timeouts are set
/// longer than the app's deadline, so only the deadline can end the call (this test takes
/// the deadline's 30 s).
#[tokio::test(flavor = "multi_thread")]
async fn a_call_past_the_deadline_answers_timeout() {
    let mut policy = shop_policy().with_in_process_async(Arc::new(|_request| {
        Box::pin(std::future::pending::<http::Response<Bytes>>())
    }));
    policy.first_byte_timeout = Duration::from_secs(300);
    let started = std::time::Instant::now();
    let raw = serve_through(
        policy,
        variables(),
        &Kv::default(),
        post(ActionName::VerifyOrder, &json!({"order": "2025000123"})),
    )
    .await;
    let elapsed = started.elapsed();
    let json: Value = serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(json["ok"], json!(false));
    assert_eq!(json["reason"], json!("timeout"), "{json}");
    assert!(
        (Duration::from_secs(30)..Duration::from_secs(60)).contains(&elapsed),
        "{elapsed:?}"
    );
}

/// The app's key for order 124's checks: `verify-failures/<shop>/<order>`, the shop a hash of
/// its API URL (apps of several shops may share one store).
fn checks_key(api_url: &str, order: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(api_url.as_bytes());
    let scope: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("verify-failures/{scope}/{order}")
}

fn checks_124() -> String {
    checks_key(API_URL, "2025000124")
}
const ORDER_124: &str = "/api/v2/orders/2025000124";
const JANA: &str = "jana.novakova@example.cz";

fn right_email_124() -> Value {
    json!({"order": "2025000124", "email": JANA})
}

fn wrong_email_124() -> Value {
    json!({"order": "2025000124", "email": "x@example.cz"})
}

fn assert_not_verified(reply: &Reply) {
    assert_eq!(
        reply.json,
        json!({"ok": false, "reason": "not-verified",
               "message": "the order number and e-mail do not match"}),
        "{reply:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_checks_are_kept_in_the_key_value_store() {
    let fake = sample_shop();
    let kv = Kv::default();
    let vars = || variables_with(&[("verify-attempts", "2")]);
    // A check that passes is held while Upgates answers, then withdrawn: nothing stays held.
    let reply = serve_with(
        &fake,
        vars(),
        &kv,
        post(ActionName::VerifyCustomer, &right_email_124()),
    )
    .await;
    assert_eq!(reply.json, json!({"ok": true, "vars": {}}), "{reply:?}");
    assert_eq!(kv.times(&checks_124()), Vec::<u64>::new());
    for _ in 0..2 {
        let wrong = post(ActionName::VerifyCustomer, &wrong_email_124());
        let reply = serve_with(&fake, vars(), &kv, wrong).await;
        assert_not_verified(&reply);
    }
    // The store is opened once per request, the check begun and withdrawn alike.
    assert_eq!(kv.opens(), 3);
    assert_eq!(kv.keys(), [checks_124()], "one key per order number");
    assert_eq!(
        kv.times(&checks_124()),
        [support::NOW_SECS, support::NOW_SECS]
    );
    assert_eq!(kv.cas_failures(), 0);
    // At the limit even the right e-mail is not checked, and nothing more is held.
    let right = post(ActionName::VerifyCustomer, &right_email_124());
    let reply = serve_with(&fake, vars(), &kv, right).await;
    assert_not_verified(&reply);
    assert_eq!(
        kv.times(&checks_124()),
        [support::NOW_SECS, support::NOW_SECS]
    );
    assert_eq!(sent(&fake), vec![Sent::get(ORDER_124); 3]);

    // A value something else wrote counts as no checks (and is replaced on the next one).
    let broken = Kv::default();
    broken.set(&checks_124(), b"not json");
    let fake = sample_shop();
    let wrong = post(ActionName::VerifyCustomer, &wrong_email_124());
    let reply = serve_with(&fake, vars(), &broken, wrong).await;
    assert_not_verified(&reply);
    assert_eq!(broken.times(&checks_124()), [support::NOW_SECS]);
    assert_eq!(sent(&fake), vec![Sent::get(ORDER_124)]);
}

/// Two shops' apps sharing one store (one Redis for several `SpinApp`s): the same order
/// number at another shop is another key, so one shop's failures do not lock the other's
/// customer out, and no key names a shop's URL.
#[tokio::test(flavor = "multi_thread")]
async fn shops_sharing_a_store_keep_their_own_checks() {
    const OTHER_URL: &str = "https://other.admin.s1.upgates.com/api/v2";
    let kv = Kv::default();
    let fake = sample_shop();
    let vars = variables_with(&[("verify-attempts", "1")]);
    let wrong = post(ActionName::VerifyCustomer, &wrong_email_124());
    assert_not_verified(&serve_with(&fake, vars.clone(), &kv, wrong).await);
    let right = post(ActionName::VerifyCustomer, &right_email_124());
    assert_not_verified(&serve_with(&fake, vars, &kv, right).await);
    // The other shop: its own URL (and policy), the same store.
    let other = sample_shop();
    let handler = other.clone();
    let policy = HttpPolicy::for_shop(&support::config(OTHER_URL))
        .unwrap()
        .isolated()
        .with_in_process(Arc::new(move |request| handler.handle(request)));
    let vars = variables_with(&[
        ("verify-attempts", "1"),
        ("api-url", OTHER_URL),
        ("api-origin", "https://other.admin.s1.upgates.com"),
    ]);
    let right = post(ActionName::VerifyCustomer, &right_email_124());
    let raw = serve_through(policy, vars, &kv, right).await;
    let answer: Value = serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(answer, json!({"ok": true, "vars": {}}), "{raw:?}");
    assert_eq!(sent(&other), vec![Sent::get(ORDER_124)]);
    assert_eq!(
        kv.keys(),
        [checks_124(), checks_key(OTHER_URL, "2025000124")]
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );
    assert!(kv.keys().iter().all(|k| !k.contains("upgates.com")));
}

/// Another replica writes the order's key between the app's read and its swap: the swap is
/// refused, and the app counts again from the other writer's list, keeping its check. The
/// same on a store that reports the refused swap as done (Spin's Redis store): the read-back
/// does not find the check.
#[tokio::test(flavor = "multi_thread")]
async fn a_check_retries_when_another_writer_got_in_between() {
    for kv in [Kv::default(), Kv::misreporting()] {
        let fake = sample_shop();
        let other = support::NOW_SECS - 5;
        kv.interfere(&checks_124(), 0, 1, move |held| held.push((other, 7)));
        let vars = variables_with(&[("verify-attempts", "2")]);
        let wrong = post(ActionName::VerifyCustomer, &wrong_email_124());
        assert_not_verified(&serve_with(&fake, vars, &kv, wrong).await);
        assert_eq!(kv.cas_failures(), 1);
        // Neither check is lost: the other writer's, then this one (still held: it failed).
        assert_eq!(kv.times(&checks_124()), [other, support::NOW_SECS]);
        assert_eq!(sent(&fake), vec![Sent::get(ORDER_124)]);
    }
}

/// The other writer's check fills the last free place between the app's read and its swap:
/// the retry sees the limit, holds nothing, and Upgates is not asked, right e-mail or not.
#[tokio::test(flavor = "multi_thread")]
async fn a_check_that_another_writer_pushed_over_the_limit_is_refused() {
    let fake = sample_shop();
    let kv = Kv::default();
    let earlier = support::NOW_SECS - 20;
    kv.set(&checks_124(), format!("[[{earlier},1]]").as_bytes());
    let other = support::NOW_SECS - 5;
    kv.interfere(&checks_124(), 0, 1, move |held| held.push((other, 7)));
    let vars = variables_with(&[("verify-attempts", "2")]);
    let right = post(ActionName::VerifyCustomer, &right_email_124());
    let reply = serve_with(&fake, vars, &kv, right).await;
    assert_not_verified(&reply);
    assert_eq!(kv.cas_failures(), 1);
    assert_eq!(
        kv.times(&checks_124()),
        [earlier, other],
        "over the limit: nothing added"
    );
    assert!(fake.requests().is_empty(), "{:?}", sent(&fake));
}

/// A passed check is withdrawn with compare-and-swap too: when another writer adds a check
/// meanwhile, the retry removes one check from the new list, so the other writer's still
/// counts. (The checks are times only, so "which one" is the newest.)
#[tokio::test(flavor = "multi_thread")]
async fn a_withdrawn_check_leaves_another_writers_check_held() {
    let fake = sample_shop();
    let kv = Kv::default();
    let other = support::NOW_SECS - 5;
    // The first swap (the begin) goes through; the second (the withdraw) meets the writer.
    kv.interfere(&checks_124(), 1, 1, move |held| held.push((other, 7)));
    let vars = variables_with(&[("verify-attempts", "2")]);
    let right = post(ActionName::VerifyCustomer, &right_email_124());
    let reply = serve_with(&fake, vars, &kv, right).await;
    assert_eq!(reply.json, json!({"ok": true, "vars": {}}), "{reply:?}");
    assert_eq!(kv.cas_failures(), 1);
    assert_eq!(kv.times(&checks_124()).len(), 1, "the other writer's check");
    assert_eq!(sent(&fake), vec![Sent::get(ORDER_124)]);
}

/// Spin's Redis store reports every swap that went through as failed: the app reads the
/// list back and finds its check there, so a check is held once, not once per retry, and a
/// passed one is withdrawn once. (Trusting the answer, the first check of an order held
/// `verify-attempts` entries and answered not-verified.)
#[tokio::test(flavor = "multi_thread")]
async fn checks_hold_once_on_a_store_that_misreports_its_swaps() {
    let fake = sample_shop();
    let kv = Kv::misreporting();
    let vars = || variables_with(&[("verify-attempts", "2")]);
    let right = || post(ActionName::VerifyCustomer, &right_email_124());
    let reply = serve_with(&fake, vars(), &kv, right()).await;
    assert_eq!(reply.json, json!({"ok": true, "vars": {}}), "{reply:?}");
    assert_eq!(kv.times(&checks_124()), Vec::<u64>::new());
    for _ in 0..2 {
        let wrong = post(ActionName::VerifyCustomer, &wrong_email_124());
        assert_not_verified(&serve_with(&fake, vars(), &kv, wrong).await);
    }
    assert_eq!(
        kv.times(&checks_124()),
        [support::NOW_SECS, support::NOW_SECS]
    );
    assert_not_verified(&serve_with(&fake, vars(), &kv, right()).await);
    assert_eq!(sent(&fake), vec![Sent::get(ORDER_124); 3]);
}

/// A key that changes before every swap: after 8 refused swaps the app gives up and answers
/// like a store that fails, without asking Upgates (the closed side), and writes nothing of
/// its own.
#[tokio::test(flavor = "multi_thread")]
async fn a_check_that_never_gets_its_swap_fails_closed() {
    let fake = sample_shop();
    let kv = Kv::default();
    let mut next = support::NOW_SECS - 100;
    kv.interfere(&checks_124(), 0, usize::MAX, move |held| {
        // Another writer's churn: always one check, a new time each round.
        next += 1;
        *held = vec![(next, 7)];
    });
    let vars = variables_with(&[("verify-attempts", "5")]);
    let right = post(ActionName::VerifyCustomer, &right_email_124());
    let reply = serve_with(&fake, vars, &kv, right).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(
        reply.json,
        json!({"ok": false, "reason": "misconfigured",
               "message": "shop configuration: the key-value store `default` is not available (spin.toml: key_value_stores = [\"default\"])"}),
        "{reply:?}"
    );
    assert_eq!(kv.cas_failures(), 8);
    assert_eq!(kv.times(&checks_124()), [support::NOW_SECS - 100 + 8]);
    assert!(fake.requests().is_empty(), "{:?}", sent(&fake));
}

#[tokio::test(flavor = "multi_thread")]
async fn order_detail_masks_the_phone_like_the_plugin() {
    let input = json!({"order": "2025000123", "email": "jana.novakova@example.cz"});
    let fake = sample_shop();
    let vars = variables_with(&[("mask-personal-data", "true")]);
    let reply = serve(&fake, vars, post(ActionName::OrderDetail, &input)).await;
    assert_eq!(
        reply.json["vars"]["phone"],
        json!(support::guardrails::MASKED_PHONE)
    );
    assert!(!reply.json.to_string().contains("601223344"));
}

const LINK_SECRET: &str = "test-link-secret-0123456789abcdef0123";

fn signed_links() -> HashMap<String, String> {
    variables_with(&[
        ("invoice-links", "signed"),
        ("invoice-link-secret", LINK_SECRET),
        ("invoice-link-base-url", "https://bot.example.cz/"),
    ])
}

fn get(path: &str) -> http::Request<Full<Bytes>> {
    request(Method::GET, path, None, "")
}

/// `order-documents` hands out our link; the link streams the PDF with one request; the
/// link is refused (403, no request) once expired, when altered, and when signed elsewhere.
#[tokio::test(flavor = "multi_thread")]
async fn signed_invoice_links() {
    let fake = sample_shop();
    let verified = json!({"order": "2025000124", "email": "jana.novakova@example.cz"});
    let reply = serve(
        &fake,
        signed_links(),
        post(ActionName::OrderDocuments, &verified),
    )
    .await;
    assert_eq!(reply.json["vars"]["invoice"], json!("found"), "{reply:?}");
    let url = reply.json["vars"]["invoiceurl"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = url
        .strip_prefix("https://bot.example.cz/v1/invoice/")
        .unwrap_or_else(|| panic!("our link, not Upgates': {url}"));
    // What the token grants, and until when: 15 minutes from now by default.
    let grant =
        upgates_core::invoice_link::verify(LINK_SECRET, API_URL, token, support::now()).unwrap();
    assert_eq!(
        (grant.order_number.as_str(), grant.invoice_number.as_str()),
        ("2025000124", "FV2025001")
    );
    assert_eq!(grant.expires, support::now() + Duration::from_secs(15 * 60));

    fake.clear_requests();
    let pdf = serve_raw(
        &fake,
        signed_links(),
        &Kv::default(),
        get(&format!("/v1/invoice/{token}")),
    )
    .await;
    assert_eq!(pdf.status, StatusCode::OK, "{pdf:?}");
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert_eq!(pdf.headers["cache-control"], "private, no-store");
    assert_eq!(
        pdf.headers["content-disposition"],
        "inline; filename=\"FV2025001.pdf\""
    );
    assert!(pdf.body.starts_with(b"%PDF-"), "a PDF");
    assert!(String::from_utf8_lossy(&pdf.body).contains("Faktura FV2025001"));
    let wanted = Sent::get("/api/v2/invoices/FV2025001/pdf");
    assert_eq!(sent(&fake), vec![wanted]);
    assert_eq!(
        fake.requests()[0].header("authorization"),
        Some(support::basic_auth().as_str())
    );

    let expired = upgates_core::invoice_link::sign(
        LINK_SECRET,
        API_URL,
        "2025000124",
        "FV2025001",
        support::now() - Duration::from_secs(1),
    );
    let (payload, tag) = token.split_once('.').unwrap();
    let mut altered = payload.to_owned().into_bytes();
    // Another order: flip one character of the payload under the same tag.
    altered[3] = if altered[3] == b'A' { b'B' } else { b'A' };
    let altered = format!("{}.{tag}", String::from_utf8(altered).unwrap());
    let foreign = upgates_core::invoice_link::sign(
        "another-shops-secret-0123456789abcdef",
        API_URL,
        "2025000124",
        "FV2025001",
        support::now() + Duration::from_secs(600),
    );
    for (what, bad) in [
        ("expired", expired.as_str()),
        ("altered", altered.as_str()),
        ("foreign", foreign.as_str()),
        ("junk", "not-a-token"),
    ] {
        fake.clear_requests();
        let reply = serve(&fake, signed_links(), get(&format!("/v1/invoice/{bad}"))).await;
        assert_error(
            &reply,
            403,
            "link-refused",
            "this invoice link is expired or invalid: ask the bot for a new one",
        );
        assert!(fake.requests().is_empty(), "{what}: no request to Upgates");
        assert!(!reply.log.contains(bad), "{what}: the token is not logged");
    }

    // A valid link to an invoice Upgates no longer has: 404, one request.
    fake.clear_requests();
    let gone = link_token("FV2099999");
    let reply = serve(&fake, signed_links(), get(&format!("/v1/invoice/{gone}"))).await;
    assert_error(&reply, 404, "not-found", "no such order");
    assert_eq!(
        sent(&fake),
        vec![Sent::get("/api/v2/invoices/FV2099999/pdf")]
    );
}

/// On the invoice route Upgates' refusal keeps what tells it apart (a 429's `Retry-After`), and
/// a 200 that is not a PDF (an error page, JSON) is not passed on under the PDF's name.
#[tokio::test(flavor = "multi_thread")]
async fn invoice_route_refusals_and_answers_that_are_not_a_pdf() {
    let fake = sample_shop();
    let token = link_token("FV2025001");
    let link = format!("/v1/invoice/{token}");
    fake.push_fault(Fault::status(429).header("retry-after", "Sun, 29 Nov 2026 17:00:00 GMT"));
    let reply = serve(&fake, signed_links(), get(&link)).await;
    assert_error(
        &reply,
        502,
        "rate-limited",
        "Upgates' request limit was hit (HTTP 429); retry after Sun, 29 Nov 2026 17:00:00 GMT",
    );
    fake.push_fault(Fault::json(
        200,
        json!({"messages": [{"message": "Chyba"}]}),
    ));
    let reply = serve(&fake, signed_links(), get(&link)).await;
    assert_error(
        &reply,
        502,
        "upstream",
        "unexpected answer from Upgates: Upgates did not send a PDF",
    );
    let pdf = Sent::get("/api/v2/invoices/FV2025001/pdf");
    assert_eq!(sent(&fake), vec![pdf.clone(), pdf]);
}

/// Without `invoice_links = signed` the route does not exist, and the answer is Upgates' URL.
#[tokio::test(flavor = "multi_thread")]
async fn invoice_links_are_upgates_by_default() {
    let fake = sample_shop();
    let token = link_token("FV2025001");
    let reply = serve(&fake, variables(), get(&format!("/v1/invoice/{token}"))).await;
    assert_eq!(reply.status.as_u16(), 404);
    assert!(fake.requests().is_empty());
    let short_secret = variables_with(&[
        ("invoice-links", "signed"),
        ("invoice-link-secret", "too-short"),
        ("invoice-link-base-url", "https://bot.example.cz"),
    ]);
    let reply = serve(&fake, short_secret, get(&format!("/v1/invoice/{token}"))).await;
    assert_error(
        &reply,
        500,
        "misconfigured",
        "shop configuration: `invoice_link_secret` must be at least 32 characters when `invoice_links` is signed",
    );
    // The example's placeholder is long enough, and public.
    let placeholder = variables_with(&[
        ("invoice-links", "signed"),
        (
            "invoice-link-secret",
            "REPLACE-WITH-ANOTHER-openssl-rand-hex-32",
        ),
        ("invoice-link-base-url", "https://bot.example.cz"),
    ]);
    let reply = serve(&fake, placeholder, get(&format!("/v1/invoice/{token}"))).await;
    assert_error(
        &reply,
        500,
        "misconfigured",
        "shop configuration: `invoice_link_secret` is still the example's placeholder: set a secret of your own",
    );
}

/// The invoice route's answer from Upgates is bounded by the actions' 30 s deadline too: a
/// stalled Upgates gives `502 timeout`, not a request hanging until the per-read timeouts.
#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_upgates_never_answers_is_a_timeout() {
    let mut policy = shop_policy().with_in_process_async(Arc::new(|_request| {
        Box::pin(std::future::pending::<http::Response<Bytes>>())
    }));
    policy.first_byte_timeout = Duration::from_secs(300);
    let token = link_token("FV2025001");
    let started = std::time::Instant::now();
    let raw = serve_through(
        policy,
        signed_links(),
        &Kv::default(),
        get(&format!("/v1/invoice/{token}")),
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(raw.status, StatusCode::BAD_GATEWAY);
    let json: Value = serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(json["reason"], json!("timeout"), "{json}");
    assert!(
        (Duration::from_secs(30)..Duration::from_secs(60)).contains(&elapsed),
        "{elapsed:?}"
    );
}
