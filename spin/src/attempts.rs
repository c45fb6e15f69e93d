//! Failed and unfinished e-mail checks in Spin's key-value store (`default`), so every instance
//! and replica of the app sees the same counts. One key per shop and order number
//! (`verify-failures/<hash of the API URL>/<order number>`), its value the JSON list of the
//! checks held within the window, oldest first: when each began (Unix seconds) and a random
//! tag, so a request knows its own check from another begun in the same second.
//!
//! Every change is a compare-and-swap (`wasi:keyvalue/atomics`): read the list, change it,
//! write it only if nobody wrote the key in between. So a check is counted and held in one
//! step, and concurrent checks on several instances or replicas cannot all slip under the
//! limit. The swap's own answer is not trusted, because Spin's stores do not all keep its
//! promise: Spin's Redis store (3.x-4.0) reports a swap that went through as failed (its
//! `UNWATCH` takes an argument Redis refuses) and one that Redis aborted as done; its SQLite
//! store writes a key that did not exist yet without comparing. So after a swap the list is
//! read back, and the check counts as held (or withdrawn) only when its tag is there (or gone).

use std::cell::{Cell, OnceCell};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

// spin-sdk 7 generates `wasi:keyvalue@0.2.0-draft2` in its (doc-hidden) `experimental` module;
// its stable `key_value` module (`spin:key-value`) has no atomic update.
use sha2::{Digest, Sha256};
use spin_sdk::experimental::wasi::keyvalue::atomics::{self, Cas, CasError};
use spin_sdk::experimental::wasi::keyvalue::store::{self, Bucket};
use upgates_core::{AttemptLog, Failure, ShopConfig, begin_check_in};

const STORE: &str = "default";

/// Compare-and-swap rounds before giving up: each lost round means another writer changed the
/// key meanwhile (or the store misreported), so 8 in a row is a store under a flood or broken.
const MAX_SWAPS: usize = 8;

/// One request's view of the store: opened on first use, then kept for the request, so a
/// check (begin, then withdraw) opens it once.
pub struct KvAttempts {
    bucket: OnceCell<Bucket>,
    /// The check this request began, to withdraw exactly that one.
    check: Cell<Option<Held>>,
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
            check: Cell::new(None),
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

/// A check as stored: when it began (Unix seconds) and its tag.
type Held = (u64, u64);

/// A tag no other check of this key is likely to have: std's `RandomState` is seeded from
/// `wasi:random`, and each one hashes with new keys.
fn new_tag(now: u64) -> u64 {
    use std::hash::BuildHasher as _;
    std::hash::RandomState::new().hash_one(now)
}

/// The list in `raw`; a value that does not parse (written by something else) is empty, and
/// is replaced on the next write.
fn parse(raw: Option<Vec<u8>>) -> Vec<Held> {
    raw.and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// What a change of the list does: write it back, or leave the key as it is.
enum Change<R> {
    Write(R),
    Keep(R),
}

/// Applies `change` to the list under `key` by compare-and-swap, until `settled` says the
/// stored list shows it (read back after each swap: see the module's note), at most
/// [`MAX_SWAPS`] times. `change` sees the list as it is now and may decide there is nothing
/// to write; `settled` is asked first, so a swap that went through but was reported as failed
/// is not applied twice.
fn update<R>(
    bucket: &Bucket,
    key: &str,
    settled: impl Fn(&[Held]) -> Option<R>,
    mut change: impl FnMut(&mut Vec<Held>) -> Change<R>,
) -> Result<R, Failure> {
    for _ in 0..MAX_SWAPS {
        let cas = Cas::new(bucket, key).map_err(|_| unavailable())?;
        let mut held = parse(cas.current().map_err(|_| unavailable())?);
        if let Some(answer) = settled(&held) {
            return Ok(answer);
        }
        if let Change::Keep(answer) = change(&mut held) {
            return Ok(answer);
        }
        let value = serde_json::to_vec(&held).map_err(|_| unavailable())?;
        match atomics::swap(cas, &value) {
            // Either may be wrong; the read below tells.
            Ok(()) | Err(CasError::CasFailed(_)) => {}
            Err(CasError::StoreError(_)) => return Err(unavailable()),
        }
        let stored = parse(bucket.get(key).map_err(|_| unavailable())?);
        if let Some(answer) = settled(&stored) {
            return Ok(answer);
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
        let check: Held = (now, new_tag(now));
        let begun = update(
            self.bucket()?,
            &self.key(order_number),
            |held| held.contains(&check).then_some(true),
            |held| {
                if begin_check_in(held, limit, check, |(at, _)| in_window(at, window, now)) {
                    Change::Write(true)
                } else {
                    // At the limit: nothing held, so nothing to write.
                    Change::Keep(false)
                }
            },
        )?;
        if begun {
            self.check.set(Some(check));
        }
        Ok(begun)
    }

    async fn withdraw_check(&self, order_number: &str, window: Duration) -> Result<(), Failure> {
        let Some(check) = self.check.take() else {
            return Ok(());
        };
        let now = now_secs();
        update(
            self.bucket()?,
            &self.key(order_number),
            |held| (!held.contains(&check)).then_some(()),
            |held| {
                held.retain(|entry| *entry != check && in_window(entry.0, window, now));
                Change::Write(())
            },
        )
    }
}
