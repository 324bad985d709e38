//! Kernel stacks with guard pages.
//!
//! A stack grows down. If it overflows, the next push lands in whatever lies
//! below it, silently corrupting it. A *guard page* is an unmapped page right
//! below the stack: an overflow touches it and faults at once, and the page
//! fault report names an address just below the stack. (The bootloader does the
//! same for the boot stack; `BootInfo::kernel_stack_bottom` tells where it is.)
//!
//! Stacks live in their own 512 GiB window of the higher half (one PML4 slot,
//! checked free at boot). Each new stack takes the next `1 + pages` pages of the
//! window, the first left unmapped. A thread's stack is given back with [`free`]
//! when the thread is gone: its pages are unmapped and their frames freed, and
//! its stretch of the window is remembered and handed to the next stack of the
//! same size. Reusing addresses keeps the page tables of the window from
//! growing with every thread ever started (they are not freed when empty).
//!
//! The list of freed stacks has a fixed size ([`REMEMBERED`] stacks, in a
//! static: no heap). A list on the heap grew by one entry each time more
//! threads than ever before had lived at once, so the heap bytes in use
//! after a fork bomb depended on that bomb's peak, and leak checks could
//! not ask for equal counts. The list is long enough for every thread the
//! tests start at once (1,000) with room to spare: 4,096 entries of 16
//! bytes, 64 KiB of `.bss`. A stack freed while the list is full is not
//! remembered: its addresses are not used again (the window has room for
//! millions), so only more than 4,096 threads alive at once make the
//! window's page tables grow for good.

use super::paging::{self, MapError};
use crate::sync::IrqMutex;
use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::VirtAddr;
use x86_64::structures::paging::{Page, PageTableFlags as Flags};

/// Start of the stack window (PML4 slot 289).
pub const STACKS_START: u64 = 0xffff_9080_0000_0000;
/// Size of the stack window.
pub const STACKS_SIZE: u64 = 512 << 30;

static NEXT: AtomicU64 = AtomicU64::new(STACKS_START);

/// How many freed stacks [`FREED`] remembers (more than the threads that
/// the kernel tests start at once, and far more than a full process table's).
pub const REMEMBERED: usize = 4096;

/// Freed stacks, whose addresses the next stacks of the same size reuse.
static FREED: IrqMutex<Freed> = IrqMutex::new(Freed {
    stacks: [KernelStack::NONE; REMEMBERED],
    len: 0,
});

/// A list of at most [`REMEMBERED`] freed stacks (`stacks[..len]`).
struct Freed {
    stacks: [KernelStack; REMEMBERED],
    len: usize,
}

impl Freed {
    /// Takes the most recently freed stack of `pages` pages.
    fn take(&mut self, pages: u64) -> Option<KernelStack> {
        let found = self.stacks[..self.len]
            .iter()
            .rposition(|s| s.pages() == pages)?;
        let stack = self.stacks[found];
        self.len -= 1;
        self.stacks[found] = self.stacks[self.len];
        Some(stack)
    }

    /// Remembers `stack`, unless the list is full.
    fn push(&mut self, stack: KernelStack) {
        if let Some(slot) = self.stacks.get_mut(self.len) {
            *slot = stack;
            self.len += 1;
        }
    }
}

/// A mapped kernel stack with an unmapped guard page below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelStack {
    /// Lowest usable address (the guard page ends here).
    pub bottom: VirtAddr,
    /// One past the highest usable address: the initial stack pointer.
    pub top: VirtAddr,
}

impl KernelStack {
    /// No stack (an empty slot of the freed list).
    const NONE: KernelStack = KernelStack {
        bottom: VirtAddr::zero(),
        top: VirtAddr::zero(),
    };

    /// The unmapped page right below the stack.
    pub fn guard(&self) -> Page {
        Page::containing_address(self.bottom - 1u64)
    }
}

impl KernelStack {
    /// How many usable pages the stack has.
    pub fn pages(&self) -> u64 {
        (self.top - self.bottom) / 4096
    }
}

/// Maps a new stack of `pages` 4 KiB pages (writable, not executable).
/// On failure nothing stays mapped.
pub fn allocate(pages: u64) -> Result<KernelStack, MapError> {
    let reused = FREED.lock().take(pages);
    let bottom = match reused {
        Some(stack) => stack.bottom,
        None => fresh_range(pages)?,
    };
    map_pages(bottom, pages).inspect_err(|_| {
        let top = bottom + pages * 4096;
        FREED.lock().push(KernelStack { bottom, top });
    })?;
    Ok(KernelStack {
        bottom,
        top: bottom + pages * 4096,
    })
}

/// Takes `1 + pages` pages of the window that no stack has used yet and
/// returns the address above the guard page.
fn fresh_range(pages: u64) -> Result<VirtAddr, MapError> {
    let size = (pages + 1) * 4096;
    let guard = NEXT.fetch_add(size, Ordering::Relaxed);
    if guard + size > STACKS_START + STACKS_SIZE {
        return Err(MapError::OutOfFrames);
    }
    Ok(VirtAddr::new(guard + 4096))
}

/// Maps `pages` new pages from `bottom` up; all or nothing.
fn map_pages(bottom: VirtAddr, pages: u64) -> Result<(), MapError> {
    let first = Page::containing_address(bottom);
    for (i, page) in (0..pages).map(|i| (i, first + i)) {
        if let Err(e) = paging::map_new(page, Flags::WRITABLE | Flags::NO_EXECUTE) {
            for done in 0..i {
                // SAFETY: these pages were mapped just above and never used.
                let _ = unsafe { paging::unmap_and_free(first + done) };
            }
            return Err(e);
        }
    }
    Ok(())
}

/// Unmaps `stack`, frees its frames and keeps its addresses for reuse.
///
/// # Safety
///
/// `stack` came from [`allocate`] and nothing runs on it or points into it
/// any more (its thread has exited and been switched away from for good).
pub unsafe fn free(stack: KernelStack) {
    let first = Page::containing_address(stack.bottom);
    for i in 0..stack.pages() {
        // SAFETY: the caller guarantees that nothing uses the stack; its
        // pages were mapped by `allocate` with frames from `frames`.
        let flush = unsafe { paging::unmap_and_free(first + i) };
        flush.expect("a stack page was mapped").flush();
    }
    FREED.lock().push(stack);
}
