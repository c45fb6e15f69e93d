//! How the engine is built: the allocator (a pool of reserved slots or memory per call), the
//! memory a call may use, and the precompiled cache.

use wasmtime::{Config, Enabled, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::precompiled::PrecompiledCache;

/// Linear memory one call may use.
pub const DEFAULT_MEMORY_LIMIT: usize = 64 << 20;
/// Calls the pooling allocator has slots for by default (more at once fail to instantiate).
pub const DEFAULT_MAX_CONCURRENT_CALLS: u32 = 1000;

/// Per component instance, the pool reserves room for this many core instances, memories and
/// tables. The component (a Rust `wasm32-wasip2` cdylib) has one core module with one memory
/// and one table, plus the small shim modules `wasm-component-ld` adds; this leaves headroom
/// for a differently built component without reserving much (the reservations are virtual).
const POOL_CORE_INSTANCES_PER_CALL: u32 = 8;
pub(super) const POOL_MEMORIES_PER_CALL: u32 = 2;
pub(super) const POOL_TABLES_PER_CALL: u32 = 4;
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
    pub(super) fn engine_config(&self) -> Config {
        let mut config = Config::new();
        config.epoch_interruption(true);
        // The plugin is a WASIp2 component whose imports are all called synchronously. With
        // concurrency support on (wasmtime's default; the feature is compiled in for the Spin
        // app's WASIp3 harness), every host call also creates and deletes a component-model
        // task, a sizeable share of a short call.
        config.concurrency_support(false);
        // Copy-on-write heap images (wasmtime's default, stated because the pool relies on it).
        config.memory_init_cow(true);
        // Both allocators reserve wasmtime's default 4 GiB per memory, all a wasm32 memory can
        // ever need, so no memory has to move when it grows: the compiled code may then keep
        // the heap's base in a register across loops: fewer instructions per call.
        config.memory_may_move(false);
        // The plugin uses no GC types (a Rust component has none), and a store without GC
        // support sets none of it up: fewer instructions per call.
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
                // a cheaper call, for at most this much RSS per slot in use.
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
