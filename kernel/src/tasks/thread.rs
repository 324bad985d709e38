//! Kernel threads: spawn, join, yield, sleep, exit, kill.
//!
//! A thread runs a closure on its own stack (32 KiB, with an unmapped guard
//! page below it, see `memory::stack`). [`spawn`] returns a [`JoinHandle`];
//! [`JoinHandle::join`] sleeps until the thread has finished and gives back
//! the closure's result, or says how the thread ended otherwise: killed, or
//! crashed (it panicked or caused a CPU exception, see `crash.rs`). Dropping
//! the handle detaches the thread: the idle thread frees its stack once it
//! ends.
//!
//! Threads are preempted by the timer, so a thread that never yields still
//! shares the CPU. Blocking calls ([`sleep`], `join`, the locks in this
//! folder) take the thread off the CPU until it can go on; nothing spins.
//!
//! A killed or crashed thread never returns from its closure: whatever its
//! stack frames owned (heap memory, held locks) stays as it was. (What the
//! kernel itself keeps for the thread, its start function and result slot,
//! lives in the thread's record and is freed when the thread is reaped; see
//! `scheduler::Start`.) That is why
//! [`kill`] is meant for threads that share no locks, such as the shell's
//! demo threads, and why kernel threads should prefer to check a stop flag.

use super::scheduler::{self, Start, ThreadData, schedule, with};
use crate::memory::stack;
use crate::sync::IrqMutex;
use crate::time;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;
use sched::{ExitStatus, Join, SchedError, State};

pub use sched::ThreadId;

/// Pages of stack a thread gets from [`spawn`] (32 KiB).
pub const STACK_PAGES: u64 = 8;

/// Why a thread could not be started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// No memory for its stack.
    OutOfMemory,
    /// [`super::init`] has not run.
    NotStarted,
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            SpawnError::OutOfMemory => "out of memory for a thread stack",
            SpawnError::NotStarted => "threads are not running yet",
        })
    }
}

/// How a thread ended, when it did not return a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadError {
    Killed,
    Crashed,
    /// It called [`exit`] with this code instead of returning.
    Exited(i64),
}

impl fmt::Display for ThreadError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            ThreadError::Killed => f.write_str("killed"),
            ThreadError::Crashed => f.write_str("crashed"),
            ThreadError::Exited(code) => write!(f, "exited with code {code}"),
        }
    }
}

/// The right to wait for a thread and collect its result.
pub struct JoinHandle<T> {
    id: ThreadId,
    result: Arc<IrqMutex<Option<T>>>,
    joined: bool,
}

/// Starts `f` in a new thread called `name`, ready to run.
pub fn spawn<F, T>(name: &str, f: F) -> Result<JoinHandle<T>, SpawnError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let result = Arc::new(IrqMutex::new(None));
    let slot = result.clone();
    let mut f = Some(f);
    // Called once (see `Start`); `f` moves out of it, `slot` stays in it.
    let start: Start = Box::new(move || {
        if let Some(f) = f.take() {
            let value = f();
            *slot.lock() = Some(value);
        }
    });
    let id = spawn_raw(name, STACK_PAGES, start)?;
    Ok(JoinHandle {
        id,
        result,
        joined: false,
    })
}

/// Starts `start` in a new thread with a stack of `pages` pages.
pub fn spawn_raw(name: &str, pages: u64, start: Start) -> Result<ThreadId, SpawnError> {
    if !scheduler::is_running() {
        return Err(SpawnError::NotStarted);
    }
    scheduler::free_dead_threads();
    let stack = stack::allocate(pages).map_err(|_| SpawnError::OutOfMemory)?;
    let data = ThreadData::new(stack, start);
    with(|s| s.spawn(name, data)).ok_or(SpawnError::NotStarted)
}

impl<T> JoinHandle<T> {
    /// The thread's id.
    pub fn id(&self) -> ThreadId {
        self.id
    }

    /// Whether the thread has ended (then `join` does not wait).
    pub fn is_finished(&self) -> bool {
        with(|s| matches!(s.thread(self.id).map(|t| t.state()), Some(State::Exited(_))))
            .unwrap_or(true)
    }

    /// Waits until the thread ends and returns its closure's result.
    pub fn join(mut self) -> Result<T, ThreadError> {
        self.joined = true;
        let reaped = loop {
            let outcome = schedule(|s, now| match s.join(now, self.id) {
                Ok(Join::Done(reaped)) => (None, Ok(Some(reaped))),
                Ok(Join::Wait(switch)) => (Some(switch), Ok(None)),
                Err(e) => (None, Err(e)),
            });
            // (Panicking inside `schedule` would leave the scheduler locked.)
            match outcome {
                Ok(Some(reaped)) => break reaped,
                Ok(None) => continue,
                Err(e) => panic!("joining thread {}: {e:?}", self.id.0),
            }
        };
        let status = reaped.status;
        scheduler::release(reaped); // outside the scheduler's lock
        match status {
            ExitStatus::Returned(_) => match self.result.lock().take() {
                Some(value) => Ok(value),
                None => Err(ThreadError::Exited(code_of(status))),
            },
            ExitStatus::Killed => Err(ThreadError::Killed),
            ExitStatus::Crashed => Err(ThreadError::Crashed),
        }
    }
}

