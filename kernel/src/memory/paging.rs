//! Page tables: mapping virtual pages to physical frames, safely.
//!
//! x86_64 translates every virtual address through four levels of tables (PML4,
//! PDPT, PD, PT), each a 4 KiB frame of 512 entries indexed by 9 bits of the
//! address. A leaf entry holds a frame address and flags: PRESENT, WRITABLE,
//! USER, NO_EXECUTE, and HUGE_PAGE when a PD entry maps 2 MiB at once. CR3 holds
//! the physical address of the PML4. The bootloader built the tables; we edit
//! them through its physical-memory window (every frame `f` is visible at
//! `offset + f`), with the `x86_64` crate's `OffsetPageTable`.
//!
//! The CPU caches translations in the TLB and does not notice when a table
//! changes. Every change here therefore returns a [`TlbFlush`] that invalidates
//! the page when it is dropped: the flush cannot be forgotten, and `#[must_use]`
//! makes the compiler ask you to say when it happens. Errors are values
//! ([`MapError`]), never panics, so callers such as the heap can fail cleanly
//! when physical memory runs out.
//!
//! Lock order: the page-table lock is taken before the frame allocator's (new
//! tables come from it), never the other way round.

use super::{frames, phys_offset};
use crate::sync::IrqMutex;
use core::sync::atomic::{AtomicU8, Ordering};
use x86_64::registers::control::Cr3;
use x86_64::structures::paging::mapper::{
    MapToError, MappedFrame, Mapper, TranslateResult, UnmapError,
};
use x86_64::structures::paging::page_table::PageTableEntry as Entry;
use x86_64::structures::paging::{
    FrameAllocator, OffsetPageTable, Page, PageSize, PageTable, PageTableFlags as Flags, PhysFrame,
    Size2MiB, Size4KiB, Translate,
};
use x86_64::{PhysAddr, VirtAddr, instructions::tlb};

/// The active page tables, seen through the physical-memory window. Public
/// only as a name for the `Mapper<S>` bounds of [`map`] and [`unmap`]: the
/// one value of it is private to this module.
pub type Tables = OffsetPageTable<'static>;

static TABLES: IrqMutex<Option<Tables>> = IrqMutex::new(None);
/// The kernel's own PML4 (the bootloader's, taken over at [`init`]).
static KERNEL_PML4: spin::Once<PhysFrame> = spin::Once::new();

/// Why a page-table change was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The page is already mapped (to this frame).
    AlreadyMapped(PhysFrame),
    /// The page is not mapped.
    NotMapped,
    /// No frame was left for the page or for a page table.
    OutOfFrames,
    /// A 2 MiB page covers the address; split it first (not supported here).
    InsideHugePage,
}

/// Invalidates one page's TLB entry when dropped. See the module docs.
#[must_use = "dropping a TlbFlush flushes at once; bind it to flush later"]
pub struct TlbFlush(VirtAddr);

impl TlbFlush {
    /// Flushes now (the same as dropping it, but says so).
    pub fn flush(self) {}
}

impl Drop for TlbFlush {
    fn drop(&mut self) {
        tlb::flush(self.0);
    }
}

/// Takes page-table frames from [`frames`] (zeroed).
pub(super) struct TableFrames;

// SAFETY: `frames::alloc` hands out each usable frame at most once.
unsafe impl FrameAllocator<Size4KiB> for TableFrames {
    fn allocate_frame(&mut self) -> Option<PhysFrame> {
        let frame = frames::alloc()?;
        // A new page table must start empty (all entries not present).
        let table: *mut PageTable = super::phys_to_virt(frame.start_address()).as_mut_ptr();
        // SAFETY: the frame was just allocated, so nothing else refers to it, and
        // it is mapped writable in the physical-memory window.
        unsafe { table.write(PageTable::new()) };
        Some(frame)
    }
}

/// Takes over the active page tables (the bootloader's). Runs once.
pub fn init() {
    let mut tables = TABLES.lock();
    if tables.is_some() {
        return;
    }
    let (pml4, _) = Cr3::read();
    KERNEL_PML4.call_once(|| pml4);
    let pml4: *mut PageTable = super::phys_to_virt(pml4.start_address()).as_mut_ptr();
    // SAFETY: CR3 points at the active PML4, visible in the physical-memory
    // window; from now on it is only ever reached through TABLES, one user at a
    // time, and the offset really is where all of physical memory is mapped.
    *tables = Some(unsafe { OffsetPageTable::new(&mut *pml4, phys_offset()) });
}

fn with<R>(f: impl FnOnce(&mut Tables) -> R) -> R {
    f(TABLES
        .lock()
        .as_mut()
        .expect("memory::init has not run yet"))
}

