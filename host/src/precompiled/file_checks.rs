//! The cache's verdict on a path (from [`super::private_files`]' checks) and the names of its
//! own files (so pruning touches nothing else).

use std::path::Path;

pub use super::private_files::Kind;
#[cfg(unix)]
pub use super::private_files::effective_uid;
use super::private_files::{PrivateDir, refusal};

/// Whether the cache may read (and write) a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Nothing there (or nothing this process can look at): nothing to read.
    Absent,
    Trusted,
    /// Something is there that must not be used; says why, for the log.
    Refused(&'static str),
}

/// [`PrivateDir`]'s checks on `path`, answered as a [`Trust`]: for tools and tests that ask
/// about a path (the cache itself checks the handles it then reads).
pub fn trust(path: &Path, kind: Kind) -> Trust {
    let opened = match kind {
        Kind::Dir => PrivateDir::open(path, false).map(drop),
        Kind::File => open_file_checked(path),
    };
    match opened {
        Ok(()) => Trust::Trusted,
        Err(e) => refusal(&e).map_or(Trust::Absent, |r| Trust::Refused(r.why)),
    }
}

#[cfg(unix)]
fn open_file_checked(path: &Path) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    // Only the file is judged here, not the directory it is in.
    let dir_fd = rustix::fs::open(
        dir,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    let flags = rustix::fs::OFlags::RDONLY
        | rustix::fs::OFlags::NOFOLLOW
        | rustix::fs::OFlags::NONBLOCK
        | rustix::fs::OFlags::CLOEXEC;
    let fd = match rustix::fs::openat(&dir_fd, name, flags, rustix::fs::Mode::empty()) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::LOOP) => {
            return Err(super::private_files::refused(path, "is a symbolic link"));
        }
        Err(e) => return Err(e.into()),
    };
    match super::private_files::check_handle(&fd, Kind::File)? {
        None => Ok(()),
        Some(why) => Err(super::private_files::refused(path, why)),
    }
}

#[cfg(not(unix))]
fn open_file_checked(path: &Path) -> std::io::Result<()> {
    std::fs::metadata(path)?
        .is_file()
        .then_some(())
        .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
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
