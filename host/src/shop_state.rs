//! What all calls to one shop share in this process: the concurrency limit Upgates enforces
//! (3 requests at once, 429 beyond), the GET cache with single flight, and the last
//! rate-limit figures Upgates reported.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{OnceCell, Semaphore};

/// Upgates answers 429 to a 4th concurrent request of one API group.
pub const MAX_IN_FLIGHT: usize = 3;

/// One shared GET: its answer or its failure, which every caller waiting on it gets (a
/// failure left out would have the next waiter send the request again, and the next).
pub type Flight = OnceCell<Result<Stored, Arc<wasmtime_wasi_http::Error>>>;

/// A response as the cache keeps it.
#[derive(Clone, Debug)]
pub struct Stored {
    pub status: u16,
    pub headers: Vec<(http::HeaderName, http::HeaderValue)>,
    pub body: Bytes,
}

impl Stored {
    /// As upgates-core reads a response (a header that is not text is left out).
    pub fn to_api_response(&self) -> upgates_core::ApiResponse {
        upgates_core::ApiResponse {
            status: self.status,
            headers: self
                .headers
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                .collect(),
            body: self.body.to_vec(),
        }
    }
}

/// The `X-Rate-Limit-*` figures of the last response (read by core's Upgates rules).
pub use upgates_core::upgates_rules::RateLimits;

/// What one shop's calls in this process cost and saved, since the process started.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShopStats {
    /// Upgates' answers, by HTTP status.
    pub upstream_by_status: BTreeMap<u16, u64>,
    /// Requests that got no answer (refused, timed out, cut off).
    pub upstream_failed: u64,
    /// GETs answered from the cache: no request.
    pub cache_hits: u64,
    /// GETs sent to Upgates.
    pub cache_misses: u64,
    /// GETs that shared an identical one in flight: no request of their own.
    pub shared_gets: u64,
    /// The quota Upgates reported last.
    pub rate_limits: Option<RateLimits>,
}

struct Entry {
    response: Stored,
    expires: Instant,
}

#[derive(Default)]
struct Cache {
    entries: HashMap<String, Entry>,
    writes: u64,
}

/// When a GET was sent, as far as the cache is concerned: see [`ShopState::store`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheEpoch(u64);

/// One shop's shared state (per origin: Upgates counts concurrent requests per API access
/// group, which all of a shop's API users share).
pub struct ShopState {
    pub limiter: Arc<Semaphore>,
    /// The cache and the count of writes that made entries stale, under one lock: a GET
    /// stores its answer only if no write happened since it was sent.
    cache: Mutex<Cache>,
    in_flight: Mutex<HashMap<String, Arc<Flight>>>,
    rate_limits: Mutex<Option<RateLimits>>,
    upstream_requests: AtomicU64,
    /// What [`ShopStats`] reports: the answers by status, and where GETs were answered from.
    statuses: Mutex<BTreeMap<u16, u64>>,
    failed_requests: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    shared_gets: AtomicU64,
    order_locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
    /// The component's `wasi:keyvalue` store (`crate::keyvalue`): its counters of failed
    /// e-mail checks, shared by every call on the shop.
    pub counters: Arc<upgates_core::MemoryCounters>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The maps stay consistent even if a holder panicked: recover instead of spreading it.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Default for ShopState {
    fn default() -> Self {
        Self::new()
    }
}

impl ShopState {
    pub fn new() -> Self {
        Self {
            limiter: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            cache: Mutex::new(Cache::default()),
            in_flight: Mutex::new(HashMap::new()),
            rate_limits: Mutex::new(None),
            upstream_requests: AtomicU64::new(0),
            statuses: Mutex::new(BTreeMap::new()),
            failed_requests: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
            shared_gets: AtomicU64::new(0),
            order_locks: Mutex::new(HashMap::new()),
            counters: Arc::new(upgates_core::MemoryCounters::new()),
        }
    }

    /// The lock read-modify-write actions on `order` take turns on. Entries go away with
    /// their last holder.
    pub fn order_lock(&self, order: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = lock(&self.order_locks);
        if let Some(existing) = locks.get(order).and_then(Weak::upgrade) {
            return existing;
        }
        locks.retain(|_, weak| weak.strong_count() > 0);
        let fresh = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(order.to_owned(), Arc::downgrade(&fresh));
        fresh
    }

