//! A process's memory map: which ranges of its address space are in use,
//! with which rights, and for what.
//!
//! The page tables say which pages *are* mapped; this map says which pages
//! *may* be. A program asks for memory (`mmap`, `brk`) long before it touches
//! it, and the kernel only writes down a [`Region`]: a page-aligned range
//! `start..end` with [`Rights`] (read, write, execute) and a [`Kind`]
//! (anonymous memory, the heap, the stack, its guard gap, the program's own
//! segments). A page is given a frame when the program first touches it
//! (demand-zero): the page-fault handler looks the address up here, and the
//! access is allowed if a region covers it with the right rights.
//!
//! The operations are the ones the memory system calls need:
//!
//! - [`Map::insert`] a new region where nothing is mapped (`mmap`);
//! - [`Map::remove`] a range, cutting regions that stick out of it in two
//!   (`munmap`; it returns the removed pieces so the caller can free their
//!   pages);
//! - [`Map::protect`] a range with new rights, again cutting at its ends
//!   (`mprotect`; refused if any page of the range is not mapped, as Linux
//!   does);
//! - [`Map::find_free`] a gap of a given length, the highest one below a
//!   limit (`mmap` without an address: maps grow down from below the stack);
//! - [`Map::lookup`] the region that holds an address (the fault handler).
//!
//! Regions never overlap, and every address is page-aligned (the functions
//! refuse anything else). Neighbours with equal rights and kind are not
//! merged: the map stays exactly as the program built it, which is simple
//! and costs only a few more entries.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// The page size: every region starts and ends on a multiple of it.
pub const PAGE: u64 = 4096;

/// What a program may do with a region's pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rights {
    pub read: bool,
    pub write: bool,
    pub execute: bool,
}

impl Rights {
    /// No access at all (`PROT_NONE`, a guard gap).
    pub const NONE: Rights = Rights {
        read: false,
        write: false,
        execute: false,
    };
    /// Read and write (data, heap, stack).
    pub const READ_WRITE: Rights = Rights {
        read: true,
        write: true,
        execute: false,
    };

    /// From Linux's `PROT_*` bits (1 read, 2 write, 4 execute; others ignored).
    pub const fn from_prot(prot: u64) -> Rights {
        Rights {
            read: prot & 1 != 0,
            write: prot & 2 != 0,
            execute: prot & 4 != 0,
        }
    }

    /// Whether an access of this sort is allowed. The CPU cannot refuse a
    /// read of a page it may write or execute, so those imply reading.
    pub fn allow(self, access: Access) -> bool {
        match access {
            Access::Read => self.read || self.write || self.execute,
            Access::Write => self.write,
            Access::Execute => self.execute,
        }
    }
}

/// One kind of access to memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Execute,
}

/// What a region is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Private anonymous memory (`mmap` with `MAP_PRIVATE|MAP_ANONYMOUS`).
    Anonymous,
    /// Anonymous memory shared with children after a fork (`MAP_SHARED`).
    SharedAnonymous,
    /// The heap that `brk` moves.
    Heap,
    /// The main thread's stack, filled in as it grows down.
    Stack,
    /// The gap below the stack that nothing else may take: touching it is
    /// a stack overflow.
    Guard,
    /// A segment of the program's ELF file (or a flat program's code).
    Program,
}

/// A page-aligned range `start..end` of the address space, with its rights and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub start: u64,
    pub end: u64,
    pub rights: Rights,
    pub kind: Kind,
}

impl Region {
    /// The same region cut down to `start..end` (which lies inside it).
    fn cut(self, start: u64, end: u64) -> Region {
        Region { start, end, ..self }
    }

    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Whether it is empty (never true of a region in a [`Map`]).
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// Why a change to the map was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// An address or length is not a multiple of [`PAGE`].
    Unaligned,
    /// The range is empty or ends before it starts.
    Empty,
    /// Something is already mapped in the range.
    Overlaps,
    /// Part of the range is not mapped.
    NotMapped,
}

/// A process's regions (see the module docs). Cloning it copies the
/// bookkeeping only: a fork clones the map and shares or copies the pages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Map {
    /// Keyed by start address.
    regions: BTreeMap<u64, Region>,
}

/// Checks that `start..end` is a non-empty page-aligned range.
fn check(start: u64, end: u64) -> Result<(), Error> {
    if !start.is_multiple_of(PAGE) || !end.is_multiple_of(PAGE) {
        return Err(Error::Unaligned);
    }
    if end <= start {
        return Err(Error::Empty);
    }
    Ok(())
}

