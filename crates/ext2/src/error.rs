//! Errors: a Linux errno number and a short reason.
//!
//! The kernel hands the errno straight to user space (`-ENOENT`, ...), so every
//! failure of this crate is one of the values Linux would give for the same
//! situation. The reason (`what`) is for people: a mount that refuses a
//! damaged disk says which check failed.

use core::fmt;

/// The errno values this crate returns (Linux numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Errno {
    /// Operation not permitted (a hard link to a directory).
    EPERM = 1,
    /// No such file or directory.
    ENOENT = 2,
    /// The disk failed, or the file system refers to a block that is not there.
    EIO = 5,
    /// The name already exists.
    EEXIST = 17,
    /// A path component is not a directory.
    ENOTDIR = 20,
    /// A directory where a file was needed.
    EISDIR = 21,
    /// An invalid argument (a name with `/`, a directory moved into itself).
    EINVAL = 22,
    /// The file would be larger than the format allows.
    EFBIG = 27,
    /// No free block or inode.
    ENOSPC = 28,
    /// The disk uses a feature that we can read but not write.
    EROFS = 30,
    /// Too many links (32,000 for ext2).
    EMLINK = 31,
    /// A name is longer than 255 bytes.
    ENAMETOOLONG = 36,
    /// The directory is not empty.
    ENOTEMPTY = 39,
    /// The file system is corrupted ("structure needs cleaning").
    EUCLEAN = 117,
}

/// An error: which errno, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    pub errno: Errno,
    pub what: &'static str,
}

impl Error {
    pub const fn new(errno: Errno, what: &'static str) -> Self {
        Error { errno, what }
    }

    /// The positive Linux errno number (the kernel returns its negation).
    pub fn number(&self) -> i32 {
        self.errno as i32
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.errno, self.what)
    }
}

/// Shorthand for results of this crate.
pub type Result<T> = core::result::Result<T, Error>;

/// A corruption error ("structure needs cleaning").
pub(crate) const fn corrupt(what: &'static str) -> Error {
    Error::new(Errno::EUCLEAN, what)
}
