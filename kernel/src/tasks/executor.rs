//! Async tasks in the kernel: one executor, run by one kernel thread.
//!
//! The `executor` crate knows how to poll futures; this module gives it a
//! home. An essential kernel thread called `async` owns the one
//! [`Executor`] and loops:
//!
//! 1. move the futures spawned since last time into the executor;
//! 2. `run_ready()`: poll each task that was woken;
//! 3. block on a [`WaitQueue`] while nothing is queued.
//!
//! Every wake-up that queues a task also calls the executor's `notify`
//! function, which wakes the `async` thread, from wherever the wake came
//! from: another task, another thread, an interrupt handler (the timer
//! below, the input stream in `input_stream.rs`). Step 3 is one call,
//! `wait_while(|| nothing queued)`, which checks and blocks with interrupts
//! off: a wake-up either comes before the check (the thread does not block)
//! or after it is on the wait queue (the wake finds it). None is lost.
//!
//! # Who may touch the executor
//!
//! Only the `async` thread. The executor is not thread-safe (its task table
//! is a `RefCell`, and the crate's `JoinHandle` shares an `Rc` with its task);
//! a thread preempted in the middle of changing it would leave it half
//! changed for the next one. So [`spawn`], from a thread or from a task, does
//! not call the executor: it puts the boxed future in an *inbox* (the crate's
//! channel, whose `try_send` is safe anywhere) and wakes the `async` thread,
//! which moves it into the executor in step 1. Futures cross from one thread
//! to another there, so they must be `Send`. The [`JoinHandle`] returned is
//! ours and thread-safe: a thread waits for the result with
//! [`JoinHandle::join`] (it blocks, on a `WaitQueue`), a task `.await`s it.
//!
//! # Time
//!
//! [`sleep`] is a future that completes once the clock (`time::now_ns`) has
//! passed a deadline. The sleeping tasks' wakers wait in a `TimerQueue`,
//! which the timer interrupt handler fires on every tick
//! ([`on_timer_tick`]), so a sleep ends at the first tick after its deadline.
//!
//! A task must never block its thread (`thread::sleep`, a kernel `Mutex`,
//! `join`): that would stop every other task with it. It awaits instead.

use super::scheduler;
use super::thread::{self, ThreadId};
use super::wait_queue::WaitQueue;
use crate::sync::IrqMutex;
use crate::time;
use ::executor::{Executor, Receiver, Sender, Sleep, TimerQueue, channel};
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use core::task::{Context, Poll, Waker};
use core::time::Duration;
use spin::Once;

/// Tasks that may exist at once (spawned and not finished).
pub const MAX_TASKS: usize = 1024;

/// A spawned future on its way to the executor.
type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Where [`spawn`] leaves new tasks for the `async` thread.
static INBOX: Once<Sender<Job>> = Once::new();
/// The `async` thread waits here while it has nothing to do.
static IDLE: WaitQueue = WaitQueue::new();
/// Tasks spawned and not finished (the inbox's included).
static TASKS: AtomicUsize = AtomicUsize::new(0);
/// Polls done so far, published by the `async` thread after each round.
static POLLS: AtomicU64 = AtomicU64::new(0);
static THREAD: Once<ThreadId> = Once::new();
/// Sleeping tasks, by deadline in nanoseconds of `time::now_ns`.
static TIMERS: TimerQueue = TimerQueue::new(time::now_ns);

/// Why a future could not be spawned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// [`init`] has not run.
    NotStarted,
    /// [`MAX_TASKS`] tasks exist already.
    Full,
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            SpawnError::NotStarted => f.write_str("the executor is not running yet"),
            SpawnError::Full => write!(f, "too many async tasks (at most {MAX_TASKS})"),
        }
    }
}

/// Starts the `async` thread. Needs threads (`tasks::init`).
///
/// # Panics
/// If called twice, or if the thread cannot be created.
pub fn init() {
    assert!(INBOX.get().is_none(), "tasks::executor::init runs once");
    let (sender, inbox) = channel(MAX_TASKS);
    let handle = thread::spawn("async", move || run(inbox)).expect("a thread for the executor");
    scheduler::set_essential(handle.id());
    THREAD.call_once(|| handle.id());
    INBOX.call_once(|| sender);
    drop(handle); // detached: it never ends
    time::add_tick_listener(on_timer_tick);
}

/// The `async` thread's loop (see the module comment).
fn run(mut inbox: Receiver<Job>) {
    // The crate keeps the record of a task that finished while queued until
    // its id leaves the ready queue (the next round at the latest), so the
    // table gets room for twice the tasks that may be alive.
    let executor = Executor::with_notify(2 * MAX_TASKS, wake_async_thread);
    loop {
        while let Ok(job) = inbox.try_recv() {
            if let Err(error) = executor.try_spawn(job) {
                // Not expected (see above); its handle reports the drop.
                log::error!("async: {error}; a task was dropped");
            }
        }
        executor.run_ready();
        POLLS.store(executor.polls(), Ordering::Relaxed);
        IDLE.wait_while(|| executor.is_idle() && inbox.is_empty());
    }
}

/// The executor's `notify`: a task was queued (called from any context).
fn wake_async_thread() {
    IDLE.wake_one();
}

