//! Where the host keeps the component's failed e-mail checks (`upgates:bot/attempts`).
//!
//! A long-running host keeps them in memory, per shop ([`upgates_core::MemoryAttempts`] in
//! the shop's state). A host that lives for one call (the `upgates` CLI) keeps them where they
//! outlive it, behind the same [`AttemptStore`] trait.

use std::fmt::Debug;
use std::time::{Duration, Instant};

use upgates_core::MemoryAttempts;

/// Checks per key within a sliding window ([`upgates_core::AttemptLog`]'s rule, held and
/// counted in one step). Infallible by design: a store that is full may let the check go ahead
/// and say so in the log (failing closed would lock every customer out when a disk fills up);
/// one that cannot be trusted (held by another process, not the user's own, unreadable)
/// answers `false` instead, as the CLI's files do.
pub trait AttemptStore: Send + Sync + Debug {
    /// When fewer than `limit` checks for `key` are held within `window`, holds one more and
    /// answers `true`; otherwise `false`.
    fn begin_check(&self, key: &str, limit: u32, window: Duration) -> bool;
    /// Drops the newest check held for `key` (it passed).
    fn withdraw_check(&self, key: &str, window: Duration);
}

impl AttemptStore for MemoryAttempts {
    fn begin_check(&self, key: &str, limit: u32, window: Duration) -> bool {
        self.begin_at(key, limit, window, Instant::now())
    }

    fn withdraw_check(&self, key: &str, _window: Duration) {
        self.withdraw(key);
    }
}
