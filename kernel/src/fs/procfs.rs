//! `/proc`: a tiny file system with two files about the whole system,
//! `/proc/uptime` and `/proc/meminfo`, one directory per process,
//! `/proc/<pid>`, and `/proc/self`, a symbolic link to the caller's.
//!
//! A process's directory holds `stat` and `cmdline` (files), `exe` and
//! `cwd` (symbolic links to its program and its current directory) and
//! `fd/`, with one symbolic link per open descriptor. A link's target
//! depends on who asks or is asked about: `self` reads as the *calling*
//! process's pid, so `/proc/self/exe` is the caller's program (busybox's
//! shell re-executes itself this way). Walking, `open` and `execve` follow
//! these links like any other.
//!
//! `fd/<n>` reads as the open file's path (`/dev/console` for the console,
//! `pipe:[id]` for a pipe, `id` being its `st_ino`); a file renamed inside
//! the directory it was opened in reads as its new name there, one removed
//! or moved elsewhere as the path it was opened by (and ` (deleted)` once
//! it has no name). Opening `fd/<n>` does not walk that text: the walk
//! stops at the link (`FileSystem::is_open_file_link`) and `open` makes a
//! new open file of the *same* file ([`open_file`]): the same inode (even
//! without names), the same pipe (the end the access mode asks for), the
//! console, a device; with its own position and status flags, as Linux.
//!
//! Everything is made up when looked at, from the process layer (asked
//! through hooks set at boot, [`set_proc_source`], so that this file
//! system, below processes, never calls up into them). Inode numbers
//! encode what they are: `PIDS + pid * 8 + k` for a process's directory
//! and files, `FDS + pid * 1024 + n` for `fd/<n>`. Directories list their
//! numbered entries in increasing order, the cursor being the next number
//! to look for, so an entry that goes during a listing never makes another
//! one skipped. Nothing here can be changed: every change is `EACCES`.

use crate::fs::file::OpenFile;
use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;
use linux_raw_sys::errno::{EACCES, EINVAL, EISDIR, ENOENT, ENOTDIR};
use linux_raw_sys::general::{O_ACCMODE, O_RDONLY, O_WRONLY};
use spin::Once;
use vfs::{DirEntry, Errno, FileSystem, Ino, Kind, Metadata, StatFs};

const ROOT: Ino = 1;
const SELF: Ino = 2;
const UPTIME: Ino = 4;
const MEMINFO: Ino = 5;
/// `/proc/<pid>` is `PIDS + pid * 8`; its entries follow it.
const PIDS: Ino = 1 << 16;
const STAT: u64 = 1;
const CMDLINE: u64 = 2;
const FD_DIR: u64 = 3;
const CWD: u64 = 4;
const EXE: u64 = 5;
/// `/proc/<pid>/fd/<n>` is `FDS + pid * FDS_PER_PID + n`.
const FDS: Ino = 1 << 40;
const FDS_PER_PID: u64 = 1024;
/// The root's fixed entries before the pids: `.`, `..`, `self`, `uptime`,
/// `meminfo`.
const FIXED_ENTRIES: u64 = 5;
/// A process directory's entries: `.`, `..` and these.
const PID_ENTRIES: [(u64, Kind, &[u8]); 5] = [
    (STAT, Kind::File, b"stat"),
    (CMDLINE, Kind::File, b"cmdline"),
    (FD_DIR, Kind::Directory, b"fd"),
    (CWD, Kind::Symlink, b"cwd"),
    (EXE, Kind::Symlink, b"exe"),
];
/// `f_type` of Linux's procfs.
const PROC_MAGIC: u64 = 0x9fa0;

pub struct ProcFs;

/// What `/proc` asks the process layer (see [`set_proc_source`]).
#[derive(Clone, Copy)]
pub struct ProcSource {
    /// The calling process's pid (`None` for a kernel thread).
    pub current: fn() -> Option<u32>,
    /// Every pid, in increasing order.
    pub pids: fn() -> Vec<u32>,
    /// Whether process `pid` exists (zombies too): one look, nothing made.
    pub exists: fn(u32) -> bool,
    /// `/proc/<pid>/stat`, `None` if there is no such process.
    pub stat: fn(u32) -> Option<Vec<u8>>,
    /// `/proc/<pid>/cmdline`, `None` if there is no such process.
    pub cmdline: fn(u32) -> Option<Vec<u8>>,
    /// The path of process `pid`'s program, if known.
    pub exe: fn(u32) -> Option<Vec<u8>>,
    /// The path of process `pid`'s current directory.
    pub cwd: fn(u32) -> Option<Vec<u8>>,
    /// Process `pid`'s open descriptors, in increasing order.
    pub fds: fn(u32) -> Vec<u32>,
    /// The open file of descriptor `fd` of process `pid`.
    pub file: fn(u32, u32) -> Option<Arc<OpenFile>>,
    /// `/proc/uptime`.
    pub uptime: fn() -> Vec<u8>,
    /// `/proc/meminfo`.
    pub meminfo: fn() -> Vec<u8>,
}

