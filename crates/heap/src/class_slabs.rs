//! The slabs of one size class, and the *current slab* trick that keeps the
//! allocation path inside the heap's own (always cached) memory.
//!
//! A class allocates from one slab at a time, its *current slab*. The current
//! slab's header is not read from its page: it is copied into the heap when
//! the slab becomes current, updated there, and copied back to the page when
//! the slab is retired (because it is full). Slab headers sit at the start of
//! pages spread over megabytes, so reading one is often a cache miss; the
//! copy sits next to the other classes' in the heap structure, which stays in
//! the cache. So an allocation from the current slab touches only the object
//! it hands out, and freeing an object of the current slab (recognised by its
//! page address alone) touches only that object. (Most frees do not even get
//! here: the heap parks them first, see the `recent` module.)
//!
//! Every slab of the class is in exactly one of three states:
//! - **current**: `current == Some(page)`, its header is `header` (the bytes
//!   at the page start are stale until it is retired);
//! - **partial**: neither full nor empty, in the `partial` list, header in
//!   its page;
//! - **full**: in no list, header in its page; the next free of one of its
//!   objects moves it to the front of `partial`.
//!
//! An empty slab does not stay: the free that empties it (current or not)
//! hands its page back to the heap.

use crate::class;
use crate::slab::{Slab, SlabList};
use core::ptr::NonNull;

/// The slabs of one class (which class is passed to each method).
pub(crate) struct ClassSlabs {
    /// The page of the current slab, if there is one.
    current: Option<NonNull<u8>>,
    /// The current slab's header (meaningless while `current` is `None`).
    header: Slab,
    /// The partial slabs: neither full nor empty, not current.
    partial: SlabList,
}

impl ClassSlabs {
    pub(crate) const fn new() -> Self {
        ClassSlabs {
            current: None,
            header: Slab::EMPTY,
            partial: SlabList::new(),
        }
    }

    /// The fast path: an object from the current slab, or `None` if there is
    /// no current slab or it is full (then call [`ClassSlabs::retire`] and
    /// give the class a new current slab).
    #[inline]
    pub(crate) fn take(&mut self, class: usize) -> Option<NonNull<u8>> {
        let page = self.current?;
        if self.header.live() == class::capacity(class) {
            return None;
        }
        // SAFETY: `header` describes the slab on `page`, of this class, and
        // it is not full.
        Some(unsafe { self.header.take(page, class::size_of_class(class)) })
    }

    /// Stores the current slab's header back into its page; the slab is no
    /// longer current. Called when it is full, so it joins no list.
    pub(crate) fn retire(&mut self) {
        if let Some(page) = self.current.take() {
            let header = core::mem::replace(&mut self.header, Slab::EMPTY);
            // SAFETY: the page is a slab of this class, owned by the heap;
            // its header bytes are unused while it is current.
            unsafe { page.cast::<Slab>().write(header) };
        }
    }

    /// Makes the first partial slab current; `false` if there is none.
    ///
    /// # Safety
    /// There is no current slab (see [`ClassSlabs::retire`]).
    pub(crate) unsafe fn adopt_partial(&mut self) -> bool {
        // SAFETY: the list holds valid slab headers owned by the heap.
        let Some(slab) = (unsafe { self.partial.pop_front() }) else {
            return false;
        };
        // SAFETY: as above; the header is copied out and its page bytes are
        // stale from now on.
        self.header = unsafe { slab.read() };
        self.current = Some(slab.cast());
        true
    }

    /// Makes a fresh page the (empty) current slab.
    ///
    /// # Safety
    /// There is no current slab, and `page` is a whole page owned by the heap
    /// and unused.
    pub(crate) unsafe fn adopt_new(&mut self, page: NonNull<u8>) {
        self.header = Slab::EMPTY;
        self.current = Some(page);
    }

    /// Takes back `object`. Returns the page of its slab if the slab is now
    /// empty: it has left the class and the caller must release the page.
    ///
    /// # Safety
    /// `object` came from [`ClassSlabs::take`] on this class and is no longer
    /// used.
    #[inline]
    pub(crate) unsafe fn give(&mut self, class: usize, object: NonNull<u8>) -> Option<NonNull<u8>> {
        let page = Slab::page_of(object);
        if self.current == Some(page) {
            // SAFETY: the object belongs to the current slab.
            unsafe { self.header.give(object) };
            if self.header.live() == 0 {
                self.current = None;
                return Some(page);
            }
            return None;
        }
        // SAFETY: the object's page is a partial or full slab of this class,
        // whose header is in the page; a slab is in `partial` exactly when it
        // is neither full nor empty.
        unsafe {
            let slab = page.cast::<Slab>();
            if slab.as_ref().live() == class::capacity(class) {
                self.partial.push_front(slab);
            }
            (*slab.as_ptr()).give(object);
            if slab.as_ref().live() == 0 {
                self.partial.remove(slab);
                return Some(page);
            }
        }
        None
    }
}
