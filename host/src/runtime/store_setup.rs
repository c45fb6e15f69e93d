//! A call's `Store`: WASI with nothing to reach, wasi:http under the shop's policy, the shop's
//! settings through wasi:config, the shop's `wasi:keyvalue` store, a memory limit and an epoch
//! deadline.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wasmtime::component::ResourceTable;
use wasmtime::{Engine, ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_config::WasiConfigVariables;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use super::{PluginRuntime, ShopConnection};
use crate::keyvalue::{KeyValueStore, MAX_OPERATIONS_PER_CALL};
use crate::sandbox::HttpPolicy;

/// How often the engine's epoch ticks; call deadlines are counted in these.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Resources (header sets, requests, bodies, streams, pollables) a call may hold at once. The
/// plugin holds about ten per request and drops them as it goes; wasmtime's default, a
/// million, would let a guest grow host memory outside its linear memory.
pub const MAX_TABLE_ENTRIES: usize = 1024;
/// Bytes one header set may take in host memory (wasmtime-wasi-http's accounting, which adds
/// the in-memory structures to the wire size). The plugin's requests carry five short headers;
/// with [`MAX_TABLE_ENTRIES`] this bounds a call's header sets to 16 MiB (default: 128 KiB each).
pub const MAX_FIELDS_BYTES: usize = 16 << 10;
/// Elements per wasm table: the pooling allocator's default, which the plugin's one table fits.
const MAX_TABLE_ELEMENTS: usize = 20_000;

/// The store's resource limiter: wasmtime's [`StoreLimits`], plus the largest linear memory
/// the call asked for (`memory_growing` runs only when a memory is created or grows, a few
/// times per call, so recording it costs nothing measurable).
pub(super) struct CallLimits {
    limits: StoreLimits,
    pub(super) peak_memory: usize,
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

/// Per-call state: WASI (no files, no env, no sockets), wasi:http under the policy, the
/// shop's config values, its key-value store, memory limits.
pub struct HostState {
    pub(crate) table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    policy: HttpPolicy,
    pub(super) config: WasiConfigVariables,
    pub(super) limits: CallLimits,
    /// The shop's `wasi:keyvalue` store (`crate::keyvalue`), shared by its calls.
    pub(crate) keyvalue: Arc<dyn KeyValueStore>,
    /// Store operations left in this call ([`MAX_OPERATIONS_PER_CALL`]).
    pub(crate) keyvalue_operations_left: u32,
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

impl PluginRuntime {
    pub(super) fn store(&self, shop: &ShopConnection) -> Store<HostState> {
        let mut table = ResourceTable::new();
        table.set_max_capacity(MAX_TABLE_ENTRIES);
        let mut http = WasiHttpCtx::new();
        http.set_field_size_limit(MAX_FIELDS_BYTES);
        let state = HostState {
            table,
            wasi: wasi_ctx(shop.fixed_time),
            http,
            // The host, not the component, authenticates the call's requests; bounded per call.
            policy: shop.policy.clone().for_call(&shop.config),
            config: shop.config_vars(),
            keyvalue: shop
                .keyvalue
                .clone()
                .unwrap_or_else(|| shop.policy.counters().clone()),
            keyvalue_operations_left: MAX_OPERATIONS_PER_CALL,
            limits: CallLimits {
                // Memories and tables per call as the pooling allocator reserves them, so
                // the on-demand allocator bounds a call the same way.
                limits: StoreLimitsBuilder::new()
                    .memory_size(self.memory_limit)
                    .instances(20)
                    .memories(super::options::POOL_MEMORIES_PER_CALL as usize)
                    .tables(super::options::POOL_TABLES_PER_CALL as usize)
                    .table_elements(MAX_TABLE_ELEMENTS)
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
pub(super) fn spawn_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::spawn(move || {
        while let Some(engine) = weak.upgrade() {
            engine.increment_epoch();
            drop(engine);
            std::thread::sleep(EPOCH_TICK);
        }
    });
}
