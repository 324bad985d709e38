//! Threads to watch in the shell (`spawn KIND`): what preemption, sleeping
//! and per-thread crashes look like from the outside.
//!
//! - `demo-busy` counts in a loop and never yields: only the timer's
//!   preemption lets anyone else run, and `ps` shows its CPU time growing.
//! - `demo-sleep` wakes about once a second, works for a moment and sleeps
//!   again: it uses a little CPU and is `sleeping` nearly whenever `ps` looks.
//! - `demo-panic`, `demo-fault` and `demo-overflow` fail at once, in three
//!   ways: a Rust panic, a CPU exception (divide error), and a stack overflow
//!   into the guard page (a page fault that becomes a double fault). Each is
//!   reported and ended by `crash.rs`; the kernel goes on.
//!
//! None of them holds a lock or shares data, so `kill` may end them at any
//! point (see the warning in `thread.rs`).

use super::thread::{self, JoinHandle, SpawnError};
use core::hint::black_box;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;

/// The kinds of demo thread, as `spawn` names them.
pub const KINDS: &[&str] = &["demo", "panic", "fault", "overflow"];

/// Rounds of work `demo-sleep` threads have done (for a curious reader
/// with a debugger; the shell does not show it).
pub static SLEEPER_ROUNDS: AtomicU64 = AtomicU64::new(0);

/// Starts `demo-busy` and `demo-sleep`, detached (the idle thread frees
/// their stacks once they are killed). Returns their ids.
pub fn start_demo() -> Result<[thread::ThreadId; 2], SpawnError> {
    let busy = thread::spawn("demo-busy", busy)?.id();
    let sleeper = thread::spawn("demo-sleep", sleeper)?.id();
    Ok([busy, sleeper])
}

/// Counts forever without yielding.
fn busy() {
    let mut count = 0u64;
    loop {
        count = black_box(count.wrapping_add(1));
    }
}

/// Sleeps a second, works for a moment, again and again.
fn sleeper() {
    loop {
        thread::sleep(Duration::from_secs(1));
        let mut sum = 0u64;
        for i in 0..100_000u64 {
            sum = black_box(sum.wrapping_add(i * i));
        }
        SLEEPER_ROUNDS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Starts a thread of a failing `kind` (`panic`, `fault` or `overflow`);
/// `None` for another kind.
pub fn start_failing(kind: &str) -> Option<Result<JoinHandle<u64>, SpawnError>> {
    Some(match kind {
        "panic" => thread::spawn("demo-panic", panics),
        "fault" => thread::spawn("demo-fault", divides_by_zero),
        "overflow" => thread::spawn("demo-overflow", || recurse(0)),
        _ => return None,
    })
}

fn panics() -> u64 {
    panic!("deliberate panic in thread demo-panic");
}

fn divides_by_zero() -> u64 {
    let zero: u64 = black_box(0);
    let quotient: u64;
    // SAFETY: `div` by zero raises the divide error exception, whose handler
    // ends this thread; the registers the instruction uses are declared.
    // (Rust's `/` would check for zero and panic instead.)
    unsafe {
        core::arch::asm!("div {0}", in(reg) zero, inout("rax") 1u64 => quotient, inout("rdx") 0u64 => _)
    };
    quotient
}

/// Calls itself until the stack runs into its guard page.
#[allow(unconditional_recursion)] // overflowing the stack is the point
fn recurse(depth: u64) -> u64 {
    let frame = black_box([depth; 64]);
    recurse(depth + 1) + frame[3]
}
