//! Files: what programs open, read, write and list.
//!
//! - `vfs`: the tree of mounted file systems (`crates/vfs` walks it);
//! - `ramdisk`: the cpio archive of programs and data files the bootloader
//!   loaded, copied into the root tmpfs when there is no disk;
//! - `devices`: `/dev` and its device files; `procfs`: `/proc` (processes,
//!   their programs and open files);
//! - `file`: an *open* file, the thing a file descriptor stands for (the
//!   console, a file or directory of the VFS, a device), with its position;
//! - `held`: a hold that keeps an inode alive without names while in use;
//! - `table`: a process's table of descriptors, and the one it starts with;
//! - `context`: a process's current directory, umask and program path;
//! - `ext2_mount`: the disk's ext2 file system, mounted at `/` at boot;
//! - `pipe`: pipes, a queue of bytes between two open files;
//! - `readiness`: how a sleeping `poll` learns a file may be ready.
//!
//! The calling process's table is reached through `process::files`; the system
//! calls that use all this are in `syscall::files`.

pub mod context;
pub mod devices;
pub mod ext2_mount;
pub mod file;
pub mod held;
pub mod pipe;
pub mod procfs;
pub mod ramdisk;
pub mod readiness;
pub mod table;
pub mod vfs;
