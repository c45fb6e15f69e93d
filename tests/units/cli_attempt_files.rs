//! The CLI's `wasi:keyvalue` store in files, counted across processes
//! (cli/src/attempt_files.rs), and core's e-mail check rule over it.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use upgates_cli::attempt_files::{FileCounters, failed, write_counter};
use upgates_core::{CounterStore, Failure, ShopConfig, WindowedAttempts};
use upgates_host::keyvalue::{KeyValueStore, StoreError};

fn shop(login: &str) -> ShopConfig {
    ShopConfig::new(
        "https://demo.admin.s1.upgates.com/api/v2",
        login,
        "k",
        "420",
    )
    .unwrap()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

const HOUR: Duration = Duration::from_secs(3600);

/// The files as core's rule sees a store, as the component does through the host.
struct Counters<'a>(&'a FileCounters);

impl CounterStore for Counters<'_> {
    fn increment(&self, key: &str, delta: u64) -> Result<u64, Failure> {
        self.0.increment(key, delta).map_err(refused)
    }

    fn read(&self, key: &str) -> Result<Option<u64>, Failure> {
        self.0.get(key).map_err(refused)
    }

    fn delete(&self, key: &str) -> Result<(), Failure> {
        self.0.delete(key).map_err(refused)
    }
}

fn refused(error: StoreError) -> Failure {
    Failure::Misconfigured(format!("{error:?}"))
}

/// The rule over `store` for the test shop, at `now`.
fn begin(store: &FileCounters, order: &str, limit: u32) -> Result<bool, Failure> {
    WindowedAttempts::for_shop(&shop("bot"), Counters(store)).begin_at(
        order,
        limit,
        HOUR,
        now_secs(),
    )
}

#[test]
fn counters_are_kept_per_shop_and_key_across_instances() {
    let dir = tempfile::tempdir().unwrap();
    let first = FileCounters::new(dir.path(), &shop("bot"));
    assert_eq!(first.get("a"), Ok(None));
    assert_eq!(first.increment("a", 1), Ok(1));
    assert_eq!(first.increment("a", 2), Ok(3));
    // Another process (a new store over the same directory) sees them.
    let second = FileCounters::new(dir.path(), &shop("bot"));
    assert_eq!(second.get("a"), Ok(Some(3)));
    assert_eq!(second.get("b"), Ok(None));
    assert_eq!(second.set("b", 7), Ok(()));
    assert_eq!(first.get("b"), Ok(Some(7)));
    assert_eq!(second.delete("a"), Ok(()));
    assert_eq!(first.get("a"), Ok(None));
    assert_eq!(
        first.delete("a"),
        Ok(()),
        "deleting a missing key is nothing"
    );
    // Another API user of the shop shares its counters (its limit); another shop does not.
    assert_eq!(
        FileCounters::new(dir.path(), &shop("other")).get("b"),
        Ok(Some(7))
    );
    let elsewhere = ShopConfig::new(
        "https://other.admin.s1.upgates.com/api/v2",
        "bot",
        "k",
        "420",
    )
    .unwrap();
    assert_eq!(FileCounters::new(dir.path(), &elsewhere).get("b"), Ok(None));
    assert_eq!(
        first.increment("b", u64::MAX).ok(),
        None,
        "an overflow is an error"
    );
    // No key or login in a file name: a hash.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let hash = name.strip_suffix(".count").unwrap_or_default();
        assert!(
            hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
            "{name}"
        );
    }
}

/// Core's rule over the files: the limit holds across instances (processes), a passed check
/// is given back.
#[test]
fn the_limit_holds_across_instances() {
    let dir = tempfile::tempdir().unwrap();
    let first = FileCounters::new(dir.path(), &shop("bot"));
    let log = WindowedAttempts::for_shop(&shop("bot"), Counters(&first));
    let now = now_secs();
    assert_eq!(log.begin_at("2025000123", 2, HOUR, now), Ok(true));
    assert_eq!(log.begin_at("2025000123", 2, HOUR, now), Ok(true));
    let second = FileCounters::new(dir.path(), &shop("bot"));
    assert_eq!(begin(&second, "2025000123", 2), Ok(false));
    assert_eq!(begin(&second, "2025000124", 2), Ok(true));
    // One passed: one more may begin.
    assert_eq!(log.withdraw("2025000123"), Ok(()));
    assert_eq!(begin(&second, "2025000123", 2), Ok(true));
    assert_eq!(begin(&second, "2025000123", 2), Ok(false));
    // The files hold no order number.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(!name.contains("2025000123"), "{name}");
    }
}

