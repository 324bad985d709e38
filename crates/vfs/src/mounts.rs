//! The mount table: which file system answers for which directory.
//!
//! The tree a program sees is stitched from several file systems. The
//! first one in the table is the root (`/`); each other one is *mounted* on
//! a directory of one mounted before it: from then on, walking into that
//! directory lands in the root of the mounted file system instead, and `..`
//! from that root climbs back out to the directory's parent.
//!
//! A place in the tree is a [`Location`]: a mount (its index in the table,
//! a [`MountId`]) and an inode number of that mount's file system. The
//! table only grows, so a `MountId` stays valid for as long as the table
//! lives.

use crate::Errno;
use crate::filesystem::{FileSystem, Ino};
use alloc::sync::Arc;
use alloc::vec::Vec;
use linux_raw_sys::errno::{EBUSY, ENOTDIR};

/// The index of a mount in its [`Mounts`] table; the root is 0.
pub type MountId = usize;

/// A file or directory in the whole tree: which mount, which inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub mount: MountId,
    pub ino: Ino,
}

struct Mount {
    fs: Arc<dyn FileSystem>,
    /// The directory it covers; `None` for the root.
    on: Option<Location>,
}

/// The mounted file systems (see the module docs).
pub struct Mounts {
    mounts: Vec<Mount>,
}

impl Mounts {
    /// A table with `root` mounted at `/`.
    pub fn new(root: Arc<dyn FileSystem>) -> Mounts {
        Mounts {
            mounts: alloc::vec![Mount { fs: root, on: None }],
        }
    }

    /// Mounts `fs` on the directory at `on`. `ENOTDIR` if it is not a
    /// directory, `EBUSY` if something is mounted there already.
    pub fn mount(&mut self, on: Location, fs: Arc<dyn FileSystem>) -> Result<MountId, Errno> {
        let meta = self.fs(on.mount).metadata(on.ino)?;
        if meta.kind() != Some(crate::Kind::Directory) {
            return Err(ENOTDIR);
        }
        if self.mounted_on(on).is_some() {
            return Err(EBUSY);
        }
        self.mounts.push(Mount { fs, on: Some(on) });
        Ok(self.mounts.len() - 1)
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Location {
        self.root_of(0)
    }

    /// The root directory of mount `id`.
    pub fn root_of(&self, id: MountId) -> Location {
        Location {
            mount: id,
            ino: self.fs(id).root(),
        }
    }

    /// The file system of mount `id`. Panics for an id this table never gave.
    pub fn fs(&self, id: MountId) -> &Arc<dyn FileSystem> {
        &self.mounts[id].fs
    }

    /// How many mounts there are.
    pub fn len(&self) -> usize {
        self.mounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.mounts.is_empty()
    }

    /// The mount whose root covers directory `at`, if any.
    pub fn mounted_on(&self, at: Location) -> Option<MountId> {
        self.mounts.iter().position(|m| m.on == Some(at))
    }

    /// Where `location` really is: the root of what is mounted on it
    /// (again and again, for mounts on mounts), or itself.
    pub fn cross_down(&self, mut location: Location) -> Location {
        while let Some(id) = self.mounted_on(location) {
            location = self.root_of(id);
        }
        location
    }

    /// The directory a mount's root covers (for `..`): for a location that
    /// is the root of a mount other than `/`, the covered directory (climbing
    /// through mounts on mounts); any other location is returned as is.
    pub fn cross_up(&self, mut location: Location) -> Location {
        while location == self.root_of(location.mount) {
            match self.mounts[location.mount].on {
                Some(on) => location = on,
                None => break,
            }
        }
        location
    }
}
