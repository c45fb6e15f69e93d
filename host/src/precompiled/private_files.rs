//! Owner-only directories and the files in them, opened so another local user can neither
//! plant, swap nor redirect them: the precompiled cache's entries and the CLI's attempt and
//! lock files.
//!
//! On Unix a directory is opened without following a link at its last component and checked
//! on the open handle (`fstat`: a directory, owned by this process's effective user, not
//! writable by its group or by others); its files are opened *relative to that handle*
//! (`openat`, `O_NOFOLLOW`), created `0600`, and checked the same way on their own handle.
//! Nothing is looked up by path again after a check, so renaming or re-linking the path
//! meanwhile changes nothing. Elsewhere there is no owner or mode to check: plain paths.

use std::fmt;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// A path that must not be used, and why: an [`io::Error`] of kind
/// [`io::ErrorKind::PermissionDenied`] carries it ([`refusal`] finds it again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub path: PathBuf,
    pub why: &'static str,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} (it must be the user's own, not a symbolic link, not writable by group or \
             others)",
            self.path.display(),
            self.why
        )
    }
}

impl std::error::Error for Refused {}

pub(crate) fn refused(path: &Path, why: &'static str) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        Refused {
            path: path.to_owned(),
            why,
        },
    )
}

/// The [`Refused`] inside `error`, when a check (not the system) refused the path.
pub fn refusal(error: &io::Error) -> Option<&Refused> {
    error.get_ref()?.downcast_ref::<Refused>()
}

/// What a handle is expected to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File,
}

/// How a file in a [`PrivateDir`] is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read only; a missing file is [`io::ErrorKind::NotFound`].
    Read,
    /// Read and write, created `0600` when missing; an existing one that is ours but readable
    /// by others is narrowed to `0600` (its content is nobody else's business).
    ReadWriteCreate,
    /// Read and write an existing file (narrowed like [`Self::ReadWriteCreate`]); a missing
    /// one is [`io::ErrorKind::NotFound`], never created.
    ReadWrite,
    /// A new file, `0600`; one already there is [`io::ErrorKind::AlreadyExists`].
    CreateNew,
}

/// An open, checked directory: files are opened relative to it.
#[derive(Debug)]
pub struct PrivateDir {
    path: PathBuf,
    /// Ours by name ([`Self::open_narrowed`]): our own files in it that others may write are
    /// narrowed to `0600` before they are checked, as the directory itself is.
    narrow: bool,
    #[cfg(unix)]
    fd: std::os::fd::OwnedFd,
}

/// The process's effective user id, which new files get as their owner.
#[cfg(unix)]
pub fn effective_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Why the open handle `fd` is not what `kind` asks for, owned by this user and closed to
/// others' writes; `None` when it is.
#[cfg(unix)]
pub fn check_handle(fd: impl std::os::fd::AsFd, kind: Kind) -> io::Result<Option<&'static str>> {
    use rustix::fs::FileType;
    let stat = rustix::fs::fstat(fd)?;
    let file_type = FileType::from_raw_mode(stat.st_mode);
    Ok(if kind == Kind::Dir && file_type != FileType::Directory {
        Some("is not a directory")
    } else if kind == Kind::File && file_type != FileType::RegularFile {
        Some("is not a regular file")
    } else if stat.st_uid != effective_uid() {
        Some("is owned by another user")
    } else if stat.st_mode & 0o022 != 0 {
        Some("is writable by its group or by others")
    } else {
        None
    })
}

/// A link at the last component makes `O_NOFOLLOW` fail (`ELOOP`, or `ENOTDIR` with
/// `O_DIRECTORY`): said as what it is.
#[cfg(unix)]
fn open_error(path: &Path, errno: rustix::io::Errno, kind: Kind) -> io::Error {
    use rustix::io::Errno;
    if errno == Errno::LOOP {
        return refused(path, "is a symbolic link");
    }
    if errno == Errno::NOTDIR && kind == Kind::Dir {
        let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        return refused(
            path,
            if is_link {
                "is a symbolic link"
            } else {
                "is not a directory"
            },
        );
    }
    errno.into()
}

/// Creates `dir` owner-only (`0700`, with any missing parents) when it is missing.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

impl PrivateDir {
    /// Opens `path` (created `0700` first when `create` and missing) and checks the handle.
    /// A missing directory is [`io::ErrorKind::NotFound`]; a link, another user's directory or
    /// one others can write is refused ([`refusal`]).
    pub fn open(path: &Path, create: bool) -> io::Result<Self> {
        Self::open_with(path, create, false)
    }

    /// [`Self::open`] for a directory that is ours by name (`attempts`, `locks`), not one a
    /// user pointed us at (whose mode is theirs to choose): created when missing, and when it
    /// is this user's but open to its group or others (made with a looser mode than ours), it is
    /// narrowed to `0700` on its handle before the check. So are our own files in it
    /// (to `0600`) as they are opened; what others put in it is refused file by file (links,
    /// their owner).
    pub fn open_narrowed(path: &Path) -> io::Result<Self> {
        Self::open_with(path, true, true)
    }

