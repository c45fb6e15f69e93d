//! The failed e-mail checks' counters in the host's `wasi:keyvalue` store (store + atomics,
//! the draft wasmtime's `-Skeyvalue` provides): core's rule ([`upgates_core::WindowedAttempts`])
//! over them. The store must outlive the call (the component does not) and be shared by the
//! shop's calls for the limit to hold across calls; that is the host's to provide.

use std::cell::OnceCell;

use upgates_core::{CounterStore, Failure};

use crate::wasi::keyvalue::atomics;
use crate::wasi::keyvalue::store::{self, Bucket};

/// The setting that names the bucket, for a host whose store has another name; none is `""`,
/// the bucket stock `wasmtime run -Skeyvalue` and this project's hosts provide. Read by the
/// component only: hosts that serve the store themselves do not pass it.
pub const KEY_ATTEMPTS_STORE: &str = "attempts-store";

/// The bucket, opened on first use and kept for the call, so a check (begin, then give back)
/// opens it once.
pub struct KeyValueCounters {
    identifier: String,
    bucket: OnceCell<Bucket>,
}

impl KeyValueCounters {
    pub fn new(identifier: String) -> Self {
        Self {
            identifier,
            bucket: OnceCell::new(),
        }
    }

    fn bucket(&self) -> Result<&Bucket, Failure> {
        if let Some(bucket) = self.bucket.get() {
            return Ok(bucket);
        }
        let bucket = store::open(&self.identifier).map_err(|e| self.failed(&e))?;
        Ok(self.bucket.get_or_init(|| bucket))
    }

    /// Any store error refuses the check: not counted, so not asked. The store's own text is
    /// not passed on (it may name the backend's address). Only a missing store is the
    /// setting's fault (the CLI and the Rust host do not read it).
    fn failed(&self, error: &store::Error) -> Failure {
        Failure::Misconfigured(match error {
            store::Error::NoSuchStore => format!(
                "the wasi:keyvalue store \"{}\" of failed e-mail checks is not available \
                 (`{KEY_ATTEMPTS_STORE}`)",
                self.identifier
            ),
            _ => "the store of failed e-mail checks failed".into(),
        })
    }
}

impl CounterStore for KeyValueCounters {
    fn increment(&self, key: &str, delta: u64) -> Result<u64, Failure> {
        atomics::increment(self.bucket()?, key, delta).map_err(|e| self.failed(&e))
    }

    /// Counters are kept as decimal numbers (`increment`'s encoding in wasmtime's stores and
    /// ours); anything else is not one of our counters, and refuses the check.
    fn read(&self, key: &str) -> Result<Option<u64>, Failure> {
        let Some(bytes) = self.bucket()?.get(key).map_err(|e| self.failed(&e))? else {
            return Ok(None);
        };
        std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| text.parse().ok())
            .map(Some)
            .ok_or_else(|| self.failed(&store::Error::Other(String::new())))
    }

    fn delete(&self, key: &str) -> Result<(), Failure> {
        self.bucket()?.delete(key).map_err(|e| self.failed(&e))
    }
}
