//! Waiting for children: `wait4`, and how a blocked process learns that
//! something changed.
//!
//! A parent that waits for a child sleeps until a child ends. Rather than a
//! queue per parent, there is one counter of *process events* (a process
//! ended, exec'd, or was sent a kill) and one wait queue. [`notify`] bumps
//! the counter and wakes everyone; a sleeper remembers the counter, looks
//! at the table, and sleeps only while the counter is unchanged
//! ([`wait_until`]). So an event between its look and its sleep is never
//! lost, and the table's lock is never taken under the scheduler's. (Every
//! waiter looks again at every event: fine for a few processes.)

use super::table::{self, PROCESSES};
use super::{Pid, WaitStatus};
use crate::tasks::wait_queue::WaitQueue;
use core::sync::atomic::{AtomicU64, Ordering};
use ptable::{Target, Wait};

static EVENTS: AtomicU64 = AtomicU64::new(0);
static QUEUE: WaitQueue = WaitQueue::new();

/// Says that something about processes changed; wakes every waiter
/// (console readers too: a signal may end their read).
pub(crate) fn notify() {
    EVENTS.fetch_add(1, Ordering::SeqCst);
    QUEUE.wake_all();
    crate::input::wake_readers();
}

/// Sleeps until `check` returns something, looking again after each event.
pub(crate) fn wait_until<R>(mut check: impl FnMut() -> Option<R>) -> R {
    loop {
        let seen = EVENTS.load(Ordering::SeqCst);
        if let Some(result) = check() {
            return result;
        }
        QUEUE.wait_while(|| EVENTS.load(Ordering::SeqCst) == seen);
    }
}

/// Why `wait` found no child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitError {
    /// No child matches (`-ECHILD`).
    NoChild,
    /// The caller was killed while it waited (it ends on its way out).
    Killed,
    /// A signal came for the caller while it waited (`ERESTARTSYS`).
    Interrupted,
    /// The caller is not a process.
    NotAProcess,
}

/// Reaps an ended child of the calling process that `target` accepts:
/// its pid and how it ended. With `no_hang`, `Ok(None)` if matching
/// children exist but none has ended; otherwise sleeps until one ends.
pub fn wait(target: Target, no_hang: bool) -> Result<Option<(Pid, WaitStatus)>, WaitError> {
    let found = wait_for_change(target, no_hang, 0)?;
    Ok(found.map(|(pid, found)| match found {
        Found::Ended(status) => (pid, status),
        Found::Changed(_) => unreachable!("no stop or continue was asked for"),
    }))
}

/// What [`wait_for_change`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// The child ended (and is reaped).
    Ended(WaitStatus),
    /// The child stopped or continued (it stays).
    Changed(super::stop::Change),
}

impl Found {
    /// The `wait4` status word.
    pub fn word(self) -> u32 {
        match self {
            Found::Ended(status) => status.word(),
            Found::Changed(change) => change.word(),
        }
    }
}

/// [`wait`], also reporting children that stopped (`options` has
/// `WUNTRACED`) or continued (`WCONTINUED`), as `wait4` does.
pub fn wait_for_change(
    target: Target,
    no_hang: bool,
    options: u64,
) -> Result<Option<(Pid, Found)>, WaitError> {
    let me = table::current_pid().ok_or(WaitError::NotAProcess)?;
    wait_until(|| {
        let mut processes = PROCESSES.lock();
        if processes
            .table
            .get(me)
            .is_some_and(|e| e.data.kill.is_some())
        {
            return Some(Err(WaitError::Killed));
        }
        let changed = super::stop::take_change(&mut processes.table, me, target, options);
        if let Some((pid, change)) = changed {
            return Some(Ok(Some((pid, Found::Changed(change)))));
        }
        match processes.table.wait(me, target) {
            Wait::Reaped(pid, status, record) => {
                drop(processes);
                drop(record); // (its memory went when it ended)
                Some(Ok(Some((pid, Found::Ended(status)))))
            }
            Wait::NotYet if no_hang => Some(Ok(None)),
            Wait::NotYet => {
                let mine = super::signal::own_signals();
                let blocked = super::signal::blocked_by_me();
                let signaled = processes
                    .table
                    .get(me)
                    .is_some_and(|e| (e.data.pending | mine) & !blocked != 0);
                signaled.then_some(Err(WaitError::Interrupted))
            }
            Wait::NoChild => Some(Err(WaitError::NoChild)),
        }
    })
}
