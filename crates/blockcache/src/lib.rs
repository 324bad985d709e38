//! A block cache: recently used disk blocks kept in memory.
//!
//! Disks are slow and file systems read the same blocks (superblock, bitmaps,
//! inode tables, directories) again and again, so the kernel keeps copies.
//! This cache is
//!
//! - **bounded**: at most `capacity` blocks; when full, the block used least
//!   recently makes room (found by a scan of last-use stamps: with a few
//!   hundred blocks that is cheaper than keeping a list in order);
//! - **write-back**: a write only changes the copy and marks it *dirty*; the
//!   device sees it when the block is evicted or at [`Cache::sync`], which
//!   writes every dirty block in block order and then asks the device to
//!   flush its own cache. Until then a power cut loses the write: that is
//!   what a file system's journal is ordered around.
//!
//! Long runs of blocks (a journal commit's log, a file read sequentially)
//! bypass it: [`Cache::write_run`] writes a run to the device in one request
//! and [`Cache::read_run`] reads one, each keeping the cached copies of the
//! run's blocks right (a write updates them, a read takes the newer cached
//! ones). One request of 64 blocks costs the disk about what one block
//! does, and a stream of blocks used once would only push the useful ones
//! out of the cache.
//!
//! [`read_ahead`] goes below the cache's runs: a window of blocks read
//! ahead of a reader whose runs follow each other.
//!
//! Nothing is lost on a device error: a dirty block whose write fails stays
//! cached and dirty, and the error goes to the caller. The device is a
//! [`BlockDevice`]; the kernel's is the virtio disk, the tests' a model.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod read_ahead;

pub use read_ahead::{ReadAhead, ReadAheadStats};

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

/// What the cache needs from a disk: whole blocks of one size.
pub trait BlockDevice {
    type Error;
    fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<(), Self::Error>;
    fn write_block(&mut self, block: u64, buf: &[u8]) -> Result<(), Self::Error>;
    /// Makes every write so far durable (the device's own cache written out).
    fn flush(&mut self) -> Result<(), Self::Error>;

    /// Reads the consecutive blocks of `block_size` bytes from `first` into
    /// `buf` (whole blocks). A device that can do that in one request
    /// overrides this.
    fn read_run(
        &mut self,
        first: u64,
        block_size: usize,
        buf: &mut [u8],
    ) -> Result<(), Self::Error> {
        for (i, block) in buf.chunks_mut(block_size).enumerate() {
            self.read_block(first + i as u64, block)?;
        }
        Ok(())
    }

    /// Writes consecutive blocks from `first` (whole blocks); one request
    /// where the device overrides it.
    fn write_run(&mut self, first: u64, block_size: usize, data: &[u8]) -> Result<(), Self::Error> {
        for (i, block) in data.chunks(block_size).enumerate() {
            self.write_block(first + i as u64, block)?;
        }
        Ok(())
    }

    /// Starts reading up to `count` blocks from `first` without waiting for
    /// them (read-ahead's next window, see [`ReadAhead`]) and says how many
    /// it started, from `first` on: 0 (the default) when it cannot. At most
    /// one prefetch is started at a time.
    fn prefetch(&mut self, _first: u64, _block_size: usize, _count: usize) -> usize {
        0
    }

    /// Waits for the started prefetch and copies its blocks into `buf`
    /// (exactly as long as what [`prefetch`](Self::prefetch) started); it is
    /// then over. Only called after a prefetch started.
    fn take_prefetch(&mut self, _buf: &mut [u8]) -> Result<(), Self::Error> {
        Ok(())
    }

    /// Waits until none of the started prefetch's reads is in flight (it
    /// stays started, to be taken or dropped).
    fn settle_prefetch(&mut self) {}

    /// Waits for the started prefetch, if any, and throws its data away.
    fn drop_prefetch(&mut self) {}
}

/// Counters for `mem`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub block_size: usize,
    pub capacity: usize,
    pub cached: usize,
    pub dirty: usize,
    pub hits: u64,
    pub misses: u64,
    pub writebacks: u64,
}

struct Entry {
    block: u64,
    data: Box<[u8]>,
    dirty: bool,
    last_used: u64,
}

/// The cache; see the module docs.
pub struct Cache {
    block_size: usize,
    capacity: usize,
    entries: Vec<Entry>,
    /// Block number to index in `entries`.
    index: BTreeMap<u64, usize>,
    clock: u64,
    hits: u64,
    misses: u64,
    writebacks: u64,
}

impl Cache {
    /// An empty cache of at most `capacity` (at least 1) blocks of
    /// `block_size` bytes.
    pub fn new(block_size: usize, capacity: usize) -> Cache {
        Cache {
            block_size,
            capacity: capacity.max(1),
            entries: Vec::new(),
            index: BTreeMap::new(),
            clock: 0,
            hits: 0,
            misses: 0,
            writebacks: 0,
        }
    }

