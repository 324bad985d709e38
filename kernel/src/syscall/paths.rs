//! Path arguments: where a path starts and what it names.
//!
//! A file system call names a file by a path, and for the `*at` forms by a
//! directory descriptor too: an absolute path starts at `/`, a relative one
//! at the directory `dirfd` is open on, or, for `AT_FDCWD` (and the classic
//! calls), at the process's current directory. A `dirfd` that is not open is
//! `EBADF`; one open on something other than a directory, `ENOTDIR`. The
//! walk itself is `crates/vfs`' (`Mounts::resolve`, `resolve_parent`).

use super::user_string::copy_string_from_user;
use super::{Errno, user_memory};
use crate::fs::file::OpenFile;
use crate::fs::vfs::mounts;
use crate::process::files as fds;
use alloc::sync::Arc;
use alloc::vec::Vec;
use linux_raw_sys::errno::{EBADF, ENOTDIR};
use linux_raw_sys::general::AT_FDCWD;
use vfs::{FileSystem, Follow, Kind, Location, Mounts, PATH_MAX, Parent};

/// A path argument, copied in (`EFAULT`, `ENAMETOOLONG`).
pub fn path_arg(address: u64) -> Result<Vec<u8>, Errno> {
    copy_string_from_user(address, PATH_MAX)
}

/// Where a relative path given with `dirfd` starts.
pub fn start(dirfd: u64, path: &[u8]) -> Result<Location, Errno> {
    if path.first() == Some(&b'/') || dirfd as i32 == AT_FDCWD {
        return Ok(fds::cwd());
    }
    directory_of(dirfd)
}

/// The directory descriptor `fd` is open on.
pub fn directory_of(fd: u64) -> Result<Location, Errno> {
    let file = fds::get(fd).map_err(|_| Errno(EBADF))?;
    match file.node() {
        Some(node) if node.kind == Kind::Directory => Ok(node.at),
        _ => Err(Errno(ENOTDIR)),
    }
}

/// A resolved path: the mount table used, and the file.
pub struct Found {
    pub mounts: Arc<Mounts>,
    pub at: Location,
}

impl Found {
    pub fn fs(&self) -> &Arc<dyn FileSystem> {
        self.mounts.fs(self.at.mount)
    }
}

/// What the path at user address `path` names, from `dirfd`.
pub fn lookup(dirfd: u64, path: u64, follow: Follow) -> Result<Found, Errno> {
    let path = path_arg(path)?;
    lookup_bytes(dirfd, &path, follow)
}

/// [`lookup`] of a path already copied in.
pub fn lookup_bytes(dirfd: u64, path: &[u8], follow: Follow) -> Result<Found, Errno> {
    let mounts = mounts();
    let start = start(dirfd, path)?;
    let at = mounts.resolve(start, path, follow).map_err(Errno)?;
    Ok(Found { mounts, at })
}

/// The directory that holds (or would hold) the last name of the path at
/// user address `path`, and that name.
pub fn parent(dirfd: u64, path: u64) -> Result<(Arc<Mounts>, Parent), Errno> {
    let path = path_arg(path)?;
    let mounts = mounts();
    let start = start(dirfd, &path)?;
    let parent = mounts.resolve_parent(start, &path).map_err(Errno)?;
    Ok((mounts, parent))
}

/// The file for calls with `AT_EMPTY_PATH` and an empty path, or a path
/// NULL (`utimensat`): the one `dirfd` is open on (the current directory
/// for `AT_FDCWD`). `None` if that is not a VFS file (the console).
pub fn of_descriptor(dirfd: u64) -> Result<Option<Found>, Errno> {
    let mounts = mounts();
    if dirfd as i32 == AT_FDCWD {
        let at = fds::cwd();
        return Ok(Some(Found { mounts, at }));
    }
    let file = fds::get(dirfd).map_err(Errno)?;
    Ok(match &*file {
        OpenFile::Node(node) => Some(Found {
            mounts,
            at: node.at,
        }),
        _ => None,
    })
}

/// Copies `bytes` to user memory at `address`.
pub fn copy_out(address: u64, bytes: &[u8]) -> Result<(), Errno> {
    user_memory::copy_to_user(address, bytes)
}
