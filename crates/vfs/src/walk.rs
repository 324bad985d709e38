//! Path resolution: from a string like `../lib/./x` to a [`Location`].
//!
//! A path is split at `/` into names, walked one at a time from a start:
//! the root for an absolute path, the caller's directory (its current
//! directory, or the one an `*at` call's `dirfd` names) for a relative one.
//! Each step asks the file system of the current directory for the name,
//! then crosses into whatever is mounted there. Empty names (`a//b`) and `.`
//! change nothing; `..` goes to the parent, climbing out of a mount first
//! when standing at a mount's root; `..` of `/` is `/`.
//!
//! A symbolic link met on the way is replaced by its target (from `/` if the
//! target is absolute, else from the directory holding the link). The last
//! name is followed too unless the caller says not (`lstat`, `unlink`,
//! `readlink`, `O_NOFOLLOW`); a trailing `/` always follows it and demands a
//! directory. After [`MAX_SYMLINKS`] links in one resolution, `ELOOP`.
//!
//! Errors, as Linux gives them: `ENOENT` for a missing name or an empty
//! path, `ENOTDIR` for a name looked up in something not a directory,
//! `ENAMETOOLONG` for a name over [`NAME_MAX`] bytes or a path of
//! [`PATH_MAX`] bytes or more (the limit counts the final NUL).
//!
//! Calls that make or remove a name (`mkdir`, `unlink`, `rename`, ...) do
//! not resolve the last name: [`Mounts::resolve_parent`] walks to the
//! directory that should hold it and hands back the name itself.
//! [`Mounts::path_of`] goes the other way, from a directory to its absolute
//! path, by climbing `..` and finding each directory's name in its parent.

use crate::mounts::{Location, Mounts};
use crate::{Errno, Kind, NAME_MAX, PATH_MAX};
use alloc::vec::Vec;
use linux_raw_sys::errno::{ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR};

/// The most symbolic links followed in one resolution (Linux's `MAXSYMLINKS`).
pub const MAX_SYMLINKS: u32 = 40;

/// Whether the last name of a path is followed if it is a symbolic link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Follow {
    /// `stat`, `open`, `chdir`, `execve`: the link's target.
    Yes,
    /// `lstat`, `readlink`, `O_NOFOLLOW`: the link itself.
    No,
    /// `open`: like `Yes`, but a last name that is a link to an open file
    /// ([`FileSystem::is_open_file_link`](crate::FileSystem::is_open_file_link),
    /// `/proc/<pid>/fd/<n>`) is not followed: the caller opens that file.
    Open,
}

/// What [`Mounts::resolve_parent`] finds: the directory that holds (or
/// would hold) the last name, and that name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parent {
    pub dir: Location,
    /// The last name: empty for `/` itself, else one name (maybe `.` or `..`).
    pub name: Vec<u8>,
    /// Whether the path ended in `/` (so the name must be a directory).
    pub trailing_slash: bool,
}

impl Parent {
    /// Whether the name is `.`, `..` or empty (`/`): a name no call may
    /// make, remove or move.
    pub fn is_special(&self) -> bool {
        matches!(self.name.as_slice(), b"" | b"." | b"..")
    }
}

/// Puts the names of `path` on `pending` so that the first comes off
/// first; a trailing `/` becomes a last name `.`.
fn push_names(pending: &mut Vec<Vec<u8>>, path: &[u8]) {
    if path.last() == Some(&b'/') {
        pending.push(b".".to_vec());
    }
    let names = path.split(|&b| b == b'/').filter(|name| !name.is_empty());
    for name in names.rev() {
        pending.push(name.to_vec());
    }
}

/// Checks the length of a whole path and of each name in it.
fn check_lengths(path: &[u8]) -> Result<(), Errno> {
    if path.len() >= PATH_MAX {
        return Err(ENAMETOOLONG);
    }
    if path.split(|&b| b == b'/').any(|name| name.len() > NAME_MAX) {
        return Err(ENAMETOOLONG);
    }
    Ok(())
}

impl Mounts {
    /// What `path` names, walked from `start` if relative (see the module docs).
    pub fn resolve(&self, start: Location, path: &[u8], follow: Follow) -> Result<Location, Errno> {
        self.walk(start, path, follow)
    }

    /// The directory holding the last name of `path`, and that name,
    /// without looking the name itself up.
    pub fn resolve_parent(&self, start: Location, path: &[u8]) -> Result<Parent, Errno> {
        check_lengths(path)?;
        if path.is_empty() {
            return Err(ENOENT);
        }
        let trimmed_len = path.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
        let trailing_slash = trimmed_len < path.len();
        let trimmed = &path[..trimmed_len];
        let (dir_part, name) = match trimmed.iter().rposition(|&b| b == b'/') {
            Some(slash) => (&trimmed[..=slash], &trimmed[slash + 1..]),
            None if path.first() == Some(&b'/') => (&b"/"[..], &b""[..]),
            None => (&b""[..], trimmed),
        };
        let dir = if dir_part.is_empty() {
            start
        } else {
            self.resolve(start, dir_part, Follow::Yes)?
        };
        self.expect_directory(dir)?;
        Ok(Parent {
            dir,
            name: name.to_vec(),
            trailing_slash,
        })
    }

    /// The name `name` in directory `dir` (no symlink followed), crossed
    /// into a mount; `..` climbs out of mounts first.
    pub fn step(&self, dir: Location, name: &[u8]) -> Result<Location, Errno> {
        self.expect_directory(dir)?;
        match name {
            b"" | b"." => Ok(dir),
            b".." => {
                let covered = self.cross_up(dir);
                if covered == self.root() {
                    return Ok(covered);
                }
                let ino = self.fs(covered.mount).lookup(covered.ino, b"..")?;
                Ok(self.cross_down(Location { ino, ..covered }))
            }
            _ => {
                let ino = self.fs(dir.mount).lookup(dir.ino, name)?;
                Ok(self.cross_down(Location { ino, ..dir }))
            }
        }
    }

