//! Guard pages: unmapped pages below stacks, so that an overflow faults.
//!
//! A stack grows downwards. If nothing stops it, a deep recursion walks past its
//! bottom and overwrites whatever memory lies below, and the damage shows up much
//! later somewhere else. If the page just below the stack is *not mapped*, the
//! first push past the bottom raises a page fault at once, at a known address.
//!
//! The bootloader already leaves such a page below the kernel stack it creates
//! (see `BootInfo::kernel_stack_bottom`); we record it. For our own static stacks
//! we unmap the page ourselves, with the `x86_64` crate's `OffsetPageTable`,
//! which edits the active page tables through the bootloader's mapping of all
//! physical memory. (The memory-management chapter will provide a general paging
//! API; this small module is all this chapter needs.)
//!
//! The guard pages are listed so that a fault report can say "this address is
//! the guard page of the double-fault stack", i.e. a stack overflow.

use spin::Mutex;
use x86_64::VirtAddr;
use x86_64::registers::control::Cr3;
use x86_64::structures::paging::{Mapper, OffsetPageTable, Page, PageTable, Size4KiB, Translate};

/// At most this many guard pages are recorded.
const MAX_GUARDS: usize = 8;

static PHYS_OFFSET: spin::Once<VirtAddr> = spin::Once::new();
static GUARDS: Mutex<[Option<(u64, &'static str)>; MAX_GUARDS]> = Mutex::new([None; MAX_GUARDS]);

/// Remembers where the bootloader mapped physical memory, and the guard page
/// below the kernel stack. Call first.
pub fn init(physical_memory_offset: u64, kernel_stack_bottom: u64) {
    PHYS_OFFSET.call_once(|| VirtAddr::new(physical_memory_offset));
    record(kernel_stack_bottom - 4096, "kernel stack");
}

fn record(page_start: u64, name: &'static str) {
    x86_64::instructions::interrupts::without_interrupts(|| {
        let mut guards = GUARDS.lock();
        if let Some(slot) = guards.iter_mut().find(|g| g.is_none()) {
            *slot = Some((page_start, name));
        }
    });
}

/// The active page tables, seen through the physical-memory window.
///
/// # Safety
/// Only one `OffsetPageTable` may be in use at a time (this kernel runs on one
/// CPU, and the callers below do not keep it).
unsafe fn active_table() -> OffsetPageTable<'static> {
    let offset = *PHYS_OFFSET.get().expect("guard::init runs first");
    let level4 = offset + Cr3::read().0.start_address().as_u64();
    // SAFETY: CR3 holds the physical address of the active level-4 table, which
    // the bootloader mapped at `offset`; the caller guarantees exclusivity.
    unsafe { OffsetPageTable::new(&mut *level4.as_mut_ptr::<PageTable>(), offset) }
}

/// Unmaps the 4 KiB page at `page_start` (a guard page for the stack above it).
/// Panics if the page is not mapped with 4 KiB pages: a guard that guards
/// nothing must not pass silently.
pub fn protect(page_start: VirtAddr, name: &'static str) {
    let page = Page::<Size4KiB>::from_start_address(page_start).expect("page-aligned guard");
    // SAFETY: called during init on the only CPU; nothing else edits page tables.
    let mut table = unsafe { active_table() };
    match table.unmap(page) {
        Ok((_frame, flush)) => flush.flush(),
        Err(e) => panic!("cannot unmap the guard page of the {name}: {e:?}"),
    }
    record(page_start.as_u64(), name);
}

/// Whether `address` is mapped in the active page tables.
pub fn is_mapped(address: u64) -> bool {
    // SAFETY: the table is only read, and dropped before returning.
    let table = unsafe { active_table() };
    VirtAddr::try_new(address).is_ok_and(|a| table.translate_addr(a).is_some())
}

/// Calls `f(page_start, stack_name)` for every recorded guard page.
pub fn for_each(mut f: impl FnMut(u64, &'static str)) {
    let guards = x86_64::instructions::interrupts::without_interrupts(|| *GUARDS.lock());
    for (start, name) in guards.iter().flatten() {
        f(*start, name);
    }
}

/// The name of the stack whose guard page contains `address`, if any.
pub fn guarded_stack_at(address: u64) -> Option<&'static str> {
    // try_lock: a fault handler must never wait (the lock is only ever held
    // briefly during init, with interrupts off).
    let guards = GUARDS.try_lock()?;
    guards
        .iter()
        .flatten()
        .find(|(start, _)| (*start..*start + 4096).contains(&address))
        .map(|(_, name)| *name)
}
