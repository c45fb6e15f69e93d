//! What the commands take from the global options: the shops file, the shop with its counter
//! files, the precompiled cache and the component.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use upgates_host::{
    Allocator, PLUGIN_WASM, PluginRuntime, PrecompiledCache, RuntimeOptions, ShopConnection,
};

use crate::attempt_files::FileCounters;
use crate::shops_file::{self, ShopsFile};

/// One process, one call (the demo: one at a time): a small pool is all it needs.
pub const ONE_CALL_POOL: Allocator = Allocator::Pooling {
    max_concurrent_calls: 4,
};

/// The shops file (`--config`, else the default path, which may be missing).
pub fn load_shops_file(config: Option<&Path>) -> Result<ShopsFile, String> {
    let (path, explicit) = match config {
        Some(path) => (Some(path.to_owned()), true),
        None => (shops_file::default_path(), false),
    };
    match path {
        Some(path) => ShopsFile::load(&path, explicit),
        None => Ok(ShopsFile::default()),
    }
}

/// The shop from the shops file (`--shop`) with `UPGATES_API_URL`, `UPGATES_API_LOGIN`,
/// `UPGATES_API_KEY`, `UPGATES_DEFAULT_COUNTRY_CODE` on top, its `wasi:keyvalue` store (the
/// failed e-mail checks' counters) in `state_dir`/attempts (else the user's default).
pub fn shop_connection(
    file: &ShopsFile,
    shop: Option<&str>,
    timeout: Duration,
    state_dir: Option<&Path>,
) -> Result<ShopConnection, String> {
    let config = file.resolve(shop, |var| std::env::var(var).ok())?;
    let mut shop = ShopConnection::new(config).map_err(|f| f.message())?;
    shop.policy.call_timeout = timeout;
    // Each run is one call: failed e-mail checks must outlive the process to be limited.
    let counters = match state_dir {
        Some(dir) => FileCounters::new(dir.join("attempts"), &shop.config),
        None => FileCounters::user_default(&shop.config),
    };
    // Counters' files are waited for inside the component's call, which the call's timeout
    // cannot cut off: all of a run's waits (one call's) share one quarter of `--timeout`.
    let counters =
        counters.with_lock_wait(FileCounters::LOCK_WAIT.min(shop.policy.call_timeout / 4));
    shop.keyvalue = Some(Arc::new(counters));
    Ok(shop)
}

/// The precompiled cache the CLI uses: `--cache-dir`, else the user's cache directory; none
/// with `--no-cache` (or when there is no cache directory).
pub fn precompiled_cache(no_cache: bool, cache_dir: Option<&Path>) -> Option<PrecompiledCache> {
    if no_cache {
        return None;
    }
    match cache_dir {
        Some(dir) => Some(PrecompiledCache::new(dir)),
        None => PrecompiledCache::user_default(),
    }
}

/// The component built into the binary, or `--component`'s.
pub fn load_runtime(
    component: Option<&Path>,
    cache: Option<PrecompiledCache>,
    allocator: Allocator,
) -> Result<PluginRuntime, String> {
    let read;
    let wasm = match component {
        Some(path) => {
            read =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            &read[..]
        }
        None => PLUGIN_WASM,
    };
    let options = RuntimeOptions {
        allocator,
        cache,
        ..RuntimeOptions::default()
    };
    PluginRuntime::with_options(wasm, &options)
        .map_err(|e| format!("cannot load the component: {e:#}"))
}
