//! The CLI's failed e-mail checks in files, counted across processes
//! (cli/src/attempt_files.rs).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use upgates_cli::attempt_files::FileAttempts;
use upgates_core::ShopConfig;
use upgates_host::attempt_store::AttemptStore;

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

use std::path::Path;

fn shop(login: &str) -> ShopConfig {
    ShopConfig::new(
        "https://demo.admin.s1.upgates.com/api/v2",
        login,
        "k",
        "420",
    )
    .unwrap()
}

/// Checks held for `key`: a begin with an unreachable limit tells, then is withdrawn.
fn held(store: &FileAttempts, key: &str, window: Duration) -> usize {
    store.begin_check(key, u32::MAX, window);
    let path = store.path(key);
    let times: Vec<u64> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    store.withdraw_check(key, window);
    times
        .iter()
        .filter(|t| now_secs().saturating_sub(**t) < window.as_secs())
        .count()
        - 1
}

#[test]
fn files_count_per_shop_and_order_across_instances() {
    let dir = tempfile::tempdir().unwrap();
    let hour = Duration::from_secs(3600);
    let first = FileAttempts::new(dir.path(), &shop("bot"));
    assert!(first.begin_check("2025000123", 2, hour));
    assert!(first.begin_check("2025000123", 2, hour));
    // Another process (a new store over the same directory) sees them: the limit is hit.
    let second = FileAttempts::new(dir.path(), &shop("bot"));
    assert!(!second.begin_check("2025000123", 2, hour));
    assert_eq!(held(&second, "2025000123", hour), 2);
    assert_eq!(held(&second, "2025000124", hour), 0);
    // A passed check is withdrawn: one more may begin.
    second.withdraw_check("2025000123", hour);
    assert!(first.begin_check("2025000123", 2, hour));
    // Another API user is another shop.
    assert!(FileAttempts::new(dir.path(), &shop("other")).begin_check("2025000123", 1, hour));
    // Outside the window they no longer count.
    assert!(second.begin_check("2025000123", 1, Duration::ZERO));
    // No order number or login in a file name.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            !name.contains("2025000123") && !name.contains("bot"),
            "{name}"
        );
    }
}

/// `{:?}` of a store (and so of a `ShopConnection` holding one) shows no login.
#[test]
fn debug_shows_no_login() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{:?}", FileAttempts::new(dir.path(), &shop("secret-login")));
    assert!(!text.contains("secret-login"), "{text}");
    assert!(!text.contains("upgates.com"), "{text}");
    assert!(text.contains(&format!("{:?}", dir.path())), "{text}");
}

/// The names stay those written before the login stopped being kept in the clear, so
/// existing files still count.
#[test]
fn file_names_are_unchanged() {
    let store = FileAttempts::new("/state", &shop("bot"));
    let digest =
        Sha256::digest("https://demo.admin.s1.upgates.com/api/v2\nbot\n2025000123".as_bytes());
    let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        store.path("2025000123"),
        Path::new("/state").join(format!("{name}.json"))
    );
    assert_eq!(
        store.path("2025000123"),
        Path::new("/state").join("94d6da65b76c7803118dd15db118312b.json")
    );
}

/// Processes racing on one file: the lock makes the count and the hold one step, so
/// exactly `limit` of them begin.
#[test]
fn concurrent_checks_cannot_pass_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let hour = Duration::from_secs(3600);
    let begun: usize = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let store = FileAttempts::new(dir.path(), &shop("bot"));
                scope.spawn(move || store.begin_check("2025000123", 5, hour))
            })
            .collect();
        threads
            .into_iter()
            .map(|t| usize::from(t.join().unwrap()))
            .sum()
    });
    assert_eq!(begun, 5);
}

/// A file another process keeps locked (stopped, hung) is waited for only so long: the
/// check then goes ahead, like one the store cannot read, instead of hanging the call.
#[test]
fn a_file_locked_for_good_is_given_up_on() {
    let dir = tempfile::tempdir().unwrap();
    let hour = Duration::from_secs(3600);
    let store =
        FileAttempts::new(dir.path(), &shop("bot")).with_lock_wait(Duration::from_millis(100));
    assert!(store.begin_check("2025000123", 1, hour));
    // flock locks belong to the open file: this one is refused like another process.
    let other = std::fs::File::open(store.path("2025000123")).unwrap();
    other.lock().unwrap();
    let started = Instant::now();
    assert!(store.begin_check("2025000123", 1, hour));
    let waited = started.elapsed();
    assert!(waited >= store.lock_wait(), "{waited:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    drop(other);
    // Released, the file counts again: the first check is still held, the limit is 1.
    assert!(!store.begin_check("2025000123", 1, hour));
}

#[test]
fn an_unusable_directory_lets_checks_go_ahead_and_does_not_panic() {
    let file = tempfile::NamedTempFile::new().unwrap();
    // A file where the directory should be.
    let store = FileAttempts::new(file.path().join("sub"), &shop("bot"));
    assert!(store.begin_check("1", 1, Duration::from_secs(60)));
    assert!(store.begin_check("1", 1, Duration::from_secs(60)));
    store.withdraw_check("1", Duration::from_secs(60));
}
