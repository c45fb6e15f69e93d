//! Compile once, instantiate per call.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wasmtime::component::{
    Component, ComponentExportIndex, ComponentNamedList, HasSelf, Instance, InstancePre, Lift,
    Linker, Lower, ResourceTable,
};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter,
    Store, StoreLimits, StoreLimitsBuilder,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_config::{WasiConfig, WasiConfigVariables};
use wasmtime_wasi_http::{WasiHttp, WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use upgates_core::{ActionInput, ActionName, Answer, Failure, ShopConfig};

use crate::attempt_store::AttemptStore;
use crate::bindings::wit;
use crate::precompiled::{CacheOutcome, PrecompiledCache};
use crate::sandbox::HttpPolicy;

/// How often the engine's epoch ticks; call deadlines are counted in these.
const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Linear memory one call may use.
pub const DEFAULT_MEMORY_LIMIT: usize = 64 << 20;
/// Calls the pooling allocator has slots for by default (more at once fail to instantiate).
pub const DEFAULT_MAX_CONCURRENT_CALLS: u32 = 1000;

/// Per component instance, the pool reserves room for this many core instances, memories and
/// tables. The component (a Rust `wasm32-wasip2` cdylib) has one core module with one memory
/// and one table, plus the small shim modules `wasm-component-ld` adds; this leaves headroom
/// for a differently built component without reserving much (the reservations are virtual).
const POOL_CORE_INSTANCES_PER_CALL: u32 = 8;
const POOL_MEMORIES_PER_CALL: u32 = 2;
const POOL_TABLES_PER_CALL: u32 = 4;
/// A call's linear memory is 384 KiB, the component's initial memory (its 64 KiB stack, data,
/// the 256 KiB allocation arena); only a large response grows it (docs/performance.md).
/// Keeping up to 2 MiB of dirtied pages resident covers that too.
const POOL_MEMORY_KEEP_RESIDENT: usize = 2 << 20;
const POOL_STACK_KEEP_RESIDENT: usize = 256 << 10;
const POOL_TABLE_KEEP_RESIDENT: usize = 64 << 10;

/// How a call's instance gets its memories, tables and stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allocator {
    /// Slots reserved once, reused call after call with copy-on-write heap images: the fastest
    /// instantiation. At most `max_concurrent_calls` calls run at once; another call beyond
    /// that fails to instantiate (a [`CallError`]).
    Pooling { max_concurrent_calls: u32 },
    /// Memory mapped per instance: nothing reserved up front, no limit on concurrent calls,
    /// a few microseconds slower per call.
    OnDemand,
}

impl Default for Allocator {
    fn default() -> Self {
        Allocator::Pooling {
            max_concurrent_calls: DEFAULT_MAX_CONCURRENT_CALLS,
        }
    }
}

/// How [`PluginRuntime::with_options`] builds the engine and loads the component.
#[derive(Clone, Debug)]
pub struct RuntimeOptions {
    pub allocator: Allocator,
    /// Linear memory one call may use, in bytes (the pooling allocator's slots are this big).
    pub memory_limit: usize,
    /// Where precompiled components are kept; `None` compiles on every start.
    pub cache: Option<PrecompiledCache>,
}

impl Default for RuntimeOptions {
    /// The pooling allocator with [`DEFAULT_MAX_CONCURRENT_CALLS`] slots, 64 MiB per call, no
    /// precompiled cache: what [`PluginRuntime::new`] uses.
    fn default() -> Self {
        Self {
            allocator: Allocator::default(),
            memory_limit: DEFAULT_MEMORY_LIMIT,
            cache: None,
        }
    }
}

