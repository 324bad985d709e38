//! A mounted file system: `Fs<D>` over a [`BlockDevice`].
//!
//! Mounting reads and checks the superblock and group descriptors, replays the
//! journal if the disk was not unmounted cleanly, marks the journal in use
//! (the `needs_recovery` feature, as ext3 does), and frees the inodes left on
//! the orphan list (`orphans`). Every operation then runs
//! inside the running transaction (`txn`): it either completes or changes
//! nothing. `sync` commits the transaction through the journal; `unmount`
//! commits and marks the disk clean.
//!
//! The superblock and descriptor counters are read and written through the
//! transaction like any other block, so a rollback restores them too.

use crate::device::{BlockDevice, SECTOR};
use crate::error::{Errno, Error, Result, corrupt};
use crate::group::{self, GroupDesc};
use crate::inode::Inode;
use crate::journal::Journal;
use crate::superblock::{self as sbk, Geometry, Superblock};
use crate::txn::Txn;
use alloc::collections::BTreeMap;

/// The root directory's inode number.
pub const ROOT: u32 = 2;

/// What `stat` reports about an inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    pub ino: u32,
    /// Type and permission bits (`S_IFREG | 0o644`, ...).
    pub mode: u16,
    pub links: u16,
    pub uid: u16,
    pub gid: u16,
    pub size: u64,
    /// Space in use, in 512-byte units.
    pub blocks: u32,
    pub atime: u32,
    pub mtime: u32,
    pub ctime: u32,
    /// A device file's number (Linux's `dev_t`), 0 for other inodes.
    pub rdev: u64,
}

/// What `statfs` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatFs {
    pub block_size: u32,
    pub blocks: u32,
    pub free_blocks: u32,
    /// Free blocks for ordinary users (free minus the reserved ones).
    pub avail_blocks: u32,
    pub inodes: u32,
    pub free_inodes: u32,
    pub name_max: u32,
}

/// A mounted ext2/ext3 file system.
pub struct Fs<D: BlockDevice> {
    pub(crate) io: Txn<D>,
    pub(crate) geo: Geometry,
    pub(crate) journal: Option<Journal>,
    pub(crate) now: u32,
    /// An operation starting with more blocks than this in the transaction
    /// commits it first.
    pub(crate) soft_limit: usize,
    /// Committed transactions the mount replayed from the journal.
    pub(crate) replayed: usize,
    /// Holds per inode (`orphans`): inodes kept while in use.
    pub(crate) held: BTreeMap<u32, u32>,
    /// Inodes the mount freed from the orphan list.
    pub(crate) orphans_freed: usize,
}

/// Reads the superblock straight from the disk.
pub(crate) fn read_superblock<D: BlockDevice>(dev: &mut D) -> Result<Superblock> {
    let mut buf = alloc::vec![0u8; 2048];
    dev.read(0, &mut buf)?;
    Ok(Superblock {
        raw: buf[1024..].to_vec(),
    })
}

