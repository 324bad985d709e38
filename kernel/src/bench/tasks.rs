//! `taskbench`: what it costs to switch between threads, to switch between
//! async tasks, and to start and finish a thread.
//!
//! - **Thread switch.** Two threads call `yield_now` in turn, so every yield
//!   moves the CPU to the other one. A switch is a trip through the kernel:
//!   interrupts off, the scheduler's lock, its bookkeeping (charging CPU
//!   time, which reads the clock; the ready queue), then `switch_to` saves the
//!   callee-saved registers on one stack and loads them from another. The
//!   figure is the time of the whole loop divided by the scheduler's count of
//!   switches during it.
//! - **Async task switch.** Two tasks on a local `executor::Executor`, driven
//!   by `run_ready` in the calling thread, pass a baton: each waits until it
//!   holds it (returning `Pending` after leaving its waker), then hands it to
//!   the other and wakes it. Going from one task to the other is a return
//!   from one `poll` and a call of the next: no stack changes, no lock, no
//!   clock. The figure is the loop's time divided by the executor's polls.
//! - **Spawn + join.** A thread is created (a 32 KiB stack with its guard
//!   page, mapped, or reused from the list of freed stacks; a scheduler
//!   record), runs a closure that returns at once, and is joined (its stack
//!   is freed). This is the price of "a thread per job".
//!
//! Each figure is the median of [`ROUNDS`] rounds, in TSC cycles, so that a
//! timer tick or a slow first round does not decide it. Other threads that
//! want the CPU meanwhile take turns with the benchmark and make the thread
//! figures larger: [`competitors`] names them, and the shell refuses to run
//! next to a busy thread and warns about sleeping ones.
//! Under QEMU's TCG every instruction is translated, so the figures are far
//! above real hardware's; the ratios between them are the lesson.

use crate::tasks::thread::{self, ThreadInfo};
use crate::time::rdtsc;
use ::executor::Executor;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::future::poll_fn;
use core::hint::black_box;
use core::task::{Poll, Waker};
use sched::{IDLE, State};

/// Rounds per figure; the median is reported.
pub const ROUNDS: usize = 7;
/// Yields by the measuring thread per round (each makes two switches).
const THREAD_SWITCHES: u64 = 500;
/// Baton passes per task per round.
const TASK_PASSES: u64 = 2000;
/// Threads started and joined per round.
const SPAWNS: u64 = 20;

/// The medians, in TSC cycles.
#[derive(Clone, Copy, Debug)]
pub struct Figures {
    /// Per switch between two threads.
    pub thread_switch: u64,
    /// Per switch between two async tasks.
    pub task_switch: u64,
    /// Per thread spawned and joined.
    pub spawn_join: u64,
}

/// Measures all three figures; an error says what failed.
pub fn run() -> Result<Figures, &'static str> {
    Ok(Figures {
        thread_switch: median(thread_switch)?,
        task_switch: median(|| Ok(task_switch()))?,
        spawn_join: median(spawn_join)?,
    })
}

/// Threads other than the caller and idle that are ready or sleeping: they
/// would take turns with a benchmark (a ready one at every yield, for a
/// whole time slice; a sleeping one when it wakes).
pub fn competitors() -> Vec<ThreadInfo> {
    let me = thread::current();
    thread::list()
        .into_iter()
        .filter(|t| t.id != me && t.id != IDLE)
        .filter(|t| {
            matches!(
                t.state,
                State::Ready | State::Running | State::Sleeping { .. }
            )
        })
        .collect()
}

/// The median of [`ROUNDS`] runs of `round`.
fn median(round: impl Fn() -> Result<u64, &'static str>) -> Result<u64, &'static str> {
    let mut figures = [0; ROUNDS];
    for figure in figures.iter_mut() {
        *figure = round()?;
    }
    figures.sort_unstable();
    Ok(figures[ROUNDS / 2])
}

/// Cycles per switch while this thread and a partner yield to each other.
fn thread_switch() -> Result<u64, &'static str> {
    // The partner yields once more than we do: its first yield comes back to
    // us before the timing starts, and its last one ends our last yield.
    let partner = thread::spawn("bench-yield", || {
        for _ in 0..=THREAD_SWITCHES {
            thread::yield_now();
        }
    })
    .map_err(|_| "cannot start a thread")?;
    thread::yield_now(); // the partner starts (a first run is no plain switch)
    let switches_before = switch_count();
    let start = rdtsc();
    for _ in 0..THREAD_SWITCHES {
        thread::yield_now();
    }
    let cycles = rdtsc() - start;
    let switches = switch_count() - switches_before;
    partner.join().map_err(|_| "the partner thread failed")?;
    if switches < 2 * THREAD_SWITCHES {
        return Err("yield_now did not switch threads");
    }
    Ok(cycles / switches)
}

/// Switches the scheduler has made since boot.
fn switch_count() -> u64 {
    crate::tasks::scheduler::with(|s| s.switches()).unwrap_or(0)
}

/// Which of two tasks may go on, and the waker of the one that waits.
struct Baton {
    holder: Cell<usize>,
    waiting: [RefCell<Option<Waker>>; 2],
}

impl Baton {
    /// Waits until task `me` holds the baton.
    async fn take(&self, me: usize) {
        poll_fn(|cx| {
            if self.holder.get() == me {
                return Poll::Ready(());
            }
            *self.waiting[me].borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }

    /// Hands the baton from task `me` to the other one and wakes it.
    fn pass(&self, me: usize) {
        let other = 1 - me;
        self.holder.set(other);
        if let Some(waker) = self.waiting[other].borrow_mut().take() {
            waker.wake();
        }
    }
}

/// Cycles per poll while two tasks pass a baton back and forth.
fn task_switch() -> u64 {
    let executor = Executor::new(2);
    let baton = Rc::new(Baton {
        holder: Cell::new(0),
        waiting: [RefCell::new(None), RefCell::new(None)],
    });
    for me in 0..2 {
        let baton = Rc::clone(&baton);
        executor.spawn(async move {
            for _ in 0..TASK_PASSES {
                baton.take(me).await;
                baton.pass(me);
            }
        });
    }
    let start = rdtsc();
    while !executor.is_idle() {
        executor.run_ready();
    }
    let cycles = rdtsc() - start;
    cycles / executor.polls().max(1)
}

/// Cycles per thread started and joined.
fn spawn_join() -> Result<u64, &'static str> {
    let start = rdtsc();
    for i in 0..SPAWNS {
        let handle = thread::spawn("bench-spawn", move || black_box(i))
            .map_err(|_| "cannot start a thread")?;
        if handle.join() != Ok(i) {
            return Err("a spawned thread did not return its value");
        }
    }
    Ok((rdtsc() - start) / SPAWNS)
}
