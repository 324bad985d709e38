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
//! The *status flags* (`O_NONBLOCK`, `O_APPEND`, the access mode) belong
//! to the open file too, whatever its kind, so a descriptor copied by `dup`
//! or `fork` sees `fcntl(F_SETFL)` of the other (Linux's "open file
//! description"); a new `open` of the same file has its own.
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
    Console { rdev: u64, flags: StatusFlags },
    /// A file, directory or symbolic link of a mounted file system.
    Node(NodeFile),
    /// `/dev/null`, `/dev/zero`, `/dev/urandom`.
    Device { device: Device, flags: StatusFlags },
    /// One end of a pipe (`fs::pipe`).
    Pipe(PipeEnd),
}

/// The status flags `fcntl(F_SETFL)` may change and Kestrel keeps.
pub const SETTABLE_FLAGS: u32 = O_APPEND | O_NONBLOCK;

/// An open file's access mode and status flags: the `open` flags that
/// stay, as `F_SETFL` changed them since.
pub struct StatusFlags(AtomicU32);

impl StatusFlags {
    pub const fn new(flags: u32) -> StatusFlags {
        StatusFlags(AtomicU32::new(flags))
    }

    pub fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }

    /// `fcntl(F_SETFL)`: sets [`SETTABLE_FLAGS`] as `flags` says, keeps the rest.
    pub fn set_status(&self, flags: u32) {
        let kept = self.get() & !SETTABLE_FLAGS;
        self.0
            .store(kept | (flags & SETTABLE_FLAGS), Ordering::Relaxed);
    }

    fn readable(&self) -> bool {
        self.get() & O_ACCMODE != O_WRONLY
    }

    fn writable(&self) -> bool {
        self.get() & O_ACCMODE != O_RDONLY
    }
}

/// One append at a time, system-wide: finding the end and writing there is
/// one step for every `O_APPEND` writer. It sleeps (a disk write may).
static APPENDS: crate::tasks::mutex::Mutex<()> = crate::tasks::mutex::Mutex::new(());

/// A file of the VFS, open.
pub struct NodeFile {
    pub fs: Arc<dyn FileSystem>,
    pub at: Location,
    pub kind: Kind,
    /// The `open` flags that stay: the access mode, `O_APPEND`, ...
    flags: StatusFlags,
    position: Mutex<u64>,
    /// Where it was opened from and the path given (for
    /// `/proc/<pid>/fd/<n>`, which walks it again when asked).
    pub opened_as: Option<(Location, alloc::vec::Vec<u8>)>,
}

impl NodeFile {
    /// An open file of inode `at`, holding it until dropped.
    pub fn new(fs: Arc<dyn FileSystem>, at: Location, kind: Kind, flags: u32) -> NodeFile {
        fs.hold(at.ino);
        NodeFile {
            fs,
            at,
            kind,
            flags: StatusFlags::new(flags),
            position: Mutex::new(0),
            opened_as: None,
        }
    }

    /// The flags it was opened with, as `F_SETFL` changed them since.
    pub fn flags(&self) -> u32 {
        self.flags.get()
    }

    fn readable(&self) -> bool {
        self.flags.readable()
    }

