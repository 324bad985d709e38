//! A condition variable: wait, with a [`Mutex`] held, until another thread
//! says the condition may have changed.
//!
//! `wait` must give the mutex up and go to sleep as one step: if a
//! `notify_one` came between the two, it would find nobody to wake, and the
//! waiter would sleep through the change it waits for. Here both happen in one
//! scheduling decision, under the scheduler's lock, with interrupts off. When
//! woken, `wait` takes the mutex again before returning. As everywhere, the
//! caller re-checks its condition in a loop: another thread may have changed
//! it again before the woken one runs.

use super::mutex::{Mutex, MutexGuard};
use super::scheduler::schedule;
use super::wait_queue::WaitQueue;

pub struct Condvar {
    waiters: WaitQueue,
}

impl Condvar {
    pub const fn new() -> Condvar {
        Condvar {
            waiters: WaitQueue::new(),
        }
    }

    /// Unlocks `guard`'s mutex, sleeps until notified, locks it again.
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let mutex: &'a Mutex<T> = guard.mutex();
        core::mem::forget(guard); // unlocked below, together with the sleep
        let key = self.waiters.key();
        schedule(|s, now| {
            mutex.unlock_raw();
            s.wake_one(mutex.waiters().key());
            (Some(s.wait(now, key)), ())
        });
        mutex.lock()
    }

    /// Wakes one waiting thread.
    pub fn notify_one(&self) {
        self.waiters.wake_one();
    }

    /// Wakes every waiting thread.
    pub fn notify_all(&self) {
        self.waiters.wake_all();
    }
}

impl Default for Condvar {
    fn default() -> Self {
        Condvar::new()
    }
}
