//! A counting semaphore: `acquire` takes a permit, sleeping while there is
//! none; `release` returns one and wakes a sleeper.
//!
//! With `n` permits it lets at most `n` threads into a section; with 0 it is
//! a signal: a consumer acquires what producers release, so it counts items
//! made and not yet taken (see the producer/consumer test). `release` never
//! sleeps, so an interrupt handler may call it.

use super::wait_queue::WaitQueue;
use core::sync::atomic::{AtomicUsize, Ordering};

pub struct Semaphore {
    permits: AtomicUsize,
    waiters: WaitQueue,
}

impl Semaphore {
    pub const fn new(permits: usize) -> Semaphore {
        Semaphore {
            permits: AtomicUsize::new(permits),
            waiters: WaitQueue::new(),
        }
    }

    /// Takes a permit, sleeping until one is available.
    pub fn acquire(&self) {
        while !self.try_acquire() {
            self.waiters
                .wait_while(|| self.permits.load(Ordering::Acquire) == 0);
        }
    }

    /// Takes a permit if one is available.
    pub fn try_acquire(&self) -> bool {
        self.permits
            .fetch_update(Ordering::Acquire, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Returns a permit and wakes one waiting thread.
    pub fn release(&self) {
        self.permits.fetch_add(1, Ordering::Release);
        self.waiters.wake_one();
    }

    /// Permits available now.
    pub fn available(&self) -> usize {
        self.permits.load(Ordering::Relaxed)
    }
}
