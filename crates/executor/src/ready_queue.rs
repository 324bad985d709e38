//! The ready queue: task ids waiting to be polled, safe to push to from an
//! interrupt handler or another CPU.
//!
//! # Why lock-free
//!
//! A waker may run inside an interrupt handler that interrupted the executor
//! (or another waker) in the middle of using this queue. With a lock, the
//! handler would spin forever on a lock its own CPU holds. So the queue uses no
//! lock and never allocates: a fixed ring of slots, claimed with atomic
//! compare-and-swap.
//!
//! # How it works
//!
//! Each slot has a *sequence* number telling whose turn it is. For the
//! position `pos` (a counter that only grows; the slot is `pos % capacity`):
//! - `sequence == pos`: empty, a producer at `pos` may fill it;
//! - `sequence == pos + 1`: full, the consumer at `pos` may take it;
//! - after taking, the consumer sets `sequence = pos + capacity`, which is the
//!   "empty" value for the producer one lap later.
//!
//! A producer first claims its position by advancing `tail` with
//! compare-and-swap (so two producers never get the same slot), then writes
//! the id, then publishes it by storing the sequence with `Release` ordering;
//! the consumer reads the sequence with `Acquire` before the id, so it never
//! sees a half-written entry. A producer that was interrupted between claiming
//! and publishing leaves a gap: the consumer stops there until it is filled.
//! `is_empty` counts claimed entries, so the executor does not go to sleep
//! while such a push is in flight. (This is the bounded queue design credited
//! to Dmitry Vyukov.)
//!
//! # The bound
//!
//! The queue never fills up in the executor, by construction: it has one slot
//! per task the executor may hold, and a task's "queued" flag lets its id in
//! at most once (see `task.rs`). `push` still reports `Full` rather than
//! overwrite anything.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// `push` found no free slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

struct Slot {
    sequence: AtomicUsize,
    id: AtomicU64,
}

pub struct ReadyQueue {
    slots: Box<[Slot]>,
    /// Next position to fill.
    tail: AtomicUsize,
    /// Next position to take.
    head: AtomicUsize,
}

impl ReadyQueue {
    /// A queue with room for `capacity` ids (at least 1).
    pub fn new(capacity: usize) -> ReadyQueue {
        let capacity = capacity.max(1);
        let slots: Vec<Slot> = (0..capacity)
            .map(|pos| Slot {
                sequence: AtomicUsize::new(pos),
                id: AtomicU64::new(0),
            })
            .collect();
        ReadyQueue {
            slots: slots.into_boxed_slice(),
            tail: AtomicUsize::new(0),
            head: AtomicUsize::new(0),
        }
    }

    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Appends `id`. Never blocks, never allocates; callable from interrupt
    /// handlers and from any thread.
    pub fn push(&self, id: u64) -> Result<(), Full> {
        let mut pos = self.tail.load(Ordering::Relaxed);
        loop {
            let slot = &self.slots[pos % self.slots.len()];
            let sequence = slot.sequence.load(Ordering::Acquire);
            if sequence == pos {
                // Empty and ours to take, unless another producer is faster.
                match self.tail.compare_exchange_weak(
                    pos,
                    pos.wrapping_add(1),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        slot.id.store(id, Ordering::Relaxed);
                        slot.sequence.store(pos.wrapping_add(1), Ordering::Release);
                        return Ok(());
                    }
                    Err(actual) => pos = actual,
                }
            } else if (sequence as isize).wrapping_sub(pos as isize) < 0 {
                // The slot still holds the entry from one lap ago.
                return Err(Full);
            } else {
                // Another producer took `pos` meanwhile.
                pos = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// Takes the oldest published id, or `None` if there is none (yet).
    pub fn pop(&self) -> Option<u64> {
        let mut pos = self.head.load(Ordering::Relaxed);
        loop {
            let slot = &self.slots[pos % self.slots.len()];
            let sequence = slot.sequence.load(Ordering::Acquire);
            let published = pos.wrapping_add(1);
            if sequence == published {
                match self.head.compare_exchange_weak(
                    pos,
                    published,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        let id = slot.id.load(Ordering::Relaxed);
                        let next_lap = pos.wrapping_add(self.slots.len());
                        slot.sequence.store(next_lap, Ordering::Release);
                        return Some(id);
                    }
                    Err(actual) => pos = actual,
                }
            } else if (sequence as isize).wrapping_sub(published as isize) < 0 {
                // Empty, or the producer of `pos` has not published yet.
                return None;
            } else {
                pos = self.head.load(Ordering::Relaxed);
            }
        }
    }

    /// Entries claimed by producers and not yet taken (including any whose
    /// push is still in progress).
    pub fn len(&self) -> usize {
        let head = self.head.load(Ordering::Acquire);
        let tail = self.tail.load(Ordering::Acquire);
        tail.wrapping_sub(head).min(self.slots.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn fifo_order_wrapping_around_the_ring_and_full() {
        let q = ReadyQueue::new(3);
        for lap in 0..5 {
            for i in 0..3 {
                q.push(lap * 10 + i).unwrap();
            }
            assert_eq!(q.push(99), Err(Full));
            assert_eq!(q.len(), 3);
            for i in 0..3 {
                assert_eq!(q.pop(), Some(lap * 10 + i));
            }
            assert_eq!(q.pop(), None);
            assert!(q.is_empty());
        }
    }

    #[test]
    fn many_producers_and_consumers_lose_and_duplicate_nothing() {
        const PER_THREAD: u64 = 20_000;
        let q = Arc::new(ReadyQueue::new(64));
        let producers: Vec<_> = (0..4u64)
            .map(|t| {
                let q = Arc::clone(&q);
                std::thread::spawn(move || {
                    for i in 0..PER_THREAD {
                        while q.push(t * PER_THREAD + i).is_err() {
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        let taken = Arc::new(AtomicUsize::new(0));
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let q = Arc::clone(&q);
                let taken = Arc::clone(&taken);
                std::thread::spawn(move || {
                    let mut got = Vec::new();
                    let mut last = [None; 4];
                    while taken.load(Ordering::Relaxed) < (4 * PER_THREAD) as usize {
                        match q.pop() {
                            Some(id) => {
                                taken.fetch_add(1, Ordering::Relaxed);
                                // Each producer's ids come out in order.
                                let t = (id / PER_THREAD) as usize;
                                assert!(last[t] < Some(id));
                                last[t] = Some(id);
                                got.push(id);
                            }
                            None => std::thread::yield_now(),
                        }
                    }
                    got
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        let mut all: Vec<u64> = consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        all.sort();
        assert_eq!(all, (0..4 * PER_THREAD).collect::<Vec<_>>());
        assert!(q.is_empty());
    }
}
