//! Opening and describing files: `open`, `openat`, `close`, `lseek`,
//! `pread64`, `pwrite64`, `fstat`, `stat`, `lstat`, `newfstatat`,
//! `getdents64`, `umask`.
//!
//! Files live in the VFS (`fs::vfs`); paths are walked as `syscall::paths`
//! says. `open` follows Linux:
//!
//! | asked | answer |
//! |---|---|
//! | `O_CREAT` of a missing file | a new empty file, mode `mode & !umask` |
//! | `O_CREAT \| O_EXCL` of an existing name | `EEXIST` (a link is not followed) |
//! | `O_CREAT` with a trailing `/` | `EISDIR` |
//! | write access or `O_CREAT` on a directory | `EISDIR` |
//! | `O_DIRECTORY` on something else | `ENOTDIR` |
//! | `O_NOFOLLOW` on a symbolic link | `ELOOP` |
//! | `O_TRUNC` on a file | cut to 0 bytes |
//! | a device of `/dev` | the device (`fs::devices`) |
//! | `O_TMPFILE` | `EOPNOTSUPP` |
//! | `/proc/<pid>/fd/<n>` (`/dev/stdin`, ...) | a new open file of the same file, pipe or device (`fs::procfs`) |
//!
//! `stat` of `/proc/<pid>/fd/<n>` (not `lstat`) is the open file's own, as
//! `fstat` of the descriptor gives it.
//!
//! `O_CLOEXEC` is recorded in the descriptor (execve honours it);
//! `O_APPEND` stays with the open file (every write goes to the end, and
//! `fcntl` may change it); other flags (`O_NONBLOCK`, `O_NOCTTY`, ...)
//! change nothing here.

use super::paths::{self, Found};
use super::{Args, Errno, user_memory};
use crate::fs::devices::{self, Opened};
use crate::fs::file::{NodeFile, OpenFile, stat_of};
use crate::fs::procfs;
use crate::process::files as fds;
use linux_raw_sys::errno::{
    EBADF, EEXIST, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR, ENXIO, EOPNOTSUPP,
};
use linux_raw_sys::general::{
    AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_SYMLINK_NOFOLLOW, O_ACCMODE, O_CLOEXEC, O_CREAT,
    O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_TMPFILE, O_TRUNC,
};
use vfs::{Follow, Kind, Location};

/// `open(path, flags, mode)`.
pub fn open(args: &Args) -> Result<u64, Errno> {
    open_at(AT_FDCWD as u64, args[0], args[1] as u32, args[2] as u32)
}

/// `openat(dirfd, path, flags, mode)`.
pub fn openat(args: &Args) -> Result<u64, Errno> {
    open_at(args[0], args[1], args[2] as u32, args[3] as u32)
}

fn open_at(dirfd: u64, path: u64, flags: u32, mode: u32) -> Result<u64, Errno> {
    let path = paths::path_arg(path)?;
    if flags & O_TMPFILE == O_TMPFILE {
        return Err(Errno(EOPNOTSUPP));
    }
    let exclusive = flags & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL;
    let follow = if flags & O_NOFOLLOW != 0 || exclusive {
        Follow::No
    } else {
        Follow::Open
    };
    let mut found = match paths::lookup_bytes(dirfd, &path, follow) {
        Ok(_) if exclusive => return Err(Errno(EEXIST)),
        Err(Errno(ENOENT)) if flags & O_CREAT != 0 => create(dirfd, &path, mode)?,
        other => other?,
    };
    let mut opened_as = Some((paths::start(dirfd, &path)?, path));
    if follow == Follow::Open && found.fs().is_open_file_link(found.at.ino) {
        // `/proc/<pid>/fd/<n>`: the same file again (see `fs::procfs`).
        let file = procfs::open_file(found.at.ino).map_err(Errno)?;
        let Some(node) = file.node() else {
            let again = file.reopen(flags).ok_or(Errno(ENXIO))?;
            return Ok(fds::insert(again, flags & O_CLOEXEC != 0).map_err(Errno)? as u64);
        };
        found.at = node.at;
        opened_as.clone_from(&node.opened_as);
    }
    let meta = found.fs().metadata(found.at.ino).map_err(Errno)?;
    let kind = meta.kind().unwrap_or(Kind::File);
    let writes = flags & O_ACCMODE != O_RDONLY;
    let file = match kind {
        Kind::Symlink => return Err(Errno(ELOOP)),
        Kind::Directory if writes || flags & O_CREAT != 0 => return Err(Errno(EISDIR)),
        _ if kind != Kind::Directory && flags & O_DIRECTORY != 0 => return Err(Errno(ENOTDIR)),
        Kind::CharDevice => match devices::open(meta.rdev) {
            Some(Opened::Console { rdev }) => OpenFile::console(rdev, flags),
            Some(Opened::Device(device)) => OpenFile::device(device, flags),
            None => return Err(Errno(ENXIO)),
        },
        Kind::File | Kind::Directory => {
            if kind == Kind::File && flags & O_TRUNC != 0 && meta.size != 0 {
                found.fs().truncate(found.at.ino, 0).map_err(Errno)?;
            }
            let fs = found.fs().clone();
            let mut node = NodeFile::new(fs, found.at, kind, flags);
            node.opened_as = opened_as;
            OpenFile::Node(node)
        }
        _ => return Err(Errno(ENXIO)),
    };
    let fd = fds::insert(file, flags & O_CLOEXEC != 0).map_err(Errno)?;
    Ok(fd as u64)
}

