//! The precompiled cache: keyed on the engine and the component, written atomically and
//! owner-only, used only where nobody else can write, pruned of what an upgrade left.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use upgates_core::{ActionInput, ActionName, Answer, ShopConfig};
use upgates_fake_shop::{FakeShop, SAMPLE_KEY, SAMPLE_LOGIN};
use upgates_host::for_tests::is_entry_name;
#[cfg(unix)]
use upgates_host::for_tests::{Kind, Trust, effective_uid, trust};
use upgates_host::{
    Allocator, CacheOutcome, DEFAULT_MAX_CONCURRENT_CALLS, PLUGIN_WASM, PluginRuntime,
    PrecompiledCache, RuntimeOptions, ShopConnection,
};
use wasmtime::Engine;

/// The smallest valid component (no imports, no exports): compiles in microseconds.
const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

fn engine() -> Engine {
    let mut config = wasmtime::Config::new();
    config.epoch_interruption(true);
    Engine::new(&config).unwrap()
}

#[test]
fn miss_writes_hit_reads() {
    let dir = tempfile::tempdir().unwrap();
    let cache = PrecompiledCache::new(dir.path().join("nested").join("upgates"));
    let engine = engine();
    let path = cache.path_for(&engine, EMPTY_COMPONENT);
    assert!(path.starts_with(cache.dir()));
    let name = path.file_name().unwrap().to_str().unwrap();
    assert_eq!(name.len(), 16 + 1 + 64 + ".cwasm".len(), "{name}");
    assert!(!path.exists());

    let (_, outcome) = cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Miss { stored: true });
    assert!(path.is_file());
    assert!(Engine::detect_precompiled(&std::fs::read(&path).unwrap()).is_some());

    let (_, outcome) = cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Hit);

    // Only the entry itself: no temporary files left behind.
    let files: Vec<_> = std::fs::read_dir(cache.dir()).unwrap().collect();
    assert_eq!(files.len(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cache.dir()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "entry mode {mode:o}");
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A directory others can write to (a shared `--cache-dir`): a `.cwasm` planted there under
/// the computable name is never loaded, and nothing is written there either.
#[cfg(unix)]
#[test]
fn a_directory_others_can_write_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let cache = PrecompiledCache::new(dir.path().join("shared"));
    let engine = engine();
    let path = cache.path_for(&engine, EMPTY_COMPONENT);
    // A valid entry, as a planted one would be.
    let (_, outcome) = cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Miss { stored: true });
    for mode in [0o777, 0o1777, 0o770, 0o702] {
        set_mode(cache.dir(), mode);
        assert_eq!(
            trust(cache.dir(), Kind::Dir),
            Trust::Refused("is writable by its group or by others")
        );
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        let (_, outcome) = cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
        assert_eq!(
            outcome,
            CacheOutcome::Miss { stored: false },
            "mode {mode:o}"
        );
        // Not replaced either: the untrusted directory is not written to.
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            modified
        );
    }
    // Owner-only again: used as before.
    set_mode(cache.dir(), 0o700);
    let (_, outcome) = cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Hit);
    // Group or others may read and enter it: only writing matters.
    set_mode(cache.dir(), 0o755);
    let (_, outcome) = cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Hit);
}

/// A cache directory reached through a symbolic link is not used; neither is an entry that
/// is a link.
#[cfg(unix)]
#[test]
fn symbolic_links_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let real = PrecompiledCache::new(dir.path().join("real"));
    let engine = engine();
    let (_, outcome) = real.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Miss { stored: true });

    let link = dir.path().join("link");
    std::os::unix::fs::symlink(real.dir(), &link).unwrap();
    let linked = PrecompiledCache::new(&link);
    let (_, outcome) = linked.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Miss { stored: false });

    // The entry moved out and linked back in: not loaded, compiled and replaced by a file.
    let entry = real.path_for(&engine, EMPTY_COMPONENT);
    let elsewhere = dir.path().join("elsewhere.cwasm");
    std::fs::rename(&entry, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &entry).unwrap();
    let (_, outcome) = real.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Recovered { stored: true });
    assert!(!std::fs::symlink_metadata(&entry).unwrap().is_symlink());
    let (_, outcome) = real.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Hit);
}

/// An entry others could have written is not loaded: compiled over and replaced by one
/// written owner-only, which then hits.
#[cfg(unix)]
#[test]
fn an_entry_others_can_write_is_replaced() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let cache = PrecompiledCache::new(dir.path());
    let engine = engine();
    let path = cache.path_for(&engine, EMPTY_COMPONENT);
    cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    set_mode(&path, 0o666);
    let (_, outcome) = cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Recovered { stored: true });
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "entry mode {mode:o}");
    let (_, outcome) = cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Hit);
}

