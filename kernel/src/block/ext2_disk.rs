//! The disk as the ext2 crate wants it: sectors, through the block cache.
//!
//! `crates/ext2` reads and writes runs of 512-byte sectors and asks for a
//! `flush` between the steps of a journal commit; the block cache
//! (`block::cache`) deals in whole blocks of one size. [`CachedDisk`] cuts a
//! sector run into the cache blocks it touches: a whole block goes straight
//! to the cache, a part of one is read, changed and written back. Once the
//! cache's block size is the file system's (the mount sets it so), every
//! request is whole blocks. A request of several whole blocks (a journal
//! commit's log, a file's consecutive blocks) goes as one run to the disk
//! (`cache::read_run`, `cache::write_run`): one virtio request per 64 KiB or
//! so instead of one per block.
//!
//! `flush` is the cache's `sync`: every dirty block to the disk, then the
//! device's write cache flushed. That is exactly the ordering the journal
//! needs: whatever was written before a flush is durable before anything
//! written after it. Between flushes the cache may write blocks back in any
//! order, which the journal allows.

use super::{cache, disk};
use alloc::vec;
use ext2::{Errno, Error, SECTOR};

/// The virtio disk, through the block cache, as an `ext2::BlockDevice`.
pub struct CachedDisk;

/// A disk or cache failure, as the file system sees it.
fn io_error(e: cache::CacheError) -> Error {
    log::warn!("ext2: disk error: {e:?}");
    Error::new(Errno::EIO, "disk error")
}

/// One cache block's share of a sector run: the block, where the share
/// starts in it, and where it lies in the caller's buffer.
struct Piece {
    block: u64,
    within: usize,
    at: usize,
    len: usize,
}

/// The pieces of `bytes` bytes starting at `sector`, in blocks of `bs`.
fn pieces(sector: u64, bytes: usize, bs: usize) -> impl Iterator<Item = Piece> {
    let start = sector * SECTOR as u64;
    let mut at = 0;
    core::iter::from_fn(move || {
        if at >= bytes {
            return None;
        }
        let pos = start + at as u64;
        let within = (pos % bs as u64) as usize;
        let len = (bs - within).min(bytes - at);
        let piece = Piece {
            block: pos / bs as u64,
            within,
            at,
            len,
        };
        at += len;
        Some(piece)
    })
}

/// The first block of `bytes` bytes from `sector`, if they are two or more
/// whole blocks of `bs` (a run); one block goes through the cache.
fn whole_run(sector: u64, bytes: usize, bs: usize) -> Option<u64> {
    let start = sector * SECTOR as u64;
    let whole = start.is_multiple_of(bs as u64) && bytes.is_multiple_of(bs);
    (whole && bytes >= 2 * bs).then_some(start / bs as u64)
}

impl ext2::BlockDevice for CachedDisk {
    fn sectors(&self) -> u64 {
        disk::capacity().unwrap_or(0)
    }

    fn read(&mut self, sector: u64, buf: &mut [u8]) -> ext2::Result<()> {
        let bs = cache::block_size();
        if let Some(first) = whole_run(sector, buf.len(), bs) {
            return cache::read_run(first, buf).map_err(io_error);
        }
        let mut block = vec![0; bs];
        for p in pieces(sector, buf.len(), bs) {
            let out = &mut buf[p.at..p.at + p.len];
            if p.len == bs {
                cache::read(p.block, out).map_err(io_error)?;
            } else {
                cache::read(p.block, &mut block).map_err(io_error)?;
                out.copy_from_slice(&block[p.within..p.within + p.len]);
            }
        }
        Ok(())
    }

    fn write(&mut self, sector: u64, data: &[u8]) -> ext2::Result<()> {
        let bs = cache::block_size();
        if let Some(first) = whole_run(sector, data.len(), bs) {
            return cache::write_run(first, data).map_err(io_error);
        }
        let mut block = vec![0; bs];
        for p in pieces(sector, data.len(), bs) {
            let part = &data[p.at..p.at + p.len];
            if p.len == bs {
                cache::write(p.block, part).map_err(io_error)?;
            } else {
                cache::read(p.block, &mut block).map_err(io_error)?;
                block[p.within..p.within + p.len].copy_from_slice(part);
                cache::write(p.block, &block).map_err(io_error)?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> ext2::Result<()> {
        cache::sync().map_err(io_error)
    }
}
