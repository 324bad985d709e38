//! Read-ahead: when runs of blocks are read one after another, read more
//! than was asked and keep the rest for the next call.
//!
//! A program that reads a file from start to end asks for, say, 64 KiB at a
//! time. Each of those would be one device request, and a request costs
//! about as much for 64 KiB as for 1 MiB, so [`ReadAhead`] watches the runs
//! it is asked for. A run that starts where the last one ended (or a few
//! blocks after it: ext2 puts an indirect block between a file's data
//! blocks; or anywhere inside the window or the prefetch below, as when ext2
//! skips a block group's metadata) is *sequential*: the run is then read together with the blocks
//! that follow it, a *window* that doubles with each sequential run, up to
//! a limit; the next runs are copied out of the window. Any other run resets
//! the window to nothing and is read as asked, so random reads pay nothing.
//!
//! **Prefetch.** As soon as a sequential run has been served from a new
//! window, the device is asked to start reading the *next* window
//! ([`BlockDevice::prefetch`]) while the reader goes on copying out of this
//! one: the device and the reader overlap. A run that reaches the
//! prefetched blocks takes them ([`BlockDevice::take_prefetch`], which waits
//! only for what is still in flight) as the new window and starts the
//! following prefetch. At most one prefetch is pending; a run that does
//! not continue the last one, a write of any of its blocks
//! ([`ReadAhead::invalidate`]), [`ReadAhead::clear`] and a flush
//! ([`ReadAhead::drop_prefetch_of`]) drop it ([`BlockDevice::drop_prefetch`]):
//! it is never taken after a write of its blocks, and it holds the device's
//! requests at most until the next flush. A prefetch
//! that fails is dropped and its blocks read again as asked: the error
//! reaches a reader only if that read fails too.
//!
//! The window is a copy of the disk: whoever writes blocks must call
//! [`ReadAhead::invalidate`] for them *before* writing, or later reads would
//! see the old contents. It never reads past `limit` (the disk's end).

use crate::BlockDevice;
use alloc::vec::Vec;

/// A run starting at most this many blocks after the last one's end still
/// counts as sequential.
pub const MAX_GAP: u64 = 8;

/// See the module docs.
pub struct ReadAhead {
    block_size: usize,
    /// The largest window, in blocks.
    max_blocks: usize,
    /// The window: blocks `start..start + held`, in the first bytes of
    /// `data` (which keeps its size between windows, so that a new window
    /// is read into it without being zeroed first).
    start: u64,
    held: usize,
    data: Vec<u8>,
    /// The prefetch the device has started: `(first, started, usable)`,
    /// blocks `first..first + started` asked for, of which the first
    /// `usable` may become the window (the rest were written since).
    pending: Option<(u64, usize, usize)>,
    /// Where the last run ended (`None`: no run yet).
    next: Option<u64>,
    /// The window's size for the next sequential run, in blocks.
    window: usize,
    hits: u64,
    device_reads: u64,
    prefetches: u64,
    dropped: u64,
}

/// Counters: blocks copied out of the window, runs read from the device
/// while the reader waited, prefetches taken as windows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadAheadStats {
    pub hit_blocks: u64,
    pub device_reads: u64,
    pub window_blocks: usize,
    pub prefetches: u64,
    pub dropped: u64,
}

impl ReadAhead {
    /// Read-ahead for blocks of `block_size` bytes, windows of at most
    /// `max_blocks` blocks.
    pub fn new(block_size: usize, max_blocks: usize) -> Self {
        ReadAhead {
            block_size,
            max_blocks,
            start: 0,
            held: 0,
            data: Vec::new(),
            pending: None,
            next: None,
            window: 0,
            hits: 0,
            device_reads: 0,
            prefetches: 0,
            dropped: 0,
        }
    }

    fn held(&self) -> core::ops::Range<u64> {
        self.start..self.start + self.held as u64
    }

