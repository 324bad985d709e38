//! Going on with an interrupted call: `restart_syscall`.
//!
//! A call that sleeps for a time counted from when it was made (`nanosleep`,
//! a relative `clock_nanosleep`, `FUTEX_WAIT` with a timeout, `poll` with a
//! timeout) cannot simply be made again after a stop, or after a signal
//! that ran no handler: its timeout would start over. So when a signal
//! interrupts it, it notes how it goes on (a [`Resume`]: its deadline, now
//! absolute, and what else it needs) in its thread's signal state, and ends
//! with `ERESTART_RESTARTBLOCK` ([`later`]). If a handler runs, the
//! program gets `EINTR`, and the note is dropped; otherwise the way back to
//! ring 3 (`process::deliver`) makes the program call `restart_syscall`
//! (219) in place of the call, which goes on from the note to the same
//! deadline. Without a note (a program that calls it itself) it is `EINTR`,
//! as on Linux.

use super::{Args, Errno, futex, poll, time};
use crate::process::{self, signals::Resume};
use linux_raw_sys::errno::EINTR;

/// Notes how the interrupted call goes on; the error it returns.
pub fn later(resume: Resume) -> Errno {
    process::with_own_signals(|t| t.resume = Some(resume));
    Errno::ERESTART_RESTARTBLOCK
}

/// `restart_syscall()`: goes on with the call the calling thread's note
/// describes.
pub fn restart_syscall(_: &Args) -> Result<u64, Errno> {
    let resume = process::with_own_signals(|t| t.resume.take()).flatten();
    match resume {
        None => Err(Errno(EINTR)),
        Some(Resume::Sleep {
            deadline,
            remaining,
        }) => time::sleep_relative(deadline, remaining),
        Some(Resume::FutexWait {
            address,
            value,
            deadline,
        }) => futex::wait_relative(address, value, deadline),
        Some(Resume::Poll {
            fds,
            count,
            deadline,
        }) => poll::wait_relative(fds, count, deadline),
    }
}
