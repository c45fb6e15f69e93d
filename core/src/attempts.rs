//! Failed e-mail checks per order number, so the e-mail-gated actions cannot be used to guess
//! a customer's e-mail. Kept by the packaging: the host in memory (the component lives for one
//! call), the Spin app in its key-value store (shared by its instances).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::failure::Failure;

/// Where failed checks are counted. `key` is the order number; implementations scope it to
/// the shop.
pub trait AttemptLog {
    /// Failures recorded for `key` within the last `window`.
    fn recent_failures(
        &self,
        key: &str,
        window: Duration,
    ) -> impl Future<Output = Result<u32, Failure>>;

    /// Records one failure for `key`; entries older than `window` may be dropped.
    fn record_failure(
        &self,
        key: &str,
        window: Duration,
    ) -> impl Future<Output = Result<(), Failure>>;
}

impl<A: AttemptLog> AttemptLog for &A {
    fn recent_failures(
        &self,
        key: &str,
        window: Duration,
    ) -> impl Future<Output = Result<u32, Failure>> {
        (**self).recent_failures(key, window)
    }

    fn record_failure(
        &self,
        key: &str,
        window: Duration,
    ) -> impl Future<Output = Result<(), Failure>> {
        (**self).record_failure(key, window)
    }
}

/// Most keys a [`MemoryAttempts`] holds: past it, keys with no recent failure are dropped, then
/// the oldest. Bounds the memory an attacker can make us spend (about 100 bytes a key).
pub const MAX_TRACKED_KEYS: usize = 100_000;

/// Failure times per key in memory, a sliding window per key.
#[derive(Debug, Default)]
pub struct MemoryAttempts {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl MemoryAttempts {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn failures_at(&self, key: &str, window: Duration, now: Instant) -> u32 {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let Some(times) = map.get_mut(key) else {
            return 0;
        };
        prune(times, window, now);
        if times.is_empty() {
            map.remove(key);
            return 0;
        }
        u32::try_from(times.len()).unwrap_or(u32::MAX)
    }

    pub fn record_at(&self, key: &str, window: Duration, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_TRACKED_KEYS && !map.contains_key(key) {
            map.retain(|_, times| {
                prune(times, window, now);
                !times.is_empty()
            });
            if map.len() >= MAX_TRACKED_KEYS
                && let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, times)| times.back().copied())
                    .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        let times = map.entry(key.to_owned()).or_default();
        prune(times, window, now);
        // A limit is at most 1000 (`verify-attempts`): more entries add nothing.
        if times.len() >= 1000 {
            times.pop_front();
        }
        times.push_back(now);
    }

    /// Keys held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn prune(times: &mut VecDeque<Instant>, window: Duration, now: Instant) {
    while times
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= window)
    {
        times.pop_front();
    }
}

impl AttemptLog for MemoryAttempts {
    async fn recent_failures(&self, key: &str, window: Duration) -> Result<u32, Failure> {
        Ok(self.failures_at(key, window, Instant::now()))
    }

    async fn record_failure(&self, key: &str, window: Duration) -> Result<(), Failure> {
        self.record_at(key, window, Instant::now());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_within_a_sliding_window() {
        let log = MemoryAttempts::new();
        let hour = Duration::from_secs(3600);
        let t0 = Instant::now();
        for i in 0..3 {
            log.record_at("A", hour, t0 + Duration::from_secs(i * 600));
        }
        assert_eq!(
            log.failures_at("A", hour, t0 + Duration::from_secs(1800)),
            3
        );
        assert_eq!(log.failures_at("B", hour, t0), 0);
        // The first failure leaves the window an hour after it happened.
        assert_eq!(log.failures_at("A", hour, t0 + hour), 2);
        assert_eq!(log.failures_at("A", hour, t0 + hour * 2), 0);
        assert!(log.is_empty());
    }

    #[test]
    fn memory_is_bounded() {
        let log = MemoryAttempts::new();
        let window = Duration::from_secs(60);
        let t0 = Instant::now();
        for i in 0..MAX_TRACKED_KEYS + 10 {
            log.record_at(&i.to_string(), window, t0);
        }
        assert_eq!(log.len(), MAX_TRACKED_KEYS);
        // Expired keys make room first.
        log.record_at("late", window, t0 + window);
        assert_eq!(log.len(), 1);
    }
}
