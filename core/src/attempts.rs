//! Failed e-mail checks per order number, so the e-mail-gated actions cannot be used to guess
//! a customer's e-mail. Kept by the packaging: the host in memory (the component lives for one
//! call), the Spin app in its key-value store (shared by its instances).
//!
//! A check is held *before* Upgates is asked, atomically with the count: otherwise a burst of
//! concurrent checks would all see the count under the limit and all be answered. A check
//! that passes is withdrawn again; one that fails stays as the failure.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::failure::Failure;

/// Where failed checks are counted. `key` is the order number; implementations scope it to
/// the shop.
pub trait AttemptLog {
    /// Atomically: when fewer than `limit` checks for `key` failed or are under way within the
    /// last `window`, holds one more (now) and answers `true`; otherwise answers `false` and
    /// holds nothing. Entries older than `window` may be dropped.
    fn begin_check(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> impl Future<Output = Result<bool, Failure>>;

    /// The check begun for `key` passed, or never got Upgates' answer: drops the newest check
    /// held for `key`, so it does not count as a failure.
    fn withdraw_check(
        &self,
        key: &str,
        window: Duration,
    ) -> impl Future<Output = Result<(), Failure>>;
}

impl<A: AttemptLog> AttemptLog for &A {
    fn begin_check(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> impl Future<Output = Result<bool, Failure>> {
        (**self).begin_check(key, limit, window)
    }

    fn withdraw_check(
        &self,
        key: &str,
        window: Duration,
    ) -> impl Future<Output = Result<(), Failure>> {
        (**self).withdraw_check(key, window)
    }
}

/// Most keys a [`MemoryAttempts`] holds: past it, keys with no recent failure are dropped, then
/// the oldest. Bounds the memory an attacker can make us spend (about 100 bytes a key).
pub const MAX_TRACKED_KEYS: usize = 100_000;

/// Most checks kept per key: a limit is at most 1000 (`verify-attempts`), more add nothing.
pub const MAX_CHECKS_PER_KEY: usize = 1000;

/// The times of the checks held for one key (oldest first) within `window` of `now`, with a
/// new one added when fewer than `limit` are: the rule every [`AttemptLog`] applies to its
/// own storage. Answers whether one was added.
pub fn begin_check_in<T: Copy>(
    times: &mut Vec<T>,
    limit: u32,
    now: T,
    in_window: impl Fn(T) -> bool,
) -> bool {
    times.retain(|t| in_window(*t));
    if u32::try_from(times.len()).unwrap_or(u32::MAX) >= limit {
        return false;
    }
    if times.len() >= MAX_CHECKS_PER_KEY {
        times.remove(0);
    }
    times.push(now);
    true
}

/// Checks per key in memory, a sliding window per key.
#[derive(Debug, Default)]
pub struct MemoryAttempts {
    checks: Mutex<HashMap<String, Vec<Instant>>>,
}

impl MemoryAttempts {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Instant>>> {
        self.checks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Checks failed or under way for `key` within `window` of `now`.
    pub fn held_at(&self, key: &str, window: Duration, now: Instant) -> u32 {
        let mut map = self.lock();
        let Some(times) = map.get_mut(key) else {
            return 0;
        };
        times.retain(|t| in_window(*t, window, now));
        if times.is_empty() {
            map.remove(key);
            return 0;
        }
        u32::try_from(times.len()).unwrap_or(u32::MAX)
    }

    /// [`AttemptLog::begin_check`] at `now`.
    pub fn begin_at(&self, key: &str, limit: u32, window: Duration, now: Instant) -> bool {
        let mut map = self.lock();
        if map.len() >= MAX_TRACKED_KEYS && !map.contains_key(key) {
            map.retain(|_, times| {
                times.retain(|t| in_window(*t, window, now));
                !times.is_empty()
            });
            if map.len() >= MAX_TRACKED_KEYS
                && let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, times)| times.last().copied())
                    .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        let times = map.entry(key.to_owned()).or_default();
        let begun = begin_check_in(times, limit, now, |t| in_window(t, window, now));
        if times.is_empty() {
            map.remove(key);
        }
        begun
    }

