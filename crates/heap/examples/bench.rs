//! Host benchmark: our heap against `linked_list_allocator` and `talc`.
//!
//! Run with `cargo run --release -p heap --example bench [-- RUNS]`.
//!
//! Every measurement builds a fresh allocator on the same 64 MiB arena (its
//! pages touched beforehand, so no host page fault is timed) and runs exactly
//! the same call sequence (the workload functions of
//! `heap::workload`, same seeds). Each figure is the median of RUNS runs
//! (default 3). No locks are involved: each allocator is called directly.
//!
//! Footprint on workload (b): for our heap, the most bytes it held from its
//! page source at once (`Stats::peak_held`). The other two manage one
//! contiguous region from its start, so for them (and, as a cross-check, for
//! ours) it is the highest address ever handed out, minus the arena's start.

use heap::workload::{self, RawAllocator, WorkloadResult};
use heap::{ArenaSource, Heap};
use std::alloc::{GlobalAlloc, Layout};
use std::ptr::NonNull;
use std::time::Instant;

const ARENA: usize = 64 << 20;
const SEED: u64 = 0x5EED;
const OPS_SAME_SIZE: usize = 2_000_000;
const OPS_MIXED: usize = 1_000_000;
const OPS_VEC: usize = 500_000;

/// A page-aligned block of host memory, freed on drop.
struct Arena(NonNull<u8>);

impl Arena {
    /// Allocates the arena and touches every page once, so that the host
    /// kernel's page faults are not part of any measurement.
    fn new() -> Self {
        // SAFETY: the layout has a nonzero size.
        let p = NonNull::new(unsafe { std::alloc::alloc(Self::layout()) })
            .expect("no memory for the arena");
        // SAFETY: the block is ARENA bytes long and ours.
        unsafe { p.write_bytes(0, ARENA) };
        Arena(p)
    }
    fn layout() -> Layout {
        Layout::from_size_align(ARENA, 4096).unwrap()
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.0.as_ptr(), Self::layout()) }
    }
}

/// The allocators compared, each built on an arena.
trait Contender: RawAllocator + Sized {
    const NAME: &'static str;
    /// # Safety: the arena outlives the allocator and is used by nothing else.
    unsafe fn on(arena: &Arena) -> Self;
}

impl Contender for Heap<ArenaSource> {
    const NAME: &'static str = "kestrel heap";
    unsafe fn on(arena: &Arena) -> Self {
        // SAFETY: passed on from the caller.
        Heap::new(unsafe { ArenaSource::new(arena.0.as_ptr(), ARENA) })
    }
}

struct LinkedList(linked_list_allocator::Heap);

impl Contender for LinkedList {
    const NAME: &'static str = "linked_list_allocator";
    unsafe fn on(arena: &Arena) -> Self {
        // SAFETY: passed on from the caller.
        LinkedList(unsafe { linked_list_allocator::Heap::new(arena.0.as_ptr(), ARENA) })
    }
}

impl RawAllocator for LinkedList {
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        self.0.allocate_first_fit(layout).ok()
    }
    unsafe fn dealloc(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: passed on from the caller.
        unsafe { self.0.deallocate(ptr, layout) }
    }
    /// What its `GlobalAlloc` does: allocate, copy, free.
    unsafe fn realloc(
        &mut self,
        ptr: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> Option<NonNull<u8>> {
        let new = self.alloc(Layout::from_size_align(new_size, old.align()).ok()?)?;
        // SAFETY: two distinct live blocks, each at least the copied length.
        unsafe {
            new.copy_from_nonoverlapping(ptr, old.size().min(new_size));
            self.dealloc(ptr, old);
        }
        Some(new)
    }
}

struct Talc(talc::TalcCell<talc::source::Manual>);

impl Contender for Talc {
    const NAME: &'static str = "talc";
    unsafe fn on(arena: &Arena) -> Self {
        let cell = talc::TalcCell::new(talc::source::Manual);
        // SAFETY: passed on from the caller.
        unsafe { cell.claim(arena.0.as_ptr(), ARENA) }.expect("talc claims the arena");
        Talc(cell)
    }
}

impl RawAllocator for Talc {
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        // SAFETY: workloads never ask for zero bytes.
        NonNull::new(unsafe { self.0.alloc(layout) })
    }
    unsafe fn dealloc(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: passed on from the caller.
        unsafe { self.0.dealloc(ptr.as_ptr(), layout) }
    }
    /// Its `GlobalAlloc::realloc`: in place when it can, else move.
    unsafe fn realloc(
        &mut self,
        ptr: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> Option<NonNull<u8>> {
        // SAFETY: passed on from the caller.
        NonNull::new(unsafe { self.0.realloc(ptr.as_ptr(), old, new_size) })
    }
}

/// Wraps an allocator to record the highest address it hands out.
struct HighWater<'a, A> {
    inner: &'a mut A,
    top: usize,
}

impl<A: RawAllocator> HighWater<'_, A> {
    fn saw(&mut self, block: Option<NonNull<u8>>, size: usize) -> Option<NonNull<u8>> {
        if let Some(p) = block {
            self.top = self.top.max(p.as_ptr() as usize + size);
        }
        block
    }
}