/// Runs `future` as an async task; the handle gives its result. Callable
/// from any thread and from tasks (not from interrupt handlers: it
/// allocates).
pub fn spawn<F>(future: F) -> Result<JoinHandle<F::Output>, SpawnError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let inbox = INBOX.get().ok_or(SpawnError::NotStarted)?;
    TASKS
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < MAX_TASKS).then_some(n + 1)
        })
        .map_err(|_| SpawnError::Full)?;
    let shared = Arc::new(Shared::new());
    let job: Job = Box::pin(run_task(future, Finish(Arc::clone(&shared))));
    // The inbox holds MAX_TASKS, and every job in it is counted in TASKS:
    // it has room. (If not, the refused job is dropped, which gives its
    // place in TASKS back.)
    inbox.try_send(job).map_err(|_| SpawnError::Full)?;
    // The inbox's receiver is not a task, so sending woke nobody: we do.
    wake_async_thread();
    Ok(JoinHandle { shared })
}

/// Spawns `future` and blocks the calling thread until it has finished.
///
/// # Panics
/// When called from a task (see [`JoinHandle::join`]).
pub fn block_on<F>(future: F) -> Result<F::Output, SpawnError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Ok(spawn(future)?.join())
}

/// The task itself: the future, then its output handed to the handle.
/// `finish` is dropped when the task ends, or if it is dropped unfinished.
async fn run_task<F: Future>(future: F, finish: Finish<F::Output>) {
    let output = future.await;
    finish.0.slot.lock().output = Some(output);
}

/// What a task and its [`JoinHandle`] share.
struct Shared<T> {
    slot: IrqMutex<Slot<T>>,
    /// The task has ended (set with `slot` locked).
    done: AtomicBool,
    /// Threads waiting in `join`.
    joiners: WaitQueue,
}

struct Slot<T> {
    output: Option<T>,
    /// The task awaiting the handle, if any.
    waker: Option<Waker>,
}

impl<T> Shared<T> {
    fn new() -> Shared<T> {
        Shared {
            slot: IrqMutex::new(Slot {
                output: None,
                waker: None,
            }),
            done: AtomicBool::new(false),
            joiners: WaitQueue::new(),
        }
    }

    fn take_output(slot: &mut Slot<T>) -> T {
        slot.output
            .take()
            .expect("the task was dropped unfinished, or its output was taken already")
    }
}

/// Ends a task: wakes whoever waits for it and frees its place.
struct Finish<T>(Arc<Shared<T>>);

impl<T> Drop for Finish<T> {
    fn drop(&mut self) {
        // First, so that whoever we wake sees the place free.
        TASKS.fetch_sub(1, Ordering::AcqRel);
        let waker = {
            let mut slot = self.0.slot.lock();
            self.0.done.store(true, Ordering::Release);
            slot.waker.take()
        };
        self.0.joiners.wake_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The result of a task started with [`spawn`]. Dropping it lets the task
/// run on; its output is then dropped.
pub struct JoinHandle<T> {
    shared: Arc<Shared<T>>,
}

impl<T> JoinHandle<T> {
    /// The task has ended.
    pub fn is_finished(&self) -> bool {
        self.shared.done.load(Ordering::Acquire)
    }

    /// Blocks the calling thread until the task has finished, and returns
    /// its output.
    ///
    /// # Panics
    /// When called from a task: blocking the `async` thread would stop the
    /// task being waited for. A task `.await`s the handle instead.
    pub fn join(self) -> T {
        assert!(
            !on_async_thread(),
            "join() in a task would block the executor: await the handle instead"
        );
        let shared = &self.shared;
        shared
            .joiners
            .wait_while(|| !shared.done.load(Ordering::Acquire));
        Shared::take_output(&mut shared.slot.lock())
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.shared.slot.lock();
        if self.shared.done.load(Ordering::Acquire) {
            return Poll::Ready(Shared::take_output(&mut slot));
        }
        if !slot.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            slot.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// Whether the running thread is the `async` thread (so: inside a task).
pub fn on_async_thread() -> bool {
    THREAD
        .get()
        .is_some_and(|&id| scheduler::current() == Some(id))
}

/// The `async` thread, once [`init`] has run.
pub fn thread_id() -> Option<ThreadId> {
    THREAD.get().copied()
}

/// A future that completes `duration` from now (at the first timer tick
/// after that).
pub fn sleep(duration: Duration) -> Sleep<'static> {
    let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
    TIMERS.sleep(nanos)
}

/// A future that completes once `time::now_ns() >= deadline_ns`.
pub fn sleep_until(deadline_ns: u64) -> Sleep<'static> {
    TIMERS.sleep_until(deadline_ns)
}

/// Called at every timer tick (a `time` tick listener, in the interrupt
/// handler): wakes the tasks whose sleep is over. Never allocates, never
/// blocks.
pub fn on_timer_tick() {
    TIMERS.fire_expired(time::now_ns());
}

/// Figures for `ps`-like reports and for tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Tasks spawned and not finished.
    pub tasks: usize,
    /// Polls done by the executor, up to its last round.
    pub polls: u64,
    /// Tasks waiting in [`sleep`].
    pub sleeping: usize,
}

pub fn stats() -> Stats {
    Stats {
        tasks: TASKS.load(Ordering::Acquire),
        polls: POLLS.load(Ordering::Relaxed),
        sleeping: TIMERS.len(),
    }
}
