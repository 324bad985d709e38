//! Opening and describing files: `open`, `openat`, `close`, `lseek`,
//! `fstat`, `stat`, `lstat`, `newfstatat`, `getdents64`.
//!
//! Files come from the ramdisk (`fs::ramdisk`), which is read-only. Paths
//! are looked up as `crates/files` says (`ENOENT`, `ENOTDIR`,
//! `ENAMETOOLONG`); relative paths start at `/` (every process's working
//! directory), or at the directory `dirfd` names for `openat`. What a
//! read-only file system answers, as Linux does:
//!
//! | asked | answer |
//! |---|---|
//! | `O_CREAT` of a missing file | `EROFS` |
//! | `O_CREAT \| O_EXCL` of an existing one | `EEXIST` |
//! | write access or `O_TRUNC` on a file | `EROFS` |
//! | write access or `O_CREAT` on a directory | `EISDIR` |
//! | `O_DIRECTORY` on a file | `ENOTDIR` |
//! | `O_TMPFILE` | `EROFS` (`EINVAL` without write access) |
//!
//! `O_CLOEXEC` is recorded in the descriptor (execve will honour it); other
//! flags (`O_NONBLOCK`, `O_NOCTTY`, `O_NOFOLLOW`, ...) change nothing here.
//! There are no links, so `lstat` is `stat`.

use super::user_string::copy_string_from_user;
use super::{Args, Errno, user_memory};
use crate::fs::file::OpenFile;
use crate::fs::ramdisk;
use crate::process::files as fds;
use alloc::vec::Vec;
use files::Node;
use files::path::PATH_MAX;
use linux_raw_sys::errno::{EBADF, EEXIST, EINVAL, EISDIR, ENOENT, ENOTDIR, EROFS};
use linux_raw_sys::general::{
    AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_SYMLINK_NOFOLLOW, O_ACCMODE, O_CLOEXEC, O_CREAT,
    O_DIRECTORY, O_EXCL, O_RDONLY, O_TMPFILE, O_TRUNC,
};

/// `open(path, flags, mode)`.
pub fn open(args: &Args) -> Result<u64, Errno> {
    open_at(AT_FDCWD as u64, args[0], args[1])
}

/// `openat(dirfd, path, flags, mode)`.
pub fn openat(args: &Args) -> Result<u64, Errno> {
    open_at(args[0], args[1], args[2])
}

fn open_at(dirfd: u64, path: u64, flags: u64) -> Result<u64, Errno> {
    let flags = flags as u32;
    let path = copy_string_from_user(path, PATH_MAX)?;
    let node = resolve(dirfd, &path);
    let writes = flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0;
    if flags & O_TMPFILE == O_TMPFILE {
        node?;
        return Err(Errno(if flags & O_ACCMODE == O_RDONLY {
            EINVAL
        } else {
            EROFS
        }));
    }
    let node = match node {
        Err(Errno(ENOENT)) if flags & O_CREAT != 0 => return Err(Errno(EROFS)),
        other => other?,
    };
    if flags & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL {
        return Err(Errno(EEXIST));
    }
    match &node {
        Node::Directory { .. } if writes || flags & O_CREAT != 0 => return Err(Errno(EISDIR)),
        Node::File(_) if flags & O_DIRECTORY != 0 => return Err(Errno(ENOTDIR)),
        Node::File(_) if writes => return Err(Errno(EROFS)),
        _ => {}
    }
    let fd = fds::insert(OpenFile::from_node(node), flags & O_CLOEXEC != 0).map_err(Errno)?;
    Ok(fd as u64)
}

/// Finds `path` from `/` or, if relative and `dirfd` is not `AT_FDCWD`,
/// from the ramdisk directory open on `dirfd`.
fn resolve(dirfd: u64, path: &[u8]) -> Result<Node<'static>, Errno> {
    if path.first() == Some(&b'/') || dirfd as i32 == AT_FDCWD {
        return ramdisk::lookup(path).map_err(Errno);
    }
    let base = fds::get(dirfd).map_err(Errno)?;
    let OpenFile::RamDirectory { path: base, .. } = &*base else {
        return Err(Errno(ENOTDIR));
    };
    if path.is_empty() {
        return Err(Errno(ENOENT));
    }
    let mut full: Vec<u8> = Vec::with_capacity(base.len() + path.len() + 2);
    full.push(b'/');
    full.extend_from_slice(base.as_bytes());
    full.push(b'/');
    full.extend_from_slice(path);
    ramdisk::lookup(&full).map_err(Errno)
}

/// `close(fd)`.
pub fn close(args: &Args) -> Result<u64, Errno> {
    fds::close(args[0]).map_err(Errno)?;
    Ok(0)
}

/// `lseek(fd, offset, whence)`; the console cannot seek (`-ESPIPE`).
pub fn lseek(args: &Args) -> Result<u64, Errno> {
    let [fd, offset, whence, ..] = *args;
    let file = fds::get(fd).map_err(Errno)?;
    file.seek(offset as i64, whence as u32).map_err(Errno)
}

/// `fstat(fd, statbuf)`.
pub fn fstat(args: &Args) -> Result<u64, Errno> {
    let file = fds::get(args[0]).map_err(Errno)?;
    user_memory::copy_to_user(args[1], &file.stat().to_bytes())?;
    Ok(0)
}

/// `stat(path, statbuf)` and `lstat` (no links: the same).
pub fn stat(args: &Args) -> Result<u64, Errno> {
    stat_at(AT_FDCWD as u64, args[0], args[1], 0)
}

/// `newfstatat(dirfd, path, statbuf, flags)`.
pub fn newfstatat(args: &Args) -> Result<u64, Errno> {
    stat_at(args[0], args[1], args[2], args[3])
}

fn stat_at(dirfd: u64, path: u64, statbuf: u64, flags: u64) -> Result<u64, Errno> {
    let known = u64::from(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT);
    if flags & !known != 0 {
        return Err(Errno(EINVAL));
    }
    let path = copy_string_from_user(path, PATH_MAX)?;
    let stat = if path.is_empty() && flags & u64::from(AT_EMPTY_PATH) != 0 {
        if dirfd as i32 == AT_FDCWD {
            OpenFile::from_node(ramdisk::lookup(b"/").map_err(Errno)?).stat()
        } else {
            fds::get(dirfd).map_err(|_| Errno(EBADF))?.stat()
        }
    } else {
        OpenFile::from_node(resolve(dirfd, &path)?).stat()
    };
    user_memory::copy_to_user(statbuf, &stat.to_bytes())?;
    Ok(0)
}

/// `getdents64(fd, dirp, count)`.
pub fn getdents64(args: &Args) -> Result<u64, Errno> {
    let [fd, buf, count, ..] = *args;
    let file = fds::get(fd).map_err(Errno)?;
    user_memory::check_range(buf, count)?;
    let mut out = alloc::vec![0u8; (count as usize).min(64 * 1024)];
    // Check the buffer can be written before the directory's position moves.
    user_memory::copy_to_user(buf, &out)?;
    let written = file.read_directory(&mut out).map_err(Errno)?;
    user_memory::copy_to_user(buf, &out[..written])?;
    Ok(written as u64)
}
