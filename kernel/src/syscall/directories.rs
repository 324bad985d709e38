//! Names in directories: `mkdir`, `unlink`, `rmdir`, `rename`, `link`,
//! `symlink`, `readlink` (classic and `*at` forms), and the current
//! directory: `chdir`, `fchdir`, `getcwd`.
//!
//! A call that makes or removes a name walks to the directory holding it
//! (`Mounts::resolve_parent`) and asks that directory's file system. The
//! last names `.`, `..` and `/` itself cannot be made, removed or moved,
//! with Linux's errors (`EEXIST` for `mkdir`, `EISDIR` for `unlink`,
//! `EINVAL`/`ENOTEMPTY`/`EBUSY` for `rmdir`, `EBUSY` for `rename`). A
//! mounted directory is busy (`EBUSY`); names on different mounts cannot be
//! linked or renamed into each other (`EXDEV`).

use super::paths::{self, copy_out, parent};
use super::{Args, Errno};
use crate::process::files as fds;
use alloc::sync::Arc;
use linux_raw_sys::errno::{
    EBUSY, EEXIST, EINVAL, EISDIR, ENAMETOOLONG, ENOENT, ENOTDIR, ENOTEMPTY, ERANGE, EXDEV,
};
use linux_raw_sys::general::{AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW};
use vfs::{Follow, Kind, Location, Mounts, PATH_MAX, Parent};

const CWD: u64 = AT_FDCWD as u64;

/// `mkdir(path, mode)`.
pub fn mkdir(args: &Args) -> Result<u64, Errno> {
    mkdir_at(CWD, args[0], args[1] as u32)
}

/// `mkdirat(dirfd, path, mode)`.
pub fn mkdirat(args: &Args) -> Result<u64, Errno> {
    mkdir_at(args[0], args[1], args[2] as u32)
}

fn mkdir_at(dirfd: u64, path: u64, mode: u32) -> Result<u64, Errno> {
    let (mounts, parent) = parent(dirfd, path)?;
    if parent.is_special() {
        return Err(Errno(EEXIST));
    }
    let perm = mode & 0o7777 & !fds::umask();
    let fs = mounts.fs(parent.dir.mount);
    fs.mkdir(parent.dir.ino, &parent.name, perm)
        .map_err(Errno)?;
    Ok(0)
}

/// `unlink(path)`.
pub fn unlink(args: &Args) -> Result<u64, Errno> {
    unlink_file(CWD, args[0])
}

/// `rmdir(path)`.
pub fn rmdir(args: &Args) -> Result<u64, Errno> {
    remove_directory(CWD, args[0])
}

/// `unlinkat(dirfd, path, flags)`: `rmdir` with `AT_REMOVEDIR`.
pub fn unlinkat(args: &Args) -> Result<u64, Errno> {
    let [dirfd, path, flags, ..] = *args;
    match flags as u32 {
        0 => unlink_file(dirfd, path),
        AT_REMOVEDIR => remove_directory(dirfd, path),
        _ => Err(Errno(EINVAL)),
    }
}

fn unlink_file(dirfd: u64, path: u64) -> Result<u64, Errno> {
    let (mounts, parent) = parent(dirfd, path)?;
    if parent.is_special() {
        return Err(Errno(EISDIR));
    }
    if parent.trailing_slash {
        // `unlink("name/")`: a directory is EISDIR, anything else ENOTDIR.
        let at = mounts.step(parent.dir, &parent.name).map_err(Errno)?;
        let kind = mounts.kind(at).map_err(Errno)?;
        return Err(Errno(if kind == Kind::Directory {
            EISDIR
        } else {
            ENOTDIR
        }));
    }
    let fs = mounts.fs(parent.dir.mount);
    fs.unlink(parent.dir.ino, &parent.name).map_err(Errno)?;
    Ok(0)
}

fn remove_directory(dirfd: u64, path: u64) -> Result<u64, Errno> {
    let (mounts, parent) = parent(dirfd, path)?;
    match parent.name.as_slice() {
        b"." => return Err(Errno(EINVAL)),
        b".." => return Err(Errno(ENOTEMPTY)),
        b"" => return Err(Errno(EBUSY)),
        _ => {}
    }
    check_not_mounted(&mounts, &parent)?;
    let fs = mounts.fs(parent.dir.mount);
    fs.rmdir(parent.dir.ino, &parent.name).map_err(Errno)?;
    Ok(0)
}

/// `EBUSY` if a file system is mounted on the name.
fn check_not_mounted(mounts: &Mounts, parent: &Parent) -> Result<(), Errno> {
    let fs = mounts.fs(parent.dir.mount);
    if let Ok(ino) = fs.lookup(parent.dir.ino, &parent.name) {
        let at = Location {
            mount: parent.dir.mount,
            ino,
        };
        if mounts.mounted_on(at).is_some() {
            return Err(Errno(EBUSY));
        }
    }
    Ok(())
}

/// `rename(old, new)`.
pub fn rename(args: &Args) -> Result<u64, Errno> {
    rename_at(CWD, args[0], CWD, args[1], 0)
}

/// `renameat(olddirfd, old, newdirfd, new)`.
pub fn renameat(args: &Args) -> Result<u64, Errno> {
    rename_at(args[0], args[1], args[2], args[3], 0)
}

/// `renameat2(olddirfd, old, newdirfd, new, flags)`: flags 0 only.
pub fn renameat2(args: &Args) -> Result<u64, Errno> {
    rename_at(args[0], args[1], args[2], args[3], args[4])
}