impl Map {
    /// An empty map.
    pub const fn new() -> Map {
        Map {
            regions: BTreeMap::new(),
        }
    }

    /// The region that holds `address`, if any.
    pub fn lookup(&self, address: u64) -> Option<&Region> {
        let (_, region) = self.regions.range(..=address).next_back()?;
        (address < region.end).then_some(region)
    }

    /// The regions, in address order.
    pub fn iter(&self) -> impl Iterator<Item = &Region> {
        self.regions.values()
    }

    /// The regions that overlap `start..end`, in address order.
    pub fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = &Region> {
        // The one region that starts before `start` may reach into the range.
        let before = self
            .regions
            .range(..start)
            .next_back()
            .map(|(_, r)| r)
            .filter(|r| r.end > start);
        let inside = self.regions.range(start..end).map(|(_, r)| r);
        before.into_iter().chain(inside)
    }

    /// Whether nothing is mapped in `start..end`.
    pub fn is_free(&self, start: u64, end: u64) -> bool {
        self.overlapping(start, end).next().is_none()
    }

    /// Adds `region` where nothing is mapped yet.
    pub fn insert(&mut self, region: Region) -> Result<(), Error> {
        check(region.start, region.end)?;
        if !self.is_free(region.start, region.end) {
            return Err(Error::Overlaps);
        }
        self.regions.insert(region.start, region);
        Ok(())
    }

    /// Makes `address` a boundary: a region that spans it is cut in two.
    fn split_at(&mut self, address: u64) {
        let Some(region) = self.lookup(address).copied() else {
            return;
        };
        if region.start == address {
            return;
        }
        self.regions
            .insert(region.start, region.cut(region.start, address));
        self.regions
            .insert(address, region.cut(address, region.end));
    }

    /// Removes everything mapped in `start..end` (cutting regions that stick
    /// out of it) and returns the removed pieces, in address order. Nothing
    /// mapped there is not an error (as for `munmap`).
    pub fn remove(&mut self, start: u64, end: u64) -> Result<Vec<Region>, Error> {
        check(start, end)?;
        self.split_at(start);
        self.split_at(end);
        let starts: Vec<u64> = self.regions.range(start..end).map(|(s, _)| *s).collect();
        Ok(starts
            .into_iter()
            .filter_map(|s| self.regions.remove(&s))
            .collect())
    }

    /// Gives every page of `start..end` the rights `rights` (cutting regions
    /// that stick out of it). Refused, with nothing changed, if any page of
    /// the range is not mapped.
    pub fn protect(&mut self, start: u64, end: u64, rights: Rights) -> Result<(), Error> {
        check(start, end)?;
        let mut covered = start;
        for region in self.overlapping(start, end) {
            if region.start > covered {
                return Err(Error::NotMapped);
            }
            covered = region.end;
        }
        if covered < end {
            return Err(Error::NotMapped);
        }
        self.split_at(start);
        self.split_at(end);
        for (_, region) in self.regions.range_mut(start..end) {
            region.rights = rights;
        }
        Ok(())
    }

    /// The highest page-aligned `start` with `start..start + len` free,
    /// `lowest <= start` and `start + len <= highest`; `None` if there is no
    /// such gap (or `len` is 0 or unaligned).
    pub fn find_free(&self, len: u64, lowest: u64, highest: u64) -> Option<u64> {
        if len == 0 || !len.is_multiple_of(PAGE) {
            return None;
        }
        let highest = highest - highest % PAGE;
        // Walk the gaps from the top down: each gap ends where a region
        // starts (or at `highest`) and starts where the region below ends.
        let mut gap_end = highest;
        let mut below = self
            .regions
            .range(..highest)
            .rev()
            .map(|(_, r)| r)
            .peekable();
        loop {
            // Regions that reach above `gap_end` shrink the gap from the top.
            while let Some(r) = below.peek() {
                if r.end > gap_end {
                    gap_end = gap_end.min(r.start);
                    below.next();
                } else {
                    break;
                }
            }
            let gap_start = below.peek().map_or(lowest, |r| r.end.max(lowest));
            if gap_end >= gap_start && gap_end - gap_start >= len {
                return Some(gap_end - len);
            }
            let next = below.next()?;
            if next.end <= lowest {
                return None;
            }
            gap_end = next.start;
        }
    }
}

#[cfg(test)]
mod tests;
