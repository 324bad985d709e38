//! A slab: one page cut into equal objects of one size class.
//!
//! ```text
//!  page start                                                 page end
//!  | header (32 B) | unused | obj k-1 | ... | obj 1 | obj 0 |
//! ```
//!
//! The header sits at the start of the page, so the slab that owns an object is
//! found by rounding the object's address down to the page ([`Slab::containing`]):
//! no search, no table. Objects are packed against the end of the page (see the
//! `class` module for why that gives alignment for free) and handed out in two
//! ways: first from the slab's *free list*, a singly linked list threaded through
//! the freed objects themselves (a free object's first 8 bytes point to the
//! next free object, so the list costs no extra memory); when that is empty, by
//! *carving* the next never-used object. Carving lazily means a new slab needs
//! no set-up loop and untouched objects are never written.
//!
//! Invariants: `live` objects are in use, the free list holds exactly
//! `carved - live` objects, and `carved <= capacity`. Slabs of one class that
//! still have room are chained in a doubly linked list ([`SlabList`]) so a slab
//! can leave the list in O(1) when it fills up or is given back.

use crate::PAGE_SIZE;
use core::ptr::{self, NonNull};

/// Bytes reserved for the header at the start of every slab page.
pub(crate) const HEADER: usize = 32;
const _: () = assert!(size_of::<Slab>() <= HEADER);

/// A freed object, reused as a link of the free list.
struct FreeObject {
    next: *mut FreeObject,
}

/// The header of a slab page.
#[repr(C)]
pub(crate) struct Slab {
    next: *mut Slab,
    prev: *mut Slab,
    free: *mut FreeObject,
    live: u16,
    carved: u16,
}

impl Slab {
    /// Writes an empty slab header at the start of `page` and returns it.
    ///
    /// # Safety
    /// `page` is a page-aligned, writable page that nothing else uses.
    pub(crate) unsafe fn init(page: NonNull<u8>) -> NonNull<Slab> {
        let slab = page.cast::<Slab>();
        let empty = Slab {
            next: ptr::null_mut(),
            prev: ptr::null_mut(),
            free: ptr::null_mut(),
            live: 0,
            carved: 0,
        };
        // SAFETY: the caller gives us the page; the header fits (checked above)
        // and a page start is aligned for it.
        unsafe { slab.write(empty) };
        slab
    }

    /// The slab whose page holds `object`.
    #[inline]
    pub(crate) fn containing(object: NonNull<u8>) -> NonNull<Slab> {
        let page = object.as_ptr().map_addr(|a| a & !(PAGE_SIZE - 1));
        // SAFETY: the page start is where the slab's (non-null) page begins.
        unsafe { NonNull::new_unchecked(page) }.cast()
    }

    /// Objects currently handed out.
    #[inline]
    pub(crate) fn live(&self) -> usize {
        self.live as usize
    }

    /// Hands out one object of `size` bytes from `slab`.
    ///
    /// # Safety
    /// `slab` is a valid header made by [`Slab::init`] for objects of `size`
    /// bytes, and is not full (`live < capacity`).
    #[inline]
    pub(crate) unsafe fn take(slab: NonNull<Slab>, size: usize) -> NonNull<u8> {
        // SAFETY: a valid header, by the caller's promise.
        let header = unsafe { &mut *slab.as_ptr() };
        header.live += 1;
        if let Some(object) = NonNull::new(header.free) {
            // SAFETY: objects on the free list are ours and hold a link.
            header.free = unsafe { object.as_ref().next };
            return object.cast();
        }
        header.carved += 1;
        let offset = PAGE_SIZE - header.carved as usize * size;
        // SAFETY: carved <= capacity, so `offset` lies after the header and
        // the object fits in the page that `slab` points to.
        unsafe { slab.cast::<u8>().add(offset) }
    }

    /// Takes back `object` into `slab`.
    ///
    /// # Safety
    /// `object` came from [`Slab::take`] on this slab and is no longer used.
    #[inline]
    pub(crate) unsafe fn give(slab: NonNull<Slab>, object: NonNull<u8>) {
        // SAFETY: a valid header, by the caller's promise.
        let header = unsafe { &mut *slab.as_ptr() };
        let link = object.cast::<FreeObject>();
        // SAFETY: the object is ours again, at least 16 bytes and 16-aligned.
        unsafe { link.write(FreeObject { next: header.free }) };
        header.free = link.as_ptr();
        header.live -= 1;
    }
}

/// A doubly linked list of slabs (the slabs of one class that have room).
pub(crate) struct SlabList {
    head: *mut Slab,
}

