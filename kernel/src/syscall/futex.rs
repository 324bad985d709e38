//! `futex`: sleeping on and waking through a word of user memory (see
//! `process::futex` and `crates/futex`).
//!
//! Supported operations, with or without `FUTEX_PRIVATE_FLAG` (every futex
//! is private to its process here):
//!
//! - `FUTEX_WAIT(addr, val, timeout)`: sleeps if `*addr == val` (else
//!   `EAGAIN`), at most the relative `timeout` (`ETIMEDOUT`);
//! - `FUTEX_WAKE(addr, n)`: wakes up to `n` sleepers; returns how many;
//! - `FUTEX_WAIT_BITSET(addr, val, timeout, _, bitset)`: the same with an
//!   absolute timeout (on `CLOCK_MONOTONIC`, or `CLOCK_REALTIME` with
//!   `FUTEX_CLOCK_REALTIME`), woken only by wakes whose bitset meets its;
//! - `FUTEX_WAKE_BITSET(addr, n, _, _, bitset)`.
//!
//! An address that is not 4-byte aligned, or a zero bitset, is `EINVAL`;
//! other operations (requeue, priority inheritance) are `ENOSYS`.
//!
//! A signal for the waiter (one it does not block) interrupts a wait, as
//! on Linux: a handler runs, and the wait ends with `EINTR`, or starts
//! again under `SA_RESTART` if it has no timeout; a timed wait ends with
//! `EINTR` whenever a handler runs. A stop and continue, or a signal that
//! is dropped, restart it, to the same deadline (`FUTEX_WAIT`'s relative
//! timeout through `restart_syscall`, `restart.rs`).

use super::{Args, Errno, restart, time, user_memory};
use crate::process::futex::{self, ALL, Error};
use crate::process::signals::Resume;
use linux_raw_sys::errno;

const FUTEX_WAIT: u64 = 0;
const FUTEX_WAKE: u64 = 1;
const FUTEX_WAIT_BITSET: u64 = 9;
const FUTEX_WAKE_BITSET: u64 = 10;
const FUTEX_PRIVATE_FLAG: u64 = 128;
const FUTEX_CLOCK_REALTIME: u64 = 256;

/// `futex(uaddr, op, val, timeout, uaddr2, val3)`.
pub fn futex(args: &Args) -> Result<u64, Errno> {
    let [address, op, value, timeout, _, bitset] = *args;
    let command = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    if address % 4 != 0 {
        return Err(Errno(errno::EINVAL));
    }
    let bitset = match command {
        FUTEX_WAIT | FUTEX_WAKE => ALL,
        _ => bitset as u32,
    };
    if bitset == 0 {
        return Err(Errno(errno::EINVAL));
    }
    match command {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let value = value as u32;
            if timeout == 0 {
                return wait(address, value, bitset, None)
                    .map_err(|e| interrupted_or(e, || Errno::ERESTARTSYS));
            }
            let time = read_time(timeout)?;
            if command == FUTEX_WAIT {
                let deadline = crate::time::now_ns().saturating_add(time);
                return wait_relative(address, value, deadline);
            }
            let deadline = if realtime {
                time::monotonic_of_real(time)
            } else {
                time
            };
            // (Restarted as it is: the deadline is in the arguments.)
            wait(address, value, bitset, Some(deadline))
                .map_err(|e| interrupted_or(e, || Errno::ERESTARTNOHAND))
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            // `val` is an `int`: a negative count wakes nobody.
            let count = usize::try_from(value as i32).unwrap_or(0);
            let woken = futex::wake(address, count, bitset).map_err(errno_of)?;
            Ok(woken as u64)
        }
        _ => Err(Errno::ENOSYS),
    }
}

/// A `struct timespec` at `address`, in nanoseconds.
fn read_time(address: u64) -> Result<u64, Errno> {
    time::read_timespec(address)
}

/// Waits on the calling process's word at `address` while it holds
/// `value` (see `process::futex::wait`).
fn wait(address: u64, value: u32, bitset: u32, deadline: Option<u64>) -> Result<u64, Error> {
    let read = || {
        let mut word = [0u8; 4];
        user_memory::copy_from_user(&mut word, address).ok()?;
        Some(u32::from_le_bytes(word))
    };
    futex::wait(address, value, bitset, deadline, read)?;
    Ok(0)
}

/// `FUTEX_WAIT` with a timeout, now `deadline`: if a signal interrupts,
/// it goes on to the same deadline when restarted (`restart.rs`).
pub fn wait_relative(address: u64, value: u32, deadline: u64) -> Result<u64, Errno> {
    wait(address, value, ALL, Some(deadline)).map_err(|e| {
        let resume = Resume::FutexWait {
            address,
            value,
            deadline,
        };
        interrupted_or(e, || restart::later(resume))
    })
}

/// A wait's error as an errno, `interrupted()` for a signal: `ERESTARTSYS`
/// for an untimed wait (restarted under `SA_RESTART`), another for a timed
/// one (`EINTR` whenever a handler runs), as on Linux.
fn interrupted_or(error: Error, interrupted: impl FnOnce() -> Errno) -> Errno {
    match error {
        Error::Interrupted => interrupted(),
        _ => errno_of(error),
    }
}

fn errno_of(error: Error) -> Errno {
    Errno(match error {
        Error::Again => errno::EAGAIN,
        Error::Fault => errno::EFAULT,
        Error::TimedOut => errno::ETIMEDOUT,
        Error::Interrupted => errno::EINTR,
        Error::NotAProcess => errno::ENOSYS,
    })
}