static PROCESSES: Once<ProcSource> = Once::new();

/// Tells `/proc` where to find the processes.
pub fn set_proc_source(source: ProcSource) {
    PROCESSES.call_once(|| source);
}

fn source() -> Option<&'static ProcSource> {
    PROCESSES.get()
}

/// The pid and entry (0 the directory, [`STAT`], ...) of `ino`.
fn pid_file(ino: Ino) -> Option<(u32, u64)> {
    let n = ino.checked_sub(PIDS).filter(|_| ino < FDS)?;
    Some((u32::try_from(n / 8).ok()?, n % 8))
}

/// The pid and descriptor of `fd/<n>`'s inode.
fn pid_fd(ino: Ino) -> Option<(u32, u32)> {
    let n = ino.checked_sub(FDS)?;
    let pid = u32::try_from(n / FDS_PER_PID).ok()?;
    Some((pid, (n % FDS_PER_PID) as u32))
}

fn pid_ino(pid: u32) -> Ino {
    PIDS + u64::from(pid) * 8
}

fn fd_ino(pid: u32, fd: u32) -> Ino {
    FDS + u64::from(pid) * FDS_PER_PID + u64::from(fd)
}

/// Whether process `pid` exists.
fn exists(pid: u32) -> bool {
    source().is_some_and(|source| (source.exists)(pid))
}

/// A decimal number as a name, if `name` is one (digits only, no leading 0).
fn number(name: &[u8]) -> Option<u32> {
    let digits = !name.is_empty() && name.iter().all(u8::is_ascii_digit);
    if !digits || (name[0] == b'0' && name.len() > 1) {
        return None;
    }
    core::str::from_utf8(name).ok()?.parse().ok()
}

/// The open file of descriptor `fd` of process `pid`.
fn file_of(pid: u32, fd: u32) -> Option<Arc<OpenFile>> {
    (source()?.file)(pid, fd)
}

/// The open file that `/proc/<pid>/fd/<n>` (inode `ino`) stands for: what
/// `open` of that link opens anew (see the module docs). `ENOENT` if the
/// descriptor was closed since.
pub fn open_file(ino: Ino) -> Result<Arc<OpenFile>, Errno> {
    let (pid, fd) = pid_fd(ino).ok_or(EINVAL)?;
    file_of(pid, fd).ok_or(ENOENT)
}

/// The contents of file `ino` (`None`: not one, or gone).
fn contents(ino: Ino) -> Option<Vec<u8>> {
    let source = source()?;
    match (ino, pid_file(ino)) {
        (UPTIME, _) => Some((source.uptime)()),
        (MEMINFO, _) => Some((source.meminfo)()),
        (_, Some((pid, STAT))) => (source.stat)(pid),
        (_, Some((pid, CMDLINE))) => (source.cmdline)(pid),
        _ => None,
    }
}

/// The kind of a process directory's entry `file`.
fn pid_entry_kind(file: u64) -> Option<Kind> {
    PID_ENTRIES
        .iter()
        .find(|(k, _, _)| *k == file)
        .map(|(_, kind, _)| *kind)
}

/// The kind of inode `ino`, if it exists now.
fn kind_of(ino: Ino) -> Option<Kind> {
    match ino {
        ROOT => return Some(Kind::Directory),
        SELF => return Some(Kind::Symlink),
        UPTIME | MEMINFO => return Some(Kind::File),
        _ => {}
    }
    if let Some((pid, fd)) = pid_fd(ino) {
        return file_of(pid, fd).map(|_| Kind::Symlink);
    }
    let (pid, file) = pid_file(ino)?;
    if !exists(pid) {
        return None;
    }
    match file {
        0 => Some(Kind::Directory),
        _ => pid_entry_kind(file),
    }
}

impl FileSystem for ProcFs {
    fn root(&self) -> Ino {
        ROOT
    }

    fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        match kind_of(dir) {
            Some(Kind::Directory) => {}
            Some(_) => return Err(ENOTDIR),
            None => return Err(ENOENT),
        }
        match (dir, name, pid_file(dir)) {
            (_, b".", _) => Ok(dir),
            (ROOT, b"..", _) | (_, b"..", Some((_, 0))) => Ok(ROOT),
            (_, b"..", Some((pid, _))) => Ok(pid_ino(pid)),
            (ROOT, b"self", _) => Ok(SELF),
            (ROOT, b"uptime", _) => Ok(UPTIME),
            (ROOT, b"meminfo", _) => Ok(MEMINFO),
            (ROOT, _, _) => match number(name) {
                Some(pid) if exists(pid) => Ok(pid_ino(pid)),
                _ => Err(ENOENT),
            },
            (_, _, Some((pid, FD_DIR))) => match number(name) {
                Some(fd) if file_of(pid, fd).is_some() => Ok(fd_ino(pid, fd)),
                _ => Err(ENOENT),
            },
            (_, _, Some((_, _))) => PID_ENTRIES
                .iter()
                .find(|(_, _, n)| *n == name)
                .map(|(file, _, _)| dir + file)
                .ok_or(ENOENT),
            _ => Err(ENOENT),
        }
    }

    fn metadata(&self, ino: Ino) -> Result<Metadata, Errno> {
        let kind = kind_of(ino).ok_or(ENOENT)?;
        let (perm, links) = match kind {
            Kind::Directory => (0o555, 2),
            Kind::Symlink => match pid_fd(ino).and_then(|(pid, fd)| file_of(pid, fd)) {
                // Linux shows the access mode in an fd link's permissions.
                Some(file) => match file.status_flags() & O_ACCMODE {
                    O_RDONLY => (0o500, 1),
                    O_WRONLY => (0o300, 1),
                    _ => (0o700, 1),
                },
                None => (0o777, 1),
            },
            // (Size 0, as Linux says for its made-up files: read to the end.)
            _ => (0o444, 1),
        };
        let now = crate::fs::vfs::now();
        Ok(Metadata {
            ino,
            mode: kind.mode_bits() | perm,
            links,
            size: 0,
            atime: now,
            mtime: now,
            ctime: now,
            ..Metadata::default()
        })
    }

    fn read(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let Some(bytes) = contents(ino) else {
            return Err(match kind_of(ino) {
                Some(Kind::Directory) => EISDIR,
                Some(Kind::Symlink) => EINVAL,
                // (A process that ended since its file was opened.)
                _ => ENOENT,
            });
        };
        let from = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let n = buf.len().min(bytes.len() - from);
        buf[..n].copy_from_slice(&bytes[from..from + n]);
        Ok(n)
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
        let source = source().ok_or(ENOENT)?;
        if ino == SELF {
            let pid = (source.current)().ok_or(ENOENT)?;
            return Ok(format!("{pid}").into_bytes());
        }
        if let Some((pid, fd)) = pid_fd(ino) {
            return Ok(file_of(pid, fd).ok_or(ENOENT)?.describe());
        }
        match pid_file(ino) {
            Some((pid, EXE)) => (source.exe)(pid).ok_or(ENOENT),
            Some((pid, CWD)) => (source.cwd)(pid).ok_or(ENOENT),
            _ => Err(EINVAL),
        }
    }

    fn is_open_file_link(&self, ino: Ino) -> bool {
        pid_fd(ino).is_some()
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
        match kind_of(dir) {
            Some(Kind::Directory) => {}
            Some(_) => return Err(ENOTDIR),
            None => return Err(ENOENT),
        }
        let entry = |ino, kind, name: &[u8]| DirEntry {
            ino,
            kind,
            name: name.to_vec(),
        };
        let parent = match pid_file(dir) {
            Some((pid, FD_DIR)) => pid_ino(pid),
            _ => ROOT,
        };
        let found = match (cursor, pid_file(dir)) {
            (0, _) => entry(dir, Kind::Directory, b"."),
            (1, _) => entry(parent, Kind::Directory, b".."),
            (_, Some((pid, FD_DIR))) => {
                // The cursor is 2 + the smallest descriptor still to list.
                let fds = source().map(|s| (s.fds)(pid)).unwrap_or_default();
                let Some(fd) = fds.into_iter().find(|&fd| u64::from(fd) + 2 >= cursor) else {
                    return Ok(None);
                };
                let name = format!("{fd}");
                let found = entry(fd_ino(pid, fd), Kind::Symlink, name.as_bytes());
                return Ok(Some((found, u64::from(fd) + 3)));
            }
            (_, Some(_)) => match PID_ENTRIES.get((cursor - 2) as usize) {
                Some((file, kind, name)) => entry(dir + file, *kind, name),
                None => return Ok(None),
            },
            (2, None) => entry(SELF, Kind::Symlink, b"self"),
            (3, None) => entry(UPTIME, Kind::File, b"uptime"),
            (4, None) => entry(MEMINFO, Kind::File, b"meminfo"),
            (_, None) => {
                // The cursor is FIXED_ENTRIES + the smallest pid still to list.
                let from = cursor - FIXED_ENTRIES;
                let pids = source().map(|s| (s.pids)()).unwrap_or_default();
                let Some(pid) = pids.into_iter().find(|&pid| u64::from(pid) >= from) else {
                    return Ok(None);
                };
                let name = format!("{pid}");
                let found = entry(pid_ino(pid), Kind::Directory, name.as_bytes());
                return Ok(Some((found, FIXED_ENTRIES + u64::from(pid) + 1)));
            }
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
