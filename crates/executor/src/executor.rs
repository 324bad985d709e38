//! The executor: owns the tasks and polls the ones that were woken.
//!
//! A task is a spawned future, boxed and pinned (`Pin<Box<dyn Future>>`) so it
//! can be stored next to tasks of other types and never moves once polled.
//! `run_ready` takes ids out of the ready queue and polls each of those tasks
//! once. A task that returns `Pending` has handed its waker to whatever it
//! waits for; it is not polled again until that waker puts its id back in the
//! queue. Nothing is polled "just in case": no busy polling.
//!
//! The executor belongs to one thread (it is not `Sync`), so tasks need not be
//! `Send`. Only the wakers cross threads and interrupts, and they touch nothing
//! but the lock-free ready queue and their task's flags.
//!
//! # Capacity
//!
//! The executor holds at most `capacity` task records and the ready queue has
//! exactly that many slots. Since each record's id is queued at most once, the
//! queue cannot overflow; `try_spawn` refuses new tasks beyond the capacity
//! instead. A finished task whose id is still queued keeps its record (and
//! its place in the count) until that id is popped.

use crate::join::{self, JoinHandle};
use crate::ready_queue::ReadyQueue;
use crate::task::{Header, TaskId};
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use core::cell::{Cell, RefCell};
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

/// `try_spawn` found the executor full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpawnError {
    pub capacity: usize,
}

impl core::fmt::Display for SpawnError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "the executor is full ({} tasks)", self.capacity)
    }
}

struct Task {
    /// `None` while the task is being polled, and once it has finished.
    future: Option<Pin<Box<dyn Future<Output = ()>>>>,
    header: Arc<Header>,
    waker: Waker,
}

pub struct Executor {
    queue: Arc<ReadyQueue>,
    tasks: RefCell<BTreeMap<TaskId, Task>>,
    next_id: Cell<u64>,
    capacity: usize,
    notify: Option<fn()>,
    polls: Cell<u64>,
}

impl Executor {
    /// An executor for up to `capacity` tasks at a time.
    pub fn new(capacity: usize) -> Executor {
        Executor::build(capacity, None)
    }

    /// Like `new`, and every wake-up that queues a task also calls `notify`
    /// (from whatever context woke it, interrupt handlers included). The
    /// kernel uses it to unblock the thread that runs the executor.
    pub fn with_notify(capacity: usize, notify: fn()) -> Executor {
        Executor::build(capacity, Some(notify))
    }

    fn build(capacity: usize, notify: Option<fn()>) -> Executor {
        let capacity = capacity.max(1);
        Executor {
            queue: Arc::new(ReadyQueue::new(capacity)),
            tasks: RefCell::new(BTreeMap::new()),
            next_id: Cell::new(0),
            capacity,
            notify,
            polls: Cell::new(0),
        }
    }

    /// Adds a task, ready to be polled by the next `run_ready`. Callable from
    /// inside a task.
    pub fn try_spawn<F>(&self, future: F) -> Result<JoinHandle<F::Output>, SpawnError>
    where
        F: Future + 'static,
    {
        let mut tasks = self.tasks.borrow_mut();
        if tasks.len() >= self.capacity {
            return Err(SpawnError {
                capacity: self.capacity,
            });
        }
        let (handle, future) = join::wrap(future);
        let id = TaskId(self.next_id.get());
        self.next_id.set(id.0 + 1);
        let header = Arc::new(Header::new_queued(id, Arc::clone(&self.queue), self.notify));
        let waker = Waker::from(Arc::clone(&header));
        let future: Pin<Box<dyn Future<Output = ()>>> = Box::pin(future);
        tasks.insert(
            id,
            Task {
                future: Some(future),
                header,
                waker,
            },
        );
        self.queue
            .push(id.0)
            .expect("a record was free, so a queue slot is");
        Ok(handle)
    }

    /// `try_spawn`, panicking with a clear message if the executor is full.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        match self.try_spawn(future) {
            Ok(handle) => handle,
            Err(error) => panic!("cannot spawn: {error}"),
        }
    }

    /// Polls, once each, the tasks that were in the ready queue when called
    /// (tasks woken meanwhile wait for the next call, so a task that keeps
    /// waking itself cannot make this loop forever). Returns how many tasks
    /// were polled.
    pub fn run_ready(&self) -> usize {
        let mut polled = 0;
        for _ in 0..self.queue.len() {
            let Some(id) = self.queue.pop() else {
                break; // a push still in progress: next time
            };
            if self.poll_task(TaskId(id)) {
                polled += 1;
            }
        }
        polled
    }

    /// Nothing to do: no task is queued (a push in progress counts as queued).
    /// See the crate documentation for how to halt safely on this answer.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty()
    }

    /// Tasks that have not finished.
    pub fn task_count(&self) -> usize {
        self.tasks
            .borrow()
            .values()
            .filter(|task| !task.header.is_done())
            .count()
    }

    /// Polls done so far (for statistics and tests).
    pub fn polls(&self) -> u64 {
        self.polls.get()
    }

    /// Polls task `id` once; false if it had already finished.
    fn poll_task(&self, id: TaskId) -> bool {
        let (mut future, waker) = {
            let mut tasks = self.tasks.borrow_mut();
            let task = tasks.get_mut(&id).expect("a queued id has a record");
            task.header.clear_queued();
            match task.future.take() {
                Some(future) => (future, task.waker.clone()),
                None => {
                    // Finished while queued: the record waited for this pop.
                    tasks.remove(&id);
                    return false;
                }
            }
        };
        // The task table is not borrowed here, so the task may spawn.
        self.polls.set(self.polls.get() + 1);
        let result = future.as_mut().poll(&mut Context::from_waker(&waker));
        let mut tasks = self.tasks.borrow_mut();
        let task = tasks
            .get_mut(&id)
            .expect("a task's record outlives its poll");
        match result {
            Poll::Pending => task.future = Some(future),
            Poll::Ready(()) => {
                if !task.header.finish() {
                    tasks.remove(&id);
                }
                // Drop the future (and whatever it owns) after releasing the
                // borrow: its destructors may use the executor.
                drop(tasks);
                drop(future);
            }
        }
        true
    }
}
