//! Frames for page tables and the boot info, from UEFI's page allocator.
//!
//! While boot services run, firmware owns memory: we ask it for pages
//! (`AllocatePages`) of type LOADER_DATA, which the final memory map still
//! lists as ours, so the kernel never reuses them. Firmware maps all memory
//! at its own address (identity mapping), so a frame's physical address is
//! also a pointer we can write through, which is how [`UefiTables`] lets the
//! `bootplan` builder write page-table entries.

use bootplan::paging::TableMemory;
use uefi::boot::{self, AllocateType, MemoryType};

/// Allocations stay below 4 GiB, inside the identity mapping the handover
/// keeps for the boot info.
const BELOW_4G: u64 = 0xffff_f000;

/// `count` zeroed pages below 4 GiB; their physical address.
pub fn zeroed_pages(count: usize) -> Option<u64> {
    let memory = boot::allocate_pages(
        AllocateType::MaxAddress(BELOW_4G),
        MemoryType::LOADER_DATA,
        count,
    )
    .ok()?;
    // SAFETY: the firmware just gave us these pages, identity-mapped.
    unsafe { core::ptr::write_bytes(memory.as_ptr(), 0, count * 4096) };
    Some(memory.as_ptr() as u64)
}

/// Page tables in UEFI-allocated frames.
pub struct UefiTables;

impl TableMemory for UefiTables {
    fn new_table(&mut self) -> Option<u64> {
        zeroed_pages(1)
    }

    fn read(&self, table: u64, index: usize) -> u64 {
        // SAFETY: `table` came from `new_table` (a page we own, identity-
        // mapped) and `index` < 512 (the builder's indices are 9 bits).
        unsafe { (table as *const u64).add(index % 512).read() }
    }

    fn write(&mut self, table: u64, index: usize, entry: u64) {
        // SAFETY: as in `read`; no other reference to the table exists.
        unsafe { (table as *mut u64).add(index % 512).write(entry) }
    }
}
