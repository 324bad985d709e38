//! The heap: routes each request to a size-class slab or to whole pages.
//!
//! Where a block lives is a pure function of its layout ([`Kind::of`]): the
//! same `(size, align)` always means the same class, or the same number of
//! pages. `deallocate` and `reallocate` are given the layout back, so they
//! recompute where the block came from instead of storing it anywhere. That
//! is the central invariant; everything else is bookkeeping:
//!
//! - a freed small object is first parked on its class's stack of recent
//!   frees, which the next allocation of the class takes from first (see
//!   `recent`); only when that stack is full (or on [`Heap::trim`], or when
//!   the source is out of pages) do parked objects go back to their slabs;
//! - each class allocates from its current slab and keeps its partial slabs
//!   in a list (see `class_slabs`); a full slab is in no list and rejoins the
//!   front of the list when one of its objects is freed;
//! - a slab whose last object is freed leaves its class at once: its page goes
//!   to the spare pages (see `spare`) or, when those are full, back to the
//!   source. So memory freed in one class can serve any other class;
//! - one-page blocks also come from (and go to) the spare pages first;
//! - a page-backed block that grows first asks the source to extend its run
//!   in place ([`PageSource::grow_pages`]); it moves only if that fails;
//! - a freed block of several pages waits among the last few such (see
//!   `spare_runs`) for a request of its size, instead of going back at once;
//! - `stats.held` always equals the pages obtained from the source and not yet
//!   returned (spare pages and runs included), times [`PAGE_SIZE`].

use crate::class::{self, CLASS_COUNT};
use crate::class_slabs::ClassSlabs;
use crate::recent::{RECENT, Recent};
use crate::spare::SparePages;
use crate::spare_runs::SpareRuns;
use crate::{AllocError, PAGE_SIZE, PageSource, Stats};
use core::alloc::Layout;
use core::ptr::NonNull;

/// Where a block of a given layout lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// An object in a slab of this size class.
    Class(usize),
    /// This many whole pages straight from the source.
    Pages(usize),
}

impl Kind {
    /// `None` for alignments above a page: the source only promises pages.
    #[inline]
    fn of(layout: Layout) -> Option<Kind> {
        let size = layout.size().max(1);
        if let Some(class) = class::class_for(size, layout.align()) {
            Some(Kind::Class(class))
        } else if layout.align() <= PAGE_SIZE {
            Some(Kind::Pages(size.div_ceil(PAGE_SIZE)))
        } else {
            None
        }
    }
}

/// A heap that takes whole pages from a [`PageSource`] and serves allocations
/// of any size from them. Not thread-safe by itself: see [`crate::LockedHeap`].
pub struct Heap<S: PageSource> {
    source: S,
    /// For each class, its slabs.
    classes: [ClassSlabs; CLASS_COUNT],
    /// For each class, its recently freed objects (see `recent`).
    recent: [Recent; CLASS_COUNT],
    spare: SparePages,
    spare_runs: SpareRuns,
    stats: Stats,
}

// SAFETY: the raw pointers inside a `Heap` point only into pages it got from
// its source and owns exclusively, so moving the heap to another thread moves
// that ownership along with it.
unsafe impl<S: PageSource + Send> Send for Heap<S> {}

impl<S: PageSource> Heap<S> {
    /// An empty heap; it asks `source` for pages when it first needs them.
    pub const fn new(source: S) -> Self {
        const EMPTY: ClassSlabs = ClassSlabs::new();
        const NONE_RECENT: Recent = Recent::new();
        Heap {
            source,
            classes: [EMPTY; CLASS_COUNT],
            recent: [NONE_RECENT; CLASS_COUNT],
            spare: SparePages::new(),
            spare_runs: SpareRuns::new(),
            stats: Stats::ZERO,
        }
    }

