//! Read-ahead: when runs of blocks are read one after another, read more
//! than was asked and keep the rest for the next call.
//!
//! A program that reads a file from start to end asks for, say, 64 KiB at a
//! time. Each of those would be one device request, and a request costs
//! about as much for 64 KiB as for 1 MiB, so [`ReadAhead`] watches the runs
//! it is asked for. A run that starts where the last one ended (or a few
//! blocks after it: ext2 puts an indirect block between a file's data
//! blocks) is *sequential*: the run is then read together with the blocks
//! that follow it, a *window* that doubles with each sequential run, up to
//! a limit; the next runs are copied out of the window. Any other run resets
//! the window to nothing and is read as asked, so random reads pay nothing.
//!
//! The window is a copy of the disk: whoever writes blocks must call
//! [`ReadAhead::invalidate`] for them, or later reads would see the old
//! contents. It never reads past `limit` (the disk's end).

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
    /// Where the last run ended (`None`: no run yet).
    next: Option<u64>,
    /// The window's size for the next sequential run, in blocks.
    window: usize,
    hits: u64,
    device_reads: u64,
}

/// Counters: blocks copied out of the window, runs read from the device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadAheadStats {
    pub hit_blocks: u64,
    pub device_reads: u64,
    pub window_blocks: usize,
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
            next: None,
            window: 0,
            hits: 0,
            device_reads: 0,
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

    /// Reads the whole blocks of `buf` from `first` (none of them at or past
    /// `limit`): from the window where it holds them, else from `device`,
    /// with a window's worth more when the run is sequential.
    pub fn read_run<D: BlockDevice>(
        &mut self,
        device: &mut D,
        first: u64,
        buf: &mut [u8],
        limit: u64,
    ) -> Result<(), D::Error> {
        let bs = self.block_size;
        let count = (buf.len() / bs) as u64;
        let sequential = self.is_sequential(first);
        self.next = Some(first + count);
        // The part the window holds, from its start.
        let held = self.held();
        let mut done = 0;
        if held.contains(&first) {
            done = (held.end - first).min(count);
            let from = ((first - held.start) as usize) * bs;
            let len = done as usize * bs;
            buf[..len].copy_from_slice(&self.data[from..from + len]);
            self.hits += done;
        }
        if done == count {
            return Ok(());
        }
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
        Ok(())
    }

    /// Copies block `block` into `buf` (one block long) if the window holds
    /// it: a single block asked for inside a sequential read (ext2's
    /// pointer block between two runs of data) then needs no device read.
    pub fn read_held(&mut self, block: u64, buf: &mut [u8]) -> bool {
        if !self.held().contains(&block) || buf.len() != self.block_size {
            return false;
        }
        let from = ((block - self.start) as usize) * self.block_size;
        buf.copy_from_slice(&self.data[from..from + self.block_size]);
        self.hits += 1;
        true
    }

    /// Forgets the window's copies of blocks `first..first + count` (they
    /// are being written).
    pub fn invalidate(&mut self, first: u64, count: u64) {
        let held = self.held();
        if first < held.end && held.start < first.saturating_add(count) {
            self.held = 0;
        }
    }

    /// Forgets the window and the last run.
    pub fn clear(&mut self) {
        self.held = 0;
        self.next = None;
        self.window = 0;
    }

    pub fn stats(&self) -> ReadAheadStats {
        ReadAheadStats {
            hit_blocks: self.hits,
            device_reads: self.device_reads,
            window_blocks: self.held,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use xorshift::XorShift64;

    /// A disk of numbered blocks (each byte the block number's low byte
    /// plus its offset) that records the runs read from it.
    struct Model {
        blocks: Vec<Vec<u8>>,
        reads: Vec<(u64, usize)>,
    }

    const BS: usize = 16;

    impl Model {
        fn new(n: usize) -> Self {
            Model {
                blocks: (0..n)
                    .map(|b| (0..BS).map(|i| (b * 7 + i) as u8).collect())
                    .collect(),
                reads: Vec::new(),
            }
        }
    }

    impl BlockDevice for Model {
        type Error = ();
        fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<(), ()> {
            self.read_run(block, BS, buf)
        }
        fn write_block(&mut self, block: u64, buf: &[u8]) -> Result<(), ()> {
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
        disk.write_block(9, &new).unwrap();
        ra.invalidate(9, 1);
        assert_eq!(read(&mut ra, &mut disk, 8, 4), expected(&disk, 8, 4));
        // A write elsewhere leaves the window alone.
        ra.invalidate(50, 3);
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
        ra.invalidate(10, 1);
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
            let mut ra = ReadAhead::new(BS, 1 + rng.below(40));
            let mut pos = 0usize;
            for step in 0..300 {
                match rng.below(10) {
                    0..=5 => {
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
                    _ => {
                        let b = rng.below_u64(n as u64);
                        let data = vec![rng.below(256) as u8; BS];
                        disk.write_block(b, &data).unwrap();
                        ra.invalidate(b, 1);
                    }
                }
            }
        }
    }
}
