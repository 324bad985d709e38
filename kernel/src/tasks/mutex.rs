//! A mutex that puts waiting threads to sleep.
//!
//! A spinlock wastes a waiting thread's whole time slice, and with
//! preemption the holder may be off the CPU for many slices. This mutex is a
//! flag plus a [`WaitQueue`]: `lock` takes the flag if it is free and
//! otherwise sleeps until an unlock wakes it, then tries again (a woken
//! thread may find that another one took the lock first; it waits again).
//!
//! Only threads may use it, never interrupt handlers (they cannot sleep):
//! those keep using `sync::IrqMutex`, which is also what protects the
//! scheduler itself.

use super::wait_queue::WaitQueue;
use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, Ordering};

pub struct Mutex<T> {
    locked: AtomicBool,
    waiters: WaitQueue,
    value: UnsafeCell<T>,
}

// SAFETY: the flag gives one thread at a time access to `value`, so sharing
// the mutex shares `T` only by moving access between threads: `T: Send`.
unsafe impl<T: Send> Sync for Mutex<T> {}
// SAFETY: as above; moving the mutex moves the `T`.
unsafe impl<T: Send> Send for Mutex<T> {}

/// Access to the value; unlocks (and wakes a waiter) when dropped.
pub struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
}

impl<T> Mutex<T> {
    pub const fn new(value: T) -> Mutex<T> {
        Mutex {
            locked: AtomicBool::new(false),
            waiters: WaitQueue::new(),
            value: UnsafeCell::new(value),
        }
    }

    /// Takes the lock, sleeping while another thread holds it.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        loop {
            if let Some(guard) = self.try_lock() {
                return guard;
            }
            self.waiters
                .wait_while(|| self.locked.load(Ordering::Acquire));
        }
    }

    /// Takes the lock if it is free.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| MutexGuard { mutex: self })
    }

    /// Releases the lock without a guard (for `Condvar::wait`).
    pub(super) fn unlock_raw(&self) {
        self.locked.store(false, Ordering::Release);
    }

    pub(super) fn waiters(&self) -> &WaitQueue {
        &self.waiters
    }
}

impl<'a, T> MutexGuard<'a, T> {
    pub(super) fn mutex(&self) -> &'a Mutex<T> {
        self.mutex
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this thread holds the lock.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes the access unique.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.unlock_raw();
        self.mutex.waiters.wake_one();
    }
}
