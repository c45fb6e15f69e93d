//! The component's `wasi:keyvalue` store (store + atomics, `0.2.0-draft`, as wasmtime's
//! `-Skeyvalue`), where it counts failed e-mail checks. The component lives for one call, so
//! the store must outlive it: a long-running host keeps one per shop in memory (the shop's
//! state, shared by every call on the shop); a host that lives for one call (the `upgates`
//! CLI) keeps it in files, behind the same [`KeyValueStore`] trait.
//!
//! The guest is not trusted with the host's memory or time: keys are bounded (a long one is
//! kept as its SHA-256), values are decimal counters only, a call's operations are bounded
//! ([`MAX_OPERATIONS_PER_CALL`]) and so is a shop's key count
//! ([`upgates_core::MAX_TRACKED_KEYS`]). The only bucket is `""`; any other identifier is
//! `no-such-store`.

use std::fmt::Debug;

use wasmtime::component::Resource;

use upgates_core::{CounterStore, MemoryCounters};

use crate::bindings::wasi::keyvalue::{atomics, store};
use crate::runtime::HostState;

/// Longer keys are kept as their SHA-256 (64 hex digits): the component's keys
/// (`verify-failures/<shop>/<order>/<window>/given-back`) fit with a long order number.
pub const MAX_KEY_BYTES: usize = 128;
/// Store operations (`open` and each bucket method) one call may make. An e-mail check takes
/// at most ten (open, three reads, an increment, two deletes, two reads again, a give-back);
/// the rest is spare. Past it every operation answers an error, so the check is refused.
pub const MAX_OPERATIONS_PER_CALL: u32 = 16;

/// A store's failure as the guest gets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// The store cannot be trusted (another user's file, a link): nothing is read or written.
    AccessDenied,
    /// Anything else; the text is the guest's to see, so it names no path or secret.
    Other(String),
}

/// The counters a host keeps for the component's bucket `""`: decimal `u64` values only.
pub trait KeyValueStore: Send + Sync + Debug {
    fn get(&self, key: &str) -> Result<Option<u64>, StoreError>;
    fn set(&self, key: &str, value: u64) -> Result<(), StoreError>;
    fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Atomically adds `delta` (a missing key is 0) and answers the new value.
    fn increment(&self, key: &str, delta: u64) -> Result<u64, StoreError>;
}

impl KeyValueStore for MemoryCounters {
    fn get(&self, key: &str) -> Result<Option<u64>, StoreError> {
        self.read(key).map_err(|f| StoreError::Other(f.to_string()))
    }

    fn set(&self, key: &str, value: u64) -> Result<(), StoreError> {
        MemoryCounters::set(self, key, value);
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        CounterStore::delete(self, key).map_err(|f| StoreError::Other(f.to_string()))
    }

    fn increment(&self, key: &str, delta: u64) -> Result<u64, StoreError> {
        CounterStore::increment(self, key, delta).map_err(|f| StoreError::Other(f.to_string()))
    }
}

/// An open bucket: there is one store per shop, so the handle carries nothing.
pub struct Bucket;

/// The key as the store keeps it: as it came when short, else its SHA-256 in hex
/// ([`MAX_KEY_BYTES`]).
pub fn bounded_key(key: String) -> String {
    if key.len() <= MAX_KEY_BYTES {
        return key;
    }
    use sha2::Digest;
    upgates_core::hex(&sha2::Sha256::digest(key.as_bytes()))
}

impl From<StoreError> for store::Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::AccessDenied => store::Error::AccessDenied,
            StoreError::Other(text) => store::Error::Other(text),
        }
    }
}

impl HostState {
    /// Counts one operation against the call's budget.
    fn operation(&mut self) -> Result<(), store::Error> {
        match self.keyvalue_operations_left.checked_sub(1) {
            Some(left) => {
                self.keyvalue_operations_left = left;
                Ok(())
            }
            None => Err(store::Error::Other(format!(
                "more than {MAX_OPERATIONS_PER_CALL} key-value operations in one call"
            ))),
        }
    }
}

impl store::Host for HostState {
    fn open(&mut self, identifier: String) -> Result<Resource<Bucket>, store::Error> {
        self.operation()?;
        if !identifier.is_empty() {
            return Err(store::Error::NoSuchStore);
        }
        self.table
            .push(Bucket)
            .map_err(|e| store::Error::Other(e.to_string()))
    }
}

impl store::HostBucket for HostState {
    fn get(&mut self, _: Resource<Bucket>, key: String) -> Result<Option<Vec<u8>>, store::Error> {
        self.operation()?;
        let value = self.keyvalue.get(&bounded_key(key))?;
        Ok(value.map(|v| v.to_string().into_bytes()))
    }

    /// Refused: the component only counts up (`increment`), and a `set` could write any
    /// count over the shop's failed checks.
    fn set(&mut self, _: Resource<Bucket>, _: String, _: Vec<u8>) -> Result<(), store::Error> {
        self.operation()?;
        Err(store::Error::AccessDenied)
    }

    fn delete(&mut self, _: Resource<Bucket>, key: String) -> Result<(), store::Error> {
        self.operation()?;
        Ok(self.keyvalue.delete(&bounded_key(key))?)
    }

    fn exists(&mut self, _: Resource<Bucket>, key: String) -> Result<bool, store::Error> {
        self.operation()?;
        Ok(self.keyvalue.get(&bounded_key(key))?.is_some())
    }

    /// Not offered: the component reads its counters by name, and a listing would hand a
    /// guest every shop order number checked lately (and cost the host a walk of them all).
    fn list_keys(
        &mut self,
        _: Resource<Bucket>,
        _: Option<u64>,
    ) -> Result<store::KeyResponse, store::Error> {
        self.operation()?;
        Err(store::Error::AccessDenied)
    }

    fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::Host for HostState {
    fn increment(
        &mut self,
        _: Resource<Bucket>,
        key: String,
        delta: u64,
    ) -> Result<u64, store::Error> {
        self.operation()?;
        Ok(self.keyvalue.increment(&bounded_key(key), delta)?)
    }
}
