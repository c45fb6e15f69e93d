//! Failed e-mail checks per order number, so the e-mail-gated actions cannot be used to guess
//! a customer's e-mail. Counted by one rule ([`WindowedAttempts`]) over whatever atomic
//! counters the packaging has ([`CounterStore`]): the component's `wasi:keyvalue` store (its
//! host's, shared by the shop's calls), the Spin app's key-value store, or memory.
//!
//! A check is held *before* Upgates is asked, atomically with the count: otherwise a burst of
//! concurrent checks would all see the count under the limit and all be answered. A check
//! that passes is given back; one that fails stays as the failure.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::config::ShopConfig;
use crate::failure::Failure;

/// Where failed checks are counted. `key` is the order number; implementations scope it to
/// the shop.
pub trait AttemptLog {
    /// Atomically: when fewer than `limit` checks for `key` failed or are under way within the
    /// last `window`, holds one more (now) and answers `true`; otherwise answers `false` and
    /// holds nothing.
    fn begin_check(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> impl Future<Output = Result<bool, Failure>>;

    /// The check begun for `key` passed, or never got Upgates' answer: gives it back, so it
    /// does not count as a failure.
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

/// Counters that only grow, as `wasi:keyvalue/atomics` has them: the one thing the rule needs
/// of a store. A store that fails answers `Err`, and the check is refused with it.
pub trait CounterStore {
    /// Atomically adds `delta` to the counter `key` (a missing one is 0) and answers the new
    /// value.
    fn increment(&self, key: &str, delta: u64) -> Result<u64, Failure>;
    /// The counter `key`, `None` when it does not exist.
    fn read(&self, key: &str) -> Result<Option<u64>, Failure>;
    /// Removes the counter `key` (a missing one is nothing).
    fn delete(&self, key: &str) -> Result<(), Failure>;
}

impl<S: CounterStore> CounterStore for &S {
    fn increment(&self, key: &str, delta: u64) -> Result<u64, Failure> {
        (**self).increment(key, delta)
    }

    fn read(&self, key: &str) -> Result<Option<u64>, Failure> {
        (**self).read(key)
    }

    fn delete(&self, key: &str) -> Result<(), Failure> {
        (**self).delete(key)
    }
}

/// The counters' prefix for a shop: `verify-failures/<first 8 bytes of SHA-256(api-url), hex>/`.
/// Several shops may share one store (one Redis behind several Spin apps, one host for many
/// shops) and their order numbers look alike; the API URL itself is not written to the store.
pub fn shop_prefix(config: &ShopConfig) -> String {
    let digest = Sha256::digest(config.api_url.as_bytes());
    format!("verify-failures/{}/", crate::hex(&digest[..8]))
}

/// The e-mail check rule over a [`CounterStore`], in fixed windows of `window`.
///
/// Per order and window two counters: `<prefix><order>/<window start, Unix seconds>/begun`
/// and `.../given-back`; what is held is begun minus given back. A check begins by adding 1
/// to `begun` and is refused (and gives its 1 back) when what that leaves held, with what the
/// previous window still holds, exceeds the limit; a check that passes, or never got
/// Upgates' answer, adds 1 to `given-back` of the window it began in. Only additions: a store
/// that can only count up (`wasi:keyvalue/atomics`) is enough. (A compare-and-swap is not
/// used: on Spin's SQLite store a swap on a key that does not exist yet writes without
/// comparing, so concurrent first checks of an order would all pass.)
///
/// Concurrent checks each get a `begun` number of their own. `given-back` is read *before*
/// the increment, so it only holds give-backs of checks that began earlier: the count is never
/// below what is really held, and at most `limit` checks are held at once.
///
/// Fixed windows stand in for a sliding one: a failure counts for the rest of its window and
/// the whole next one (between one and two windows), so no `window` ever lets more than
/// `limit` failures through. A check whose clock has passed into the next window by the time
/// it counted itself is refused (a check of the next window may have read this one as its
/// previous already), and the previous window is read again after the count. A `begun` not
/// above `given-back` after the count means the store lost `begun`: refused. When an order's window is first counted, the counters of the
/// window before the previous one are deleted; an order number never checked again keeps its
/// last few counters (a few bytes each; a bounded store drops the oldest).
pub struct WindowedAttempts<S> {
    store: S,
    prefix: String,
    /// The checks begun through this log and not yet given back: (order number, the
    /// `given-back` counter of the window it began in), to give each back to its own window.
    begun: Mutex<Vec<(String, String)>>,
    clock: fn() -> u64,
}

/// The in-memory log: each [`crate::Shop`] made with [`crate::Shop::new`] has its own.
pub type MemoryAttempts = WindowedAttempts<MemoryCounters>;

impl MemoryAttempts {
    pub fn new() -> Self {
        WindowedAttempts::with_prefix(MemoryCounters::new(), String::new())
    }
}

impl Default for MemoryAttempts {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> std::fmt::Debug for WindowedAttempts<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowedAttempts")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The state stays consistent even if a holder panicked: recover instead of spreading it.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<S> WindowedAttempts<S> {
    /// The shop's checks in `store`, under the shop's prefix ([`shop_prefix`]).
    pub fn for_shop(config: &ShopConfig, store: S) -> Self {
        Self::with_prefix(store, shop_prefix(config))
    }

    /// The checks in `store` under `prefix` (a store of this shop's only may use "").
    pub fn with_prefix(store: S, prefix: String) -> Self {
        Self {
            store,
            prefix,
            begun: Mutex::new(Vec::new()),
            clock: now_secs,
        }
    }

    /// Reads the time (Unix seconds) from `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: fn() -> u64) -> Self {
        self.clock = clock;
        self
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// The counter `which` (`begun`, `given-back`) of `order`'s window that began at `start`.
    pub fn counter_key(&self, order: &str, start: u64, which: &str) -> String {
        format!("{}{order}/{start}/{which}", self.prefix)
    }
}

impl<S: CounterStore> WindowedAttempts<S> {
    /// Checks held in `order`'s window that began at `start`: its `begun` less its
    /// `given-back`, the latter read first (see the type's comment).
    fn held_in(&self, order: &str, start: u64) -> Result<u64, Failure> {
        let given_back = self.read(&self.counter_key(order, start, GIVEN_BACK))?;
        let begun = self.read(&self.counter_key(order, start, BEGUN))?;
        Ok(begun.saturating_sub(given_back))
    }

    fn read(&self, key: &str) -> Result<u64, Failure> {
        Ok(self.store.read(key)?.unwrap_or(0))
    }

    /// Checks failed or under way for `order` at `now` (Unix seconds): this window's and the
    /// previous one's.
    pub fn held_at(&self, order: &str, window: Duration, now: u64) -> Result<u64, Failure> {
        let (start, length) = window_start(window, now);
        Ok(self
            .held_in(order, start.saturating_sub(length))?
            .saturating_add(self.held_in(order, start)?))
    }

    /// [`AttemptLog::begin_check`] at `now` (Unix seconds).
    pub fn begin_at(
        &self,
        order: &str,
        limit: u32,
        window: Duration,
        now: u64,
    ) -> Result<bool, Failure> {
        self.begin(order, limit, window, now, &|| now)
    }

    /// [`Self::begin_at`], with `clock` read again once the check is counted.
    fn begin(
        &self,
        order: &str,
        limit: u32,
        window: Duration,
        now: u64,
        clock: &dyn Fn() -> u64,
    ) -> Result<bool, Failure> {
        let (start, length) = window_start(window, now);
        let limit = u64::from(limit);
        let previous_start = start.saturating_sub(length);
        if self.held_in(order, previous_start)? >= limit {
            return Ok(false);
        }
        let given_back_key = self.counter_key(order, start, GIVEN_BACK);
        let given_back = self.read(&given_back_key)?;
        let begun = self
            .store
            .increment(&self.counter_key(order, start, BEGUN), 1)?;
        if begun == 1 {
            // This window's first check: the one before the previous is over for good. A
            // delete that fails leaves a stale counter, not a wrong count.
            let over = start.saturating_sub(2 * length);
            let _ = self.store.delete(&self.counter_key(order, over, BEGUN));
            let _ = self
                .store
                .delete(&self.counter_key(order, over, GIVEN_BACK));
        }
        // Read after the increment: a check that began in the next window before it read this
        // one as its previous (refused below: the clock has moved on), and one of another
        // replica whose clock is ahead, counted in the previous window meanwhile.
        let moved_on = window_start(window, clock()).0 > start;
        let previous = self.held_in(order, previous_start)?;
        // Our own 1 is in `begun`, so a consistent store has `begun > given_back`: otherwise
        // it lost `begun` (evicted) and the count cannot be trusted.
        let lost = begun <= given_back;
        if moved_on || lost || (begun - given_back).saturating_add(previous) > limit {
            // Nothing held. Should the store fail here, the 1 stays, which refuses more, not
            // fewer.
            let _ = self.store.increment(&given_back_key, 1);
            return Ok(false);
        }
        lock(&self.begun).push((order.to_owned(), given_back_key));
        Ok(true)
    }

    /// [`AttemptLog::withdraw_check`]: gives back the newest check this log began for `order`;
    /// nothing when it began none.
    pub fn withdraw(&self, order: &str) -> Result<(), Failure> {
        let key = {
            let mut begun = lock(&self.begun);
            let Some(at) = begun.iter().rposition(|(o, _)| o == order) else {
                return Ok(());
            };
            begun.remove(at).1
        };
        self.store.increment(&key, 1).map(drop)
    }
}

const BEGUN: &str = "begun";
const GIVEN_BACK: &str = "given-back";

/// The start (Unix seconds) of the window of `length` that `now` is in, and the length (at
/// least a second).
fn window_start(window: Duration, now: u64) -> (u64, u64) {
    let length = window.as_secs().max(1);
    (now / length * length, length)
}

impl<S: CounterStore> AttemptLog for WindowedAttempts<S> {
    async fn begin_check(&self, key: &str, limit: u32, window: Duration) -> Result<bool, Failure> {
        self.begin(key, limit, window, (self.clock)(), &self.clock)
    }

    async fn withdraw_check(&self, key: &str, _window: Duration) -> Result<(), Failure> {
        self.withdraw(key)
    }
}

/// Most counters a [`MemoryCounters`] holds: past it, the least recently written ones are
/// dropped. Bounds the memory a stream of new order numbers can make a host spend (about
/// 150 bytes a counter); filling it takes that many checks, each one asked of Upgates.
pub const MAX_TRACKED_KEYS: usize = 100_000;

/// Counters in memory, at most [`MAX_TRACKED_KEYS`] of them.
#[derive(Debug, Default)]
pub struct MemoryCounters {
    counters: Mutex<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    /// Each counter's value and when it was last written (a sequence number).
    values: HashMap<String, (u64, u64)>,
    writes: u64,
}

impl Counters {
    fn write(&mut self, key: &str, value: u64) {
        self.writes += 1;
        let written = self.writes;
        if let Some(entry) = self.values.get_mut(key) {
            *entry = (value, written);
            return;
        }
        if self.values.len() >= MAX_TRACKED_KEYS {
            self.drop_oldest();
        }
        self.values.insert(key.to_owned(), (value, written));
    }

    /// Drops the least recently written 1/64 of the counter groups at once, so a store kept
    /// full scans its counters once per 1,500 new ones, not for each. A group is the counters
    /// that differ only past their last `/` (a window's `begun` and `given-back`): they go
    /// together, as `begun` alone gone would free checks its `given-back` still subtracts.
    fn drop_oldest(&mut self) {
        let mut latest: HashMap<String, u64> = HashMap::new();
        for (key, (_, at)) in &self.values {
            let group = latest.entry(group_of(key).to_owned()).or_insert(0);
            *group = (*group).max(*at);
        }
        let mut written: Vec<u64> = latest.values().copied().collect();
        let cut = (written.len() / 64).max(1) - 1;
        let (_, oldest_kept, _) = written.select_nth_unstable(cut);
        let threshold = *oldest_kept;
        self.values
            .retain(|key, _| latest.get(group_of(key)).is_some_and(|at| *at > threshold));
    }
}

/// The group a counter goes with: its name up to the last `/`.
fn group_of(key: &str) -> &str {
    key.rfind('/').map_or(key, |at| &key[..at])
}

impl MemoryCounters {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Counters> {
        lock(&self.counters)
    }

    /// Sets the counter `key` to `value`.
    pub fn set(&self, key: &str, value: u64) {
        self.lock().write(key, value);
    }

    /// The counters' names, in no particular order.
    pub fn keys(&self) -> Vec<String> {
        self.lock().values.keys().cloned().collect()
    }

    /// Counters held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.lock().values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl CounterStore for MemoryCounters {
    fn increment(&self, key: &str, delta: u64) -> Result<u64, Failure> {
        let mut counters = self.lock();
        let current = counters.values.get(key).map_or(0, |(value, _)| *value);
        let value = current
            .checked_add(delta)
            .ok_or_else(|| Failure::Misconfigured("a counter would overflow".into()))?;
        counters.write(key, value);
        Ok(value)
    }

    fn read(&self, key: &str) -> Result<Option<u64>, Failure> {
        Ok(self.lock().values.get(key).map(|(value, _)| *value))
    }

    fn delete(&self, key: &str) -> Result<(), Failure> {
        self.lock().values.remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);
    /// The start of an hour, Unix seconds.
    const T0: u64 = 1_764_000_000 / 3600 * 3600;

    fn log() -> MemoryAttempts {
        MemoryAttempts::new()
    }

    #[test]
    fn a_failure_counts_for_the_rest_of_its_window_and_the_next() {
        let log = log();
        for i in 0..3 {
            assert_eq!(log.begin_at("A", 5, HOUR, T0 + i * 600), Ok(true));
        }
        assert_eq!(log.held_at("A", HOUR, T0 + 1800), Ok(3));
        assert_eq!(log.held_at("B", HOUR, T0), Ok(0));
        // The next window still counts them; the one after does not.
        assert_eq!(log.held_at("A", HOUR, T0 + 3600 + 3599), Ok(3));
        assert_eq!(log.held_at("A", HOUR, T0 + 7200), Ok(0));
    }

    #[test]
    fn the_limit_is_checked_and_held_in_one_step() {
        let log = log();
        // Three checks under way at once (none has its answer yet): the fourth is refused
        // and holds nothing.
        for _ in 0..3 {
            assert_eq!(log.begin_at("A", 3, HOUR, T0), Ok(true));
        }
        assert_eq!(log.begin_at("A", 3, HOUR, T0), Ok(false));
        assert_eq!(log.held_at("A", HOUR, T0), Ok(3));
        // One passed: it no longer counts, so one more may begin.
        assert_eq!(log.withdraw("A"), Ok(()));
        assert_eq!(log.held_at("A", HOUR, T0), Ok(2));
        assert_eq!(log.begin_at("A", 3, HOUR, T0), Ok(true));
        // In the next window the previous one's three still count.
        assert_eq!(log.begin_at("A", 3, HOUR, T0 + 3600), Ok(false));
        // Two windows on, the key is free again.
        assert_eq!(log.begin_at("A", 3, HOUR, T0 + 7200), Ok(true));
        assert_eq!(log.held_at("A", HOUR, T0 + 7200), Ok(1));
        // Withdrawing what this log did not begin is nothing.
        assert_eq!(log.withdraw("B"), Ok(()));
        assert_eq!(log.held_at("B", HOUR, T0), Ok(0));
    }

    #[test]
    fn a_check_is_given_back_to_the_window_it_began_in() {
        let log = log();
        assert_eq!(log.begin_at("A", 1, HOUR, T0 + 3599), Ok(true));
        // It got its answer after the window turned.
        assert_eq!(log.withdraw("A"), Ok(()));
        assert_eq!(log.held_at("A", HOUR, T0 + 3600), Ok(0));
        assert_eq!(log.begin_at("A", 1, HOUR, T0 + 3600), Ok(true));
    }

    #[test]
    fn a_new_window_deletes_the_counters_two_windows_back() {
        let log = log();
        assert_eq!(log.begin_at("A", 5, HOUR, T0), Ok(true));
        assert_eq!(log.begin_at("A", 5, HOUR, T0), Ok(true));
        assert_eq!(log.withdraw("A"), Ok(()));
        let old = log.counter_key("A", T0, "begun");
        assert!(log.store().read(&old).unwrap().is_some());
        assert_eq!(log.begin_at("A", 5, HOUR, T0 + 7200), Ok(true));
        assert_eq!(log.store().read(&old), Ok(None));
        assert_eq!(
            log.store().read(&log.counter_key("A", T0, "given-back")),
            Ok(None)
        );
    }

    /// A check that reads `given-back` before it counts itself in `begun` cannot be let
    /// through by a give-back of a check that began after it.
    #[test]
    fn a_later_checks_give_back_does_not_let_an_earlier_one_through() {
        /// What another check does between two steps of this one.
        type Meanwhile = Box<dyn FnOnce(&MemoryCounters)>;
        struct Interleaved {
            inner: MemoryCounters,
            /// Runs once, right after the first `begun` increment past 1.
            meanwhile: Mutex<Option<Meanwhile>>,
        }
        impl CounterStore for Interleaved {
            fn increment(&self, key: &str, delta: u64) -> Result<u64, Failure> {
                let value = self.inner.increment(key, delta)?;
                if key.ends_with("/begun")
                    && value == 2
                    && let Some(then) = lock(&self.meanwhile).take()
                {
                    then(&self.inner);
                }
                Ok(value)
            }
            fn read(&self, key: &str) -> Result<Option<u64>, Failure> {
                self.inner.read(key)
            }
            fn delete(&self, key: &str) -> Result<(), Failure> {
                self.inner.delete(key)
            }
        }
        let store = Interleaved {
            inner: MemoryCounters::new(),
            meanwhile: Mutex::new(None),
        };
        let log = WindowedAttempts::with_prefix(&store, String::new());
        assert_eq!(log.begin_at("A", 1, HOUR, T0), Ok(true));
        // Between the second check's increment and its decision, a third check counts
        // itself (begun 3) and, over the limit, gives its 1 back.
        let begun = log.counter_key("A", T0, "begun");
        let given_back = log.counter_key("A", T0, "given-back");
        *lock(&store.meanwhile) = Some(Box::new(move |inner: &MemoryCounters| {
            assert_eq!(inner.increment(&begun, 1), Ok(3));
            assert_eq!(inner.increment(&given_back, 1), Ok(1));
        }));
        assert_eq!(log.begin_at("A", 1, HOUR, T0), Ok(false));
        assert_eq!(log.held_at("A", HOUR, T0), Ok(1));
    }

    /// A store that runs `meanwhile` (another replica's check) once, when this check reads
    /// the `begun` counter `at`.
    struct ReadInterleaved {
        inner: MemoryCounters,
        at: String,
        meanwhile: Mutex<Option<Box<dyn FnOnce()>>>,
    }

    impl CounterStore for &ReadInterleaved {
        fn increment(&self, key: &str, delta: u64) -> Result<u64, Failure> {
            self.inner.increment(key, delta)
        }
        fn read(&self, key: &str) -> Result<Option<u64>, Failure> {
            let value = self.inner.read(key)?;
            if key == self.at
                && let Some(then) = lock(&self.meanwhile).take()
            {
                then();
            }
            Ok(value)
        }
        fn delete(&self, key: &str) -> Result<(), Failure> {
            self.inner.delete(key)
        }
    }

    /// `limit` checks that read the clock just before the boundary at `T0 + 1h` count
    /// themselves while `limit` checks that read it just after read the earlier window as
    /// their previous one; `late_clock` is what the earlier ones' clock reads next. Answers
    /// how many of the earlier ones and of the later ones were let through.
    fn across_the_boundary(limit: u32, late_clock: u64) -> (usize, usize) {
        let store: &'static ReadInterleaved = Box::leak(Box::new(ReadInterleaved {
            inner: MemoryCounters::new(),
            at: format!("A/{T0}/begun"),
            meanwhile: Mutex::new(None),
        }));
        let boundary = T0 + 3600;
        let earlier: &'static Mutex<usize> = Box::leak(Box::new(Mutex::new(0)));
        *lock(&store.meanwhile) = Some(Box::new(move || {
            let log = WindowedAttempts::with_prefix(store, String::new());
            for _ in 0..limit {
                if log.begin("A", limit, HOUR, boundary - 1, &|| late_clock) == Ok(true) {
                    *lock(earlier) += 1;
                }
            }
        }));
        let log = WindowedAttempts::with_prefix(store, String::new());
        let later = (0..limit)
            .filter(|_| log.begin("A", limit, HOUR, boundary, &|| boundary) == Ok(true))
            .count();
        let earlier = *lock(earlier);
        (earlier, later)
    }

    /// One clock: the earlier checks' clock has passed the boundary by the time they counted
    /// themselves (the later ones read it past the boundary first), so they are refused.
    #[test]
    fn checks_on_both_sides_of_a_window_boundary_let_through_at_most_the_limit() {
        assert_eq!(across_the_boundary(2, T0 + 3600), (0, 2));
    }

    /// Replicas whose clocks disagree: the earlier ones still see their window, and the later
    /// ones, reading the previous window again once counted, see them.
    #[test]
    fn a_replica_with_a_slower_clock_does_not_double_the_limit() {
        assert_eq!(across_the_boundary(2, T0 + 3599), (2, 0));
    }

    /// A store that lost a window's `begun` but kept its `given-back` (evicted apart) would
    /// count fewer checks than are held: it refuses instead.
    #[test]
    fn a_lost_begun_counter_refuses_the_check() {
        let log = log();
        assert_eq!(log.begin_at("A", 1, HOUR, T0), Ok(true));
        assert_eq!(log.withdraw("A"), Ok(()));
        assert_eq!(log.begin_at("A", 1, HOUR, T0), Ok(true));
        assert_eq!(
            log.store().delete(&log.counter_key("A", T0, "begun")),
            Ok(())
        );
        assert_eq!(log.begin_at("A", 1, HOUR, T0), Ok(false));
    }

    #[test]
    fn memory_drops_a_windows_counters_together() {
        let store = MemoryCounters::new();
        assert_eq!(store.increment("A/0/begun", 1), Ok(1));
        for i in 0..MAX_TRACKED_KEYS {
            assert_eq!(store.increment(&i.to_string(), 1), Ok(1));
            if i == MAX_TRACKED_KEYS / 2 {
                assert_eq!(store.increment("A/0/given-back", 1), Ok(1));
            }
        }
        assert_eq!(store.read("0"), Ok(None));
        assert_eq!(store.read("A/0/begun"), Ok(Some(1)));
        assert_eq!(store.read("A/0/given-back"), Ok(Some(1)));
    }

    #[test]
    fn shops_are_kept_apart_by_a_hash_of_the_api_url() {
        let store = MemoryCounters::new();
        let shop = |url: &str| {
            WindowedAttempts::for_shop(&ShopConfig::new(url, "l", "k", "420").unwrap(), &store)
        };
        let first = shop("https://one.admin.s1.upgates.com/api/v2");
        let second = shop("https://two.admin.s1.upgates.com/api/v2");
        assert_eq!(first.begin_at("1", 1, HOUR, T0), Ok(true));
        assert_eq!(second.begin_at("1", 1, HOUR, T0), Ok(true));
        assert_eq!(first.begin_at("1", 1, HOUR, T0), Ok(false));
        assert!(
            store
                .keys()
                .iter()
                .all(|k| k.starts_with("verify-failures/") && !k.contains("upgates.com"))
        );
    }

    #[test]
    fn memory_is_bounded_and_drops_the_least_recently_written() {
        let store = MemoryCounters::new();
        store.set("first", 1);
        for i in 0..MAX_TRACKED_KEYS {
            assert_eq!(store.increment(&i.to_string(), 1), Ok(1));
            if i == MAX_TRACKED_KEYS / 2 {
                // Written again: now newer than the ones after it.
                assert_eq!(store.increment("first", 1), Ok(2));
            }
        }
        assert!(store.len() <= MAX_TRACKED_KEYS);
        assert!(store.len() >= MAX_TRACKED_KEYS - MAX_TRACKED_KEYS / 64);
        assert_eq!(store.read("0"), Ok(None));
        assert_eq!(store.read("first"), Ok(Some(2)));
        assert_eq!(store.read(&(MAX_TRACKED_KEYS - 1).to_string()), Ok(Some(1)));
    }

    #[test]
    fn a_store_that_fails_refuses_the_check() {
        struct Broken;
        impl CounterStore for Broken {
            fn increment(&self, _: &str, _: u64) -> Result<u64, Failure> {
                Err(Failure::Misconfigured("down".into()))
            }
            fn read(&self, _: &str) -> Result<Option<u64>, Failure> {
                Err(Failure::Misconfigured("down".into()))
            }
            fn delete(&self, _: &str) -> Result<(), Failure> {
                Err(Failure::Misconfigured("down".into()))
            }
        }
        let log = WindowedAttempts::with_prefix(Broken, String::new());
        assert_eq!(
            log.begin_at("A", 5, HOUR, T0),
            Err(Failure::Misconfigured("down".into()))
        );
    }
}
