//! Physical frames: the bootloader's memory map turned into a frame allocator.
//!
//! The memory map lists physical address ranges and what they hold. Only ranges
//! marked `Usable` are free RAM: the bootloader marks everything it allocated for
//! us (page tables, kernel stack, boot information, the loaded kernel itself) as
//! `Bootloader`, and firmware, ACPI and device ranges keep their own kinds. We
//! also leave out the first 1 MiB: on a PC it holds the BIOS data area and the
//! real-mode world, and a later chapter needs a page there to start other CPUs.
//!
//! The allocator is the bitmap of the `frame_alloc` crate (see its docs). Its
//! storage (one bit per frame up to the highest usable address: 4 KiB for
//! 64 MiB of RAM, under 300 KiB for 8 GiB) must exist before any heap does, so
//! [`init`] takes it from the first usable region that is large enough, writes
//! it through the bootloader's physical-memory window, and marks those frames
//! used. After that every frame is either free in the bitmap or has an owner.

use super::phys_to_virt;
use crate::sync::IrqMutex;
use bootloader_api::info::{MemoryRegionKind, MemoryRegions};
use core::ops::Range;
use frame_alloc::{FrameAllocator, FreeError, storage_words};
use spin::Once;
use x86_64::PhysAddr;
use x86_64::structures::paging::{PageSize, PhysFrame, Size4KiB};

/// Frames below this address (1 MiB) are never handed out.
pub const LOW_MEMORY_END: u64 = 0x10_0000;

const FRAME: u64 = Size4KiB::SIZE;

static FRAMES: IrqMutex<Option<FrameAllocator<'static>>> = IrqMutex::new(None);
static AT_BOOT: Once<FrameStats> = Once::new();

/// Counters for reports, in frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameStats {
    /// Usable RAM frames the allocator manages.
    pub usable: usize,
    /// Frames free right now.
    pub free: usize,
    /// Frames holding the allocator's own bitmap.
    pub bitmap: usize,
}

impl FrameStats {
    pub fn used(&self) -> usize {
        self.usable - self.free
    }
}

/// The usable frame numbers of `regions` (whole frames only, above 1 MiB).
fn usable(regions: &MemoryRegions) -> impl Iterator<Item = Range<usize>> + '_ {
    regions
        .iter()
        .filter(|r| r.kind == MemoryRegionKind::Usable)
        .map(|r| {
            let start = r.start.max(LOW_MEMORY_END).div_ceil(FRAME);
            let end = r.end / FRAME;
            start as usize..end.max(start) as usize
        })
        .filter(|r| !r.is_empty())
}

/// Builds the frame allocator from the memory map. Runs once; later calls do
/// nothing.
pub fn init(regions: &MemoryRegions) {
    let mut frames = FRAMES.lock();
    if frames.is_some() {
        return;
    }
    let top = usable(regions).map(|r| r.end).max().expect("no usable RAM");
    let words = storage_words(top);
    let bitmap_frames = (words * 8).div_ceil(FRAME as usize);
    let home = usable(regions)
        .find(|r| r.len() >= bitmap_frames)
        .expect("no usable region can hold the frame bitmap")
        .start;
    let storage = phys_to_virt(PhysAddr::new(home as u64 * FRAME)).as_mut_ptr::<u64>();
    // SAFETY: `home..home + bitmap_frames` is usable RAM that nothing uses yet (no
    // allocator exists), mapped writable in the physical-memory window, and
    // 8-byte aligned. It is reserved below, so it is never handed out: the
    // bitmap is its only user for the rest of the kernel's life.
    let storage = unsafe { core::slice::from_raw_parts_mut(storage, words) };
    let mut alloc = FrameAllocator::new(storage, top).expect("storage sized by storage_words");
    for range in usable(regions) {
        alloc.add_free(range);
    }
    alloc.reserve(home..home + bitmap_frames);
    let stats = alloc.stats();
    AT_BOOT.call_once(|| FrameStats {
        usable: stats.usable,
        free: stats.free,
        bitmap: bitmap_frames,
    });
    *frames = Some(alloc);
}

fn with<R>(f: impl FnOnce(&mut FrameAllocator<'static>) -> R) -> R {
    f(FRAMES
        .lock()
        .as_mut()
        .expect("memory::init has not run yet"))
}

fn frame_at(number: usize) -> PhysFrame {
    PhysFrame::containing_address(PhysAddr::new(number as u64 * FRAME))
}

/// A free frame, now yours; `None` when physical memory is exhausted.
pub fn alloc() -> Option<PhysFrame> {
    with(|a| a.alloc()).map(frame_at)
}

/// `count` physically consecutive frames starting at a multiple of `align`
/// frames (a power of two: 512 gives a 2 MiB-aligned run); returns the first.
pub fn alloc_contiguous(count: usize, align: usize) -> Option<PhysFrame> {
    with(|a| a.alloc_contiguous(count, align)).map(frame_at)
}

/// Returns a frame from [`alloc`]. Double frees are refused, not absorbed.
pub fn free(frame: PhysFrame) -> Result<(), FreeError> {
    free_contiguous(frame, 1)
}

/// Returns `count` frames from [`alloc_contiguous`].
pub fn free_contiguous(first: PhysFrame, count: usize) -> Result<(), FreeError> {
    let number = (first.start_address().as_u64() / FRAME) as usize;
    with(|a| a.free_contiguous(number, count))
}

/// Current counters. `None` before [`init`] (or while the allocator is locked,
/// which only a report printed from a panic can see).
pub fn stats() -> Option<FrameStats> {
    let guard = FRAMES.try_lock()?;
    let alloc = guard.as_ref()?;
    let s = alloc.stats();
    Some(FrameStats {
        usable: s.usable,
        free: s.free,
        bitmap: AT_BOOT.get()?.bitmap,
    })
}

/// The counters as they were right after [`init`].
pub fn at_boot() -> Option<FrameStats> {
    AT_BOOT.get().copied()
}
