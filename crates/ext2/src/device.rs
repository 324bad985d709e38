//! The disk as this crate sees it: numbered 512-byte sectors.
//!
//! The file system never touches hardware. It asks a [`BlockDevice`] to read or
//! write whole sectors (one file-system block is several sectors, always read
//! together) and to flush: make every write before the flush durable before any
//! write after it. The journal's crash safety rests on that ordering alone.
//!
//! [`MemDisk`] keeps the sectors in memory: the runner builds disk images
//! with it, and the tests use it as a disk.

use crate::error::{Errno, Error, Result};
use alloc::vec;
use alloc::vec::Vec;

/// The size of one sector, the unit of [`BlockDevice`] addresses.
pub const SECTOR: usize = 512;

/// A disk: reads and writes whole sectors, and orders writes with `flush`.
pub trait BlockDevice {
    /// How many sectors the disk has.
    fn sectors(&self) -> u64;
    /// Reads `buf.len() / SECTOR` sectors starting at `sector` (`buf.len()` is
    /// a multiple of [`SECTOR`]).
    fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<()>;
    /// Writes `data.len() / SECTOR` sectors starting at `sector`.
    fn write(&mut self, sector: u64, data: &[u8]) -> Result<()>;
    /// Returns once every earlier write is durable.
    fn flush(&mut self) -> Result<()>;
}

/// A disk in memory.
#[derive(Clone, Debug)]
pub struct MemDisk {
    pub bytes: Vec<u8>,
}

impl MemDisk {
    /// A disk of `size` zero bytes (rounded down to whole sectors).
    pub fn new(size: usize) -> Self {
        MemDisk {
            bytes: vec![0; size / SECTOR * SECTOR],
        }
    }

    /// A disk holding an image (its length rounded down to whole sectors).
    pub fn from_bytes(mut bytes: Vec<u8>) -> Self {
        bytes.truncate(bytes.len() / SECTOR * SECTOR);
        MemDisk { bytes }
    }

    fn range(&self, sector: u64, len: usize) -> Result<core::ops::Range<usize>> {
        let start = usize::try_from(sector)
            .ok()
            .and_then(|s| s.checked_mul(SECTOR));
        let end = start.and_then(|s| s.checked_add(len));
        match (start, end) {
            (Some(s), Some(e)) if e <= self.bytes.len() && len.is_multiple_of(SECTOR) => Ok(s..e),
            _ => Err(Error::new(Errno::EIO, "sector beyond the end of the disk")),
        }
    }
}

impl BlockDevice for MemDisk {
    fn sectors(&self) -> u64 {
        (self.bytes.len() / SECTOR) as u64
    }

    fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<()> {
        let r = self.range(sector, buf.len())?;
        buf.copy_from_slice(&self.bytes[r]);
        Ok(())
    }

    fn write(&mut self, sector: u64, data: &[u8]) -> Result<()> {
        let r = self.range(sector, data.len())?;
        self.bytes[r].copy_from_slice(data);
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}
