//! Precompiled components on disk, so a process that makes one call (the CLI) skips the
//! Cranelift compile: `<cache dir>/<engine hash>-<sha256 of the wasm>.cwasm`.
//!
//! The file name carries [`Engine::precompile_compatibility_hash`] (wasmtime's version, the
//! target, the compiler flags and tunables, the enabled features) and the SHA-256 of the
//! component's bytes, so a different wasmtime, engine configuration or component never finds
//! another's file. Files are written to a temporary name and renamed into place, so a reader
//! sees a whole file or none. Anything wrong with the cache (unwritable, unreadable, corrupt,
//! incompatible) only costs a compile: it never fails the load.

use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// A `.cwasm` not written for this long is deleted when another entry is written.
const STALE_ENTRY: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);
/// A temporary file this old was left by a process that died while writing.
const STALE_TEMP: std::time::Duration = std::time::Duration::from_secs(3600);

/// A directory of precompiled components.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrecompiledCache {
    dir: PathBuf,
}

/// Where a runtime's component came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheOutcome {
    /// No cache in use: compiled in memory.
    Disabled,
    /// Loaded from the cache, no compile.
    Hit,
    /// Not in the cache: compiled; `stored` says whether the cache file could be written.
    Miss { stored: bool },
    /// The cache file would not load (corrupt, truncated, another engine's): compiled instead
    /// and, when `stored`, replaced.
    Recovered { stored: bool },
}

impl PrecompiledCache {
    /// The cache in `dir` (created on the first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `upgates` in the user's cache directory (`$XDG_CACHE_HOME` or `~/.cache` on Linux,
    /// `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows); `None` when there is none.
    pub fn user_default() -> Option<Self> {
        dirs::cache_dir().map(|dir| Self::new(dir.join("upgates")))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file `wasm` compiled by `engine` is kept in.
    pub fn path_for(&self, engine: &Engine, wasm: &[u8]) -> PathBuf {
        let mut engine_hash = Sha256Hasher(Sha256::new());
        engine
            .precompile_compatibility_hash()
            .hash(&mut engine_hash);
        let engine_hash = engine_hash.0.finalize();
        let wasm_hash = Sha256::digest(wasm);
        let name = format!(
            "{}-{}.cwasm",
            hex(&engine_hash[..8]),
            hex(wasm_hash.as_slice())
        );
        self.dir.join(name)
    }

    /// The component from the cache, or compiled (and then stored). Fails only when `wasm`
    /// itself does not compile.
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        wasm: &[u8],
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let path = self.path_for(engine, wasm);
        let mut found_bad_file = false;
        if path.is_file() {
            // SAFETY: `deserialize_file` maps the file and runs its machine code, so it must be
            // a `.cwasm` that wasmtime produced, never modified while mapped. It is: the file
            // lives in our own cache directory (created owner-only), under a name derived from
            // this engine's compatibility hash and the SHA-256 of exactly these wasm bytes, and
            // it only ever appears there by an atomic rename of a file we finished writing
            // (`store`), so it is never written in place. Wasmtime still checks the header, the
            // version and the engine configuration and returns an error for anything else,
            // which we answer by compiling. Someone able to plant a crafted file in the user's
            // own cache directory already runs code as that user.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok((component, CacheOutcome::Hit)),
                Err(_) => found_bad_file = true,
            }
        }
        let component = Component::new(engine, wasm)?;
        // `serialize` gives the same bytes as `Engine::precompile_component`, without
        // compiling twice.
        let stored = component
            .serialize()
            .ok()
            .is_some_and(|bytes| self.store(&path, &bytes).is_ok());
        if stored {
            self.prune(&path, std::time::SystemTime::now());
        }
        let outcome = if found_bad_file {
            CacheOutcome::Recovered { stored }
        } else {
            CacheOutcome::Miss { stored }
        };
        Ok((component, outcome))
    }

    /// Deletes what an upgrade or a crash left behind, after a new entry was written (so at
    /// most once per new component or wasmtime, never on a hit): other `.cwasm` files not
    /// written for [`STALE_ENTRY`], and temporary files older than [`STALE_TEMP`]. A pruned
    /// entry still in use is only compiled again; a process that has it mapped keeps its copy.
    /// Only our own names are touched; errors are ignored.
    fn prune(&self, keep: &Path, now: std::time::SystemTime) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let max_age = if name.starts_with('.') && name.ends_with(".tmp") {
                STALE_TEMP
            } else if name.ends_with(".cwasm") && path != keep {
                STALE_ENTRY
            } else {
                continue;
            };
            let age = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|modified| now.duration_since(modified).ok());
            if age.is_some_and(|age| age > max_age) {
                let _ = std::fs::remove_file(&path);
            }
        }
    }

    /// Writes `bytes` to `path` atomically: a temporary file in the same directory, renamed.
    fn store(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        create_private_dir(&self.dir)?;
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = self.dir.join(format!(
            ".{file_name}.{}.{}.tmp",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let written = std::fs::File::create(&temp)
            .and_then(|mut file| file.write_all(bytes))
            .and_then(|()| std::fs::rename(&temp, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Feeds `Hash` output into SHA-256: a stable digest of the engine's compatibility hash
/// (std's `DefaultHasher` promises no stability across Rust releases).
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        let mut first = [0; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_le_bytes(first)
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::Arc;
    use std::time::{Duration, UNIX_EPOCH};

    use upgates_core::{ActionInput, ActionName, Answer, ShopConfig};
    use upgates_fake_shop::{FakeShop, SAMPLE_KEY, SAMPLE_LOGIN};

    use crate::{PLUGIN_WASM, PluginRuntime, RuntimeOptions, ShopConnection};

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
        }
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
        let old_entry = aged("0000000000000000-old.cwasm", 40 * day);
        let recent_entry = aged("0000000000000000-recent.cwasm", 2 * day);
        let dead_temp = aged(".x.cwasm.1.0.tmp", 2 * 3600);
        let live_temp = aged(".y.cwasm.2.0.tmp", 60);
        let not_ours = aged("notes.txt", 400 * day);

        let (_, outcome) = cache.load_or_compile(&engine, EMPTY_COMPONENT).unwrap();
        assert_eq!(outcome, CacheOutcome::Miss { stored: true });
        assert!(cache.path_for(&engine, EMPTY_COMPONENT).is_file());
        assert!(!old_entry.exists());
        assert!(!dead_temp.exists());
        for kept in [&recent_entry, &live_temp, &not_ours] {
            assert!(kept.exists(), "{kept:?}");
        }

        // A hit prunes nothing, however old the rest is.
        let older = aged("1111111111111111-older.cwasm", 90 * day);
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
            crate::Allocator::Pooling {
                max_concurrent_calls: crate::runtime::DEFAULT_MAX_CONCURRENT_CALLS
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
}
