//! Compile once, instantiate per call.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_config::{WasiConfig, WasiConfigVariables};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use upgates_core::config::{KEY_API_KEY, KEY_API_LOGIN, KEY_API_URL, KEY_DEFAULT_COUNTRY_CODE};
use upgates_core::{ActionInput, ActionName, Answer, Failure, ShopConfig};

use crate::bindings::PluginPre;
use crate::policy::HttpPolicy;

/// How often the engine's epoch ticks; call deadlines are counted in these.
const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Linear memory one call may use.
pub const DEFAULT_MEMORY_LIMIT: usize = 64 << 20;

/// A shop the host calls the component for: its credentials and its HTTP policy.
#[derive(Clone, Debug)]
pub struct ShopConnection {
    pub config: ShopConfig,
    pub policy: HttpPolicy,
    /// Pins the component's wall clock (tests, replays); `None` is the real clock.
    pub fixed_time: Option<SystemTime>,
}

impl ShopConnection {
    /// The shop with the default policy (its own origin, default timeouts and caps).
    pub fn new(config: ShopConfig) -> Result<Self, Failure> {
        let policy = HttpPolicy::for_shop(&config)?;
        Ok(Self {
            config,
            policy,
            fixed_time: None,
        })
    }

    fn config_vars(&self) -> WasiConfigVariables {
        WasiConfigVariables::from_iter([
            (KEY_API_URL, self.config.api_url.as_str()),
            (KEY_API_LOGIN, self.config.login.as_str()),
            (KEY_API_KEY, self.config.key.as_str()),
            (
                KEY_DEFAULT_COUNTRY_CODE,
                self.config.default_country_code.as_str(),
            ),
        ])
    }
}

/// A call that could not run to an answer: the component trapped, ran out of time or memory.
/// (An action's "Ne" is not an error: it is `Ok(Err(Failure))`.)
#[derive(Debug)]
pub struct CallError(pub wasmtime::Error);

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the component failed: {:#}", self.0)
    }
}

impl std::error::Error for CallError {}

/// Per-call state: WASI (no files, no env, no sockets), wasi:http under the policy, the
/// shop's config values, memory limits.
pub struct HostState {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    policy: HttpPolicy,
    config: WasiConfigVariables,
    limits: StoreLimits,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.policy,
        }
    }
}

/// The compiled component, ready to instantiate. Cheap to share (`Clone` is an `Arc` bump).
#[derive(Clone)]
pub struct PluginRuntime {
    engine: Engine,
    pre: PluginPre<HostState>,
    memory_limit: usize,
}