    pub fn block_size(&self) -> usize {
        self.block_size
    }

    /// Copies block `block` into `out` (`block_size` bytes), from the cache
    /// or else from the device.
    pub fn read<D: BlockDevice>(
        &mut self,
        device: &mut D,
        block: u64,
        out: &mut [u8],
    ) -> Result<(), D::Error> {
        let at = match self.lookup(block) {
            Some(at) => {
                self.hits += 1;
                at
            }
            None => {
                self.misses += 1;
                let mut data = vec![0; self.block_size].into_boxed_slice();
                device.read_block(block, &mut data)?;
                self.insert(device, block, data, false)?
            }
        };
        out.copy_from_slice(&self.entries[at].data);
        Ok(())
    }

    /// Replaces block `block` with `data` (`block_size` bytes) in the cache;
    /// the device gets it later (see the module docs).
    pub fn write<D: BlockDevice>(
        &mut self,
        device: &mut D,
        block: u64,
        data: &[u8],
    ) -> Result<(), D::Error> {
        match self.lookup(block) {
            Some(at) => {
                self.hits += 1;
                let entry = &mut self.entries[at];
                entry.data.copy_from_slice(data);
                entry.dirty = true;
            }
            None => {
                self.misses += 1;
                self.insert(device, block, data.into(), true)?;
            }
        }
        Ok(())
    }

    /// Writes every dirty block (in block order), then flushes the device.
    /// On an error the blocks not yet written stay dirty.
    /// Reads the run of blocks from `first` into `buf` (whole blocks) in
    /// one device request, without caching them; blocks the cache holds are
    /// taken from it (a dirty one is newer than the disk).
    pub fn read_run<D: BlockDevice>(
        &mut self,
        device: &mut D,
        first: u64,
        buf: &mut [u8],
    ) -> Result<(), D::Error> {
        let bs = self.block_size;
        device.read_run(first, bs, buf)?;
        for (i, out) in buf.chunks_mut(bs).enumerate() {
            if let Some(&at) = self.index.get(&(first + i as u64)) {
                out.copy_from_slice(&self.entries[at].data);
            }
        }
        self.misses += (buf.len() / bs) as u64;
        Ok(())
    }

    /// Writes the run of blocks from `first` (whole blocks) to the device in
    /// one request; cached copies of them take the new contents and are
    /// clean (the disk has them now).
    pub fn write_run<D: BlockDevice>(
        &mut self,
        device: &mut D,
        first: u64,
        data: &[u8],
    ) -> Result<(), D::Error> {
        let bs = self.block_size;
        device.write_run(first, bs, data)?;
        for (i, new) in data.chunks(bs).enumerate() {
            if let Some(&at) = self.index.get(&(first + i as u64)) {
                let entry = &mut self.entries[at];
                entry.data.copy_from_slice(new);
                entry.dirty = false;
            }
        }
        self.writebacks += (data.len() / bs) as u64;
        Ok(())
    }

    pub fn sync<D: BlockDevice>(&mut self, device: &mut D) -> Result<(), D::Error> {
        let dirty: Vec<(u64, usize)> = self
            .index
            .iter()
            .filter(|&(_, &at)| self.entries[at].dirty)
            .map(|(&block, &at)| (block, at))
            .collect();
        for (block, at) in dirty {
            device.write_block(block, &self.entries[at].data)?;
            self.entries[at].dirty = false;
            self.writebacks += 1;
        }
        device.flush()
    }

    /// Drops every clean block (dirty ones stay: they are not on disk yet).
    pub fn drop_clean(&mut self) {
        self.entries.retain(|e| e.dirty);
        self.reindex();
    }

    pub fn stats(&self) -> Stats {
        Stats {
            block_size: self.block_size,
            capacity: self.capacity,
            cached: self.entries.len(),
            dirty: self.entries.iter().filter(|e| e.dirty).count(),
            hits: self.hits,
            misses: self.misses,
            writebacks: self.writebacks,
        }
    }

    /// The entry holding `block`, marked as used now.
    fn lookup(&mut self, block: u64) -> Option<usize> {
        let at = *self.index.get(&block)?;
        self.clock += 1;
        self.entries[at].last_used = self.clock;
        Some(at)
    }

