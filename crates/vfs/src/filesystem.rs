//! What every file system answers: the [`FileSystem`] trait.
//!
//! The trait is shaped like a Unix file system on disk: files and
//! directories are *inodes*, named by number; a directory maps names to
//! inode numbers; one inode may have several names (hard links) and lives
//! until its last name is gone and nobody holds it open
//! ([`FileSystem::hold`]). Methods take `&self`, because a mounted
//! file system is shared by every process (`Arc<dyn FileSystem>`): each
//! implementation locks what it must inside.
//!
//! Paths are not known here: a file system only ever sees one name (no
//! `/`, never `.` or `..` except as `lookup` asks) and inode numbers.
//! Walking paths and crossing mount points is the VFS's work.

use crate::Errno;
use alloc::vec::Vec;

/// An inode number, unique within one file system.
pub type Ino = u64;

/// The type of a file (the `S_IFMT` part of its mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    File,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

impl Kind {
    /// The `S_IFMT` bits of `st_mode` (`0o100000` for a regular file, ...).
    pub const fn mode_bits(self) -> u32 {
        match self {
            Kind::Fifo => 0o010000,
            Kind::CharDevice => 0o020000,
            Kind::Directory => 0o040000,
            Kind::BlockDevice => 0o060000,
            Kind::File => 0o100000,
            Kind::Symlink => 0o120000,
            Kind::Socket => 0o140000,
        }
    }

    /// The kind a mode's `S_IFMT` bits name, if any.
    pub const fn from_mode(mode: u32) -> Option<Kind> {
        Some(match mode & 0o170000 {
            0o010000 => Kind::Fifo,
            0o020000 => Kind::CharDevice,
            0o040000 => Kind::Directory,
            0o060000 => Kind::BlockDevice,
            0o100000 => Kind::File,
            0o120000 => Kind::Symlink,
            0o140000 => Kind::Socket,
            _ => return None,
        })
    }

    /// The `d_type` of a `getdents64` record (`DT_REG` = 8, ...).
    pub const fn dirent_type(self) -> u8 {
        (self.mode_bits() >> 12) as u8
    }
}

/// What `stat` reports about an inode. Times are seconds since the epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    pub ino: Ino,
    /// Type and permission bits together, as `st_mode`.
    pub mode: u32,
    pub links: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// Space used, in 512-byte units (`st_blocks`).
    pub blocks: u64,
    pub atime: u64,
    pub mtime: u64,
    pub ctime: u64,
    /// For device files: the device number (`st_rdev`).
    pub rdev: u64,
}

impl Metadata {
    /// The file's type, from its mode.
    pub fn kind(&self) -> Option<Kind> {
        Kind::from_mode(self.mode)
    }
}

/// One directory entry, as `readdir` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: Ino,
    pub kind: Kind,
    pub name: Vec<u8>,
}

/// What `statfs` reports about a whole file system.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatFs {
    /// `f_type`: the file system's magic number (`0xEF53` for ext2).
    pub magic: u64,
    pub block_size: u64,
    pub blocks: u64,
    pub free_blocks: u64,
    pub files: u64,
    pub free_files: u64,
    pub name_max: u64,
}

/// The operations every mounted file system provides.
///
/// Errors follow Linux: `ENOENT` for a missing name, `EEXIST` when a name is
/// taken, `ENOTDIR`/`EISDIR` for the wrong kind, `ENOTEMPTY` for `rmdir` of
/// a directory with entries, `ENOSPC` when full, `EROFS` for a read-only
/// file system, `EIO` for a device error. `name` is one path component:
/// not empty, without `/`, at most 255 bytes; the VFS checks that before.
pub trait FileSystem: Send + Sync {
    /// The root directory's inode.
    fn root(&self) -> Ino;

    /// The inode that `name` names in directory `dir`. `..` of the root is
    /// the root itself.
    fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno>;

    /// What `stat` reports.
    fn metadata(&self, ino: Ino) -> Result<Metadata, Errno>;

