//! Failed e-mail checks in Spin's key-value store (`default`), so every instance and replica
//! of the app sees the same counts. One key per order number, its value the JSON list of the
//! failures' times (Unix seconds) within the window.
//!
//! The store has no atomic update: two failures at the same instant on two replicas can count
//! as one. The limit still holds within one attempt per race, which is what it is for.

use std::cell::OnceCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use spin_sdk::key_value::Store;
use upgates_core::{AttemptLog, Failure};

const STORE: &str = "default";
/// More entries than any limit (`verify-attempts` is at most 1000) add nothing.
const MAX_ENTRIES: usize = 1000;

/// One request's view of the store: opened on first use, then kept for the request, so a
/// failed check (count, then record) opens it once.
#[derive(Default)]
pub struct KvAttempts {
    store: OnceCell<Store>,
}

fn key(order_number: &str) -> String {
    format!("verify-failures/{order_number}")
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

impl KvAttempts {
    async fn store(&self) -> Result<&Store, Failure> {
        if let Some(store) = self.store.get() {
            return Ok(store);
        }
        let store = Store::open(STORE).await.map_err(|_| unavailable())?;
        Ok(self.store.get_or_init(|| store))
    }
}

/// The failures within `window` of now, oldest first. A value that does not parse (written by
/// something else) counts as none.
async fn recent(store: &Store, key: &str, window: Duration) -> Result<Vec<u64>, Failure> {
    let now = now_secs();
    let raw = store.get(key).await.map_err(|_| unavailable())?;
    let times: Vec<u64> = raw
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    Ok(times
        .into_iter()
        .filter(|t| now.saturating_sub(*t) < window.as_secs())
        .collect())
}

impl AttemptLog for KvAttempts {
    async fn recent_failures(&self, order_number: &str, window: Duration) -> Result<u32, Failure> {
        let times = recent(self.store().await?, &key(order_number), window).await?;
        Ok(u32::try_from(times.len()).unwrap_or(u32::MAX))
    }

    async fn record_failure(&self, order_number: &str, window: Duration) -> Result<(), Failure> {
        let store = self.store().await?;
        let key = key(order_number);
        // Read again: the count may have changed while Upgates answered the e-mail check.
        let mut times = recent(store, &key, window).await?;
        if times.len() >= MAX_ENTRIES {
            times.remove(0);
        }
        times.push(now_secs());
        let value = serde_json::to_vec(&times).map_err(|_| unavailable())?;
        store.set(&key, value).await.map_err(|_| unavailable())
    }
}
