//! ext2 (revision 1) with an ext3-compatible journal: the on-disk format as
//! pure logic, with no hardware and no `std`.
//!
//! The kernel gives a [`BlockDevice`] (sectors to read and write, and a flush)
//! to [`Fs::mount`] and gets back a file system that works with inode
//! numbers: `lookup` a name in a directory, `read`/`write` a file at an
//! offset, `create`, `mkdir`, `unlink`, `rename`, `readdir`, `statfs`, ...
//! Errors are Linux errno values ([`Errno`]). [`mkfs`] formats a disk.
//!
//! The format is Linux's, so `mke2fs` makes disks this crate mounts and
//! `e2fsck`/`debugfs` check and read what it writes. The modules follow the
//! format from the bottom up:
//!
//! - `superblock`, `group`, `inode`: the fixed structures;
//! - `alloc_bitmap`: free blocks and inodes; `blockmap`: a file's blocks;
//! - `dir`: directory entries; `file`: contents; `names`: create, rename, ...;
//!   `orphans`: open files without names, kept until closed and across a crash;
//!   `xattr`: Linux's attribute blocks, freed with their inode;
//! - `txn`: the running transaction; `journal`: JBD2 commit and replay;
//!   `runs`: many blocks written as few device requests;
//! - `fs`: mount and unmount; `mkfs`: the formatter; `populate`: files by
//!   path, for building images;
//! - `vfs`: the adapter that makes a mounted `Fs` a `vfs::FileSystem`
//!   shared by every process (behind a lock the owner chooses).
//!
//! Nothing on the disk is trusted: every number read from it is checked
//! before use, so a damaged disk gives an error (EUCLEAN for a corrupted
//! structure, EIO for a failed read), never a panic or an endless loop.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod alloc_bitmap;
mod blockmap;
pub mod device;
pub mod dir;
pub mod error;
mod file;
pub mod fs;
pub mod group;
pub mod inode;
mod journal;
pub mod mkfs;
mod names;
mod orphans;
mod populate;
mod raw;
mod runs;
pub mod superblock;
mod txn;
pub mod vfs;
mod xattr;

pub use device::{BlockDevice, MemDisk, SECTOR};
pub use dir::DirEntry;
pub use error::{Errno, Error, Result};
pub use fs::{Fs, ROOT, Stat, StatFs};
pub use inode::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, dev_t};
pub use mkfs::{Options, mkfs};
pub use vfs::{Ext2, Lock};
