//! Sending signals: `kill`, `tkill`, SIGCHLD, and how blocking code learns
//! that a signal came for it.
//!
//! Sending a signal marks it *pending* in the target's record, with why it
//! came (a `siginfo`), and wakes the target wherever it sleeps; the target
//! acts on it on its own way back to ring 3 (`deliver.rs`). A signal the
//! target ignores (and does not block) is dropped at once, as on Linux.
//! Signal 0 only asks whether the process exists.
//!
//! A *fatal* signal (SIGKILL, or one whose action is the default "end"
//! and which is not blocked) has nothing to run in the process, so it does
//! not wait for the target's way back. How it ends the process depends on
//! where each of its threads is (`threads::stop_threads`):
//! - in ring 3 (or not started yet): nothing of the kernel's is on its
//!   kernel stack, so the sender ends the thread at once; the last thread
//!   to end does the process's bookkeeping (the address space is freed);
//! - in the kernel (a system call, possibly asleep in `wait4`, `vfork`, a
//!   pipe or `futex`): it may hold memory or locks, so the kill is posted
//!   on its link (`link.rs`), it is woken, and it ends itself on its way
//!   back to ring 3.
//!
//! **Which thread.** Each thread has its own mask (`tasks/thread_signals.rs`).
//! A signal sent to the process (`kill`, the terminal's ^C, SIGCHLD) is
//! pending for the process, and any thread that does not block it may
//! take it: the sender wakes the first thread if it does not block it,
//! else another that does not ([`taker`]), so that one's blocking call
//! ends (`EINTR`, or a restart). If every thread blocks it, it stays
//! pending until a thread unblocks it, and that thread takes it on its way
//! out of `rt_sigprocmask`. Such a signal is fatal (see above) as soon as
//! one thread does not block it.
//!
//! **To one thread.** `tkill` and `tgkill` name a thread. A signal that
//! ends the process ends it as above, whichever thread was named; any
//! other is pending for that thread alone, in its link's own set
//! (`link.rs`), and only that thread acts on it on its way out, when its
//! own mask lets it. (Standard signals do not queue: the process keeps one
//! `siginfo` per signal, for the process and its threads alike.)
//!
//! **Blocking code** (a system call that sleeps until something happens)
//! must let a signal interrupt it: it sleeps with [`wait_interruptible`]
//! (or checks [`interrupted`] between sleeps), and when interrupted returns
//! `ERESTARTSYS` (`-512`) up to the system-call layer, which turns it into
//! `EINTR`, or restarts the call under `SA_RESTART` (see `deliver.rs`).

use super::link::Link;
use super::signals::{Disposition, bit};
use super::table::{self, PROCESSES};
use super::{Pid, Process, WaitStatus, end, wait};
use crate::tasks::thread;
use crate::tasks::wait_queue::WaitQueue;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};
use sigframe::{Detail, Info};

pub const SIGKILL: u8 = 9;
pub const SIGTERM: u8 = 15;
pub const SIGCHLD: u8 = 17;
/// The highest signal number (Linux has 64, real-time ones included).
pub const MAX_SIGNAL: u64 = 64;
/// `si_code` values (Linux's).
pub const SI_USER: i32 = 0;
pub const SI_TKILL: i32 = -6;
const CLD_EXITED: i32 = 1;
const CLD_KILLED: i32 = 2;
const CLD_DUMPED: i32 = 3;

/// Signals sent so far, everywhere: a sleeper notes it before it looks and
/// sleeps only while it is unchanged, so a signal is never missed between
/// the look and the sleep.
static SENT: AtomicU64 = AtomicU64::new(0);

/// Why a signal was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillError {
    /// No process has this pid (`-ESRCH`).
    NoProcess,
    /// Not a signal number (`-EINVAL`).
    BadSignal,
}

/// Sends `signal` to process `pid` from the caller (`kill`; the kernel
/// shell and the terminal use it too).
pub fn kill(pid: Pid, signal: u64) -> Result<(), KillError> {
    send_with_code(pid, signal, SI_USER)
}

