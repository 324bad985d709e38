//! Which disk block holds a file's n-th block: direct and indirect pointers.
//!
//! An inode has 15 block pointers. The first 12 point at the file's first 12
//! blocks. The 13th points at an indirect block: a block full of pointers
//! (`block_size / 4` of them) to the next blocks. The 14th points at a block of
//! pointers to indirect blocks (double indirect), the 15th adds one more level
//! (triple). A zero pointer is a hole: that part of the file reads as zeros and
//! takes no space.
//!
//! ```text
//! block[0..12] ─> data                     (file blocks 0..12)
//! block[12]    ─> [ptr; p] ─> data          (next p blocks)
//! block[13]    ─> [ptr; p] ─> [ptr; p] ─> data          (next p²)
//! block[14]    ─> [ptr; p] ─> [ptr; p] ─> [ptr; p] ─> data (next p³)
//! ```
//!
//! `i_blocks` counts every block a file owns, indirect ones included, in
//! 512-byte units.
//!
//! Allocation keeps a file's blocks together: each new block, pointer blocks
//! included, is taken at or after a *goal*, the block after the file's
//! previous one. A pointer block therefore sits just before the data it
//! points at, and a file written from start to end lies in long runs (one
//! disk request each) with one pointer block between them. (Searching from
//! the parent pointer block instead walked back over the whole file for
//! every new indirect block.)

use crate::device::BlockDevice;
use crate::error::{Errno, Error, Result, corrupt};
use crate::fs::Fs;
use crate::inode::{DIRECT, Inode};
use crate::raw::{le32, set_le32};
use alloc::vec;
use alloc::vec::Vec;

/// Where a file block's pointer is: the inode slot, then the index at each
/// indirect level (`depth` of them).
struct Path {
    slot: usize,
    index: [usize; 3],
    depth: usize,
}

impl<D: BlockDevice> Fs<D> {
    fn per_block(&self) -> u64 {
        u64::from(self.geo.block_size / 4)
    }

    fn path(&self, n: u64) -> Result<Path> {
        let p = self.per_block();
        let d = DIRECT as u64;
        let path = |slot, index: [u64; 3], depth| Path {
            slot,
            index: index.map(|i| i as usize),
            depth,
        };
        if n < d {
            return Ok(path(n as usize, [0; 3], 0));
        }
        let n = n - d;
        if n < p {
            return Ok(path(12, [n, 0, 0], 1));
        }
        let n = n - p;
        if n < p * p {
            return Ok(path(13, [n / p, n % p, 0], 2));
        }
        let n = n - p * p;
        if n < p * p * p {
            return Ok(path(14, [n / (p * p), n / p % p, n % p], 3));
        }
        Err(Error::new(Errno::EFBIG, "file too large for ext2"))
    }

    fn checked(&self, b: u32) -> Result<u32> {
        if b == 0 || self.geo.valid_block(b) {
            Ok(b)
        } else {
            Err(corrupt("block pointer out of range"))
        }
    }

    /// The disk blocks of file blocks `0..n` (0 for a hole), like `bmap` of
    /// each, but reading each pointer block once instead of once per entry
    /// (the journal's 4096 blocks took 7,700 reads, seconds in a debug
    /// kernel under TCG).
    pub(crate) fn bmap_all(&mut self, inode: &Inode, n: u64) -> Result<Vec<u32>> {
        self.bmap_range(inode, 0, n)
    }

    /// The disk blocks of file blocks `start..start + n` (0 for a hole),
    /// each pointer block read once (a sequential read maps 64 blocks at a
    /// time so, instead of reading the indirect blocks again per block).
    pub(crate) fn bmap_range(&mut self, inode: &Inode, start: u64, n: u64) -> Result<Vec<u32>> {
        let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
        // The pointer block last read at each level: (number, contents).
        let mut last: [Option<(u32, Vec<u8>)>; 3] = [None, None, None];
        for i in start..start.saturating_add(n) {
            let path = self.path(i)?;
            let mut b = self.checked(inode.block(path.slot))?;
            for (level, &index) in path.index[..path.depth].iter().enumerate() {
                if b == 0 {
                    break;
                }
                if last[level].as_ref().is_none_or(|(held, _)| *held != b) {
                    last[level] = Some((b, self.io.read_vec(b)?));
                }
                let (_, block) = last[level].as_ref().expect("read above");
                b = self.checked(le32(block, index * 4))?;
            }
            out.push(b);
        }
        Ok(out)
    }

