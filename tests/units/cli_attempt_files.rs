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

/// A file another process keeps locked (stopped, hung, or counting a failure right now) is
/// waited for only so long: the check then answers `false` (`not-verified`, Upgates not
/// asked) and is not counted; released, the file counts again.
#[test]
fn a_file_locked_for_good_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    let hour = Duration::from_secs(3600);
    let store =
        FileAttempts::new(dir.path(), &shop("bot")).with_lock_wait(Duration::from_millis(100));
    assert!(store.begin_check("2025000123", 2, hour));
    // Another holder of the flock (it belongs to the open file), opened read-only, from a
    // thread of its own that keeps it until told to let go.
    let path = store.path("2025000123");
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let other = std::fs::File::open(path).unwrap();
        other.lock().unwrap();
        locked_tx.send(()).unwrap();
        let _ = release_rx.recv();
    });
    locked_rx.recv().unwrap();
    let started = Instant::now();
    for _ in 0..3 {
        assert!(!store.begin_check("2025000123", 2, hour));
    }
    let waited = started.elapsed();
    assert!(waited >= store.lock_wait() * 3, "{waited:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    release_tx.send(()).unwrap();
    holder.join().unwrap();
    // The refused checks held nothing: one more fits under the limit of 2, then none.
    assert_eq!(held(&store, "2025000123", hour), 1);
    assert!(store.begin_check("2025000123", 2, hour));
    assert!(!store.begin_check("2025000123", 2, hour));
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// New directories are `0700` (the missing parents too), new files `0600`, whatever the
/// umask lets through; an existing file (or `attempts` directory) of ours that others may
/// read is narrowed to `0600` (`0700`).
#[cfg(unix)]
#[test]
fn directories_and_files_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let store = FileAttempts::new(state.join("attempts"), &shop("bot"));
    assert!(store.begin_check("2025000123", 5, Duration::from_secs(60)));
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&state.join("attempts")), 0o700);
    let path = store.path("2025000123");
    assert_eq!(mode(&path), 0o600);
    set_mode(&path, 0o644);
    set_mode(&state.join("attempts"), 0o755);
    assert!(store.begin_check("2025000123", 5, Duration::from_secs(60)));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&state.join("attempts")), 0o700);
    assert_eq!(held(&store, "2025000123", Duration::from_secs(60)), 2);
}

/// A link planted under an attempt file's name is neither followed nor replaced: its target
/// keeps its bytes, and the check answers `false` (not counted, Upgates not asked), as
/// does a withdraw leave it alone.
#[cfg(unix)]
#[test]
fn a_planted_symbolic_link_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileAttempts::new(dir.path().join("attempts"), &shop("bot"));
    std::fs::create_dir(dir.path().join("attempts")).unwrap();
    let target = dir.path().join("precious.txt");
    std::fs::write(&target, "someone's data\n").unwrap();
    let planted = store.path("2025000123");
    std::os::unix::fs::symlink(&target, &planted).unwrap();
    // A dangling one, pointing where a file would be created.
    let not_there = dir.path().join("created-through-the-link");
    std::os::unix::fs::symlink(&not_there, store.path("2025000124")).unwrap();

    let hour = Duration::from_secs(3600);
    assert!(!store.begin_check("2025000123", 5, hour));
    store.withdraw_check("2025000123", hour);
    assert!(!store.begin_check("2025000124", 5, hour));
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "someone's data\n"
    );
    assert!(std::fs::symlink_metadata(&planted).unwrap().is_symlink());
    assert!(!not_there.exists());
}

/// Another user's directory, or another user's file (made with `chown` when the tests run
/// as root): the count cannot be trusted, so the check answers `false` and nothing is
/// written. Our own directory that others could write is narrowed (our files too: below).
#[cfg(unix)]
#[test]
fn a_directory_or_file_others_can_change_fails_closed() {
    let hour = Duration::from_secs(3600);
    let dir = tempfile::tempdir().unwrap();
    let open_dir = dir.path().join("open");
    std::fs::create_dir(&open_dir).unwrap();
    set_mode(&open_dir, 0o777);
    let store = FileAttempts::new(&open_dir, &shop("bot"));
    if upgates_host::private_files::effective_uid() == 0 {
        // Another user's directory, writable by all.
        std::os::unix::fs::chown(&open_dir, Some(4242), None).unwrap();
        assert!(!store.begin_check("2025000123", 5, hour));
        assert!(!store.path("2025000123").exists());
        std::os::unix::fs::chown(&open_dir, Some(0), None).unwrap();
    }
    // Ours, writable by all: what others put in it is refused file by file (the file
    // cases below), and the directory is narrowed to `0700` so nothing more can be.
    assert!(store.begin_check("2025000123", 5, hour));
    assert_eq!(mode(&open_dir), 0o700);

    let store = FileAttempts::new(dir.path().join("ours"), &shop("bot"));
    assert!(store.begin_check("2025000123", 5, hour));
    let path = store.path("2025000123");
    if upgates_host::private_files::effective_uid() == 0 {
        std::os::unix::fs::chown(&path, Some(4242), None).unwrap();
        assert!(!store.begin_check("2025000123", 5, hour));
        std::os::unix::fs::chown(&path, Some(0), None).unwrap();
    }
    // Its own again: the one check held so far.
    assert_eq!(held(&store, "2025000123", hour), 1);
}

/// Our own files that a umask of `002` left group-writable (`0664`), or open to all
/// (`0666`), in our `attempts` directory: narrowed to `0600` on their handle and used, so
/// their orders can be checked again and their counts hold.
#[cfg(unix)]
#[test]
fn our_own_group_writable_files_are_narrowed_not_refused() {
    let hour = Duration::from_secs(3600);
    let dir = tempfile::tempdir().unwrap();
    let attempts = dir.path().join("attempts");
    let store = FileAttempts::new(&attempts, &shop("bot"));
    for (order, loose) in [("2025000123", 0o664), ("2025000124", 0o666)] {
        assert!(store.begin_check(order, 2, hour));
        let path = store.path(order);
        set_mode(&path, loose);
        set_mode(&attempts, 0o775);
        // The second of two: counted in the file it kept.
        assert!(store.begin_check(order, 2, hour), "{loose:o}");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&attempts), 0o700);
        assert!(!store.begin_check(order, 2, hour));
        set_mode(&path, loose);
        assert_eq!(held(&store, order, hour), 2);
        assert_eq!(mode(&path), 0o600);
    }
}

/// A withdraw of a key that has no file (nothing began for it) creates none: a component
/// that withdraws keys it never began cannot fill the state directory.
#[test]
fn withdrawing_an_unknown_key_creates_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileAttempts::new(dir.path().join("attempts"), &shop("bot"));
    let hour = Duration::from_secs(3600);
    for order in ["2025000123", "2025000124", "x"] {
        store.withdraw_check(order, hour);
        assert!(!store.path(order).exists(), "{order}");
    }
    // A key that began is still withdrawn.
    assert!(store.begin_check("2025000123", 1, hour));
    store.withdraw_check("2025000123", hour);
    assert!(store.begin_check("2025000123", 1, hour));
}

#[test]
fn an_unusable_directory_fails_closed_and_does_not_panic() {
    // A file where the directory should be: what another local user can plant where the
    // state dir falls back to the temp dir.
    let file = tempfile::NamedTempFile::new().unwrap();
    for dir in [file.path().to_path_buf(), file.path().join("sub")] {
        let store = FileAttempts::new(dir, &shop("bot"));
        assert!(!store.begin_check("1", 5, Duration::from_secs(60)));
        store.withdraw_check("1", Duration::from_secs(60));
    }
}
