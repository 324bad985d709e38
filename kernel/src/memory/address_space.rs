//! Address spaces: a process's own lower half, the kernel's shared higher half.
//!
//! Every process gets its own PML4 (the root page table, loaded into CR3
//! while the process runs). Its 512 entries split the 256 TiB of virtual
//! addresses in two:
//!
//! ```text
//!  0x0000_0000_0000_0000 ┌──────────────────────────────┐
//!                        │ lower half: the process's    │  entries 0-255: start
//!                        │ own pages (code, data, stack)│  empty, filled by the
//!  0x0000_7fff_ffff_ffff │                              │  loader, freed at exit
//!                        ├──────────────────────────────┤
//!                        │ (non-canonical hole)         │
//!  0xffff_8000_0000_0000 ├──────────────────────────────┤
//!                        │ higher half: the kernel      │  entries 256-511:
//!                        │ (physical-memory window,     │  copied from the
//!                        │ heap, stacks, kernel image)  │  kernel's PML4, so
//!  0xffff_ffff_ffff_ffff └──────────────────────────────┘  shared by everyone
//! ```
//!
//! The higher-half entries point at the *same* lower-level tables as the
//! kernel's PML4, so a kernel page mapped later (a heap page, a thread
//! stack) is visible in every address space at once, as long as its PML4
//! entry already existed when the process was made. The kernel's entries are
//! all made during the boot (the bootloader's, `boot::DYNAMIC_RANGE`, and the
//! heap and stack windows, see `memory`), before any process.
//!
//! None of the higher-half entries has the USER bit, so ring 3 cannot touch
//! the kernel; the lower half has nothing of the kernel's or the
//! bootloader's (its identity-mapped pieces stay in the kernel's own PML4).
//!
//! Dropping an [`AddressSpace`] frees every page and page table of its lower
//! half and the PML4 itself. It must not be the active one then. (A page
//! shared with another space after `fork` is freed with its last mapping,
//! see `sharing` and `copy_on_write`.)

use super::paging::{MapError, TableFrames, Translation};
use super::{frames, phys_to_virt};
use core::sync::atomic::{AtomicUsize, Ordering};
use x86_64::registers::control::Cr3;
use x86_64::structures::paging::{
    FrameAllocator, Mapper, OffsetPageTable, Page, PageTable, PageTableFlags as Flags, PhysFrame,
};
use x86_64::{PhysAddr, VirtAddr};

/// The first address above the lower half.
pub const LOWER_HALF_END: u64 = 0x0000_8000_0000_0000;

/// How many address spaces exist (for leak checks).
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// How many address spaces exist now.
pub fn live_count() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// A process's page tables (see the module docs).
pub struct AddressSpace {
    pml4: PhysFrame,
}

/// The page table in `frame`, through the physical-memory window.
pub(super) fn table(frame: PhysFrame) -> *mut PageTable {
    phys_to_virt(frame.start_address()).as_mut_ptr()
}

impl AddressSpace {
    /// A new address space: empty lower half, the kernel's higher half.
    pub fn new() -> Result<AddressSpace, MapError> {
        let pml4 = TableFrames.allocate_frame().ok_or(MapError::OutOfFrames)?;
        let kernel = table(super::paging::kernel_pml4());
        // SAFETY: `pml4` was just allocated (and zeroed) for us alone; the
        // kernel's PML4 is only read, and its higher-half entries change only
        // during the boot (see the module docs).
        let (own, kernel) = unsafe { (&mut *table(pml4), &*kernel) };
        for slot in 256..512 {
            own[slot] = kernel[slot].clone();
        }
        LIVE.fetch_add(1, Ordering::Relaxed);
        Ok(AddressSpace { pml4 })
    }

    /// The frame to load into CR3 to run in this address space.
    pub fn root(&self) -> PhysFrame {
        self.pml4
    }

    /// Whether this is the address space in CR3 now.
    pub fn is_active(&self) -> bool {
        Cr3::read().0 == self.pml4
    }

    /// Whether no entry of the lower half is in use.
    pub fn lower_half_is_empty(&self) -> bool {
        // SAFETY: we own the PML4 and only read it.
        let pml4 = unsafe { &*table(self.pml4) };
        pml4.iter().take(256).all(|entry| entry.is_unused())
    }

