//! Many blocks in few device requests: runs of consecutive block numbers.
//!
//! A journal commit writes hundreds of blocks: the log, which lies in
//! consecutive blocks, and then every block at its home, where a file's
//! data is mostly consecutive too. A disk request costs about the same for
//! one block as for many (the emulated disk, like a real one, pays per
//! request), so [`write_runs`] groups the blocks into runs of consecutive
//! numbers and writes each run with one `BlockDevice::write`. The order of
//! the writes within one step of the journal protocol does not matter: only
//! the flushes between steps order them.

use crate::device::BlockDevice;
use crate::error::Result;
use crate::txn::Txn;
use alloc::vec::Vec;

/// The most blocks one run joins (bounds the copy made to join them).
pub(crate) const MAX_RUN: usize = 128;

/// Writes `blocks` (disk block, contents), each run of consecutive block
/// numbers as one device write. The blocks need not be sorted.
pub(crate) fn write_runs<D: BlockDevice>(io: &mut Txn<D>, blocks: &[(u32, &[u8])]) -> Result<()> {
    let mut order: Vec<usize> = (0..blocks.len()).collect();
    order.sort_by_key(|&i| blocks[i].0);
    for run in runs(&order, |i| blocks[i].0) {
        let (first, _) = blocks[run[0]];
        if run.len() == 1 {
            io.write_disk(first, blocks[run[0]].1)?;
        } else {
            let mut joined = Vec::with_capacity(run.len() * io.bs);
            for &i in run {
                joined.extend_from_slice(blocks[i].1);
            }
            io.write_disk(first, &joined)?;
        }
    }
    Ok(())
}

/// Splits `items` (sorted by `number`) into runs of consecutive numbers,
/// each at most [`MAX_RUN`] long.
fn runs<T: Copy>(items: &[T], number: impl Fn(T) -> u32) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    core::iter::from_fn(move || {
        let first = *rest.first()?;
        let mut len = 1;
        while len < rest.len().min(MAX_RUN)
            && number(rest[len]) == number(first).wrapping_add(len as u32)
        {
            len += 1;
        }
        let (run, tail) = rest.split_at(len);
        rest = tail;
        Some(run)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::MemDisk;
    use alloc::vec;

    #[test]
    fn consecutive_numbers_make_runs() {
        let numbers = [1u32, 2, 3, 7, 8, 10];
        let lens: Vec<usize> = runs(&numbers, |n| n).map(|r| r.len()).collect();
        assert_eq!(lens, [3, 2, 1]);
        let long: Vec<u32> = (0..300).collect();
        let lens: Vec<usize> = runs(&long, |n| n).map(|r| r.len()).collect();
        assert_eq!(lens, [MAX_RUN, MAX_RUN, 300 - 2 * MAX_RUN]);
        assert_eq!(runs(&[] as &[u32], |n| n).count(), 0);
    }

    /// A disk that counts its write requests.
    struct Counting(MemDisk, usize);

    impl BlockDevice for Counting {
        fn sectors(&self) -> u64 {
            self.0.sectors()
        }
        fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<()> {
            self.0.read(sector, buf)
        }
        fn write(&mut self, sector: u64, data: &[u8]) -> Result<()> {
            self.1 += 1;
            self.0.write(sector, data)
        }
        fn flush(&mut self) -> Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_block_lands_at_home_in_one_request_per_run() {
        let mut io = Txn::new(Counting(MemDisk::new(64 * 1024), 0), 1024);
        let data: Vec<Vec<u8>> = (0..6u8).map(|i| vec![i + 1; 1024]).collect();
        let at = [9u32, 5, 6, 7, 20, 8];
        let blocks: Vec<(u32, &[u8])> = at.iter().zip(&data).map(|(&b, d)| (b, &d[..])).collect();
        write_runs(&mut io, &blocks).unwrap();
        assert_eq!(io.dev.1, 2, "5..=9 and 20");
        for (&b, d) in at.iter().zip(&data) {
            let mut back = vec![0; 1024];
            io.read_disk(b, &mut back).unwrap();
            assert_eq!(&back, d, "block {b}");
        }
    }
}