/// A directory (or an entry) owned by another user is not used. Needs a path owned by
/// someone else: made with `chown` when the tests run as root, else `/` when it is not ours.
#[cfg(unix)]
#[test]
fn another_users_directory_or_entry_is_not_used() {
    use std::os::unix::fs::MetadataExt;
    if effective_uid() != 0 {
        let root = Path::new("/");
        if std::fs::metadata(root).unwrap().uid() != effective_uid() {
            assert_eq!(
                trust(root, Kind::Dir),
                Trust::Refused("is owned by another user")
            );
        }
        return;
    }
    let other_user = 4242;
    let dir = tempfile::tempdir().unwrap();
    let cache = PrecompiledCache::new(dir.path().join("theirs"));
    let engine = engine();
    let path = cache.path_for(&engine, EMPTY_COMPONENT);
    cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();

    // Their entry in our directory: compiled over and replaced.
    std::os::unix::fs::chown(&path, Some(other_user), None).unwrap();
    let (_, outcome) = cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Recovered { stored: true });
    assert_eq!(std::fs::metadata(&path).unwrap().uid(), effective_uid());

    // Their directory (owner-only, but theirs): not used at all.
    std::os::unix::fs::chown(cache.dir(), Some(other_user), None).unwrap();
    assert_eq!(
        trust(cache.dir(), Kind::Dir),
        Trust::Refused("is owned by another user")
    );
    let (_, outcome) = cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Miss { stored: false });
}

#[cfg(unix)]
#[test]
fn a_file_where_the_directory_should_be_is_refused() {
    let file = tempfile::NamedTempFile::new().unwrap();
    assert_eq!(
        trust(file.path(), Kind::Dir),
        Trust::Refused("is not a directory")
    );
    let cache = PrecompiledCache::new(file.path());
    let (_, outcome) = cache.load_or_compile(&engine(), EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Miss { stored: false });
}

#[test]
fn a_new_entry_prunes_old_entries_and_dead_temp_files_only() {
    let dir = tempfile::tempdir().unwrap();
    let cache = PrecompiledCache::new(dir.path());
    let engine = engine();
    let now = std::time::SystemTime::now();
    let aged = |name: &str, age_secs: u64| {
        let path = dir.path().join(name);
        let file = std::fs::File::create(&path).unwrap();
        file.set_modified(now - std::time::Duration::from_secs(age_secs))
            .unwrap();
        path
    };
    let day = 24 * 3600;
    let entry = |engine: char, wasm: char| {
        format!(
            "{}-{}.cwasm",
            engine.to_string().repeat(16),
            wasm.to_string().repeat(64)
        )
    };
    let old_entry = aged(&entry('0', 'a'), 40 * day);
    let recent_entry = aged(&entry('0', 'b'), 2 * day);
    let dead_temp = aged(&format!(".{}.1.0.tmp", entry('0', 'c')), 2 * 3600);
    let live_temp = aged(&format!(".{}.2.0.tmp", entry('0', 'd')), 60);
    let not_ours = aged("notes.txt", 400 * day);
    // In a directory the user keeps other files in, like-named files are not ours.
    let users_cwasm = aged("my-app.cwasm", 400 * day);
    let users_temp = aged(".notes.tmp", 400 * day);
    let near_miss = aged(&format!("{}.cwasm", "0".repeat(81)), 400 * day);

    let (_, outcome) = cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Miss { stored: true });
    let written = cache.path_for(&engine, EMPTY_COMPONENT);
    assert!(written.is_file());
    let written = written.file_name().unwrap().to_string_lossy().into_owned();
    assert!(is_entry_name(&written), "{written}");
    assert!(!old_entry.exists());
    assert!(!dead_temp.exists());
    for kept in [
        &recent_entry,
        &live_temp,
        &not_ours,
        &users_cwasm,
        &users_temp,
        &near_miss,
    ] {
        assert!(kept.exists(), "{kept:?}");
    }

    // A hit prunes nothing, however old the rest is.
    let older = aged(&entry('1', 'e'), 90 * day);
    let (_, outcome) = cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Hit);
    assert!(older.exists());
}

#[test]
fn keyed_on_engine_and_content() {
    let cache = PrecompiledCache::new("/nonexistent");
    let engine = engine();
    let other_wasm = b"\0asm\x0d\0\x01\0\0\x01\x00"; // plus an empty custom section
    assert_ne!(
        cache.path_for(&engine, EMPTY_COMPONENT),
        cache.path_for(&engine, other_wasm)
    );
    let mut config = wasmtime::Config::new();
    config.epoch_interruption(false);
    let other_engine = Engine::new(&config).unwrap();
    assert_ne!(
        cache.path_for(&engine, EMPTY_COMPONENT),
        cache.path_for(&other_engine, EMPTY_COMPONENT)
    );
    assert_eq!(
        cache.path_for(&engine, EMPTY_COMPONENT),
        cache.path_for(&engine.clone(), EMPTY_COMPONENT)
    );
}

