//! Operations on names: create, mkdir, symlink, link, unlink, rmdir, rename.
//!
//! Each one runs as a single all-or-nothing operation (`Fs::op`). Link counts
//! follow ext2's rules: a file has one link per name; a directory has two
//! (its name and its own `.`) plus one per subdirectory (their `..`). When a
//! count reaches zero the inode and its blocks are freed at once, unless the
//! inode is held open: then it goes on the orphan list (`orphans`) and is
//! freed at its last release. A removed directory that is held (someone's
//! current directory) is kept the same way (its `..` still leads up), but
//! refuses listing and new names (`ENOENT`).

use crate::device::BlockDevice;
use crate::dir::{check_name, is_dot};
use crate::error::{Errno, Error, Result, corrupt};
use crate::fs::{Fs, ROOT};
use crate::inode::{
    self, Inode, LINK_MAX, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK,
};
use alloc::vec;
use alloc::vec::Vec;

fn exists() -> Error {
    Error::new(Errno::EEXIST, "file exists")
}

impl<D: BlockDevice> Fs<D> {
    /// Checks that `name` may be created in `dir`.
    fn check_new(&mut self, dir: u32, name: &[u8]) -> Result<()> {
        check_name(name)?;
        self.named_dir(dir)?;
        if is_dot(name) || self.find(dir, name)?.is_some() {
            return Err(exists());
        }
        Ok(())
    }

    /// Directory `dir`, refused with `ENOENT` if it was removed (held
    /// without a name: Linux makes no new names there).
    fn named_dir(&mut self, dir: u32) -> Result<Inode> {
        let i = self.dir_inode(dir)?;
        if i.links() == 0 {
            return Err(Error::new(Errno::ENOENT, "directory was removed"));
        }
        Ok(i)
    }

    /// Allocates and writes a new inode, and names it in `dir`.
    fn new_node(&mut self, dir: u32, name: &[u8], inode: &Inode) -> Result<u32> {
        self.check_new(dir, name)?;
        let ino = self.alloc_inode(dir, inode.is_dir())?;
        self.write_inode(ino, inode)?;
        self.add_entry(dir, name, ino, inode.mode())?;
        Ok(ino)
    }

    /// Creates an empty regular file; `perm` holds the permission bits.
    pub fn create(&mut self, dir: u32, name: &[u8], perm: u16) -> Result<u32> {
        self.op(|fs| {
            let i = Inode::new(
                fs.geo.inode_size as usize,
                S_IFREG | (perm & 0o7777),
                fs.now,
            );
            fs.new_node(dir, name, &i)
        })
    }

    /// Creates a device file, fifo or socket: `mode` holds its type and
    /// permission bits, `rdev` a device's number (Linux's `dev_t`). Such an
    /// inode has no blocks; a device keeps its number in the block pointers.
    pub fn mknod(&mut self, dir: u32, name: &[u8], mode: u16, rdev: u64) -> Result<u32> {
        self.op(|fs| {
            let kind = mode & S_IFMT;
            if !matches!(kind, S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK) {
                return Err(Error::new(
                    Errno::EINVAL,
                    "mknod makes devices, fifos and sockets",
                ));
            }
            let mut i = Inode::new(fs.geo.inode_size as usize, kind | (mode & 0o7777), fs.now);
            if matches!(kind, S_IFCHR | S_IFBLK) {
                i.set_device(rdev);
            }
            fs.new_node(dir, name, &i)
        })
    }

    /// Creates a directory.
    pub fn mkdir(&mut self, dir: u32, name: &[u8], perm: u16) -> Result<u32> {
        self.op(|fs| {
            let mut parent = fs.dir_inode(dir)?;
            if parent.links() >= LINK_MAX {
                return Err(Error::new(Errno::EMLINK, "too many subdirectories"));
            }
            let mut i = Inode::new(
                fs.geo.inode_size as usize,
                S_IFDIR | (perm & 0o7777),
                fs.now,
            );
            i.set_links(2);
            let ino = fs.new_node(dir, name, &i)?;
            let (b, _) = fs.bmap_alloc(&mut i, 0, 0)?;
            let block = fs.dot_block(ino, dir);
            fs.io.write(b, &block);
            i.set_size(u64::from(fs.geo.block_size));
            fs.write_inode(ino, &i)?;
            parent = fs.dir_inode(dir)?;
            parent.set_links(parent.links() + 1);
            fs.write_inode(dir, &parent)?;
            Ok(ino)
        })
    }