/// `{:?}` of a store (and so of a `ShopConnection` holding one) shows no login.
#[test]
fn debug_shows_no_login() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{:?}", FileCounters::new(dir.path(), &shop("secret-login")));
    assert!(!text.contains("secret-login"), "{text}");
    assert!(!text.contains("upgates.com"), "{text}");
    assert!(text.contains(&format!("{:?}", dir.path())), "{text}");
}

/// A file's name is a hash of the shop's API URL and the key: no order number in the clear.
#[test]
fn file_names_hash_the_shop_and_the_key() {
    let store = FileCounters::new("/state", &shop("bot"));
    let digest = Sha256::digest("https://demo.admin.s1.upgates.com/api/v2\nk1".as_bytes());
    let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        store.path("k1"),
        Path::new("/state").join(format!("{name}.count"))
    );
}

/// Processes racing on one counter: the lock makes each increment one step, so every one
/// gets a number of its own, and core's rule lets exactly `limit` of 16 checks begin.
#[test]
fn concurrent_checks_cannot_pass_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut numbers: Vec<u64> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let store = FileCounters::new(dir.path(), &shop("bot"));
                scope.spawn(move || store.increment("n", 1).unwrap())
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=16).collect::<Vec<u64>>());

    let begun: usize = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let store = FileCounters::new(dir.path(), &shop("bot"));
                scope.spawn(move || begin(&store, "2025000123", 5))
            })
            .collect();
        threads
            .into_iter()
            .map(|t| usize::from(t.join().unwrap().unwrap()))
            .sum()
    });
    assert_eq!(begun, 5);
}

/// A file another process keeps locked (stopped, hung, or counting a failure right now) is
/// waited for only so long: the store then answers an error (the check is refused, Upgates
/// not asked) and nothing is counted; released, the file counts again.
#[test]
fn a_file_locked_for_good_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        FileCounters::new(dir.path(), &shop("bot")).with_lock_wait(Duration::from_millis(100));
    assert_eq!(store.increment("n", 1), Ok(1));
    // Another holder of the flock (it belongs to the open file), opened read-only, from a
    // thread of its own that keeps it until told to let go.
    let path = store.path("n");
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let other = std::fs::File::open(path).unwrap();
        other.lock().unwrap();
        locked_tx.send(()).unwrap();
        let _ = release_rx.recv();
    });
    locked_rx.recv().unwrap();
    let locked = StoreError::Other("the counter is locked by another process".into());
    assert_eq!(store.increment("n", 1), Err(locked.clone()));
    // The first wait spent the store's whole wait (one call's): the other operations of the
    // call (the give-back of a refused check) do not wait again.
    assert_eq!(store.lock_wait_left(), Duration::ZERO);
    for _ in 0..3 {
        assert_eq!(store.increment("n", 1), Err(locked.clone()));
    }
    assert_eq!(store.get("n"), Err(locked));
    release_tx.send(()).unwrap();
    holder.join().unwrap();
    // The refused increments counted nothing; a file no one holds needs no wait.
    assert_eq!(store.get("n"), Ok(Some(1)));
    assert_eq!(store.increment("n", 1), Ok(2));
}

