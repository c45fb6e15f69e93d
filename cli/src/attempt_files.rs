//! The `upgates` CLI's `wasi:keyvalue` store, where the component counts failed e-mail checks:
//! the CLI lives for one call, so it keeps the counters in files ([`FileCounters`]), one per
//! shop and key, each read and rewritten under its lock, so an increment is atomic across
//! processes on one machine and the limit holds across runs.

use std::fmt::Debug;
use std::io::{Read as _, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use upgates_core::ShopConfig;
use upgates_host::keyvalue::{KeyValueStore, StoreError};
use upgates_host::private_files::{Access, PrivateDir, refusal};

/// One file per shop (its API URL, as the other stores scope it: all API users of a shop
/// share its limit) and key under `dir`, named by a hash (no order number in a file name),
/// holding the counter in 20 decimal digits, rewritten in place (see [`write_counter`]). The
/// file is locked from its read to its rewrite. A file locked past the wait, one refused (a link, another user's, writable by
/// others), one that holds no counter, or any other I/O error (a file where the directory
/// should be, a full disk) answers an error: the component then refuses the check as
/// `misconfigured`, without asking Upgates. `Debug` shows the directory only.
pub struct FileCounters {
    dir: PathBuf,
    /// SHA-256 fed with `"{api_url}\n"`: each file's name continues it with the key.
    shop: Sha256,
    /// How long files another process holds locked are waited for, all of this store's
    /// waits together (inside the component's call, which cannot be cut off while the host
    /// works for it): once it is spent, a locked file is refused at once.
    lock_wait_left: Mutex<Duration>,
}

impl Debug for FileCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileCounters")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl FileCounters {
    pub fn new(dir: impl Into<PathBuf>, shop: &ShopConfig) -> Self {
        let mut scope = Sha256::new();
        scope.update(shop.api_url.as_bytes());
        scope.update(b"\n");
        Self {
            dir: dir.into(),
            shop: scope,
            lock_wait_left: Mutex::new(Self::LOCK_WAIT),
        }
    }

    /// Another process holds a file only while it reads and rewrites a few bytes; one that
    /// holds it longer is stopped or hung.
    pub const LOCK_WAIT: Duration = Duration::from_secs(2);

    /// Waits at most `wait` in all for files another process holds ([`Self::LOCK_WAIT`] by
    /// default): a caller with a short call timeout needs less. The CLI makes one store per
    /// run, which is one call.
    pub fn with_lock_wait(self, wait: Duration) -> Self {
        *self.wait_left() = wait;
        self
    }

    /// How much of the wait for files another process holds is left.
    pub fn lock_wait_left(&self) -> Duration {
        *self.wait_left()
    }

    fn wait_left(&self) -> std::sync::MutexGuard<'_, Duration> {
        self.lock_wait_left
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Locks `file`, waiting at most what is left of the wait, and takes the time waited
    /// from it.
    fn lock(&self, file: &std::fs::File) -> std::io::Result<()> {
        let mut left = self.wait_left();
        let started = Instant::now();
        let locked = crate::file_lock::lock_until(file, started + *left);
        *left = match locked {
            Ok(()) => left.saturating_sub(started.elapsed()),
            Err(_) => Duration::ZERO,
        };
        locked
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

    /// `<first 16 bytes of SHA-256("{api_url}\n{key}"), hex>.count`.
    pub fn path(&self, key: &str) -> PathBuf {
        self.dir.join(self.file_name(key))
    }

    fn file_name(&self, key: &str) -> String {
        let digest = self.shop.clone().chain_update(key.as_bytes()).finalize();
        format!("{}.count", crate::hex(&digest[..16]))
    }

    /// Opens (with `access`) and locks the key's file and reads its counter (none in a file
    /// just created); `update` answers and may give a new value, which is written back under
    /// the same lock. The directory is created (or narrowed to) `0700` and the file `0600`;
    /// neither is used when it is a symbolic link or another user's, nor the file when others
    /// can write it ([`PrivateDir`]).
    fn update<R>(
        &self,
        key: &str,
        access: Access,
        update: impl FnOnce(Option<u64>) -> std::io::Result<(R, Option<u64>)>,
    ) -> std::io::Result<R> {
        let dir = PrivateDir::open_narrowed(&self.dir)?;
        let mut file = dir.open_file(&self.file_name(key), access)?;
        self.lock(&file)?;
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        let current = match text.trim() {
            "" => None,
            // Not a counter of ours (or cut off by a full disk): not to be trusted as a count.
            number => Some(number.parse().map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, "not a counter")
            })?),
        };
        let (answer, new) = update(current)?;
        if let Some(value) = new {
            write_counter(&mut file, value)?;
        }
        Ok(answer)
    }
}

/// Writes `value` over the counter at the start of `file` in 20 digits (zero-padded), so the
/// file is never truncated: a write cut off (a full disk, a crash) leaves the new value's
/// first digits over the old one's last, which, as counters only grow, is never below the
/// old value.
pub fn write_counter(file: &mut (impl Write + Seek), value: u64) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(0))?;
    file.write_all(format!("{value:020}").as_bytes())
}

/// The file's failure as the component gets it (a full disk, a file held or refused: an
/// error, which the component answers as `misconfigured`), logged here with what the guest
/// must not see.
pub fn failed(error: std::io::Error) -> StoreError {
    if error.kind() == std::io::ErrorKind::TimedOut {
        // Another process holds the file: it may be counting a failure right now, so this
        // check cannot be counted and does not go ahead.
        tracing::warn!(
            "an e-mail checks' file stayed locked by another process; refusing the check \
             without asking Upgates"
        );
        return StoreError::Other("the counter is locked by another process".into());
    }
    if refusal(&error).is_some() {
        // Someone else could have placed it, or rewrite it: the count cannot be trusted.
        tracing::error!(
            "refusing an e-mail checks' file: {error}; refusing the check without asking Upgates"
        );
        return StoreError::AccessDenied;
    }
    // Anything else (a file where the directory should be, no permission, a full disk) may
    // be another local user's doing: the check does not go ahead.
    tracing::error!(
        error = %error,
        "cannot keep the e-mail checks; refusing the check without asking Upgates"
    );
    StoreError::Other("the counter's file cannot be used".into())
}

impl KeyValueStore for FileCounters {
    /// A key with no file has no counter: nothing is created for it.
    fn get(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match self.update(key, Access::Read, |current| Ok((current, None))) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            other => other.map_err(failed),
        }
    }

    fn set(&self, key: &str, value: u64) -> Result<(), StoreError> {
        self.update(key, Access::ReadWriteCreate, |_| Ok(((), Some(value))))
            .map_err(failed)
    }

    /// Removes the key's file (a link itself, never its target).
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        let removed =
            PrivateDir::open_narrowed(&self.dir).and_then(|dir| dir.remove(&self.file_name(key)));
        match removed {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other.map_err(failed),
        }
    }

    fn increment(&self, key: &str, delta: u64) -> Result<u64, StoreError> {
        self.update(key, Access::ReadWriteCreate, |current| {
            let value = current.unwrap_or(0).checked_add(delta).ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the counter would overflow",
                )
            })?;
            Ok((value, Some(value)))
        })
        .map_err(failed)
    }
}
