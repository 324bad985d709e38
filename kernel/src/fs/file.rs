//! An open file: what a file descriptor stands for.
//!
//! `open` makes one; `read`, `write`, `lseek`, `fstat` and `getdents64` use
//! it. It is an enum, one variant per kind of file: the console, a file or
//! directory of the VFS ([`NodeFile`]: its file system, its location, the
//! flags it was opened with, its position), a device of `/dev` that is not
//! the console. The position lives in the open file, not in the descriptor:
//! descriptors are `Arc<OpenFile>`, so a copy of the table (for `fork`)
//! shares positions with the original, as on Linux.
//!
//! Access is checked here, as Linux does: reading a file opened `O_WRONLY`,
//! or writing one opened `O_RDONLY`, is `EBADF`. With `O_APPEND` (set at
//! `open` or by `fcntl(F_SETFL)`), every write goes to the end of the file,
//! `pwrite64`'s too, as on Linux; appends are serialised by one lock, so
//! two descriptors appending never overwrite each other. A directory's
//! position is the file system's `readdir` cursor.
//!
//! An open VFS file holds its inode (`FileSystem::hold`) from `open` until
//! the open file is dropped (its last descriptor closed): removing its last
//! name meanwhile does not free it (`fs::held`).

use crate::fs::devices::Device;
use crate::fs::held;
use crate::fs::pipe::{PIPE_MODE, PipeEnd};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering};
use files::Errno;
use files::stat::Stat;
use linux_raw_sys::errno::{EBADF, EINVAL, EISDIR, ENOTDIR, ESPIPE};
use linux_raw_sys::general::{O_ACCMODE, O_APPEND, O_NONBLOCK, O_RDONLY, O_WRONLY};
use spin::Mutex;
use vfs::{FileSystem, Kind, Location, Metadata};

/// One open file.
pub enum OpenFile {
    /// The keyboard/serial input and the screen/serial output, opened as
    /// the device `rdev` (`/dev/console`, or `/dev/tty`).
    Console { rdev: u64 },
    /// A file, directory or symbolic link of a mounted file system.
    Node(NodeFile),
    /// `/dev/null`, `/dev/zero`, `/dev/urandom`.
    Device { device: Device, flags: u32 },
    /// One end of a pipe (`fs::pipe`).
    Pipe(PipeEnd),
}

/// The status flags `fcntl(F_SETFL)` may change on a VFS file.
pub const SETTABLE_FLAGS: u32 = O_APPEND | O_NONBLOCK;

/// One append at a time, system-wide: finding the end and writing there is
/// one step for every `O_APPEND` writer. It sleeps (a disk write may).
static APPENDS: crate::tasks::mutex::Mutex<()> = crate::tasks::mutex::Mutex::new(());

/// A file of the VFS, open.
pub struct NodeFile {
    pub fs: Arc<dyn FileSystem>,
    pub at: Location,
    pub kind: Kind,
    /// The `open` flags that stay: the access mode, `O_APPEND`, ...
    flags: AtomicU32,
    position: Mutex<u64>,
}

impl NodeFile {
    /// An open file of inode `at`, holding it until dropped.
    pub fn new(fs: Arc<dyn FileSystem>, at: Location, kind: Kind, flags: u32) -> NodeFile {
        fs.hold(at.ino);
        NodeFile {
            fs,
            at,
            kind,
            flags: AtomicU32::new(flags),
            position: Mutex::new(0),
        }
    }

    /// The flags it was opened with, as `F_SETFL` changed them since.
    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// `fcntl(F_SETFL)`: sets [`SETTABLE_FLAGS`] as `flags` says, keeps the rest.
    pub fn set_status_flags(&self, flags: u32) {
        let kept = self.flags() & !SETTABLE_FLAGS;
        let set = flags & SETTABLE_FLAGS;
        self.flags.store(kept | set, Ordering::Relaxed);
    }

