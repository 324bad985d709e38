//! An async executor for the kernel: tasks, wakers, channels and timers.
//!
//! # Futures, tasks and wakers
//!
//! An `async fn` compiles to a state machine implementing `Future`. Polling
//! it runs it until it finishes (`Ready`) or must wait for something
//! (`Pending`). Before returning `Pending`, the future hands a [`Waker`]
//! (taken from the `Context`) to whatever it waits for: a channel, a timer, a
//! device driver. When the awaited thing happens, that party calls
//! `waker.wake()`, which puts the task back in the executor's ready queue.
//! The executor only polls tasks from that queue, so a task costs nothing
//! while it waits.
//!
//! - [`executor`]: [`Executor`] (`spawn`, `run_ready`, `is_idle`).
//! - [`task`]: the waker and the "queued at most once" rule.
//! - [`ready_queue`]: the lock-free queue wakers push to, from anywhere.
//! - [`join`]: [`JoinHandle`], the awaitable result of a spawned task.
//! - [`channel`](mod@channel), [`timer`], [`stream`], [`yield_now`](mod@yield_now): async building blocks.
//!
//! # Running it without losing a wake-up
//!
//! The kernel's executor loop polls what is ready and halts the CPU when
//! nothing is. The danger: an interrupt arrives *after* the loop saw an empty
//! queue but *before* `hlt`; it queues a task, returns, and then the CPU halts
//! with work queued, possibly for a long time. The loop avoids it so:
//!
//! ```text
//! loop {
//!     executor.run_ready();
//!     disable_interrupts();
//!     if executor.is_idle() {
//!         enable_interrupts_and_halt();   // `sti; hlt` back to back
//!     } else {
//!         enable_interrupts();
//!     }
//! }
//! ```
//!
//! With interrupts disabled, no wake-up can sneak in between the check and
//! the halt. `sti` enables interrupts only after the *next* instruction, so
//! `sti; hlt` halts first, and an interrupt pending since the check then ends
//! the halt at once. When the executor runs in a kernel thread instead of on
//! the bare CPU, "halt" becomes "block this thread", and the same shape holds:
//! check and block with interrupts disabled, and give `Executor::with_notify`
//! a function that wakes the thread.
//!
//! # What the kernel must provide
//!
//! The channel and timer state are guarded by `critical_section::Mutex`, so
//! that interrupt handlers can use them. The kernel implements the
//! `critical-section` crate's `Impl` once (acquire: save RFLAGS and `cli`;
//! release: restore the interrupt flag); host tests use its `std` feature.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod channel;
pub mod executor;
pub mod join;
pub mod ready_queue;
pub mod stream;
pub mod task;
pub mod timer;
pub mod yield_now;

pub use channel::{Receiver, SendError, Sender, TryRecvError, TrySendError, channel};
pub use core::task::Waker;
pub use executor::{Executor, SpawnError};
pub use join::JoinHandle;
pub use stream::{Stream, StreamExt};
pub use task::TaskId;
pub use timer::{Sleep, TimerQueue};
pub use yield_now::yield_now;