fn map_error<S: PageSize>(e: MapToError<S>) -> MapError {
    match e {
        MapToError::FrameAllocationFailed => MapError::OutOfFrames,
        MapToError::ParentEntryHugePage => MapError::InsideHugePage,
        MapToError::PageAlreadyMapped(f) => {
            MapError::AlreadyMapped(PhysFrame::containing_address(f.start_address()))
        }
    }
}

fn unmap_error(e: UnmapError) -> MapError {
    match e {
        UnmapError::ParentEntryHugePage => MapError::InsideHugePage,
        _ => MapError::NotMapped,
    }
}

/// Whether page entries may carry NO_EXECUTE: only if the CPU has NX (asked
/// once, then remembered: 0 not asked yet, 1 yes, 2 no).
pub fn no_execute_supported() -> bool {
    static NX: AtomicU8 = AtomicU8::new(0);
    match NX.load(Ordering::Relaxed) {
        0 => {
            let has = crate::arch::features::has_nx();
            NX.store(if has { 1 } else { 2 }, Ordering::Relaxed);
            has
        }
        known => known == 1,
    }
}

/// `flags` as this CPU can take them: without NX, bit 63 of an entry is
/// reserved (a page fault if set), so NO_EXECUTE is left out.
pub fn supported(flags: Flags) -> Flags {
    if no_execute_supported() {
        flags
    } else {
        flags - Flags::NO_EXECUTE
    }
}

/// Maps `page` to `frame` with `flags` (PRESENT is added). The page size
/// `S` is `Size4KiB` (a page-table entry) or `Size2MiB` (one page-directory
/// entry, no page table below it, HUGE_PAGE set by the mapper); the types of
/// `page` and `frame` choose it.
///
/// # Safety
///
/// The caller owns `frame` (all of it: 512 frames of 4 KiB for a 2 MiB page)
/// and gives it to this mapping: nothing else may use it as memory in a way
/// that conflicts (the physical-memory window aside).
pub unsafe fn map<S: PageSize>(
    page: Page<S>,
    frame: PhysFrame<S>,
    flags: Flags,
) -> Result<TlbFlush, MapError>
where
    Tables: Mapper<S>,
{
    with(|t| {
        // SAFETY: passed on from the caller; `page` is not mapped yet (else the
        // mapper refuses), so no existing reference is redirected.
        unsafe {
            t.map_to(
                page,
                frame,
                supported(flags) | Flags::PRESENT,
                &mut TableFrames,
            )
        }
        .map(|f| f.ignore())
        .map_err(map_error)
    })?;
    Ok(TlbFlush(page.start_address()))
}

/// Maps `page` to a fresh frame from [`frames`], filled with zeros.
///
/// Zeroing means no stale data from an earlier user of the frame (the
/// firmware, the bootloader, a thread that has ended) is ever visible
/// through the new mapping. It has a second benefit under QEMU's TCG, which
/// remembers frames that code was executed from (the bootloader's, under
/// BIOS) and checks every later write to them for self-modifying code until
/// that code is overwritten: a frame written over in full is ordinary memory
/// again. (Measured: a thread stack on such a frame made a thread switch
/// ~40x slower.)
pub fn map_new(page: Page, flags: Flags) -> Result<TlbFlush, MapError> {
    let frame = frames::alloc().ok_or(MapError::OutOfFrames)?;
    let bytes = super::phys_to_virt(frame.start_address()).as_mut_ptr::<u8>();
    // SAFETY: the frame was just allocated, so nothing else uses it; the
    // physical-memory window maps it writable.
    unsafe { core::ptr::write_bytes(bytes, 0, 4096) };
    // SAFETY: the frame was just allocated, so this mapping is its only user.
    unsafe { map(page, frame, flags) }.inspect_err(|_| {
        let _ = frames::free(frame);
    })
}

/// Removes the mapping of `page` (4 KiB or 2 MiB, as its type says) and
/// returns the frame it pointed to, which the caller now owns again (free it
/// if it came from [`frames`]; a guard page carved out of a kernel static
/// keeps its frame unused). A 4 KiB page inside a 2 MiB mapping is refused
/// with [`MapError::InsideHugePage`], and the other way round with
/// [`MapError::NotMapped`].
///
/// # Safety
///
/// Nothing may still use `page` (no live references into it), since the next
/// access faults.
pub unsafe fn unmap<S: PageSize>(page: Page<S>) -> Result<(PhysFrame<S>, TlbFlush), MapError>
where
    Tables: Mapper<S>,
{
    let (frame, flush) = with(|t| t.unmap(page)).map_err(unmap_error)?;
    flush.ignore();
    Ok((frame, TlbFlush(page.start_address())))
}

