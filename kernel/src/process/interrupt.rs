//! Sleeping in a system call that a kill can cut short.
//!
//! A process that is killed while its thread is in the kernel is not ended
//! from outside (it may hold locks or memory, see `signal.rs`): the kill is
//! left in its record, and it ends itself on its way back to ring 3. That
//! only works if it gets there. A thread asleep in a pipe read or a `poll`
//! could wait for ever, so such waits go through this module:
//!
//! - [`wait_while`] sleeps on a wait queue while a condition holds, and
//!   returns `Err(Killed)` as soon as the process has a kill pending;
//! - [`sleep_until_if`] sleeps until a deadline, for `poll`.
//!
//! `kill` wakes the thread early ([`wake_killed`], `thread::interrupt`).
//! The lost wake-up (the kill arrives between our look at the record and
//! our sleep) is closed as in `wait.rs`: kills bump a counter, and the
//! sleep only happens if the counter is unchanged, a check made with the
//! scheduler locked, in the same step as going to sleep.

use super::table;
use crate::tasks::thread::{self, ThreadId};
use crate::tasks::wait_queue::WaitQueue;
use core::sync::atomic::{AtomicU64, Ordering};

/// How many kills of threads in the kernel there have been.
static KILLS: AtomicU64 = AtomicU64::new(0);

/// The calling process was killed while it waited: the system call gives up
/// (with any error: the process ends before the program sees it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Killed;

/// Whether the calling process has a kill pending.
pub fn killed() -> bool {
    table::with_current(|_, p| p.kill.is_some()).unwrap_or(false)
}

/// Tells a sleeper of thread `id` that its process was killed.
pub(super) fn wake_killed(id: Option<ThreadId>) {
    KILLS.fetch_add(1, Ordering::SeqCst);
    if let Some(id) = id {
        thread::interrupt(id);
    }
}

/// Sleeps on `queue` while `condition()` is true (a quick check, as for
/// `WaitQueue::wait_while`); `Err(Killed)` if the process is killed first.
pub fn wait_while(queue: &WaitQueue, mut condition: impl FnMut() -> bool) -> Result<(), Killed> {
    loop {
        let seen = KILLS.load(Ordering::SeqCst);
        if killed() {
            return Err(Killed);
        }
        if !condition() {
            return Ok(());
        }
        queue.sleep_if(|| condition() && KILLS.load(Ordering::SeqCst) == seen);
    }
}

/// Sleeps until the clock reaches `deadline` if `condition()` is true,
/// returning earlier if woken (`thread::interrupt`); `Err(Killed)` if the
/// process has been killed.
pub fn sleep_until_if(deadline: u64, condition: impl FnOnce() -> bool) -> Result<(), Killed> {
    let seen = KILLS.load(Ordering::SeqCst);
    if killed() {
        return Err(Killed);
    }
    thread::sleep_until_if(deadline, || {
        condition() && KILLS.load(Ordering::SeqCst) == seen
    });
    if killed() { Err(Killed) } else { Ok(()) }
}