fn code_of(status: ExitStatus) -> i64 {
    match status {
        ExitStatus::Returned(code) => code,
        _ => -1,
    }
}

impl<T> Drop for JoinHandle<T> {
    /// An unjoined handle detaches its thread: nobody will wait for it.
    fn drop(&mut self) {
        if self.joined {
            return;
        }
        // Reaped at once if it has already ended (dropped outside the lock).
        let reaped = with(|s| s.detach(self.id).ok().flatten()).flatten();
        if let Some(reaped) = reaped {
            scheduler::release(reaped);
        }
    }
}

/// Gives the CPU to the next ready thread, if there is one.
pub fn yield_now() {
    schedule(|s, now| (s.yield_current(now), ()));
}

/// Sleeps for at least `duration` (woken by the first timer tick after it).
pub fn sleep(duration: Duration) {
    let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
    sleep_until(time::now_ns().saturating_add(nanos));
}

/// Sleeps until the clock (`time::now_ns`) reaches `deadline`.
pub fn sleep_until(deadline: u64) {
    schedule(|s, now| (s.sleep_current(now, deadline), ()));
}

/// Sleeps until the clock reaches `deadline` if `condition()` is true
/// (checked with the scheduler locked, like a wait queue's condition), and
/// returns at the deadline or at an earlier [`interrupt`], whichever comes
/// first.
pub fn sleep_until_if(deadline: u64, condition: impl FnOnce() -> bool) {
    schedule(|s, now| {
        if condition() {
            (s.sleep_current(now, deadline), ())
        } else {
            (None, ())
        }
    });
}

/// Wakes thread `id` early if it sleeps or waits on a queue (see
/// `sched::Scheduler::interrupt`); whether it did. Safe in interrupt handlers.
pub fn interrupt(id: ThreadId) -> bool {
    with(|s| s.interrupt(id)).unwrap_or(false)
}

/// Ends the running thread with `code`, as if its closure had returned
/// (its joiner gets `ThreadError::Exited(code)`).
pub fn exit(code: i64) -> ! {
    scheduler::exit(ExitStatus::Returned(code))
}

/// The running thread.
pub fn current() -> ThreadId {
    scheduler::current().expect("tasks::init has run")
}

/// Why a thread could not be killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillError {
    NoSuchThread,
    AlreadyEnded,
    /// The idle thread, `main` (the shell) or another thread the kernel needs.
    Essential,
}

impl fmt::Display for KillError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            KillError::NoSuchThread => "no such thread",
            KillError::AlreadyEnded => "the thread has already ended",
            KillError::Essential => "the kernel needs this thread; it cannot be killed",
        })
    }
}

/// Ends thread `id` at once, wherever it is (see the module comment for what
/// that leaves behind). Killing the running thread does not return.
pub fn kill(id: ThreadId) -> Result<(), KillError> {
    schedule(|s, now| {
        let essential = s.thread(id).map(|t| t.data().is_essential());
        if essential.is_none() {
            return (None, Err(KillError::NoSuchThread));
        }
        if essential == Some(true) || id == sched::IDLE {
            return (None, Err(KillError::Essential));
        }
        match s.kill(now, id) {
            Ok(switch) => (switch, Ok(())),
            Err(SchedError::AlreadyExited) => (None, Err(KillError::AlreadyEnded)),
            Err(SchedError::Idle) => (None, Err(KillError::Essential)),
            Err(_) => (None, Err(KillError::NoSuchThread)),
        }
    })
}

/// One line of `ps`.
#[derive(Clone, Debug)]
pub struct ThreadInfo {
    pub id: ThreadId,
    pub name: String,
    pub state: State,
    pub cpu_ns: u64,
    pub stack_kib: u64,
}

/// All threads that have not been reaped, by id; CPU times charged up to now.
pub fn list() -> Vec<ThreadInfo> {
    scheduler::free_dead_threads();
    with(|s| {
        s.advance_time(time::now_ns());
        s.threads()
            .map(|t| ThreadInfo {
                id: t.id(),
                name: String::from(t.name()),
                state: t.state(),
                cpu_ns: t.cpu_time(),
                stack_kib: t.data().stack().map_or(0, |st| st.pages() * 4),
            })
            .collect()
    })
    .unwrap_or_default()
}
