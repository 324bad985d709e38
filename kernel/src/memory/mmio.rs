//! Device memory: mapping a device's registers (a PCI BAR) uncached.
//!
//! Devices such as a virtio disk answer memory accesses at physical addresses
//! the firmware gave them: reading there reads a register, writing may start
//! an operation. Two things make that different from RAM:
//!
//! - the CPU must not cache those accesses (a cached read would return an
//!   old value, a cached write might reach the device late, or merged with
//!   the next): the pages get PCD and PWT (cache disabled, write-through),
//!   which with the default PAT is the *uncacheable* type;
//! - the addresses may be far above RAM (a 64-bit BAR at 512 GiB), outside
//!   the bootloader's physical-memory window.
//!
//! So device memory gets a window of its own, PML4 slot 290
//! (`0xffff_9100_0000_0000`), handed out upwards, page by page, never
//! reused: drivers map their BARs once, at start-up. The pages are NX and
//! kernel-only.

use super::paging::{self, MapError};
use crate::sync::IrqMutex;
use x86_64::structures::paging::{Page, PageTableFlags as Flags, PhysFrame};
use x86_64::{PhysAddr, VirtAddr};

/// The window's start (PML4 slot 290) and size.
pub const WINDOW_START: u64 = 0xffff_9100_0000_0000;
const WINDOW_SIZE: u64 = 1 << 39;

/// The next free address in the window.
static NEXT: IrqMutex<u64> = IrqMutex::new(WINDOW_START);

/// Why a mapping was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmioError {
    /// The window is used up, or the request is absurdly large.
    NoRoom,
    Map(MapError),
}

/// Maps `length` bytes of device memory at physical `start` uncached and
/// returns the virtual address of `start`.
pub fn map(start: PhysAddr, length: u64) -> Result<VirtAddr, MmioError> {
    let first = start.align_down(4096u64);
    let end = start
        .as_u64()
        .checked_add(length.max(1))
        .ok_or(MmioError::NoRoom)?;
    let pages = (end - first.as_u64()).div_ceil(4096);
    let virt = {
        let mut next = NEXT.lock();
        let virt = *next;
        if pages * 4096 > WINDOW_START + WINDOW_SIZE - virt {
            return Err(MmioError::NoRoom);
        }
        *next += pages * 4096;
        virt
    };
    let flags = Flags::WRITABLE | Flags::NO_CACHE | Flags::WRITE_THROUGH | Flags::NO_EXECUTE;
    for i in 0..pages {
        let page: Page = Page::containing_address(VirtAddr::new(virt + i * 4096));
        let frame: PhysFrame = PhysFrame::containing_address(first + i * 4096);
        // SAFETY: the frame is device memory (a BAR the caller found), not
        // RAM the frame allocator hands out, and the page is new in our own
        // window, so no existing mapping or reference changes meaning.
        unsafe { paging::map(page, frame, flags) }
            .map_err(MmioError::Map)?
            .flush();
    }
    Ok(VirtAddr::new(virt + (start.as_u64() - first.as_u64())))
}