    /// Creates a symbolic link to `target`.
    pub fn symlink(&mut self, dir: u32, name: &[u8], target: &[u8]) -> Result<u32> {
        self.op(|fs| {
            if target.is_empty() || target.len() >= fs.io.bs {
                return Err(Error::new(Errno::ENAMETOOLONG, "symlink target too long"));
            }
            let mut i = Inode::new(fs.geo.inode_size as usize, S_IFLNK | 0o777, fs.now);
            i.set_size(target.len() as u64);
            if target.len() < 60 {
                i.raw[inode::BLOCK..inode::BLOCK + target.len()].copy_from_slice(target);
                return fs.new_node(dir, name, &i);
            }
            let ino = fs.new_node(dir, name, &i)?;
            let (b, _) = fs.bmap_alloc(&mut i, 0, 0)?;
            let mut block = vec![0; fs.io.bs];
            block[..target.len()].copy_from_slice(target);
            fs.io.write(b, &block);
            fs.write_inode(ino, &i)?;
            Ok(ino)
        })
    }

    /// A symlink's target.
    pub fn readlink(&mut self, ino: u32) -> Result<Vec<u8>> {
        let i = self.live_inode(ino)?;
        if i.kind() != S_IFLNK {
            return Err(Error::new(Errno::EINVAL, "not a symlink"));
        }
        let len = i.size() as usize;
        if i.is_fast_symlink(self.geo.block_size) {
            return Ok(i.raw[inode::BLOCK..inode::BLOCK + len].to_vec());
        }
        if len >= self.io.bs {
            return Err(corrupt("symlink longer than a block"));
        }
        match self.bmap(&i, 0)? {
            0 => Err(corrupt("symlink without a block")),
            b => Ok(self.io.read_vec(b)?[..len].to_vec()),
        }
    }

    /// Adds the name `name` in `dir` for the existing inode `ino`.
    pub fn link(&mut self, ino: u32, dir: u32, name: &[u8]) -> Result<()> {
        self.op(|fs| {
            let mut i = fs.live_inode(ino)?;
            if i.is_dir() {
                return Err(Error::new(Errno::EPERM, "hard link to a directory"));
            }
            if i.links() == 0 {
                return Err(Error::new(Errno::ENOENT, "file was removed"));
            }
            if i.links() >= LINK_MAX {
                return Err(Error::new(Errno::EMLINK, "too many links"));
            }
            fs.check_new(dir, name)?;
            fs.add_entry(dir, name, ino, i.mode())?;
            i.set_links(i.links() + 1);
            i.set_time(inode::CTIME, fs.now);
            fs.write_inode(ino, &i)
        })
    }

    /// Drops one link of a non-directory; frees it when none is left,
    /// or lists it as an orphan while it is held.
    fn drop_link(&mut self, ino: u32) -> Result<()> {
        let mut i = self.live_inode(ino)?;
        i.set_links(i.links() - 1);
        if i.links() == 0 {
            i.set_time(inode::CTIME, self.now);
            if self.is_held(ino) {
                return self.list_orphan(ino, i);
            }
            return self.destroy(ino, i);
        }
        i.set_time(inode::CTIME, self.now);
        self.write_inode(ino, &i)
    }

    /// Frees an inode and all its blocks.
    pub(crate) fn destroy(&mut self, ino: u32, mut i: Inode) -> Result<()> {
        self.drop_xattr_block(&mut i)?;
        if i.owns_blocks(self.geo.block_size) {
            self.free_from(&mut i, 0)?;
        }
        self.free_inode(ino, &i)
    }

    /// Removes a name of a non-directory.
    pub fn unlink(&mut self, dir: u32, name: &[u8]) -> Result<()> {
        self.op(|fs| {
            check_name(name)?;
            let ino = fs.lookup(dir, name)?;
            if fs.live_inode(ino)?.is_dir() {
                return Err(Error::new(Errno::EISDIR, "is a directory"));
            }
            fs.remove_entry(dir, name)?;
            fs.drop_link(ino)
        })
    }

    /// Removes an empty directory.
    pub fn rmdir(&mut self, dir: u32, name: &[u8]) -> Result<()> {
        self.op(|fs| {
            check_name(name)?;
            match name {
                b"." => return Err(Error::new(Errno::EINVAL, "cannot remove '.'")),
                b".." => return Err(Error::new(Errno::ENOTEMPTY, "cannot remove '..'")),
                _ => {}
            }
            let ino = fs.lookup(dir, name)?;
            fs.remove_dir(dir, name, ino)
        })
    }