    /// The process-wide state of the shop identified by `key`.
    pub fn of(key: &str) -> Arc<ShopState> {
        static SHOPS: OnceLock<Mutex<HashMap<String, Arc<ShopState>>>> = OnceLock::new();
        let shops = SHOPS.get_or_init(|| Mutex::new(HashMap::new()));
        lock(shops)
            .entry(key.to_owned())
            .or_insert_with(|| Arc::new(ShopState::new()))
            .clone()
    }

    pub fn cached(&self, url: &str) -> Option<Stored> {
        let mut cache = lock(&self.cache);
        match cache.entries.get(url) {
            Some(entry) if entry.expires > Instant::now() => Some(entry.response.clone()),
            Some(_) => {
                cache.entries.remove(url);
                None
            }
            None => None,
        }
    }

    /// Taken before a GET is sent, and given to [`ShopState::store`] with its answer.
    pub fn epoch(&self) -> CacheEpoch {
        CacheEpoch(lock(&self.cache).writes)
    }

    /// Keeps `response` for `ttl`, unless a write made entries stale since `sent`: the
    /// answer may then predate the write (a GET that was slower than a PUT), and is not kept.
    pub fn store(&self, url: &str, response: &Stored, ttl: Duration, sent: CacheEpoch) {
        if ttl.is_zero() || !(200..300).contains(&response.status) {
            return;
        }
        let mut cache = lock(&self.cache);
        if cache.writes != sent.0 {
            return;
        }
        let now = Instant::now();
        cache.entries.retain(|_, e| e.expires > now);
        cache.entries.insert(
            url.to_owned(),
            Entry {
                response: response.clone(),
                expires: now + ttl,
            },
        );
    }

    /// Drops every cached URL `stale` says is affected by a write, and the GETs of those URLs
    /// still in flight from later callers (who then ask again); GETs in flight now will not
    /// be cached.
    pub fn invalidate(&self, stale: impl Fn(&str) -> bool) {
        {
            let mut cache = lock(&self.cache);
            cache.writes += 1;
            cache.entries.retain(|url, _| !stale(url));
        }
        lock(&self.in_flight).retain(|url, _| !stale(url));
    }

    /// The single-flight cell for `url`: the first caller fetches, the others wait for it.
    pub fn flight(&self, url: &str) -> Arc<Flight> {
        lock(&self.in_flight)
            .entry(url.to_owned())
            .or_default()
            .clone()
    }

    pub fn land(&self, url: &str, cell: &Arc<Flight>) {
        let mut in_flight = lock(&self.in_flight);
        if in_flight.get(url).is_some_and(|c| Arc::ptr_eq(c, cell)) {
            in_flight.remove(url);
        }
    }

    pub fn saw(&self, response: &Stored) {
        self.upstream_requests.fetch_add(1, Ordering::Relaxed);
        *lock(&self.statuses).entry(response.status).or_default() += 1;
        let headers = response
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_bytes()));
        if let Some(limits) = RateLimits::from_headers(headers) {
            *lock(&self.rate_limits) = Some(limits);
        }
    }

    /// A request that got no answer (refused connection, timeout, a body over the cap).
    pub fn saw_failure(&self) {
        self.failed_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// A GET answered from the cache.
    pub fn saw_cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// A GET sent upstream.
    pub fn saw_cache_miss(&self) {
        self.cache_misses.fetch_add(1, Ordering::Relaxed);
    }

    /// A GET that waited for an identical one in flight instead of sending its own.
    pub fn saw_shared_get(&self) {
        self.shared_gets.fetch_add(1, Ordering::Relaxed);
    }

    pub fn stats(&self) -> ShopStats {
        ShopStats {
            upstream_by_status: lock(&self.statuses).clone(),
            upstream_failed: self.failed_requests.load(Ordering::Relaxed),
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
            cache_misses: self.cache_misses.load(Ordering::Relaxed),
            shared_gets: self.shared_gets.load(Ordering::Relaxed),
            rate_limits: self.rate_limits(),
        }
    }

    pub fn rate_limits(&self) -> Option<RateLimits> {
        lock(&self.rate_limits).clone()
    }

    /// Requests that reached Upgates (or the in-process stand-in) from this process.
    pub fn upstream_requests(&self) -> u64 {
        self.upstream_requests.load(Ordering::Relaxed)
    }
}