impl RuntimeOptions {
    fn engine_config(&self) -> Config {
        let mut config = Config::new();
        config.epoch_interruption(true);
        // The plugin is a WASIp2 component whose imports are all called synchronously. With
        // concurrency support on (wasmtime's default; the feature is compiled in for the Spin
        // app's WASIp3 harness), every host call also creates and deletes a component-model
        // task: ~10 % of a `verify-order` call.
        config.concurrency_support(false);
        // Copy-on-write heap images (wasmtime's default, stated because the pool relies on it).
        config.memory_init_cow(true);
        // Both allocators reserve wasmtime's default 4 GiB per memory, all a wasm32 memory can
        // ever need, so no memory has to move when it grows: the compiled code may then keep
        // the heap's base in a register across loops. ~2.6 % fewer instructions per call.
        config.memory_may_move(false);
        // The plugin uses no GC types (a Rust component has none), and a store without GC
        // support sets none of it up: ~1.3 % fewer instructions per call.
        config.gc_support(false);
        if let Allocator::Pooling {
            max_concurrent_calls,
        } = self.allocator
        {
            let calls = max_concurrent_calls.max(1);
            let mut pool = PoolingAllocationConfig::new();
            pool.total_component_instances(calls)
                .total_core_instances(calls.saturating_mul(POOL_CORE_INSTANCES_PER_CALL))
                .total_memories(calls.saturating_mul(POOL_MEMORIES_PER_CALL))
                .total_tables(calls.saturating_mul(POOL_TABLES_PER_CALL))
                .total_stacks(calls)
                .max_core_instances_per_component(POOL_CORE_INSTANCES_PER_CALL)
                .max_memories_per_component(POOL_MEMORIES_PER_CALL)
                .max_tables_per_component(POOL_TABLES_PER_CALL)
                .max_memory_size(self.memory_limit)
                // A freed slot keeps this much resident and is reset in place (only the dirty
                // pages) instead of being decommitted and faulted in again by the next call:
                // 15-20 % off a call, for at most this much RSS per slot in use.
                .linear_memory_keep_resident(POOL_MEMORY_KEEP_RESIDENT)
                .async_stack_keep_resident(POOL_STACK_KEEP_RESIDENT)
                .table_keep_resident(POOL_TABLE_KEEP_RESIDENT)
                // Linux >= 6.7: reset only the pages the call dirtied, not all of the above.
                .pagemap_scan(Enabled::Auto);
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        }
        config
    }
}

/// The store's resource limiter: wasmtime's [`StoreLimits`], plus the largest linear memory
/// the call asked for (`memory_growing` runs only when a memory is created or grows, a few
/// times per call, so recording it costs nothing measurable).
struct CallLimits {
    limits: StoreLimits,
    peak_memory: usize,
}

impl ResourceLimiter for CallLimits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        if allowed && maximum.is_none_or(|max| desired <= max) {
            self.peak_memory = self.peak_memory.max(desired);
        }
        Ok(allowed)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.memory_grow_failed(error)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// A shop the host calls the component for: its credentials and its HTTP policy.
#[derive(Clone, Debug)]
pub struct ShopConnection {
    pub config: ShopConfig,
    pub policy: HttpPolicy,
    /// Pins the component's wall clock (tests, replays); `None` is the real clock.
    pub fixed_time: Option<SystemTime>,
    /// Where failed e-mail checks are counted; `None`: in memory, in the policy's shop state
    /// (shared by the process's calls to the shop). The CLI uses files.
    pub attempts: Option<Arc<dyn AttemptStore>>,
}

impl ShopConnection {
    /// The shop with the default policy (its own origin, default timeouts and caps).
    pub fn new(config: ShopConfig) -> Result<Self, Failure> {
        let policy = HttpPolicy::for_shop(&config)?;
        Ok(Self {
            config,
            policy,
            fixed_time: None,
            attempts: None,
        })
    }

    /// The settings the component gets. Signed invoice links are the host's to make (the
    /// component carries no signing code): it answers Upgates' URL and the invoice number,
    /// and [`Self::sign_invoice_link`] puts our link in its place.
    fn config_vars(&self) -> WasiConfigVariables {
        let pairs = self.config.to_pairs();
        WasiConfigVariables::from_iter(
            pairs
                .iter()
                .filter(|(k, _)| !k.starts_with(INVOICE_LINK_KEYS))
                .map(|(k, v)| (*k, v.as_str())),
        )
    }

    /// With `invoice-links = signed`, `order-documents`' link is ours: `<base>/v1/invoice/<token>`.
    fn sign_invoice_link(&self, input: &ActionInput, answer: &mut Answer) {
        let (Answer::Documents(documents), Some(order)) = (answer, input.order.as_deref()) else {
            return;
        };
        let Some(invoice_number) = documents.invoice_number.as_deref() else {
            return;
        };
        let now = self.fixed_time.unwrap_or_else(SystemTime::now);
        if let Some(link) =
            upgates_core::invoice_link::signed_url(&self.config, order.trim(), invoice_number, now)
        {
            documents.invoice_url = Some(link);
        }
    }
}