    fn readable(&self) -> bool {
        self.flags() & O_ACCMODE != O_WRONLY
    }

    fn writable(&self) -> bool {
        self.flags() & O_ACCMODE != O_RDONLY
    }

    fn appends(&self) -> bool {
        self.flags() & O_APPEND != 0
    }

    /// Writes `data` at the end of the file, under the append lock: the
    /// bytes written and the offset after them.
    fn append(&self, data: &[u8]) -> Result<(usize, u64), Errno> {
        let _one_at_a_time = APPENDS.lock();
        let end = self.metadata()?.size;
        let n = self.fs.write(self.at.ino, end, data)?;
        Ok((n, end + n as u64))
    }

    pub fn metadata(&self) -> Result<Metadata, Errno> {
        self.fs.metadata(self.at.ino)
    }

    fn check_file(&self) -> Result<(), Errno> {
        match self.kind {
            Kind::Directory => Err(EISDIR),
            Kind::File => Ok(()),
            _ => Err(EINVAL),
        }
    }
}

impl Drop for NodeFile {
    fn drop(&mut self) {
        held::release(&*self.fs, self.at);
    }
}

/// The `stat` of a file of mount `mount` with metadata `meta`.
pub fn stat_of(mount: vfs::MountId, meta: &Metadata) -> Stat {
    Stat {
        device: mount as u64 + 1,
        inode: meta.ino,
        links: u64::from(meta.links),
        mode: meta.mode,
        size: meta.size,
        uid: meta.uid,
        gid: meta.gid,
        rdev: meta.rdev,
        blocks: meta.blocks,
        atime: meta.atime,
        mtime: meta.mtime,
        ctime: meta.ctime,
    }
}

impl OpenFile {
    /// Copies bytes from the file's position into `buffer` and moves the
    /// position on; 0 at the end. Not for the console (see `syscall::console`).
    pub fn read(&self, buffer: &mut [u8]) -> Result<usize, Errno> {
        match self {
            OpenFile::Node(file) => {
                let mut position = file.position.lock();
                let n = self.read_at(buffer, *position)?;
                *position += n as u64;
                Ok(n)
            }
            _ => self.read_at(buffer, 0),
        }
    }

    /// Reads at `offset`, leaving the position (`pread64`).
    pub fn read_at(&self, buffer: &mut [u8], offset: u64) -> Result<usize, Errno> {
        match self {
            OpenFile::Node(file) => {
                if !file.readable() {
                    return Err(EBADF);
                }
                file.check_file()?;
                file.fs.read(file.at.ino, offset, buffer)
            }
            OpenFile::Device { device, flags } if flags & O_ACCMODE != O_WRONLY => {
                Ok(device.read(buffer))
            }
            OpenFile::Device { .. } => Err(EBADF),
            OpenFile::Console { .. } => Ok(0),
            // Pipes wait: `syscall::pipes` reads them; at an offset, never.
            OpenFile::Pipe(_) => Err(ESPIPE),
        }
    }

    /// Writes `data` at the position (at the end with `O_APPEND`) and moves
    /// the position on. Not for the console (see `syscall::io`).
    pub fn write(&self, data: &[u8]) -> Result<usize, Errno> {
        match self {
            OpenFile::Node(file) => {
                let mut position = file.position.lock();
                if file.appends() && file.writable() {
                    file.check_file()?;
                    let (n, end) = file.append(data)?;
                    *position = end;
                    return Ok(n);
                }
                let n = self.write_at(data, *position)?;
                *position += n as u64;
                Ok(n)
            }
            _ => self.write_at(data, 0),
        }
    }

