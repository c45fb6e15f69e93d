//! A wasmtime 48 embedding of the Upgates bot component.
//!
//! [`PluginRuntime`] compiles the component once and keeps an `InstancePre`; every call gets a
//! fresh `Store` with the shop's settings (through `wasi:config/store`; not the API login and
//! key, which the host adds to each request itself), outbound HTTP under the shop's
//! [`HttpPolicy`] (only the actions' requests), the shop's `wasi:keyvalue` store
//! ([`keyvalue`]: the failed e-mail checks' counters, shared by the shop's calls), bounded host
//! resources and an epoch deadline.

mod bindings;
mod convert;
pub mod keyvalue;
mod logging;
mod outgoing;
mod precompiled;
mod runtime;
mod sandbox;
mod shop_cache;
mod shop_state;

pub use precompiled::{CacheOutcome, PrecompiledCache, private_files};
pub use runtime::{
    Allocator, CallError, DEFAULT_MAX_CONCURRENT_CALLS, DEFAULT_MEMORY_LIMIT, PluginRuntime,
    RuntimeOptions, ShopConnection,
};
pub use sandbox::{HttpPolicy, InProcess, InProcessAsync, Origin};
pub use shop_state::{MAX_IN_FLIGHT, RateLimits, ShopStats, Stored};
pub use upgates_core::{ActionInput, ActionName, Answer, Failure, ShopConfig, render, render_text};

/// What the host's tests (tests/units/host_*.rs, in the workspace's one test binary) reach
/// beyond the embedding API, the host having no unit-test binary of its own.
#[doc(hidden)]
pub mod for_tests {
    pub use crate::outgoing::{announces_body, handle as outgoing_handle};
    #[cfg(unix)]
    pub use crate::precompiled::file_checks::effective_uid;
    pub use crate::precompiled::file_checks::{Kind, Trust, is_entry_name, trust};
    pub use crate::precompiled::load_entry;
    pub use crate::runtime::{MAX_FIELDS_BYTES, MAX_TABLE_ENTRIES};
    pub use crate::sandbox::{
        MAX_REQUEST_BODY_BYTES, MAX_SENDS_PER_CALL, body_sent_by_an_action, sent_by_an_action,
    };
    pub use crate::shop_cache::replicate;
    pub use wasmtime_wasi_http;
}

/// The release component, built by this crate's build script (or taken from
/// `UPGATES_PLUGIN_WASM` at build time).
pub const PLUGIN_WASM: &[u8] = include_bytes!(env!("UPGATES_PLUGIN_WASM_PATH"));
