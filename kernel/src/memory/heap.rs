//! The kernel heap: `Box`, `Vec`, `String`, `BTreeMap`, `Arc` for the kernel.
//!
//! The allocator itself is the `heap` crate (size-class slabs for small
//! blocks, whole pages for large ones; see its docs). It asks a [`PageSource`]
//! for runs of virtually contiguous 4 KiB pages. Ours, [`KernelPages`], hands
//! out pages of a fixed 512 MiB *heap window* at [`HEAP_START`] (PML4 slot 288)
//! and backs each with a fresh frame only when it is handed out, so the heap
//! grows on demand and gives frames back when the allocator returns pages.
//! Which window pages are in use is tracked by the same bitmap type as physical
//! frames (`frame_alloc`), 16 KiB of it, taken from the frame allocator.
//!
//! The heap may map at most `min(512 MiB, half of usable RAM)`: the window is
//! large enough for anything this kernel does, and the other half of RAM stays
//! for page tables, stacks, DMA buffers and, later, processes, so a runaway
//! allocation cannot starve them. (64 MiB machine: about 29 MiB of heap.)
//!
//! # Out of memory
//!
//! The allocator reports failure as a value (`AllocError`), and so do the
//! frame allocator and the page tables. `GlobalAlloc` can only return null;
//! what happens next depends on the caller: fallible APIs (`Vec::try_reserve`,
//! `Box::try_new` once stable) turn null into an `Err` and the kernel goes on;
//! everything else calls Rust's allocation-error handler, which on stable Rust
//! cannot be replaced and panics with "memory allocation of N bytes failed".
//! Null looks the same in both cases, so [`KernelAllocator`] prints one report
//! (layout, heap and frame statistics) on *every* failure, before returning.
//! For an infallible caller it is the explanation printed just above the
//! panic; for a fallible one it is a warning worth seeing, because running out
//! of heap is rare and always worth knowing about.
//!
//! # Interrupts
//!
//! The heap sits behind an [`IrqMutex`]: interrupts are off while it is
//! locked, so an interrupt handler that allocates cannot deadlock on it. It
//! is locked for one allocator call at a time, never for longer (the
//! benchmark too, see [`bench`]): a call is short, a loop of calls is not.

use super::paging::{self, TlbFlush};
use super::{frames, phys_to_virt};
use crate::println;
use crate::sync::IrqMutex;
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{self, NonNull};
use frame_alloc::{FrameAllocator, storage_words};
use heap::{Heap, PAGE_SIZE, PageSource, Stats};
use x86_64::VirtAddr;
use x86_64::structures::paging::{Page, PageTableFlags as Flags};

/// First address of the heap window.
pub const HEAP_START: u64 = 0xffff_9000_0000_0000;
/// Size of the heap window: the most the heap can ever grow to.
pub const HEAP_WINDOW: usize = 512 << 20;
const WINDOW_PAGES: usize = HEAP_WINDOW / PAGE_SIZE;

/// Pages of the heap window, mapped to fresh frames on demand.
pub struct KernelPages {
    /// Which pages of the window are handed out (`None` before `init`).
    window: Option<FrameAllocator<'static>>,
    /// Pages currently mapped, and the most that may be.
    mapped: usize,
    limit: usize,
}

fn page(index: usize) -> Page {
    Page::containing_address(VirtAddr::new(HEAP_START + (index * PAGE_SIZE) as u64))
}

impl KernelPages {
    const fn empty() -> Self {
        KernelPages {
            window: None,
            mapped: 0,
            limit: 0,
        }
    }

    /// Unmaps window pages `first..first + count` and frees their frames.
    fn unmap(first: usize, count: usize) {
        for i in first..first + count {
            // SAFETY: the heap no longer uses these pages (they were never
            // handed out, or the heap gave them back), and their frames came
            // from `frames` via `map_new`.
            let flush: Result<TlbFlush, _> = unsafe { paging::unmap_and_free(page(i)) };
            flush.expect("a heap page handed out is mapped").flush();
        }
    }
}

// SAFETY: each run handed out is a fresh range of the window (the window
// bitmap never hands out a page twice), mapped writable to frames nobody else
// owns, and stays so until `free_pages` takes it back.
unsafe impl PageSource for KernelPages {
    fn alloc_pages(&mut self, count: usize) -> Option<NonNull<u8>> {
        if self.mapped + count > self.limit {
            return None;
        }
        let first = self.window.as_mut()?.alloc_contiguous(count, 1)?;
        for i in 0..count {
            if let Err(_e) = paging::map_new(page(first + i), Flags::WRITABLE | Flags::NO_EXECUTE) {
                Self::unmap(first, i);
                let window = self.window.as_mut()?;
                window
                    .free_contiguous(first, count)
                    .expect("run was allocated");
                return None;
            }
        }
        self.mapped += count;
        NonNull::new(page(first).start_address().as_mut_ptr())
    }