/// Unmaps `page` and returns its frame to [`frames`].
///
/// # Safety
///
/// As for [`unmap`]; and the frame must have come from [`frames`].
pub unsafe fn unmap_and_free(page: Page) -> Result<TlbFlush, MapError> {
    // SAFETY: passed on from the caller.
    let (frame, flush) = unsafe { unmap(page) }?;
    frames::free(frame).expect("an unmapped heap frame was allocated");
    Ok(flush)
}

/// Turns `page` into a guard page: unmaps it, so that touching it faults. The
/// frame behind it is left alone (it may belong to a kernel static).
///
/// # Safety
///
/// Nothing may use the page any more (for example the lowest page of a stack
/// array that the stack pointer never reaches).
pub unsafe fn make_guard_page(page: Page) -> Result<(), MapError> {
    // SAFETY: passed on from the caller.
    unsafe { unmap(page) }.map(|(_, flush)| flush.flush())
}

/// Replaces the flags of a mapped page (4 KiB or 2 MiB) with `flags`
/// (PRESENT and, for a 2 MiB page, HUGE_PAGE are kept).
///
/// # Safety
///
/// Taking rights away must not break code that relies on them (making the
/// running code non-executable, or a page with live `&mut` read-only).
pub unsafe fn protect(addr: VirtAddr, flags: Flags) -> Result<TlbFlush, MapError> {
    let flags = supported(flags);
    with(|t| match t.translate(addr) {
        TranslateResult::Mapped {
            frame: MappedFrame::Size4KiB(_),
            ..
        } => {
            let page = Page::<Size4KiB>::containing_address(addr);
            // SAFETY: passed on from the caller.
            unsafe { t.update_flags(page, flags | Flags::PRESENT) }
                .map(|f| f.ignore())
                .map_err(|_| MapError::NotMapped)
        }
        TranslateResult::Mapped {
            frame: MappedFrame::Size2MiB(_),
            ..
        } => {
            let page = Page::<Size2MiB>::containing_address(addr);
            let flags = flags | Flags::PRESENT | Flags::HUGE_PAGE;
            // SAFETY: passed on from the caller.
            unsafe { t.update_flags(page, flags) }
                .map(|f| f.ignore())
                .map_err(|_| MapError::NotMapped)
        }
        TranslateResult::Mapped { .. } => Err(MapError::InsideHugePage),
        _ => Err(MapError::NotMapped),
    })?;
    Ok(TlbFlush(addr.align_down(Size4KiB::SIZE)))
}

/// What a virtual address maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    pub phys: PhysAddr,
    /// Flags of the leaf entry.
    pub flags: Flags,
    /// 4 KiB, 2 MiB or 1 GiB.
    pub page_size: u64,
}

/// Where `addr` leads, if it is mapped.
pub fn translate(addr: VirtAddr) -> Option<Translation> {
    with(|t| match t.translate(addr) {
        TranslateResult::Mapped {
            frame,
            offset,
            flags,
        } => Some(Translation {
            phys: frame.start_address() + offset,
            flags,
            page_size: frame.size(),
        }),
        _ => None,
    })
}

/// The kernel's PML4: the root of the kernel's own address space, whose
/// higher half every process shares.
pub fn kernel_pml4() -> PhysFrame {
    *KERNEL_PML4.get().expect("memory::init has run")
}

/// Calls `f` for every present leaf entry (a mapped 4 KiB, 2 MiB or 1 GiB
/// page) with its virtual address, size, and the entry itself, which `f` may
/// change. Then flushes the whole TLB, since any entry may have changed.
///
/// # Safety
///
/// As for [`protect`], for every change `f` makes.
pub unsafe fn for_each_leaf(mut f: impl FnMut(VirtAddr, u64, &mut Entry)) {
    with(|t| {
        let offset = t.phys_offset();
        walk(t.level_4_table_mut(), 4, 0, offset, &mut f);
    });
    tlb::flush_all();
}

fn walk(
    table: &mut PageTable,
    level: u8,
    base: u64,
    offset: VirtAddr,
    f: &mut impl FnMut(VirtAddr, u64, &mut Entry),
) {
    let span = 1u64 << (12 + 9 * (level as u64 - 1));
    for (i, entry) in table.iter_mut().enumerate() {
        if !entry.flags().contains(Flags::PRESENT) {
            continue;
        }
        let mut addr = base + i as u64 * span;
        if level == 4 && i >= 256 {
            addr |= 0xffff_0000_0000_0000; // sign-extend the higher half
        }
        if level == 1 || entry.flags().contains(Flags::HUGE_PAGE) {
            f(VirtAddr::new(addr), span, entry);
        } else {
            let next: *mut PageTable = (offset + entry.addr().as_u64()).as_mut_ptr();
            // SAFETY: a present non-leaf entry points at the next-level table,
            // which is visible in the physical-memory window; we hold the
            // page-table lock, so this is the only reference to it.
            walk(unsafe { &mut *next }, level - 1, addr, offset, f);
        }
    }
}
