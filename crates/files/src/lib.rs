//! Files as a Linux program sees them, without the hardware: the pure logic
//! behind `open`, `read`, `lseek`, `fstat`, `getdents64` and `close`.
//!
//! A program names an open file by a small number, its *file descriptor*.
//! Each process has a table from descriptors to open files ([`FdTable`]):
//! `open` puts the file in the lowest free slot (Linux's rule, on which
//! `close(1); open(...)` redirection depends), `close` empties the slot, and
//! a full table refuses with `EMFILE`.
//!
//! The files themselves live, for now, in the ramdisk: a cpio archive that
//! the kernel serves read-only ([`path`] finds a path in it, with Linux's
//! errors). An open file has a position, moved by `read` and `lseek`
//! ([`seek`]); `fstat` describes it in Linux's `struct stat` ([`stat`]);
//! reading a directory with `getdents64` gives `struct linux_dirent64`
//! records ([`dirent`]).
//!
//! Errors are Linux's error numbers (`linux_raw_sys::errno`), as `u32`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod dirent;
pub mod path;
pub mod seek;
pub mod stat;
pub mod table;

pub use path::{Node, lookup};
pub use table::FdTable;

/// A Linux error number (`EBADF` = 9, ...).
pub type Errno = u32;