    /// The kind of the file at `at`.
    pub fn kind(&self, at: Location) -> Result<Kind, Errno> {
        let meta = self.fs(at.mount).metadata(at.ino)?;
        Ok(meta.kind().unwrap_or(Kind::File))
    }

    fn expect_directory(&self, at: Location) -> Result<(), Errno> {
        match self.kind(at)? {
            Kind::Directory => Ok(()),
            _ => Err(ENOTDIR),
        }
    }

    /// The walk itself, a loop over a stack of names still to visit (no
    /// recursion: a kernel stack is small). A link's target replaces the
    /// link's name on the stack; a trailing `/` is a last name `.`, which
    /// follows the name before it and demands a directory.
    fn walk(&self, start: Location, path: &[u8], follow: Follow) -> Result<Location, Errno> {
        check_lengths(path)?;
        if path.is_empty() {
            return Err(ENOENT);
        }
        let mut at = if path[0] == b'/' { self.root() } else { start };
        let mut pending: Vec<Vec<u8>> = Vec::new();
        push_names(&mut pending, path);
        let mut links = 0;
        while let Some(name) = pending.pop() {
            let next = self.step(at, &name)?;
            let last = pending.is_empty();
            if (!last || follow != Follow::No) && self.kind(next)? == Kind::Symlink {
                let fs = self.fs(next.mount);
                if last && follow == Follow::Open && fs.is_open_file_link(next.ino) {
                    return Ok(next);
                }
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(ELOOP);
                }
                let target = fs.readlink(next.ino)?;
                check_lengths(&target)?;
                match target.first() {
                    None => return Err(ENOENT),
                    Some(b'/') => at = self.root(),
                    Some(_) => {} // from the link's directory
                }
                push_names(&mut pending, &target);
                continue;
            }
            at = next;
        }
        Ok(at)
    }

    /// What `path` names (every link followed) and its absolute path
    /// without links, `.` or `..` (the path `/proc/self/exe` gives for a
    /// program started through `path`).
    pub fn resolve_with_path(
        &self,
        start: Location,
        path: &[u8],
    ) -> Result<(Location, Vec<u8>), Errno> {
        let mut parent = self.resolve_parent(start, path)?;
        let mut links = 0;
        loop {
            let at = self.step(parent.dir, &parent.name)?;
            let kind = self.kind(at)?;
            if kind == Kind::Symlink {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(ELOOP);
                }
                let target = self.fs(at.mount).readlink(at.ino)?;
                let slash = parent.trailing_slash;
                parent = self.resolve_parent(parent.dir, &target)?;
                parent.trailing_slash |= slash;
                continue;
            }
            if kind == Kind::Directory {
                return Ok((at, self.path_of(at)?));
            }
            if parent.trailing_slash {
                return Err(ENOTDIR);
            }
            let mut full = self.path_of(parent.dir)?;
            if full != b"/" {
                full.push(b'/');
            }
            full.extend_from_slice(&parent.name);
            return Ok((at, full));
        }
    }

    /// The absolute path of directory `dir` (for `getcwd`): `ENOENT` if it
    /// has been removed, `ENOTDIR` if it is not a directory.
    pub fn path_of(&self, dir: Location) -> Result<Vec<u8>, Errno> {
        self.expect_directory(dir)?;
        let mut names: Vec<Vec<u8>> = Vec::new();
        let mut at = dir;
        while at != self.root() {
            let covered = self.cross_up(at);
            if covered == self.root() {
                break;
            }
            let fs = self.fs(covered.mount);
            let parent_ino = fs.lookup(covered.ino, b"..")?;
            let parent = Location {
                ino: parent_ino,
                ..covered
            };
            names.push(self.name_in(parent, covered.ino)?);
            at = parent;
            if names.len() > PATH_MAX / 2 {
                return Err(ENAMETOOLONG);
            }
        }
        let mut path = Vec::new();
        for name in names.iter().rev() {
            path.push(b'/');
            path.extend_from_slice(name);
        }
        if path.is_empty() {
            path.push(b'/');
        }
        Ok(path)
    }

    /// Where a file opened through `path` (from `start`) is now if it was
    /// renamed inside the directory it was opened in: the absolute path of
    /// its name there (`/proc/<pid>/fd/<n>` of a file written under a
    /// temporary name and renamed into place). `None` if that directory no
    /// longer holds it (moved elsewhere, or removed).
    pub fn renamed_within(&self, start: Location, path: &[u8], file: Location) -> Option<Vec<u8>> {
        let parent = self.resolve_parent(start, path).ok()?;
        if parent.dir.mount != file.mount {
            return None;
        }
        let name = self.name_in(parent.dir, file.ino).ok()?;
        let mut full = self.path_of(parent.dir).ok()?;
        if full != b"/" {
            full.push(b'/');
        }
        full.extend_from_slice(&name);
        Some(full)
    }

    /// The name under which directory `parent` holds inode `ino`.
    fn name_in(&self, parent: Location, ino: crate::Ino) -> Result<Vec<u8>, Errno> {
        let fs = self.fs(parent.mount);
        let mut cursor = 0;
        while let Some((entry, next)) = fs.readdir(parent.ino, cursor)? {
            if entry.ino == ino && entry.name != b"." && entry.name != b".." {
                return Ok(entry.name);
            }
            cursor = next;
        }
        Err(ENOENT)
    }
}
