//! File contents: read and write at an offset, truncate.
//!
//! A read walks the file block by block through the block map; holes (blocks
//! never written) read as zeros, and consecutive blocks on the disk are read
//! in one request (up to `runs::MAX_RUN` blocks), mapped together (each
//! indirect block read once). A write allocates blocks as it goes, up to
//! `MAX_RUN` blocks per step; each step is all-or-nothing, and when one
//! fails it is undone and retried a block at a time, so a write that runs
//! out of space stops after the last whole block and reports how much it
//! wrote (a short write), as POSIX says. Newly allocated blocks go straight
//! to the disk as runs, the rest through the transaction (`txn`). The bytes
//! after the end of the file in its last block are kept zero, so growing a
//! file with `truncate` exposes zeros.

use crate::device::BlockDevice;
use crate::error::{Errno, Error, Result};
use crate::fs::Fs;
use crate::inode::{self, Inode, S_IFREG};
use crate::runs::{MAX_RUN, write_runs};
use alloc::vec;
use alloc::vec::Vec;

impl<D: BlockDevice> Fs<D> {
    fn file_inode(&mut self, ino: u32) -> Result<Inode> {
        let i = self.live_inode(ino)?;
        match i.kind() {
            S_IFREG => Ok(i),
            inode::S_IFDIR => Err(Error::new(Errno::EISDIR, "is a directory")),
            _ => Err(Error::new(Errno::EINVAL, "not a regular file")),
        }
    }

    /// The largest file size the block map can address.
    fn max_size(&self) -> u64 {
        let p = u64::from(self.geo.block_size / 4);
        let blocks = 12 + p + p * p + p * p * p;
        (blocks * u64::from(self.geo.block_size)).min(1 << 40)
    }

    /// Reads from `offset` into `buf`; returns the bytes read (0 at the end).
    pub fn read(&mut self, ino: u32, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let i = self.file_inode(ino)?;
        let size = i.size();
        if offset >= size {
            return Ok(0);
        }
        let n = (size - offset).min(buf.len() as u64) as usize;
        let bs = self.io.bs as u64;
        let mut done = 0;
        let mut block = vec![0; self.io.bs];
        while done < n {
            let pos = offset + done as u64;
            let within = (pos % bs) as usize;
            if within == 0 && n - done >= 2 * self.io.bs {
                let whole = (n - done) / self.io.bs;
                if let Some(len) = self.read_run(&i, pos / bs, whole, &mut buf[done..])? {
                    done += len;
                    continue;
                }
            }
            let step = (self.io.bs - within).min(n - done);
            match self.bmap(&i, pos / bs)? {
                0 => buf[done..done + step].fill(0),
                b => {
                    self.io.read(b, &mut block)?;
                    buf[done..done + step].copy_from_slice(&block[within..within + step]);
                }
            }
            done += step;
        }
        Ok(n)
    }

    /// Reads file blocks `n..` straight into `out` as one device request
    /// when at least two of them (and at most `most`, or [`MAX_RUN`]) lie
    /// in consecutive disk blocks that the running transaction has not
    /// changed; returns the bytes read, or `None` when there is no such run.
    fn read_run(
        &mut self,
        i: &Inode,
        n: u64,
        most: usize,
        out: &mut [u8],
    ) -> Result<Option<usize>> {
        let map = self.bmap_range(i, n, most.min(MAX_RUN) as u64)?;
        let first = map[0];
        let in_run = |k: usize, b: u32| {
            b != 0 && b == first.wrapping_add(k as u32) && !self.io.dirty.contains_key(&b)
        };
        let len = map
            .iter()
            .enumerate()
            .take_while(|&(k, &b)| in_run(k, b))
            .count();
        if len < 2 {
            return Ok(None);
        }
        let bytes = len * self.io.bs;
        self.io.read_disk(first, &mut out[..bytes])?;
        Ok(Some(bytes))
    }

