//! Failed and unfinished e-mail checks in Spin's key-value store (`default`), so every instance
//! and replica of the app sees the same counts: a counter per shop, order number and time
//! window, changed only by the store's atomic increment (`wasi:keyvalue/atomics`), which
//! Spin's SQLite store applies in one transaction and its Redis store as one `INCRBY`. (A
//! compare-and-swap is not used: on Spin's SQLite store a swap on a key that does not exist yet
//! writes without comparing, so concurrent first checks of an order would all pass.)
//!
//! Key: `verify-failures/<hash of the API URL>/<order number>/<window start, Unix seconds>`. A
//! check begins by adding 1 to its window's counter; concurrent checks each get a number of
//! their own back, so when that number and the previous window's count exceed the limit, the
//! check takes its 1 back and is refused, and at most `limit` checks are held at once. A check
//! that passes, or never got Upgates' answer, takes its 1 back from the window it began in.
//!
//! Fixed windows stand in for core's sliding one: a failure counts for the rest of its window
//! and the whole next one (between one and two windows), so no `window` ever lets more than
//! `limit` failures through. When an order's window is first counted, the counter of the
//! window before the previous one is deleted; an order number never checked again keeps its
//! last counter or two (a few bytes each).

use std::cell::{OnceCell, RefCell};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

// spin-sdk 7 generates `wasi:keyvalue@0.2.0-draft2` in its (doc-hidden) `experimental` module;
// its stable `key_value` module (`spin:key-value`) has no atomic increment.
use sha2::{Digest, Sha256};
use spin_sdk::experimental::wasi::keyvalue::atomics;
use spin_sdk::experimental::wasi::keyvalue::store::{self, Bucket};
use upgates_core::{AttemptLog, Failure, ShopConfig};

pub const STORE: &str = "default";

/// One request's view of the store: opened on first use, then kept for the request, so a
/// check (begin, then withdraw) opens it once.
pub struct KvAttempts {
    bucket: OnceCell<Bucket>,
    /// The counter this request's check was added to, to take it back from that one.
    held: RefCell<Option<String>>,
    /// `verify-failures/<shop>/`: several shops' apps may share one store (one Redis), and
    /// their order numbers look alike. The shop is a hash of its API URL, which is not
    /// written to the store.
    prefix: String,
}

impl KvAttempts {
    pub fn for_shop(shop: &ShopConfig) -> Self {
        let digest = Sha256::digest(shop.api_url.as_bytes());
        let scope = upgates_core::hex(&digest[..8]);
        Self {
            bucket: OnceCell::new(),
            held: RefCell::new(None),
            prefix: format!("verify-failures/{scope}/"),
        }
    }

    /// The counter of `order_number`'s window that began at `start` (Unix seconds).
    fn key(&self, order_number: &str, start: u64) -> String {
        format!("{}{order_number}/{start}", self.prefix)
    }

    fn bucket(&self) -> Result<&Bucket, Failure> {
        if let Some(bucket) = self.bucket.get() {
            return Ok(bucket);
        }
        let bucket = open_store()?;
        Ok(self.bucket.get_or_init(|| bucket))
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

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Adds `delta` to the counter `key` (a missing one is 0) and answers the new value.
pub fn add(bucket: &Bucket, key: &str, delta: i64) -> Result<i64, Failure> {
    atomics::increment(bucket, key, delta).map_err(|_| unavailable())
}

/// The count of a window that is over: 0 when it has no counter. Read by adding 0, so the
/// value is the store's own number in the store's own encoding.
fn count(bucket: &Bucket, key: &str) -> Result<i64, Failure> {
    if !bucket.exists(key).map_err(|_| unavailable())? {
        return Ok(0);
    }
    Ok(add(bucket, key, 0)?.max(0))
}

impl AttemptLog for KvAttempts {
    async fn begin_check(
        &self,
        order_number: &str,
        limit: u32,
        window: Duration,
    ) -> Result<bool, Failure> {
        let bucket = self.bucket()?;
        let length = window.as_secs().max(1);
        let start = now_secs() / length * length;
        let limit = i64::from(limit);
        let previous = count(
            bucket,
            &self.key(order_number, start.saturating_sub(length)),
        )?;
        if previous >= limit {
            return Ok(false);
        }
        let key = self.key(order_number, start);
        let counted = add(bucket, &key, 1)?;
        if counted == 1 {
            // This window's first check: the one before the previous is over for good. A
            // delete that fails leaves a stale counter, not a wrong count.
            let _ = bucket.delete(&self.key(order_number, start.saturating_sub(2 * length)));
        }
        if counted.saturating_add(previous) > limit {
            // Over the limit: nothing held. Should the store fail here, the 1 stays, which
            // refuses more, not fewer.
            let _ = add(bucket, &key, -1);
            return Ok(false);
        }
        *self.held.borrow_mut() = Some(key);
        Ok(true)
    }

    async fn withdraw_check(&self, _order_number: &str, _window: Duration) -> Result<(), Failure> {
        let Some(key) = self.held.borrow_mut().take() else {
            return Ok(());
        };
        let bucket = self.bucket()?;
        if add(bucket, &key, -1)? < 0 {
            // The counter was deleted meanwhile (another replica's clock is a window ahead):
            // no count below 0 is left to let later checks through.
            let _ = add(bucket, &key, 1);
        }
        Ok(())
    }
}