impl<A: RawAllocator> RawAllocator for HighWater<'_, A> {
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        let block = self.inner.alloc(layout);
        self.saw(block, layout.size())
    }
    unsafe fn dealloc(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: passed on from the caller.
        unsafe { self.inner.dealloc(ptr, layout) }
    }
    unsafe fn realloc(
        &mut self,
        ptr: NonNull<u8>,
        old: Layout,
        new_size: usize,
    ) -> Option<NonNull<u8>> {
        // SAFETY: passed on from the caller.
        let block = unsafe { self.inner.realloc(ptr, old, new_size) };
        self.saw(block, new_size)
    }
}

#[derive(Clone, Copy)]
enum Workload {
    SameSize,
    Mixed,
    VecGrowth,
}

impl Workload {
    const ALL: [Workload; 3] = [Workload::SameSize, Workload::Mixed, Workload::VecGrowth];

    fn title(self) -> &'static str {
        match self {
            Workload::SameSize => "(a) 32 B alloc/free, batches of 64",
            Workload::Mixed => "(b) mixed 8 B-4 KiB, random frees",
            Workload::VecGrowth => "(c) Vec growth by realloc",
        }
    }

    fn run<A: RawAllocator>(self, a: &mut A) -> WorkloadResult {
        match self {
            Workload::SameSize => workload::workload_same_size(a, OPS_SAME_SIZE, 32),
            Workload::Mixed => workload::workload_mixed(a, OPS_MIXED, SEED),
            Workload::VecGrowth => workload::workload_vec_growth(a, OPS_VEC, SEED),
        }
    }
}

/// Operations per second of one run on a fresh allocator.
fn ops_per_second<C: Contender>(arena: &Arena, workload: Workload) -> f64 {
    // SAFETY: the arena outlives the allocator, which alone uses it (the
    // allocator is dropped before the next one is built on the arena).
    let mut allocator = unsafe { C::on(arena) };
    let start = Instant::now();
    let result = workload.run(&mut allocator);
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(
        result.failed,
        0,
        "{} failed on {}",
        C::NAME,
        workload.title()
    );
    result.ops as f64 / seconds
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn median_ops<C: Contender>(arena: &Arena, workload: Workload, runs: usize) -> f64 {
    median(
        (0..runs)
            .map(|_| ops_per_second::<C>(arena, workload))
            .collect(),
    )
}

/// Footprint of workload (b): (peak live bytes, highest address − arena start).
fn footprint<C: Contender>(arena: &Arena) -> (usize, usize) {
    // SAFETY: as in `ops_per_second`.
    let mut allocator = unsafe { C::on(arena) };
    let mut meter = HighWater {
        inner: &mut allocator,
        top: 0,
    };
    let result = Workload::Mixed.run(&mut meter);
    (
        result.peak_live_bytes,
        meter.top - arena.0.as_ptr() as usize,
    )
}

fn main() {
    let runs = std::env::args()
        .nth(1)
        .map_or(3, |a| a.parse().expect("RUNS must be a number"));
    println!(
        "Heap benchmark: median of {runs} runs, one 64 MiB arena, fresh allocator per run, seed {SEED:#x}"
    );
    println!(
        "(a) {OPS_SAME_SIZE} ops, (b) {OPS_MIXED} ops, (c) {OPS_VEC} ops; Mops/s = million calls per second\n"
    );
    println!(
        "{:<36} {:>9} {:>12} {:>9} {:>10} {:>10}",
        "workload", "kestrel", "linked_list", "talc", "vs l_list", "vs talc"
    );
    let arena = Arena::new();
    for w in Workload::ALL {
        let ours = median_ops::<Heap<ArenaSource>>(&arena, w, runs);
        let list = median_ops::<LinkedList>(&arena, w, runs);
        let talc = median_ops::<Talc>(&arena, w, runs);
        println!(
            "{:<36} {:>9.2} {:>12.2} {:>9.2} {:>9.1}x {:>9.2}x",
            w.title(),
            ours / 1e6,
            list / 1e6,
            talc / 1e6,
            ours / list,
            ours / talc
        );
    }

    println!("\nFootprint on (b): peak live = most requested bytes live at once;");
    println!("footprint = memory the allocator needed for them (see the notes in bench.rs)\n");
    println!(
        "{:<36} {:>12} {:>14} {:>8}",
        "allocator", "peak live", "footprint", "ratio"
    );
    let (live, top) = footprint::<Heap<ArenaSource>>(&arena);
    let peak_held = {
        // SAFETY: as in `ops_per_second`.
        let mut heap = unsafe { <Heap<ArenaSource> as Contender>::on(&arena) };
        Workload::Mixed.run(&mut heap);
        heap.stats().peak_held
    };
    let row = |name: &str, live: usize, used: usize| {
        println!(
            "{name:<36} {live:>12} {used:>14} {:>8.2}",
            used as f64 / live as f64
        );
    };
    row("kestrel heap (peak pages held)", live, peak_held);
    row("kestrel heap (highest address)", live, top);
    let (live, top) = footprint::<LinkedList>(&arena);
    row("linked_list_allocator (highest addr)", live, top);
    let (live, top) = footprint::<Talc>(&arena);
    row("talc (highest address)", live, top);
}
