//! Doing several things at once: kernel threads and async tasks.
//!
//! - [`thread`]: threads with their own stacks, preempted by the timer:
//!   `spawn`, `join`, `yield_now`, `sleep`, `exit`, `kill`, `list`.
//! - [`scheduler`]: the one scheduler (the `sched` crate's bookkeeping) and
//!   the places where the CPU moves between threads; [`switch`]: the
//!   assembly that moves it.
//! - [`wait_queue`], [`mutex`], [`semaphore`], [`condvar`]: blocking
//!   primitives: a thread that must wait leaves the CPU instead of spinning.
//! - [`crash`]: a thread that panics or faults is reported and ended; the
//!   rest of the kernel goes on.
//! - [`executor`]: async tasks, polled by one kernel thread (`async`):
//!   `spawn`, `block_on`, `sleep`.
//! - [`demo`]: threads the shell starts to show preemption, sleeping and
//!   crashes. (What a thread switch, a task switch and a spawn cost, the
//!   shell's `taskbench`, is measured in `bench::tasks`.)
//!
//! See `docs/tasks.md` for the whole design.

pub mod condvar;
pub mod crash;
pub mod demo;
pub mod executor;
pub mod link;
pub mod mutex;
pub mod scheduler;
pub mod semaphore;
pub mod switch;
pub mod thread;
pub mod thread_signals;
pub mod wait_queue;

pub use scheduler::init;
