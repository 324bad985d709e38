//! The adapter: an ext2 [`Fs`] as a VFS file system (`vfs::FileSystem`).
//!
//! The VFS shares one mounted file system between every process, so its
//! methods take `&self`; `Fs` needs `&mut self` for everything (even a read
//! goes through the running transaction). [`Ext2`] therefore keeps the `Fs`
//! behind a lock, and each VFS call is one locked call of `Fs`: a mutating
//! one is one all-or-nothing operation of the running transaction, which
//! `sync` commits through the journal.
//!
//! The lock is a type parameter ([`Lock`]), because who may wait how differs:
//! the kernel holds the lock across disk reads, during which the thread
//! sleeps, so it needs a mutex that puts waiters to sleep; the host tests use
//! `std`'s. The rest is translation:
//!
//! - inode numbers: ext2's `u32` in the VFS's `u64` (a number that does not
//!   fit is refused with `EINVAL`, it cannot have come from us);
//! - errors: the crate's `Errno` is already Linux's number;
//! - `stat`: mode, links, owner, size, 512-byte blocks, the three times;
//! - `readdir`: the crate's cursor (a byte offset in the directory) is the
//!   VFS cursor, and entries without a type byte get their inode's type;
//!   `readdir_batch` lists the rest of a directory block from one parse;
//! - `statfs`: ext2's magic `0xEF53` and the block and inode counts;
//! - `hold`/`release`: `Fs::hold`/`Fs::drop_hold` (open files kept after
//!   their last name, on the orphan list).
//!
//! Inode times come from a clock the owner passes in (seconds since 1970):
//! the kernel's real-time clock, a fixed value in tests.

use crate::device::BlockDevice;
use crate::error::{Errno as Code, Error};
use crate::fs::{Fs, ROOT};
use crate::inode::S_IFMT;
use alloc::vec::Vec;
use vfs::{DirEntry, Errno, FileSystem, Ino, Kind, Metadata, StatFs};

/// ext2's magic number, as `statfs` reports it in `f_type`.
pub const EXT2_MAGIC: u64 = 0xEF53;

/// A lock around a value: one caller at a time gets `&mut T`.
///
/// The kernel implements it with a sleeping mutex (the holder may wait for
/// the disk), host tests with `std::sync::Mutex`.
pub trait Lock<T>: Send + Sync {
    /// A lock holding `value`.
    fn new(value: T) -> Self;
    /// Runs `f` with the value, holding the lock meanwhile.
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R;
}

/// A mounted ext2 file system, shareable between threads.
pub struct Ext2<D: BlockDevice, L: Lock<Fs<D>>> {
    fs: L,
    /// Seconds since 1970, for inode times.
    clock: fn() -> u64,
    _device: core::marker::PhantomData<fn() -> D>,
}

/// The Linux errno of a crate error.
pub fn errno(e: Error) -> Errno {
    e.number() as Errno
}

/// An inode number the VFS gives back to us.
fn ino32(ino: Ino) -> Result<u32, Errno> {
    u32::try_from(ino).map_err(|_| Code::EINVAL as Errno)
}

/// Permission bits as ext2 stores them (the type bits are not the caller's).
fn perm16(perm: u32) -> u16 {
    (perm & 0o7777) as u16
}

/// A time the VFS gives (seconds); ext2 keeps 32 bits.
fn time32(t: u64) -> u32 {
    u32::try_from(t).unwrap_or(u32::MAX)
}

/// The kind a directory entry's type byte names (0: unknown).
fn kind_of_type_byte(t: u8) -> Option<Kind> {
    Some(match t {
        1 => Kind::File,
        2 => Kind::Directory,
        3 => Kind::CharDevice,
        4 => Kind::BlockDevice,
        5 => Kind::Fifo,
        6 => Kind::Socket,
        7 => Kind::Symlink,
        _ => return None,
    })
}

