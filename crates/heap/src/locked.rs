//! The global allocator: a [`Heap`] behind a spin lock.
//!
//! Rust's `#[global_allocator]` must be a `static` implementing
//! [`GlobalAlloc`], whose methods take `&self` and may be called from any CPU
//! at any time. A spin lock turns that shared access into the `&mut Heap` the
//! heap needs. The lock does not disable interrupts: that is the kernel's job
//! (an interrupt handler that allocates while the interrupted code holds the
//! lock would spin forever).

use crate::{Heap, PageSource};
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{self, NonNull};

/// A [`Heap`] behind a spin lock, usable as `#[global_allocator]`.
///
/// Failures return null, as `GlobalAlloc` requires; Rust then calls its
/// allocation-error handler, and the kernel can print [`Heap::stats`] (which
/// records the failed layout) from there.
pub struct LockedHeap<S: PageSource>(spin::Mutex<Heap<S>>);

impl<S: PageSource> LockedHeap<S> {
    /// An empty heap taking pages from `source`.
    pub const fn new(source: S) -> Self {
        LockedHeap(spin::Mutex::new(Heap::new(source)))
    }

    /// Locks the heap (spinning while another CPU holds it).
    pub fn lock(&self) -> spin::MutexGuard<'_, Heap<S>> {
        self.0.lock()
    }
}

// SAFETY: `Heap` returns distinct, valid blocks of at least the requested size
// and alignment, and the lock gives each call exclusive access to it.
unsafe impl<S: PageSource + Send> GlobalAlloc for LockedHeap<S> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.lock()
            .allocate(layout)
            .map_or(ptr::null_mut(), NonNull::as_ptr)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: GlobalAlloc's contract: `ptr` came from `alloc` or `realloc`
        // with this layout, so it is not null and is ours.
        unsafe { self.lock().deallocate(NonNull::new_unchecked(ptr), layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`; the caller then uses `new_size` with the
        // same alignment, as `reallocate` requires.
        let moved = unsafe {
            self.lock()
                .reallocate(NonNull::new_unchecked(ptr), layout, new_size)
        };
        moved.map_or(ptr::null_mut(), NonNull::as_ptr)
    }
}