impl<D: BlockDevice> Fs<D> {
    /// Mounts the file system on `dev`, replaying its journal if needed.
    pub fn mount(mut dev: D) -> Result<Fs<D>> {
        let disk_bytes = dev.sectors().saturating_mul(SECTOR as u64);
        let sb = read_superblock(&mut dev)?;
        let geo = Geometry::of(&sb, disk_bytes)?;
        let mut fs = Fs {
            io: Txn::new(dev, geo.block_size as usize),
            geo,
            journal: None,
            now: 0,
            // Without a journal, still write back now and then (memory).
            soft_limit: 2048,
            replayed: 0,
            held: BTreeMap::new(),
            orphans_freed: 0,
        };
        fs.check_groups()?;
        if sb.has_compat(sbk::COMPAT_HAS_JOURNAL) {
            let ino = sb.get(sbk::JOURNAL_INUM);
            if !fs.geo.valid_inode(ino) || ino >= fs.geo.first_ino {
                return Err(corrupt("journal inode number out of range"));
            }
            let mut journal = Journal::load(&mut fs, ino)?;
            if sb.has_incompat(sbk::INCOMPAT_RECOVER) || journal.needs_replay() {
                fs.replayed = journal.replay(&mut fs.io, &fs.geo)?;
                // The replay may have rewritten the superblock and descriptors.
                let sb = read_superblock(&mut fs.io.dev)?;
                fs.geo = Geometry::of(&sb, disk_bytes)?;
                fs.check_groups()?;
            }
            journal.open(&mut fs.io)?;
            fs.soft_limit = journal.capacity() / 3;
            fs.journal = Some(journal);
            fs.set_recover_flag(true)?;
        } else if sb.has_incompat(sbk::INCOMPAT_RECOVER) {
            return Err(Error::new(
                Errno::EINVAL,
                "needs recovery from a journal that is not on this disk",
            ));
        }
        fs.orphans_freed = fs.free_orphans()?;
        Ok(fs)
    }

    fn check_groups(&mut self) -> Result<()> {
        for g in 0..self.geo.groups {
            self.gd(g)?;
        }
        Ok(())
    }

    /// Sets the clock used for inode times (seconds since 1970).
    pub fn set_time(&mut self, now: u32) {
        self.now = now;
    }

    /// The checked geometry.
    pub fn geometry(&self) -> &Geometry {
        &self.geo
    }

    /// Whether the file system has a journal.
    pub fn journaled(&self) -> bool {
        self.journal.is_some()
    }

    /// The journal's log length in blocks, what transactions can use (0
    /// without a journal).
    pub fn journal_blocks(&self) -> usize {
        self.journal.as_ref().map_or(0, |j| j.capacity())
    }

    /// How many committed transactions the mount replayed from the journal.
    pub fn replayed(&self) -> usize {
        self.replayed
    }

    /// How many inodes the mount freed from the orphan list (files that
    /// were open without a name when the disk was last in use).
    pub fn orphans_freed(&self) -> usize {
        self.orphans_freed
    }

    /// Commits the running transaction: afterwards every completed operation
    /// survives a crash (this is `sync`, and `fsync` of any file). After a
    /// failed commit it fails with EIO until the next mount (`journal`).
    pub fn sync(&mut self) -> Result<()> {
        if let Some(j) = &self.journal {
            j.check_running()?;
        }
        let blocks = self.io.take();
        let wrote_home = core::mem::take(&mut self.io.wrote_home);
        if blocks.is_empty() {
            // Data written straight home still has to be durable.
            return if wrote_home {
                self.io.dev.flush()
            } else {
                Ok(())
            };
        }
        match &mut self.journal {
            Some(j) => j.commit(&mut self.io, &blocks),
            None => {
                for (b, data) in &blocks {
                    self.io.write_disk(*b, data)?;
                }
                self.io.dev.flush()
            }
        }
    }

    /// Whether file data block `b`, just allocated, may be written straight
    /// home: the running transaction allows it (`txn`) and so does the
    /// journal (no transaction still in the log holds a copy of it, which a
    /// replay would write over the new data). Otherwise it is journaled.
    pub(crate) fn may_write_home(&self, b: u32) -> bool {
        self.io.may_write_home(b) && self.journal.as_ref().is_none_or(|j| j.may_write_home(b))
    }

    /// Commits, marks the disk clean and gives the device back.
    pub fn unmount(mut self) -> Result<D> {
        self.sync()?;
        if let Some(j) = &mut self.journal {
            j.close(&mut self.io)?;
            self.set_recover_flag(false)?;
        }
        Ok(self.io.dev)
    }

    /// The device (for looking, e.g. at a test disk's statistics).
    pub fn device(&self) -> &D {
        &self.io.dev
    }

    /// Gives the device back without committing (tests simulate a crash so).
    pub fn into_device(self) -> D {
        self.io.dev
    }

