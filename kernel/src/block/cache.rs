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
//! allows, past the cache, which keeps its copies of them right; runs read
//! one after another are read ahead (`read_ahead`). Writes go behind: the
//! caller does not wait for the device, and [`sync`]'s flush waits for them
//! all and reports a failure (`disk::write_behind`). `mem` shows the cache's
//! [`stats`].

use super::disk::{self, Prefetch};
use super::read_ahead::{self, Ahead};
use crate::drivers::virtio_blk::DiskError;
use crate::tasks::mutex::Mutex;
use blockcache::{Cache, ReadAhead, ReadAheadStats, Stats};
use virtio::blk::SECTOR;

/// Blocks kept at most (4 KiB blocks: 1 MiB).
pub const CAPACITY: usize = 256;
const DEFAULT_BLOCK_SIZE: usize = 4096;

/// The cache and the read-ahead window below it, under one lock.
struct State {
    cache: Cache,
    window: ReadAhead,
    prefetch: Prefetch,
}

impl State {
    fn new(block_size: usize) -> State {
        State {
            cache: Cache::new(block_size, CAPACITY),
            window: read_ahead::new_state(block_size),
            prefetch: Prefetch::default(),
        }
    }
}

static CACHE: Mutex<Option<State>> = Mutex::new(None);

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

fn with<R>(f: impl FnOnce(&mut Cache, &mut Ahead) -> R) -> R {
    let mut guard = CACHE.lock();
    let state = guard.get_or_insert_with(|| State::new(DEFAULT_BLOCK_SIZE));
    let mut blocks = Ahead {
        block_size: state.cache.block_size(),
        window: &mut state.window,
        prefetch: &mut state.prefetch,
    };
    f(&mut state.cache, &mut blocks)
}

/// Sets the block size: syncs and empties the cache first.
pub fn configure(block_size: usize) -> Result<(), CacheError> {
    if !block_size.is_power_of_two() || !(SECTOR..=65536).contains(&block_size) {
        return Err(CacheError::BadBlockSize(block_size));
    }
    // The sync's flush also ends the window's prefetch (no slot held).
    with(|cache, blocks| cache.sync(blocks))?;
    *CACHE.lock() = Some(State::new(block_size));
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
fn check_run(cache: &Cache, blocks: &Ahead, first: u64, len: usize) -> Result<(), CacheError> {
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

/// Forgets clean blocks and the read-ahead window (the next reads go to
/// the disk).
pub fn drop_clean() {
    with(|cache, blocks| {
        cache.drop_clean();
        blocks.clear();
    })
}

/// Size and hit counts, `None` while the cache is busy.
pub fn stats() -> Option<Stats> {
    CACHE.try_lock().map(|guard| match guard.as_ref() {
        Some(state) => state.cache.stats(),
        None => Stats {
            block_size: DEFAULT_BLOCK_SIZE,
            capacity: CAPACITY,
            ..Stats::default()
        },
    })
}

/// The read-ahead window's counters, `None` while the cache is busy.
pub fn read_ahead_stats() -> Option<ReadAheadStats> {
    CACHE
        .try_lock()
        .map(|guard| guard.as_ref().map(|s| s.window.stats()).unwrap_or_default())
}