    /// Whether a run starting at `first` continues the last one.
    fn is_sequential(&self, first: u64) -> bool {
        self.next
            .is_some_and(|next| first >= next && first - next <= MAX_GAP)
    }

    /// Copies what the window holds of the blocks of `buf` from `first`
    /// (only if it holds `first`); returns how many blocks.
    fn copy_held(&mut self, first: u64, buf: &mut [u8]) -> u64 {
        let held = self.held();
        if !held.contains(&first) {
            return 0;
        }
        let bs = self.block_size;
        let done = (held.end - first).min((buf.len() / bs) as u64);
        let from = ((first - held.start) as usize) * bs;
        let len = done as usize * bs;
        buf[..len].copy_from_slice(&self.data[from..from + len]);
        self.hits += done;
        done
    }

    /// Whether block `block` is among the usable blocks of the pending
    /// prefetch.
    fn pending_covers(&self, block: u64) -> bool {
        self.pending
            .is_some_and(|(p, _, n)| p <= block && block < p + n as u64)
    }

    /// Makes the pending prefetch the window (`false`: it failed, and the
    /// window is empty).
    fn take_pending<D: BlockDevice>(&mut self, device: &mut D) -> bool {
        let Some((first, started, count)) = self.pending.take() else {
            return false;
        };
        let bytes = started * self.block_size;
        if self.data.len() < bytes {
            self.data.resize(bytes, 0);
        }
        self.held = 0;
        if device.take_prefetch(&mut self.data[..bytes]).is_err() {
            return false;
        }
        self.start = first;
        self.held = count;
        self.prefetches += 1;
        true
    }

    /// Drops the pending prefetch, if any (before a flush: nothing is left
    /// in flight).
    pub fn drop_prefetch_of<D: BlockDevice>(&mut self, device: &mut D) {
        if self.pending.take().is_some() {
            self.dropped += 1;
            device.drop_prefetch();
        }
    }

    /// Starts the prefetch of the window after this one (none pending).
    fn start_prefetch<D: BlockDevice>(&mut self, device: &mut D, limit: u64) {
        let first = self.held().end;
        let count = (self.window as u64).min(limit.saturating_sub(first)) as usize;
        if self.pending.is_some() || self.held == 0 || count == 0 {
            return;
        }
        let started = device.prefetch(first, self.block_size, count).min(count);
        if started > 0 {
            self.pending = Some((first, started, started));
        }
    }

    /// Reads the whole blocks of `buf` from `first` (none of them at or past
    /// `limit`): from the window where it holds them, then from the
    /// prefetch if the run reaches it, else from `device`, with a window's
    /// worth more when the run is sequential.
    pub fn read_run<D: BlockDevice>(
        &mut self,
        device: &mut D,
        first: u64,
        buf: &mut [u8],
        limit: u64,
    ) -> Result<(), D::Error> {
        let bs = self.block_size;
        let count = (buf.len() / bs) as u64;
        // A run that starts in the window or the prefetch continues the
        // stream too (ext2 skips a block group's bitmaps and inode table).
        let sequential =
            self.is_sequential(first) || self.held().contains(&first) || self.pending_covers(first);
        self.next = Some(first + count);
        if !sequential {
            self.drop_prefetch_of(device);
        }
        let mut done = self.copy_held(first, buf);
        let at = first + done;
        if done < count && sequential && self.pending_covers(at) && self.take_pending(device) {
            done += self.copy_held(at, &mut buf[done as usize * bs..]);
            self.window = (self.window * 2).min(self.max_blocks);
        }
        if done == count {
            if sequential {
                self.start_prefetch(device, limit);
            }
            return Ok(());
        }
        self.drop_prefetch_of(device);
        let at = first + done;
        let rest = &mut buf[done as usize * bs..];
        if !sequential {
            self.window = 0;
            self.device_reads += 1;
            return device.read_run(at, bs, rest);
        }
        self.window = (self.window * 2)
            .max(2 * count as usize)
            .min(self.max_blocks);
        let want = (self.window as u64).max(count - done);
        let blocks = want.min(limit.saturating_sub(at)).max(count - done) as usize;
        if self.data.len() < blocks * bs {
            self.data.resize(blocks * bs, 0);
        }
        self.held = 0;
        self.start = at;
        self.device_reads += 1;
        device.read_run(at, bs, &mut self.data[..blocks * bs])?;
        self.held = blocks;
        rest.copy_from_slice(&self.data[..rest.len()]);
        self.start_prefetch(device, limit);
        Ok(())
    }