/// A write cut off (a full disk, a crash) never leaves a counter below its old value: the
/// file is not truncated, and the new value's first digits land over the old one's.
#[test]
fn a_write_cut_off_never_lowers_a_counter() {
    /// A file that takes `room` bytes, then fails as a full disk does.
    struct Full {
        file: std::io::Cursor<Vec<u8>>,
        room: usize,
    }
    impl std::io::Write for Full {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(std::io::ErrorKind::StorageFull.into());
            }
            let taken = bytes.len().min(self.room);
            self.room -= taken;
            self.file.write(&bytes[..taken])
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl std::io::Seek for Full {
        fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
            self.file.seek(to)
        }
    }
    for (old, new) in [(9, 10), (1, 2), (99, 100), (4_999, 5_000)] {
        for room in 0..20 {
            let mut written = std::io::Cursor::new(Vec::new());
            write_counter(&mut written, old).unwrap();
            let mut full = Full {
                file: written,
                room,
            };
            let error = write_counter(&mut full, new).unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::StorageFull);
            let text = String::from_utf8(full.file.into_inner()).unwrap();
            let left: u64 = text.parse().unwrap();
            assert!(left >= old, "{old} -> {new}, {room} bytes: {text}");
        }
    }
    let mut written = std::io::Cursor::new(Vec::new());
    write_counter(&mut written, 7).unwrap();
    assert_eq!(written.into_inner(), b"00000000000000000007");
}

/// A full disk is no reason to let a check go ahead uncounted: an error, which the component
/// answers as `misconfigured` without asking Upgates.
#[test]
fn a_full_disk_fails_closed() {
    assert_eq!(
        failed(std::io::ErrorKind::StorageFull.into()),
        StoreError::Other("the counter's file cannot be used".into())
    );
    assert_eq!(
        failed(std::io::ErrorKind::QuotaExceeded.into()),
        StoreError::Other("the counter's file cannot be used".into())
    );
}

/// A file that holds no counter (not ours, or cut off) is not read as 0: an error.
#[test]
fn a_file_that_holds_no_counter_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileCounters::new(dir.path(), &shop("bot"));
    assert_eq!(store.increment("n", 1), Ok(1));
    std::fs::write(store.path("n"), "[1764000000]").unwrap();
    assert!(matches!(store.increment("n", 1), Err(StoreError::Other(_))));
    assert!(matches!(store.get("n"), Err(StoreError::Other(_))));
    assert_eq!(
        std::fs::read_to_string(store.path("n")).unwrap(),
        "[1764000000]"
    );
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
    let store = FileCounters::new(state.join("attempts"), &shop("bot"));
    assert_eq!(store.increment("n", 1), Ok(1));
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&state.join("attempts")), 0o700);
    let path = store.path("n");
    assert_eq!(mode(&path), 0o600);
    set_mode(&path, 0o644);
    set_mode(&state.join("attempts"), 0o755);
    assert_eq!(store.increment("n", 1), Ok(2));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&state.join("attempts")), 0o700);
}

/// A link planted under a counter file's name is neither followed nor replaced: its target
/// keeps its bytes, and the store answers `access-denied` (the check refused, Upgates not
/// asked); a delete removes the link itself, never its target.
#[cfg(unix)]
#[test]
fn a_planted_symbolic_link_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileCounters::new(dir.path().join("attempts"), &shop("bot"));
    std::fs::create_dir(dir.path().join("attempts")).unwrap();
    let target = dir.path().join("precious.txt");
    std::fs::write(&target, "someone's data\n").unwrap();
    let planted = store.path("a");
    std::os::unix::fs::symlink(&target, &planted).unwrap();
    // A dangling one, pointing where a file would be created.
    let not_there = dir.path().join("created-through-the-link");
    std::os::unix::fs::symlink(&not_there, store.path("b")).unwrap();

    assert_eq!(store.increment("a", 1), Err(StoreError::AccessDenied));
    assert_eq!(store.get("a"), Err(StoreError::AccessDenied));
    assert_eq!(store.set("b", 1), Err(StoreError::AccessDenied));
    assert_eq!(store.increment("b", 1), Err(StoreError::AccessDenied));
    assert_eq!(
        begin(&store, "2025000123", 5).ok(),
        Some(true),
        "other keys work"
    );
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "someone's data\n"
    );
    assert!(std::fs::symlink_metadata(&planted).unwrap().is_symlink());
    assert!(!not_there.exists());
    assert_eq!(store.delete("a"), Ok(()));
    assert!(std::fs::symlink_metadata(&planted).is_err());
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "someone's data\n"
    );
}