    /// Sets or clears `needs_recovery` directly on the disk (never journaled).
    fn set_recover_flag(&mut self, on: bool) -> Result<()> {
        let mut sb = read_superblock(&mut self.io.dev)?;
        sb.set_incompat(sbk::INCOMPAT_RECOVER, on);
        let (b, off) = self.sb_location();
        let mut block = alloc::vec![0; self.io.bs];
        self.io.read_disk(b, &mut block)?;
        block[off..off + sbk::SIZE].copy_from_slice(&sb.raw);
        self.io.write_disk(b, &block)?;
        self.io.dev.flush()
    }

    /// Runs one operation all-or-nothing: commits first if the transaction is
    /// large, and on error undoes what the operation changed.
    pub(crate) fn op<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.io.dirty.len() >= self.soft_limit {
            self.sync()?;
        }
        self.io.savepoint();
        let r = f(self);
        if r.is_err() {
            self.io.rollback();
        }
        r
    }

    /// Within a long operation (a big write): commits if the transaction has
    /// grown well past the soft limit, keeping what was done so far.
    pub(crate) fn checkpoint_if_large(&mut self) -> Result<()> {
        if self.io.dirty.len() >= self.soft_limit.saturating_mul(2) {
            self.sync()?;
        }
        self.io.savepoint();
        Ok(())
    }

    // ----- superblock and group descriptors, through the transaction -----

    fn sb_location(&self) -> (u32, usize) {
        if self.geo.block_size == 1024 {
            (1, 0)
        } else {
            (0, 1024)
        }
    }

    pub(crate) fn sb_get(&mut self, at: usize) -> Result<u32> {
        let (b, off) = self.sb_location();
        self.io
            .with_block(b, |block| crate::raw::le32(block, off + at))
    }

    pub(crate) fn sb_set(&mut self, at: usize, v: u32) -> Result<()> {
        let (b, off) = self.sb_location();
        crate::raw::set_le32(self.io.modify(b)?, off + at, v);
        Ok(())
    }

    /// Group `g`'s descriptor, checked.
    pub(crate) fn gd(&mut self, g: u32) -> Result<GroupDesc> {
        let (b, off) = group::location(&self.geo, g);
        let d = self.io.with_block(b, |block| {
            GroupDesc::parse(&block[off..off + group::DESC_SIZE])
        })?;
        d.check(&self.geo)?;
        Ok(d)
    }

    pub(crate) fn set_gd(&mut self, g: u32, d: &GroupDesc) -> Result<()> {
        let (b, off) = group::location(&self.geo, g);
        d.store(&mut self.io.modify(b)?[off..off + group::DESC_SIZE]);
        Ok(())
    }

    /// Changes group `g`'s and the superblock's free counters by the deltas.
    pub(crate) fn count(&mut self, g: u32, blocks: i32, inodes: i32, dirs: i32) -> Result<()> {
        let mut d = self.gd(g)?;
        let add16 = |v: u16, by: i32| -> Result<u16> {
            u16::try_from(i32::from(v) + by).map_err(|_| corrupt("group counter out of range"))
        };
        d.free_blocks = add16(d.free_blocks, blocks)?;
        d.free_inodes = add16(d.free_inodes, inodes)?;
        d.used_dirs = add16(d.used_dirs, dirs)?;
        self.set_gd(g, &d)?;
        let add32 = |v: u32, by: i32| -> Result<u32> {
            u32::try_from(i64::from(v) + i64::from(by))
                .map_err(|_| corrupt("superblock counter out of range"))
        };
        let fb = add32(self.sb_get(sbk::FREE_BLOCKS)?, blocks)?;
        self.sb_set(sbk::FREE_BLOCKS, fb)?;
        let fi = add32(self.sb_get(sbk::FREE_INODES)?, inodes)?;
        self.sb_set(sbk::FREE_INODES, fi)
    }

    // ----- inodes -----

    fn inode_location(&mut self, ino: u32) -> Result<(u32, usize)> {
        if !self.geo.valid_inode(ino) {
            return Err(corrupt("inode number out of range"));
        }
        let g = (ino - 1) / self.geo.inodes_per_group;
        let index = (ino - 1) % self.geo.inodes_per_group;
        let byte = index as usize * self.geo.inode_size as usize;
        let bs = self.io.bs;
        let table = self.gd(g)?.inode_table;
        Ok((table + (byte / bs) as u32, byte % bs))
    }

    /// Reads inode `ino`.
    pub fn read_inode(&mut self, ino: u32) -> Result<Inode> {
        let (b, off) = self.inode_location(ino)?;
        let n = self.geo.inode_size as usize;
        let raw = self
            .io
            .with_block(b, |block| block[off..off + n].to_vec())?;
        Ok(Inode { raw })
    }

    pub(crate) fn write_inode(&mut self, ino: u32, inode: &Inode) -> Result<()> {
        let (b, off) = self.inode_location(ino)?;
        let n = self.geo.inode_size as usize;
        self.io.modify(b)?[off..off + n].copy_from_slice(&inode.raw);
        Ok(())
    }

    /// An inode that must be in use (links > 0, or held: `orphans`).
    pub(crate) fn live_inode(&mut self, ino: u32) -> Result<Inode> {
        let i = self.read_inode(ino)?;
        if (i.links() == 0 && !self.is_held(ino)) || i.mode() == 0 {
            return Err(corrupt("directory entry names a free inode"));
        }
        Ok(i)
    }

    /// The attributes of inode `ino`.
    pub fn stat(&mut self, ino: u32) -> Result<Stat> {
        let i = self.live_inode(ino)?;
        Ok(Stat {
            ino,
            mode: i.mode(),
            links: i.links(),
            uid: i.uid(),
            gid: i.gid(),
            size: i.size(),
            blocks: i.sectors(),
            atime: i.time(crate::inode::ATIME),
            mtime: i.time(crate::inode::MTIME),
            ctime: i.time(crate::inode::CTIME),
            rdev: i.device(),
        })
    }

    /// Sizes and free space.
    pub fn statfs(&mut self) -> Result<StatFs> {
        let free = self.sb_get(sbk::FREE_BLOCKS)?;
        let reserved = self.sb_get(sbk::R_BLOCKS_COUNT)?;
        Ok(StatFs {
            block_size: self.geo.block_size,
            blocks: self.geo.blocks_count,
            free_blocks: free,
            avail_blocks: free.saturating_sub(reserved),
            inodes: self.geo.inodes_count,
            free_inodes: self.sb_get(sbk::FREE_INODES)?,
            name_max: 255,
        })
    }

    /// Changes the permission bits (the type bits stay).
    pub fn chmod(&mut self, ino: u32, perm: u16) -> Result<()> {
        self.op(|fs| {
            let mut i = fs.live_inode(ino)?;
            i.set_mode(i.kind() | (perm & 0o7777));
            i.set_time(crate::inode::CTIME, fs.now);
            fs.write_inode(ino, &i)
        })
    }

    /// Changes the owner.
    pub fn chown(&mut self, ino: u32, uid: u16, gid: u16) -> Result<()> {
        self.op(|fs| {
            let mut i = fs.live_inode(ino)?;
            i.set_owner(uid, gid);
            i.set_time(crate::inode::CTIME, fs.now);
            fs.write_inode(ino, &i)
        })
    }

    /// Sets the access and modification times.
    pub fn set_times(&mut self, ino: u32, atime: u32, mtime: u32) -> Result<()> {
        self.op(|fs| {
            let mut i = fs.live_inode(ino)?;
            i.set_time(crate::inode::ATIME, atime);
            i.set_time(crate::inode::MTIME, mtime);
            i.set_time(crate::inode::CTIME, fs.now);
            fs.write_inode(ino, &i)
        })
    }
}
