//! A task's shared header and its waker.
//!
//! A waker has one job: put its task's id in the ready queue. It must be
//! cheap to clone, callable from any thread or interrupt handler, and must
//! outlive the task if someone keeps it (a timer, a device driver). So the
//! waker is an `Arc` of a small `Header`: the task's id, its state flags and
//! a reference to the ready queue. We build it with the standard
//! [`alloc::task::Wake`] trait, which turns an `Arc<impl Wake>` into a
//! `Waker` with a correct vtable and no `unsafe` code of ours; a hand-made
//! `RawWaker` vtable would do the same with four unsafe functions.
//!
//! # The `QUEUED` flag
//!
//! Waking sets `QUEUED`; only the waker that changes it from clear to set
//! pushes the id. So however often a task is woken before it runs, it is in
//! the queue once, and is polled once. The executor clears the flag just
//! *before* polling, so a wake-up that arrives during the poll (or after)
//! queues the task again: no wake-up is lost.
//!
//! # The `DONE` flag
//!
//! Set when the task has finished. Waking a finished task does nothing. If
//! the task was queued when it finished (it woke itself, then completed), its
//! id is still in the queue: the executor keeps the task's record until it
//! pops that id, so that every id in the queue belongs to a record the
//! executor counts against its capacity.
//!
//! Waking never allocates; but dropping a `Waker` may free the `Header` if it
//! was the last reference. The executor holds one reference until the task
//! is gone, so a waker dropped by an interrupt handler is only the last one if
//! the handler kept it past the task's end — the async sources in this crate
//! drop their wakers in task context when their future is dropped.

use crate::ready_queue::ReadyQueue;
use alloc::sync::Arc;
use alloc::task::Wake;
use core::sync::atomic::{AtomicU8, Ordering};

/// A task's identity: handed out in increasing order, never reused, so a
/// stale id in the queue can never name another task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(pub u64);

const QUEUED: u8 = 1;
const DONE: u8 = 2;

pub(crate) struct Header {
    pub(crate) id: TaskId,
    flags: AtomicU8,
    queue: Arc<ReadyQueue>,
    /// Called after a push, e.g. to wake the thread that runs the executor.
    notify: Option<fn()>,
}

impl Header {
    /// A header for a task that starts out queued (the caller pushes its id).
    pub(crate) fn new_queued(id: TaskId, queue: Arc<ReadyQueue>, notify: Option<fn()>) -> Self {
        Header {
            id,
            flags: AtomicU8::new(QUEUED),
            queue,
            notify,
        }
    }

    /// Before polling: later wake-ups must queue the task again.
    pub(crate) fn clear_queued(&self) {
        self.flags.fetch_and(!QUEUED, Ordering::AcqRel);
    }

    /// Marks the task finished; true if its id is still in the queue.
    pub(crate) fn finish(&self) -> bool {
        self.flags.fetch_or(DONE, Ordering::AcqRel) & QUEUED != 0
    }

    pub(crate) fn is_done(&self) -> bool {
        self.flags.load(Ordering::Acquire) & DONE != 0
    }

    fn schedule(&self) {
        let before = self.flags.fetch_or(QUEUED, Ordering::AcqRel);
        if before & (QUEUED | DONE) != 0 {
            return; // already queued, or finished
        }
        if self.queue.push(self.id.0).is_err() {
            // Impossible: one slot per task, each task queued at most once.
            panic!("executor ready queue overflow: task {:?}", self.id);
        }
        if let Some(notify) = self.notify {
            notify();
        }
    }
}

impl Wake for Header {
    fn wake(self: Arc<Self>) {
        self.schedule();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.schedule();
    }
}
