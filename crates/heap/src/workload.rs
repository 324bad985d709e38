//! Benchmark workloads, shared by the host benchmark and the kernel.
//!
//! Each workload is a deterministic sequence of allocator calls (from a seed)
//! that returns how many calls it made; the caller times it. The host
//! benchmark runs the same functions on our heap and on other allocators
//! (through [`RawAllocator`]); the kernel runs them on its own heap, so the
//! figures can be compared directly. Every new block is written to at its
//! first and last byte, as a program using it would. Everything allocated is freed before returning.

use crate::{Heap, PageSource};
use core::alloc::Layout;
use core::ptr::NonNull;
use xorshift::XorShift64;

/// The three calls a workload makes. Implemented for [`Heap`]; the benchmark
/// implements it for the allocators it compares against.
pub trait RawAllocator {
    /// A block for `layout` (size above zero), or `None`.
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>>;
    /// Frees a block.
    ///
    /// # Safety
    /// `ptr` came from this allocator with `layout` and is no longer used.
    unsafe fn dealloc(&mut self, ptr: NonNull<u8>, layout: Layout);
    /// Resizes a block, keeping its contents; `None` leaves it untouched.
    ///
    /// # Safety
    /// As for `dealloc`.
    unsafe fn realloc(
        &mut self,
        ptr: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> Option<NonNull<u8>>;
}

impl<S: PageSource> RawAllocator for Heap<S> {
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        self.allocate(layout).ok()
    }

    unsafe fn dealloc(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: passed on from the caller.
        unsafe { self.deallocate(ptr, layout) }
    }

    unsafe fn realloc(
        &mut self,
        ptr: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> Option<NonNull<u8>> {
        // SAFETY: passed on from the caller.
        unsafe { self.reallocate(ptr, old, new_size) }.ok()
    }
}

/// What a workload did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkloadResult {
    /// Allocator calls made (alloc, dealloc and realloc each count one).
    pub ops: u64,
    /// How many of `ops` were made beyond the steps asked for: setting up,
    /// freeing what was left at the end, finishing a round.
    pub extra_ops: u64,
    /// Sum of the sizes asked for by successful allocs and reallocs.
    pub bytes_requested: u64,
    /// The most bytes live at once (sum of the sizes of live blocks).
    pub peak_live_bytes: usize,
    /// Allocs or reallocs that failed (the workload skips and goes on).
    pub failed: u64,
}

/// The shared xorshift generator (`crates/xorshift`), with a faster `below`
/// for the benchmark's hot loop.
#[derive(Clone, Debug)]
pub struct XorShift(XorShift64);

impl XorShift {
    /// A generator; any seed works (zero is replaced).
    pub fn new(seed: u64) -> Self {
        XorShift(XorShift64(seed.max(1)))
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0.next()
    }

    /// A number in `0..n` (n > 0). Scales instead of dividing: the high
    /// half of a 64 x 64-bit product is cheaper than `%`.
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

/// Counts calls and live bytes while a workload runs.
struct Meter {
    result: WorkloadResult,
    live: usize,
}

impl Meter {
    fn new() -> Self {
        Meter {
            result: WorkloadResult::default(),
            live: 0,
        }
    }

    #[inline]
    fn grew(&mut self, ok: bool, from: usize, to: usize) {
        self.result.ops += 1;
        if ok {
            self.result.bytes_requested += to as u64;
            self.live = self.live - from + to;
            self.result.peak_live_bytes = self.result.peak_live_bytes.max(self.live);
        } else {
            self.result.failed += 1;
        }
    }

    #[inline]
    fn freed(&mut self, size: usize) {
        self.result.ops += 1;
        self.live -= size;
    }

