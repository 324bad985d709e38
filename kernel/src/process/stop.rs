//! Stop and continue: the signals of job control.
//!
//! A shell suspends the program in the foreground when the user types ^Z
//! (the terminal sends SIGTSTP to the foreground group), and resumes it
//! with `fg` or `bg` (SIGCONT). So beside "end", "ignore" and "handle",
//! signals have two more default actions:
//!
//! - **stop** (SIGSTOP, which cannot be caught, blocked or ignored; and
//!   SIGTSTP, SIGTTIN, SIGTTOU): the process stops: each of its threads,
//!   on its way back to ring 3 (after a system call, or an interrupt that
//!   came from ring 3, so within a tick for a thread that computes), sleeps
//!   in the kernel instead ([`wait_while_stopped`]);
//! - **continue** (SIGCONT): acted on when it is *sent*, whatever the
//!   target does with it, because a stopped process delivers nothing:
//!   the threads wake and go on; a handler for SIGCONT then runs as usual.
//!
//! Sending a stop signal drops a pending SIGCONT, and SIGCONT drops the
//! pending stop signals, as on Linux. SIGKILL ends a stopped process at
//! once (its threads sleep in the kernel, so the kill is posted and they
//! are woken); another fatal signal stays pending until SIGCONT.
//!
//! **The parent learns of it**, each change once: `wait4` with `WUNTRACED`
//! reports a stop (status word `0x7f | signal << 8`), with `WCONTINUED` a
//! continue (`0xffff`), and the child stays (it has not ended); SIGCHLD
//! comes with `CLD_STOPPED` or `CLD_CONTINUED`, unless the parent's SIGCHLD
//! action has `SA_NOCLDSTOP`.

use super::signals::bit;
use super::table::{self, PROCESSES};
use super::{Pid, Process, end_with_signal, signal, wait};
use crate::arch::entry::InterruptFrame;
use crate::tasks::scheduler;
use ptable::{Table, Target};
use sigframe::{Detail, Info};

pub const SIGCONT: u8 = 18;
pub const SIGSTOP: u8 = 19;
pub const SIGTSTP: u8 = 20;
pub const SIGTTIN: u8 = 21;
pub const SIGTTOU: u8 = 22;
/// The stop signals, as a mask.
pub const STOP_SIGNALS: u64 = bit(SIGSTOP) | bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU);
/// `sa_flags`: no SIGCHLD when a child stops or continues.
pub const SA_NOCLDSTOP: u64 = 1;
/// `wait4` options: report stopped children, continued children.
pub const WUNTRACED: u64 = 2;
pub const WCONTINUED: u64 = 8;
// `si_code` of SIGCHLD.
const CLD_STOPPED: i32 = 5;
const CLD_CONTINUED: i32 = 6;

/// A change a parent has not been told of by `wait4` yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Stopped by this signal.
    Stopped(u8),
    Continued,
}

impl Change {
    /// The `wait4` status word (Linux's: `WIFSTOPPED`, `WIFCONTINUED`).
    pub fn word(self) -> u32 {
        match self {
            Change::Stopped(signal) => 0x7f | u32::from(signal) << 8,
            Change::Continued => 0xffff,
        }
    }
}

/// A process's job-control state (a field of its record).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobState {
    /// Stopped, by this signal.
    pub stopped: Option<u8>,
    /// The last change, until its parent's `wait4` takes it.
    pub change: Option<Change>,
}

/// Whether `signal` is one of the four stop signals.
pub fn is_stop_signal(signal: u8) -> bool {
    (1..=64).contains(&signal) && STOP_SIGNALS & bit(signal) != 0
}

/// What sending `signal` to `pid` does at once, before it is made pending
/// (the caller holds the table's lock and calls `wait::notify` after):
/// SIGCONT continues the process and drops pending stops; a stop signal
/// drops a pending SIGCONT.
pub(super) fn on_send(table: &mut Table<Process>, pid: Pid, signal: u8) {
    let Some(entry) = table.get_mut(pid) else {
        return;
    };
    let parent = entry.parent;
    let p = &mut entry.data;
    if is_stop_signal(signal) {
        p.pending &= !bit(SIGCONT);
    }
    if signal != SIGCONT {
        return;
    }
    p.pending &= !STOP_SIGNALS;
    if p.job.stopped.take().is_some() {
        p.job.change = Some(Change::Continued);
        tell_parent(table, parent, pid, CLD_CONTINUED, SIGCONT);
    }
}

