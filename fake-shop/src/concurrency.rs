//! Upgates answers at most three requests of one API group at once and refuses one more with
//! 429 (API Blueprint, "Souběžné požadavky"). Requests overlap only when they take time, so
//! this applies to [`crate::FakeShop::serve_request`] (the loopback server's path), which keeps
//! each request in flight for the shop's latency; [`crate::FakeShop::handle`] answers at once.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Requests Upgates answers at once (the Exclusive plan can have more, on request).
pub const MAX_CONCURRENT_REQUESTS: usize = 3;

/// The requests in flight now, and the most that ever arrived at once.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    now: AtomicUsize,
    peak: AtomicUsize,
}

/// One request's place among those in flight, given back when dropped (also when the
/// request's future is dropped midway).
pub(crate) struct Slot<'a> {
    flight: &'a InFlight,
    /// It arrived while [`MAX_CONCURRENT_REQUESTS`] others were in flight.
    pub(crate) over_limit: bool,
}

impl InFlight {
    pub(crate) fn enter(&self) -> Slot<'_> {
        let count = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(count, Ordering::SeqCst);
        Slot {
            flight: self,
            over_limit: count > MAX_CONCURRENT_REQUESTS,
        }
    }

    pub(crate) fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.flight.now.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fourth_at_once_is_over_the_limit_and_places_are_given_back() {
        let flight = InFlight::default();
        let first: Vec<_> = (0..3).map(|_| flight.enter()).collect();
        assert!(first.iter().all(|slot| !slot.over_limit));
        assert!(flight.enter().over_limit);
        drop(first);
        assert!(!flight.enter().over_limit, "the places were given back");
        assert_eq!(flight.peak(), 4, "the refused one arrived too");
    }
}