/// A crate entry as the VFS lists it; an entry without a type byte gets
/// its inode's type.
fn vfs_entry<D: BlockDevice>(fs: &mut Fs<D>, e: crate::dir::DirEntry) -> crate::Result<DirEntry> {
    let kind = match kind_of_type_byte(e.kind) {
        Some(kind) => kind,
        None => Kind::from_mode(u32::from(fs.stat(e.ino)?.mode & S_IFMT)).unwrap_or(Kind::File),
    };
    Ok(DirEntry {
        ino: Ino::from(e.ino),
        kind,
        name: e.name,
    })
}

impl<D: BlockDevice, L: Lock<Fs<D>>> Ext2<D, L> {
    /// Shares a mounted `fs`; `clock` gives the time for inode times.
    pub fn new(fs: Fs<D>, clock: fn() -> u64) -> Self {
        Ext2 {
            fs: L::new(fs),
            clock,
            _device: core::marker::PhantomData,
        }
    }

    /// Runs `f` on the file system with the clock set, errors as errno.
    fn run<R>(&self, f: impl FnOnce(&mut Fs<D>) -> crate::Result<R>) -> Result<R, Errno> {
        let now = time32((self.clock)());
        self.fs.with(|fs| {
            fs.set_time(now);
            f(fs).map_err(errno)
        })
    }

    /// Direct access to the `Fs` (unmounting, statistics), under the lock.
    pub fn with_fs<R>(&self, f: impl FnOnce(&mut Fs<D>) -> R) -> R {
        self.fs.with(f)
    }
}

impl<D: BlockDevice, L: Lock<Fs<D>>> FileSystem for Ext2<D, L> {
    fn root(&self) -> Ino {
        Ino::from(ROOT)
    }

    fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        let dir = ino32(dir)?;
        self.run(|fs| fs.lookup(dir, name)).map(Ino::from)
    }

    fn metadata(&self, ino: Ino) -> Result<Metadata, Errno> {
        let ino = ino32(ino)?;
        let st = self.run(|fs| fs.stat(ino))?;
        Ok(Metadata {
            ino: Ino::from(st.ino),
            mode: u32::from(st.mode),
            links: u32::from(st.links),
            uid: u32::from(st.uid),
            gid: u32::from(st.gid),
            size: st.size,
            blocks: u64::from(st.blocks),
            atime: u64::from(st.atime),
            mtime: u64::from(st.mtime),
            ctime: u64::from(st.ctime),
            rdev: st.rdev,
        })
    }

    fn read(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let ino = ino32(ino)?;
        self.run(|fs| fs.read(ino, offset, buf))
    }

    fn write(&self, ino: Ino, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        let ino = ino32(ino)?;
        let n = self.run(|fs| fs.write(ino, offset, data))?;
        if n == 0 && !data.is_empty() {
            // Nothing fitted: a short write of 0 would look like success.
            return Err(Code::ENOSPC as Errno);
        }
        Ok(n)
    }

    fn truncate(&self, ino: Ino, size: u64) -> Result<(), Errno> {
        let ino = ino32(ino)?;
        self.run(|fs| fs.truncate(ino, size))
    }

    fn create(
        &self,
        dir: Ino,
        name: &[u8],
        kind: Kind,
        perm: u32,
        rdev: u64,
    ) -> Result<Ino, Errno> {
        let dir = ino32(dir)?;
        let ino = match kind {
            Kind::File => self.run(|fs| fs.create(dir, name, perm16(perm)))?,
            Kind::Directory | Kind::Symlink => return Err(Code::EINVAL as Errno),
            _ => {
                let mode = kind.mode_bits() as u16 | perm16(perm);
                self.run(|fs| fs.mknod(dir, name, mode, rdev))?
            }
        };
        Ok(Ino::from(ino))
    }

    fn mkdir(&self, dir: Ino, name: &[u8], perm: u32) -> Result<Ino, Errno> {
        let dir = ino32(dir)?;
        self.run(|fs| fs.mkdir(dir, name, perm16(perm)))
            .map(Ino::from)
    }

    fn symlink(&self, dir: Ino, name: &[u8], target: &[u8]) -> Result<Ino, Errno> {
        let dir = ino32(dir)?;
        self.run(|fs| fs.symlink(dir, name, target)).map(Ino::from)
    }

    fn readlink(&self, ino: Ino) -> Result<Vec<u8>, Errno> {
        let ino = ino32(ino)?;
        self.run(|fs| fs.readlink(ino))
    }

    fn link(&self, ino: Ino, dir: Ino, name: &[u8]) -> Result<(), Errno> {
        let (ino, dir) = (ino32(ino)?, ino32(dir)?);
        self.run(|fs| fs.link(ino, dir, name))
    }

    fn unlink(&self, dir: Ino, name: &[u8]) -> Result<(), Errno> {
        let dir = ino32(dir)?;
        self.run(|fs| fs.unlink(dir, name))
    }

    fn rmdir(&self, dir: Ino, name: &[u8]) -> Result<(), Errno> {
        let dir = ino32(dir)?;
        self.run(|fs| fs.rmdir(dir, name))
    }

    fn rename(
        &self,
        old_dir: Ino,
        old_name: &[u8],
        new_dir: Ino,
        new_name: &[u8],
    ) -> Result<(), Errno> {
        let (old_dir, new_dir) = (ino32(old_dir)?, ino32(new_dir)?);
        self.run(|fs| fs.rename(old_dir, old_name, new_dir, new_name))
    }

    fn readdir(&self, dir: Ino, cursor: u64) -> Result<Option<(DirEntry, u64)>, Errno> {
        let dir = ino32(dir)?;
        self.run(|fs| {
            let Some((e, next)) = fs.readdir(dir, cursor)? else {
                return Ok(None);
            };
            Ok(Some((vfs_entry(fs, e)?, next)))
        })
    }

    fn readdir_batch(
        &self,
        dir: Ino,
        cursor: u64,
        out: &mut Vec<(DirEntry, u64)>,
    ) -> Result<(), Errno> {
        let dir = ino32(dir)?;
        self.run(|fs| {
            for (e, next) in fs.readdir_block(dir, cursor)? {
                out.push((vfs_entry(fs, e)?, next));
            }
            Ok(())
        })
    }

    fn chmod(&self, ino: Ino, perm: u32) -> Result<(), Errno> {
        let ino = ino32(ino)?;
        self.run(|fs| fs.chmod(ino, perm16(perm)))
    }

    fn set_times(&self, ino: Ino, atime: Option<u64>, mtime: Option<u64>) -> Result<(), Errno> {
        let ino = ino32(ino)?;
        self.run(|fs| {
            let st = fs.stat(ino)?;
            let atime = atime.map_or(st.atime, time32);
            let mtime = mtime.map_or(st.mtime, time32);
            fs.set_times(ino, atime, mtime)
        })
    }

    fn sync(&self) -> Result<(), Errno> {
        self.run(|fs| fs.sync())
    }

    fn statfs(&self) -> Result<StatFs, Errno> {
        let s = self.run(|fs| fs.statfs())?;
        Ok(StatFs {
            magic: EXT2_MAGIC,
            block_size: u64::from(s.block_size),
            blocks: u64::from(s.blocks),
            free_blocks: u64::from(s.free_blocks),
            files: u64::from(s.inodes),
            free_files: u64::from(s.free_inodes),
            name_max: u64::from(s.name_max),
        })
    }

    fn hold(&self, ino: Ino) {
        if let Ok(ino) = ino32(ino) {
            self.fs.with(|fs| fs.hold(ino));
        }
    }

    fn release(&self, ino: Ino) -> Result<(), Errno> {
        let ino = ino32(ino)?;
        self.run(|fs| fs.drop_hold(ino))
    }
}
