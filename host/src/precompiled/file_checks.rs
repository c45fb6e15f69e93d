//! What the cache checks on disk before it trusts a path (on Unix: the owner, the mode, no
//! symbolic links), how it creates its directory and files (owner-only), and the names of its
//! own files (so pruning touches nothing else).

use std::path::Path;

#[cfg(unix)]
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// A new file only its owner can read and write (on Unix; the umask can only narrow it).
pub fn private_file_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// What [`trust`] looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File,
}

/// Whether the cache may read (and write) a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// Only Unix has grounds to refuse.
#[cfg_attr(not(unix), allow(dead_code))]
pub enum Trust {
    /// Nothing there (or nothing this process can look at): nothing to read.
    Absent,
    Trusted,
    /// Something is there that must not be used; says why, for the log.
    Refused(&'static str),
}

/// On Unix: `path` is trusted when it is what `kind` asks for (not a symbolic link), owned by
/// this process's effective user, and not writable by its group or by others. Only then can
/// nobody else have put a file there or changed one.
#[cfg(unix)]
pub fn trust(path: &Path, kind: Kind) -> Trust {
    use std::os::unix::fs::MetadataExt;
    // `symlink_metadata`: a link is refused itself, not judged by what it points to.
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Trust::Absent;
    };
    let file_type = meta.file_type();
    if file_type.is_symlink() {
        Trust::Refused("is a symbolic link")
    } else if kind == Kind::Dir && !file_type.is_dir() {
        Trust::Refused("is not a directory")
    } else if kind == Kind::File && !file_type.is_file() {
        Trust::Refused("is not a regular file")
    } else if meta.uid() != effective_uid() {
        Trust::Refused("is owned by another user")
    } else if meta.mode() & 0o022 != 0 {
        Trust::Refused("is writable by its group or by others")
    } else {
        Trust::Trusted
    }
}

/// Elsewhere: no owner or mode to check; only that the path is what `kind` asks for.
#[cfg(not(unix))]
pub fn trust(path: &Path, kind: Kind) -> Trust {
    match std::fs::metadata(path) {
        Ok(meta) if (kind == Kind::Dir) == meta.is_dir() => Trust::Trusted,
        _ => Trust::Absent,
    }
}

/// The process's effective user id, which new files get as their owner.
#[cfg(unix)]
pub fn effective_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// `<16 hex>-<64 hex>.cwasm`, the name [`PrecompiledCache::path_for`] gives an entry: the
/// cache directory may be one the user keeps other files in (`--cache-dir .`), and pruning
/// must not take their `app.cwasm`.
pub fn is_entry_name(name: &str) -> bool {
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    name.strip_suffix(".cwasm")
        .and_then(|stem| stem.split_once('-'))
        .is_some_and(|(engine, wasm)| hex(engine, 16) && hex(wasm, 64))
}

/// `.<entry name>.<pid>.<counter>.tmp`, the name `store` writes a new entry under.
pub fn is_temp_name(name: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    name.strip_prefix('.')
        .and_then(|rest| rest.strip_suffix(".tmp"))
        .and_then(|rest| rest.rsplit_once('.'))
        .and_then(|(rest, counter)| Some((rest.rsplit_once('.')?, counter)))
        .is_some_and(|((entry, pid), counter)| {
            is_entry_name(entry) && digits(pid) && digits(counter)
        })
}
