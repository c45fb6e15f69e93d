//! A lock file per shop and order, so separate `upgates` processes on one machine take turns
//! on an order's read-modify-write (the API has no compare-and-swap).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::PathBuf;

use upgates_core::ShopConfig;

/// Where the lock files live: `UPGATES_LOCK_DIR`, else the user's runtime dir, else the cache
/// dir, else the temp dir.
fn lock_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("UPGATES_LOCK_DIR") {
        return PathBuf::from(dir);
    }
    dirs::runtime_dir()
        .or_else(dirs::cache_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("upgates")
        .join("locks")
}

/// Keeps only characters that are safe in a file name.
fn file_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Blocks until this process holds the lock for `order` at `shop`; released when the returned
/// file is dropped. `None` when the order number is not valid (the action will refuse it).
pub fn lock_order(shop: &ShopConfig, order: &str) -> io::Result<Option<File>> {
    let Ok(order) = upgates_core::input::order_number(order) else {
        return Ok(None);
    };
    let host = shop.api_url.split("://").nth(1).unwrap_or_default();
    let name = format!(
        "{}_{}_{}.lock",
        file_part(host),
        file_part(&shop.login),
        file_part(&order)
    );
    let dir = lock_dir();
    std::fs::create_dir_all(&dir)?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(name))?;
    file.lock()?;
    Ok(Some(file))
}
