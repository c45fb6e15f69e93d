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
//! writable by others), or it is compiled over and replaced; entries are written 0600.

use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

pub(crate) mod file_checks;

use file_checks::{
    Kind, Trust, create_private_dir, is_entry_name, is_temp_name, private_file_options, trust,
};

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
        match trust(&self.dir, Kind::Dir) {
            Trust::Refused(why) => {
                tracing::warn!(
                    dir = %self.dir.display(),
                    "not using the precompiled cache: the directory {why} (it must be the \
                     user's own, not writable by others, not a link); compiling instead"
                );
                let component = Component::new(engine, wasm)?;
                return Ok((component, CacheOutcome::Miss { stored: false }));
            }
            Trust::Absent => {}
            Trust::Trusted => match trust(&path, Kind::File) {
                Trust::Absent => {}
                Trust::Refused(why) => {
                    tracing::warn!(
                        file = %path.display(),
                        "not loading a precompiled component: the file {why}; compiling and \
                         replacing it"
                    );
                    found_bad_file = true;
                }
                Trust::Trusted => {
                    // SAFETY: `deserialize_file` maps the file and runs its machine code, so it
                    // must be a `.cwasm` that wasmtime produced, never modified while mapped.
                    // It is, unless the user themself (or root) put something else there:
                    // - the cache directory was just checked (`trust`, on Unix): a real
                    //   directory, not a symbolic link, owned by this process's effective user
                    //   and not writable by its group or by others, so no other user can add,
                    //   rename or replace a file in it; a directory that fails the check is
                    //   not read (nor written) at all;
                    // - the file itself was checked the same way: a regular file, not a link,
                    //   owned by this user, not writable by group or others;
                    // - it is named by this engine's compatibility hash and the SHA-256 of
                    //   exactly these wasm bytes, and only ever appears by an atomic rename of
                    //   a file we finished writing (`store`), so it is never written in place.
                    // Wasmtime still checks the header, the version and the engine
                    // configuration and returns an error for anything else, which we answer by
                    // compiling. Someone able to plant a crafted file in a directory this user
                    // owns already runs code as that user. On other platforms only the name
                    // and the atomic rename hold: the directory is the user's cache directory
                    // or one they chose.
                    match unsafe { Component::deserialize_file(engine, &path) } {
                        Ok(component) => return Ok((component, CacheOutcome::Hit)),
                        Err(_) => found_bad_file = true,
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
            let max_age = if is_temp_name(&name) {
                STALE_TEMP
            } else if is_entry_name(&name) && path != keep {
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
        // Checked again after creating it: it may have appeared meanwhile, made by someone else.
        if let Trust::Refused(why) = trust(&self.dir, Kind::Dir) {
            return Err(std::io::Error::other(format!("the cache directory {why}")));
        }
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
        // A leftover of a dead process with the same id and counter would make `create_new` fail.
        let _ = std::fs::remove_file(&temp);
        let written = private_file_options()
            .open(&temp)
            .and_then(|mut file| file.write_all(bytes))
            .and_then(|()| std::fs::rename(&temp, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written
    }
}

/// Lower-case hex of `bytes`, for the entries' file names.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
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
