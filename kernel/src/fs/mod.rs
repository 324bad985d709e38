//! Files: what programs open, read and list.
//!
//! - `ramdisk`: the cpio archive of programs and data files the bootloader
//!   loaded, served read-only (`/bin/hello`, `/etc/motd`);
//! - `file`: an *open* file, the thing a file descriptor stands for (the
//!   console, a ramdisk file, a ramdisk directory), with its position;
//! - `table`: a process's table of descriptors, and the one it starts with;
//! - `ext2_mount`: the disk's ext2 file system, mounted at boot;
//!   `disk_root`: where it waits for the VFS.
//!
//! The calling process's table is reached through `process::files`; the system
//! calls that use all this are in `syscall::files`.

pub mod disk_root;
pub mod ext2_mount;
pub mod file;
pub mod ramdisk;
pub mod table;
