//! A lock file per shop and order, so separate `upgates` processes on one machine take turns
//! on an order's read-modify-write (the API has no compare-and-swap).

use std::fs::{File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use upgates_core::ShopConfig;
use upgates_host::private_files::{Access, PrivateDir};

/// Where the lock files live: `UPGATES_LOCK_DIR` (`false`: the user's choice), else
/// `upgates/locks` in the user's runtime dir, else the cache dir, else the temp dir (`true`:
/// ours, narrowed to owner-only).
fn lock_dir() -> (PathBuf, bool) {
    if let Some(dir) = std::env::var_os("UPGATES_LOCK_DIR") {
        return (PathBuf::from(dir), false);
    }
    let dir = dirs::runtime_dir()
        .or_else(dirs::cache_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("upgates")
        .join("locks");
    (dir, true)
}

/// How often a held lock is tried again: from the first to the longest pause, doubling.
const FIRST_RETRY: Duration = Duration::from_millis(2);
const LONGEST_RETRY: Duration = Duration::from_millis(50);

/// Waits until this process holds the lock for `order` at `shop`, released when the returned
/// file is dropped; `None` when the order number is not valid (the action will refuse it).
/// The wait ends at `deadline` as in [`lock_until`]: the caller was promised an answer within
/// its call timeout.
pub async fn lock_order(
    shop: &ShopConfig,
    order: &str,
    deadline: Instant,
) -> io::Result<Option<File>> {
    let (dir, ours) = lock_dir();
    lock_order_at(&dir, ours, shop, order, deadline).await
}

/// [`lock_order`] with the lock files under `dir` (its mode left as it is).
pub async fn lock_order_in(
    dir: &Path,
    shop: &ShopConfig,
    order: &str,
    deadline: Instant,
) -> io::Result<Option<File>> {
    lock_order_at(dir, false, shop, order, deadline).await
}

async fn lock_order_at(
    dir: &Path,
    narrow: bool,
    shop: &ShopConfig,
    order: &str,
    deadline: Instant,
) -> io::Result<Option<File>> {
    let Some(name) = lock_name(shop, order) else {
        return Ok(None);
    };
    // A planted link or another user's file could be held by them forever, or be theirs to
    // redirect: only our own directory and owner-only files are used.
    let dir = if narrow {
        PrivateDir::open_narrowed(dir)?
    } else {
        PrivateDir::open(dir, true)?
    };
    let file = dir.open_file(&name, Access::ReadWriteCreate)?;
    tokio::task::spawn_blocking(move || lock_until(&file, deadline).map(|()| file))
        .await
        .map_err(io::Error::other)?
        .map(Some)
}

/// The lock file for `order` at `shop` under `dir` (the user's lock directory, or
/// `UPGATES_LOCK_DIR`), for tools and tests that take it from outside; `None` when the order
/// number is not valid.
pub fn lock_path_in(dir: &Path, shop: &ShopConfig, order: &str) -> Option<PathBuf> {
    lock_name(shop, order).map(|name| dir.join(name))
}

fn lock_name(shop: &ShopConfig, order: &str) -> Option<String> {
    let order = upgates_core::input::order_number(order).ok()?;
    // Per shop (its API URL: a shop's API users share its orders), named by a hash, so no
    // login or order number sits in a file name.
    let digest = Sha256::digest(format!("{}\n{order}", shop.api_url).as_bytes());
    Some(format!("{}.lock", crate::hex(&digest[..16])))
}

/// Takes `file`'s exclusive lock. Another process may hold it for as long as it likes (a
/// stopped or hung one, forever), and a blocking `flock` could not be given up: so it is
/// tried again with growing pauses, and at `deadline` the answer is an
/// [`io::ErrorKind::TimedOut`] error, without the lock. Blocks the thread meanwhile.
pub(crate) fn lock_until(file: &File, deadline: Instant) -> io::Result<()> {
    let mut pause = FIRST_RETRY;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(e),
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "another process held the lock file until the deadline",
            ));
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(LONGEST_RETRY);
    }
}