/// Sends `signal` to `pid` with `si_code` `code` (`SI_USER` for `kill`,
/// `SI_TKILL` for `tkill` and `tgkill`); the sender is the caller.
pub fn send_with_code(pid: Pid, signal: u64, code: i32) -> Result<(), KillError> {
    if signal > MAX_SIGNAL {
        return Err(KillError::BadSignal);
    }
    let sender = table::current_pid().map_or(0, |p| p.0);
    let info = Info {
        signal: signal as u32,
        code,
        detail: Detail::Sender {
            pid: sender,
            uid: 0,
        },
    };
    send(pid, signal as u8, info)
}

/// Sends `signal` (1 to 64, or 0 to ask) to `pid` with `info`.
pub fn send(pid: Pid, signal: u8, info: Info) -> Result<(), KillError> {
    let mut processes = PROCESSES.lock();
    let entry = processes.table.get_mut(pid).ok_or(KillError::NoProcess)?;
    if entry.state != ptable::State::Alive || signal == 0 {
        return Ok(()); // a zombie exists, but nothing happens to it
    }
    // SIGCONT continues at once; stop and continue cancel each other.
    super::stop::on_send(&mut processes.table, pid, signal);
    let entry = processes.table.get_mut(pid).ok_or(KillError::NoProcess)?;
    let process = &mut entry.data;
    // Fatal if a thread takes it now (one that does not block it).
    let blocked = every_thread_blocks(process, signal);
    // A stopped process acts on fatal signals when continued; SIGKILL ends
    // it at once.
    let waits = super::stop::is_stopped(process) && signal != SIGKILL;
    let fatal = match process.signals.disposition(signal) {
        Disposition::End { core } if !blocked && !waits => Some(core),
        _ => None,
    };
    let Some(core) = fatal else {
        post(process, signal, info);
        drop(processes);
        wait::notify();
        return Ok(());
    };
    // Nothing to run in the process: it ends, as with SIGKILL. Each thread
    // in ring 3 (or not started) ends now, under the table's lock
    // (interrupts off, so it cannot enter the kernel meanwhile); one in the
    // kernel is told through its link, woken wherever it sleeps, and ends
    // on its way out (`threads::stop_threads`). With no thread yet, the
    // process looks at `kill` first when it starts.
    process.kill.get_or_insert(signal);
    // The first fatal signal decides the status, and says so if it dumps core.
    let says_core = core && process.ending.is_none();
    let status = *process
        .ending
        .get_or_insert(WaitStatus::Signaled { signal, core });
    SENT.fetch_add(1, Ordering::SeqCst);
    if process.thread.is_some() {
        super::threads::stop_threads(process, None, signal);
        for link in &process.links {
            thread::interrupt(link.thread);
        }
    }
    let last = process.thread.is_some() && process.live == 0;
    let name = process.name.clone();
    drop(processes);
    if says_core {
        crate::println!(
            "process {name} (pid {}) killed by {} (core dumped)",
            pid.0,
            super::deliver::name_of(signal)
        );
    }
    if last {
        end(pid, status);
    }
    wait::notify();
    Ok(())
}

/// Sends `signal` (1 to 64, or 0 to ask) from the caller, with `si_code`
/// `code` (`SI_TKILL` for `tkill` and `tgkill`), to thread `tid` alone: of
/// process `tgid` (`tgkill`), or of whichever process has it (`tkill`,
/// `tgid` None).
pub fn send_to_thread(
    tgid: Option<Pid>,
    tid: u32,
    signal: u64,
    code: i32,
) -> Result<(), KillError> {
    if signal > MAX_SIGNAL {
        return Err(KillError::BadSignal);
    }
    let pid = match tgid {
        Some(pid) => pid,
        None => owner_of_thread(tid).ok_or(KillError::NoProcess)?,
    };
    let info = Info {
        signal: signal as u32,
        code,
        detail: Detail::Sender {
            pid: table::current_pid().map_or(0, |p| p.0),
            uid: 0,
        },
    };
    let mut processes = PROCESSES.lock();
    let entry = processes.table.get_mut(pid).ok_or(KillError::NoProcess)?;
    let process = &mut entry.data;
    let link = process.links.iter().find(|link| link.tid == tid).cloned();
    let Some(link) = link else {
        // The first thread before it has started has no link yet.
        let starting = tid == pid.0 && process.thread.is_none();
        if starting {
            drop(processes);
            return send(pid, signal as u8, info);
        }
        return Err(KillError::NoProcess);
    };
    let signal = signal as u8;
    let blocked = signal != 0 && link.blocked() & bit(signal) != 0;
    let handled = signal != 0
        && (blocked || matches!(process.signals.disposition(signal), Disposition::Handle(_)));
    if !handled {
        // Asked, ignored, or the end of the whole process: as `kill` does it.
        drop(processes);
        return send(pid, signal, info);
    }
    process.signals.infos[usize::from(signal) - 1] = info;
    link.post_signal(bit(signal));
    SENT.fetch_add(1, Ordering::SeqCst);
    drop(processes);
    thread::interrupt(link.thread);
    wait::notify();
    Ok(())
}

