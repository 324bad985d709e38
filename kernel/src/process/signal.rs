//! `kill`: ending a process from outside (default actions only).
//!
//! Signal handlers come with the signals chapter; until then SIGKILL, and
//! SIGHUP, SIGINT, SIGQUIT and SIGTERM when the process has neither a
//! handler for them, nor ignores, nor blocks them, end it with the
//! signaled status (`WaitStatus::Signaled`), and every other signal is
//! recorded as pending (a pending signal with a handler ends a console
//! read with `EINTR`, see [`interrupted`]). Signal 0 only asks whether the
//! process exists.
//!
//! How a process is ended depends on where its thread is:
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
    if !ends_now(process, signal) {
        process.pending |= 1 << (signal - 1);
        drop(processes);
        wait::notify(); // a sleeper that this signal interrupts looks again
        return Ok(());
    }
    if process.in_kernel || process.thread.is_none() {
        process.kill.get_or_insert(signal);
        drop(processes);
        wait::notify();
        return Ok(());
    }
    if let Some(id) = process.thread {
        // Under the table's lock (interrupts off), so the thread cannot
        // enter the kernel meanwhile. It is not the caller (the caller
        // would be in the kernel).
        let _ = thread::kill(id);
    }
    drop(processes);
    end(
        pid,
        WaitStatus::Signaled {
            signal,
            core: false,
        },
    );
    Ok(())
}

/// The signals that end a process here when left at their default action
/// and not blocked: SIGHUP, SIGINT, SIGQUIT (the terminal's keys) and
/// SIGTERM. (Linux's list is longer; the others stay pending until the
/// signals chapter delivers them.)
const ENDING: u64 = bit(1) | bit(2) | bit(3) | bit(15);

/// Signal `n`'s bit in a mask.
const fn bit(signal: u8) -> u64 {
    1 << (signal - 1)
}
/// `SIG_DFL` and `SIG_IGN` as handlers.
const DEFAULT: u64 = 0;
const IGNORE: u64 = 1;

/// Whether `signal` (1..=64) ends `process` at once: SIGKILL, or one of
/// [`ENDING`] left at its default action and not blocked.
fn ends_now(process: &super::Process, signal: u8) -> bool {
    let mask = bit(signal);
    let action = process.signals.actions[usize::from(signal - 1)];
    signal == SIGKILL
        || (ENDING & mask != 0 && action.handler == DEFAULT && process.signals.blocked & mask == 0)
}

/// Whether a blocking call of process `pid` should end with `EINTR`: it was
/// killed, or a signal with a handler is pending and not blocked.
pub fn interrupted(pid: Pid) -> bool {
    let processes = PROCESSES.lock();
    let Some(entry) = processes.table.get(pid) else {
        return true;
    };
    let p = &entry.data;
    let handled = p
        .signals
        .actions
        .iter()
        .enumerate()
        .filter(|(_, a)| a.handler != DEFAULT && a.handler != IGNORE)
        .fold(0u64, |mask, (i, _)| mask | 1 << i);
    p.kill.is_some() || p.pending & !p.signals.blocked & handled != 0
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
