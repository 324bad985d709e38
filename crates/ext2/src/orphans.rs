//! Open files without names, and the orphan list that survives a crash.
//!
//! Unix lets a program keep using a file after its last name is removed:
//! the inode and its blocks stay until the last open descriptor closes.
//! The VFS says who uses an inode with [`Fs::hold`] and [`Fs::drop_hold`];
//! `Fs` counts the holds in memory, and when a held inode loses its last
//! link it is not freed but kept, with a link count of 0, until the last
//! release.
//!
//! If the power goes in between, such an inode is in use on the disk but
//! named nowhere. ext3's answer, which we follow so `e2fsck` agrees, is the
//! *orphan list*: a chain of those inodes that starts at the superblock's
//! `s_last_orphan` and goes on through each inode's `i_dtime` field (unused
//! while the inode lives), ending at 0. An inode joins the list in the
//! same transaction that removes its last name, and leaves it in the one
//! that frees it; at mount, after the journal replay, whatever is still on
//! the list belongs to nobody any more and is freed.

use crate::device::BlockDevice;
use crate::error::{Result, corrupt};
use crate::fs::Fs;
use crate::inode::{DTIME, Inode};
use crate::superblock::LAST_ORPHAN;

impl<D: BlockDevice> Fs<D> {
    /// Someone (an open file, a current directory) uses inode `ino`: it
    /// stays after its last name goes, until the matching [`Fs::drop_hold`].
    pub fn hold(&mut self, ino: u32) {
        *self.held.entry(ino).or_insert(0) += 1;
    }

    /// Ends one [`Fs::hold`]; frees the inode if that was the last hold and
    /// no name is left.
    pub fn drop_hold(&mut self, ino: u32) -> Result<()> {
        match self.held.get_mut(&ino) {
            None => return Err(crate::Error::new(crate::Errno::EINVAL, "inode not held")),
            Some(1) => {
                self.held.remove(&ino);
            }
            Some(n) => {
                *n -= 1;
                return Ok(());
            }
        }
        let i = self.read_inode(ino)?;
        if i.links() != 0 || i.mode() == 0 {
            return Ok(());
        }
        self.op(|fs| {
            fs.unlist_orphan(ino, &i)?;
            fs.destroy(ino, i.clone())
        })
    }

    /// Whether inode `ino` is held (see [`Fs::hold`]).
    pub(crate) fn is_held(&self, ino: u32) -> bool {
        self.held.contains_key(&ino)
    }

    /// Keeps inode `ino`, just left without links but held, on the orphan
    /// list (written with it).
    pub(crate) fn list_orphan(&mut self, ino: u32, mut i: Inode) -> Result<()> {
        let head = self.sb_get(LAST_ORPHAN)?;
        i.set_time(DTIME, head);
        self.write_inode(ino, &i)?;
        self.sb_set(LAST_ORPHAN, ino)
    }

    /// Takes inode `ino` (whose inode is `i`) off the orphan list.
    fn unlist_orphan(&mut self, ino: u32, i: &Inode) -> Result<()> {
        let next = i.time(DTIME);
        let mut at = self.sb_get(LAST_ORPHAN)?;
        if at == ino {
            return self.sb_set(LAST_ORPHAN, next);
        }
        for _ in 0..self.geo.inodes_count {
            if !self.geo.valid_inode(at) {
                break;
            }
            let mut before = self.read_inode(at)?;
            if before.time(DTIME) == ino {
                before.set_time(DTIME, next);
                return self.write_inode(at, &before);
            }
            at = before.time(DTIME);
        }
        Err(corrupt("an orphan inode is not on the orphan list"))
    }

    /// At mount: frees every inode left on the orphan list (their holders
    /// went with the last run) and empties it; how many were freed.
    pub(crate) fn free_orphans(&mut self) -> Result<usize> {
        if self.sb_get(LAST_ORPHAN)? == 0 {
            return Ok(0);
        }
        let freed = self.op(|fs| {
            let mut at = fs.sb_get(LAST_ORPHAN)?;
            let mut freed = 0;
            while at != 0 {
                if !fs.geo.valid_inode(at) || freed > fs.geo.inodes_count as usize {
                    return Err(corrupt("orphan list points outside the inodes"));
                }
                let i = fs.read_inode(at)?;
                let next = i.time(DTIME);
                if i.mode() == 0 {
                    return Err(corrupt("orphan list names a free inode"));
                }
                if i.links() == 0 {
                    fs.destroy(at, i)?;
                } else {
                    // Linux also lists files cut short mid-truncate; ours
                    // never are, but a living inode just leaves the list.
                    let mut kept = i;
                    kept.set_time(DTIME, 0);
                    fs.write_inode(at, &kept)?;
                }
                freed += 1;
                at = next;
            }
            fs.sb_set(LAST_ORPHAN, 0)?;
            Ok(freed)
        })?;
        self.sync()?;
        Ok(freed)
    }
}
