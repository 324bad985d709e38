//! A page source over one fixed block of memory, with a limit.
//!
//! The arena is split into pages; one bit per page says whether it is handed
//! out. The bitmap lives in the arena's own first pages (so the source needs
//! no memory of its own and can be built in a `const` context), and is set up
//! on first use. A run of pages is found first-fit, starting at `hint`: the
//! invariant is that every bitmap word before `hint` is full, so the search
//! never rescans them.
//!
//! The limit caps how many pages may be handed out at once; reaching it is how
//! tests provoke out-of-memory.

use crate::{PAGE_SIZE, PageSource};
use core::ptr::NonNull;

const BITS: usize = u64::BITS as usize;

/// A [`PageSource`] handing out the pages of one memory block.
pub struct ArenaSource {
    start: *mut u8,
    len: usize,
    /// The bitmap (first pages of the arena); null until first use.
    bitmap: *mut u64,
    /// The first page after the bitmap.
    data: *mut u8,
    /// Pages usable for allocation, after the bitmap.
    pages: usize,
    limit: usize,
    used: usize,
    peak: usize,
    hint: usize,
}

// SAFETY: the arena is owned exclusively by this source (see `new`), so it may
// move to another thread together with it.
unsafe impl Send for ArenaSource {}

impl ArenaSource {
    /// A source for the memory `start..start + len`. The page-aligned part of
    /// it is used; no limit beyond its size.
    ///
    /// # Safety
    /// The memory is valid, writable, and used by nothing else for as long as
    /// the source (or a heap built on it) exists.
    pub const unsafe fn new(start: *mut u8, len: usize) -> Self {
        ArenaSource {
            start,
            len,
            bitmap: core::ptr::null_mut(),
            data: core::ptr::null_mut(),
            pages: 0,
            limit: usize::MAX,
            used: 0,
            peak: 0,
            hint: 0,
        }
    }

    /// At most `pages` pages may be handed out at once.
    pub fn set_limit(&mut self, pages: usize) {
        self.limit = pages;
    }

    /// Pages handed out now.
    pub fn pages_in_use(&self) -> usize {
        self.used
    }

    /// The most pages handed out at once so far.
    pub fn peak_pages(&self) -> usize {
        self.peak
    }

    /// The lowest address any page can have (after the bitmap); for measuring
    /// how far into the arena allocations reached.
    pub fn first_page(&mut self) -> *mut u8 {
        self.set_up();
        self.page_address(0)
    }

    /// Lays out the bitmap, once.
    fn set_up(&mut self) {
        if !self.bitmap.is_null() {
            return;
        }
        let offset = self.start.align_offset(PAGE_SIZE).min(self.len);
        let total = (self.len - offset) / PAGE_SIZE;
        let bitmap_pages = total.div_ceil(BITS).div_ceil(PAGE_SIZE / 8);
        assert!(total > bitmap_pages, "arena too small for even one page");
        self.pages = total - bitmap_pages;
        // SAFETY: `offset` is inside the arena (or at its end, then total = 0).
        self.bitmap = unsafe { self.start.add(offset) }.cast();
        // SAFETY: bitmap_pages < total, so still inside the arena.
        self.data = unsafe { self.bitmap.cast::<u8>().add(bitmap_pages * PAGE_SIZE) };
        // SAFETY: the bitmap pages are inside the arena, which is ours, and
        // page-aligned, so aligned for u64.
        unsafe { self.bitmap.write_bytes(0, self.words()) };
    }

    fn words(&self) -> usize {
        self.pages.div_ceil(BITS)
    }

    /// Where page `page` starts.
    fn page_address(&self, page: usize) -> *mut u8 {
        self.data.wrapping_add(page * PAGE_SIZE)
    }

    fn word(&self, index: usize) -> u64 {
        // SAFETY: callers keep index < words(); the bitmap is set up.
        unsafe { *self.bitmap.add(index) }
    }

    fn is_used(&self, page: usize) -> bool {
        self.word(page / BITS) & (1 << (page % BITS)) != 0
    }

    fn set(&mut self, first: usize, count: usize, used: bool) {
        for page in first..first + count {
            // SAFETY: page < pages, so the word is inside the bitmap.
            let word = unsafe { &mut *self.bitmap.add(page / BITS) };
            let bit = 1 << (page % BITS);
            if used { *word |= bit } else { *word &= !bit }
        }
    }

