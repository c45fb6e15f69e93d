//! The failed e-mail checks' counters in the host's `wasi:keyvalue` store (store + atomics,
//! the draft wasmtime's `-Skeyvalue` provides): core's rule ([`upgates_core::WindowedAttempts`])
//! over them. The store must outlive the call (the component does not) and be shared by the
//! shop's calls for the limit to hold across calls; that is the host's to provide.

use std::cell::OnceCell;

use upgates_core::{CounterStore, Failure};

use crate::wasi::keyvalue::atomics;
use crate::wasi::keyvalue::store::{self, Bucket};

/// The bucket the counters are in: `""`, the one stock `wasmtime run -Skeyvalue` and this
/// project's hosts provide.
const BUCKET: &str = "";

/// The bucket, opened on first use and kept for the call, so a check (begin, then give back)
/// opens it once.
#[derive(Default)]
pub struct KeyValueCounters {
    bucket: OnceCell<Bucket>,
}

impl KeyValueCounters {
    fn bucket(&self) -> Result<&Bucket, Failure> {
        if let Some(bucket) = self.bucket.get() {
            return Ok(bucket);
        }
        let bucket = store::open(BUCKET).map_err(|_| unavailable())?;
        Ok(self.bucket.get_or_init(|| bucket))
    }
}

/// Any store error refuses the check: not counted, so not asked. The store's own text is not
/// passed on (it may name the backend's address).
fn unavailable() -> Failure {
    Failure::Misconfigured(
        "the host's wasi:keyvalue store (bucket \"\") for failed e-mail checks is not available"
            .into(),
    )
}

impl CounterStore for KeyValueCounters {
    fn increment(&self, key: &str, delta: u64) -> Result<u64, Failure> {
        atomics::increment(self.bucket()?, key, delta).map_err(|_| unavailable())
    }

    /// Counters are kept as decimal numbers (`increment`'s encoding in wasmtime's stores and
    /// ours); anything else is not one of our counters, and refuses the check.
    fn read(&self, key: &str) -> Result<Option<u64>, Failure> {
        let Some(bytes) = self.bucket()?.get(key).map_err(|_| unavailable())? else {
            return Ok(None);
        };
        std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| text.parse().ok())
            .map(Some)
            .ok_or_else(unavailable)
    }

    fn delete(&self, key: &str) -> Result<(), Failure> {
        self.bucket()?.delete(key).map_err(|_| unavailable())
    }
}
