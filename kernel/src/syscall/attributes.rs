//! A file's size and attributes, and durability: `truncate`, `ftruncate`,
//! `chmod`, `fchmod`, `fchmodat`, `access`, `faccessat`, `faccessat2`,
//! `utimensat`, `fsync`, `fdatasync`, `sync`, `syncfs`, `statfs`,
//! `fstatfs`.
//!
//! Every process is root here, so `access` grants reading and writing
//! always, and execution when the file is a directory or has an execute
//! bit (`EACCES` otherwise), as Linux does for root. `utimensat` takes
//! Linux's `UTIME_NOW` and `UTIME_OMIT`. `fsync` and friends ask the file
//! system to write what it holds back to its device (a RAM file system
//! has nothing to do); `sync` asks every mounted one.

use super::paths::{self, Found, copy_out};
use super::{Args, Errno, user_memory};
use crate::fs::file::OpenFile;
use crate::process::files as fds;
use linux_raw_sys::errno::{EACCES, EBADF, EINVAL, EISDIR};
use linux_raw_sys::general::{
    AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_ACCMODE, O_RDONLY, UTIME_NOW,
    UTIME_OMIT,
};
use vfs::{Follow, Kind};

const CWD: u64 = AT_FDCWD as u64;

/// `truncate(path, length)`.
pub fn truncate(args: &Args) -> Result<u64, Errno> {
    let found = paths::lookup(CWD, args[0], Follow::Yes)?;
    set_size(&found, args[1])
}

/// `ftruncate(fd, length)`: the file must be open for writing (`EINVAL`).
pub fn ftruncate(args: &Args) -> Result<u64, Errno> {
    let file = fds::get(args[0]).map_err(Errno)?;
    let node = file.node().ok_or(Errno(EINVAL))?;
    if node.flags() & O_ACCMODE == O_RDONLY {
        return Err(Errno(EINVAL));
    }
    let found = Found {
        mounts: crate::fs::vfs::mounts(),
        at: node.at,
    };
    set_size(&found, args[1])
}

fn set_size(found: &Found, length: u64) -> Result<u64, Errno> {
    if (length as i64) < 0 {
        return Err(Errno(EINVAL));
    }
    match found.mounts.kind(found.at).map_err(Errno)? {
        Kind::File => {}
        Kind::Directory => return Err(Errno(EISDIR)),
        _ => return Err(Errno(EINVAL)),
    }
    found.fs().truncate(found.at.ino, length).map_err(Errno)?;
    Ok(0)
}

/// `chmod(path, mode)`.
pub fn chmod(args: &Args) -> Result<u64, Errno> {
    let found = paths::lookup(CWD, args[0], Follow::Yes)?;
    set_mode(&found, args[1])
}

/// `fchmod(fd, mode)`.
pub fn fchmod(args: &Args) -> Result<u64, Errno> {
    let found = descriptor(args[0])?;
    set_mode(&found, args[1])
}

/// `fchmodat(dirfd, path, mode, flags)`: no flags (Linux has none either).
pub fn fchmodat(args: &Args) -> Result<u64, Errno> {
    if args[3] != 0 {
        return Err(Errno(EINVAL));
    }
    let found = paths::lookup(args[0], args[1], Follow::Yes)?;
    set_mode(&found, args[2])
}

fn set_mode(found: &Found, mode: u64) -> Result<u64, Errno> {
    found
        .fs()
        .chmod(found.at.ino, mode as u32 & 0o7777)
        .map_err(Errno)?;
    Ok(0)
}

/// The VFS file `fd` is open on (`EBADF` for others: the console, devices).
pub(super) fn descriptor(fd: u64) -> Result<Found, Errno> {
    paths::of_descriptor(fd)?.ok_or(Errno(EBADF))
}

/// `access(path, mode)`.
pub fn access(args: &Args) -> Result<u64, Errno> {
    access_at(CWD, args[0], args[1], 0)
}

/// `faccessat(dirfd, path, mode)`.
pub fn faccessat(args: &Args) -> Result<u64, Errno> {
    access_at(args[0], args[1], args[2], 0)
}

/// `faccessat2(dirfd, path, mode, flags)`.
pub fn faccessat2(args: &Args) -> Result<u64, Errno> {
    access_at(args[0], args[1], args[2], args[3])
}

fn access_at(dirfd: u64, path: u64, mode: u64, flags: u64) -> Result<u64, Errno> {
    const X_OK: u64 = 1;
    let known = u64::from(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);
    if mode & !7 != 0 || flags & !known != 0 {
        return Err(Errno(EINVAL));
    }
    let found = at_path(dirfd, path, flags)?;
    let meta = found.fs().metadata(found.at.ino).map_err(Errno)?;
    let searchable = meta.kind() == Some(Kind::Directory) || meta.mode & 0o111 != 0;
    if mode & X_OK != 0 && !searchable {
        return Err(Errno(EACCES));
    }
    Ok(0)
}