    /// Writes at `offset`, leaving the position (`pwrite64`); with
    /// `O_APPEND`, at the end whatever the offset, as Linux does.
    pub fn write_at(&self, data: &[u8], offset: u64) -> Result<usize, Errno> {
        match self {
            OpenFile::Node(file) => {
                if !file.writable() {
                    return Err(EBADF);
                }
                file.check_file()?;
                if file.appends() {
                    return Ok(file.append(data)?.0);
                }
                file.fs.write(file.at.ino, offset, data)
            }
            OpenFile::Device { flags, .. } if flags & O_ACCMODE != O_RDONLY => Ok(data.len()),
            OpenFile::Device { .. } => Err(EBADF),
            OpenFile::Console { .. } => Ok(data.len()),
            // Pipes wait: `syscall::pipes` writes them; at an offset, never.
            OpenFile::Pipe(_) => Err(ESPIPE),
        }
    }

    /// `lseek`: the new position (see `files::seek`).
    pub fn seek(&self, offset: i64, whence: u32) -> Result<u64, Errno> {
        match self {
            OpenFile::Node(file) => {
                let mut position = file.position.lock();
                let size = match file.kind {
                    Kind::Directory => 0,
                    _ => file.metadata()?.size,
                };
                *position = files::seek::seek(*position, size, offset, whence)?;
                Ok(*position)
            }
            // Linux: the null and zero devices seek to 0, whatever asked.
            OpenFile::Device { .. } => Ok(0),
            OpenFile::Console { .. } | OpenFile::Pipe(_) => Err(ESPIPE),
        }
    }

    /// What `fstat` reports.
    pub fn stat(&self) -> Result<Stat, Errno> {
        Ok(match self {
            OpenFile::Console { rdev } => Stat {
                inode: 1,
                links: 1,
                mode: Kind::CharDevice.mode_bits() | crate::fs::devices::permissions(*rdev),
                rdev: *rdev,
                ..Stat::default()
            },
            OpenFile::Node(file) => stat_of(file.at.mount, &file.metadata()?),
            OpenFile::Device { device, .. } => Stat {
                inode: device.rdev(),
                links: 1,
                mode: Kind::CharDevice.mode_bits() | 0o666,
                rdev: device.rdev(),
                ..Stat::default()
            },
            OpenFile::Pipe(end) => Stat {
                inode: end.id(),
                links: 1,
                mode: PIPE_MODE,
                ..Stat::default()
            },
        })
    }

    /// `getdents64`: fills `out` with the next directory records; returns
    /// the bytes written (0 at the end). `ENOTDIR` for other files;
    /// `EINVAL` if not even one record fits.
    pub fn read_directory(&self, out: &mut [u8]) -> Result<usize, Errno> {
        let OpenFile::Node(file) = self else {
            return Err(ENOTDIR);
        };
        if file.kind != Kind::Directory {
            return Err(ENOTDIR);
        }
        let mut position = file.position.lock();
        let mut written = 0;
        // A batch at a time (an ext2 directory block from one parse); the
        // position moves entry by entry, so one that does not fit comes next.
        let mut batch = alloc::vec::Vec::new();
        loop {
            batch.clear();
            file.fs.readdir_batch(file.at.ino, *position, &mut batch)?;
            if batch.is_empty() {
                return Ok(written);
            }
            for (entry, next) in &batch {
                let kind = entry.kind.dirent_type();
                let put = files::dirent::put(
                    &mut out[written..],
                    entry.ino,
                    *next as i64,
                    kind,
                    &entry.name,
                );
                let Some(len) = put else {
                    return if written == 0 {
                        Err(EINVAL)
                    } else {
                        Ok(written)
                    };
                };
                written += len;
                *position = *next;
            }
        }
    }

    /// Whether this is the console (readable by line, writable, a terminal).
    pub fn is_console(&self) -> bool {
        matches!(self, OpenFile::Console { .. })
    }

    /// The VFS file, if this is one.
    pub fn node(&self) -> Option<&NodeFile> {
        match self {
            OpenFile::Node(file) => Some(file),
            _ => None,
        }
    }

    /// The pipe end this is, if it is one.
    pub fn as_pipe(&self) -> Option<&PipeEnd> {
        match self {
            OpenFile::Pipe(end) => Some(end),
            _ => None,
        }
    }
}