impl SlabList {
    pub(crate) const fn new() -> Self {
        SlabList {
            head: ptr::null_mut(),
        }
    }

    /// The first slab, if any.
    #[inline]
    pub(crate) fn first(&self) -> Option<NonNull<Slab>> {
        NonNull::new(self.head)
    }

    /// Puts `slab` (not in any list) at the front.
    ///
    /// # Safety
    /// `slab` and every slab in the list are valid headers owned by the heap.
    #[inline]
    pub(crate) unsafe fn push_front(&mut self, mut slab: NonNull<Slab>) {
        // SAFETY: by the caller's promise.
        unsafe {
            let s = slab.as_mut();
            s.prev = ptr::null_mut();
            s.next = self.head;
            if let Some(mut old) = NonNull::new(self.head) {
                old.as_mut().prev = slab.as_ptr();
            }
        }
        self.head = slab.as_ptr();
    }

    /// Takes `slab`, which is in this list, out of it.
    ///
    /// # Safety
    /// As for [`SlabList::push_front`], and `slab` is in this list.
    #[inline]
    pub(crate) unsafe fn remove(&mut self, mut slab: NonNull<Slab>) {
        // SAFETY: by the caller's promise, neighbours are valid headers.
        unsafe {
            let s = slab.as_mut();
            match NonNull::new(s.prev) {
                Some(mut prev) => prev.as_mut().next = s.next,
                None => self.head = s.next,
            }
            if let Some(mut next) = NonNull::new(s.next) {
                next.as_mut().prev = s.prev;
            }
            s.next = ptr::null_mut();
            s.prev = ptr::null_mut();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[repr(C, align(4096))]
    struct Page([u8; PAGE_SIZE]);

    fn page(storage: &mut Page) -> NonNull<u8> {
        NonNull::from(&mut storage.0).cast()
    }

    #[test]
    fn carves_from_the_end_then_reuses_freed_objects() {
        let mut storage = Page([0; PAGE_SIZE]);
        let base = page(&mut storage);
        // SAFETY: the page is ours and page-aligned; objects are 48 bytes and
        // fewer than the capacity are taken; only taken objects are given back.
        unsafe {
            let slab = Slab::init(base);
            let a = Slab::take(slab, 48);
            let b = Slab::take(slab, 48);
            assert_eq!(a.addr().get(), base.addr().get() + PAGE_SIZE - 48);
            assert_eq!(b.addr().get(), base.addr().get() + PAGE_SIZE - 96);
            assert_eq!(slab.as_ref().live(), 2);
            Slab::give(slab, a);
            assert_eq!(slab.as_ref().live(), 1);
            assert_eq!(Slab::take(slab, 48), a, "a freed object is reused first");
        }
    }

    #[test]
    fn a_full_slab_hands_out_distinct_objects_inside_the_page() {
        let mut storage = Page([0; PAGE_SIZE]);
        let base = page(&mut storage);
        // SAFETY: the page is ours and page-aligned.
        let slab = unsafe { Slab::init(base) };
        let capacity = (PAGE_SIZE - HEADER) / 16;
        // SAFETY: exactly `capacity` objects of 16 bytes are taken.
        let objects: Vec<_> = (0..capacity)
            .map(|_| unsafe { Slab::take(slab, 16) })
            .collect();
        let distinct: HashSet<_> = objects.iter().collect();
        assert_eq!(distinct.len(), capacity);
        for o in &objects {
            let offset = o.addr().get() - base.addr().get();
            assert!((HEADER..=PAGE_SIZE - 16).contains(&offset));
            assert_eq!(Slab::containing(*o), base.cast());
        }
    }

    #[test]
    fn list_push_and_remove_anywhere() {
        let mut pages = [
            Page([0; PAGE_SIZE]),
            Page([0; PAGE_SIZE]),
            Page([0; PAGE_SIZE]),
        ];
        // SAFETY: each page is ours and page-aligned.
        let slabs: Vec<_> = pages
            .iter_mut()
            .map(|p| unsafe { Slab::init(page(p)) })
            .collect();
        let mut list = SlabList::new();
        assert!(list.first().is_none());
        // SAFETY: all slabs are valid headers, each pushed once.
        unsafe {
            for &s in &slabs {
                list.push_front(s);
            }
            assert_eq!(list.first(), Some(slabs[2]));
            list.remove(slabs[1]); // middle
            assert_eq!(list.first(), Some(slabs[2]));
            list.remove(slabs[2]); // head
            assert_eq!(list.first(), Some(slabs[0]));
            list.remove(slabs[0]); // last one
        }
        assert!(list.first().is_none());
    }
}