/// The file a `*at` call with `flags` (`AT_SYMLINK_NOFOLLOW`,
/// `AT_EMPTY_PATH`) names.
pub(super) fn at_path(dirfd: u64, path: u64, flags: u64) -> Result<Found, Errno> {
    let path = paths::path_arg(path)?;
    if path.is_empty() && flags & u64::from(AT_EMPTY_PATH) != 0 {
        return paths::of_descriptor(dirfd)?.ok_or(Errno(EBADF));
    }
    let follow = if flags & u64::from(AT_SYMLINK_NOFOLLOW) != 0 {
        Follow::No
    } else {
        Follow::Yes
    };
    paths::lookup_bytes(dirfd, &path, follow)
}

/// `utimensat(dirfd, path, times, flags)`: a NULL path means `dirfd`'s
/// own file; NULL times mean now for both.
pub fn utimensat(args: &Args) -> Result<u64, Errno> {
    let [dirfd, path, times, flags, ..] = *args;
    let known = u64::from(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);
    if flags & !known != 0 {
        return Err(Errno(EINVAL));
    }
    let now = crate::fs::vfs::now();
    let (atime, mtime) = if times == 0 {
        (Some(now), Some(now))
    } else {
        let mut raw = [0u8; 32];
        user_memory::copy_from_user(&mut raw, times)?;
        (time_of(&raw[..16], now)?, time_of(&raw[16..], now)?)
    };
    let found = if path == 0 {
        descriptor(dirfd)?
    } else {
        at_path(dirfd, path, flags)?
    };
    found
        .fs()
        .set_times(found.at.ino, atime, mtime)
        .map_err(Errno)?;
    Ok(0)
}

/// One `struct timespec` of `utimensat`: seconds to set, or `None` to leave.
fn time_of(raw: &[u8], now: u64) -> Result<Option<u64>, Errno> {
    let seconds = i64::from_le_bytes(raw[..8].try_into().unwrap_or_default());
    let nanoseconds = i64::from_le_bytes(raw[8..16].try_into().unwrap_or_default());
    match nanoseconds {
        n if n == i64::from(UTIME_NOW) => Ok(Some(now)),
        n if n == i64::from(UTIME_OMIT) => Ok(None),
        0..=999_999_999 => Ok(Some(seconds.max(0) as u64)),
        _ => Err(Errno(EINVAL)),
    }
}

/// `fsync(fd)` and `fdatasync(fd)`: `EINVAL` for what cannot be synced.
pub fn fsync(args: &Args) -> Result<u64, Errno> {
    let file = fds::get(args[0]).map_err(Errno)?;
    match &*file {
        OpenFile::Node(node) => node.fs.sync().map_err(Errno)?,
        _ => return Err(Errno(EINVAL)),
    }
    Ok(0)
}

/// `syncfs(fd)`: the file system of `fd`'s file.
pub fn syncfs(args: &Args) -> Result<u64, Errno> {
    let file = fds::get(args[0]).map_err(Errno)?;
    if let OpenFile::Node(node) = &*file {
        node.fs.sync().map_err(Errno)?;
    }
    Ok(0)
}

/// `sync()`: every mounted file system. Errors are not reported (as Linux).
pub fn sync(_: &Args) -> Result<u64, Errno> {
    let mounts = crate::fs::vfs::mounts();
    for id in 0..mounts.len() {
        let _ = mounts.fs(id).sync();
    }
    Ok(0)
}

/// `statfs(path, buf)`.
pub fn statfs(args: &Args) -> Result<u64, Errno> {
    let found = paths::lookup(CWD, args[0], Follow::Yes)?;
    put_statfs(&found, args[1])
}

/// `fstatfs(fd, buf)`.
pub fn fstatfs(args: &Args) -> Result<u64, Errno> {
    let found = descriptor(args[0])?;
    put_statfs(&found, args[1])
}

/// Writes `struct statfs` (x86_64, 120 bytes): type, block size, blocks,
/// free, available, files, free files, fsid, name length, fragment size,
/// flags, spare.
fn put_statfs(found: &Found, buf: u64) -> Result<u64, Errno> {
    let s = found.fs().statfs().map_err(Errno)?;
    let fsid = found.at.mount as u64 + 1;
    let fields = [
        s.magic,
        s.block_size,
        s.blocks,
        s.free_blocks,
        s.free_blocks,
        s.files,
        s.free_files,
        fsid,
        s.name_max,
        s.block_size,
        0,
    ];
    let mut out = [0u8; 120];
    for (i, field) in fields.iter().enumerate() {
        out[i * 8..i * 8 + 8].copy_from_slice(&field.to_le_bytes());
    }
    copy_out(buf, &out)?;
    Ok(0)
}