impl PluginRuntime {
    /// Compiles `wasm` (a component) and links it against WASI, wasi:http and wasi:config.
    pub fn new(wasm: &[u8]) -> wasmtime::Result<Self> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config)?;
        let component = Component::new(&engine, wasm)?;
        Self::from_component(engine, &component)
    }

    fn from_component(engine: Engine, component: &Component) -> wasmtime::Result<Self> {
        let mut linker: Linker<HostState> = Linker::new(&engine);
        // Rust std in the guest imports wasi:cli and wasi:random besides wasi:http.
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        wasmtime_wasi_config::add_to_linker(&mut linker, |s: &mut HostState| {
            WasiConfig::from(&s.config)
        })?;
        let pre = PluginPre::new(linker.instantiate_pre(component)?)?;
        spawn_epoch_ticker(&engine);
        Ok(Self {
            engine,
            pre,
            memory_limit: DEFAULT_MEMORY_LIMIT,
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn with_memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = bytes;
        self
    }

    fn store(&self, shop: &ShopConnection) -> Store<HostState> {
        let state = HostState {
            table: ResourceTable::new(),
            wasi: wasi_ctx(shop.fixed_time),
            http: WasiHttpCtx::new(),
            policy: shop.policy.clone(),
            config: shop.config_vars(),
            limits: StoreLimitsBuilder::new()
                .memory_size(self.memory_limit)
                .instances(20)
                .build(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        let ticks = shop.policy.call_timeout.as_millis() / EPOCH_TICK.as_millis() + 1;
        store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
        store.epoch_deadline_trap();
        store
    }

    /// Runs one action in a fresh instance. `Ok(Ok(_))` is "Ano", `Ok(Err(_))` is "Ne";
    /// the whole call is bounded by the policy's `call_timeout` (then `Ne: timeout`).
    pub async fn call(
        &self,
        shop: &ShopConnection,
        action: ActionName,
        input: &ActionInput,
    ) -> Result<Result<Answer, Failure>, CallError> {
        if let Err(missing) = input.check(action) {
            return Ok(Err(missing));
        }
        match tokio::time::timeout(
            shop.policy.call_timeout,
            self.call_inner(shop, action, input),
        )
        .await
        {
            Ok(result) => result.map_err(CallError),
            Err(_elapsed) => Ok(Err(Failure::Timeout)),
        }
    }

    async fn call_inner(
        &self,
        shop: &ShopConnection,
        action: ActionName,
        input: &ActionInput,
    ) -> wasmtime::Result<Result<Answer, Failure>> {
        let mut store = self.store(shop);
        let plugin = self.pre.instantiate_async(&mut store).await?;
        let actions = plugin.upgates_bot_actions();
        let s = &mut store;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let (order, email) = (text(&input.order), text(&input.email));
        let done = |r: Result<(), crate::bindings::wit::Failure>| {
            r.map(|()| Answer::Done).map_err(Failure::from)
        };
        Ok(match action {
            ActionName::VerifyOrder => actions
                .call_verify_order(s, &order)
                .await?
                .map(|a| Answer::Summary(a.into()))
                .map_err(Failure::from),
            ActionName::OrderDetail => actions
                .call_order_detail(s, &order, &email)
                .await?
                .map(|a| Answer::Detail(a.into()))
                .map_err(Failure::from),
            ActionName::CustomerEmail => actions
                .call_customer_email(s, &order)
                .await?
                .map(Answer::Email)
                .map_err(Failure::from),
            ActionName::SetOrderStatus => done(
                actions
                    .call_set_order_status(s, &order, &text(&input.status), input.notify)
                    .await?,
            ),
            ActionName::VerifyCustomer => {
                done(actions.call_verify_customer(s, &order, &email).await?)
            }
            ActionName::OrdersByPhone => actions
                .call_orders_by_phone(s, &text(&input.phone), input.days.unwrap_or_default())
                .await?
                .map(|a| Answer::Orders(a.into()))
                .map_err(Failure::from),
            ActionName::AppendNote => done(
                actions
                    .call_append_note(s, &order, &text(&input.text))
                    .await?,
            ),
            ActionName::ReplaceNote => done(
                actions
                    .call_replace_note(s, &order, &text(&input.text))
                    .await?,
            ),
            ActionName::OrderDocuments => actions
                .call_order_documents(s, &order, &email)
                .await?
                .map(|a| Answer::Documents(a.into()))
                .map_err(Failure::from),
        })
    }
}

/// WASI for the guest: no files, no environment, no sockets, no stdio.
fn wasi_ctx(fixed_time: Option<SystemTime>) -> WasiCtx {
    let mut builder = WasiCtx::builder();
    if let Some(at) = fixed_time {
        builder.wall_clock(FixedClock(
            at.duration_since(UNIX_EPOCH).unwrap_or_default(),
        ));
    }
    builder.build()
}

struct FixedClock(Duration);

impl wasmtime_wasi::HostWallClock for FixedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        self.0
    }
}

/// Advances the engine's epoch so call deadlines fire; stops when the engine is dropped.
fn spawn_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::spawn(move || {
        while let Some(engine) = weak.upgrade() {
            engine.increment_epoch();
            drop(engine);
            std::thread::sleep(EPOCH_TICK);
        }
    });
}
