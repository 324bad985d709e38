//! `kill`: ending a process from outside (default actions only).
//!
//! Signal handlers come with the signals chapter; until then SIGKILL and
//! SIGTERM do their default action, ending the process with the signaled
//! status (`WaitStatus::Signaled`), and every other signal is recorded as
//! pending. Signal 0 only asks whether the process exists.
//!
//! How a process is ended depends on where each of its threads is:
//! - in ring 3 (or not yet there): nothing of the kernel's is on its kernel
//!   stack, so the killer ends the thread at once and does its bookkeeping
//!   (the address space is freed: killing a process's thread no longer
//!   leaks it);
//! - in the kernel (a system call, possibly asleep in `wait4` or `vfork`):
//!   it may hold memory or locks, so the kill is left in its record, it is
//!   woken, and it ends itself on its way back to ring 3.

use super::table::PROCESSES;
use super::{Pid, WaitStatus, end, wait};
use crate::tasks::thread;

pub const SIGKILL: u8 = 9;
pub const SIGTERM: u8 = 15;
/// The highest signal number (Linux has 64, real-time ones included).
pub const MAX_SIGNAL: u64 = 64;

/// Why a signal was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillError {
    /// No process has this pid (`-ESRCH`).
    NoProcess,
    /// Not a signal number (`-EINVAL`).
    BadSignal,
}

/// Sends `signal` to process `pid` (see the module docs).
pub fn kill(pid: Pid, signal: u64) -> Result<(), KillError> {
    if signal > MAX_SIGNAL {
        return Err(KillError::BadSignal);
    }
    let signal = signal as u8;
    let mut processes = PROCESSES.lock();
    let entry = processes.table.get_mut(pid).ok_or(KillError::NoProcess)?;
    if entry.state != ptable::State::Alive || signal == 0 {
        return Ok(()); // a zombie exists, but nothing happens to it
    }
    let process = &mut entry.data;
    if signal != SIGKILL && signal != SIGTERM {
        process.pending |= 1 << (signal - 1);
        return Ok(());
    }
    process.kill.get_or_insert(signal);
    let status = WaitStatus::Signaled {
        signal,
        core: false,
    };
    let status = *process.ending.get_or_insert(status);
    // No thread yet: it looks at `kill` first when it starts. Otherwise
    // each thread in ring 3 (or not started) ends now, and one in the
    // kernel on its way out (`threads::stop_threads`).
    if process.thread.is_some() {
        super::threads::stop_threads(process, None, signal);
    }
    let last = process.thread.is_some() && process.live == 0;
    drop(processes);
    if last {
        end(pid, status);
    }
    wait::notify();
    Ok(())
}

/// The signals sent to `pid` and not acted on (bit n-1 for signal n).
pub fn pending(pid: Pid) -> Option<u64> {
    let processes = PROCESSES.lock();
    processes.table.get(pid).map(|e| e.data.pending)
}

/// Kills the process that thread `id` runs, if it runs one (for the
/// shell's `kill` of a thread number); its pid.
pub fn kill_thread_process(id: thread::ThreadId) -> Option<Pid> {
    let pid = *PROCESSES.lock().by_thread.get(&id)?;
    kill(pid, u64::from(SIGKILL)).ok().map(|()| pid)
}
