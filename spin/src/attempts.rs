//! Failed and unfinished e-mail checks in Spin's key-value store (`default`), so every instance
//! and replica of the app sees the same counts. One key per shop and order number
//! (`verify-failures/<hash of the API URL>/<order number>`), its value the JSON
//! list of the checks' times (Unix seconds) within the window, oldest first.
//!
//! Every change is a compare-and-swap (`wasi:keyvalue/atomics`): read the list, change it,
//! write it only if nobody wrote the key in between, else read again. So a check is counted
//! and held in one step, and concurrent checks on several instances or replicas cannot all slip
//! under the limit. Spin's backends compare differently (Redis `WATCH`, an etag, a version or
//! the value read); its local SQLite store writes a key that did not exist yet without a
//! comparison, so there the very first checks of an order number, racing, can count as one.
//! The key is never deleted afterwards (an empty list stays), so that is once per order.

use std::cell::OnceCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

// spin-sdk 7 generates `wasi:keyvalue@0.2.0-draft2` in its (doc-hidden) `experimental` module;
// its stable `key_value` module (`spin:key-value`) has no atomic update.
use sha2::{Digest, Sha256};
use spin_sdk::experimental::wasi::keyvalue::atomics::{self, Cas, CasError};
use spin_sdk::experimental::wasi::keyvalue::store::{self, Bucket};
use upgates_core::{AttemptLog, Failure, ShopConfig, begin_check_in};

const STORE: &str = "default";

/// Compare-and-swap rounds before giving up: each lost round means another writer changed the
/// key meanwhile, so 8 in a row is a store under a flood, not ordinary contention.
const MAX_SWAPS: usize = 8;

/// One request's view of the store: opened on first use, then kept for the request, so a
/// check (begin, then withdraw) opens it once.
pub struct KvAttempts {
    bucket: OnceCell<Bucket>,
    /// `verify-failures/<shop>/`: several shops' apps may share one store (one Redis), and
    /// their order numbers look alike. The shop is a hash of its API URL, which is not
    /// written to the store.
    prefix: String,
}

impl KvAttempts {
    pub fn for_shop(shop: &ShopConfig) -> Self {
        let digest = Sha256::digest(shop.api_url.as_bytes());
        let scope: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            bucket: OnceCell::new(),
            prefix: format!("verify-failures/{scope}/"),
        }
    }

    fn key(&self, order_number: &str) -> String {
        format!("{}{order_number}", self.prefix)
    }
}

fn unavailable() -> Failure {
    // The store's own error text is not passed on: it may name the backend's address.
    Failure::Misconfigured(format!(
        "the key-value store `{STORE}` is not available (spin.toml: key_value_stores = [\"{STORE}\"])"
    ))
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Whether a check begun at `at` is within `window` of `now`. A time ahead of `now` (another
/// replica's clock) counts as now.
fn in_window(at: u64, window: Duration, now: u64) -> bool {
    now.saturating_sub(at) < window.as_secs()
}

impl KvAttempts {
    fn bucket(&self) -> Result<&Bucket, Failure> {
        if let Some(bucket) = self.bucket.get() {
            return Ok(bucket);
        }
        let bucket = store::open(STORE).map_err(|_| unavailable())?;
        Ok(self.bucket.get_or_init(|| bucket))
    }
}

/// What a change of the list does: write the list back, or leave the key as it is.
enum Change<R> {
    Write(R),
    Keep(R),
}

/// Applies `change` to the list held under `key` atomically: reads it, changes it, and swaps it
/// in only if the key still holds what was read; otherwise reads the new value and applies
/// `change` again, at most [`MAX_SWAPS`] times. A value that does not parse (written by
/// something else) counts as an empty list, and is replaced on the next write.
fn update<R>(
    bucket: &Bucket,
    key: &str,
    mut change: impl FnMut(&mut Vec<u64>) -> Change<R>,
) -> Result<R, Failure> {
    let mut cas = Cas::new(bucket, key).map_err(|_| unavailable())?;
    for _ in 0..MAX_SWAPS {
        let current = cas.current().map_err(|_| unavailable())?;
        let mut times: Vec<u64> = current
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        let answer = match change(&mut times) {
            Change::Keep(answer) => return Ok(answer),
            Change::Write(answer) => answer,
        };
        let value = serde_json::to_vec(&times).map_err(|_| unavailable())?;
        match atomics::swap(cas, &value) {
            Ok(()) => return Ok(answer),
            // Someone wrote the key since it was read: the handle given back is at the new
            // value; apply the change to that.
            Err(CasError::CasFailed(fresh)) => cas = fresh,
            Err(CasError::StoreError(_)) => return Err(unavailable()),
        }
    }
    // Never settled: answered like a store that fails. For `begin_check` that is the closed
    // side (the e-mail is not checked); a `withdraw_check` left undone counts as a failure.
    Err(unavailable())
}

impl AttemptLog for KvAttempts {
    async fn begin_check(
        &self,
        order_number: &str,
        limit: u32,
        window: Duration,
    ) -> Result<bool, Failure> {
        let now = now_secs();
        update(self.bucket()?, &self.key(order_number), |times| {
            if begin_check_in(times, limit, now, |at| in_window(at, window, now)) {
                Change::Write(true)
            } else {
                // At the limit: nothing held, so nothing to write.
                Change::Keep(false)
            }
        })
    }

    async fn withdraw_check(&self, order_number: &str, window: Duration) -> Result<(), Failure> {
        let now = now_secs();
        update(self.bucket()?, &self.key(order_number), |times| {
            times.retain(|at| in_window(*at, window, now));
            // The checks are times only: the newest is the one this request began (or one just
            // as recent), either way one fewer is held.
            match times.pop() {
                Some(_) => Change::Write(()),
                None => Change::Keep(()),
            }
        })
    }
}
