//! A hold on an inode: it keeps a file or directory alive while in use.
//!
//! Unix separates a file's names from its life: removing the last name of a
//! file that a process has open, or of the directory a process is in, does
//! not end it; it ends when the last user lets go. The file system counts
//! users through `FileSystem::hold` and `release`. An open file holds its
//! inode from `open` to its last close (`fs::file`); a process's current
//! directory is a [`Held`] shared by `fork` (`fs::context`).

use alloc::sync::Arc;
use core::fmt;
use vfs::{FileSystem, Location};

/// One hold on the inode at a location, released when dropped.
pub struct Held {
    fs: Arc<dyn FileSystem>,
    at: Location,
}

impl Held {
    /// Holds the inode at `at` of `fs`.
    pub fn new(fs: Arc<dyn FileSystem>, at: Location) -> Held {
        fs.hold(at.ino);
        Held { fs, at }
    }

    /// Where the held inode is.
    pub fn at(&self) -> Location {
        self.at
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        release(&*self.fs, self.at);
    }
}

impl fmt::Debug for Held {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Held({:?})", self.at)
    }
}

/// Ends one hold on the inode at `at`; a failure (a disk error while
/// freeing an inode without names) is reported, as nobody can be told.
pub fn release(fs: &dyn FileSystem, at: Location) {
    if let Err(errno) = fs.release(at.ino) {
        log::warn!(
            "releasing inode {} of mount {} failed: errno {errno}",
            at.ino,
            at.mount
        );
    }
}
