//! `/proc`: a tiny file system with one link, `/proc/self/exe`, two files
//! about the whole system, `/proc/uptime` and `/proc/meminfo`, and one
//! directory per process, `/proc/<pid>`, with its `stat` and `cmdline`.
//!
//! Programs find their own file through `/proc/self/exe` (busybox's shell
//! re-executes itself this way). It is a symbolic link whose target depends
//! on who asks: the path of the program the *calling* process runs. So this
//! file system has three fixed inodes (the root, `self`, `exe`) and answers
//! `readlink` of `exe` from the calling process's record
//! (`process::files::exe_path`, given at boot through
//! [`set_exe_path_source`]). Walking, `open` and `execve` follow the
//! link like any other, so they all reach the program's file.
//!
//! The files' contents are made up at each read, by the layers that know
//! (`syscall::system_info`, `process::proc_files`), asked through
//! [`set_proc_source`]. A process's directory and files are made up when
//! they are looked at:
//! their inode numbers encode the pid and the file (`pid * 4 + k`, above
//! the fixed ones), and their contents come from the process layer
//! (`process::proc_files`, through [`set_proc_source`]) at each read, so
//! `ps` sees the processes as they are. The root lists the pids in
//! increasing order, its cursor being the next pid to look for, so a
//! process that ends during a listing never makes another one skipped.
//! Nothing here can be changed: every change is `EACCES`.

use alloc::vec::Vec;
use linux_raw_sys::errno::{EACCES, EINVAL, EISDIR, ENOENT, ENOTDIR};
use spin::Once;
use vfs::{DirEntry, Errno, FileSystem, Ino, Kind, Metadata, StatFs};

const ROOT: Ino = 1;
const SELF: Ino = 2;
const EXE: Ino = 3;
const UPTIME: Ino = 4;
const MEMINFO: Ino = 5;
/// `/proc/<pid>` is `PIDS + pid * 4`; its `stat` and `cmdline` follow it.
const PIDS: Ino = 1 << 16;
const STAT: u64 = 1;
const CMDLINE: u64 = 2;
/// The root's fixed entries before the pids: `.`, `..`, `self`, `uptime`,
/// `meminfo`.
const FIXED_ENTRIES: u64 = 5;
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

/// What `/proc/<pid>` asks the process layer (see [`set_proc_source`]).
#[derive(Clone, Copy)]
pub struct ProcSource {
    /// Every pid, in increasing order.
    pub pids: fn() -> Vec<u32>,
    /// Whether process `pid` exists (zombies too): one look, nothing made.
    pub exists: fn(u32) -> bool,
    /// `/proc/<pid>/stat`, `None` if there is no such process.
    pub stat: fn(u32) -> Option<Vec<u8>>,
    /// `/proc/<pid>/cmdline`, `None` if there is no such process.
    pub cmdline: fn(u32) -> Option<Vec<u8>>,
    /// `/proc/uptime`.
    pub uptime: fn() -> Vec<u8>,
    /// `/proc/meminfo`.
    pub meminfo: fn() -> Vec<u8>,
}

static PROCESSES: Once<ProcSource> = Once::new();

/// Tells `/proc/<pid>` where to find the processes.
pub fn set_proc_source(source: ProcSource) {
    PROCESSES.call_once(|| source);
}

/// The pid and file (0 the directory, [`STAT`], [`CMDLINE`]) of `ino`.
fn pid_file(ino: Ino) -> Option<(u32, u64)> {
    let n = ino.checked_sub(PIDS)?;
    Some((u32::try_from(n / 4).ok()?, n % 4))
}

/// Whether process `pid` exists.
fn exists(pid: u32) -> bool {
    PROCESSES.get().is_some_and(|source| (source.exists)(pid))
}

/// The contents of the system file `ino` (`None`: not one).
fn system_file(ino: Ino) -> Option<Vec<u8>> {
    let source = PROCESSES.get()?;
    match ino {
        UPTIME => Some((source.uptime)()),
        MEMINFO => Some((source.meminfo)()),
        _ => None,
    }
}

/// The contents of `/proc/<pid>/`'s file `file`.
fn contents(pid: u32, file: u64) -> Option<Vec<u8>> {
    let source = PROCESSES.get()?;
    match file {
        STAT => (source.stat)(pid),
        CMDLINE => (source.cmdline)(pid),
        _ => None,
    }
}