/// The process that has a thread with id `tid`.
fn owner_of_thread(tid: u32) -> Option<Pid> {
    let processes = PROCESSES.lock();
    if processes.table.get(Pid(tid)).is_some() {
        return Some(Pid(tid)); // a first thread's tid is its pid
    }
    processes
        .table
        .iter()
        .find(|(_, e)| e.data.links.iter().any(|link| link.tid == tid))
        .map(|(pid, _)| pid)
}

/// Makes `signal` pending for `process` with `info`, unless it ignores it
/// (and some thread does not block it), and wakes the thread that takes it
/// ([`taker`]). The caller holds the table's lock and calls `wait::notify`
/// after.
pub(super) fn post(process: &mut Process, signal: u8, info: Info) {
    let blocked = every_thread_blocks(process, signal);
    if !blocked && process.signals.disposition(signal) == Disposition::Ignore {
        return;
    }
    process.pending |= bit(signal);
    process.signals.infos[usize::from(signal) - 1] = info;
    for link in &process.links {
        link.raise_attention();
    }
    SENT.fetch_add(1, Ordering::SeqCst);
    let woken = match taker(process, signal) {
        Some(link) => Some(link.thread),
        None if process.links.is_empty() => process.thread, // (starting)
        None => None, // every thread blocks it: it waits, pending
    };
    if let Some(id) = woken {
        thread::interrupt(id);
    }
}

/// Whether `link`'s thread blocks `signal`.
fn blocks(link: &Link, signal: u8) -> bool {
    link.blocked() & bit(signal) != 0
}

/// The thread of `process` that takes a signal sent to the whole process:
/// the first thread if it does not block `signal`, else any other that
/// does not; `None` if every thread blocks it (it stays pending until one
/// unblocks it, and that one takes it). The caller holds the table's lock.
fn taker(process: &Process, signal: u8) -> Option<&Arc<Link>> {
    let mut free = process.links.iter().filter(|link| !blocks(link, signal));
    let first = free.clone().find(|link| link.tid == link.pid.0);
    first.or_else(|| free.next())
}

/// Whether every thread of `process` blocks `signal` (before its first
/// thread has a link: whether the mask it starts with does).
fn every_thread_blocks(process: &Process, signal: u8) -> bool {
    if process.links.is_empty() {
        return process.first_thread.blocked & bit(signal) != 0;
    }
    process.links.iter().all(|link| blocks(link, signal))
}

/// The signals the calling thread blocks (none for a kernel thread).
pub fn blocked_by_me() -> u64 {
    crate::tasks::scheduler::with_link(|link| link.blocked()).unwrap_or(0)
}

/// Tells `parent` (its record, under the table's lock) that `child` ended
/// with `status`, by SIGCHLD. Called as the child becomes a zombie, under
/// the same lock, so the signal is pending before `wait4` can see the
/// zombie (the caller calls `wait::notify` after).
pub(super) fn child_ended(parent: &mut Process, child: Pid, status: WaitStatus) {
    let (code, value) = match status {
        WaitStatus::Exited(code) => (CLD_EXITED, i32::from(code)),
        WaitStatus::Signaled { signal, core } => (
            if core { CLD_DUMPED } else { CLD_KILLED },
            i32::from(signal),
        ),
    };
    let info = Info {
        signal: u32::from(SIGCHLD),
        code,
        detail: Detail::Child {
            pid: child.0,
            uid: 0,
            status: value,
        },
    };
    post(parent, SIGCHLD, info);
}