    /// A block for `layout`, or [`AllocError`] when the source has no more
    /// pages (or the alignment is above [`PAGE_SIZE`]). A failure is counted in
    /// [`Stats::failed`] and remembered in [`Stats::last_failure`].
    #[inline]
    pub fn allocate(&mut self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        let block = self
            .allocate_block(layout)
            .or_else(|| self.trim_and_retry(layout))
            .ok_or_else(|| self.failed(layout))?;
        self.stats.allocs += 1;
        self.stats.grow_in_use(layout.size());
        Ok(block)
    }

    /// Frees a block.
    ///
    /// # Safety
    /// `ptr` was returned by this heap for exactly this `layout` (by
    /// `allocate`, or by `reallocate` with this size and alignment), and is
    /// not used afterwards.
    #[inline]
    pub unsafe fn deallocate(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: by the caller's promise.
        unsafe { self.free_block(ptr, layout) };
        self.stats.frees += 1;
        self.stats.in_use -= layout.size();
    }

    /// Resizes a block to `new_size` bytes, keeping its alignment and its
    /// first `min(old, new)` bytes. Stays in place when the new size maps to
    /// the same class or page count; otherwise allocates, copies and frees. On
    /// failure the old block is untouched and still valid.
    ///
    /// # Safety
    /// As for [`Heap::deallocate`] with `old`; on success the block must then
    /// be described by `new_size` and `old.align()`.
    pub unsafe fn reallocate(
        &mut self,
        ptr: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> Result<NonNull<u8>, AllocError> {
        let Ok(new) = Layout::from_size_align(new_size, old.align()) else {
            return Err(self.failed(old));
        };
        let (old_kind, new_kind) = (Kind::of(old), Kind::of(new));
        let block = if old_kind == new_kind {
            ptr
        } else if let (Some(Kind::Pages(count)), Some(Kind::Pages(new_count))) = (old_kind, new_kind)
            && new_count > count
            // SAFETY: the block is a live run of `count` pages, by the
            // caller's promise, and `new_count > count`.
            && unsafe { self.grow_pages(ptr, count, new_count) }
        {
            ptr
        } else {
            let block = self
                .allocate_block(new)
                .or_else(|| self.trim_and_retry(new))
                .ok_or_else(|| self.failed(new))?;
            // SAFETY: both blocks hold at least the copied length and are
            // distinct live blocks, so they do not overlap; the old one is
            // ours to free by the caller's promise.
            unsafe {
                block.copy_from_nonoverlapping(ptr, old.size().min(new_size));
                self.free_block(ptr, old);
            }
            block
        };
        self.stats.reallocs += 1;
        self.stats.in_use -= old.size();
        self.stats.grow_in_use(new_size);
        Ok(block)
    }

    /// The current statistics.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The page source.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// The page source, mutably (e.g. to change its limit).
    pub fn source_mut(&mut self) -> &mut S {
        &mut self.source
    }

    /// Puts every recently freed object (see the `recent` module) back into
    /// its slab, so that slabs left empty go to the spare pages or back to
    /// the source. The heap does this by itself when the source runs out;
    /// call it to hand memory back after freeing a lot.
    pub fn trim(&mut self) {
        for class in 0..CLASS_COUNT {
            self.unpark(class, RECENT);
        }
        while let Some((pages, count)) = self.spare_runs.pop() {
            // SAFETY: kept runs came from the source and are unused.
            unsafe { self.pages_to_source(pages, count) };
        }
    }

    /// `allocate_block` after a failure: if freed objects are parked, unparks
    /// them (their slabs may empty and free pages) and tries again.
    #[cold]
    fn trim_and_retry(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        if self.recent.iter().all(|r| r.len() == 0) && self.spare_runs.is_empty() {
            return None;
        }
        self.trim();
        self.allocate_block(layout)
    }

    /// Records a failed request and makes the error.
    fn failed(&mut self, layout: Layout) -> AllocError {
        self.stats.failed += 1;
        self.stats.last_failure = Some(layout);
        AllocError
    }

    /// The memory side of `allocate`, without the statistics of requests.
    #[inline]
    fn allocate_block(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        match Kind::of(layout)? {
            Kind::Class(class) => self.take_object(class),
            Kind::Pages(1) => self.take_page(),
            Kind::Pages(count) => self
                .spare_runs
                .take(count)
                .or_else(|| self.pages_from_source(count)),
        }
    }

    /// The memory side of `deallocate`.
    ///
    /// # Safety
    /// As for [`Heap::deallocate`].
    #[inline]
    unsafe fn free_block(&mut self, ptr: NonNull<u8>, layout: Layout) {
        match Kind::of(layout) {
            // SAFETY: the block came from this class (same layout, same kind).
            Some(Kind::Class(class)) => unsafe { self.give_object(class, ptr) },
            // SAFETY: the block is this page, from `take_page`.
            Some(Kind::Pages(1)) => unsafe { self.release_page(ptr) },
            Some(Kind::Pages(count)) => {
                if let Some((pages, count)) = self.spare_runs.keep(ptr, count) {
                    // SAFETY: the block (or an older kept run) is these
                    // pages, from the source, and unused now.
                    unsafe { self.pages_to_source(pages, count) };
                }
            }
            None => unreachable!("no block is ever allocated for {layout:?}"),
        }
    }

    /// One object of `class`: the most recently freed one, or one from the
    /// class's current slab, or else from a new current slab.
    #[inline]
    fn take_object(&mut self, class: usize) -> Option<NonNull<u8>> {
        if let Some(object) = self.recent[class].pop() {
            return Some(object);
        }
        match self.classes[class].take(class) {
            Some(object) => Some(object),
            None => self.take_object_slow(class),
        }
    }

    /// `take_object` when the current slab is full or missing: retires it and
    /// makes the first partial slab current, or a new page.
    #[cold]
    #[inline(never)]
    fn take_object_slow(&mut self, class: usize) -> Option<NonNull<u8>> {
        self.classes[class].retire();
        // SAFETY: there is no current slab after `retire`.
        if !unsafe { self.classes[class].adopt_partial() } {
            let page = self.take_page()?;
            // SAFETY: still no current slab; the page is ours and unused.
            unsafe { self.classes[class].adopt_new(page) };
        }
        self.classes[class].take(class)
    }

    /// Parks a freed object with its class's recent ones; when those are
    /// full, first puts the older half back into their slabs.
    ///
    /// # Safety
    /// `object` was handed out by `take_object(class)` and is no longer used.
    #[inline]
    unsafe fn give_object(&mut self, class: usize, object: NonNull<u8>) {
        if let Err(object) = self.recent[class].push(object) {
            self.unpark(class, RECENT / 2);
            // Cannot fail: half the stack was just emptied.
            let _ = self.recent[class].push(object);
        }
    }

    /// Puts the `count` oldest parked objects of `class` back into their slabs.
    #[cold]
    #[inline(never)]
    fn unpark(&mut self, class: usize, count: usize) {
        for object in self.recent[class].take_oldest(count) {
            // SAFETY: parked objects were freed by the user, and are handed
            // out by `take_object(class)` (a parked object never leaves the
            // stack except here or by `take_object`).
            unsafe { self.give_to_slab(class, object) };
        }
    }

    /// Puts an object back into its slab, and releases the slab's page if
    /// the slab is now empty.
    ///
    /// # Safety
    /// `object` was handed out by `take_object(class)` and is no longer used.
    #[inline]
    unsafe fn give_to_slab(&mut self, class: usize, object: NonNull<u8>) {
        // SAFETY: by the caller's promise; an emptied slab's page is unused.
        unsafe {
            if let Some(page) = self.classes[class].give(class, object) {
                self.release_page(page);
            }
        }
    }

    /// One page: a spare one, or a new one from the source.
    #[inline]
    fn take_page(&mut self) -> Option<NonNull<u8>> {
        self.spare.pop().or_else(|| self.pages_from_source(1))
    }

    /// Keeps `page` as a spare, or returns it to the source if there are
    /// enough spares.
    ///
    /// # Safety
    /// `page` came from `take_page` and is no longer used.
    #[inline]
    unsafe fn release_page(&mut self, page: NonNull<u8>) {
        // SAFETY: by the caller's promise.
        unsafe {
            if let Err(page) = self.spare.push(page) {
                self.pages_to_source(page, 1);
            }
        }
    }

    fn pages_from_source(&mut self, count: usize) -> Option<NonNull<u8>> {
        let pages = self.source.alloc_pages(count)?;
        self.stats.held += count * PAGE_SIZE;
        self.stats.peak_held = self.stats.peak_held.max(self.stats.held);
        Some(pages)
    }

    /// Extends a page-backed block in place, if the source can.
    ///
    /// # Safety
    /// `pages` is a live block of `count` pages, and `new_count > count`.
    unsafe fn grow_pages(&mut self, pages: NonNull<u8>, count: usize, new_count: usize) -> bool {
        // SAFETY: every page-backed block is one run from the source (a
        // one-page block may have been a spare page first: still one run).
        let grown = unsafe { self.source.grow_pages(pages, count, new_count) };
        if grown {
            self.stats.held += (new_count - count) * PAGE_SIZE;
            self.stats.peak_held = self.stats.peak_held.max(self.stats.held);
        }
        grown
    }

    /// # Safety
    /// `pages` and `count` came from `pages_from_source` and are unused now.
    unsafe fn pages_to_source(&mut self, pages: NonNull<u8>, count: usize) {
        // SAFETY: by the caller's promise.
        unsafe { self.source.free_pages(pages, count) };
        self.stats.held -= count * PAGE_SIZE;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ArenaSource;
    use crate::class::{CLASS_SIZES, capacity};
    use crate::recent::RECENT;
    use crate::slab::Slab;
    use crate::spare::SPARE_PAGES;

    fn heap(memory: &mut [u8]) -> Heap<ArenaSource> {
        // SAFETY: each test keeps `memory` alive and untouched while the heap lives.
        Heap::new(unsafe { ArenaSource::new(memory.as_mut_ptr(), memory.len()) })
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn kinds_follow_the_layout() {
        assert_eq!(Kind::of(layout(0, 1)), Some(Kind::Class(0)));
        assert_eq!(
            Kind::of(layout(2032, 8)),
            Some(Kind::Class(CLASS_SIZES.len() - 1))
        );
        assert_eq!(Kind::of(layout(2033, 8)), Some(Kind::Pages(1)));
        assert_eq!(Kind::of(layout(4096, 8)), Some(Kind::Pages(1)));
        assert_eq!(Kind::of(layout(8193, 8)), Some(Kind::Pages(3)));
        assert_eq!(Kind::of(layout(8, 4096)), Some(Kind::Pages(1)));
        assert_eq!(Kind::of(layout(8, 8192)), None);
    }

    #[test]
    fn small_blocks_share_a_page_and_are_aligned() {
        let mut memory = vec![0u8; 1 << 20];
        let mut h = heap(&mut memory);
        let a = h.allocate(layout(24, 8)).unwrap();
        let b = h.allocate(layout(24, 8)).unwrap();
        let c = h.allocate(layout(100, 64)).unwrap();
        assert_eq!(Slab::containing(a), Slab::containing(b));
        assert_eq!(c.addr().get() % 64, 0);
        assert_eq!(h.stats().held, 2 * PAGE_SIZE, "one slab per class used");
        assert_eq!(h.stats().in_use, 148);
        assert_eq!(h.stats().allocs, 3);
    }

    #[test]
    fn a_freed_block_is_reused() {
        let mut memory = vec![0u8; 1 << 20];
        let mut h = heap(&mut memory);
        for size in [8, 500, 3000, 10_000] {
            let l = layout(size, 8);
            let a = h.allocate(l).unwrap();
            // SAFETY: allocated just above with `l`.
            unsafe { h.deallocate(a, l) };
            assert_eq!(h.allocate(l).unwrap(), a, "size {size}");
        }
    }

    #[test]
    fn large_blocks_are_whole_pages_kept_for_reuse_until_trim() {
        let mut memory = vec![0u8; 1 << 20];
        let mut h = heap(&mut memory);
        let l = layout(3 * PAGE_SIZE + 1, 16);
        let p = h.allocate(l).unwrap();
        assert_eq!(p.addr().get() % PAGE_SIZE, 0);
        assert_eq!(h.source().pages_in_use(), 4);
        // SAFETY: allocated just above with `l`.
        unsafe { h.deallocate(p, l) };
        assert_eq!(h.source().pages_in_use(), 4, "kept among the spare runs");
        assert_eq!(h.stats().held, 4 * PAGE_SIZE);
        // The same size takes it back without asking the source; another
        // size does not.
        assert_eq!(h.allocate(l).unwrap(), p);
        let two = layout(2 * PAGE_SIZE, 16);
        let q = h.allocate(two).unwrap();
        assert_eq!(h.source().pages_in_use(), 6);
        // SAFETY: allocated above with these layouts.
        unsafe {
            h.deallocate(p, l);
            h.deallocate(q, two);
        }
        h.trim();
        assert_eq!(h.source().pages_in_use(), 0);
        assert_eq!(h.stats().held, 0);
        assert_eq!(h.stats().peak_held, 6 * PAGE_SIZE);
    }

    #[test]
    fn runs_above_the_cap_go_back_at_once() {
        let mut memory = vec![0u8; 1 << 20];
        let mut h = heap(&mut memory);
        let l = layout((crate::MAX_SPARE_RUN + 1) * PAGE_SIZE, 16);
        let p = h.allocate(l).unwrap();
        // SAFETY: allocated just above with `l`.
        unsafe { h.deallocate(p, l) };
        assert_eq!(h.source().pages_in_use(), 0);
        assert_eq!(h.stats().held, 0);
    }

    #[test]
    fn kept_runs_are_given_back_when_the_source_runs_out() {
        // Room for 16 pages: a kept run of 8 must not block a request of 12.
        let mut memory = vec![0u8; 16 * PAGE_SIZE];
        let mut h = heap(&mut memory);
        let eight = layout(8 * PAGE_SIZE, 16);
        let p = h.allocate(eight).unwrap();
        // SAFETY: allocated just above.
        unsafe { h.deallocate(p, eight) };
        assert!(h.allocate(layout(12 * PAGE_SIZE, 16)).is_ok());
    }

    #[test]
    fn empty_slabs_become_spares_then_go_back() {
        let mut memory = vec![0u8; 1 << 20];
        let mut h = heap(&mut memory);
        let l = layout(64, 8);
        let n = (SPARE_PAGES + 10) * capacity(3);
        let blocks: Vec<_> = (0..n).map(|_| h.allocate(l).unwrap()).collect();
        assert_eq!(
            h.source().pages_in_use(),
            SPARE_PAGES + 10,
            "{n} objects, full slabs"
        );
        for b in blocks {
            // SAFETY: each was allocated above with `l`, freed once.
            unsafe { h.deallocate(b, l) };
        }
        h.trim();
        assert_eq!(
            h.source().pages_in_use(),
            SPARE_PAGES,
            "only the spares remain"
        );
        assert_eq!(h.stats().held, SPARE_PAGES * PAGE_SIZE);
        let before = h.stats().peak_held;
        let blocks: Vec<_> = (0..SPARE_PAGES)
            .map(|_| h.allocate(layout(4096, 8)).unwrap())
            .collect();
        assert_eq!(
            h.stats().peak_held,
            before,
            "one-page blocks reuse the spares"
        );
        assert_eq!(
            Slab::containing(blocks[0]),
            blocks[0].cast(),
            "page-aligned"
        );
    }

    #[test]
    fn memory_moves_between_classes() {
        let mut memory = vec![0u8; 1 << 20];
        let mut h = heap(&mut memory);
        h.source_mut().set_limit(20);
        let small = layout(16, 8);
        let mut blocks = Vec::new();
        while let Ok(p) = h.allocate(small) {
            blocks.push(p);
        }
        assert_eq!(blocks.len(), 20 * capacity(0));
        for b in blocks.drain(..) {
            // SAFETY: allocated above with `small`.
            unsafe { h.deallocate(b, small) };
        }
        let big = layout(2000, 8);
        while let Ok(p) = h.allocate(big) {
            blocks.push(p);
        }
        assert_eq!(blocks.len(), 20 * 2, "every page reused");
        for b in blocks.drain(..) {
            // SAFETY: allocated above with `big`.
            unsafe { h.deallocate(b, big) };
        }
        let page = layout(3000, 8);
        while let Ok(p) = h.allocate(page) {
            blocks.push(p);
        }
        assert_eq!(blocks.len(), 20, "one page each");
    }

    #[test]
    fn out_of_memory_is_an_error_and_the_heap_stays_usable() {
        let mut memory = vec![0u8; 1 << 20];
        let mut h = heap(&mut memory);
        h.source_mut().set_limit(2);
        let big = layout(2 * PAGE_SIZE, 8);
        let a = h.allocate(big).unwrap();
        assert_eq!(h.allocate(layout(8, 8)), Err(AllocError));
        assert_eq!(h.allocate(big), Err(AllocError));
        let stats = h.stats();
        assert_eq!((stats.failed, stats.last_failure), (2, Some(big)));
        assert_eq!((stats.allocs, stats.in_use), (1, 2 * PAGE_SIZE));
        // SAFETY: allocated above with `big`.
        unsafe { h.deallocate(a, big) };
        assert!(h.allocate(layout(8, 8)).is_ok());
        assert_eq!(h.allocate(layout(8, 2 * PAGE_SIZE)), Err(AllocError));
    }

    #[test]
    fn realloc_stays_in_place_within_a_class_or_page_count() {
        let mut memory = vec![0u8; 1 << 20];
        let mut h = heap(&mut memory);
        let p = h.allocate(layout(20, 4)).unwrap();
        // SAFETY: each call passes the block's current layout.
        unsafe {
            p.write_bytes(7, 20);
            assert_eq!(
                h.reallocate(p, layout(20, 4), 32),
                Ok(p),
                "still the 32 class"
            );
            let q = h.reallocate(p, layout(32, 4), 33).unwrap();
            assert_ne!(q, p);
            assert_eq!(core::slice::from_raw_parts(q.as_ptr(), 20), &[7; 20]);
            let r = h.reallocate(q, layout(33, 4), 5000).unwrap();
            assert_eq!(
                h.reallocate(r, layout(5000, 4), 8000),
                Ok(r),
                "still 2 pages"
            );
            assert_eq!(*r.as_ptr().add(19), 7);
            let s = h.reallocate(r, layout(8000, 4), 10).unwrap();
            assert_eq!(core::slice::from_raw_parts(s.as_ptr(), 10), &[7; 10]);
            h.deallocate(s, layout(10, 4));
        }
        let stats = h.stats();
        assert_eq!(
            (stats.allocs, stats.reallocs, stats.frees, stats.in_use),
            (1, 5, 1, 0)
        );
        assert_eq!(stats.peak_in_use, 8000);
    }

    #[test]
    fn page_blocks_grow_in_place_when_the_next_pages_are_free() {
        let mut memory = vec![0u8; 1 << 20];
        let mut h = heap(&mut memory);
        let p = h.allocate(layout(5000, 8)).unwrap();
        let q = h.allocate(layout(3000, 8)).unwrap();
        // SAFETY: each call passes the block's current layout.
        unsafe {
            p.write_bytes(3, 5000);
            q.write_bytes(4, 3000);
            assert_eq!(
                h.reallocate(q, layout(3000, 8), 9000),
                Ok(q),
                "grown to 3 pages"
            );
            assert_eq!(h.stats().held, 5 * PAGE_SIZE);
            let moved = h.reallocate(p, layout(5000, 8), 9000).unwrap();
            assert_ne!(moved, p, "`q` is in the way");
            assert_eq!(
                core::slice::from_raw_parts(moved.as_ptr(), 5000),
                &[3; 5000]
            );
            assert_eq!(core::slice::from_raw_parts(q.as_ptr(), 3000), &[4; 3000]);
            h.deallocate(q, layout(9000, 8));
            h.deallocate(moved, layout(9000, 8));
        }
        h.trim();
        assert_eq!(h.stats().held, 0, "grown runs go back whole");
        assert_eq!(h.source().pages_in_use(), 0);
        assert_eq!(h.stats().peak_held, 8 * PAGE_SIZE);
    }

    #[test]
    fn the_current_slab_is_used_first_and_released_when_empty() {
        let mut memory = vec![0u8; 1 << 20];
        let mut h = heap(&mut memory);
        let l = layout(1000, 8); // class 1008: 4 per page
        let blocks: Vec<_> = (0..12).map(|_| h.allocate(l).unwrap()).collect();
        assert_eq!(h.source().pages_in_use(), 3);
        // SAFETY: each block was allocated above with `l`, freed once.
        unsafe {
            h.deallocate(blocks[9], l); // the current slab
            h.deallocate(blocks[1], l); // first slab
            h.trim(); // first slab: full -> partial
            assert_eq!(h.allocate(l), Ok(blocks[9]), "current slab first");
            assert_eq!(h.allocate(l), Ok(blocks[1]), "then the partial one");
            for &b in &blocks[8..12] {
                h.deallocate(b, l);
            }
            assert_eq!(h.stats().held, 3 * PAGE_SIZE);
            h.trim();
        }
        assert_eq!(h.stats().held, 3 * PAGE_SIZE, "its page became a spare");
        assert_eq!(h.source().pages_in_use(), 3);
        assert_eq!(
            h.allocate(layout(4000, 8)).map(Slab::page_of),
            Ok(Slab::page_of(blocks[8]))
        );
    }

    #[test]
    fn freed_objects_are_parked_reused_newest_first_and_trimmed() {
        let mut memory = vec![0u8; 1 << 20];
        let mut h = heap(&mut memory);
        let l = layout(1000, 8); // class 1008: 4 per page
        let n = 2 * RECENT;
        let blocks: Vec<_> = (0..n).map(|_| h.allocate(l).unwrap()).collect();
        let pages = n / 4;
        assert_eq!(h.source().pages_in_use(), pages);
        // SAFETY: each block was allocated above with `l`, freed once.
        unsafe {
            for &b in &blocks[..RECENT] {
                h.deallocate(b, l);
            }
        }
        assert_eq!(h.source().pages_in_use(), pages, "parked, not released");
        assert_eq!(h.allocate(l), Ok(blocks[RECENT - 1]), "newest first");
        // SAFETY: as above (blocks[RECENT - 1] was just allocated again).
        unsafe {
            h.deallocate(blocks[RECENT - 1], l);
            // The stack is full: this free puts the older half (the first
            // two slabs' objects) back, and those slabs empty.
            h.deallocate(blocks[RECENT], l);
        }
        assert_eq!(h.stats().held, pages * PAGE_SIZE, "spare pages");
        assert_eq!(
            h.allocate(layout(4000, 8)).map(Slab::page_of),
            Ok(Slab::page_of(blocks[RECENT / 2 - 1])),
            "the last emptied slab's page is the top spare"
        );
        // SAFETY: as above.
        unsafe {
            for &b in &blocks[RECENT + 1..] {
                h.deallocate(b, l);
            }
        }
        h.trim();
        assert_eq!(h.stats().held, pages * PAGE_SIZE, "all pages spare");
        assert_eq!(h.stats().in_use, 4000);
    }

    #[test]
    fn failed_realloc_keeps_the_old_block() {
        let mut memory = vec![0u8; 1 << 20];
        let mut h = heap(&mut memory);
        h.source_mut().set_limit(1);
        let l = layout(100, 8);
        let p = h.allocate(l).unwrap();
        // SAFETY: `p` is live with layout `l`.
        unsafe {
            p.write_bytes(9, 100);
            assert_eq!(h.reallocate(p, l, 5000), Err(AllocError));
            assert_eq!(*p.as_ptr().add(99), 9);
            h.deallocate(p, l);
        }
        assert_eq!(h.stats().failed, 1);
        assert_eq!(h.stats().in_use, 0);
    }
}