    /// The disk block of file block `n`, or 0 for a hole.
    pub(crate) fn bmap(&mut self, inode: &Inode, n: u64) -> Result<u32> {
        let path = self.path(n)?;
        let mut b = self.checked(inode.block(path.slot))?;
        for &i in &path.index[..path.depth] {
            if b == 0 {
                return Ok(0);
            }
            let block = self.io.read_vec(b)?;
            b = self.checked(le32(&block, i * 4))?;
        }
        Ok(b)
    }

    /// Counts one more block against the inode.
    fn charge(&self, inode: &mut Inode) -> Result<()> {
        let n = inode
            .sectors()
            .checked_add(self.geo.block_size / 512)
            .ok_or(Error::new(Errno::EFBIG, "file too large for ext2"))?;
        inode.set_sectors(n);
        Ok(())
    }

    /// A new block, zeroed in the transaction when it is a pointer block.
    fn new_block(&mut self, inode: &mut Inode, goal: u32, zero: bool) -> Result<u32> {
        let b = self.alloc_block(goal)?;
        self.charge(inode)?;
        if zero {
            self.io.write(b, &vec![0; self.io.bs]);
        }
        Ok(b)
    }

    /// The disk block of file block `n`, allocating it (and any pointer blocks
    /// on the way, all near `goal`) if it is a hole. Returns the block and whether it is new
    /// (a new data block holds garbage: the caller writes all of it).
    pub(crate) fn bmap_alloc(
        &mut self,
        inode: &mut Inode,
        n: u64,
        goal: u32,
    ) -> Result<(u32, bool)> {
        let path = self.path(n)?;
        let mut b = self.checked(inode.block(path.slot))?;
        let mut fresh = false;
        if b == 0 {
            b = self.new_block(inode, goal, path.depth > 0)?;
            inode.set_block(path.slot, b);
            fresh = true;
        }
        for (level, &i) in path.index[..path.depth].iter().enumerate() {
            let parent = b;
            let ptr = self.io.with_block(parent, |ptrs| le32(ptrs, i * 4))?;
            b = self.checked(ptr)?;
            fresh = false;
            if b == 0 {
                let leaf = level + 1 == path.depth;
                b = self.new_block(inode, goal, !leaf)?;
                set_le32(self.io.modify(parent)?, i * 4, b);
                fresh = true;
            }
        }
        Ok((b, fresh))
    }

    /// Frees a block the inode owns.
    fn release(&mut self, inode: &mut Inode, b: u32) -> Result<()> {
        self.free_block(b)?;
        inode.set_sectors(inode.sectors().saturating_sub(self.geo.block_size / 512));
        Ok(())
    }

    /// Frees every file block from `first` on, and the pointer blocks that
    /// no longer point at anything.
    pub(crate) fn free_from(&mut self, inode: &mut Inode, first: u64) -> Result<()> {
        for i in 0..DIRECT {
            let b = self.checked(inode.block(i))?;
            if i as u64 >= first && b != 0 {
                self.release(inode, b)?;
                inode.set_block(i, 0);
            }
        }
        let p = self.per_block();
        let (mut base, mut span) = (DIRECT as u64, p);
        for (slot, level) in [(12, 1), (13, 2), (14, 3)] {
            let b = self.checked(inode.block(slot))?;
            if b != 0
                && first < base + span
                && self.trim(inode, b, level, first.saturating_sub(base))?
            {
                inode.set_block(slot, 0);
            }
            base += span;
            span *= p;
        }
        Ok(())
    }

    /// Frees the blocks from `from` on under pointer block `blk` of `level`;
    /// returns whether `blk` itself was freed (when `from` is 0).
    fn trim(&mut self, inode: &mut Inode, blk: u32, level: u32, from: u64) -> Result<bool> {
        let mut ptrs = self.io.read_vec(blk)?;
        let child_span = self.per_block().pow(level - 1);
        let mut changed = false;
        for i in 0..self.per_block() as usize {
            let c = self.checked(le32(&ptrs, i * 4))?;
            let start = i as u64 * child_span;
            if c == 0 || start + child_span <= from {
                continue;
            }
            let freed = if level == 1 {
                self.release(inode, c)?;
                true
            } else {
                self.trim(inode, c, level - 1, from.saturating_sub(start))?
            };
            if freed {
                set_le32(&mut ptrs, i * 4, 0);
                changed = true;
            }
        }
        if from == 0 {
            self.release(inode, blk)?;
            return Ok(true);
        }
        if changed {
            self.io.write(blk, &ptrs);
        }
        Ok(false)
    }
}