#[test]
fn corrupt_or_truncated_file_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let cache = PrecompiledCache::new(dir.path());
    let engine = engine();
    let path = cache.path_for(&engine, EMPTY_COMPONENT);
    cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    let good = std::fs::read(&path).unwrap();

    let mut flipped = good.clone();
    flipped[0] ^= 0xff;
    for bad in [
        b"not a precompiled component".to_vec(),
        Vec::new(),
        good[..good.len() / 2].to_vec(),
        flipped,
    ] {
        std::fs::write(&path, &bad).unwrap();
        let (_, outcome) = cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
        assert_eq!(outcome, CacheOutcome::Recovered { stored: true });
        // Replaced by a good file.
        let (_, outcome) = cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
        assert_eq!(outcome, CacheOutcome::Hit);
    }
}

/// What is loaded is the bytes of the handle that was checked: an entry swapped at its path
/// after it was opened (here a corrupt file renamed over it, which fails to load if read) is
/// not what is deserialized. A handle others could have written through, or one that is not a
/// regular file, is refused before a byte is read.
#[cfg(unix)]
#[test]
fn loads_the_checked_handle_not_the_path() {
    use std::os::unix::fs::PermissionsExt;
    use upgates_host::for_tests::load_entry;
    let dir = tempfile::tempdir().unwrap();
    let cache = PrecompiledCache::new(dir.path());
    let engine = engine();
    let path = cache.path_for(&engine, EMPTY_COMPONENT);
    cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();

    let opened = std::fs::File::open(&path).unwrap();
    let swapped_in = dir.path().join("swapped-in");
    std::fs::write(&swapped_in, b"not a precompiled component").unwrap();
    std::fs::rename(&swapped_in, &path).unwrap();
    let loaded = load_entry(&engine, opened);
    assert!(loaded.is_ok(), "{:?}", loaded.err());
    let reopened = std::fs::File::open(&path).unwrap();
    assert!(load_entry(&engine, reopened).is_err());

    let (_, outcome) = cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Recovered { stored: true });
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let refused = load_entry(&engine, std::fs::File::open(&path).unwrap()).err();
    assert_eq!(
        refused.as_deref(),
        Some("the file is writable by its group or by others")
    );
    let refused = load_entry(&engine, std::fs::File::open(dir.path()).unwrap()).err();
    assert_eq!(refused.as_deref(), Some("the file is not a regular file"));
}

#[test]
fn unwritable_cache_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the cache directory should be: nothing can be written under it.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"").unwrap();
    let cache = PrecompiledCache::new(blocker.join("upgates"));
    let engine = engine();
    let (_, outcome) = cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
    assert_eq!(outcome, CacheOutcome::Miss { stored: false });
}

#[test]
fn a_component_that_does_not_compile_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let cache = PrecompiledCache::new(dir.path());
    assert!(cache.load_or_compile(&engine(), b"\0asm junk").is_err());
}

/// The real component through the cache: a miss then a hit, and the cached one answers.
#[tokio::test]
async fn runtime_from_cache_answers() {
    let dir = tempfile::tempdir().unwrap();
    let options = RuntimeOptions {
        cache: Some(PrecompiledCache::new(dir.path())),
        ..RuntimeOptions::default()
    };
    let first = PluginRuntime::with_options(PLUGIN_WASM, &options).unwrap();
    assert_eq!(first.cache_outcome(), CacheOutcome::Miss { stored: true });
    let second = PluginRuntime::with_options(PLUGIN_WASM, &options).unwrap();
    assert_eq!(second.cache_outcome(), CacheOutcome::Hit);
    assert_eq!(
        second.allocator(),
        Allocator::Pooling {
            max_concurrent_calls: DEFAULT_MAX_CONCURRENT_CALLS
        }
    );

    let now = UNIX_EPOCH + Duration::from_secs(1_795_884_000);
    let fake = FakeShop::sample(now);
    let handler = fake.clone();
    let config = ShopConfig::new(
        "https://demo.admin.s1.upgates.com/api/v2",
        SAMPLE_LOGIN,
        SAMPLE_KEY,
        "420",
    )
    .unwrap();
    let mut shop = ShopConnection::new(config).unwrap();
    shop.policy = shop
        .policy
        .with_in_process(Arc::new(move |req| handler.handle(req)));
    shop.fixed_time = Some(now);
    let input = ActionInput {
        order: Some("2025000123".into()),
        ..Default::default()
    };
    let answer = second
        .call(&shop, ActionName::VerifyOrder, &input)
        .await
        .unwrap();
    assert!(matches!(answer, Ok(Answer::Summary(_))), "{answer:?}");
    let peak = second.peak_memory();
    assert!((64 << 10..=64 << 20).contains(&peak), "peak memory {peak}");
}
