//! Failed e-mail checks in Spin's key-value store (`default`), so every instance and replica
//! of the app sees the same counts. One key per order number, its value the JSON list of the
//! failures' times (Unix seconds) within the window.
//!
//! The store has no atomic update: two failures at the same instant on two replicas can count
//! as one. The limit still holds within one attempt per race, which is what it is for.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use spin_sdk::key_value::Store;
use upgates_core::{AttemptLog, Failure};

const STORE: &str = "default";
/// More entries than any limit (`verify-attempts` is at most 1000) add nothing.
const MAX_ENTRIES: usize = 1000;

pub struct KvAttempts;

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

async fn open() -> Result<Store, Failure> {
    Store::open(STORE).await.map_err(|_| unavailable())
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
        let store = open().await?;
        let times = recent(&store, &key(order_number), window).await?;
        Ok(u32::try_from(times.len()).unwrap_or(u32::MAX))
    }

    async fn record_failure(&self, order_number: &str, window: Duration) -> Result<(), Failure> {
        let store = open().await?;
        let key = key(order_number);
        let mut times = recent(&store, &key, window).await?;
        if times.len() >= MAX_ENTRIES {
            times.remove(0);
        }
        times.push(now_secs());
        let value = serde_json::to_vec(&times).map_err(|_| unavailable())?;
        store.set(&key, value).await.map_err(|_| unavailable())
    }
}
