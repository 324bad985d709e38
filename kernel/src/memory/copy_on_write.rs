//! Copy-on-write: how `fork` copies an address space without copying pages.
//!
//! A forked child starts with a lower half equal to its parent's. Copying
//! every page at `fork` would be slow and mostly wasted (the child often
//! calls `execve` at once), so [`fork`] copies only the page *tables*: both
//! spaces then map the same frames, and each frame's mapping count goes up
//! (`sharing`). Writable pages lose WRITABLE in both and get the
//! [`COPY_ON_WRITE`] mark (a bit the CPU leaves to the OS) instead.
//!
//! The first write to such a page faults. The user page-fault path asks
//! [`resolve_write_fault`] before it ends the process: if the page is marked,
//! the writer gets a private copy (a new frame with the same bytes, mapped
//! writable, and the shared frame's count goes down), or, if it is the last
//! one mapping the frame, simply takes it back writable. Then the write is
//! retried and succeeds. Read-only pages (code) are shared the same way and
//! stay read-only: a write there is a real fault.
//!
//! ```text
//!  after fork:     parent ─┐                     after the child writes:
//!                          ├─► frame F (count 2)    parent ─► F (count 1)
//!                  child ──┘   read-only + COW      child  ─► F' (copy, writable)
//! ```

use super::address_space::{AddressSpace, table};
use super::paging::{MapError, TableFrames};
use super::sharing::{self, Counts};
use super::{frames, phys_to_virt};
use x86_64::VirtAddr;
use x86_64::instructions::tlb;
use x86_64::registers::control::Cr3;
use x86_64::structures::paging::page_table::PageTableEntry;
use x86_64::structures::paging::{FrameAllocator, PageTableFlags as Flags, PhysFrame};

/// The mark of a page that is writable once copied (an "available" bit).
pub const COPY_ON_WRITE: Flags = Flags::BIT_9;

/// A new address space whose lower half maps the same frames as `parent`'s,
/// copy-on-write for both (see the module docs). If memory runs out midway,
/// what was built is freed again and the parent keeps working (its pages
/// marked copy-on-write are simply taken back at its next write).
///
/// Pages in the `shared` ranges (`MAP_SHARED` memory) are not copied on
/// write: both spaces keep them writable, so each sees the other's writes.
pub fn fork(parent: &AddressSpace, shared: &[(u64, u64)]) -> Result<AddressSpace, MapError> {
    let child = AddressSpace::new()?;
    let mut counts = sharing::lock();
    let mut copy = Copy {
        counts: &mut counts,
        shared,
    };
    // SAFETY: `child` is new and ours alone; the parent's lower-half tables
    // are changed only by their owner, the calling process (one thread), and
    // its pages stay mapped (only WRITABLE goes).
    let copied = unsafe { copy_tables(parent.root(), child.root(), 4, 0, 0..256, &mut copy) };
    drop(counts);
    if Cr3::read().0 == parent.root() {
        tlb::flush_all(); // the parent's writable pages are read-only now
    }
    copied.map(|()| child)
}

/// What [`copy_tables`] carries down the tree: the sharing counts (locked)
/// and the ranges that stay shared.
struct Copy<'a> {
    counts: &'a mut Counts,
    shared: &'a [(u64, u64)],
}

/// The bytes one entry of a level-`level` table maps (4 KiB at level 1).
fn span(level: u8) -> u64 {
    1 << (12 + 9 * (u64::from(level) - 1))
}

