//! Where the host keeps the component's failed e-mail checks (`upgates:bot/attempts`).
//!
//! A long-running host keeps them in memory, per shop ([`upgates_core::MemoryAttempts`] in
//! the shop's state). The `upgates` CLI lives for one call, so it keeps them in files
//! ([`FileAttempts`]): one per shop and order number, holding the failures' times, locked
//! while read and rewritten, so the limit holds across processes on one machine.

use std::fmt::Debug;
use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use upgates_core::{MemoryAttempts, ShopConfig};

/// Failure counts per key, within a sliding window. Infallible by design: a store that cannot
/// be read counts no failures and says so in the log (failing closed would lock every
/// customer out when a disk fills up).
pub trait AttemptStore: Send + Sync + Debug {
    fn recent_failures(&self, key: &str, window: Duration) -> u32;
    fn record_failure(&self, key: &str, window: Duration);
}

impl AttemptStore for MemoryAttempts {
    fn recent_failures(&self, key: &str, window: Duration) -> u32 {
        self.failures_at(key, window, Instant::now())
    }

    fn record_failure(&self, key: &str, window: Duration) {
        self.record_at(key, window, Instant::now());
    }
}

/// Most failures kept per file (a limit is at most 1000).
const MAX_ENTRIES: usize = 1000;

/// One file per shop and order under `dir`, named by a hash (no order number or login in a
/// file name), holding the JSON list of failure times (Unix seconds).
#[derive(Debug)]
pub struct FileAttempts {
    dir: PathBuf,
    shop: String,
}

impl FileAttempts {
    pub fn new(dir: impl Into<PathBuf>, shop: &ShopConfig) -> Self {
        Self {
            dir: dir.into(),
            shop: format!("{}\n{}", shop.api_url, shop.login),
        }
    }

    /// `upgates/attempts` in the user's state dir (`~/.local/state`), else the local data
    /// dir, else the temp dir.
    pub fn user_default(shop: &ShopConfig) -> Self {
        let dir = dirs::state_dir()
            .or_else(dirs::data_local_dir)
            .unwrap_or_else(std::env::temp_dir)
            .join("upgates")
            .join("attempts");
        Self::new(dir, shop)
    }

    fn path(&self, key: &str) -> PathBuf {
        let digest = Sha256::digest(format!("{}\n{key}", self.shop).as_bytes());
        let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{name}.json"))
    }

    /// Opens and locks the key's file, reads the failures still in the window.
    fn open(&self, key: &str, window: Duration) -> std::io::Result<(File, Vec<u64>)> {
        std::fs::create_dir_all(&self.dir)?;
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(self.path(key))?;
        file.lock()?;
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        let now = now_secs();
        let times: Vec<u64> = serde_json::from_str(&text).unwrap_or_default();
        let recent = times
            .into_iter()
            .filter(|t| now.saturating_sub(*t) < window.as_secs())
            .collect();
        Ok((file, recent))
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl AttemptStore for FileAttempts {
    fn recent_failures(&self, key: &str, window: Duration) -> u32 {
        match self.open(key, window) {
            Ok((_, times)) => u32::try_from(times.len()).unwrap_or(u32::MAX),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the failed e-mail checks; counting none");
                0
            }
        }
    }

    fn record_failure(&self, key: &str, window: Duration) {
        let write = || -> std::io::Result<()> {
            let (mut file, mut times) = self.open(key, window)?;
            if times.len() >= MAX_ENTRIES {
                times.remove(0);
            }
            times.push(now_secs());
            let text = serde_json::to_string(&times).map_err(std::io::Error::other)?;
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            file.write_all(text.as_bytes())
        };
        if let Err(e) = write() {
            tracing::warn!(error = %e, "cannot record a failed e-mail check");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop(login: &str) -> ShopConfig {
        ShopConfig::new(
            "https://demo.admin.s1.upgates.com/api/v2",
            login,
            "k",
            "420",
        )
        .unwrap()
    }

    #[test]
    fn files_count_per_shop_and_order_across_instances() {
        let dir = tempfile::tempdir().unwrap();
        let hour = Duration::from_secs(3600);
        let first = FileAttempts::new(dir.path(), &shop("bot"));
        first.record_failure("2025000123", hour);
        first.record_failure("2025000123", hour);
        // Another process (a new store over the same directory) sees them.
        let second = FileAttempts::new(dir.path(), &shop("bot"));
        assert_eq!(second.recent_failures("2025000123", hour), 2);
        assert_eq!(second.recent_failures("2025000124", hour), 0);
        // Another API user is another shop.
        assert_eq!(
            FileAttempts::new(dir.path(), &shop("other")).recent_failures("2025000123", hour),
            0
        );
        // Outside the window they no longer count.
        assert_eq!(second.recent_failures("2025000123", Duration::ZERO), 0);
        // No order number or login in a file name.
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(
                !name.contains("2025000123") && !name.contains("bot"),
                "{name}"
            );
        }
    }

    #[test]
    fn an_unusable_directory_counts_none_and_does_not_panic() {
        let file = tempfile::NamedTempFile::new().unwrap();
        // A file where the directory should be.
        let store = FileAttempts::new(file.path().join("sub"), &shop("bot"));
        store.record_failure("1", Duration::from_secs(60));
        assert_eq!(store.recent_failures("1", Duration::from_secs(60)), 0);
    }
}