    /// [`AttemptLog::withdraw_check`].
    pub fn withdraw(&self, key: &str) {
        let mut map = self.lock();
        if let Some(times) = map.get_mut(key) {
            times.pop();
            if times.is_empty() {
                map.remove(key);
            }
        }
    }

    /// Keys held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn in_window(at: Instant, window: Duration, now: Instant) -> bool {
    now.saturating_duration_since(at) < window
}

impl AttemptLog for MemoryAttempts {
    async fn begin_check(&self, key: &str, limit: u32, window: Duration) -> Result<bool, Failure> {
        Ok(self.begin_at(key, limit, window, Instant::now()))
    }

    async fn withdraw_check(&self, key: &str, _window: Duration) -> Result<(), Failure> {
        self.withdraw(key);
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
            assert!(log.begin_at("A", 5, hour, t0 + Duration::from_secs(i * 600)));
        }
        assert_eq!(log.held_at("A", hour, t0 + Duration::from_secs(1800)), 3);
        assert_eq!(log.held_at("B", hour, t0), 0);
        // The first check leaves the window an hour after it began.
        assert_eq!(log.held_at("A", hour, t0 + hour), 2);
        assert_eq!(log.held_at("A", hour, t0 + hour * 2), 0);
        assert!(log.is_empty());
    }

    #[test]
    fn the_limit_is_checked_and_held_in_one_step() {
        let log = MemoryAttempts::new();
        let hour = Duration::from_secs(3600);
        let t0 = Instant::now();
        // Three checks under way at once (none has its answer yet): the fourth is refused
        // and holds nothing.
        for _ in 0..3 {
            assert!(log.begin_at("A", 3, hour, t0));
        }
        assert!(!log.begin_at("A", 3, hour, t0));
        assert_eq!(log.held_at("A", hour, t0), 3);
        // One passed: it no longer counts, so one more may begin.
        log.withdraw("A");
        assert_eq!(log.held_at("A", hour, t0), 2);
        assert!(log.begin_at("A", 3, hour, t0));
        // Once the window has passed, the key is free again.
        assert!(log.begin_at("A", 3, hour, t0 + hour));
        assert_eq!(log.held_at("A", hour, t0 + hour), 1);
        // Withdrawing what is not held is nothing.
        log.withdraw("B");
        assert!(!log.is_empty());
    }

    #[test]
    fn memory_is_bounded() {
        let log = MemoryAttempts::new();
        let window = Duration::from_secs(60);
        let t0 = Instant::now();
        for i in 0..MAX_TRACKED_KEYS + 10 {
            log.begin_at(&i.to_string(), 5, window, t0);
        }
        assert_eq!(log.len(), MAX_TRACKED_KEYS);
        // Expired keys make room first.
        log.begin_at("late", 5, window, t0 + window);
        assert_eq!(log.len(), 1);
    }

    #[test]
    fn the_shared_rule_drops_old_checks_and_caps_a_key() {
        let mut times: Vec<u64> = vec![10, 20, 30];
        // Window: newer than 15.
        assert!(begin_check_in(&mut times, 3, 40, |t| t > 15));
        assert_eq!(times, vec![20, 30, 40]);
        assert!(!begin_check_in(&mut times, 3, 41, |t| t > 15));
        assert_eq!(times, vec![20, 30, 40]);
        let mut full: Vec<u64> = (0..MAX_CHECKS_PER_KEY as u64).collect();
        assert!(begin_check_in(&mut full, u32::MAX, 5000, |_| true));
        assert_eq!(full.len(), MAX_CHECKS_PER_KEY);
        assert_eq!(full.last(), Some(&5000));
    }
}
