//! Files: what programs open, read and list.
//!
//! - `ramdisk`: the cpio archive of programs and data files the bootloader
//!   loaded, served read-only (`/bin/hello`, `/etc/motd`);
//! - `file`: an *open* file, the thing a file descriptor stands for (the
//!   console, a ramdisk file, a ramdisk directory), with its position;
//! - `pipe`: pipes, a queue of bytes between two open files;
//! - `readiness`: how a sleeping `poll` learns a file may be ready;
//! - `table`: a process's table of descriptors, and the one it starts with.
//!
//! The calling process's table is reached through `process::files`; the system
//! calls that use all this are in `syscall::files`.

pub mod file;
pub mod pipe;
pub mod ramdisk;
pub mod readiness;
pub mod table;