    /// Whether the higher half is the kernel's, entry for entry.
    pub fn shares_the_kernel_half(&self) -> bool {
        // SAFETY: both tables are only read.
        let (own, kernel) = unsafe { (&*table(self.pml4), &*table(super::paging::kernel_pml4())) };
        (256..512).all(|slot| own[slot].addr() == kernel[slot].addr())
    }

    /// Maps a fresh zeroed frame at `page` in the lower half with `flags`
    /// (PRESENT and USER are added) and returns the frame, for the caller
    /// to fill through the physical-memory window.
    pub fn map_new(&mut self, page: Page, flags: Flags) -> Result<PhysFrame, MapError> {
        assert!(
            page.start_address().as_u64() < LOWER_HALF_END,
            "user pages go in the lower half"
        );
        let frame = TableFrames.allocate_frame().ok_or(MapError::OutOfFrames)?;
        let flags = super::paging::supported(flags) | Flags::PRESENT | Flags::USER_ACCESSIBLE;
        // SAFETY: we own this PML4 and the lower-half tables below it (no
        // one else edits them); the frame was just allocated for this page.
        let mapped = unsafe {
            let mut tables = OffsetPageTable::new(&mut *table(self.pml4), super::phys_offset());
            tables.map_to(page, frame, flags, &mut TableFrames)
        };
        match mapped {
            // Not active (or only just made): no stale TLB entry to flush,
            // and if it is active, the page was not mapped before.
            Ok(flush) => flush.ignore(),
            Err(_) => {
                frames::free(frame).expect("just allocated");
                return Err(MapError::OutOfFrames);
            }
        }
        Ok(frame)
    }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        assert_ne!(
            Cr3::read().0,
            self.pml4,
            "an address space is freed while it is active"
        );
        // SAFETY: we own the lower-half tables; nothing runs in this space.
        unsafe { free_tables(self.pml4, 4, 0..256) };
        frames::free(self.pml4).expect("the PML4 came from frames");
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Frees the frames of the entries `range` of the table in `frame` (at
/// `level`), and everything below them.
///
/// # Safety
///
/// The tables and pages below are this address space's alone and unused.
unsafe fn free_tables(frame: PhysFrame, level: u8, range: core::ops::Range<usize>) {
    // SAFETY: passed on from the caller.
    let entries = unsafe { &mut *table(frame) };
    for entry in entries.iter_mut().skip(range.start).take(range.len()) {
        if entry.is_unused() {
            continue;
        }
        let below = PhysFrame::containing_address(entry.addr());
        if level > 1 {
            // SAFETY: as for this call (no huge pages are made in the lower half).
            unsafe { free_tables(below, level - 1, 0..512) };
            frames::free(below).expect("page tables came from frames");
        } else {
            // A page may be shared with another address space (`fork`):
            // its frame goes with its last mapping.
            super::sharing::release(below);
        }
        entry.set_unused();
    }
}

/// Where `addr` leads in the *active* address space, with the rights a
/// ring-3 access would have: USER and WRITABLE only if every level allows
/// them. Walks the tables by hand (reading only), so it works whichever
/// PML4 is in CR3.
pub fn translate_active(addr: VirtAddr) -> Option<Translation> {
    let mut frame = Cr3::read().0;
    let mut rights = Flags::USER_ACCESSIBLE | Flags::WRITABLE;
    for level in (1..=4u8).rev() {
        let index = (addr.as_u64() >> (12 + 9 * (u64::from(level) - 1))) & 511;
        // SAFETY: a present entry's frame is a page table, visible in the
        // physical-memory window; we only read one entry.
        let entries = unsafe { &*table(frame) };
        let entry = &entries[index as usize];
        let flags = entry.flags();
        if !flags.contains(Flags::PRESENT) {
            return None;
        }
        rights &= flags;
        let page_size = 1u64 << (12 + 9 * (u64::from(level) - 1));
        if level == 1 || flags.contains(Flags::HUGE_PAGE) {
            let offset = addr.as_u64() & (page_size - 1);
            return Some(Translation {
                phys: PhysAddr::new(entry.addr().as_u64() + offset),
                flags: (flags - (Flags::USER_ACCESSIBLE | Flags::WRITABLE)) | rights,
                page_size,
            });
        }
        frame = PhysFrame::containing_address(entry.addr());
    }
    None
}