/// `invoice-links`, `invoice-link-secret`, ...: what only the host uses.
const INVOICE_LINK_KEYS: &str = "invoice-link";

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
    limits: CallLimits,
    attempts: Arc<dyn AttemptStore>,
}

/// The `attempts` import: checks kept outside the instance (the shop's state in memory, or
/// the CLI's files), so they outlive it.
impl crate::bindings::upgates::bot::attempts::Host for HostState {
    fn begin_check(&mut self, key: String, limit: u32, window_seconds: u32) -> bool {
        let window = Duration::from_secs(u64::from(window_seconds));
        self.attempts.begin_check(&key, limit, window)
    }

    fn withdraw_check(&mut self, key: String, window_seconds: u32) {
        let window = Duration::from_secs(u64::from(window_seconds));
        self.attempts.withdraw_check(&key, window);
    }
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

/// The compiled component, ready to instantiate. Cheap to share (`Clone` is an `Arc` bump;
/// clones share the statistics too).
#[derive(Clone)]
pub struct PluginRuntime {
    engine: Engine,
    pre: InstancePre<HostState>,
    exports: Exports,
    memory_limit: usize,
    allocator: Allocator,
    cache_outcome: CacheOutcome,
    /// The largest linear memory any call asked for, in bytes.
    peak_memory: Arc<AtomicUsize>,
}

impl PluginRuntime {
    /// Compiles `wasm` (a component) and links it against WASI, wasi:http and wasi:config,
    /// with the default [`RuntimeOptions`] (pooling allocator, 64 MiB per call, no cache).
    pub fn new(wasm: &[u8]) -> wasmtime::Result<Self> {
        Self::with_options(wasm, &RuntimeOptions::default())
    }

    /// Like [`PluginRuntime::new`] with a choice of allocator, memory limit and precompiled
    /// cache. If the pooling allocator cannot reserve its address space (a tight
    /// `ulimit -v`), the runtime falls back to the on-demand allocator ([`Self::allocator`]
    /// says which one runs).
    pub fn with_options(wasm: &[u8], options: &RuntimeOptions) -> wasmtime::Result<Self> {
        let (engine, allocator) = match Engine::new(&options.engine_config()) {
            Ok(engine) => (engine, options.allocator),
            Err(_) if options.allocator != Allocator::OnDemand => {
                let on_demand = RuntimeOptions {
                    allocator: Allocator::OnDemand,
                    ..options.clone()
                };
                (
                    Engine::new(&on_demand.engine_config())?,
                    Allocator::OnDemand,
                )
            }
            Err(e) => return Err(e),
        };
        let (component, cache_outcome) = match &options.cache {
            Some(cache) => cache.load_or_compile(&engine, wasm)?,
            None => (Component::new(&engine, wasm)?, CacheOutcome::Disabled),
        };
        let mut runtime = Self::from_component(engine, &component)?;
        runtime.memory_limit = options.memory_limit;
        runtime.allocator = allocator;
        runtime.cache_outcome = cache_outcome;
        Ok(runtime)
    }

