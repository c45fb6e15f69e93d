//! The `upgates` CLI's failed e-mail checks (`upgates:bot/attempts`): the CLI lives for one
//! call, so it keeps them in files ([`FileAttempts`]), one per shop and order number, holding
//! the failures' times, locked while read and rewritten, so the limit holds across processes
//! on one machine.

use std::fmt::Debug;
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use upgates_core::{ShopConfig, begin_check_in};
use upgates_host::attempt_store::AttemptStore;
use upgates_host::private_files::{Access, PrivateDir, refusal};

/// One file per shop and order under `dir`, named by a hash (no order number or login in a
/// file name), holding the JSON list of the checks' times (Unix seconds). The file is locked
/// from its read to its rewrite, so the check and the hold are one step across processes.
/// A file locked past the wait, or one refused (a link, another user's, writable by others),
/// answers the check `false`: not counted, so not asked; so does any other I/O error (a file
/// where the directory should be) but a full disk, which lets the check go ahead, logged. `Debug` shows the directory only.
pub struct FileAttempts {
    dir: PathBuf,
    /// SHA-256 fed with `"{api_url}\n{login}\n"`: each file's name continues it with the
    /// order number, so the login is not kept in the clear.
    shop: Sha256,
    /// How long a file another process holds locked is waited for (inside the component's
    /// call, which cannot be cut off while the host works for it): then the check answers
    /// `not-verified`.
    lock_wait: Duration,
}

impl Debug for FileAttempts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileAttempts")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl FileAttempts {
    pub fn new(dir: impl Into<PathBuf>, shop: &ShopConfig) -> Self {
        let mut scope = Sha256::new();
        scope.update(shop.api_url.as_bytes());
        scope.update(b"\n");
        scope.update(shop.login.as_bytes());
        scope.update(b"\n");
        Self {
            dir: dir.into(),
            shop: scope,
            lock_wait: Self::LOCK_WAIT,
        }
    }

    /// Another process holds a file only while it reads and rewrites a few bytes; one that
    /// holds it longer is stopped or hung.
    pub const LOCK_WAIT: Duration = Duration::from_secs(2);

    /// Waits at most `wait` for a file another process holds ([`Self::LOCK_WAIT`] by
    /// default): a caller with a short call timeout needs less.
    pub fn with_lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// How long a file another process holds is waited for.
    pub fn lock_wait(&self) -> Duration {
        self.lock_wait
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

    /// `<first 16 bytes of SHA-256("{api_url}\n{login}\n{key}"), hex>.json`.
    pub fn path(&self, key: &str) -> PathBuf {
        self.dir.join(self.file_name(key))
    }

    fn file_name(&self, key: &str) -> String {
        let digest = self.shop.clone().chain_update(key.as_bytes()).finalize();
        format!("{}.json", crate::hex(&digest[..16]))
    }

    /// Opens (with [`Access::ReadWriteCreate`], or an existing one with [`Access::ReadWrite`])
    /// and locks the key's file and reads its times; `update` changes them, and they
    /// are written back, under the same lock, when it answers `true`. The directory is
    /// created (or narrowed to) `0700` and the file `0600`; neither is used when it is a
    /// symbolic link or another user's, nor the file when others can write it ([`PrivateDir`]).
    fn update<R>(
        &self,
        key: &str,
        access: Access,
        update: impl FnOnce(&mut Vec<u64>) -> (R, bool),
    ) -> std::io::Result<R> {
        let dir = PrivateDir::open_narrowed(&self.dir)?;
        let mut file = dir.open_file(&self.file_name(key), access)?;
        crate::file_lock::lock_until(&file, Instant::now() + self.lock_wait)?;
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        // Not ours (or cut off by a full disk): counts as none.
        let mut times: Vec<u64> = serde_json::from_str(&text).unwrap_or_default();
        let (answer, changed) = update(&mut times);
        if changed {
            let text = serde_json::to_string(&times).map_err(std::io::Error::other)?;
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            file.write_all(text.as_bytes())?;
        }
        Ok(answer)
    }
}

fn is_disk_full(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl AttemptStore for FileAttempts {
    fn begin_check(&self, key: &str, limit: u32, window: Duration) -> bool {
        let now = now_secs();
        let begun = self.update(key, Access::ReadWriteCreate, |times| {
            let begun = begin_check_in(times, limit, now, |t| {
                now.saturating_sub(t) < window.as_secs()
            });
            (begun, begun)
        });
        match begun {
            Ok(begun) => begun,
            // Another process holds the file: it may be counting a failure right now, so
            // this check cannot be counted and does not go ahead (`not-verified`).
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                tracing::warn!(
                    "the e-mail checks' file stayed locked by another process; answering \
                     not-verified without asking Upgates"
                );
                false
            }
            // Someone else could have placed it, or rewrite it: the count cannot be trusted.
            Err(e) if refusal(&e).is_some() => {
                tracing::error!(
                    "refusing the e-mail checks' file: {e}; answering not-verified without \
                     asking Upgates"
                );
                false
            }
            // A full disk must not lock every customer out: the one failure that lets the
            // check go ahead.
            Err(e) if is_disk_full(&e) => {
                tracing::warn!(error = %e, "cannot record the e-mail check (disk full); letting this one go ahead");
                true
            }
            // Anything else (a file where the directory should be, no permission) may be
            // another local user's doing: the check does not go ahead.
            Err(e) => {
                tracing::error!(
                    error = %e,
                    "cannot keep the e-mail checks; answering not-verified without asking Upgates"
                );
                false
            }
        }
    }

    /// A key with no file has no check to withdraw: nothing is created for it.
    fn withdraw_check(&self, key: &str, _window: Duration) {
        match self.update(key, Access::ReadWrite, |times| ((), times.pop().is_some())) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(error = %e, "cannot withdraw a passed e-mail check"),
        }
    }
}