/// Makes the empty file `path` names (for `O_CREAT`).
fn create(dirfd: u64, path: &[u8], mode: u32) -> Result<Found, Errno> {
    let mounts = crate::fs::vfs::mounts();
    let start = paths::start(dirfd, path)?;
    let parent = mounts.resolve_parent(start, path).map_err(Errno)?;
    if parent.trailing_slash || parent.is_special() {
        return Err(Errno(EISDIR));
    }
    let perm = mode & 0o7777 & !fds::umask();
    let fs = mounts.fs(parent.dir.mount);
    let ino = fs
        .create(parent.dir.ino, &parent.name, Kind::File, perm, 0)
        .map_err(Errno)?;
    let at = Location {
        mount: parent.dir.mount,
        ino,
    };
    Ok(Found { mounts, at })
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

/// `pread64(fd, buf, count, offset)`: a read at `offset`; the position stays.
pub fn pread64(args: &Args) -> Result<u64, Errno> {
    let [fd, buf, count, offset, ..] = *args;
    let file = positioned(fd, offset)?;
    user_memory::check_range(buf, count)?;
    let mut bytes = alloc::vec![0u8; count.min(1 << 20) as usize];
    let n = file.read_at(&mut bytes, offset).map_err(Errno)?;
    user_memory::copy_to_user(buf, &bytes[..n])?;
    Ok(n as u64)
}

/// `pwrite64(fd, buf, count, offset)`: a write at `offset` (with
/// `O_APPEND`, at the end whatever the offset, as Linux); the position stays.
pub fn pwrite64(args: &Args) -> Result<u64, Errno> {
    let [fd, buf, count, offset, ..] = *args;
    let file = positioned(fd, offset)?;
    let mut bytes = alloc::vec![0u8; count.min(1 << 20) as usize];
    user_memory::copy_from_user(&mut bytes, buf)?;
    let n = file.write_at(&bytes, offset).map_err(Errno)?;
    Ok(n as u64)
}

/// The file of `fd` for `pread64`/`pwrite64`: `ESPIPE` for the console,
/// `EINVAL` for a negative offset.
fn positioned(fd: u64, offset: u64) -> Result<alloc::sync::Arc<OpenFile>, Errno> {
    let file = fds::get(fd).map_err(Errno)?;
    if file.is_console() {
        return Err(Errno(linux_raw_sys::errno::ESPIPE));
    }
    if (offset as i64) < 0 {
        return Err(Errno(EINVAL));
    }
    Ok(file)
}

/// `fstat(fd, statbuf)`.
pub fn fstat(args: &Args) -> Result<u64, Errno> {
    let file = fds::get(args[0]).map_err(Errno)?;
    let stat = file.stat().map_err(Errno)?;
    user_memory::copy_to_user(args[1], &stat.to_bytes())?;
    Ok(0)
}

/// `stat(path, statbuf)`.
pub fn stat(args: &Args) -> Result<u64, Errno> {
    stat_at(AT_FDCWD as u64, args[0], args[1], 0)
}

/// `lstat(path, statbuf)`: a symbolic link itself.
pub fn lstat(args: &Args) -> Result<u64, Errno> {
    stat_at(
        AT_FDCWD as u64,
        args[0],
        args[1],
        AT_SYMLINK_NOFOLLOW.into(),
    )
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
    let path = paths::path_arg(path)?;
    let stat = if path.is_empty() && flags & u64::from(AT_EMPTY_PATH) != 0 {
        if dirfd as i32 == AT_FDCWD {
            found_stat(&paths::of_descriptor(dirfd)?.ok_or(Errno(EBADF))?)?
        } else {
            fds::get(dirfd).map_err(Errno)?.stat().map_err(Errno)?
        }
    } else {
        let follow = if flags & u64::from(AT_SYMLINK_NOFOLLOW) != 0 {
            Follow::No
        } else {
            Follow::Open
        };
        let found = paths::lookup_bytes(dirfd, &path, follow)?;
        if follow == Follow::Open && found.fs().is_open_file_link(found.at.ino) {
            // `/proc/<pid>/fd/<n>`: the open file's own `stat`.
            let file = procfs::open_file(found.at.ino).map_err(Errno)?;
            file.stat().map_err(Errno)?
        } else {
            found_stat(&found)?
        }
    };
    user_memory::copy_to_user(statbuf, &stat.to_bytes())?;
    Ok(0)
}

fn found_stat(found: &Found) -> Result<files::stat::Stat, Errno> {
    let meta = found.fs().metadata(found.at.ino).map_err(Errno)?;
    Ok(stat_of(found.at.mount, &meta))
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

/// `umask(mask)`: sets the mask; the one before.
pub fn umask(args: &Args) -> Result<u64, Errno> {
    Ok(u64::from(fds::set_umask(args[0] as u32)))
}
