//! Failed and unfinished e-mail checks in Spin's key-value store (`default`), so every instance
//! and replica of the app sees the same counts: core's rule ([`upgates_core::WindowedAttempts`],
//! counters per shop, order number and time window) over the store's atomic increment
//! (`wasi:keyvalue/atomics`), which Spin's SQLite store applies in one transaction and its
//! Redis store as one `INCRBY`. The keys are scoped to the shop by a hash of its API URL
//! ([`upgates_core::shop_prefix`]): several shops' apps may share one store (one Redis).
//!
//! A store that cannot be opened or fails refuses the check as `misconfigured` (Upgates is not
//! asked): an unverified check never goes through.

use std::cell::OnceCell;

// spin-sdk 7 generates `wasi:keyvalue@0.2.0-draft2` in its (doc-hidden) `experimental` module;
// its stable `key_value` module (`spin:key-value`) has no atomic increment.
use spin_sdk::experimental::wasi::keyvalue::atomics;
use spin_sdk::experimental::wasi::keyvalue::store::{self, Bucket};
use upgates_core::{CounterStore, Failure, ShopConfig, WindowedAttempts};

pub const STORE: &str = "default";

/// The shop's failed e-mail checks in the `default` store.
pub fn for_shop(shop: &ShopConfig) -> WindowedAttempts<KvCounters> {
    WindowedAttempts::for_shop(shop, KvCounters::default())
}

/// One request's view of the store: opened on first use, then kept for the request, so a
/// check (begin, then give back) opens it once.
#[derive(Default)]
pub struct KvCounters {
    bucket: OnceCell<Bucket>,
}

impl KvCounters {
    fn bucket(&self) -> Result<&Bucket, Failure> {
        if let Some(bucket) = self.bucket.get() {
            return Ok(bucket);
        }
        let bucket = open_store()?;
        Ok(self.bucket.get_or_init(|| bucket))
    }
}

impl CounterStore for KvCounters {
    fn increment(&self, key: &str, delta: u64) -> Result<u64, Failure> {
        let delta = i64::try_from(delta).map_err(|_| unavailable())?;
        let value = add(self.bucket()?, key, delta)?;
        // Below 0 only if something besides this app wrote the counter: none is left.
        Ok(u64::try_from(value).unwrap_or(0))
    }

    /// Read by adding 0, so the value is the store's own number in the store's own encoding
    /// (SQLite and Redis keep counters differently).
    fn read(&self, key: &str) -> Result<Option<u64>, Failure> {
        let bucket = self.bucket()?;
        if !bucket.exists(key).map_err(|_| unavailable())? {
            return Ok(None);
        }
        Ok(Some(u64::try_from(add(bucket, key, 0)?).unwrap_or(0)))
    }

    fn delete(&self, key: &str) -> Result<(), Failure> {
        self.bucket()?.delete(key).map_err(|_| unavailable())
    }
}

/// The `default` store, which the signed invoice links' downloads are counted in too.
pub fn open_store() -> Result<Bucket, Failure> {
    store::open(STORE).map_err(|_| unavailable())
}

fn unavailable() -> Failure {
    // The store's own error text is not passed on: it may name the backend's address.
    Failure::Misconfigured(format!(
        "the key-value store `{STORE}` is not available (spin.toml: key_value_stores = [\"{STORE}\"])"
    ))
}

/// Adds `delta` to the counter `key` (a missing one is 0) and answers the new value.
pub fn add(bucket: &Bucket, key: &str, delta: i64) -> Result<i64, Failure> {
    atomics::increment(bucket, key, delta).map_err(|_| unavailable())
}
