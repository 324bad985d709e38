//! The virtual file system: the layer between the file system calls and
//! the file systems themselves.
//!
//! A program says `open("/tmp/notes.txt")`; it does not know that `/` is an
//! ext2 disk and `/tmp` a RAM file system. The kernel finds out by walking
//! the path one name at a time, asking whichever file system holds the
//! directory it stands in. Every file system answers the same questions, in
//! the trait [`FileSystem`]: look up a name in a directory, read and write
//! a file at an offset, create, rename, remove, list. A file is named by
//! its file system and an inode number ([`Ino`]), as in ext2 itself.
//!
//! Errors are Linux's error numbers (`linux_raw_sys::errno`), as `u32`.
//!
//! - `filesystem`: the trait;
//! - `tmpfs`: a file system in RAM (`/tmp`, and `/` when there is no disk);
//! - `dir_slots`: a tmpfs directory's names, in slots a listing resumes from;
//! - `mounts`: the table of mounted file systems, and [`Location`], a place
//!   in the whole tree (which mount, which inode);
//! - `walk`: path resolution (`.`, `..`, mounts, symbolic links) and back.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod dir_slots;
pub mod filesystem;
pub mod mounts;
pub mod tmpfs;
pub mod walk;

pub use filesystem::{DirEntry, FileSystem, Ino, Kind, Metadata, StatFs};
pub use mounts::{Location, MountId, Mounts};
pub use tmpfs::TmpFs;
pub use walk::{Follow, Parent};

/// The longest name in a directory, in bytes.
pub const NAME_MAX: usize = 255;
/// The longest path, counting its final NUL: a path has at most 4,095 bytes.
pub const PATH_MAX: usize = 4096;

/// A Linux error number (`ENOENT` = 2, ...).
pub type Errno = u32;
