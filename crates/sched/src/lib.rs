//! The bookkeeping of a preemptive thread scheduler, without the context switch.
//!
//! A kernel thread is a function running on its own stack. Only one runs at a
//! time on our single CPU; the others wait in queues: ready to run, asleep
//! until a deadline, blocked until someone wakes them, or exited and waiting
//! to be collected. Deciding *which* thread runs next is pure data-structure
//! work, and it lives here, in a `no_std` crate tested on the host. Doing the
//! switch — saving one thread's registers and loading another's — needs
//! assembly, and lives in the kernel.
//!
//! - [`thread`]: ids, states, the per-thread record.
//! - [`thread_queue`]: the FIFO queue of ids behind the ready queue and the
//!   wait queues.
//! - [`sleep_queue`]: sleepers ordered by deadline.
//! - [`scheduler`]: [`Scheduler`], which owns all of the above and makes the
//!   decisions (round-robin with a time slice, an idle thread).
//!
//! The central invariant, checked after every step of the randomized tests:
//! exactly one thread is `Running` and it is `current()`; every other thread is
//! in exactly the one queue its state names, and in no other.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod scheduler;
pub mod sleep_queue;
pub mod thread;
pub mod thread_queue;

pub use scheduler::{Join, SchedError, Scheduler, Switch};
pub use thread::{BlockReason, ExitStatus, IDLE, Reaped, State, Thread, ThreadId, WaitKey};
