//! Files: what programs open, read and list.
//!
//! - `ramdisk`: the cpio archive of programs and data files the bootloader
//!   loaded, served read-only (`/bin/hello`, `/etc/motd`);
//! - `file`: an *open* file, the thing a file descriptor stands for (the
//!   console, a ramdisk file, a ramdisk directory), with its position.
//!
//! The per-process table of descriptors is in `process::files`; the system
//! calls that use all this are in `syscall::files`.

pub mod file;
pub mod ramdisk;