    fn open_with(path: &Path, create: bool, narrow: bool) -> io::Result<Self> {
        if create {
            create_private_dir(path)?;
        }
        #[cfg(unix)]
        {
            use rustix::fs::{FileType, Mode, OFlags};
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let fd = rustix::fs::open(path, flags, Mode::empty())
                .map_err(|e| open_error(path, e, Kind::Dir))?;
            let stat = rustix::fs::fstat(&fd)?;
            if narrow
                && FileType::from_raw_mode(stat.st_mode) == FileType::Directory
                && stat.st_uid == effective_uid()
                && stat.st_mode & 0o077 != 0
            {
                rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o700))?;
            }
            if let Some(why) = check_handle(&fd, Kind::Dir)? {
                return Err(refused(path, why));
            }
            Ok(Self {
                path: path.to_owned(),
                narrow,
                fd,
            })
        }
        #[cfg(not(unix))]
        {
            if !std::fs::metadata(path)?.is_dir() {
                return Err(refused(path, "is not a directory"));
            }
            Ok(Self {
                path: path.to_owned(),
                narrow,
            })
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens `name` (a plain file name) in this directory, never through a link, and checks
    /// the handle: a regular file, this user's, not writable by group or others.
    pub fn open_file(&self, name: &str, access: Access) -> io::Result<File> {
        let path = self.path.join(name);
        #[cfg(unix)]
        {
            use rustix::fs::{Mode, OFlags};
            // `NONBLOCK`: a FIFO under the name would block the open; it is then refused as
            // not a regular file. Reads and writes of regular files are unaffected.
            let flags = OFlags::NOFOLLOW
                | OFlags::NONBLOCK
                | OFlags::CLOEXEC
                | match access {
                    Access::Read => OFlags::RDONLY,
                    Access::ReadWriteCreate => OFlags::RDWR | OFlags::CREATE,
                    Access::ReadWrite => OFlags::RDWR,
                    Access::CreateNew => OFlags::RDWR | OFlags::CREATE | OFlags::EXCL,
                };
            let fd = rustix::fs::openat(&self.fd, name, flags, Mode::from_raw_mode(0o600))
                .map_err(|e| open_error(&path, e, Kind::File))?;
            let stat = rustix::fs::fstat(&fd)?;
            let ours = rustix::fs::FileType::from_raw_mode(stat.st_mode)
                == rustix::fs::FileType::RegularFile
                && stat.st_uid == effective_uid();
            // In a directory ours by name, our own file that others may write was made with a
            // looser mode than ours: narrowed, not refused, or its order could never be
            // checked (nor its lock taken) again.
            if self.narrow && ours && stat.st_mode & 0o022 != 0 {
                rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o600))?;
            }
            if let Some(why) = check_handle(&fd, Kind::File)? {
                return Err(refused(&path, why));
            }
            if access != Access::Read && rustix::fs::fstat(&fd)?.st_mode & 0o077 != 0 {
                rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o600))?;
            }
            Ok(File::from(fd))
        }
        #[cfg(not(unix))]
        {
            let mut options = std::fs::OpenOptions::new();
            match access {
                Access::Read => options.read(true),
                Access::ReadWriteCreate => {
                    options.read(true).write(true).create(true).truncate(false)
                }
                Access::ReadWrite => options.read(true).write(true),
                Access::CreateNew => options.read(true).write(true).create_new(true),
            };
            options.open(path)
        }
    }

    /// Renames `from` to `to`, both in this directory (atomic, replacing `to`).
    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        #[cfg(unix)]
        return Ok(rustix::fs::renameat(&self.fd, from, &self.fd, to)?);
        #[cfg(not(unix))]
        std::fs::rename(self.path.join(from), self.path.join(to))
    }

    /// Removes the file `name` from this directory (a link itself, never its target).
    pub fn remove(&self, name: &str) -> io::Result<()> {
        #[cfg(unix)]
        return Ok(rustix::fs::unlinkat(
            &self.fd,
            name,
            rustix::fs::AtFlags::empty(),
        )?);
        #[cfg(not(unix))]
        std::fs::remove_file(self.path.join(name))
    }

    /// The names of the files in this directory with their modification times (entries that
    /// vanish or cannot be read meanwhile are left out).
    pub fn files(&self) -> io::Result<Vec<(String, std::time::SystemTime)>> {
        #[cfg(unix)]
        {
            use rustix::fs::{AtFlags, FileType};
            let mut files = Vec::new();
            for entry in rustix::fs::Dir::read_from(&self.fd)?.flatten() {
                let Ok(name) = entry.file_name().to_str() else {
                    continue;
                };
                let Ok(stat) = rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) else {
                    continue;
                };
                if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
                    continue;
                }
                let since_epoch = std::time::Duration::new(
                    u64::try_from(stat.st_mtime).unwrap_or(0),
                    u32::try_from(stat.st_mtime_nsec).unwrap_or(0),
                );
                files.push((name.to_owned(), std::time::UNIX_EPOCH + since_epoch));
            }
            Ok(files)
        }
        #[cfg(not(unix))]
        {
            let mut files = Vec::new();
            for entry in std::fs::read_dir(&self.path)?.flatten() {
                let Ok(meta) = entry.metadata() else { continue };
                if let (true, Ok(modified)) = (meta.is_file(), meta.modified()) {
                    files.push((entry.file_name().to_string_lossy().into_owned(), modified));
                }
            }
            Ok(files)
        }
    }
}