    /// Removes the empty directory `ino`, named `name` in `dir`.
    fn remove_dir(&mut self, dir: u32, name: &[u8], ino: u32) -> Result<()> {
        let i = self.live_inode(ino)?;
        if !i.is_dir() {
            return Err(Error::new(Errno::ENOTDIR, "not a directory"));
        }
        if !self.is_empty_dir(ino)? {
            return Err(Error::new(Errno::ENOTEMPTY, "directory not empty"));
        }
        self.remove_entry(dir, name)?;
        if self.is_held(ino) {
            // Its block (only `.` and `..`) stays until the release.
            let mut i = i;
            i.set_links(0);
            i.set_time(inode::CTIME, self.now);
            self.list_orphan(ino, i)?;
        } else {
            self.destroy(ino, i)?;
        }
        let mut parent = self.dir_inode(dir)?;
        parent.set_links(parent.links().saturating_sub(1).max(2));
        self.write_inode(dir, &parent)
    }

    /// Whether directory `dir` is `ancestor` or lies below it (walking `..`).
    fn is_below(&mut self, mut dir: u32, ancestor: u32) -> Result<bool> {
        for _ in 0..=self.geo.inodes_count {
            if dir == ancestor {
                return Ok(true);
            }
            if dir == ROOT {
                return Ok(false);
            }
            dir = self.lookup(dir, b"..")?;
        }
        Err(corrupt("directory loop"))
    }

    /// Renames `old_dir/old` to `new_dir/new`, replacing a file there (or an
    /// empty directory, when moving a directory).
    pub fn rename(&mut self, old_dir: u32, old: &[u8], new_dir: u32, new: &[u8]) -> Result<()> {
        self.op(|fs| {
            check_name(old)?;
            check_name(new)?;
            if is_dot(old) || is_dot(new) {
                return Err(Error::new(Errno::EINVAL, "cannot rename '.' or '..'"));
            }
            let ino = fs.lookup(old_dir, old)?;
            fs.named_dir(new_dir)?;
            let moving = fs.live_inode(ino)?;
            let is_dir = moving.is_dir();
            if is_dir && fs.is_below(new_dir, ino)? {
                return Err(Error::new(Errno::EINVAL, "directory moved into itself"));
            }
            if let Some((_, target)) = fs.find(new_dir, new)? {
                if target.ino == ino {
                    return Ok(()); // two names of the same file: nothing to do
                }
                let t = fs.live_inode(target.ino)?;
                match (is_dir, t.is_dir()) {
                    (true, false) => return Err(Error::new(Errno::ENOTDIR, "not a directory")),
                    (false, true) => return Err(Error::new(Errno::EISDIR, "is a directory")),
                    (true, true) => fs.remove_dir(new_dir, new, target.ino)?,
                    (false, false) => {
                        fs.remove_entry(new_dir, new)?;
                        fs.drop_link(target.ino)?;
                    }
                }
            }
            if is_dir && old_dir != new_dir {
                let parent = fs.dir_inode(new_dir)?;
                if parent.links() >= LINK_MAX {
                    return Err(Error::new(Errno::EMLINK, "too many subdirectories"));
                }
            }
            fs.remove_entry(old_dir, old)?;
            fs.add_entry(new_dir, new, ino, moving.mode())?;
            let mut moved = fs.live_inode(ino)?;
            moved.set_time(inode::CTIME, fs.now);
            fs.write_inode(ino, &moved)?;
            if is_dir && old_dir != new_dir {
                fs.set_dotdot(ino, new_dir)?;
                let mut o = fs.dir_inode(old_dir)?;
                o.set_links(o.links().saturating_sub(1).max(2));
                fs.write_inode(old_dir, &o)?;
                let mut n = fs.dir_inode(new_dir)?;
                n.set_links(n.links() + 1);
                fs.write_inode(new_dir, &n)?;
            }
            Ok(())
        })
    }

    /// The type bits of inode `ino` (`S_IFREG`, `S_IFDIR`, `S_IFLNK`, ...).
    pub fn kind(&mut self, ino: u32) -> Result<u16> {
        Ok(self.live_inode(ino)?.mode() & S_IFMT)
    }
}