/// Another user's directory, or another user's file (made with `chown` when the tests run
/// as root): the count cannot be trusted, so the store answers `access-denied` and nothing
/// is written. Our own directory that others could write is narrowed (our files too: below).
#[cfg(unix)]
#[test]
fn a_directory_or_file_others_can_change_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    let open_dir = dir.path().join("open");
    std::fs::create_dir(&open_dir).unwrap();
    set_mode(&open_dir, 0o777);
    let store = FileCounters::new(&open_dir, &shop("bot"));
    if upgates_host::private_files::effective_uid() == 0 {
        // Another user's directory, writable by all.
        std::os::unix::fs::chown(&open_dir, Some(4242), None).unwrap();
        assert_eq!(store.increment("n", 1), Err(StoreError::AccessDenied));
        assert!(!store.path("n").exists());
        std::os::unix::fs::chown(&open_dir, Some(0), None).unwrap();
    }
    // Ours, writable by all: what others put in it is refused file by file (the file
    // cases below), and the directory is narrowed to `0700` so nothing more can be.
    assert_eq!(store.increment("n", 1), Ok(1));
    assert_eq!(mode(&open_dir), 0o700);

    let store = FileCounters::new(dir.path().join("ours"), &shop("bot"));
    assert_eq!(store.increment("n", 1), Ok(1));
    let path = store.path("n");
    if upgates_host::private_files::effective_uid() == 0 {
        std::os::unix::fs::chown(&path, Some(4242), None).unwrap();
        assert_eq!(store.increment("n", 1), Err(StoreError::AccessDenied));
        assert_eq!(store.get("n"), Err(StoreError::AccessDenied));
        std::os::unix::fs::chown(&path, Some(0), None).unwrap();
    }
    // Its own again: the one increment so far.
    assert_eq!(store.get("n"), Ok(Some(1)));
}

/// Our own files that a umask of `002` left group-writable (`0664`), or open to all
/// (`0666`), in our `attempts` directory: narrowed to `0600` on their handle and used, so
/// their orders can be checked again and their counts hold.
#[cfg(unix)]
#[test]
fn our_own_group_writable_files_are_narrowed_not_refused() {
    let dir = tempfile::tempdir().unwrap();
    let attempts = dir.path().join("attempts");
    let store = FileCounters::new(&attempts, &shop("bot"));
    for (key, loose) in [("a", 0o664), ("b", 0o666)] {
        assert_eq!(store.increment(key, 1), Ok(1));
        let path = store.path(key);
        set_mode(&path, loose);
        set_mode(&attempts, 0o775);
        assert_eq!(store.increment(key, 1), Ok(2), "{loose:o}");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&attempts), 0o700);
        set_mode(&path, loose);
        assert_eq!(store.get(key), Ok(Some(2)));
        assert_eq!(mode(&path), 0o600);
    }
}

/// Reading or deleting a key that has no file creates none: a component that reads keys it
/// never wrote cannot fill the state directory.
#[test]
fn reading_an_unknown_key_creates_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileCounters::new(dir.path().join("attempts"), &shop("bot"));
    for key in ["a", "b", "x"] {
        assert_eq!(store.get(key), Ok(None));
        assert_eq!(store.delete(key), Ok(()));
        assert!(!store.path(key).exists(), "{key}");
    }
}

#[test]
fn an_unusable_directory_fails_closed_and_does_not_panic() {
    // A file where the directory should be: what another local user can plant where the
    // state dir falls back to the temp dir.
    let file = tempfile::NamedTempFile::new().unwrap();
    for dir in [file.path().to_path_buf(), file.path().join("sub")] {
        let store = FileCounters::new(dir, &shop("bot"));
        assert!(store.increment("1", 1).is_err());
        assert!(store.get("1").is_err());
        assert!(store.set("1", 1).is_err());
        assert!(matches!(
            begin(&store, "2025000123", 5),
            Err(Failure::Misconfigured(_))
        ));
    }
}