/// The names in each directory: (directory, name, inode).
const NAMES: [(Ino, &[u8], Ino); 4] = [
    (ROOT, b"self", SELF),
    (SELF, b"exe", EXE),
    (ROOT, b"uptime", UPTIME),
    (ROOT, b"meminfo", MEMINFO),
];

impl FileSystem for ProcFs {
    fn root(&self) -> Ino {
        ROOT
    }

    fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        if let Some((pid, file)) = pid_file(dir) {
            return match (file, name) {
                (0, b".") if exists(pid) => Ok(dir),
                (0, b"..") => Ok(ROOT),
                (0, b"stat") if exists(pid) => Ok(dir + STAT),
                (0, b"cmdline") if exists(pid) => Ok(dir + CMDLINE),
                (0, _) => Err(ENOENT),
                _ => Err(ENOTDIR),
            };
        }
        if dir == ROOT {
            let pid = core::str::from_utf8(name)
                .ok()
                .and_then(|n| n.parse::<u32>().ok());
            if let Some(pid) = pid.filter(|&pid| name[0] != b'0' && exists(pid)) {
                return Ok(PIDS + u64::from(pid) * 4);
            }
        }
        match (dir, name) {
            (EXE | UPTIME | MEMINFO, _) => Err(ENOTDIR),
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
        let (mode, links, size) = match (ino, pid_file(ino)) {
            (ROOT | SELF, _) => (Kind::Directory.mode_bits() | 0o555, 3, 0),
            (EXE, _) => (Kind::Symlink.mode_bits() | 0o777, 1, 0),
            (UPTIME | MEMINFO, _) => (Kind::File.mode_bits() | 0o444, 1, 0),
            (_, Some((pid, 0))) if exists(pid) => (Kind::Directory.mode_bits() | 0o555, 2, 0),
            // (Size 0, as Linux says for its made-up files: read to the end.)
            (_, Some((pid, STAT | CMDLINE))) if exists(pid) => {
                (Kind::File.mode_bits() | 0o444, 1, 0)
            }
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

    fn read(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let bytes = match pid_file(ino) {
            Some((pid, file @ (STAT | CMDLINE))) => contents(pid, file),
            _ => system_file(ino),
        };
        match bytes {
            Some(bytes) => {
                let from = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                let n = buf.len().min(bytes.len() - from);
                buf[..n].copy_from_slice(&bytes[from..from + n]);
                Ok(n)
            }
            // (A process that ended since its file was opened.)
            None if matches!(pid_file(ino), Some((_, STAT | CMDLINE))) => Err(ENOENT),
            None => Err(if ino == EXE { EINVAL } else { EISDIR }),
        }
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
        if matches!(dir, EXE | UPTIME | MEMINFO) {
            return Err(ENOTDIR);
        }
        let entry = |ino, kind, name: &[u8]| DirEntry {
            ino,
            kind,
            name: name.to_vec(),
        };
        if let Some((pid, file)) = pid_file(dir) {
            if file != 0 {
                return Err(ENOTDIR);
            }
            let found = match cursor {
                0 => entry(dir, Kind::Directory, b"."),
                1 => entry(ROOT, Kind::Directory, b".."),
                2 => entry(dir + STAT, Kind::File, b"stat"),
                3 => entry(dir + CMDLINE, Kind::File, b"cmdline"),
                _ => return Ok(None),
            };
            return if exists(pid) {
                Ok(Some((found, cursor + 1)))
            } else {
                Err(ENOENT)
            };
        }
        if dir == ROOT && cursor >= FIXED_ENTRIES {
            // The cursor is FIXED_ENTRIES + the smallest pid still to list.
            let from = cursor - FIXED_ENTRIES;
            let pids = PROCESSES
                .get()
                .map(|source| (source.pids)())
                .unwrap_or_default();
            return Ok(pids
                .into_iter()
                .find(|&pid| u64::from(pid) >= from)
                .map(|pid| {
                    let name = alloc::format!("{pid}");
                    let found = entry(PIDS + u64::from(pid) * 4, Kind::Directory, name.as_bytes());
                    (found, FIXED_ENTRIES + u64::from(pid) + 1)
                }));
        }
        let found = match cursor {
            0 => entry(dir, Kind::Directory, b"."),
            1 => entry(ROOT, Kind::Directory, b".."),
            2 if dir == ROOT => entry(SELF, Kind::Directory, b"self"),
            3 if dir == ROOT => entry(UPTIME, Kind::File, b"uptime"),
            4 if dir == ROOT => entry(MEMINFO, Kind::File, b"meminfo"),
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