/// Whether `p` is stopped (a fatal signal other than SIGKILL then waits
/// for SIGCONT).
pub(super) fn is_stopped(p: &Process) -> bool {
    p.job.stopped.is_some()
}

/// SIGCHLD for `parent` (if it is alive and did not ask for
/// `SA_NOCLDSTOP`) about child `pid`.
fn tell_parent(table: &mut Table<Process>, parent: Option<Pid>, pid: Pid, code: i32, status: u8) {
    let Some(parent) = parent.and_then(|p| table.get_mut(p)) else {
        return;
    };
    let action = parent.data.signals.actions[usize::from(signal::SIGCHLD) - 1];
    if parent.state != ptable::State::Alive || action.flags & SA_NOCLDSTOP != 0 {
        return;
    }
    let info = Info {
        signal: u32::from(signal::SIGCHLD),
        code,
        detail: Detail::Child {
            pid: pid.0,
            uid: 0,
            status: i32::from(status),
        },
    };
    signal::post(&mut parent.data, signal::SIGCHLD, info);
}

/// The calling thread's process stops with `signal` (a stop signal was
/// delivered): its parent is told, and the thread sleeps until SIGCONT or
/// a kill ([`wait_while_stopped`]).
pub(super) fn stop_here(frame: &mut InterruptFrame, signal: u8) {
    let found = {
        let mut processes = PROCESSES.lock();
        table::current_pid().and_then(|pid| {
            let entry = processes.table.get_mut(pid)?;
            let parent = entry.parent;
            let p = &mut entry.data;
            // Ending: no stop. And one the kernel started (no parent to
            // continue it; the kernel shell waits for it) stops only for
            // SIGSTOP, as Linux's orphaned process groups ignore the
            // terminal's stop signals.
            if p.kill.is_some() || (parent.is_none() && signal != SIGSTOP) {
                return None;
            }
            p.job.stopped = Some(signal);
            p.job.change = Some(Change::Stopped(signal));
            tell_parent(&mut processes.table, parent, pid, CLD_STOPPED, signal);
            Some(())
        })
    };
    if found.is_some() {
        wait::notify();
        wait_while_stopped(frame);
    }
}

/// Sleeps while the calling thread's process is stopped; if it was killed
/// meanwhile, points `frame` at the end (see `end_with_signal`).
pub(super) fn wait_while_stopped(frame: &mut InterruptFrame) {
    // In the kernel while asleep: a kill is posted for this thread (and
    // wakes it) instead of ending it from outside.
    let was_in_kernel = scheduler::with_link(|link| {
        let was = link.in_kernel();
        link.enter();
        was
    });
    wait::wait_until(|| {
        table::with_current(|_, p| (p.job.stopped.is_none() || p.kill.is_some()).then_some(()))
            .unwrap_or(Some(()))
    });
    let killed = table::with_current(|_, p| p.kill).flatten();
    let posted = scheduler::with_link(|link| link.posted()).flatten();
    if let Some(signal) = killed.or(posted) {
        end_with_signal(frame, signal, false);
    } else if was_in_kernel == Some(false) {
        scheduler::with_link(|link| link.leave());
    }
}

/// Takes a change of a child of `parent` that `target` accepts and the
/// `wait4` options ask for (`WUNTRACED`, `WCONTINUED`): its pid and
/// change. The caller holds the table's lock.
pub(super) fn take_change(
    table: &mut Table<Process>,
    parent: Pid,
    target: Target,
    options: u64,
) -> Option<(Pid, Change)> {
    let wanted = |change: Change| match change {
        Change::Stopped(_) => options & WUNTRACED != 0,
        Change::Continued => options & WCONTINUED != 0,
    };
    let pid = table
        .iter()
        .filter(|(pid, e)| e.parent == Some(parent) && accepts(target, *pid, e.pgid))
        .find(|(_, e)| e.data.job.change.is_some_and(wanted))
        .map(|(pid, _)| pid)?;
    let change = table.get_mut(pid)?.data.job.change.take()?;
    Some((pid, change))
}

/// Whether `wait4`'s `target` accepts the child `pid` of group `pgid`.
fn accepts(target: Target, pid: Pid, pgid: Pid) -> bool {
    match target {
        Target::Any => true,
        Target::Child(wanted) => pid == wanted,
        Target::Group(group) => pgid == group,
    }
}
