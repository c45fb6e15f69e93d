//! A lock file per shop and order, so separate `upgates` processes on one machine take turns
//! on an order's read-modify-write (the API has no compare-and-swap).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
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

/// Blocks until this process holds the lock for `order` at `shop`; released when the returned
/// file is dropped. `None` when the order number is not valid (the action will refuse it).
pub fn lock_order(shop: &ShopConfig, order: &str) -> io::Result<Option<File>> {
    lock_order_in(&lock_dir(), shop, order)
}

fn lock_order_in(dir: &Path, shop: &ShopConfig, order: &str) -> io::Result<Option<File>> {
    let Ok(order) = upgates_core::input::order_number(order) else {
        return Ok(None);
    };
    // Per shop (its API URL: a shop's API users share its orders), named by a hash, so no
    // login or order number sits in a file name.
    let digest = Sha256::digest(format!("{}\n{order}", shop.api_url).as_bytes());
    let name = format!("{}.lock", crate::hex(&digest[..16]));
    std::fs::create_dir_all(dir)?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(name))?;
    file.lock()?;
    Ok(Some(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lock is per shop and order (a shop's API users take turns too) and its file name
    /// holds neither the login nor the order number.
    #[test]
    fn one_lock_per_shop_and_order_named_by_a_hash() {
        let dir = tempfile::tempdir().unwrap();
        let lock_order = |shop: &ShopConfig, order: &str| lock_order_in(dir.path(), shop, order);
        let url = "https://demo.admin.s1.upgates.com/api/v2";
        let bot = ShopConfig::new(url, "secret-bot", "k", "420").unwrap();
        let other = ShopConfig::new(url, "other-user", "k2", "420").unwrap();
        let held = lock_order(&bot, "2025000123").unwrap().unwrap();
        drop(held);
        lock_order(&other, "2025000123").unwrap().unwrap();
        lock_order(&bot, "2025000124").unwrap().unwrap();
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        for name in names {
            assert!(
                !name.contains("secret") && !name.contains("2025000"),
                "{name}"
            );
        }
        assert!(lock_order(&bot, "1/../x").unwrap().is_none());
    }
}
