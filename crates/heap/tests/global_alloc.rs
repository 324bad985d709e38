//! `LockedHeap` as the real global allocator of this test program: every
//! `Box`, `Vec`, `String` and thread of the test harness itself comes from it,
//! as they will in the kernel.

use heap::{ArenaSource, LockedHeap};
use std::alloc::{GlobalAlloc, Layout};
use std::collections::{BTreeMap, TryReserveError};
use std::sync::Arc;
use std::thread;

const ARENA_SIZE: usize = 128 << 20;
static mut ARENA: [u8; ARENA_SIZE] = [0; ARENA_SIZE];

#[global_allocator]
// SAFETY: nothing else touches ARENA.
static HEAP: LockedHeap<ArenaSource> =
    LockedHeap::new(unsafe { ArenaSource::new((&raw mut ARENA).cast(), ARENA_SIZE) });

fn in_arena<T: ?Sized>(p: *const T) -> bool {
    let start = (&raw const ARENA) as usize;
    (start..start + ARENA_SIZE).contains(&(p.cast::<u8>() as usize))
}

#[test]
fn collections_live_in_our_heap() {
    let boxed = Box::new(42u64);
    let mut v: Vec<u32> = (0..10_000).collect();
    let s = String::from("kestrel");
    let mut map = BTreeMap::new();
    for i in 0..1000 {
        map.insert(i, i.to_string());
    }
    assert!(in_arena(&*boxed) && in_arena(v.as_ptr()) && in_arena(s.as_ptr()));
    v.retain(|x| x % 3 == 0);
    v.shrink_to_fit();
    assert_eq!(
        v.iter().map(|&x| x as u64).sum::<u64>(),
        (0..10_000).filter(|x| x % 3 == 0).sum()
    );
    assert_eq!(map[&999], "999");
    assert!(HEAP.lock().stats().allocs > 1000);
}

#[test]
fn threads_share_the_heap() {
    let shared = Arc::new(vec![7u8; 100]);
    let workers: Vec<_> = (0..4u64)
        .map(|t| {
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                let mut blocks: Vec<Vec<u64>> = Vec::new();
                for i in 0..20_000u64 {
                    let n = ((i * 7919 + t) % 300) as usize;
                    blocks.push(vec![i ^ t; n]);
                    if i % 3 == 0 {
                        let gone = blocks.swap_remove((i as usize * 31) % blocks.len());
                        assert!(
                            gone.iter()
                                .all(|&x| x == gone.first().copied().unwrap_or(0))
                        );
                    }
                }
                assert_eq!(shared.len(), 100);
                blocks.iter().map(|b| b.len()).sum::<usize>()
            })
        })
        .collect();
    for w in workers {
        assert!(w.join().unwrap() > 0);
    }
}

#[test]
fn global_alloc_calls_with_vec_like_growth() {
    let mut layout = Layout::from_size_align(8, 8).unwrap();
    // SAFETY: each call passes the block's current layout; sizes are nonzero.
    unsafe {
        let mut p = HEAP.alloc(layout);
        assert!(!p.is_null());
        p.write_bytes(0xAB, 8);
        while layout.size() < 1 << 20 {
            let new_size = layout.size() * 2;
            p = HEAP.realloc(p, layout, new_size);
            assert!(!p.is_null());
            assert!(
                std::slice::from_raw_parts(p, layout.size())
                    .iter()
                    .all(|&b| b == 0xAB)
            );
            p.add(layout.size())
                .write_bytes(0xAB, new_size - layout.size());
            layout = Layout::from_size_align(new_size, 8).unwrap();
        }
        HEAP.dealloc(p, layout);
    }
}

#[test]
fn out_of_memory_is_a_value_not_a_crash() {
    let huge = Layout::from_size_align(ARENA_SIZE * 2, 8).unwrap();
    // SAFETY: the layout has a nonzero size.
    assert!(unsafe { HEAP.alloc(huge) }.is_null());
    let failed = HEAP.lock().stats().failed;
    assert!(failed >= 1);
    let mut v: Vec<u8> = Vec::new();
    let error: TryReserveError = v.try_reserve(ARENA_SIZE * 2).unwrap_err();
    assert!(error.to_string().contains("memory allocation"), "{error}");
    assert!(HEAP.lock().stats().failed > failed);
    v.push(1); // still works
    assert_eq!(v, [1]);
}
