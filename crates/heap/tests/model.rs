//! Randomized tests: long random sequences of allocate / deallocate /
//! reallocate, checked after every step against a model (a map of the live
//! blocks). The properties: live blocks never overlap, every block honours its
//! alignment, contents survive until freed and across reallocation, the
//! statistics agree with the model, and freed memory is reusable.

use heap::workload::XorShift;
use heap::{AllocError, ArenaSource, Heap, PAGE_SIZE, SPARE_PAGES};
use std::alloc::Layout;
use std::collections::BTreeMap;
use std::ptr::NonNull;

const MAX_SIZE: usize = 64 * 1024;

/// Pseudo-random bytes; block contents are windows of it, so a block filled
/// from one offset cannot be mistaken for a block filled from another.
fn reference_bytes() -> Vec<u8> {
    let mut rng = XorShift::new(99);
    (0..MAX_SIZE + 256).map(|_| rng.next_u64() as u8).collect()
}

struct Block {
    ptr: NonNull<u8>,
    layout: Layout,
    /// Offset into the reference bytes the block was filled from.
    tag: usize,
}

struct Tester {
    heap: Heap<ArenaSource>,
    _memory: Vec<u8>,
    reference: Vec<u8>,
    /// Live blocks by address.
    live: BTreeMap<usize, Block>,
    /// Addresses of live blocks, to pick one at random.
    addresses: Vec<usize>,
    requested: usize,
    failures: u64,
    rng: XorShift,
}

impl Tester {
    fn new(arena_bytes: usize, limit_pages: usize, seed: u64) -> Self {
        let mut memory = vec![0u8; arena_bytes];
        // SAFETY: `memory` lives in the tester as long as the heap and is not
        // touched otherwise.
        let mut source = unsafe { ArenaSource::new(memory.as_mut_ptr(), memory.len()) };
        source.set_limit(limit_pages);
        Tester {
            heap: Heap::new(source),
            _memory: memory,
            reference: reference_bytes(),
            live: BTreeMap::new(),
            addresses: Vec::new(),
            requested: 0,
            failures: 0,
            rng: XorShift::new(seed),
        }
    }

    /// 1 B to 64 KiB, small sizes far more often (log-uniform).
    fn random_size(&mut self) -> usize {
        let low = 1usize << self.rng.below(16);
        low + self.rng.below(low + 1)
    }

    /// Mostly 1–16, a quarter of the time anything from 1 to 4096.
    fn random_align(&mut self) -> usize {
        if self.rng.below(4) == 0 {
            1 << self.rng.below(13)
        } else {
            1 << self.rng.below(5)
        }
    }

    fn bytes(&self, block: &Block) -> &[u8] {
        // SAFETY: the block is live and `layout.size()` bytes long.
        unsafe { std::slice::from_raw_parts(block.ptr.as_ptr(), block.layout.size()) }
    }

    fn fill(&mut self, ptr: NonNull<u8>, size: usize) -> usize {
        let tag = self.rng.below(256);
        // SAFETY: `ptr` is a live block of at least `size` bytes, not
        // overlapping the reference vector.
        unsafe { ptr.copy_from_nonoverlapping(NonNull::from(&self.reference[tag]), size) };
        tag
    }

    fn check_contents(&self, block: &Block, len: usize) {
        assert!(
            self.bytes(block)[..len] == self.reference[block.tag..block.tag + len],
            "contents of block at {:p} ({:?}) changed",
            block.ptr,
            block.layout
        );
    }

    /// Adds a fresh block to the model after checking alignment and overlap.
    fn insert(&mut self, ptr: NonNull<u8>, layout: Layout) {
        let start = ptr.as_ptr() as usize;
        let end = start + layout.size().max(1);
        assert_eq!(
            start % layout.align(),
            0,
            "{layout:?} misaligned at {start:#x}"
        );
        if let Some((&before, block)) = self.live.range(..end).next_back() {
            assert!(
                before + block.layout.size() <= start,
                "{start:#x}+{layout:?} overlaps {before:#x}"
            );
        }
        let tag = self.fill(ptr, layout.size());
        self.live.insert(start, Block { ptr, layout, tag });
        self.addresses.push(start);
        self.requested += layout.size();
    }

    /// Takes a random live block out of the model.
    fn remove_random(&mut self) -> Option<Block> {
        if self.addresses.is_empty() {
            return None;
        }
        let index = self.rng.below(self.addresses.len());
        let address = self.addresses.swap_remove(index);
        let block = self.live.remove(&address).unwrap();
        self.requested -= block.layout.size();
        Some(block)
    }

