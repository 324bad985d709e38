//! Futexes in the kernel: a thread sleeps until another wakes it through
//! the same word of user memory (see `crates/futex` for the table and what
//! a futex is).
//!
//! A word is named by its process's memory (the address of the shared
//! `Memory` record, the same for every thread and for a `vfork` child) and
//! its user address. Shared futexes between processes (`MAP_SHARED`) are
//! not told apart from private ones: each process's word is its own.
//!
//! **No lost wake-up.** [`wait`] first puts the thread in the table, *then*
//! reads the word: a waker that changed the word before the read makes the
//! wait return at once (`EAGAIN`); one after it finds the thread in the
//! table. A woken thread is taken out of the table by its waker, which sets
//! its link's `futex_woken` and wakes its queue; the sleeper checks that
//! flag with the scheduler locked ([`WaitQueue::wait_while`]), so a wake
//! between its check and its sleep is not lost either.
//!
//! A timed wait sleeps in ticks (10 ms) and looks again each time: a wake
//! reaches it at its next tick at the latest. A signal for the thread (one
//! it does not block), and a kill, wake it as any interruptible sleep
//! (`signal.rs`); the wait then returns [`Error::Interrupted`], and the
//! system call decides between `EINTR` and a restart (`syscall/futex.rs`).
//!
//! [`WaitQueue::wait_while`]: crate::tasks::wait_queue::WaitQueue::wait_while

use super::SharedMemory;
use super::link::Link;
use super::signal;
use super::table;
use crate::sync::IrqMutex;
use crate::tasks::scheduler;
use crate::time;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
pub use futex::{ALL, Key};

/// A waiter: its thread's link, the same when it is the same `Arc`.
struct Waiter(Arc<Link>);

impl PartialEq for Waiter {
    fn eq(&self, other: &Waiter) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

static FUTEXES: IrqMutex<futex::Table<Waiter>> = IrqMutex::new(futex::Table::new());

/// How long a timed wait sleeps before it looks again.
const SLICE_NS: u64 = 10_000_000;

/// Why a wait returned without a wake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The word did not hold the expected value (`EAGAIN`).
    Again,
    /// The word could not be read (`EFAULT`).
    Fault,
    /// The deadline passed (`ETIMEDOUT`).
    TimedOut,
    /// A signal came for the thread, or it was killed, meanwhile.
    Interrupted,
    /// The caller is not a process.
    NotAProcess,
}

/// The identity of a process's memory, for futex keys.
pub fn space_id(memory: &SharedMemory) -> u64 {
    Arc::as_ptr(memory) as u64
}

/// The key of the word at `address` in memory `space` (a [`space_id`]).
pub fn key(space: u64, address: u64) -> Key {
    Key { space, address }
}

/// The key of the calling process's word at `address`.
fn current_key(address: u64) -> Option<Key> {
    let space = table::with_current(|_, p| p.space.as_ref().map(space_id))??;
    Some(key(space, address))
}

/// `FUTEX_WAIT`: sleeps until woken through `address` (by a wake whose
/// bitset meets `bitset`) if `read()` (the word now) gives `expected`;
/// `deadline` on the monotonic clock (`time::now_ns`), if any.
pub fn wait(
    address: u64,
    expected: u32,
    bitset: u32,
    deadline: Option<u64>,
    read: impl FnOnce() -> Option<u32>,
) -> Result<(), Error> {
    let key = current_key(address).ok_or(Error::NotAProcess)?;
    let me = scheduler::current_link().ok_or(Error::NotAProcess)?;
    me.futex_woken.store(false, Ordering::SeqCst);
    FUTEXES.lock().wait(key, Waiter(me.clone()), bitset);
    let early = match read() {
        None => Some(Error::Fault),
        Some(value) if value != expected => Some(Error::Again),
        Some(_) => None,
    };
    let why = match early {
        Some(why) => why,
        None => sleep(&me, deadline),
    };
    // Still in the table: no wake came (else a wake won the race: success).
    if FUTEXES.lock().remove(key, &Waiter(me.clone())) {
        Err(why)
    } else {
        Ok(())
    }
}

/// Sleeps until `me` is woken, a signal comes for it (a kill too), or the
/// deadline passes; which of the last two it was (a woken thread is out of
/// the table).
fn sleep(me: &Link, deadline: Option<u64>) -> Error {
    let woken = || me.futex_woken.load(Ordering::SeqCst);
    loop {
        let slept = match deadline {
            None => signal::wait_interruptible(&me.futex_queue, || !woken()),
            Some(deadline) => {
                let now = time::now_ns();
                if now >= deadline {
                    return Error::TimedOut;
                }
                signal::sleep_interruptible_if(deadline.min(now + SLICE_NS), || !woken())
            }
        };
        if slept.is_err() || me.posted().is_some() {
            return Error::Interrupted;
        }
        if woken() {
            // Woken: `wait` finds the thread out of the table and succeeds
            // (this error is not used).
            return Error::TimedOut;
        }
    }
}

/// `FUTEX_WAKE`: wakes up to `count` threads waiting on the calling
/// process's word at `address` with a bitset that meets `bitset`; how many.
pub fn wake(address: u64, count: usize, bitset: u32) -> Result<usize, Error> {
    let key = current_key(address).ok_or(Error::NotAProcess)?;
    Ok(wake_key(key, count, bitset))
}

/// Wakes up to `count` waiters on `key` (see [`wake`]).
pub fn wake_key(key: Key, count: usize, bitset: u32) -> usize {
    let woken = FUTEXES.lock().wake(key, count, bitset);
    for Waiter(link) in &woken {
        link.futex_woken.store(true, Ordering::SeqCst);
        link.futex_queue.wake_all();
    }
    woken.len()
}

/// Whether any thread waits on a futex (for the leak checks of tests).
pub fn waiting() -> bool {
    !FUTEXES.lock().is_empty()
}