    fn from_component(engine: Engine, component: &Component) -> wasmtime::Result<Self> {
        let mut linker: Linker<HostState> = Linker::new(&engine);
        // Rust std in the guest imports wasi:cli and wasi:random besides wasi:http.
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        // wasi-http's types as they come; its `handle` is ours (`crate::outgoing`).
        wasmtime_wasi_http::p2::bindings::http::types::add_to_linker::<_, WasiHttp>(
            &mut linker,
            &Default::default(),
            HostState::http,
        )?;
        crate::outgoing::add_to_linker(&mut linker)?;
        wasmtime_wasi_config::add_to_linker(&mut linker, |s: &mut HostState| {
            WasiConfig::from(&s.config)
        })?;
        crate::bindings::upgates::bot::attempts::add_to_linker::<_, HasSelf<HostState>>(
            &mut linker,
            |s| s,
        )?;
        let pre = linker.instantiate_pre(component)?;
        let exports = Exports::of(component)?;
        spawn_epoch_ticker(&engine);
        Ok(Self {
            engine,
            pre,
            exports,
            memory_limit: DEFAULT_MEMORY_LIMIT,
            allocator: Allocator::OnDemand,
            cache_outcome: CacheOutcome::Disabled,
            peak_memory: Arc::new(AtomicUsize::new(0)),
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Lowers (or raises) the memory one call may use. With the pooling allocator a call can
    /// never exceed the slot size chosen at construction ([`RuntimeOptions::memory_limit`]).
    pub fn with_memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// The allocator this runtime's engine uses.
    pub fn allocator(&self) -> Allocator {
        self.allocator
    }

    /// Whether the component came from the precompiled cache.
    pub fn cache_outcome(&self) -> CacheOutcome {
        self.cache_outcome
    }

    /// The largest linear memory, in bytes, that any call so far created or grew to (calls
    /// that ran to an answer or failed; not those cut off by the call timeout).
    pub fn peak_memory(&self) -> usize {
        self.peak_memory.load(Ordering::Relaxed)
    }

    /// Starts [`Self::peak_memory`] afresh.
    pub fn reset_peak_memory(&self) {
        self.peak_memory.store(0, Ordering::Relaxed);
    }

    fn store(&self, shop: &ShopConnection) -> Store<HostState> {
        let state = HostState {
            table: ResourceTable::new(),
            wasi: wasi_ctx(shop.fixed_time),
            http: WasiHttpCtx::new(),
            policy: shop.policy.clone(),
            config: shop.config_vars(),
            attempts: shop
                .attempts
                .clone()
                .unwrap_or_else(|| shop.policy.attempts().clone()),
            limits: CallLimits {
                limits: StoreLimitsBuilder::new()
                    .memory_size(self.memory_limit)
                    .instances(20)
                    .build(),
                peak_memory: 0,
            },
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
        let started = std::time::Instant::now();
        // The wait for the order's turn counts against the call's time too: the caller was
        // promised an answer within `call_timeout`.
        let turn_then_call = async {
            // The API has no compare-and-swap: appends to one order in this process take
            // turns, so no read-modify-write overwrites another's line.
            let _turn = match (action, &input.order) {
                (ActionName::AppendNote, Some(order)) => {
                    Some(shop.policy.order_lock(order.trim()).lock_owned().await)
                }
                _ => None,
            };
            self.call_inner(shop, action, input).await
        };
        let result = match tokio::time::timeout(shop.policy.call_timeout, turn_then_call).await {
            Ok(result) => result.map_err(CallError),
            Err(_elapsed) => Ok(Err(Failure::Timeout)),
        };
        // The reason only: messages are safe, but a log line needs no more.
        let outcome = match &result {
            Ok(Ok(_)) => "ano",
            Ok(Err(failure)) => failure.reason(),
            Err(_) => "trap",
        };
        tracing::debug!(
            action = action.as_str(),
            outcome,
            elapsed_us = started.elapsed().as_micros() as u64,
            "call"
        );
        result
    }

    async fn call_inner(
        &self,
        shop: &ShopConnection,
        action: ActionName,
        input: &ActionInput,
    ) -> wasmtime::Result<Result<Answer, Failure>> {
        let mut store = self.store(shop);
        let mut result = self.run(&mut store, action, input).await;
        self.peak_memory
            .fetch_max(store.data().limits.peak_memory, Ordering::Relaxed);
        if let Ok(Ok(answer)) = &mut result {
            shop.sign_invoice_link(input, answer);
        }
        result
    }

    async fn run(
        &self,
        store: &mut Store<HostState>,
        action: ActionName,
        input: &ActionInput,
    ) -> wasmtime::Result<Result<Answer, Failure>> {
        let instance = self.pre.instantiate_async(&mut *store).await?;
        let export = ExportCall {
            store,
            instance,
            export: self.exports.of_action(action),
        };
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let (order, email) = (text(&input.order), text(&input.email));
        let (order, email) = (order.as_str(), email.as_str());
        let done = |r: Result<(), wit::Failure>| r.map(|()| Answer::Done).map_err(Failure::from);
        Ok(match action {
            ActionName::VerifyOrder => export
                .call::<_, Result<wit::OrderSummary, wit::Failure>>((order,))
                .await?
                .map(|a| Answer::Summary(a.into()))
                .map_err(Failure::from),
            ActionName::OrderDetail => export
                .call::<_, Result<wit::OrderDetails, wit::Failure>>((order, email))
                .await?
                .map(|a| Answer::Detail(a.into()))
                .map_err(Failure::from),
            ActionName::CustomerEmail => export
                .call::<_, Result<String, wit::Failure>>((order,))
                .await?
                .map(Answer::Email)
                .map_err(Failure::from),
            ActionName::SetOrderStatus => done(
                export
                    .call((order, text(&input.status).as_str(), input.notify))
                    .await?,
            ),
            ActionName::VerifyCustomer => done(export.call((order, email)).await?),
            ActionName::OrdersByPhone => export
                .call::<_, Result<wit::PhoneOrders, wit::Failure>>((
                    text(&input.phone).as_str(),
                    input.days.unwrap_or_default(),
                ))
                .await?
                .map(|a| Answer::Orders(a.into()))
                .map_err(Failure::from),
            // The same signature; `export` is the one the action names.
            ActionName::AppendNote | ActionName::ReplaceNote => {
                done(export.call((order, text(&input.text).as_str())).await?)
            }
            ActionName::OrderDocuments => export
                .call::<_, Result<wit::InvoiceInfo, wit::Failure>>((order, email))
                .await?
                .map(|a| Answer::Documents(a.into()))
                .map_err(Failure::from),
        })
    }
}

/// The nine exported functions of `upgates:bot/actions`, found once per component (in
/// [`ActionName::ALL`]'s order). A call then looks up and type-checks only the function it
/// runs: the generated `PluginPre` loads and checks all nine for every instance, ~2 % of a
/// `verify-order` call (callgrind, docs/performance.md).
#[derive(Clone)]
struct Exports([ComponentExportIndex; ActionName::ALL.len()]);

impl Exports {
    const INTERFACE: &str = "upgates:bot/actions@0.1.0";

    fn of(component: &Component) -> wasmtime::Result<Self> {
        let interface = component
            .get_export_index(None, Self::INTERFACE)
            .ok_or_else(|| {
                wasmtime::format_err!("the component does not export `{}`", Self::INTERFACE)
            })?;
        let mut found = Vec::with_capacity(ActionName::ALL.len());
        for action in ActionName::ALL {
            let name = action.as_str();
            found.push(
                component
                    .get_export_index(Some(&interface), name)
                    .ok_or_else(|| {
                        wasmtime::format_err!("`{}` has no function `{name}`", Self::INTERFACE)
                    })?,
            );
        }
        let found: [ComponentExportIndex; ActionName::ALL.len()] = found
            .try_into()
            .map_err(|_| wasmtime::format_err!("one export per action expected"))?;
        Ok(Self(found))
    }

    fn of_action(&self, action: ActionName) -> &ComponentExportIndex {
        &self.0[action as usize]
    }
}

/// One export of a fresh instance, ready to call once.
struct ExportCall<'a> {
    store: &'a mut Store<HostState>,
    instance: Instance,
    export: &'a ComponentExportIndex,
}

impl ExportCall<'_> {
    /// Calls it; the signature is checked against the component's (a mismatch is an error,
    /// not undefined behaviour).
    async fn call<P, R>(self, params: P) -> wasmtime::Result<R>
    where
        P: ComponentNamedList + Lower + Send + Sync,
        R: Lift + Send + Sync + 'static,
        (R,): ComponentNamedList + Lift + Send + Sync,
    {
        let func = self
            .instance
            .get_typed_func::<P, (R,)>(&mut *self.store, self.export)?;
        let (result,) = func.call_async(&mut *self.store, params).await?;
        Ok(result)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// [`Exports::of_action`] indexes by the enum's discriminant.
    #[test]
    fn actions_are_numbered_in_their_list_order() {
        for (i, action) in ActionName::ALL.into_iter().enumerate() {
            assert_eq!(action as usize, i, "{}", action.as_str());
        }
    }
}
