//! Device memory and firmware tables: what the physical-memory window leaves out.
//!
//! Devices (the local APIC, the I/O APIC, a virtio disk's PCI BARs) answer
//! memory accesses at physical addresses the firmware gave them: reading
//! there reads a register, writing may start an operation. Two things make
//! that different from RAM:
//!
//! - the CPU must not cache those accesses (a cached read would return an
//!   old value, a cached write might reach the device late, or merged with
//!   the next): the pages get PCD and PWT (cache disabled, write-through),
//!   which with the default PAT is the *uncacheable* type ([`map`]);
//! - they are not memory, so our loaders leave them out of the
//!   physical-memory window (which maps only what the firmware's memory map
//!   calls memory, and the framebuffer; docs/booting.md), and a 64-bit BAR
//!   may be far above RAM anyway.
//!
//! The ACPI tables are memory, but under a BIOS they often lie in ranges
//! E820 calls *reserved* (SeaBIOS puts them there), also outside the window:
//! [`map_firmware`] maps them cached and read-only.
//!
//! Both get a window of their own, PML4 slot 290 (`0xffff_9100_0000_0000`),
//! handed out upwards, page by page, never reused (512 GiB last for ever at
//! the rate of a few pages per boot): drivers map their registers once, at
//! start-up; the ACPI code maps a table while it reads it and [`unmap`]s it
//! after. The pages are NX and kernel-only. (With the `bootloader` crate,
//! whose window maps every address, this makes a second mapping of the same
//! frames; only this one is used.)

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
    let flags = Flags::WRITABLE | Flags::NO_CACHE | Flags::WRITE_THROUGH | Flags::NO_EXECUTE;
    map_with(start, length, flags)
}

/// Maps `length` bytes of firmware memory (ACPI tables) at physical `start`
/// read-only and cached, and returns the virtual address of `start`.
pub fn map_firmware(start: PhysAddr, length: u64) -> Result<VirtAddr, MmioError> {
    map_with(start, length, Flags::NO_EXECUTE)
}

/// The pages of `[start, start + length)`: the first one and how many.
fn pages(start: u64, length: u64) -> Option<(u64, u64)> {
    let first = start & !4095;
    let end = start.checked_add(length.max(1))?;
    Some((first, (end - first).div_ceil(4096)))
}

fn map_with(start: PhysAddr, length: u64, flags: Flags) -> Result<VirtAddr, MmioError> {
    let (first, pages) = pages(start.as_u64(), length).ok_or(MmioError::NoRoom)?;
    let virt = {
        let mut next = NEXT.lock();
        let virt = *next;
        if pages * 4096 > WINDOW_START + WINDOW_SIZE - virt {
            return Err(MmioError::NoRoom);
        }
        *next += pages * 4096;
        virt
    };
    for i in 0..pages {
        let page: Page = Page::containing_address(VirtAddr::new(virt + i * 4096));
        let frame: PhysFrame = PhysFrame::containing_address(PhysAddr::new(first + i * 4096));
        // SAFETY: the frame is device or firmware memory the caller found,
        // not RAM the frame allocator hands out, and the page is new in our
        // own window, so no existing mapping or reference changes meaning.
        unsafe { paging::map(page, frame, flags) }
            .map_err(MmioError::Map)?
            .flush();
    }
    Ok(VirtAddr::new(virt + (start.as_u64() - first)))
}

/// Unmaps what [`map`] or [`map_firmware`] mapped at `virt` for `length`
/// bytes (its addresses are not handed out again).
///
/// # Safety
///
/// `virt` and `length` are those of one earlier mapping, and nothing uses
/// that mapping any more.
pub unsafe fn unmap(virt: VirtAddr, length: u64) {
    let Some((first, pages)) = pages(virt.as_u64(), length) else {
        return;
    };
    for i in 0..pages {
        let page: Page = Page::containing_address(VirtAddr::new(first + i * 4096));
        // SAFETY: passed on from the caller; the frame is device or firmware
        // memory, not ours to free.
        if let Ok((_, flush)) = unsafe { paging::unmap(page) } {
            flush.flush();
        }
    }
}