    fn writable(&self) -> bool {
        self.flags.writable()
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

    /// Its path now, for `/proc/<pid>/fd/<n>`: the path it was opened by,
    /// walked again to an absolute one without links, if that still leads
    /// to it; else its name in the directory it was opened in, if it was
    /// renamed there; else that path, and ` (deleted)` if it has no name
    /// left.
    pub fn path(&self) -> alloc::vec::Vec<u8> {
        let mounts = crate::fs::vfs::mounts();
        if self.kind == Kind::Directory
            && let Ok(path) = mounts.path_of(self.at)
        {
            return path;
        }
        let Some((start, path)) = &self.opened_as else {
            return b"anon_inode:[file]".to_vec();
        };
        match mounts.resolve_with_path(*start, path) {
            Ok((at, full)) if at == self.at => full,
            _ => {
                let named = self.metadata().is_ok_and(|meta| meta.links > 0);
                if named && let Some(now) = mounts.renamed_within(*start, path, self.at) {
                    return now;
                }
                let mut stale = path.clone();
                if self.metadata().is_ok_and(|meta| meta.links == 0) {
                    stale.extend_from_slice(b" (deleted)");
                }
                stale
            }
        }
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
            OpenFile::Device { device, flags } if flags.readable() => Ok(device.read(buffer)),
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
            OpenFile::Device { flags, .. } if flags.writable() => Ok(data.len()),
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
            OpenFile::Console { rdev, .. } => Stat {
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

    /// The console, opened as device `rdev` (`/dev/console` or `/dev/tty`)
    /// with `flags`.
    pub fn console(rdev: u64, flags: u32) -> OpenFile {
        OpenFile::Console {
            rdev,
            flags: StatusFlags::new(flags),
        }
    }

    /// A device of `/dev`, opened with `flags`.
    pub fn device(device: Device, flags: u32) -> OpenFile {
        OpenFile::Device {
            device,
            flags: StatusFlags::new(flags),
        }
    }

    /// Whether this is the console (readable by line, writable, a terminal).
    pub fn is_console(&self) -> bool {
        matches!(self, OpenFile::Console { .. })
    }

    /// The access mode and status flags (`F_GETFL`), all kinds alike.
    pub fn status_flags(&self) -> u32 {
        match self {
            OpenFile::Console { flags, .. } | OpenFile::Device { flags, .. } => flags.get(),
            OpenFile::Node(file) => file.flags(),
            OpenFile::Pipe(end) => {
                let access = if end.writes() { O_WRONLY } else { O_RDONLY };
                access | if end.nonblocking() { O_NONBLOCK } else { 0 }
            }
        }
    }

    /// `fcntl(F_SETFL)`: sets [`SETTABLE_FLAGS`] as `flags` says.
    pub fn set_status_flags(&self, flags: u32) {
        match self {
            OpenFile::Console { flags: kept, .. } | OpenFile::Device { flags: kept, .. } => {
                kept.set_status(flags)
            }
            OpenFile::Node(file) => file.flags.set_status(flags),
            OpenFile::Pipe(end) => end.set_nonblocking(flags & O_NONBLOCK != 0),
        }
    }

    /// What `/proc/<pid>/fd/<n>` reads as (see `fs::procfs`): the path of
    /// a VFS file, `/dev/console`, `/dev/null`, ..., `pipe:[id]`.
    pub fn describe(&self) -> alloc::vec::Vec<u8> {
        let name = match self {
            OpenFile::Node(file) => return file.path(),
            OpenFile::Console { rdev, .. } if *rdev == crate::fs::devices::TTY => "/dev/tty",
            OpenFile::Console { .. } => "/dev/console",
            OpenFile::Device { device, .. } => device.path(),
            OpenFile::Pipe(end) => return alloc::format!("pipe:[{}]", end.id()).into_bytes(),
        };
        name.as_bytes().to_vec()
    }

    /// A new open file of the same console, device or pipe, opened with
    /// `flags` (`open` of `/proc/<pid>/fd/<n>`; a VFS file is opened by
    /// `open` itself). A pipe gives the end the access mode asks for (the
    /// same end for `O_RDWR`).
    pub fn reopen(&self, flags: u32) -> Option<OpenFile> {
        Some(match self {
            OpenFile::Node(_) => return None,
            OpenFile::Console { rdev, .. } => OpenFile::console(*rdev, flags),
            OpenFile::Device { device, .. } => OpenFile::device(*device, flags),
            OpenFile::Pipe(end) => {
                let writes = match flags & O_ACCMODE {
                    O_RDONLY => false,
                    O_WRONLY => true,
                    _ => end.writes(),
                };
                OpenFile::Pipe(end.another(writes, flags & O_NONBLOCK != 0))
            }
        })
    }

    /// Whether reads and writes of it must not wait (`O_NONBLOCK`).
    pub fn nonblocking(&self) -> bool {
        self.status_flags() & O_NONBLOCK != 0
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