    unsafe fn free_pages(&mut self, ptr: NonNull<u8>, count: usize) {
        let first = (ptr.as_ptr() as u64 - HEAP_START) as usize / PAGE_SIZE;
        Self::unmap(first, count);
        if let Some(window) = self.window.as_mut() {
            window
                .free_contiguous(first, count)
                .expect("pages came from alloc_pages");
        }
        self.mapped -= count;
    }
}

static HEAP: IrqMutex<Heap<KernelPages>> = IrqMutex::new(Heap::new(KernelPages::empty()));

/// The global allocator: [`HEAP`] with interrupts off and a report on failure.
pub struct KernelAllocator;

#[global_allocator]
static ALLOCATOR: KernelAllocator = KernelAllocator;

// SAFETY: `Heap` returns distinct blocks of at least the requested size and
// alignment, and the lock gives each call exclusive access to it.
unsafe impl GlobalAlloc for KernelAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let result = HEAP.lock().allocate(layout);
        result.map_or_else(|_| failed(layout), NonNull::as_ptr)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(ptr) = NonNull::new(ptr) {
            // SAFETY: the caller passes a block of this allocator and its layout.
            unsafe { HEAP.lock().deallocate(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some(block) = NonNull::new(ptr) else {
            return ptr::null_mut();
        };
        // SAFETY: passed on from the caller (GlobalAlloc::realloc's contract).
        let result = unsafe { HEAP.lock().reallocate(block, layout, new_size) };
        result.map_or_else(
            |_| failed(Layout::from_size_align(new_size, layout.align()).unwrap_or(layout)),
            NonNull::as_ptr,
        )
    }
}

/// Reports a failed allocation (the heap lock is free again) and returns null.
fn failed(layout: Layout) -> *mut u8 {
    println!(
        "\x1b[33mheap: cannot allocate {} bytes (align {})\x1b[0m",
        layout.size(),
        layout.align()
    );
    super::report();
    ptr::null_mut()
}

/// Gives the heap its window; from here on `alloc` works. Runs once.
pub fn init() {
    let mut heap = HEAP.lock();
    let source = heap.source_mut();
    if source.window.is_some() {
        return;
    }
    let words = storage_words(WINDOW_PAGES);
    let storage_frames = (words * 8).div_ceil(PAGE_SIZE);
    let first = frames::alloc_contiguous(storage_frames, 1).expect("frames for the heap bitmap");
    let storage = phys_to_virt(first.start_address()).as_mut_ptr::<u64>();
    // SAFETY: the frames were just allocated for this bitmap alone (it lives as
    // long as the kernel), are mapped writable in the physical-memory window,
    // and are page-aligned.
    let storage = unsafe { core::slice::from_raw_parts_mut(storage, words) };
    let mut window = FrameAllocator::new(storage, WINDOW_PAGES).expect("sized by storage_words");
    window.add_free(0..WINDOW_PAGES);
    source.window = Some(window);
    let usable = frames::at_boot().map_or(0, |f| f.usable);
    source.limit = WINDOW_PAGES.min(usable / 2);
}

/// Heap figures for reports.
#[derive(Clone, Copy, Debug)]
pub struct HeapStats {
    /// The allocator's counters (bytes in use, allocation counts, failures).
    pub allocator: Stats,
    /// Pages of the window mapped now, and the most that may be.
    pub mapped_pages: usize,
    pub limit_pages: usize,
}

/// Current heap figures (`None` if the heap is locked, as in a panic).
pub fn stats() -> Option<HeapStats> {
    let heap = HEAP.try_lock()?;
    Some(HeapStats {
        allocator: heap.stats(),
        mapped_pages: heap.source().mapped,
        limit_pages: heap.source().limit,
    })
}

/// Runs the `heap` crate's mixed workload (random sizes 8 B to 4 KiB, random
/// frees) on the kernel heap; returns the result and the TSC ticks it took.
///
/// Each allocator call takes the heap's lock on its own, as `Box` and `Vec`
/// do, so interrupts are off for one call at a time and the timer, other
/// threads and input go on during a long run.
pub fn bench(ops: usize, seed: u64) -> (heap::workload::WorkloadResult, u64) {
    let start = super::rdtsc();
    let result = heap::workload::workload_mixed(&mut LockedPerCall, ops, seed);
    (result, super::rdtsc() - start)
}

/// The kernel heap as a workload's allocator, locked for each call.
struct LockedPerCall;

impl heap::workload::RawAllocator for LockedPerCall {
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        HEAP.lock().allocate(layout).ok()
    }

    unsafe fn dealloc(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: passed on from the caller.
        unsafe { HEAP.lock().deallocate(ptr, layout) }
    }

    unsafe fn realloc(
        &mut self,
        ptr: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> Option<NonNull<u8>> {
        // SAFETY: passed on from the caller.
        unsafe { HEAP.lock().reallocate(ptr, old, new_size) }.ok()
    }
}