    /// The result of a workload that was asked for `asked` steps.
    fn finish(mut self, asked: usize) -> WorkloadResult {
        self.result.extra_ops = self.result.ops.saturating_sub(asked as u64);
        self.result
    }
}

/// Allocates `size` bytes (alignment 8), writes to them, and meters it.
#[inline]
fn alloc_touch<A: RawAllocator>(a: &mut A, meter: &mut Meter, size: usize) -> Option<NonNull<u8>> {
    let layout = Layout::from_size_align(size, 8).ok()?;
    let block = a.alloc(layout);
    if let Some(p) = block {
        // SAFETY: the block has at least `size` >= 1 bytes.
        unsafe {
            p.write(size as u8);
            p.add(size - 1).write(size as u8);
        }
    }
    meter.grew(block.is_some(), 0, size);
    block
}

/// Frees a block of `size` bytes (alignment 8) and meters it.
///
/// # Safety
/// `p` came from `alloc_touch`/`realloc` on `a` with this size.
unsafe fn free<A: RawAllocator>(a: &mut A, meter: &mut Meter, p: NonNull<u8>, size: usize) {
    // SAFETY: the caller's promise; the alignment is always 8 here.
    unsafe { a.dealloc(p, Layout::from_size_align_unchecked(size, 8)) };
    meter.freed(size);
}

/// Workload (a): many small blocks of one size. In rounds, allocates 64
/// blocks of `size` bytes, then frees them in allocation order.
pub fn workload_same_size<A: RawAllocator>(a: &mut A, ops: usize, size: usize) -> WorkloadResult {
    const BATCH: usize = 64;
    let mut meter = Meter::new();
    let mut blocks = [None; BATCH];
    while (meter.result.ops as usize) < ops {
        for slot in blocks.iter_mut() {
            *slot = alloc_touch(a, &mut meter, size);
        }
        for p in blocks.iter_mut().filter_map(Option::take) {
            // SAFETY: allocated just above with this size.
            unsafe { free(a, &mut meter, p, size) };
        }
    }
    meter.finish(ops)
}

/// A size from 8 to 4096 bytes: a range `low..=2*low` with `low` one of 8, 16,
/// ..., 2048 is picked uniformly, then a size uniformly inside it, so small
/// blocks are common and big ones rare, as in real programs.
#[inline]
fn mixed_size(rng: &mut XorShift) -> usize {
    let low = 8 << rng.below(9);
    (low + rng.below(low + 1)).min(4096)
}

/// How many slots workload (b) uses; about half hold a block at any time.
pub const MIXED_SLOTS: usize = 4096;

/// A slot of workload (b): a block and its size.
type Slot = Option<(NonNull<u8>, usize)>;

/// Workload (b): a random mix of sizes from 8 B to 4 KiB with random frees.
/// [`MIXED_SLOTS`] slots; each call picks a random slot and frees its block
/// if it has one, else allocates a block of random size into it. So about
/// half the slots are in use (some 2000 blocks, 1.3 MiB); at the end the
/// survivors are freed. The slot table itself (64 KiB) is allocated from the
/// allocator under test, first, and counts as one call and as live bytes.
pub fn workload_mixed<A: RawAllocator>(a: &mut A, ops: usize, seed: u64) -> WorkloadResult {
    let mut rng = XorShift::new(seed);
    let mut meter = Meter::new();
    let table = Layout::array::<Slot>(MIXED_SLOTS).unwrap();
    let Some(memory) = a.alloc(table) else {
        meter.grew(false, 0, 0);
        return meter.result;
    };
    meter.grew(true, 0, table.size());
    let slots = memory.cast::<Slot>();
    for i in 0..MIXED_SLOTS {
        // SAFETY: the table has room for MIXED_SLOTS slots, suitably aligned.
        unsafe { slots.add(i).write(None) };
    }
    // SAFETY: the table is initialized above and only used through this slice.
    let slots = unsafe { core::slice::from_raw_parts_mut(slots.as_ptr(), MIXED_SLOTS) };
    for _ in 0..ops {
        let slot = &mut slots[rng.below(MIXED_SLOTS)];
        match slot.take() {
            // SAFETY: every block in a slot was allocated with its size.
            Some((p, size)) => unsafe { free(a, &mut meter, p, size) },
            None => {
                let size = mixed_size(&mut rng);
                *slot = alloc_touch(a, &mut meter, size).map(|p| (p, size));
            }
        }
    }
    for (p, size) in slots.iter_mut().filter_map(Option::take) {
        // SAFETY: as above.
        unsafe { free(a, &mut meter, p, size) };
    }
    // SAFETY: the table was allocated above with this layout; `slots` is dead.
    unsafe { a.dealloc(memory, table) };
    meter.freed(table.size());
    meter.finish(ops)
}

/// Workload (c): vector growth by `realloc`. Eight vectors; each call picks
/// one at random: an absent vector is allocated with 16 bytes, a vector that
/// reached 32 KiB is freed, any other grows by half (rounded to 8 bytes), as
/// a `Vec` growing by pushes would. Most calls are reallocs.
pub fn workload_vec_growth<A: RawAllocator>(a: &mut A, ops: usize, seed: u64) -> WorkloadResult {
    const VECS: usize = 8;
    const MAX: usize = 32 * 1024;
    let mut rng = XorShift::new(seed);
    let mut meter = Meter::new();
    let mut vecs: [Option<(NonNull<u8>, usize)>; VECS] = [None; VECS];
    for _ in 0..ops {
        let vec = &mut vecs[rng.below(VECS)];
        *vec = match *vec {
            None => alloc_touch(a, &mut meter, 16).map(|p| (p, 16)),
            Some((p, size)) if size >= MAX => {
                // SAFETY: the vector's block has this size.
                unsafe { free(a, &mut meter, p, size) };
                None
            }
            Some((p, size)) => {
                let new_size = (size + size / 2).next_multiple_of(8);
                // SAFETY: the vector's block has this size, alignment 8.
                let grown =
                    unsafe { a.realloc(p, Layout::from_size_align_unchecked(size, 8), new_size) };
                meter.grew(grown.is_some(), size, new_size);
                match grown {
                    Some(q) => {
                        // SAFETY: the block now has `new_size` bytes.
                        unsafe { q.add(new_size - 1).write(1) };
                        Some((q, new_size))
                    }
                    None => Some((p, size)),
                }
            }
        };
    }
    for (p, size) in vecs.iter_mut().filter_map(Option::take) {
        // SAFETY: as above.
        unsafe { free(a, &mut meter, p, size) };
    }
    meter.finish(ops)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ArenaSource;

    fn heap(memory: &mut [u8]) -> Heap<ArenaSource> {
        // SAFETY: each test keeps `memory` alive and untouched while the heap lives.
        Heap::new(unsafe { ArenaSource::new(memory.as_mut_ptr(), memory.len()) })
    }

    #[test]
    fn mixed_sizes_cover_the_range() {
        let mut rng = XorShift::new(1);
        let sizes: Vec<usize> = (0..10_000).map(|_| mixed_size(&mut rng)).collect();
        assert_eq!(sizes.iter().min(), Some(&8));
        assert!((4000..=4096).contains(sizes.iter().max().unwrap()));
        let small = sizes.iter().filter(|&&s| s < 64).count();
        assert!(small > 2_500, "{small} of 10000 below 64 bytes");
    }

    #[test]
    fn workloads_are_deterministic_and_leave_the_heap_empty() {
        let mut memory = vec![0u8; 16 << 20];
        let mut h = heap(&mut memory);
        let runs = [
            workload_same_size(&mut h, 10_000, 32),
            workload_mixed(&mut h, 10_000, 7),
            workload_vec_growth(&mut h, 10_000, 7),
        ];
        for r in runs {
            assert!(r.ops >= 10_000 && r.failed == 0, "{r:?}");
        }
        assert_eq!(workload_mixed(&mut h, 10_000, 7), runs[1]);
        let stats = h.stats();
        assert_eq!((stats.live(), stats.in_use), (0, 0));
        assert_eq!(
            stats.reallocs + stats.allocs + stats.frees,
            runs.iter().map(|r| r.ops).sum::<u64>() + runs[1].ops
        );
        // One step of (b) allocates into an empty slot; around it come the
        // table's allocation, the survivor's free and the table's free.
        let one = workload_mixed(&mut h, 1, 7);
        assert_eq!((one.ops, one.extra_ops), (4, 3), "{one:?}");
    }

    #[test]
    fn a_tight_limit_makes_workloads_fail_softly() {
        let mut memory = vec![0u8; 16 << 20];
        let mut h = heap(&mut memory);
        h.source_mut().set_limit(8);
        let r = workload_mixed(&mut h, 5_000, 3);
        assert!(r.failed > 0);
        assert_eq!(h.stats().failed, r.failed);
        assert_eq!(h.stats().in_use, 0);
    }
}
