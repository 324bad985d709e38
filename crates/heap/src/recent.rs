//! A per-class stack of recently freed objects, so that a free followed by
//! an allocation of the same class touches no slab at all.
//!
//! Freeing an object into its slab means reading and writing the slab's
//! header, at the start of the object's page. When that slab is not the
//! class's current one, the header is usually far from anything recently
//! used: a cache miss on every such free. But in a steady state most freed
//! objects are soon asked for again by an allocation of the same class. So
//! a free first parks the object's address here, in a small array inside the
//! heap structure (always in the cache), and an allocation takes the most
//! recently parked object first (last in, first out: the one most likely
//! still in the CPU cache). Neither touches the object or any header.
//!
//! When the stack is full, the older half is put back into the slabs in one
//! go (the only time those headers are read). The price: parked objects are
//! free but still count as live in their slabs, so a slab whose objects are
//! all parked is not handed back yet. The heap empties every stack when the
//! page source runs dry (so freed memory is always reusable) and on
//! `Heap::trim`; at most [`RECENT`] objects per class are parked.

use core::ptr::NonNull;

/// How many freed objects each class parks at most.
pub(crate) const RECENT: usize = 16;

/// The parked objects of one class, oldest first.
pub(crate) struct Recent {
    objects: [*mut u8; RECENT],
    len: usize,
}

impl Recent {
    pub(crate) const fn new() -> Self {
        Recent {
            objects: [core::ptr::null_mut(); RECENT],
            len: 0,
        }
    }

    /// The most recently parked object, if any.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<NonNull<u8>> {
        self.len = self.len.checked_sub(1)?;
        // SAFETY: only non-null object addresses are ever parked.
        Some(unsafe { NonNull::new_unchecked(self.objects[self.len]) })
    }

    /// Parks `object`; gives it back if the stack is full.
    #[inline]
    pub(crate) fn push(&mut self, object: NonNull<u8>) -> Result<(), NonNull<u8>> {
        if self.len == RECENT {
            return Err(object);
        }
        self.objects[self.len] = object.as_ptr();
        self.len += 1;
        Ok(())
    }

    /// How many objects are parked.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Takes the `count` oldest parked objects out (all of them if fewer),
    /// keeping the newer ones.
    pub(crate) fn take_oldest(
        &mut self,
        count: usize,
    ) -> impl Iterator<Item = NonNull<u8>> + use<> {
        let count = count.min(self.len);
        let oldest: [*mut u8; RECENT] = self.objects;
        self.objects.copy_within(count..self.len, 0);
        self.len -= count;
        oldest.into_iter().take(count).map(|p| {
            // SAFETY: only non-null object addresses are ever parked.
            unsafe { NonNull::new_unchecked(p) }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(n: usize) -> NonNull<u8> {
        NonNull::new(n as *mut u8).unwrap()
    }

    #[test]
    fn last_in_first_out_up_to_the_cap() {
        let mut r = Recent::new();
        assert_eq!(r.pop(), None);
        for i in 1..=RECENT {
            assert_eq!(r.push(fake(i)), Ok(()));
        }
        assert_eq!(r.push(fake(99)), Err(fake(99)), "full");
        assert_eq!(r.pop(), Some(fake(RECENT)));
        assert_eq!(r.len(), RECENT - 1);
    }

    #[test]
    fn take_oldest_keeps_the_newest() {
        let mut r = Recent::new();
        for i in 1..=RECENT {
            r.push(fake(i)).unwrap();
        }
        let old: Vec<_> = r.take_oldest(RECENT / 2).collect();
        assert_eq!(old, (1..=RECENT / 2).map(fake).collect::<Vec<_>>());
        assert_eq!(r.len(), RECENT / 2);
        assert_eq!(r.pop(), Some(fake(RECENT)), "the newest is still on top");
        let rest: Vec<_> = r.take_oldest(usize::MAX).collect();
        assert_eq!(rest, (RECENT / 2 + 1..RECENT).map(fake).collect::<Vec<_>>());
        assert_eq!(r.pop(), None);
    }
}
