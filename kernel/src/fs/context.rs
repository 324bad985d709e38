//! A process's place in the file tree: its current directory, its file
//! creation mask, and the path of the program it runs.
//!
//! - The current directory is where relative paths start (`chdir` moves
//!   it, `getcwd` tells it). `None` stands for `/`, whatever file system is
//!   at `/` when it is used.
//! - The *umask* takes permission bits away from every file and directory
//!   the process makes (`open` with `O_CREAT`, `mkdir`): the usual `0o022`
//!   leaves others without write permission.
//! - The program's path is what `/proc/self/exe` points to (`fs::procfs`).
//!
//! A forked child gets a copy; `execve` changes only the program's path.

use alloc::vec::Vec;
use vfs::Location;

/// The umask a first process starts with.
pub const DEFAULT_UMASK: u32 = 0o022;

#[derive(Clone, Debug)]
pub struct FsContext {
    pub cwd: Option<Location>,
    pub umask: u32,
    pub exe: Option<Vec<u8>>,
}

impl FsContext {
    pub const fn new() -> FsContext {
        FsContext {
            cwd: None,
            umask: DEFAULT_UMASK,
            exe: None,
        }
    }
}

impl Default for FsContext {
    fn default() -> Self {
        FsContext::new()
    }
}
