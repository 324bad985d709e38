//! A process's place in the file tree: its current directory, its file
//! creation mask, and the path of the program it runs.
//!
//! - The current directory is where relative paths start (`chdir` moves
//!   it, `getcwd` tells it). `None` stands for `/`, whatever file system is
//!   at `/` when it is used. Another directory is held (`fs::held`): if it
//!   is removed meanwhile, it stays usable (empty, taking no new names, and
//!   `getcwd` says `ENOENT`) until the process leaves it, as on Linux. A
//!   forked child shares the hold.
//! - The *umask* takes permission bits away from every file and directory
//!   the process makes (`open` with `O_CREAT`, `mkdir`): the usual `0o022`
//!   leaves others without write permission.
//! - The program's path is what `/proc/self/exe` points to (`fs::procfs`),
//!   and its arguments (each ended by a NUL byte, at most [`MAX_CMDLINE`]
//!   bytes kept) are what `/proc/<pid>/cmdline` shows.
//!
//! A forked child gets a copy; `execve` changes only the program's path
//! and arguments.

use crate::fs::held::Held;
use alloc::sync::Arc;
use alloc::vec::Vec;

/// The umask a first process starts with.
pub const DEFAULT_UMASK: u32 = 0o022;

/// How many bytes of a program's arguments `/proc/<pid>/cmdline` keeps.
pub const MAX_CMDLINE: usize = 4096;

#[derive(Clone, Debug)]
pub struct FsContext {
    pub cwd: Option<Arc<Held>>,
    pub umask: u32,
    pub exe: Option<Vec<u8>>,
    pub cmdline: Vec<u8>,
}

impl FsContext {
    pub const fn new() -> FsContext {
        FsContext {
            cwd: None,
            umask: DEFAULT_UMASK,
            exe: None,
            cmdline: Vec::new(),
        }
    }
}

impl FsContext {
    /// Records `args` as the program's arguments (see [`MAX_CMDLINE`]).
    pub fn set_cmdline(&mut self, args: &[&[u8]]) {
        self.cmdline.clear();
        for arg in args {
            if self.cmdline.len() + arg.len() + 1 > MAX_CMDLINE {
                break;
            }
            self.cmdline.extend_from_slice(arg);
            self.cmdline.push(0);
        }
    }
}

impl Default for FsContext {
    fn default() -> Self {
        FsContext::new()
    }
}
