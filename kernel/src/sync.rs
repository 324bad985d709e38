//! Locks that interrupt handlers cannot deadlock on.
//!
//! On one CPU a spinlock can only deadlock one way: code holds the lock, an
//! interrupt arrives, and the handler spins on the same lock forever, because the
//! code that would release it cannot run until the handler returns. [`IrqMutex`]
//! rules that out by disabling interrupts for as long as the lock is held, and
//! restoring the previous interrupt state when the guard is dropped (so nested
//! locks work: only the outermost guard turns interrupts back on).

use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use spin::{Mutex, MutexGuard};
use x86_64::instructions::interrupts;

/// A spinlock that keeps interrupts disabled while it is held.
pub struct IrqMutex<T> {
    inner: Mutex<T>,
}

/// Access to the data of a locked [`IrqMutex`]; unlocks (and restores the
/// interrupt flag) when dropped.
pub struct IrqMutexGuard<'a, T> {
    guard: ManuallyDrop<MutexGuard<'a, T>>,
    were_enabled: bool,
}

impl<T> IrqMutex<T> {
    pub const fn new(value: T) -> Self {
        IrqMutex {
            inner: Mutex::new(value),
        }
    }

    /// The data, out of a lock that nobody else can reach any more.
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }

    /// Disables interrupts, then takes the lock.
    pub fn lock(&self) -> IrqMutexGuard<'_, T> {
        let were_enabled = interrupts::are_enabled();
        interrupts::disable();
        IrqMutexGuard {
            guard: ManuallyDrop::new(self.inner.lock()),
            were_enabled,
        }
    }

    /// Like [`lock`](Self::lock), but gives up at once if the lock is taken
    /// (for reports printed from a panic, when the holder may never return).
    pub fn try_lock(&self) -> Option<IrqMutexGuard<'_, T>> {
        let were_enabled = interrupts::are_enabled();
        interrupts::disable();
        match self.inner.try_lock() {
            Some(guard) => Some(IrqMutexGuard {
                guard: ManuallyDrop::new(guard),
                were_enabled,
            }),
            None => {
                if were_enabled {
                    interrupts::enable();
                }
                None
            }
        }
    }
}

impl<T> Deref for IrqMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for IrqMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T> Drop for IrqMutexGuard<'_, T> {
    fn drop(&mut self) {
        // Unlock first, then let interrupts in: the other order would open a
        // window in which a handler could find the lock still taken.
        // SAFETY: `guard` is dropped exactly once, here, and never used after.
        unsafe { ManuallyDrop::drop(&mut self.guard) };
        if self.were_enabled {
            interrupts::enable();
        }
    }
}
