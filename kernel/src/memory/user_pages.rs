//! Changing a process's pages after it started: unmapping a range (freeing
//! its frames) and changing the rights of a range.
//!
//! `munmap` and `mprotect` work on ranges that may be huge (a program may
//! reserve a gigabyte and touch three pages of it), so these functions walk
//! the lower half's four levels of tables and skip, at every level, the
//! entries that are empty: an empty PML4 entry skips 512 GiB at once, an
//! empty page-directory entry 2 MiB. They visit only the pages that exist.
//!
//! A page whose rights become "none" (`PROT_NONE`) keeps its frame: its
//! entry loses PRESENT but keeps the frame's address, so the contents come
//! back if the rights do, and the frame is still freed with the address
//! space (which frees every entry that is not all zero).
//!
//! The TLB may still hold an old translation of a changed page, but only if
//! the address space is the active one (loading CR3 forgets every user
//! translation): then each changed page is flushed.
//!
//! Page tables left empty by an unmap stay until the address space is
//! dropped; a later mapping nearby reuses them.

use super::address_space::AddressSpace;
use super::copy_on_write::COPY_ON_WRITE;
use super::{frames, phys_to_virt};
use x86_64::VirtAddr;
use x86_64::instructions::tlb;
use x86_64::registers::control::Cr3;
use x86_64::structures::paging::page_table::PageTableEntry;
use x86_64::structures::paging::{PageTable, PageTableFlags as Flags, PhysFrame};

/// The first address above the lower half.
const LOWER_HALF_END: u64 = super::address_space::LOWER_HALF_END;

/// Calls `f` for every leaf entry that is not all zero in the lower-half
/// range `start..end` (page-aligned) of the tables below `frame` (a table
/// at `level` covering addresses from `base`).
///
/// # Safety
///
/// The tables are one address space's lower half, and nothing else edits
/// them during the call.
unsafe fn walk(
    frame: PhysFrame,
    level: u8,
    base: u64,
    start: u64,
    end: u64,
    f: &mut impl FnMut(u64, &mut PageTableEntry),
) {
    let span = 1u64 << (12 + 9 * (u64::from(level) - 1));
    // SAFETY: passed on from the caller; the table is seen through the
    // physical-memory window.
    let table = unsafe { &mut *phys_to_virt(frame.start_address()).as_mut_ptr::<PageTable>() };
    let first = ((start.max(base) - base) / span) as usize;
    for i in first..512 {
        let at = base + i as u64 * span;
        if at >= end {
            break;
        }
        let entry = &mut table[i];
        if entry.is_unused() {
            continue;
        }
        if level == 1 {
            f(at, entry);
        } else {
            let below = PhysFrame::containing_address(entry.addr());
            // SAFETY: as for this call (the lower half has no huge pages).
            unsafe { walk(below, level - 1, at, start, end, f) };
        }
    }
}

impl AddressSpace {
    /// Calls `f` for every page in `start..end` that has an entry (see [`walk`]).
    fn for_each_page(&mut self, start: u64, end: u64, mut f: impl FnMut(u64, &mut PageTableEntry)) {
        assert!(end <= LOWER_HALF_END, "user pages are in the lower half");
        let active = Cr3::read().0 == self.root();
        // SAFETY: we own this address space's lower-half tables (`&mut self`).
        unsafe {
            walk(self.root(), 4, 0, start, end, &mut |address, entry| {
                f(address, entry);
                if active {
                    tlb::flush(VirtAddr::new(address));
                }
            })
        };
    }

    /// Unmaps every page in `start..end` and frees its frame; returns how
    /// many pages there were.
    pub fn unmap_range(&mut self, start: u64, end: u64) -> usize {
        let mut count = 0;
        self.for_each_page(start, end, |_, entry| {
            let frame = PhysFrame::containing_address(entry.addr());
            entry.set_unused();
            frames::free(frame).expect("user pages came from frames");
            count += 1;
        });
        count
    }

    /// Gives every page in `start..end` the rights in `flags` (WRITABLE,
    /// NO_EXECUTE; USER is kept). With `present` false the pages become
    /// inaccessible but keep their frames (see the module docs).
    pub fn protect_range(&mut self, start: u64, end: u64, flags: Flags, present: bool) {
        let mut flags = flags | Flags::USER_ACCESSIBLE;
        if present {
            flags |= Flags::PRESENT;
        }
        self.for_each_page(start, end, |_, entry| {
            let frame = PhysFrame::containing_address(entry.addr());
            // A page still shared after `fork` stays read-only with its
            // copy-on-write mark, whatever the new rights: the first write
            // (if they allow it) copies it.
            let mut new = flags;
            if entry.flags().contains(COPY_ON_WRITE) {
                new = (new - Flags::WRITABLE) | COPY_ON_WRITE;
            }
            entry.set_frame(frame, new);
        });
    }

    /// Whether `address`'s page has an entry (present, or kept by `PROT_NONE`).
    pub fn has_page(&self, address: u64) -> bool {
        let mut frame = self.root();
        for level in (1..=4u64).rev() {
            let index = ((address >> (12 + 9 * (level - 1))) & 511) as usize;
            // SAFETY: we own the tables and only read one entry, through
            // the physical-memory window.
            let table = unsafe { &*phys_to_virt(frame.start_address()).as_ptr::<PageTable>() };
            let entry = &table[index];
            if entry.is_unused() {
                return false;
            }
            frame = PhysFrame::containing_address(entry.addr());
        }
        true
    }
}
