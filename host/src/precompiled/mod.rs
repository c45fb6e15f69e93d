//! Precompiled components on disk, so a process that makes one call (the CLI) skips the
//! Cranelift compile: `<cache dir>/<engine hash>-<sha256 of the wasm>.cwasm`.
//!
//! The file name carries [`Engine::precompile_compatibility_hash`] (wasmtime's version, the
//! target, the compiler flags and tunables, the enabled features) and the SHA-256 of the
//! component's bytes, so a different wasmtime, engine configuration or component never finds
//! another's file. Files are written to a temporary name and renamed into place, so a reader
//! sees a whole file or none. Anything wrong with the cache (unwritable, unreadable, corrupt,
//! incompatible) only costs a compile: it never fails the load.
//!
//! Loading an entry runs its machine code, so on Unix the cache is used only when its
//! directory is the user's own: created owner-only (0700) when missing; one that already
//! exists must be a real directory (not a symbolic link) owned by the process's effective user
//! and not writable by its group or by others, or it is neither read nor written (a warning,
//! then a compile). An entry must pass the same test (a regular file, the user's own, not
//! writable by others), or it is compiled over and replaced; entries are written 0600. The
//! checks are made on open handles ([`private_files`]) and the bytes deserialized are read from
//! the checked handle ([`load_entry`]), never from the path again.

use std::hash::{Hash, Hasher};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use upgates_core::hex;
use wasmtime::Engine;
use wasmtime::component::Component;

pub(crate) mod file_checks;
pub mod private_files;

use file_checks::{is_entry_name, is_temp_name};
#[cfg(unix)]
use private_files::Kind;
use private_files::{Access, PrivateDir, refusal};

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
        let name = entry_name(&path);
        let mut found_bad_file = false;
        match PrivateDir::open(&self.dir, false) {
            Err(e) => {
                if let Some(refused) = refusal(&e) {
                    tracing::warn!(
                        "not using the precompiled cache: the directory {refused}; compiling \
                         instead"
                    );
                    let component = Component::new(engine, wasm)?;
                    return Ok((component, CacheOutcome::Miss { stored: false }));
                }
            }
            Ok(dir) => match dir.open_file(&name, Access::Read) {
                Ok(file) => match load_entry(engine, file) {
                    Ok(component) => return Ok((component, CacheOutcome::Hit)),
                    Err(why) => {
                        tracing::warn!(
                            file = %path.display(),
                            "not loading a precompiled component: {why}; compiling and \
                             replacing it"
                        );
                        found_bad_file = true;
                    }
                },
                Err(e) => {
                    if let Some(refused) = refusal(&e) {
                        tracing::warn!(
                            "not loading a precompiled component: {refused}; compiling and \
                             replacing it"
                        );
                        found_bad_file = true;
                    }
                }
            },
        }
        let component = Component::new(engine, wasm)?;
        // `serialize` gives the same bytes as `Engine::precompile_component`, without
        // compiling twice.
        let stored = component
            .serialize()
            .ok()
            .and_then(|bytes| self.store(&name, &bytes).ok());
        if let Some(dir) = &stored {
            prune(dir, &name, std::time::SystemTime::now());
        }
        let stored = stored.is_some();
        let outcome = if found_bad_file {
            CacheOutcome::Recovered { stored }
        } else {
            CacheOutcome::Miss { stored }
        };
        Ok((component, outcome))
    }

    /// Writes `bytes` as the entry `name` atomically: a temporary file in the same directory,
    /// renamed. Answers the directory, for pruning.
    fn store(&self, name: &str, bytes: &[u8]) -> std::io::Result<PrivateDir> {
        // Created if missing, and checked on its handle either way: it may have appeared
        // meanwhile, made by someone else.
        let dir = PrivateDir::open(&self.dir, true)?;
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let temp = format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        // A leftover of a dead process with the same id and counter would make `CreateNew` fail.
        let _ = dir.remove(&temp);
        let written = dir
            .open_file(&temp, Access::CreateNew)
            .and_then(|mut file| file.write_all(bytes))
            .and_then(|()| dir.rename(&temp, name));
        if written.is_err() {
            let _ = dir.remove(&temp);
        }
        written.map(|()| dir)
    }
}

/// The component in `file`, an open cache entry: the handle is checked (a regular file, this
/// user's, not writable by group or others) and the bytes read from it are what is
/// deserialized, so nothing swapped in at the entry's path meanwhile is ever loaded. Says why
/// when the entry is not used.
pub fn load_entry(engine: &Engine, mut file: std::fs::File) -> Result<Component, String> {
    #[cfg(unix)]
    match private_files::check_handle(&file, Kind::File) {
        Ok(None) => {}
        Ok(Some(why)) => return Err(format!("the file {why}")),
        Err(e) => return Err(format!("cannot check the file: {e}")),
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    // SAFETY: `deserialize` runs the machine code in `bytes`, so they must be a `.cwasm` that
    // wasmtime produced. They are, unless the user themself (or root) put something else there:
    // - they were read from the handle just checked (on Unix): a regular file, owned by this
    //   process's effective user and not writable by its group or by others, opened without
    //   following a link, relative to the cache directory's own handle, which passed the same
    //   checks as a directory; no path is looked up again after the checks, so no other user
    //   can add, rename or replace what is read;
    // - the entry is named by this engine's compatibility hash and the SHA-256 of exactly these
    //   wasm bytes, and only ever appears by an atomic rename of a file we finished writing
    //   (`store`), so it is never written in place; the bytes are our own copy, so nothing can
    //   change them while wasmtime uses them.
    // Wasmtime still checks the header, the version and the engine configuration and returns an
    // error for anything else, which the caller answers by compiling. Someone able to plant a
    // crafted file in a directory this user owns already runs code as that user. On other
    // platforms only the name and the atomic rename hold: the directory is the user's cache
    // directory or one they chose.
    unsafe { Component::deserialize(engine, &bytes) }
        .map_err(|e| format!("wasmtime refused it ({e})"))
}

/// The file name of an entry's path (always ours: `path_for` made it).
fn entry_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Deletes what an upgrade or a crash left behind, after a new entry was written (so at most
/// once per new component or wasmtime, never on a hit): other `.cwasm` files not written for
/// [`STALE_ENTRY`], and temporary files older than [`STALE_TEMP`]. A pruned entry still in use
/// is only compiled again; a process that loaded it keeps its copy. Only our own names are
/// touched; errors are ignored.
fn prune(dir: &PrivateDir, keep: &str, now: std::time::SystemTime) {
    let Ok(files) = dir.files() else {
        return;
    };
    for (name, modified) in files {
        let max_age = if is_temp_name(&name) {
            STALE_TEMP
        } else if is_entry_name(&name) && name != keep {
            STALE_ENTRY
        } else {
            continue;
        };
        if now.duration_since(modified).is_ok_and(|age| age > max_age) {
            let _ = dir.remove(&name);
        }
    }
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