    /// The first run of `count` free pages at or after the hint.
    fn find_run(&self, count: usize) -> Option<usize> {
        let mut run_start = self.hint * BITS;
        let mut page = run_start;
        while page < self.pages {
            if page.is_multiple_of(BITS) && self.word(page / BITS) == u64::MAX {
                page += BITS;
                run_start = page;
            } else if self.is_used(page) {
                page += 1;
                run_start = page;
            } else {
                page += 1;
                if page - run_start == count {
                    return Some(run_start);
                }
            }
        }
        None
    }

    /// Moves the hint past full words.
    fn advance_hint(&mut self) {
        while self.hint < self.words() && self.word(self.hint) == u64::MAX {
            self.hint += 1;
        }
    }
}

// SAFETY: pages come from the arena, which is ours alone (promised to `new`),
// and the bitmap makes sure a page is handed out at most once at a time.
unsafe impl PageSource for ArenaSource {
    fn alloc_pages(&mut self, count: usize) -> Option<NonNull<u8>> {
        self.set_up();
        if count == 0 || count > self.limit.saturating_sub(self.used) {
            return None;
        }
        let first = self.find_run(count)?;
        self.set(first, count, true);
        self.used += count;
        self.peak = self.peak.max(self.used);
        self.advance_hint();
        NonNull::new(self.page_address(first))
    }

    unsafe fn free_pages(&mut self, ptr: NonNull<u8>, count: usize) {
        let first = (ptr.as_ptr() as usize - self.page_address(0) as usize) / PAGE_SIZE;
        debug_assert!(
            (first..first + count).all(|p| self.is_used(p)),
            "double free"
        );
        self.set(first, count, false);
        self.used -= count;
        self.hint = self.hint.min(first / BITS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arena(pages: usize) -> (Vec<u8>, ArenaSource) {
        let mut memory = vec![0u8; (pages + 2) * PAGE_SIZE];
        // SAFETY: the vector outlives the source in each test and is not
        // touched otherwise.
        let source = unsafe { ArenaSource::new(memory.as_mut_ptr(), memory.len()) };
        (memory, source)
    }

    #[test]
    fn pages_are_aligned_distinct_and_inside_the_arena() {
        let (memory, mut source) = arena(100);
        let range = memory.as_ptr_range();
        let mut seen = Vec::new();
        while let Some(p) = source.alloc_pages(1) {
            assert_eq!(p.addr().get() % PAGE_SIZE, 0);
            assert!(range.contains(&(p.as_ptr() as *const u8)));
            assert!(p.as_ptr() as usize + PAGE_SIZE <= range.end as usize);
            seen.push(p);
        }
        seen.sort();
        seen.dedup();
        assert!(seen.len() >= 99, "only {} pages", seen.len());
        assert_eq!(source.pages_in_use(), seen.len());
    }

    #[test]
    fn runs_are_contiguous_and_freed_pages_are_reused() {
        let (_memory, mut source) = arena(200);
        let a = source.alloc_pages(3).unwrap();
        let b = source.alloc_pages(1).unwrap();
        let c = source.alloc_pages(70).unwrap(); // crosses bitmap words
        assert_eq!(b.addr().get(), a.addr().get() + 3 * PAGE_SIZE);
        assert_eq!(c.addr().get(), b.addr().get() + PAGE_SIZE);
        // SAFETY: `a` is 3 pages from this source, unused.
        unsafe { source.free_pages(a, 3) };
        assert_eq!(source.alloc_pages(2), Some(a), "first fit reuses the hole");
        let after_c = c.map_addr(|x| x.saturating_add(70 * PAGE_SIZE));
        assert_eq!(
            source.alloc_pages(2),
            Some(after_c),
            "the 1-page hole is too small"
        );
        assert_eq!(source.pages_in_use(), 1 + 70 + 2 + 2);
        assert_eq!(source.peak_pages(), 75);
    }

    #[test]
    fn the_limit_is_enforced_and_lifted() {
        let (_memory, mut source) = arena(50);
        source.set_limit(4);
        let a = source.alloc_pages(3).unwrap();
        assert_eq!(source.alloc_pages(2), None);
        assert!(source.alloc_pages(1).is_some());
        assert_eq!(source.alloc_pages(1), None);
        // SAFETY: `a` is 3 pages from this source, unused.
        unsafe { source.free_pages(a, 3) };
        assert!(source.alloc_pages(3).is_some());
        source.set_limit(usize::MAX);
        assert!(source.alloc_pages(40).is_some());
        assert_eq!(source.alloc_pages(20), None, "the arena itself is full");
    }
}
