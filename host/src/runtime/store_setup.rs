//! A call's `Store`: WASI with nothing to reach, wasi:http under the shop's policy, the shop's
//! settings through wasi:config, the attempts import, a memory limit and an epoch deadline.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wasmtime::component::ResourceTable;
use wasmtime::{Engine, ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_config::WasiConfigVariables;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use super::{PluginRuntime, ShopConnection};
use crate::attempt_store::AttemptStore;
use crate::sandbox::HttpPolicy;

/// How often the engine's epoch ticks; call deadlines are counted in these.
const EPOCH_TICK: Duration = Duration::from_millis(10);

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
/// shop's config values, memory limits.
pub struct HostState {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    policy: HttpPolicy,
    pub(super) config: WasiConfigVariables,
    pub(super) limits: CallLimits,
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

impl PluginRuntime {
    pub(super) fn store(&self, shop: &ShopConnection) -> Store<HostState> {
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