    /// Adds a block, evicting the least recently used one if full (writing
    /// it first if dirty: if that fails, nothing changes).
    fn insert<D: BlockDevice>(
        &mut self,
        device: &mut D,
        block: u64,
        data: Box<[u8]>,
        dirty: bool,
    ) -> Result<usize, D::Error> {
        self.clock += 1;
        let entry = Entry {
            block,
            data,
            dirty,
            last_used: self.clock,
        };
        if self.entries.len() < self.capacity {
            self.entries.push(entry);
            let at = self.entries.len() - 1;
            self.index.insert(block, at);
            return Ok(at);
        }
        let (at, victim) = self
            .entries
            .iter()
            .enumerate()
            .min_by_key(|(_, e)| e.last_used)
            .expect("a full cache has entries");
        if victim.dirty {
            device.write_block(victim.block, &victim.data)?;
            self.writebacks += 1;
        }
        self.index.remove(&victim.block);
        self.entries[at] = entry;
        self.index.insert(block, at);
        Ok(at)
    }

    fn reindex(&mut self) {
        self.index = self
            .entries
            .iter()
            .enumerate()
            .map(|(at, e)| (e.block, at))
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;
    use xorshift::XorShift64;

    const BS: usize = 16;

    /// A disk in memory that fails on purpose when told to, and counts.
    struct Disk {
        blocks: Vec<[u8; BS]>,
        fail: bool,
        reads: usize,
        writes: usize,
        flushes: usize,
    }

    #[derive(Debug, PartialEq)]
    struct Failed;

    impl Disk {
        fn new(n: usize) -> Disk {
            Disk {
                blocks: (0..n).map(|i| [i as u8; BS]).collect(),
                fail: false,
                reads: 0,
                writes: 0,
                flushes: 0,
            }
        }
    }

    impl BlockDevice for Disk {
        type Error = Failed;
        fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<(), Failed> {
            if self.fail {
                return Err(Failed);
            }
            self.reads += 1;
            buf.copy_from_slice(&self.blocks[block as usize]);
            Ok(())
        }
        fn write_block(&mut self, block: u64, buf: &[u8]) -> Result<(), Failed> {
            if self.fail {
                return Err(Failed);
            }
            self.writes += 1;
            self.blocks[block as usize].copy_from_slice(buf);
            Ok(())
        }
        fn flush(&mut self) -> Result<(), Failed> {
            if self.fail {
                return Err(Failed);
            }
            self.flushes += 1;
            Ok(())
        }
    }

    #[test]
    fn hits_do_not_touch_the_disk_and_writes_wait_for_sync() {
        let mut disk = Disk::new(8);
        let mut cache = Cache::new(BS, 4);
        let mut buf = [0; BS];
        cache.read(&mut disk, 3, &mut buf).unwrap();
        cache.read(&mut disk, 3, &mut buf).unwrap();
        assert_eq!((buf, disk.reads), ([3; BS], 1));
        cache.write(&mut disk, 5, &[9; BS]).unwrap();
        assert_eq!((disk.writes, disk.blocks[5]), (0, [5; BS]), "write-back");
        cache.sync(&mut disk).unwrap();
        assert_eq!((disk.writes, disk.flushes, disk.blocks[5]), (1, 1, [9; BS]));
        cache.sync(&mut disk).unwrap();
        assert_eq!(disk.writes, 1, "clean blocks are not written again");
        let s = cache.stats();
        assert_eq!((s.hits, s.misses, s.cached, s.dirty), (1, 2, 2, 0));
    }

    #[test]
    fn the_least_recently_used_block_goes_first() {
        let mut disk = Disk::new(8);
        let mut cache = Cache::new(BS, 2);
        let mut buf = [0; BS];
        cache.read(&mut disk, 0, &mut buf).unwrap();
        cache.read(&mut disk, 1, &mut buf).unwrap();
        cache.read(&mut disk, 0, &mut buf).unwrap(); // 1 is now the oldest
        cache.read(&mut disk, 2, &mut buf).unwrap();
        assert_eq!(disk.reads, 3);
        cache.read(&mut disk, 0, &mut buf).unwrap();
        assert_eq!(disk.reads, 3, "0 stayed");
        cache.read(&mut disk, 1, &mut buf).unwrap();
        assert_eq!(disk.reads, 4, "1 was evicted");
    }

    #[test]
    fn a_failed_writeback_loses_nothing() {
        let mut disk = Disk::new(8);
        let mut cache = Cache::new(BS, 1);
        cache.write(&mut disk, 0, &[7; BS]).unwrap();
        disk.fail = true;
        let mut buf = [0; BS];
        assert_eq!(cache.read(&mut disk, 1, &mut buf), Err(Failed));
        assert_eq!(cache.sync(&mut disk), Err(Failed));
        disk.fail = false;
        cache.read(&mut disk, 0, &mut buf).unwrap();
        assert_eq!(buf, [7; BS], "still cached");
        cache.sync(&mut disk).unwrap();
        assert_eq!(disk.blocks[0], [7; BS]);
    }

    /// A run is one device request each way and keeps the cache right: a
    /// dirty cached block is read from the cache, and a written run makes
    /// its cached copies new and clean.
    #[test]
    fn runs_bypass_the_cache_and_keep_it_right() {
        struct Counting(Disk, usize);
        impl BlockDevice for Counting {
            type Error = Failed;
            fn read_block(&mut self, b: u64, buf: &mut [u8]) -> Result<(), Failed> {
                self.0.read_block(b, buf)
            }
            fn write_block(&mut self, b: u64, buf: &[u8]) -> Result<(), Failed> {
                self.0.write_block(b, buf)
            }
            fn flush(&mut self) -> Result<(), Failed> {
                self.0.flush()
            }
            fn read_run(&mut self, first: u64, bs: usize, buf: &mut [u8]) -> Result<(), Failed> {
                self.1 += 1;
                for (i, b) in buf.chunks_mut(bs).enumerate() {
                    b.copy_from_slice(&self.0.blocks[first as usize + i]);
                }
                Ok(())
            }
            fn write_run(&mut self, first: u64, bs: usize, data: &[u8]) -> Result<(), Failed> {
                self.1 += 1;
                for (i, b) in data.chunks(bs).enumerate() {
                    self.0.blocks[first as usize + i].copy_from_slice(b);
                }
                Ok(())
            }
        }
        let mut disk = Counting(Disk::new(8), 0);
        let mut cache = Cache::new(BS, 4);
        cache.write(&mut disk, 2, &[42; BS]).unwrap();
        let mut buf = [0; 4 * BS];
        cache.read_run(&mut disk, 1, &mut buf).unwrap();
        assert_eq!(disk.1, 1, "one request");
        assert_eq!(&buf[..BS], &[1; BS]);
        assert_eq!(&buf[BS..2 * BS], &[42; BS], "the dirty cached copy");
        assert_eq!(&buf[3 * BS..], &[4; BS]);
        assert_eq!(cache.stats().cached, 1, "a run is not cached");
        cache.write_run(&mut disk, 2, &[7; 3 * BS]).unwrap();
        assert_eq!(disk.1, 2, "one request");
        assert_eq!(disk.0.blocks[2..5], [[7; BS]; 3]);
        assert_eq!(cache.stats().dirty, 0, "the cached copy is clean now");
        let mut one = [0; BS];
        cache.read(&mut disk, 2, &mut one).unwrap();
        assert_eq!(one, [7; BS], "and new");
        cache.sync(&mut disk).unwrap();
        assert_eq!(disk.0.writes, 0, "nothing left to write back");
    }

    /// Random reads, writes, runs, syncs, failures and clean-drops against a model:
    /// what is read is the last thing written; the cache never holds more
    /// than its capacity; after a successful sync the disk holds everything;
    /// at any time the disk differs from the model only in dirty blocks.
    #[test]
    fn random_operations_against_a_model() {
        for seed in 1..=8u64 {
            let mut rng = XorShift64(seed * 0x2545_F491);
            let n = 4 + rng.below(40);
            let capacity = 1 + rng.below(12);
            let mut disk = Disk::new(n);
            let mut model: Vec<[u8; BS]> = disk.blocks.clone();
            let mut cache = Cache::new(BS, capacity);
            for step in 0..20_000 {
                let block = rng.below(n);
                disk.fail = rng.below(20) == 0;
                let run = 1 + rng.below((n - block).min(6));
                match rng.below(12) {
                    0..=4 => {
                        let mut buf = [0; BS];
                        if cache.read(&mut disk, block as u64, &mut buf).is_ok() {
                            assert_eq!(buf, model[block], "seed {seed} step {step}");
                        }
                    }
                    5..=7 => {
                        let data = [rng.next() as u8; BS];
                        if cache.write(&mut disk, block as u64, &data).is_ok() {
                            model[block] = data;
                        }
                    }
                    8 => {
                        if cache.sync(&mut disk).is_ok() {
                            assert_eq!(disk.blocks, model, "seed {seed} step {step}");
                        }
                    }
                    9 => cache.drop_clean(),
                    10 => {
                        let mut buf = vec![0; run * BS];
                        if cache.read_run(&mut disk, block as u64, &mut buf).is_ok() {
                            let expected: Vec<u8> = model[block..block + run]
                                .iter()
                                .flatten()
                                .copied()
                                .collect();
                            assert_eq!(buf, expected, "seed {seed} step {step}");
                        }
                    }
                    _ => {
                        let data: Vec<u8> = (0..run * BS).map(|_| rng.next() as u8).collect();
                        if cache.write_run(&mut disk, block as u64, &data).is_ok() {
                            for (i, new) in data.chunks(BS).enumerate() {
                                model[block + i].copy_from_slice(new);
                            }
                        }
                    }
                }
                let stats = cache.stats();
                assert!(stats.cached <= capacity);
                let dirty: usize = (0..n).filter(|&b| disk.blocks[b] != model[b]).count();
                assert!(dirty <= stats.dirty, "a write went missing");
            }
        }
    }
}