/// Copies the entries `range` of the table `from` (at `level`) into the
/// empty table `to`, with new tables below, sharing the pages.
///
/// # Safety
///
/// `from` is a live lower-half table that nobody else changes meanwhile;
/// `to` is a table of a new address space (empty in `range`).
unsafe fn copy_tables(
    from: PhysFrame,
    to: PhysFrame,
    level: u8,
    base: u64,
    range: core::ops::Range<usize>,
    copy: &mut Copy,
) -> Result<(), MapError> {
    // SAFETY: passed on from the caller; two different frames.
    let (from, to_entries) = unsafe { (&mut *table(from), &mut *table(to)) };
    for i in range {
        let entry = &mut from[i];
        if entry.is_unused() {
            continue;
        }
        let below = PhysFrame::containing_address(entry.addr());
        if level > 1 {
            let new = TableFrames.allocate_frame().ok_or(MapError::OutOfFrames)?;
            to_entries[i].set_addr(new.start_address(), entry.flags());
            let start = base + i as u64 * span(level);
            // SAFETY: as for this call, one level down.
            unsafe { copy_tables(below, new, level - 1, start, 0..512, copy) }?;
        } else {
            let address = base + i as u64 * span(1);
            let shared = copy.shared.iter().any(|&(s, e)| (s..e).contains(&address));
            let mut flags = entry.flags();
            if flags.contains(Flags::WRITABLE) && !shared {
                flags = (flags - Flags::WRITABLE) | COPY_ON_WRITE;
                entry.set_flags(flags);
            }
            copy.counts.share(below);
            to_entries[i].set_addr(entry.addr(), flags);
        }
    }
    Ok(())
}

/// The level-1 entry for `addr` in the active address space, if every level
/// above is present and USER.
///
/// # Safety
///
/// The caller is the only one changing the active lower half meanwhile (the
/// running process, interrupts off or the page lock held).
unsafe fn active_leaf(addr: VirtAddr) -> Option<&'static mut PageTableEntry> {
    let mut frame = Cr3::read().0;
    for level in (1..=4u8).rev() {
        let index = (addr.as_u64() >> (12 + 9 * (u64::from(level) - 1))) & 511;
        // SAFETY: a present entry's frame is a page table, visible in the
        // physical-memory window; passed on from the caller.
        let entry = unsafe { &mut (&mut *table(frame))[index as usize] };
        let flags = entry.flags();
        if !flags.contains(Flags::PRESENT | Flags::USER_ACCESSIBLE)
            || flags.contains(Flags::HUGE_PAGE)
        {
            return None;
        }
        if level == 1 {
            return Some(entry);
        }
        frame = PhysFrame::containing_address(entry.addr());
    }
    None
}

/// If `addr` (in the active lower half) is a copy-on-write page, makes it
/// writable for the running process: a private copy, or the frame itself if
/// nobody else maps it any more. Returns whether it did, i.e. whether a
/// write fault at `addr` is resolved and the write may be retried. `false`
/// also when no frame is left for the copy.
pub fn resolve_write_fault(addr: VirtAddr) -> bool {
    if addr.as_u64() >= super::address_space::LOWER_HALF_END {
        return false;
    }
    let mut counts = sharing::lock();
    // SAFETY: the sharing lock is held (interrupts off), and only the running
    // process changes its own lower half.
    let Some(entry) = (unsafe { active_leaf(addr) }) else {
        return false;
    };
    let flags = entry.flags();
    if !flags.contains(COPY_ON_WRITE) || flags.contains(Flags::WRITABLE) {
        return false;
    }
    let old = PhysFrame::containing_address(entry.addr());
    let writable = (flags - COPY_ON_WRITE) | Flags::WRITABLE;
    if counts.count(old) == 1 {
        entry.set_flags(writable);
    } else {
        let Some(new) = frames::alloc() else {
            return false;
        };
        let (from, to) = (
            phys_to_virt(old.start_address()).as_ptr::<u8>(),
            phys_to_virt(new.start_address()).as_mut_ptr::<u8>(),
        );
        // SAFETY: `new` was just allocated (ours alone); `old` is a mapped
        // user frame, read through the physical-memory window.
        unsafe { core::ptr::copy_nonoverlapping(from, to, 4096) };
        entry.set_addr(new.start_address(), writable);
        counts.release(old);
    }
    tlb::flush(addr.align_down(4096u64));
    true
}