fn rename_at(old_fd: u64, old: u64, new_fd: u64, new: u64, flags: u64) -> Result<u64, Errno> {
    if flags != 0 {
        return Err(Errno(EINVAL));
    }
    let (mounts, from) = parent(old_fd, old)?;
    let (_, to) = parent(new_fd, new)?;
    if from.is_special() || to.is_special() {
        return Err(Errno(EBUSY));
    }
    if from.dir.mount != to.dir.mount {
        return Err(Errno(EXDEV));
    }
    let fs = mounts.fs(from.dir.mount);
    let source = fs.lookup(from.dir.ino, &from.name).map_err(Errno)?;
    let source_kind = mounts
        .kind(Location {
            mount: from.dir.mount,
            ino: source,
        })
        .map_err(Errno)?;
    if (from.trailing_slash || to.trailing_slash) && source_kind != Kind::Directory {
        return Err(Errno(ENOTDIR));
    }
    check_not_mounted(&mounts, &from)?;
    check_not_mounted(&mounts, &to)?;
    fs.rename(from.dir.ino, &from.name, to.dir.ino, &to.name)
        .map_err(Errno)?;
    Ok(0)
}

/// `link(old, new)`.
pub fn link(args: &Args) -> Result<u64, Errno> {
    link_at(CWD, args[0], CWD, args[1], 0)
}

/// `linkat(olddirfd, old, newdirfd, new, flags)`.
pub fn linkat(args: &Args) -> Result<u64, Errno> {
    link_at(args[0], args[1], args[2], args[3], args[4])
}

fn link_at(old_fd: u64, old: u64, new_fd: u64, new: u64, flags: u64) -> Result<u64, Errno> {
    let known = u64::from(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH);
    if flags & !known != 0 {
        return Err(Errno(EINVAL));
    }
    let follow = if flags & u64::from(AT_SYMLINK_FOLLOW) != 0 {
        Follow::Yes
    } else {
        Follow::No
    };
    let old_path = paths::path_arg(old)?;
    let source = if old_path.is_empty() && flags & u64::from(AT_EMPTY_PATH) != 0 {
        paths::of_descriptor(old_fd)?.ok_or(Errno(EXDEV))?
    } else {
        paths::lookup_bytes(old_fd, &old_path, follow)?
    };
    let (mounts, to) = parent(new_fd, new)?;
    if to.is_special() {
        return Err(Errno(EEXIST));
    }
    if to.trailing_slash {
        return Err(Errno(ENOENT));
    }
    if source.at.mount != to.dir.mount {
        return Err(Errno(EXDEV));
    }
    let fs = mounts.fs(to.dir.mount);
    fs.link(source.at.ino, to.dir.ino, &to.name)
        .map_err(Errno)?;
    Ok(0)
}

/// `symlink(target, linkpath)`.
pub fn symlink(args: &Args) -> Result<u64, Errno> {
    symlink_at(args[0], CWD, args[1])
}

/// `symlinkat(target, newdirfd, linkpath)`.
pub fn symlinkat(args: &Args) -> Result<u64, Errno> {
    symlink_at(args[0], args[1], args[2])
}

fn symlink_at(target: u64, dirfd: u64, path: u64) -> Result<u64, Errno> {
    let target = paths::path_arg(target)?;
    if target.is_empty() {
        return Err(Errno(ENOENT));
    }
    let (mounts, at) = parent(dirfd, path)?;
    if at.is_special() || at.trailing_slash {
        return Err(Errno(EEXIST));
    }
    let fs = mounts.fs(at.dir.mount);
    fs.symlink(at.dir.ino, &at.name, &target).map_err(Errno)?;
    Ok(0)
}

/// `readlink(path, buf, size)`.
pub fn readlink(args: &Args) -> Result<u64, Errno> {
    readlink_at(CWD, args[0], args[1], args[2])
}

/// `readlinkat(dirfd, path, buf, size)`.
pub fn readlinkat(args: &Args) -> Result<u64, Errno> {
    readlink_at(args[0], args[1], args[2], args[3])
}

/// Copies the link's target (no NUL), cut to `size` bytes; its length.
fn readlink_at(dirfd: u64, path: u64, buf: u64, size: u64) -> Result<u64, Errno> {
    if size as i64 <= 0 {
        return Err(Errno(EINVAL));
    }
    let found = paths::lookup(dirfd, path, Follow::No)?;
    let target = found.fs().readlink(found.at.ino).map_err(Errno)?;
    let n = target.len().min(size as usize);
    copy_out(buf, &target[..n])?;
    Ok(n as u64)
}

/// `chdir(path)`.
pub fn chdir(args: &Args) -> Result<u64, Errno> {
    let found = paths::lookup(CWD, args[0], Follow::Yes)?;
    if found.mounts.kind(found.at).map_err(Errno)? != Kind::Directory {
        return Err(Errno(ENOTDIR));
    }
    fds::set_cwd(found.at);
    Ok(0)
}

/// `fchdir(fd)`.
pub fn fchdir(args: &Args) -> Result<u64, Errno> {
    let at = paths::directory_of(args[0])?;
    fds::set_cwd(at);
    Ok(0)
}

/// `getcwd(buf, size)`: the path and its NUL; the length with the NUL.
/// As on Linux, `ENAMETOOLONG` if that is more than `PATH_MAX` (4096)
/// bytes, whatever the buffer; else `ERANGE` if it does not fit; `ENOENT`
/// if the directory was removed.
pub fn getcwd(args: &Args) -> Result<u64, Errno> {
    let [buf, size, ..] = *args;
    let mounts: Arc<Mounts> = crate::fs::vfs::mounts();
    let mut path = mounts.path_of(fds::cwd()).map_err(Errno)?;
    path.push(0);
    if path.len() > PATH_MAX {
        return Err(Errno(ENAMETOOLONG));
    }
    if path.len() as u64 > size {
        return Err(Errno(ERANGE));
    }
    copy_out(buf, &path)?;
    Ok(path.len() as u64)
}
