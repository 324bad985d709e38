//! Wait queues: how a thread sleeps until something changes.
//!
//! A thread that cannot go on (a lock is taken, a queue is empty) should leave
//! the CPU, and whoever changes the situation should wake it. The danger is
//! the *lost wake-up*: the thread checks ("locked"), the holder unlocks and
//! wakes nobody (nobody waits yet), then the thread goes to sleep, forever.
//!
//! [`WaitQueue::wait_while`] closes that gap by checking the condition and
//! joining the queue in one step, with interrupts off and the scheduler
//! locked; wakers change the state first and then wake, taking the same lock.
//! On our one CPU nothing can run between the check and the sleep, so a
//! change either comes before the check (the thread does not sleep) or after
//! it is queued (the wake finds it).
//!
//! The queue itself is kept by the scheduler, under a key made from this
//! object's address (like Unix `sleep(chan)`/`wakeup(chan)`), so a
//! `WaitQueue` is one byte and `new` is `const`.

use super::scheduler::{schedule, with};
use sched::WaitKey;

/// A place to wait; see the module comment.
pub struct WaitQueue {
    /// Not zero-sized, so that two queues never share an address.
    _byte: u8,
}

impl WaitQueue {
    pub const fn new() -> WaitQueue {
        WaitQueue { _byte: 0 }
    }

    pub(super) fn key(&self) -> WaitKey {
        WaitKey::of(self)
    }

    /// Sleeps as long as `condition()` is true. The condition is evaluated
    /// with interrupts off and the scheduler locked: it must be quick and
    /// must not lock anything that sleeps or takes the scheduler (atomics are
    /// the usual choice). Returns once it is false.
    pub fn wait_while(&self, mut condition: impl FnMut() -> bool) {
        let key = self.key();
        while schedule(|s, now| {
            if condition() {
                (Some(s.wait(now, key)), true)
            } else {
                (None, false)
            }
        }) {}
    }

    /// Sleeps once if `condition()` is true (checked as in
    /// [`wait_while`](Self::wait_while)), and returns after the first
    /// wake-up: of this queue, or an early one (`thread::interrupt`). For
    /// waits that must look at more than one thing when woken (a kill as
    /// well as the state they wait for); the caller loops.
    pub fn sleep_if(&self, condition: impl FnOnce() -> bool) {
        let key = self.key();
        schedule(|s, now| {
            if condition() {
                (Some(s.wait(now, key)), ())
            } else {
                (None, ())
            }
        });
    }

    /// Wakes the thread that has waited longest; whether there was one.
    /// Safe in interrupt handlers.
    pub fn wake_one(&self) -> bool {
        with(|s| s.wake_one(self.key()).is_some()).unwrap_or(false)
    }

    /// Wakes every waiting thread; how many there were. Safe in interrupt
    /// handlers.
    pub fn wake_all(&self) -> usize {
        with(|s| s.wake_all(self.key())).unwrap_or(0)
    }

    /// How many threads wait here.
    pub fn waiting(&self) -> usize {
        with(|s| s.waiters(self.key()).count()).unwrap_or(0)
    }
}

impl Default for WaitQueue {
    fn default() -> Self {
        WaitQueue::new()
    }
}
