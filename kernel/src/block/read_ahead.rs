//! Read-ahead between the block cache and the disk.
//!
//! The block cache passes long runs (a file read sequentially) past itself
//! to the disk. [`Ahead`] is the device it passes them to: runs go through
//! `blockcache::ReadAhead`, which notices runs that follow each other and
//! then reads a growing window of blocks (up to [`MAX_WINDOW_BYTES`]) in one
//! go, the driver's requests for it all in the queue together; a single
//! block comes from the window if it holds it (ext2's pointer block between
//! two runs of a file's data), else straight from the disk. Every write through here forgets the
//! window's copies of the blocks written, so the window never shows older
//! contents than the disk has.
//!
//! The next window is *prefetched*: started with `disk::Prefetch` (whose
//! tickets live next to the window, under the cache's lock) while the
//! reader copies out of this one, and taken when a run reaches it. A write
//! under it first waits until none of its reads is in flight and cuts it
//! before the first written block; a flush (so every `sync`) and
//! [`Ahead::clear`] drop it, so it never holds driver slots past the next
//! sync.
//!
//! Writes go *behind* (`disk::write_behind`): the caller does not wait for
//! the device, and a failure comes back from the next flush.

use super::disk::{self, Prefetch};
use crate::drivers::virtio_blk::DiskError;
use blockcache::{BlockDevice, ReadAhead};
use virtio::blk::SECTOR;

/// The largest window.
pub const MAX_WINDOW_BYTES: usize = 1024 * 1024;

/// A new read-ahead state for blocks of `block_size` bytes.
pub fn new_state(block_size: usize) -> ReadAhead {
    ReadAhead::new(block_size, (MAX_WINDOW_BYTES / block_size).max(1))
}

/// The disk as whole blocks of one size, reads through a read-ahead window.
pub struct Ahead<'a> {
    pub block_size: usize,
    pub window: &'a mut ReadAhead,
    /// The window's pending prefetch (the driver's tickets for it).
    pub prefetch: &'a mut Prefetch,
}

/// The first sector of block `block` (blocks of `block_size` bytes).
pub fn first_sector(block_size: usize, block: u64) -> Result<u64, DiskError> {
    block
        .checked_mul((block_size / SECTOR) as u64)
        .ok_or(DiskError::OutOfRange {
            sector: u64::MAX,
            sectors: block_size / SECTOR,
            capacity: disk::capacity().unwrap_or(0),
        })
}

impl Ahead<'_> {
    pub fn sector(&self, block: u64) -> Result<u64, DiskError> {
        first_sector(self.block_size, block)
    }

    /// The window, and the disk below it (with the window's prefetch).
    fn window_and_disk(&mut self) -> (&mut ReadAhead, Raw<'_>) {
        let raw = Raw {
            block_size: self.block_size,
            prefetch: self.prefetch,
        };
        (self.window, raw)
    }

    fn forget(&mut self, first: u64, bytes: usize) {
        let count = (bytes / self.block_size).max(1) as u64;
        let (window, mut raw) = self.window_and_disk();
        window.invalidate(&mut raw, first, count);
    }

    /// Forgets the window and ends its prefetch.
    pub fn clear(&mut self) {
        let (window, mut raw) = self.window_and_disk();
        window.clear(&mut raw);
    }
}

/// The disk itself, in blocks (what the window reads from and prefetches).
struct Raw<'a> {
    block_size: usize,
    prefetch: &'a mut Prefetch,
}

impl Raw<'_> {
    fn sector(&self, block: u64) -> Result<u64, DiskError> {
        first_sector(self.block_size, block)
    }
}

impl BlockDevice for Raw<'_> {
    type Error = DiskError;
    fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<(), DiskError> {
        disk::read(self.sector(block)?, buf)
    }
    fn write_block(&mut self, block: u64, buf: &[u8]) -> Result<(), DiskError> {
        disk::write_behind(self.sector(block)?, buf)
    }
    fn flush(&mut self) -> Result<(), DiskError> {
        disk::flush()
    }
    fn read_run(&mut self, first: u64, _: usize, buf: &mut [u8]) -> Result<(), DiskError> {
        disk::read(self.sector(first)?, buf)
    }
    fn prefetch(&mut self, first: u64, block_size: usize, count: usize) -> usize {
        let Ok(sector) = self.sector(first) else {
            return 0;
        };
        let bytes = count.saturating_mul(block_size);
        // Whole blocks only: a piece may end inside one.
        self.prefetch.start(sector, bytes) / block_size
    }
    fn take_prefetch(&mut self, buf: &mut [u8]) -> Result<(), DiskError> {
        self.prefetch.take(buf)
    }
    fn settle_prefetch(&mut self) {
        self.prefetch.settle()
    }
    fn drop_prefetch(&mut self) {
        self.prefetch.discard()
    }
}

impl BlockDevice for Ahead<'_> {
    type Error = DiskError;
    fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<(), DiskError> {
        if self.window.read_held(block, buf) {
            return Ok(());
        }
        disk::read(self.sector(block)?, buf)
    }
    fn write_block(&mut self, block: u64, buf: &[u8]) -> Result<(), DiskError> {
        self.forget(block, buf.len());
        disk::write_behind(self.sector(block)?, buf)
    }
    fn flush(&mut self) -> Result<(), DiskError> {
        let (window, mut raw) = self.window_and_disk();
        window.drop_prefetch_of(&mut raw);
        disk::flush()
    }
    fn read_run(&mut self, first: u64, _: usize, buf: &mut [u8]) -> Result<(), DiskError> {
        let bs = self.block_size as u64;
        let limit = disk::capacity().ok_or(DiskError::NoDisk)? * SECTOR as u64 / bs;
        let (window, mut raw) = self.window_and_disk();
        window.read_run(&mut raw, first, buf, limit)
    }
    fn write_run(&mut self, first: u64, _: usize, data: &[u8]) -> Result<(), DiskError> {
        self.forget(first, data.len());
        disk::write_behind(self.sector(first)?, data)
    }
}
