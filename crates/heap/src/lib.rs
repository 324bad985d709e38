//! The kernel heap: a fast allocator built on whole pages.
//!
//! # Where memory comes from
//!
//! The heap never owns a fixed region. It asks a [`PageSource`] for runs of
//! 4 KiB pages when it needs memory and gives pages back when it no longer does.
//! In the kernel the source maps fresh physical frames into the heap's virtual
//! range, up to a limit; on the host (tests, benchmark) it is an [`ArenaSource`]
//! handing out pages of one big buffer. The heap itself never looks at page
//! tables or frames.
//!
//! # Two kinds of blocks
//!
//! - **Small blocks** (up to [`MAX_SLAB_SIZE`] = 2032 bytes) are rounded up to
//!   one of 21 *size classes* and served from *slabs*: pages cut into equal
//!   objects of one class. Each slab keeps its freed objects on an intrusive
//!   free list, so allocating and freeing are a handful of pointer moves: O(1),
//!   no searching, no merging of neighbours.
//! - **Large blocks** (above 2032 bytes) get their own run of whole pages; a
//!   one-page block reuses a spare page when there is one; a bigger run comes
//!   from the source, and on free waits among the last few freed runs (module
//!   `spare_runs`) for a request of its size. Growing such a block with
//!   `reallocate` first asks the source to extend the run in place
//!   ([`PageSource::grow_pages`]), and only moves it when that fails.
//!
//! Nothing records which kind a block is: it is computed again from the layout
//! that `dealloc` receives, which Rust guarantees is the one used to allocate.
//! A slab's header sits at the start of its page, so the slab of an object is
//! found by rounding its address down to a page boundary.
//!
//! # Speed: touch as little memory as possible
//!
//! With thousands of blocks live, most of the time goes into cache misses,
//! not instructions. Each class therefore allocates from one *current slab*
//! whose header is copied into the heap structure (which stays in the cache)
//! instead of being read from its page; allocating from it touches only the
//! object handed out, and so does freeing an object of it.
//!
//! Freeing into any other slab would read that slab's header, far away in
//! its page. So a free does not go to the slab at all at first: each class
//! keeps a small stack of its recently freed objects (16 addresses in the
//! heap structure, module `recent`), and an allocation takes the newest of them before
//! looking at any slab. In a steady state frees and allocations of a class
//! roughly balance, so most pairs touch nothing but the object and the heap
//! structure; only when a stack overflows does its older half go back into
//! the slabs, headers and all. The size class comes from a table indexed by
//! `(size + 15) / 16`, slab capacities from another table, and no path
//! divides.
//!
//! # Alignment
//!
//! Objects are packed against the end of their page, so an object of class
//! size `s` is aligned to the largest power of two dividing `s` (64 for 192,
//! 256 for 256...). A request with a larger alignment than 16 picks the
//! smallest class whose size is a multiple of that alignment, or whole pages
//! (page-aligned) if no class is. Alignments above a page are refused with
//! [`AllocError`]; the kernel has no use for them.
//!
//! # Fragmentation: the trade-off
//!
//! Speed costs memory in three ways, all bounded:
//! - rounding to a class wastes up to 1/4 of a small block (e.g. 65 bytes take
//!   80), and up to half for sizes just above 2032 (a whole page each); large
//!   blocks waste up to 4095 bytes of their last page;
//! - each slab page loses its 32-byte header and the unused gap before its
//!   first object (under 6% of the page for every class);
//! - a page stays with its class while any object on it is live, so a few
//!   long-lived objects can pin mostly empty pages (the classic weakness of
//!   slab allocators). Once a slab is completely empty its page is free for
//!   any use: up to [`SPARE_PAGES`] (32) empty pages are kept as spares for
//!   new slabs of any class, the rest go back to the source;
//! - a freed object waiting on its class's stack of recent frees still counts
//!   as live in its slab, so up to 16 objects per class can keep slabs from
//!   emptying. The heap puts them all back by itself when the source runs out
//!   (so everything freed stays reusable), and [`Heap::trim`] does it on
//!   request: after everything is freed and `trim` is called the heap holds at
//!   most the 32 spare pages (128 KiB). Up to [`SPARE_RUNS`] freed runs of at
//!   most [`MAX_SPARE_RUN`] pages wait for reuse (1 MiB at most); `trim` gives
//!   them back too.
//!
//! The benchmark (`cargo run --release -p heap --example bench`) prints the
//! resulting peak footprint next to the bytes actually requested.
//!
//! # Concurrency
//!
//! [`Heap`] needs `&mut self`. [`LockedHeap`] wraps it in a spin lock and
//! implements [`core::alloc::GlobalAlloc`]. The lock does not disable
//! interrupts: if an interrupt handler may allocate, the kernel must disable
//! interrupts around heap use, or the handler could spin forever on a lock
//! held by the code it interrupted.

#![cfg_attr(not(test), no_std)]

mod arena;
mod class;
mod class_slabs;
mod heap;
mod locked;
mod recent;
mod slab;
mod spare;
mod spare_runs;
mod stats;
pub mod workload;

pub use arena::ArenaSource;
pub use class::MAX_SLAB_SIZE;
pub use heap::Heap;
pub use locked::LockedHeap;
pub use spare::SPARE_PAGES;
pub use spare_runs::{MAX_SPARE_RUN, SPARE_RUNS};
pub use stats::Stats;

use core::ptr::NonNull;

/// The size of a page, the unit the heap gets memory in.
pub const PAGE_SIZE: usize = 4096;

/// Where the heap gets memory from: whole 4 KiB pages, contiguous in virtual
/// memory.
///
/// # Safety
/// Implementors must return memory that is valid, writable, not used by
/// anything else, and stays so until it is returned with `free_pages`.
pub unsafe trait PageSource {
    /// `count` (at least 1) contiguous pages, page-aligned, or `None` when out
    /// of memory or over the limit.
    fn alloc_pages(&mut self, count: usize) -> Option<NonNull<u8>>;

    /// Takes back pages.
    ///
    /// # Safety
    /// `ptr` and `count` came together from one `alloc_pages` call on this
    /// source (with `count` as last set by a successful `grow_pages` on that
    /// run, if any), and the pages are no longer used.
    unsafe fn free_pages(&mut self, ptr: NonNull<u8>, count: usize);

    /// Extends the run of `count` pages at `ptr` to `new_count` pages in
    /// place, if the pages right after it are free (and within any limit).
    /// Returns whether it did; on `false` nothing changed. This is optional:
    /// the default never grows, and the heap then moves the block instead.
    ///
    /// # Safety
    /// `ptr` and `count` describe a run this source handed out (as for
    /// `free_pages`), and `new_count > count`.
    unsafe fn grow_pages(&mut self, ptr: NonNull<u8>, count: usize, new_count: usize) -> bool {
        let _ = (ptr, count, new_count);
        false
    }
}

/// An allocation failed: the page source had no more pages (or the requested
/// alignment was above a page). [`Heap::stats`] tells which request it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocError;

impl core::fmt::Display for AllocError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("heap allocation failed: out of memory")
    }
}
