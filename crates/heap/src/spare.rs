//! A small stack of spare pages, kept instead of returned to the source.
//!
//! When a slab becomes empty its page could go straight back to the page
//! source, but a class that hovers around a page boundary would then ask the
//! source for a page, give it back, ask again... and the source may be slow
//! (in the kernel it maps and unmaps frames). So up to [`SPARE_PAGES`] empty
//! pages wait here, linked through their own first 8 bytes, for the next new
//! slab of *any* class (or one-page block). The cap bounds what the heap
//! hoards: 32 pages, 128 KiB.

use core::ptr::{self, NonNull};

/// How many empty pages the heap keeps at most instead of returning them.
pub const SPARE_PAGES: usize = 32;

/// The stack of spare pages.
pub(crate) struct SparePages {
    top: *mut SparePage,
    count: usize,
}

/// A spare page's first bytes: the link to the next one.
struct SparePage {
    next: *mut SparePage,
}

impl SparePages {
    pub(crate) const fn new() -> Self {
        SparePages {
            top: ptr::null_mut(),
            count: 0,
        }
    }

    /// Keeps `page` if there is room; otherwise hands it back.
    ///
    /// # Safety
    /// `page` is a whole, page-aligned page owned by the heap and unused.
    #[inline]
    pub(crate) unsafe fn push(&mut self, page: NonNull<u8>) -> Result<(), NonNull<u8>> {
        if self.count == SPARE_PAGES {
            return Err(page);
        }
        let link = page.cast::<SparePage>();
        // SAFETY: the page is ours and unused; a page start is aligned.
        unsafe { link.write(SparePage { next: self.top }) };
        self.top = link.as_ptr();
        self.count += 1;
        Ok(())
    }

    /// A spare page, if any.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<NonNull<u8>> {
        let page = NonNull::new(self.top)?;
        // SAFETY: pages on the stack are ours and hold a link.
        self.top = unsafe { page.as_ref().next };
        self.count -= 1;
        Some(page.cast())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PAGE_SIZE;

    #[repr(C, align(4096))]
    struct Page([u8; PAGE_SIZE]);

    #[test]
    fn last_in_first_out_up_to_the_cap() {
        let mut pages: Vec<Page> = (0..SPARE_PAGES + 1).map(|_| Page([0; PAGE_SIZE])).collect();
        let ptrs: Vec<NonNull<u8>> = pages
            .iter_mut()
            .map(|p| NonNull::from(&mut p.0).cast())
            .collect();
        let mut spare = SparePages::new();
        assert_eq!(spare.pop(), None);
        for &p in &ptrs[..SPARE_PAGES] {
            // SAFETY: each page is ours, aligned, pushed once.
            assert_eq!(unsafe { spare.push(p) }, Ok(()));
        }
        assert_eq!(
            // SAFETY: as above: one more page of ours, pushed once.
            unsafe { spare.push(ptrs[SPARE_PAGES]) },
            Err(ptrs[SPARE_PAGES]),
            "full"
        );
        for &p in ptrs[..SPARE_PAGES].iter().rev() {
            assert_eq!(spare.pop(), Some(p));
        }
        assert_eq!(spare.pop(), None);
    }
}
