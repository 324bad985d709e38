//! Owners: `chown`, `fchown`, `lchown`, `fchownat`.
//!
//! On Linux every file has an owning user and group, which `chown` changes.
//! Kestrel has one user, root (uid and gid 0: see `identity.rs`), and every
//! file belongs to it. So these calls find the file exactly as Linux does
//! (the same errors for a bad path, descriptor or flag) and accept the
//! owner it already has: each id must be 0, or -1 for "leave it". Another
//! id is `EPERM`, since no other user exists to own the file. Programs
//! call them after copying a file (`cp -p`, `sed -i` keeps the owner of
//! the file it rewrites).

use super::attributes::{at_path, descriptor};
use super::paths::{self, Found};
use super::{Args, Errno};
use linux_raw_sys::errno::{EINVAL, EPERM};
use linux_raw_sys::general::{AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW};
use vfs::Follow;

const CWD: u64 = AT_FDCWD as u64;

/// `chown(path, uid, gid)`.
pub fn chown(args: &Args) -> Result<u64, Errno> {
    owned_by_root(paths::lookup(CWD, args[0], Follow::Yes)?, args[1], args[2])
}

/// `fchown(fd, uid, gid)`.
pub fn fchown(args: &Args) -> Result<u64, Errno> {
    owned_by_root(descriptor(args[0])?, args[1], args[2])
}

/// `lchown(path, uid, gid)`: a link itself, not what it points to.
pub fn lchown(args: &Args) -> Result<u64, Errno> {
    owned_by_root(paths::lookup(CWD, args[0], Follow::No)?, args[1], args[2])
}

/// `fchownat(dirfd, path, uid, gid, flags)`.
pub fn fchownat(args: &Args) -> Result<u64, Errno> {
    let [dirfd, path, uid, gid, flags, _] = *args;
    if flags & !u64::from(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno(EINVAL));
    }
    owned_by_root(at_path(dirfd, path, flags)?, uid, gid)
}

/// Succeeds when `uid` and `gid` (32-bit ids) each are 0 or -1.
fn owned_by_root(_file: Found, uid: u64, gid: u64) -> Result<u64, Errno> {
    let root_or_unchanged = |id: u64| matches!(id as u32, 0 | u32::MAX);
    if root_or_unchanged(uid) && root_or_unchanged(gid) {
        Ok(0)
    } else {
        Err(Errno(EPERM))
    }
}
