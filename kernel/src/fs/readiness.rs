//! Readiness changes: how a sleeping `poll` learns that a file may be ready.
//!
//! `poll` watches several files at once, with a timeout, so it cannot sleep
//! on one file's wait queue. Instead, whatever can make a file readable or
//! writable (bytes or a close on a pipe, a key typed at the console) calls
//! [`changed`], and a sleeping `poll` sleeps until its deadline unless
//! something changed:
//!
//! 1. it notes the count of changes ([`count`]) and looks at its files;
//! 2. if none is ready it registers its thread ([`Registration`]) and sleeps
//!    until its deadline, but only if the count is still the one it noted
//!    (checked with the scheduler locked, in the same step as the sleep);
//! 3. [`changed`] bumps the count and wakes every registered thread early
//!    (`thread::interrupt`), which looks at its files again.
//!
//! A change before step 2's check stops the sleep; one after it finds the
//! thread asleep and wakes it. Waking every poller at every change is fine
//! for a handful of them; when nobody polls, [`changed`] costs one atomic
//! increment and one load.

use crate::sync::IrqMutex;
use crate::tasks::thread::{self, ThreadId};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

static CHANGES: AtomicU64 = AtomicU64::new(0);
/// Threads asleep in `poll` (a thread appears once per call in progress).
static POLLERS: IrqMutex<Vec<ThreadId>> = IrqMutex::new(Vec::new());
/// `POLLERS.len()`, readable without the lock.
static POLLING: AtomicUsize = AtomicUsize::new(0);

/// Says that some file may have become ready; wakes the pollers. Safe in
/// interrupt handlers.
pub fn changed() {
    CHANGES.fetch_add(1, Ordering::SeqCst);
    if POLLING.load(Ordering::SeqCst) == 0 {
        return;
    }
    for &id in POLLERS.lock().iter() {
        thread::interrupt(id);
    }
}

/// How many changes there have been.
pub fn count() -> u64 {
    CHANGES.load(Ordering::SeqCst)
}

/// The calling thread is woken by [`changed`] while this lives.
pub struct Registration {
    id: ThreadId,
}

impl Registration {
    pub fn register() -> Registration {
        let id = thread::current();
        POLLERS.lock().push(id);
        POLLING.fetch_add(1, Ordering::SeqCst);
        Registration { id }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut pollers = POLLERS.lock();
        if let Some(at) = pollers.iter().position(|&id| id == self.id) {
            pollers.swap_remove(at);
            POLLING.fetch_sub(1, Ordering::SeqCst);
        }
    }
}