    /// Reads from `offset` into `buf`; the bytes read, 0 at or past the end.
    fn read(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno>;

    /// Writes `data` at `offset`, growing the file (a gap reads as zeros);
    /// the bytes written.
    fn write(&self, ino: Ino, offset: u64, data: &[u8]) -> Result<usize, Errno>;

    /// Sets the size: cuts the file or extends it with zeros.
    fn truncate(&self, ino: Ino, size: u64) -> Result<(), Errno>;

    /// Makes a new empty inode of `kind` (a file, a device, a fifo;
    /// directories and symlinks have their own calls) named `name` in `dir`,
    /// with permission bits `perm`; `rdev` for a device.
    fn create(&self, dir: Ino, name: &[u8], kind: Kind, perm: u32, rdev: u64)
    -> Result<Ino, Errno>;

    /// Makes a new, empty directory.
    fn mkdir(&self, dir: Ino, name: &[u8], perm: u32) -> Result<Ino, Errno>;

    /// Makes a symbolic link holding `target`.
    fn symlink(&self, dir: Ino, name: &[u8], target: &[u8]) -> Result<Ino, Errno>;

    /// A symbolic link's target. `EINVAL` for other files.
    fn readlink(&self, ino: Ino) -> Result<Vec<u8>, Errno>;

    /// Whether symbolic link `ino` stands for an open file rather than a
    /// path (procfs's `/proc/<pid>/fd/<n>`): `open` then opens that file
    /// itself, not the link's target text (see `walk`).
    fn is_open_file_link(&self, _ino: Ino) -> bool {
        false
    }

    /// Gives inode `ino` (not a directory) one more name.
    fn link(&self, ino: Ino, dir: Ino, name: &[u8]) -> Result<(), Errno>;

    /// Removes a name that is not a directory's (`EISDIR` for those).
    fn unlink(&self, dir: Ino, name: &[u8]) -> Result<(), Errno>;

    /// Removes an empty directory's name.
    fn rmdir(&self, dir: Ino, name: &[u8]) -> Result<(), Errno>;

    /// Moves a name, replacing what `new_name` named if the kinds allow it,
    /// as Linux's `rename` does.
    fn rename(
        &self,
        old_dir: Ino,
        old_name: &[u8],
        new_dir: Ino,
        new_name: &[u8],
    ) -> Result<(), Errno>;

    /// Directory listing: the entry at `cursor` (0 first) and the cursor of
    /// the next one, or `None` past the last. `.` and `..` are listed.
    fn readdir(&self, dir: Ino, cursor: u64) -> Result<Option<(DirEntry, u64)>, Errno>;

    /// Directory listing in bulk: appends to `out` the entries from
    /// `cursor` on, each with the cursor of the entry after it, as many as
    /// the file system finds in one go (an ext2 directory block); at least
    /// one unless the listing is over. The same entries, in the same order,
    /// as calls of [`readdir`](Self::readdir) would give: a caller may stop
    /// after any of them and resume from its cursor. The default is one
    /// `readdir` call.
    fn readdir_batch(
        &self,
        dir: Ino,
        cursor: u64,
        out: &mut Vec<(DirEntry, u64)>,
    ) -> Result<(), Errno> {
        if let Some(found) = self.readdir(dir, cursor)? {
            out.push(found);
        }
        Ok(())
    }

    /// Sets the permission bits (the low 12 bits of the mode).
    fn chmod(&self, ino: Ino, perm: u32) -> Result<(), Errno>;

    /// Sets the access and modification times, where given.
    fn set_times(&self, ino: Ino, atime: Option<u64>, mtime: Option<u64>) -> Result<(), Errno>;

    /// Writes everything not yet on the device to it.
    fn sync(&self) -> Result<(), Errno>;

    /// Sizes and counts for `statfs`.
    fn statfs(&self) -> Result<StatFs, Errno>;

    /// Someone uses inode `ino` beyond its names (an open file, a current
    /// directory): it stays, readable and writable, even after its last
    /// name is removed, until the matching [`release`](Self::release).
    /// Holds nest. A file system whose inodes never go may ignore them.
    fn hold(&self, _ino: Ino) {}

    /// Ends one [`hold`](Self::hold): an inode without names and without
    /// holders is freed now.
    fn release(&self, _ino: Ino) -> Result<(), Errno> {
        Ok(())
    }
}
