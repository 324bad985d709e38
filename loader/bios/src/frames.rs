//! Frames for the kernel: handed out one after another.
//!
//! The loader needs memory for the kernel's segments, its stack, the page
//! tables and the boot info. It takes it from the usable RAM region that
//! holds the kernel file (the real-mode stage put the file at 1 MiB and the
//! ramdisk after it), from the first page after the ramdisk upwards, and
//! below 4 GiB, where the loader's identity map lets it write through
//! physical addresses. Nothing is ever freed, so the allocator is a pointer
//! that only moves up; the range it gave out is then reported to the kernel
//! as `Bootloader` memory, which the kernel keeps.

use bootplan::paging::TableMemory;
use bootplan::{PAGE, align_up};
use core::cell::Cell;

/// The identity map of the long-mode stage covers the low 4 GiB.
const IDENTITY_END: u64 = 1 << 32;

/// Frames from `start` up to `end`.
pub struct Frames {
    start: u64,
    next: Cell<u64>,
    end: u64,
}

impl Frames {
    /// Frames in `[start, end)` (rounded inwards to pages, cut at 4 GiB).
    pub fn new(start: u64, end: u64) -> Frames {
        let start = align_up(start, PAGE).unwrap_or(end);
        Frames {
            start,
            next: Cell::new(start),
            end: end.min(IDENTITY_END) & !(PAGE - 1),
        }
    }

    /// `count` zeroed pages in a row; their physical address.
    pub fn zeroed(&self, count: u64) -> Option<u64> {
        let bytes = count.checked_mul(PAGE)?;
        let at = self.next.get();
        if self.end.saturating_sub(at) < bytes {
            return None;
        }
        self.next.set(at + bytes);
        // SAFETY: `[at, at + bytes)` is RAM below 4 GiB (identity-mapped)
        // that no one else uses: it was never handed out before.
        unsafe { core::ptr::write_bytes(at as *mut u8, 0, bytes as usize) };
        Some(at)
    }

    /// The range handed out so far.
    pub fn used(&self) -> (u64, u64) {
        (self.start, self.next.get())
    }
}

/// Page tables in frames from [`Frames`].
impl TableMemory for &Frames {
    fn new_table(&mut self) -> Option<u64> {
        self.zeroed(1)
    }

    fn read(&self, table: u64, index: usize) -> u64 {
        // SAFETY: `table` came from `new_table` (a page we own, identity-
        // mapped) and `index % 512` stays inside it.
        unsafe { (table as *const u64).add(index % 512).read() }
    }

    fn write(&mut self, table: u64, index: usize, entry: u64) {
        // SAFETY: as in `read`; no other reference to the table exists.
        unsafe { (table as *mut u64).add(index % 512).write(entry) }
    }
}
