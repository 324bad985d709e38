//! `/proc`: a tiny file system with one link, `/proc/self/exe`.
//!
//! Programs find their own file through `/proc/self/exe` (busybox's shell
//! re-executes itself this way). It is a symbolic link whose target depends
//! on who asks: the path of the program the *calling* process runs. So this
//! file system has three fixed inodes (the root, `self`, `exe`) and answers
//! `readlink` of `exe` from the calling process's record
//! (`process::files::exe_path`, given at boot through
//! [`set_exe_path_source`]). Walking, `open` and `execve` follow the
//! link like any other, so they all reach the program's file. Nothing here
//! can be changed: every change is `EACCES`.

use alloc::vec::Vec;
use linux_raw_sys::errno::{EACCES, EINVAL, EISDIR, ENOENT, ENOTDIR};
use spin::Once;
use vfs::{DirEntry, Errno, FileSystem, Ino, Kind, Metadata, StatFs};

const ROOT: Ino = 1;
const SELF: Ino = 2;
const EXE: Ino = 3;
/// `f_type` of Linux's procfs.
const PROC_MAGIC: u64 = 0x9fa0;

pub struct ProcFs;

/// Where `exe` asks for the calling process's program path: set by the
/// process layer at boot ([`set_exe_path_source`]), so that this file
/// system, below processes, does not call up into them.
static EXE_PATH: Once<fn() -> Option<Vec<u8>>> = Once::new();

/// Tells `/proc/self/exe` how to find the calling process's program path.
pub fn set_exe_path_source(source: fn() -> Option<Vec<u8>>) {
    EXE_PATH.call_once(|| source);
}

/// The names in each directory: (directory, name, inode).
const NAMES: [(Ino, &[u8], Ino); 2] = [(ROOT, b"self", SELF), (SELF, b"exe", EXE)];

impl FileSystem for ProcFs {
    fn root(&self) -> Ino {
        ROOT
    }

    fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        match (dir, name) {
            (EXE, _) => Err(ENOTDIR),
            (_, b".") => Ok(dir),
            (_, b"..") => Ok(ROOT),
            _ => NAMES
                .iter()
                .find(|(d, n, _)| *d == dir && *n == name)
                .map(|(_, _, ino)| *ino)
                .ok_or(ENOENT),
        }
    }

    fn metadata(&self, ino: Ino) -> Result<Metadata, Errno> {
        let (mode, links, size) = match ino {
            ROOT | SELF => (Kind::Directory.mode_bits() | 0o555, 3, 0),
            EXE => (Kind::Symlink.mode_bits() | 0o777, 1, 0),
            _ => return Err(ENOENT),
        };
        let now = crate::fs::vfs::now();
        Ok(Metadata {
            ino,
            mode,
            links,
            size,
            atime: now,
            mtime: now,
            ctime: now,
            ..Metadata::default()
        })
    }

    fn read(&self, ino: Ino, _: u64, _: &mut [u8]) -> Result<usize, Errno> {
        Err(if ino == EXE { EINVAL } else { EISDIR })
    }

    fn write(&self, _: Ino, _: u64, _: &[u8]) -> Result<usize, Errno> {
        Err(EACCES)
    }

    fn truncate(&self, _: Ino, _: u64) -> Result<(), Errno> {
        Err(EACCES)
    }

    fn create(&self, _: Ino, _: &[u8], _: Kind, _: u32, _: u64) -> Result<Ino, Errno> {
        Err(EACCES)
    }

    fn mkdir(&self, _: Ino, _: &[u8], _: u32) -> Result<Ino, Errno> {
        Err(EACCES)
    }

    fn symlink(&self, _: Ino, _: &[u8], _: &[u8]) -> Result<Ino, Errno> {
        Err(EACCES)
    }

    fn readlink(&self, ino: Ino) -> Result<Vec<u8>, Errno> {
        match ino {
            EXE => EXE_PATH.get().and_then(|path| path()).ok_or(ENOENT),
            _ => Err(EINVAL),
        }
    }

    fn link(&self, _: Ino, _: Ino, _: &[u8]) -> Result<(), Errno> {
        Err(EACCES)
    }

    fn unlink(&self, _: Ino, _: &[u8]) -> Result<(), Errno> {
        Err(EACCES)
    }

    fn rmdir(&self, _: Ino, _: &[u8]) -> Result<(), Errno> {
        Err(EACCES)
    }

    fn rename(&self, _: Ino, _: &[u8], _: Ino, _: &[u8]) -> Result<(), Errno> {
        Err(EACCES)
    }

    fn readdir(&self, dir: Ino, cursor: u64) -> Result<Option<(DirEntry, u64)>, Errno> {
        if dir == EXE {
            return Err(ENOTDIR);
        }
        let entry = |ino, kind, name: &[u8]| DirEntry {
            ino,
            kind,
            name: name.to_vec(),
        };
        let found = match cursor {
            0 => entry(dir, Kind::Directory, b"."),
            1 => entry(ROOT, Kind::Directory, b".."),
            2 if dir == ROOT => entry(SELF, Kind::Directory, b"self"),
            2 => entry(EXE, Kind::Symlink, b"exe"),
            _ => return Ok(None),
        };
        Ok(Some((found, cursor + 1)))
    }

    fn chmod(&self, _: Ino, _: u32) -> Result<(), Errno> {
        Err(EACCES)
    }

    fn set_times(&self, _: Ino, _: Option<u64>, _: Option<u64>) -> Result<(), Errno> {
        Err(EACCES)
    }

    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }

    fn statfs(&self) -> Result<StatFs, Errno> {
        Ok(StatFs {
            magic: PROC_MAGIC,
            block_size: 4096,
            name_max: 255,
            ..StatFs::default()
        })
    }
}