    /// Copies block `block` into `buf` (one block long) if the window holds
    /// it: a single block asked for inside a sequential read (ext2's
    /// pointer block between two runs) then needs no device read.
    pub fn read_held(&mut self, block: u64, buf: &mut [u8]) -> bool {
        buf.len() == self.block_size && self.copy_held(block, buf) == 1
    }

    /// Blocks `first..first + count` are about to be written: forgets the
    /// window's copies of them; if the pending prefetch covers any of them,
    /// waits until none of its reads is in flight (so that none runs while
    /// they are written) and keeps only its blocks before the first written
    /// one, or drops it when that leaves none (ext2 writes back a file's
    /// pointer block that lies between the blocks prefetched). A write elsewhere leaves the prefetch alone: the
    /// cache writes back a block on many a miss, and dropping the prefetch
    /// each time would read every window twice.
    pub fn invalidate<D: BlockDevice>(&mut self, device: &mut D, first: u64, count: u64) {
        let end = first.saturating_add(count);
        let overlaps = |start: u64, n: usize| first < start + n as u64 && start < end;
        if let Some((p, started, usable)) = self.pending
            && overlaps(p, usable)
        {
            if first > p {
                // Its blocks before the write stay good: wait until
                // nothing of it is in flight, and keep only those.
                device.settle_prefetch();
                self.pending = Some((p, started, (first - p) as usize));
            } else {
                self.drop_prefetch_of(device);
            }
        }
        if overlaps(self.start, self.held) {
            self.held = 0;
        }
    }

    /// Forgets the window, the pending prefetch and the last run.
    pub fn clear<D: BlockDevice>(&mut self, device: &mut D) {
        self.drop_prefetch_of(device);
        self.held = 0;
        self.next = None;
        self.window = 0;
    }

    /// Whether a prefetch is pending (the device holds requests for it).
    pub fn prefetch_pending(&self) -> bool {
        self.pending.is_some()
    }