    /// Writes `data` at `offset`, growing the file as needed; returns the
    /// bytes written (fewer than asked when the disk fills up midway).
    pub fn write(&mut self, ino: u32, offset: u64, data: &[u8]) -> Result<usize> {
        let end = offset
            .checked_add(data.len() as u64)
            .filter(|&e| e <= self.max_size())
            .ok_or(Error::new(Errno::EFBIG, "file too large for ext2"))?;
        if data.is_empty() {
            self.file_inode(ino)?;
            return Ok(0);
        }
        let mut most = MAX_RUN;
        let mut done = self.op(|fs| fs.write_some(ino, offset, data, &mut most))?;
        while (offset + done as u64) < end {
            self.checkpoint_if_large()?;
            match self.write_some(ino, offset + done as u64, &data[done..], &mut most) {
                Ok(n) => done += n,
                Err(_) => {
                    self.io.rollback();
                    break;
                }
            }
        }
        Ok(done)
    }

    /// One all-or-nothing step of a write: up to `most` blocks at once. If
    /// that fails (the disk filled up midway), it is undone and the write
    /// goes on one block per step, so that a short write stops exactly where
    /// the space ran out.
    fn write_some(&mut self, ino: u32, pos: u64, data: &[u8], most: &mut usize) -> Result<usize> {
        match self.write_step(ino, pos, data, *most) {
            Err(_) if *most > 1 => {
                self.io.rollback();
                *most = 1;
                self.write_step(ino, pos, data, 1)
            }
            done => done,
        }
    }

    /// Writes the part of `data` that falls into the next `most` blocks:
    /// new blocks that may go straight home (`txn`) go there as runs, the
    /// others into the transaction; then the inode once. Returns the bytes
    /// written.
    fn write_step(&mut self, ino: u32, pos: u64, data: &[u8], most: usize) -> Result<usize> {
        let mut i = self.file_inode(ino)?;
        let bs = self.io.bs;
        let first = pos / bs as u64;
        let mut goal = if first > 0 {
            self.bmap(&i, first - 1)?.saturating_add(1)
        } else {
            0
        };
        let mut home: Vec<(u32, Vec<u8>)> = Vec::new();
        let mut done = 0;
        for n in first..first + most as u64 {
            if done == data.len() {
                break;
            }
            let within = ((pos + done as u64) % bs as u64) as usize;
            let step = (bs - within).min(data.len() - done);
            let (b, fresh) = self.bmap_alloc(&mut i, n, goal)?;
            let mut block = if fresh || step == bs {
                vec![0; bs]
            } else {
                self.io.read_vec(b)?
            };
            block[within..within + step].copy_from_slice(&data[done..done + step]);
            if fresh && self.may_write_home(b) {
                home.push((b, block));
            } else {
                self.io.write(b, &block);
            }
            goal = b.saturating_add(1);
            done += step;
        }
        if !home.is_empty() {
            let runs: Vec<(u32, &[u8])> = home.iter().map(|(b, d)| (*b, d.as_slice())).collect();
            write_runs(&mut self.io, &runs)?;
            self.io.wrote_home = true;
        }
        let end = pos + done as u64;
        if end > i.size() {
            i.set_size(end);
        }
        i.set_time(inode::MTIME, self.now);
        i.set_time(inode::CTIME, self.now);
        self.write_inode(ino, &i)?;
        Ok(done)
    }

    /// Sets the file's size: frees the blocks past a new, smaller end (and
    /// zeros the rest of its last block); a larger size leaves a hole.
    pub fn truncate(&mut self, ino: u32, size: u64) -> Result<()> {
        if size > self.max_size() {
            return Err(Error::new(Errno::EFBIG, "file too large for ext2"));
        }
        self.op(|fs| {
            let mut i = fs.file_inode(ino)?;
            let bs = fs.io.bs as u64;
            if size < i.size() {
                fs.free_from(&mut i, size.div_ceil(bs))?;
                let within = (size % bs) as usize;
                if within != 0 {
                    let b = fs.bmap(&i, size / bs)?;
                    if b != 0 {
                        fs.io.modify(b)?[within..].fill(0);
                    }
                }
            }
            i.set_size(size);
            i.set_time(inode::MTIME, fs.now);
            i.set_time(inode::CTIME, fs.now);
            fs.write_inode(ino, &i)
        })
    }
}
