//! Allocating blocks and inodes from the groups' bitmaps.
//!
//! Each group has one block whose bits say which of its blocks are in use, and
//! one for its inodes. Allocation searches for a clear bit, starting near a
//! goal (the file's previous block, the parent directory's group) so that a
//! file's blocks stay close together, then tries the following groups. Every
//! allocation and release also updates the group's and the superblock's free
//! counters, so they always agree with the bitmaps.

use crate::device::BlockDevice;
use crate::error::{Errno, Error, Result, corrupt};
use crate::fs::Fs;
use crate::inode::Inode;

/// Finds a clear bit in `bits[..n]` that is `usable`, starting at `from` and
/// wrapping around.
fn find_clear(bits: &[u8], n: u32, from: u32, usable: impl Fn(u32) -> bool) -> Option<u32> {
    let clear = |i: u32| bits[(i / 8) as usize] & (1 << (i % 8)) == 0;
    let mut i = from;
    for _ in 0..n {
        if i >= n {
            i = 0;
        }
        if i.is_multiple_of(8) && i + 8 <= n && bits[(i / 8) as usize] == 0xFF {
            i += 8;
            continue;
        }
        if clear(i) && usable(i) {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn test_bit(bits: &[u8], i: u32) -> bool {
    bits[(i / 8) as usize] & (1 << (i % 8)) != 0
}

fn flip_bit(bits: &mut [u8], i: u32) {
    bits[(i / 8) as usize] ^= 1 << (i % 8);
}

impl<D: BlockDevice> Fs<D> {
    /// Allocates a block, as close after `goal` as possible. A block freed
    /// in the running transaction is taken only when no other is free: the
    /// committed state may still use it, so new data could not go straight
    /// to it (`txn`).
    pub(crate) fn alloc_block(&mut self, goal: u32) -> Result<u32> {
        match self.alloc_block_from(goal, true) {
            Err(e) if e.errno == Errno::ENOSPC => self.alloc_block_from(goal, false),
            found => found,
        }
    }

    /// Allocates a block near `goal`; with `fresh_only`, none freed in the
    /// running transaction.
    fn alloc_block_from(&mut self, goal: u32, fresh_only: bool) -> Result<u32> {
        let geo = self.geo;
        let goal = if geo.valid_block(goal) {
            goal
        } else {
            geo.first_data_block
        };
        let g0 = (goal - geo.first_data_block) / geo.blocks_per_group;
        for k in 0..geo.groups {
            let g = (g0 + k) % geo.groups;
            let d = self.gd(g)?;
            if d.free_blocks == 0 {
                continue;
            }
            let n = geo.group_blocks(g);
            let from = if k == 0 { goal - geo.group_start(g) } else { 0 };
            let start = geo.group_start(g);
            // The bitmap is read in place when the transaction holds it.
            let found = match self.io.dirty.get(&d.block_bitmap) {
                Some(bits) => {
                    let usable = |bit: u32| !fresh_only || !self.io.is_freed(start + bit);
                    find_clear(bits, n, from, usable)
                }
                None => {
                    let bits = self.io.read_vec(d.block_bitmap)?;
                    let usable = |bit: u32| !fresh_only || !self.io.is_freed(start + bit);
                    find_clear(&bits, n, from, usable)
                }
            };
            if let Some(bit) = found {
                flip_bit(self.io.modify(d.block_bitmap)?, bit);
                self.count(g, -1, 0, 0)?;
                return Ok(geo.group_start(g) + bit);
            }
        }
        Err(Error::new(Errno::ENOSPC, "no free block"))
    }

    /// Marks block `b` free.
    pub(crate) fn free_block(&mut self, b: u32) -> Result<()> {
        if !self.geo.valid_block(b) {
            return Err(corrupt("block number out of range"));
        }
        let g = (b - self.geo.first_data_block) / self.geo.blocks_per_group;
        let bit = b - self.geo.group_start(g);
        let d = self.gd(g)?;
        let bits = self.io.modify(d.block_bitmap)?;
        if !test_bit(bits, bit) {
            return Err(corrupt("freeing a block that is already free"));
        }
        flip_bit(bits, bit);
        self.io.freed(b);
        self.count(g, 1, 0, 0)
    }

    /// Allocates an inode, preferring the group of inode `near`.
    pub(crate) fn alloc_inode(&mut self, near: u32, dir: bool) -> Result<u32> {
        let geo = self.geo;
        let ipg = geo.inodes_per_group;
        let g0 = near.saturating_sub(1) / ipg % geo.groups;
        for k in 0..geo.groups {
            let g = (g0 + k) % geo.groups;
            let d = self.gd(g)?;
            if d.free_inodes == 0 {
                continue;
            }
            let mut bits = self.io.read_vec(d.inode_bitmap)?;
            // Reserved inodes are never handed out, whatever their bits say.
            let first = geo.first_ino.saturating_sub(g * ipg + 1).min(ipg);
            for i in 0..first {
                if !test_bit(&bits, i) {
                    flip_bit(&mut bits, i);
                }
            }
            if let Some(bit) = find_clear(&bits, ipg, first, |_| true) {
                flip_bit(self.io.modify(d.inode_bitmap)?, bit);
                self.count(g, 0, -1, i32::from(dir))?;
                return Ok(g * ipg + bit + 1);
            }
        }
        Err(Error::new(Errno::ENOSPC, "no free inode"))
    }

    /// Frees inode `ino` (its blocks must be freed already): a zeroed inode
    /// with its deletion time. (A deletion time below the inode count would
    /// read as a link of the orphan list, so an unset clock leaves it 0.)
    pub(crate) fn free_inode(&mut self, ino: u32, inode: &Inode) -> Result<()> {
        let ipg = self.geo.inodes_per_group;
        let (g, bit) = ((ino - 1) / ipg, (ino - 1) % ipg);
        let d = self.gd(g)?;
        let bits = self.io.modify(d.inode_bitmap)?;
        if !test_bit(bits, bit) {
            return Err(corrupt("freeing an inode that is already free"));
        }
        flip_bit(bits, bit);
        self.count(g, 0, 1, -i32::from(inode.is_dir()))?;
        let mut dead = Inode::new(self.geo.inode_size as usize, 0, 0);
        dead.set_links(0);
        if self.now > self.geo.inodes_count {
            dead.set_time(crate::inode::DTIME, self.now);
        }
        self.write_inode(ino, &dead)
    }
}
