//! Guard pages: unmapped pages below stacks, so that an overflow faults.
//!
//! A stack grows downwards. If nothing stops it, a deep recursion walks past its
//! bottom and overwrites whatever memory lies below, and the damage shows up much
//! later somewhere else. If the page just below the stack is *not mapped*, the
//! first push past the bottom raises a page fault at once, at a known address.
//!
//! The bootloader already leaves such a page below the kernel stack it creates
//! (see `BootInfo::kernel_stack_bottom`); we record it. For our own static stacks
//! we unmap the page ourselves, through the page-table API of
//! `memory::paging` (the one way to reach the page tables).
//!
//! The guard pages are listed so that a fault report can say "this address is
//! the guard page of the double-fault stack", i.e. a stack overflow.

use crate::memory::paging;
use spin::Mutex;
use x86_64::VirtAddr;
use x86_64::structures::paging::{Page, Size4KiB};

/// At most this many guard pages are recorded.
const MAX_GUARDS: usize = 8;

static GUARDS: Mutex<[Option<(VirtAddr, &'static str)>; MAX_GUARDS]> =
    Mutex::new([None; MAX_GUARDS]);

/// Records the guard page the bootloader left below the kernel stack. Call
/// first.
pub fn init(kernel_stack_bottom: VirtAddr) {
    record(kernel_stack_bottom - 4096u64, "kernel stack");
}

fn record(page_start: VirtAddr, name: &'static str) {
    x86_64::instructions::interrupts::without_interrupts(|| {
        let mut guards = GUARDS.lock();
        if let Some(slot) = guards.iter_mut().find(|g| g.is_none()) {
            *slot = Some((page_start, name));
        }
    });
}

/// Unmaps the 4 KiB page at `page_start` (a guard page for the stack above it).
/// Panics if the page is not mapped with 4 KiB pages: a guard that guards
/// nothing must not pass silently.
///
/// # Safety
///
/// Nothing may use the page any more (it is the lowest page of a stack that
/// the stack pointer never reaches while the stack is healthy).
pub unsafe fn protect(page_start: VirtAddr, name: &'static str) {
    let page = Page::<Size4KiB>::from_start_address(page_start).expect("page-aligned guard");
    // SAFETY: passed on from the caller.
    if let Err(e) = unsafe { paging::make_guard_page(page) } {
        panic!("cannot unmap the guard page of the {name}: {e:?}");
    }
    record(page_start, name);
}

/// Whether `address` is mapped in the active page tables.
pub fn is_mapped(address: VirtAddr) -> bool {
    paging::translate(address).is_some()
}

/// Calls `f(page_start, stack_name)` for every recorded guard page.
pub fn for_each(mut f: impl FnMut(VirtAddr, &'static str)) {
    let guards = x86_64::instructions::interrupts::without_interrupts(|| *GUARDS.lock());
    for (start, name) in guards.iter().flatten() {
        f(*start, name);
    }
}

/// The name of the stack whose guard page contains `address`, if any.
pub fn guarded_stack_at(address: VirtAddr) -> Option<&'static str> {
    // try_lock: a fault handler must never wait (the lock is only ever held
    // briefly during init, with interrupts off).
    let guards = GUARDS.try_lock()?;
    guards
        .iter()
        .flatten()
        .find(|(start, _)| (*start..*start + 4096u64).contains(&address))
        .map(|(_, name)| *name)
}
