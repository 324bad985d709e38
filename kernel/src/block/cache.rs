//! The block cache: file-system blocks over the disk, through
//! `crates/blockcache` (bounded, write-back, least recently used first).
//!
//! Blocks have one size for the whole cache (the file system's: 1, 2 or 4
//! KiB; 4 KiB until [`configure`] says otherwise). Block `b` is sectors
//! `b * size / 512` onwards. The cache is one sleeping `Mutex`: a miss reads
//! the disk with the lock held, so cached I/O is one request at a time (the
//! disk layer below takes requests from many threads at once).
//!
//! Dirty blocks reach the disk when they are evicted or at [`sync`], which
//! writes them all and then flushes the device's write cache. Runs of
//! several blocks ([`read_run`], [`write_run`]: a journal commit, a file
//! read sequentially) go to the disk in as few requests as the driver
//! allows, past the cache, which keeps its copies of them right. `mem` shows
//! the cache's [`stats`].

use super::disk;
use crate::drivers::virtio_blk::DiskError;
use crate::tasks::mutex::Mutex;
use blockcache::{BlockDevice, Cache, Stats};
use virtio::blk::SECTOR;

/// Blocks kept at most (4 KiB blocks: 1 MiB).
pub const CAPACITY: usize = 256;
const DEFAULT_BLOCK_SIZE: usize = 4096;

static CACHE: Mutex<Option<Cache>> = Mutex::new(None);

/// The disk as whole blocks of one size.
struct Blocks {
    block_size: usize,
}

impl Blocks {
    fn sector(&self, block: u64) -> Result<u64, DiskError> {
        block
            .checked_mul((self.block_size / SECTOR) as u64)
            .ok_or(DiskError::OutOfRange {
                sector: u64::MAX,
                sectors: self.block_size / SECTOR,
                capacity: disk::capacity().unwrap_or(0),
            })
    }
}

impl BlockDevice for Blocks {
    type Error = DiskError;
    fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<(), DiskError> {
        disk::read(self.sector(block)?, buf)
    }
    fn write_block(&mut self, block: u64, buf: &[u8]) -> Result<(), DiskError> {
        disk::write(self.sector(block)?, buf)
    }
    fn flush(&mut self) -> Result<(), DiskError> {
        disk::flush()
    }
    fn read_run(&mut self, first: u64, _: usize, buf: &mut [u8]) -> Result<(), DiskError> {
        disk::read(self.sector(first)?, buf)
    }
    fn write_run(&mut self, first: u64, _: usize, data: &[u8]) -> Result<(), DiskError> {
        disk::write(self.sector(first)?, data)
    }
}

/// Why a cache call was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheError {
    Disk(DiskError),
    /// The buffer is not one block long.
    WrongSize {
        expected: usize,
        got: usize,
    },
    /// Block sizes are 512 to 64 KiB, powers of two.
    BadBlockSize(usize),
}

impl From<DiskError> for CacheError {
    fn from(e: DiskError) -> Self {
        CacheError::Disk(e)
    }
}

fn with<R>(f: impl FnOnce(&mut Cache, &mut Blocks) -> R) -> R {
    let mut guard = CACHE.lock();
    let cache = guard.get_or_insert_with(|| Cache::new(DEFAULT_BLOCK_SIZE, CAPACITY));
    let mut blocks = Blocks {
        block_size: cache.block_size(),
    };
    f(cache, &mut blocks)
}

/// Sets the block size: syncs and empties the cache first.
pub fn configure(block_size: usize) -> Result<(), CacheError> {
    if !block_size.is_power_of_two() || !(SECTOR..=65536).contains(&block_size) {
        return Err(CacheError::BadBlockSize(block_size));
    }
    with(|cache, blocks| cache.sync(blocks))?;
    *CACHE.lock() = Some(Cache::new(block_size, CAPACITY));
    Ok(())
}

/// The current block size.
pub fn block_size() -> usize {
    with(|cache, _| cache.block_size())
}

fn check_size(cache: &Cache, len: usize) -> Result<(), CacheError> {
    if len != cache.block_size() {
        return Err(CacheError::WrongSize {
            expected: cache.block_size(),
            got: len,
        });
    }
    Ok(())
}

/// Reads block `block` into `out` (one block long).
pub fn read(block: u64, out: &mut [u8]) -> Result<(), CacheError> {
    with(|cache, blocks| {
        check_size(cache, out.len())?;
        Ok(cache.read(blocks, block, out)?)
    })
}

/// Writes block `block` (into the cache; the disk gets it later).
pub fn write(block: u64, data: &[u8]) -> Result<(), CacheError> {
    with(|cache, blocks| {
        check_size(cache, data.len())?;
        // A write past the disk's end must fail now, not at eviction.
        let end = blocks
            .sector(block)?
            .checked_add((data.len() / SECTOR) as u64);
        let capacity = disk::capacity().ok_or(DiskError::NoDisk)?;
        if end.is_none_or(|end| end > capacity) {
            return Err(CacheError::Disk(DiskError::OutOfRange {
                sector: blocks.sector(block)?,
                sectors: data.len() / SECTOR,
                capacity,
            }));
        }
        Ok(cache.write(blocks, block, data)?)
    })
}

/// Reads the whole blocks from `first` into `buf` in as few disk requests
/// as the driver allows, past the cache (its newer copies win).
pub fn read_run(first: u64, buf: &mut [u8]) -> Result<(), CacheError> {
    with(|cache, blocks| {
        check_run(cache, blocks, first, buf.len())?;
        Ok(cache.read_run(blocks, first, buf)?)
    })
}

/// Writes the whole blocks of `data` from `first` straight to the disk,
/// in as few requests as the driver allows (cached copies follow).
pub fn write_run(first: u64, data: &[u8]) -> Result<(), CacheError> {
    with(|cache, blocks| {
        check_run(cache, blocks, first, data.len())?;
        Ok(cache.write_run(blocks, first, data)?)
    })
}

/// A run is whole blocks, inside the disk.
fn check_run(cache: &Cache, blocks: &Blocks, first: u64, len: usize) -> Result<(), CacheError> {
    if len == 0 || !len.is_multiple_of(cache.block_size()) {
        return Err(CacheError::WrongSize {
            expected: cache.block_size(),
            got: len,
        });
    }
    let end = blocks.sector(first)?.checked_add((len / SECTOR) as u64);
    let capacity = disk::capacity().ok_or(DiskError::NoDisk)?;
    if end.is_none_or(|end| end > capacity) {
        return Err(CacheError::Disk(DiskError::OutOfRange {
            sector: blocks.sector(first)?,
            sectors: len / SECTOR,
            capacity,
        }));
    }
    Ok(())
}

/// Writes every dirty block, then flushes the disk.
pub fn sync() -> Result<(), CacheError> {
    Ok(with(|cache, blocks| cache.sync(blocks))?)
}

/// Forgets clean blocks (the next reads go to the disk).
pub fn drop_clean() {
    with(|cache, _| cache.drop_clean())
}

/// Size and hit counts, `None` while the cache is busy.
pub fn stats() -> Option<Stats> {
    CACHE.try_lock().map(|guard| match guard.as_ref() {
        Some(cache) => cache.stats(),
        None => Stats {
            block_size: DEFAULT_BLOCK_SIZE,
            capacity: CAPACITY,
            ..Stats::default()
        },
    })
}