    fn allocate(&mut self) {
        let layout = Layout::from_size_align(self.random_size(), self.random_align()).unwrap();
        match self.heap.allocate(layout) {
            Ok(ptr) => self.insert(ptr, layout),
            Err(AllocError) => self.failures += 1,
        }
    }

    fn deallocate(&mut self) {
        if let Some(block) = self.remove_random() {
            self.check_contents(&block, block.layout.size());
            // SAFETY: the block is live with this layout, and leaves the model.
            unsafe { self.heap.deallocate(block.ptr, block.layout) };
        }
    }

    fn reallocate(&mut self) {
        let Some(block) = self.remove_random() else {
            return;
        };
        let new_size = self.random_size();
        // SAFETY: the block is live with this layout.
        match unsafe { self.heap.reallocate(block.ptr, block.layout, new_size) } {
            Ok(ptr) => {
                let kept = block.layout.size().min(new_size);
                self.check_contents(&Block { ptr, ..block }, kept);
                let layout = Layout::from_size_align(new_size, block.layout.align()).unwrap();
                self.insert(ptr, layout);
            }
            Err(AllocError) => {
                self.failures += 1;
                self.check_contents(&block, block.layout.size());
                let (ptr, layout) = (block.ptr, block.layout);
                let start = ptr.as_ptr() as usize;
                self.requested += layout.size();
                self.live.insert(start, block);
                self.addresses.push(start);
            }
        }
    }

    fn check_stats(&self) {
        let stats = self.heap.stats();
        assert_eq!(stats.in_use, self.requested);
        assert_eq!(stats.live(), self.live.len() as u64);
        assert_eq!(stats.failed, self.failures);
        assert_eq!(stats.held, self.heap.source().pages_in_use() * PAGE_SIZE);
        assert!(stats.held <= stats.peak_held);
        assert!(stats.in_use <= stats.peak_in_use);
    }

    /// `ops` random steps, keeping about `target` blocks live.
    fn run(&mut self, ops: usize, target: usize) {
        for _ in 0..ops {
            let roll = self.rng.below(10);
            let alloc_odds = if self.live.len() < target { 6 } else { 4 };
            if roll < alloc_odds {
                self.allocate();
            } else if roll < 8 {
                self.deallocate();
            } else {
                self.reallocate();
            }
            self.check_stats();
        }
    }

    fn free_everything(&mut self) {
        while !self.live.is_empty() {
            self.deallocate();
        }
        self.check_stats();
        self.heap.trim();
        self.check_stats();
        let stats = self.heap.stats();
        assert_eq!(stats.in_use, 0);
        assert!(
            stats.held <= SPARE_PAGES * PAGE_SIZE,
            "still holding {} bytes",
            stats.held
        );
    }
}

#[test]
fn random_operations_agree_with_the_model() {
    let mut t = Tester::new(256 << 20, usize::MAX, 1);
    t.run(200_000, 1000);
    assert_eq!(t.failures, 0, "the arena is big enough for everything");
    let stats = t.heap.stats();
    assert!(stats.reallocs > 20_000 && stats.frees > 40_000, "{stats:?}");
    t.free_everything();
}

#[test]
fn random_operations_under_a_tight_limit_fail_cleanly() {
    // About 4 MiB for a workload that would like more: many failures, and the
    // heap must keep working correctly in between.
    let mut t = Tester::new(64 << 20, 1000, 2);
    t.run(60_000, 1000);
    assert!(t.failures > 1000, "only {} failures", t.failures);
    assert!(t.heap.source().peak_pages() <= 1000);
    t.free_everything();
    // Everything is reusable: with the same limit, a big block now fits.
    let big = Layout::from_size_align(900 * PAGE_SIZE, 8).unwrap();
    let p = t.heap.allocate(big).expect("the freed pages are back");
    // SAFETY: allocated just above.
    unsafe { t.heap.deallocate(p, big) };
}

#[test]
fn freed_memory_is_reused_for_the_same_requests() {
    let mut t = Tester::new(256 << 20, usize::MAX, 3);
    let mut layouts = Vec::new();
    for _ in 0..3000 {
        let layout = Layout::from_size_align(t.random_size(), t.random_align()).unwrap();
        layouts.push(layout);
    }
    for round in 0..3 {
        for &layout in &layouts {
            let ptr = t.heap.allocate(layout).unwrap();
            t.insert(ptr, layout);
        }
        t.check_stats();
        let peak = t.heap.source().peak_pages();
        t.free_everything();
        if round > 0 {
            assert_eq!(
                t.heap.source().peak_pages(),
                peak,
                "round {round} needed more pages"
            );
        }
    }
}
