//! The lock file per shop and order that separate `upgates` processes take turns on
//! (cli/src/file_lock.rs).

use std::fs::File;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use upgates_cli::file_lock::lock_order_in;
use upgates_core::ShopConfig;

fn lock_now(dir: &Path, shop: &ShopConfig, order: &str) -> io::Result<Option<File>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(lock_order_in(dir, shop, order, Instant::now()))
}

/// The lock is per shop and order (a shop's API users take turns too) and its file name
/// holds neither the login nor the order number.
#[test]
fn one_lock_per_shop_and_order_named_by_a_hash() {
    let dir = tempfile::tempdir().unwrap();
    let lock_order = |shop: &ShopConfig, order: &str| lock_now(dir.path(), shop, order);
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

/// A lock another process holds is waited for until it is released, but never past the
/// deadline: then `TimedOut`, without the lock.
#[tokio::test]
async fn waits_for_a_held_lock_until_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let shop =
        ShopConfig::new("https://demo.admin.s1.upgates.com/api/v2", "l", "k", "420").unwrap();
    let held = lock_order_in(dir.path(), &shop, "2025000123", Instant::now())
        .await
        .unwrap()
        .unwrap();
    // flock locks belong to the open file, so a second open in this process is refused
    // like another process would be.
    let started = Instant::now();
    let budget = Duration::from_millis(150);
    let refused = lock_order_in(dir.path(), &shop, "2025000123", started + budget).await;
    let waited = started.elapsed();
    assert_eq!(refused.unwrap_err().kind(), io::ErrorKind::TimedOut);
    assert!(waited >= budget, "{waited:?}");
    assert!(waited < budget + Duration::from_secs(1), "{waited:?}");

    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        drop(held);
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let taken = lock_order_in(dir.path(), &shop, "2025000123", deadline).await;
    assert!(taken.unwrap().is_some());
    assert!(Instant::now() < deadline);
    release.join().unwrap();
}

/// Lock files are `0600` in a `0700` directory (its missing parents too); a link planted
/// under a lock file's name is not followed (its target is neither created nor opened) and
/// a directory others can write is not used: the lock cannot be had, an error naming why.
#[cfg(unix)]
#[test]
fn owner_only_files_and_no_links() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &Path| {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    let dir = tempfile::tempdir().unwrap();
    let locks = dir.path().join("upgates").join("locks");
    let shop =
        ShopConfig::new("https://demo.admin.s1.upgates.com/api/v2", "l", "k", "420").unwrap();
    drop(lock_now(&locks, &shop, "2025000123").unwrap().unwrap());
    assert_eq!(mode(&dir.path().join("upgates")), 0o700);
    assert_eq!(mode(&locks), 0o700);
    let path = upgates_cli::file_lock::lock_path_in(&locks, &shop, "2025000123").unwrap();
    assert_eq!(mode(&path), 0o600);

    let not_there = dir.path().join("created-through-the-link");
    let planted = upgates_cli::file_lock::lock_path_in(&locks, &shop, "2025000124").unwrap();
    std::os::unix::fs::symlink(&not_there, &planted).unwrap();
    let refused = lock_now(&locks, &shop, "2025000124").unwrap_err();
    assert_eq!(refused.kind(), io::ErrorKind::PermissionDenied);
    assert!(
        refused.to_string().contains("is a symbolic link"),
        "{refused}"
    );
    assert!(!not_there.exists());
    assert!(std::fs::symlink_metadata(&planted).unwrap().is_symlink());

    std::fs::set_permissions(&locks, std::fs::Permissions::from_mode(0o777)).unwrap();
    let refused = lock_now(&locks, &shop, "2025000123").unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("is writable by its group or by others"),
        "{refused}"
    );
}