    pub fn stats(&self) -> ReadAheadStats {
        ReadAheadStats {
            hit_blocks: self.hits,
            device_reads: self.device_reads,
            window_blocks: self.held,
            prefetches: self.prefetches,
            dropped: self.dropped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use xorshift::XorShift64;

    /// A disk of numbered blocks (each byte the block number's low byte
    /// plus its offset) that records the runs read from it. A prefetch
    /// (at most `prefetch_cap` blocks; 0: none) copies the blocks when it
    /// starts, as a device read in flight may: a write after that must
    /// drop it. `fail_next_take` makes the next taken prefetch fail.
    struct Model {
        blocks: Vec<Vec<u8>>,
        reads: Vec<(u64, usize)>,
        prefetch_cap: usize,
        pending: Option<(u64, Vec<u8>)>,
        /// Whether the pending prefetch's reads are all complete.
        settled: bool,
        prefetches: Vec<(u64, usize)>,
        fail_next_take: bool,
    }

    const BS: usize = 16;

    impl Model {
        fn new(n: usize) -> Self {
            Model {
                blocks: (0..n)
                    .map(|b| (0..BS).map(|i| (b * 7 + i) as u8).collect())
                    .collect(),
                reads: Vec::new(),
                prefetch_cap: 0,
                pending: None,
                settled: false,
                prefetches: Vec::new(),
                fail_next_take: false,
            }
        }
    }

    impl BlockDevice for Model {
        type Error = ();
        fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<(), ()> {
            self.read_run(block, BS, buf)
        }
        fn write_block(&mut self, block: u64, buf: &[u8]) -> Result<(), ()> {
            let covered =
                |(p, d): &(u64, Vec<u8>)| (*p..*p + (d.len() / BS) as u64).contains(&block);
            assert!(
                self.settled || !self.pending.as_ref().is_some_and(covered),
                "a write under a prefetch"
            );
            self.blocks[block as usize].copy_from_slice(buf);
            Ok(())
        }
        fn flush(&mut self) -> Result<(), ()> {
            Ok(())
        }
        fn read_run(&mut self, first: u64, bs: usize, buf: &mut [u8]) -> Result<(), ()> {
            let n = buf.len() / bs;
            if first as usize + n > self.blocks.len() {
                return Err(());
            }
            self.reads.push((first, n));
            for (k, out) in buf.chunks_mut(bs).enumerate() {
                out.copy_from_slice(&self.blocks[first as usize + k]);
            }
            Ok(())
        }
        fn prefetch(&mut self, first: u64, _: usize, count: usize) -> usize {
            assert!(self.pending.is_none(), "two prefetches at once");
            let n = count.min(self.prefetch_cap);
            assert!(first as usize + n <= self.blocks.len(), "past the end");
            if n > 0 {
                let range = first as usize..first as usize + n;
                self.pending = Some((first, self.blocks[range].concat()));
                self.settled = false;
                self.prefetches.push((first, n));
            }
            n
        }
        fn take_prefetch(&mut self, buf: &mut [u8]) -> Result<(), ()> {
            let (_, data) = self.pending.take().expect("a prefetch to take");
            if core::mem::take(&mut self.fail_next_take) {
                return Err(());
            }
            buf.copy_from_slice(&data);
            Ok(())
        }
        fn settle_prefetch(&mut self) {
            assert!(self.pending.is_some(), "nothing to settle");
            self.settled = true;
        }
        fn drop_prefetch(&mut self) {
            assert!(self.pending.take().is_some(), "nothing to drop");
        }
    }

    fn read(ra: &mut ReadAhead, disk: &mut Model, first: u64, count: usize) -> Vec<u8> {
        let mut buf = vec![0; count * BS];
        let limit = disk.blocks.len() as u64;
        ra.read_run(disk, first, &mut buf, limit).unwrap();
        buf
    }

    fn expected(disk: &Model, first: u64, count: usize) -> Vec<u8> {
        disk.blocks[first as usize..first as usize + count].concat()
    }

    #[test]
    fn sequential_runs_grow_the_window_and_read_less_often() {
        let mut disk = Model::new(1000);
        let mut ra = ReadAhead::new(BS, 64);
        for k in 0..40 {
            let got = read(&mut ra, &mut disk, 4 * k, 4);
            assert_eq!(got, expected(&disk, 4 * k, 4), "run {k}");
        }
        // The first run as asked, then windows of 8, 16, 32, 64, 64, ...
        let sizes: Vec<usize> = disk.reads.iter().map(|r| r.1).collect();
        assert_eq!(sizes[..5], [4, 8, 16, 32, 64]);
        assert!(sizes[5..].iter().all(|&n| n == 64), "{sizes:?}");
        assert!(disk.reads.len() < 8, "{} device reads", disk.reads.len());
    }

    #[test]
    fn random_runs_are_read_as_asked() {
        let mut disk = Model::new(1000);
        let mut ra = ReadAhead::new(BS, 64);
        for &first in &[500u64, 20, 300, 900, 100] {
            assert_eq!(
                read(&mut ra, &mut disk, first, 3),
                expected(&disk, first, 3)
            );
        }
        assert!(disk.reads.iter().all(|r| r.1 == 3), "{:?}", disk.reads);
    }

    #[test]
    fn a_small_gap_is_still_sequential_and_the_end_of_the_disk_bounds_the_window() {
        let mut disk = Model::new(40);
        let mut ra = ReadAhead::new(BS, 64);
        read(&mut ra, &mut disk, 0, 4);
        read(&mut ra, &mut disk, 5, 4); // one block skipped
        assert_eq!(disk.reads[1], (5, 8));
        read(&mut ra, &mut disk, 13, 4);
        assert_eq!(disk.reads[2], (13, 16));
        for first in [17, 21, 25] {
            assert_eq!(
                read(&mut ra, &mut disk, first, 4),
                expected(&disk, first, 4)
            );
        }
        assert_eq!(disk.reads.len(), 3, "17..29 came from the window");
        assert_eq!(read(&mut ra, &mut disk, 29, 4), expected(&disk, 29, 4));
        assert_eq!(disk.reads[3], (29, 11), "up to the disk's end");
        assert_eq!(read(&mut ra, &mut disk, 36, 4), expected(&disk, 36, 4));
        assert_eq!(disk.reads.len(), 4, "from the window");
    }

    #[test]
    fn writes_invalidate_the_window() {
        let mut disk = Model::new(100);
        let mut ra = ReadAhead::new(BS, 64);
        read(&mut ra, &mut disk, 0, 4);
        read(&mut ra, &mut disk, 4, 4); // the window holds 4..12
        let new = vec![0xEE; BS];
        ra.invalidate(&mut disk, 9, 1);
        disk.write_block(9, &new).unwrap();
        assert_eq!(read(&mut ra, &mut disk, 8, 4), expected(&disk, 8, 4));
        // A write elsewhere leaves the window alone.
        ra.invalidate(&mut disk, 50, 3);
        let reads = disk.reads.len();
        read(&mut ra, &mut disk, 12, 4);
        assert_eq!(disk.reads.len(), reads, "12..16 came from the window");
    }

    #[test]
    fn a_single_block_inside_the_window_comes_from_it() {
        let mut disk = Model::new(100);
        let mut ra = ReadAhead::new(BS, 64);
        read(&mut ra, &mut disk, 0, 4);
        read(&mut ra, &mut disk, 4, 4); // the window holds 4..12
        let mut one = vec![0; BS];
        assert!(ra.read_held(10, &mut one));
        assert_eq!(one, expected(&disk, 10, 1));
        assert!(!ra.read_held(12, &mut one), "past the window");
        ra.invalidate(&mut disk, 10, 1);
        assert!(!ra.read_held(10, &mut one), "written since");
        assert_eq!(disk.reads.len(), 2);
    }

    #[test]
    fn a_failed_read_leaves_nothing_behind() {
        let mut disk = Model::new(10);
        let mut ra = ReadAhead::new(BS, 64);
        let mut buf = vec![0; 4 * BS];
        // A limit past the disk's real end: the window's read fails.
        ra.read_run(&mut disk, 0, &mut buf, 10).unwrap();
        assert!(ra.read_run(&mut disk, 4, &mut buf, 100).is_err());
        assert_eq!(ra.stats().window_blocks, 0);
        assert_eq!(read(&mut ra, &mut disk, 4, 4), expected(&disk, 4, 4));
    }

    /// Random reads and writes against the model disk itself: every read
    /// returns what the disk holds.
    #[test]
    fn randomized_against_the_disk() {
        let mut rng = XorShift64(0x5EED_4EAD);
        for _ in 0..50 {
            let n = 64 + rng.below(200);
            let mut disk = Model::new(n);
            disk.prefetch_cap = rng.below(50);
            let mut ra = ReadAhead::new(BS, 1 + rng.below(40));
            let mut pos = 0usize;
            for step in 0..300 {
                match rng.below(12) {
                    0..=6 => {
                        if rng.below(4) == 0 {
                            pos = rng.below(n);
                        }
                        let count = (1 + rng.below(6)).min(n - pos);
                        let got = read(&mut ra, &mut disk, pos as u64, count);
                        assert_eq!(got, expected(&disk, pos as u64, count), "step {step}");
                        pos += count + rng.below(3);
                        if pos >= n {
                            pos = 0;
                        }
                    }
                    7 if rng.below(4) == 0 => {
                        ra.clear(&mut disk);
                        assert!(disk.pending.is_none());
                    }
                    7 => disk.fail_next_take = true,
                    _ => {
                        let b = rng.below_u64(n as u64);
                        let data = vec![rng.below(256) as u8; BS];
                        ra.invalidate(&mut disk, b, 1);
                        disk.write_block(b, &data).unwrap();
                    }
                }
                assert_eq!(ra.prefetch_pending(), disk.pending.is_some());
            }
        }
    }

    #[test]
    fn the_next_window_is_prefetched_and_taken_without_a_device_read() {
        let mut disk = Model::new(1000);
        disk.prefetch_cap = usize::MAX;
        let mut ra = ReadAhead::new(BS, 32);
        for k in 0..60 {
            let got = read(&mut ra, &mut disk, 4 * k, 4);
            assert_eq!(got, expected(&disk, 4 * k, 4), "run {k}");
        }
        // Reads the reader waited for: the first run, the window of 8;
        // from then on the device is a window ahead.
        assert_eq!(disk.reads, [(0, 4), (4, 8)]);
        assert_eq!(disk.prefetches[..3], [(12, 8), (20, 16), (36, 32)]);
        let after: u64 = disk
            .prefetches
            .iter()
            .map(|p| p.0 + p.1 as u64)
            .max()
            .unwrap();
        assert!(
            after > 240,
            "the prefetch runs ahead of the reader: {after}"
        );
        assert_eq!(ra.stats().prefetches as usize, disk.prefetches.len() - 1);
    }

    #[test]
    fn a_write_or_a_jump_drops_the_prefetch_and_a_failed_one_is_read_again() {
        let mut disk = Model::new(1000);
        disk.prefetch_cap = usize::MAX;
        let mut ra = ReadAhead::new(BS, 32);
        read(&mut ra, &mut disk, 0, 4);
        read(&mut ra, &mut disk, 4, 4); // window 4..12, prefetch 12..20
        assert!(disk.pending.is_some());
        ra.invalidate(&mut disk, 40, 1);
        assert!(disk.pending.is_some(), "a write elsewhere keeps it");
        ra.invalidate(&mut disk, 14, 1);
        assert!(disk.settled, "nothing in flight during the write");
        disk.write_block(14, &[0xAB; BS]).unwrap();
        read(&mut ra, &mut disk, 8, 4);
        assert_eq!(read(&mut ra, &mut disk, 12, 4), expected(&disk, 12, 4));
        // A jump elsewhere drops the pending prefetch.
        assert!(disk.pending.is_some());
        assert_eq!(read(&mut ra, &mut disk, 500, 2), expected(&disk, 500, 2));
        assert!(disk.pending.is_none());
        // A prefetch that fails: the run is read again as asked.
        read(&mut ra, &mut disk, 502, 4);
        assert!(disk.pending.is_some());
        disk.fail_next_take = true;
        let reads = disk.reads.len();
        for first in (506..530).step_by(4) {
            assert_eq!(
                read(&mut ra, &mut disk, first, 4),
                expected(&disk, first, 4)
            );
        }
        assert!(disk.reads.len() > reads, "read again from the device");
        // A slot-limited device starts part of the window: still right.
        disk.prefetch_cap = 3;
        for first in (530..600).step_by(4) {
            assert_eq!(
                read(&mut ra, &mut disk, first, 4),
                expected(&disk, first, 4)
            );
        }
        ra.clear(&mut disk);
        assert!(disk.pending.is_none());
    }
}
