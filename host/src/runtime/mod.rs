//! Compile once, instantiate per call.

mod connection;
mod exports;
mod options;
mod store_setup;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use wasmtime::Engine;
use wasmtime::component::{Component, HasSelf, InstancePre, Linker};
use wasmtime_wasi_config::WasiConfig;
use wasmtime_wasi_http::{WasiHttp, WasiHttpView};

use upgates_core::{Action, ActionInput, ActionName, Answer, Failure};

use crate::precompiled::CacheOutcome;

pub use connection::ShopConnection;
use exports::Exports;
pub use options::{Allocator, DEFAULT_MAX_CONCURRENT_CALLS, DEFAULT_MEMORY_LIMIT, RuntimeOptions};
pub(crate) use store_setup::HostState;
use store_setup::spawn_epoch_ticker;
pub use store_setup::{MAX_FIELDS_BYTES, MAX_TABLE_ENTRIES};

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
        // The shop's store, ours (`crate::keyvalue`): wasmtime-wasi-keyvalue's in-memory one
        // is a fresh copy per call, so it could not count across calls.
        crate::bindings::wasi::keyvalue::store::add_to_linker::<_, HasSelf<HostState>>(
            &mut linker,
            |s| s,
        )?;
        crate::bindings::wasi::keyvalue::atomics::add_to_linker::<_, HasSelf<HostState>>(
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

    /// Runs one action in a fresh instance. `Ok(Ok(_))` is "Ano", `Ok(Err(_))` is "Ne" (a
    /// missing input is `invalid-input`); the whole call is bounded by the policy's
    /// `call_timeout` (then `Ne: timeout`).
    pub async fn call(
        &self,
        shop: &ShopConnection,
        action: ActionName,
        input: &ActionInput,
    ) -> Result<Result<Answer, Failure>, CallError> {
        match Action::from_input(action, input) {
            Ok(action) => self.call_action(shop, &action).await,
            Err(missing) => Ok(Err(missing)),
        }
    }

    /// [`Self::call`] for an action with its typed inputs.
    pub async fn call_action(
        &self,
        shop: &ShopConnection,
        action: &Action,
    ) -> Result<Result<Answer, Failure>, CallError> {
        let started = std::time::Instant::now();
        // The wait for the order's turn counts against the call's time too: the caller was
        // promised an answer within `call_timeout`.
        let turn_then_call = async {
            // The API has no compare-and-swap: appends to one order in this process take
            // turns, so no read-modify-write overwrites another's line.
            let _turn = match action {
                Action::AppendNote { order, .. } => {
                    Some(shop.policy.order_lock(order.trim()).lock_owned().await)
                }
                _ => None,
            };
            self.call_inner(shop, action).await
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
            action = action.name().as_str(),
            outcome,
            elapsed_us = started.elapsed().as_micros() as u64,
            "call"
        );
        result
    }

    async fn call_inner(
        &self,
        shop: &ShopConnection,
        action: &Action,
    ) -> wasmtime::Result<Result<Answer, Failure>> {
        let mut store = self.store(shop);
        let mut result = self.run(&mut store, action).await;
        self.peak_memory
            .fetch_max(store.data().limits.peak_memory, Ordering::Relaxed);
        if let (Ok(Ok(answer)), Action::OrderDocuments { order, .. }) = (&mut result, action) {
            shop.sign_invoice_link(order, answer);
        }
        result
    }
}
