//! Heap statistics: what was asked for, and what it cost.
//!
//! `in_use` counts the bytes callers asked for; `held` counts the bytes the
//! heap took from its page source. Their ratio is the heap's overhead
//! (rounding, slab headers, partly used pages). Both are updated on every
//! call, so a snapshot is always exact.

use core::alloc::Layout;

/// A snapshot of the heap's counters (see [`crate::Heap::stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes requested by the blocks currently allocated (sum of their
    /// `layout.size()`, not rounded).
    pub in_use: usize,
    /// The highest `in_use` so far.
    pub peak_in_use: usize,
    /// Bytes currently held from the page source (pages × 4096).
    pub held: usize,
    /// The highest `held` so far.
    pub peak_held: usize,
    /// Successful `allocate` calls.
    pub allocs: u64,
    /// `deallocate` calls.
    pub frees: u64,
    /// Successful `reallocate` calls (in place or moved).
    pub reallocs: u64,
    /// Failed `allocate` and `reallocate` calls.
    pub failed: u64,
    /// The layout of the most recent failed request.
    pub last_failure: Option<Layout>,
}

impl Stats {
    /// All counters zero.
    pub const ZERO: Stats = Stats {
        in_use: 0,
        peak_in_use: 0,
        held: 0,
        peak_held: 0,
        allocs: 0,
        frees: 0,
        reallocs: 0,
        failed: 0,
        last_failure: None,
    };

    /// Blocks currently allocated.
    pub fn live(&self) -> u64 {
        self.allocs - self.frees
    }

    #[inline]
    pub(crate) fn grow_in_use(&mut self, bytes: usize) {
        self.in_use += bytes;
        self.peak_in_use = self.peak_in_use.max(self.in_use);
    }
}

impl core::fmt::Display for Stats {
    /// One line, e.g. for the kernel's out-of-memory report.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "in use {} B (peak {}), held {} B (peak {}), {} live, {} allocs, {} frees, \
             {} reallocs, {} failed",
            self.in_use,
            self.peak_in_use,
            self.held,
            self.peak_held,
            self.live(),
            self.allocs,
            self.frees,
            self.reallocs,
            self.failed
        )
    }
}
