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
//! window, the first left unmapped; virtual space is never reused, which the
//! window's size makes harmless.

use super::paging::{self, MapError};
use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::VirtAddr;
use x86_64::structures::paging::{Page, PageTableFlags as Flags};

/// Start of the stack window (PML4 slot 289).
pub const STACKS_START: u64 = 0xffff_9080_0000_0000;
/// Size of the stack window.
pub const STACKS_SIZE: u64 = 512 << 30;

static NEXT: AtomicU64 = AtomicU64::new(STACKS_START);

/// A mapped kernel stack with an unmapped guard page below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelStack {
    /// Lowest usable address (the guard page ends here).
    pub bottom: VirtAddr,
    /// One past the highest usable address: the initial stack pointer.
    pub top: VirtAddr,
}

impl KernelStack {
    /// The unmapped page right below the stack.
    pub fn guard(&self) -> Page {
        Page::containing_address(self.bottom - 1u64)
    }
}

/// Maps a new stack of `pages` 4 KiB pages (writable, not executable).
/// On failure nothing stays mapped.
pub fn allocate(pages: u64) -> Result<KernelStack, MapError> {
    let size = (pages + 1) * 4096;
    let guard = NEXT.fetch_add(size, Ordering::Relaxed);
    if guard + size > STACKS_START + STACKS_SIZE {
        return Err(MapError::OutOfFrames);
    }
    let bottom = VirtAddr::new(guard + 4096);
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
    Ok(KernelStack {
        bottom,
        top: bottom + pages * 4096,
    })
}
