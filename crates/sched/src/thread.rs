//! What the scheduler knows about one thread.
//!
//! A thread is always in exactly one [`State`]. The state says which queue the
//! thread sits in, and the scheduler keeps the two in agreement:
//!
//! | state                    | where the thread is                          |
//! |--------------------------|----------------------------------------------|
//! | `Running`                | nowhere: it is `Scheduler::current()`        |
//! | `Ready`                  | the ready queue, exactly once (idle: nowhere)|
//! | `Sleeping { until }`     | the sleep queue, under its deadline          |
//! | `Blocked(Wait(key))`     | the wait queue of `key`                      |
//! | `Blocked(Join(target))`  | nowhere: `target` names it as its joiner     |
//! | `Exited(status)`         | nowhere: a record kept until it is reaped    |
//!
//! Thread ids are never reused, so an id that is still written down somewhere
//! (a shell's `kill 7`, a join handle) can never name a different thread.

use alloc::string::String;

/// A thread's identity: a number handed out in increasing order, never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ThreadId(pub u64);

/// The idle thread: it exists from the start, runs when nothing else is ready,
/// and can never block, exit or be killed.
pub const IDLE: ThreadId = ThreadId(0);

/// What a wait queue is named by. The kernel uses the address of the object
/// being waited for (a mutex, a semaphore), as Unix's `sleep(chan)` /
/// `wakeup(chan)` always has: any object has one, and no registration is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WaitKey(pub usize);

impl WaitKey {
    /// The key named by the address of `object`. The object must not move
    /// while threads wait on it (it is borrowed by them, so it cannot).
    pub fn of<T: ?Sized>(object: &T) -> WaitKey {
        WaitKey(object as *const T as *const u8 as usize)
    }
}

/// Why a thread is blocked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockReason {
    /// In the wait queue of this key, until `wake_one`/`wake_all`.
    Wait(WaitKey),
    /// Waiting for that thread to exit.
    Join(ThreadId),
}

/// How a thread ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Its function returned this code.
    Returned(i64),
    /// `kill` removed it.
    Killed,
    /// It panicked or caused a CPU exception; the kernel reported it.
    Crashed,
}

/// The scheduling state of a thread; see the module comment for the queue each
/// state implies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Ready,
    Running,
    Blocked(BlockReason),
    /// Asleep until the clock reaches `until` (same unit as every `now`).
    Sleeping {
        until: u64,
    },
    Exited(ExitStatus),
}

impl State {
    /// A short name for listings such as the shell's `ps`: `running`,
    /// `ready`, `sleeping`, `blocked(wait)`, `blocked(join)`, `exited`,
    /// `exited(killed)`, `exited(crashed)`.
    pub fn name(&self) -> &'static str {
        match self {
            State::Running => "running",
            State::Ready => "ready",
            State::Sleeping { .. } => "sleeping",
            State::Blocked(BlockReason::Wait(_)) => "blocked(wait)",
            State::Blocked(BlockReason::Join(_)) => "blocked(join)",
            State::Exited(ExitStatus::Returned(_)) => "exited",
            State::Exited(ExitStatus::Killed) => "exited(killed)",
            State::Exited(ExitStatus::Crashed) => "exited(crashed)",
        }
    }
}

/// One thread's record. `T` is whatever the kernel keeps per thread (its saved
/// stack pointer, its stack); the scheduler never looks inside it.
#[derive(Debug)]
pub struct Thread<T> {
    pub(crate) id: ThreadId,
    pub(crate) name: String,
    pub(crate) state: State,
    pub(crate) cpu_time: u64,
    /// The thread that called `join` on this one, if any.
    pub(crate) joiner: Option<ThreadId>,
    /// The thread this one called `join` on and has not reaped yet.
    pub(crate) joining: Option<ThreadId>,
    /// Nobody will join: reap automatically once exited (`take_dead`).
    pub(crate) detached: bool,
    pub(crate) data: T,
}

impl<T> Thread<T> {
    pub fn id(&self) -> ThreadId {
        self.id
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn state(&self) -> State {
        self.state
    }
    /// Time this thread has been `Running`, in the unit of `now`.
    pub fn cpu_time(&self) -> u64 {
        self.cpu_time
    }
    pub fn data(&self) -> &T {
        &self.data
    }
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }
}

/// An exited thread, removed from the scheduler by `join`, `detach` or
/// `take_dead`: the kernel can now free its stack (it is not running on it).
#[derive(Debug)]
pub struct Reaped<T> {
    pub id: ThreadId,
    pub name: String,
    pub status: ExitStatus,
    pub cpu_time: u64,
    pub data: T,
}