/// The signals sent to `pid` and not acted on yet (bit n-1 for signal n).
pub fn pending(pid: Pid) -> Option<u64> {
    let processes = PROCESSES.lock();
    processes.table.get(pid).map(|e| e.data.pending)
}

/// The signals pending for the calling thread: its process's and its own.
pub fn pending_for_me() -> u64 {
    let mine = own_signals();
    table::current_pid()
        .and_then(pending)
        .map_or(mine, |p| p | mine)
}

/// Whether the calling thread has a signal to act on (pending for its
/// process or for it, and not blocked by it; or a kill): blocking code
/// stops waiting and returns `ERESTARTSYS`. False for a kernel thread.
pub fn interrupted() -> bool {
    let mine = own_signals();
    let blocked = blocked_by_me();
    table::with_current(|_, p| p.kill.is_some() || (p.pending | mine) & !blocked != 0)
        .unwrap_or(false)
}

/// The signals sent to the calling thread alone (`tkill`, `tgkill`).
pub fn own_signals() -> u64 {
    crate::tasks::scheduler::with_link(|link| link.signals()).unwrap_or(0)
}

/// Why an interruptible wait ended early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interrupted;

/// Sleeps on `queue` while `blocked()` holds, as `WaitQueue::wait_while`
/// (the same rules for `blocked`: quick, no locks that sleep), unless a
/// signal comes for the caller: then `Err(Interrupted)`, and the caller
/// returns `ERESTARTSYS`.
pub fn wait_interruptible(
    queue: &WaitQueue,
    mut blocked: impl FnMut() -> bool,
) -> Result<(), Interrupted> {
    loop {
        let seen = SENT.load(Ordering::SeqCst);
        if interrupted() {
            return Err(Interrupted);
        }
        if !blocked() {
            return Ok(());
        }
        queue.wait_while(|| blocked() && SENT.load(Ordering::SeqCst) == seen);
    }
}

/// Sleeps until the clock reaches `deadline` (`time::now_ns`), unless a
/// signal comes for the caller first.
pub fn sleep_interruptible(deadline: u64) -> Result<(), Interrupted> {
    loop {
        sleep_interruptible_if(deadline, || true)?;
        if crate::time::now_ns() >= deadline {
            return Ok(());
        }
    }
}

/// Sleeps until `deadline` if `condition()` still holds (checked with the
/// scheduler locked, as a wait queue's condition), returning at the
/// deadline, at an early wake-up (`thread::interrupt`: something the caller
/// watches changed), or with `Err(Interrupted)` when a signal comes for the
/// caller. For `poll`, which re-checks its files after each return.
pub fn sleep_interruptible_if(
    deadline: u64,
    condition: impl FnOnce() -> bool,
) -> Result<(), Interrupted> {
    let seen = SENT.load(Ordering::SeqCst);
    if interrupted() {
        return Err(Interrupted);
    }
    if crate::time::now_ns() < deadline {
        thread::sleep_until_if(deadline, || {
            condition() && SENT.load(Ordering::SeqCst) == seen
        });
    }
    if interrupted() {
        Err(Interrupted)
    } else {
        Ok(())
    }
}

/// Sleeps until a signal comes for the caller (`pause`, `rt_sigsuspend`).
pub fn wait_for_signal() {
    wait::wait_until(|| interrupted().then_some(()));
}

/// Kills the process that thread `id` runs, if it runs one (for the
/// shell's `kill` of a thread number); its pid.
pub fn kill_thread_process(id: thread::ThreadId) -> Option<Pid> {
    let pid = *PROCESSES.lock().by_thread.get(&id)?;
    kill(pid, u64::from(SIGKILL)).ok().map(|()| pid)
}
