//! Threads of a process: `clone(CLONE_THREAD)`, and how threads end.
//!
//! A process may run several threads: kernel threads that share its record,
//! so its address space, open files and signal actions, each with its own
//! registers, kernel stack, FPU/SSE state, FS base (its thread-local
//! storage) and [`Link`] (its tid, flag words and signal mask: a new
//! thread starts with its creator's mask and no alternate stack). The C library makes one
//! with `clone(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
//! CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
//! CLONE_CHILD_CLEARTID)` on a stack it has mapped: [`spawn`] starts a
//! kernel thread that enters ring 3 with the caller's registers (`rax` 0,
//! the new stack), its own FS base, and its tid stored where it was asked.
//!
//! A tid is [`TID_BASE`] plus the kernel thread's number, so it never meets
//! a pid; the first thread's tid is the pid, as on Linux.
//!
//! **Ending.** The process record counts its threads (`live`: started, or
//! about to start). One thread ends with `exit` ([`end_thread`]): it stores
//! 0 at its clear-tid address and wakes one futex waiter there (how
//! `pthread_join` learns of it), leaves the address space, and the last one
//! to go ends the process (`end`). The whole process ends with
//! `exit_group`, a fault or a kill ([`end_others`], then `end_thread`): the
//! status is kept in `ending`, the other threads are stopped (one in ring 3
//! at once, one in the kernel through its link, at its way out), and the
//! last thread out ends the process with that status.

use super::link::Link;
use super::signals::ThreadSignals;
use super::table::{self, PROCESSES};
use super::{Pid, Process, WaitStatus, end, futex, wait};
use crate::arch::entry::InterruptFrame;
use crate::arch::syscall;
use crate::arch::user_state::UserState;
use crate::tasks::scheduler;
use crate::tasks::thread::{self, ThreadId};
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use x86_64::VirtAddr;
use x86_64::registers::model_specific::FsBase;

/// Added to a kernel thread's number to make a tid (above every pid).
pub const TID_BASE: u32 = table::MAX_PID;

/// What a new thread is asked for (the system-call layer reads it from
/// `clone`'s arguments).
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Its stack pointer (0: the caller's, which only works if the caller
    /// does not return).
    pub stack: u64,
    /// Its FS base (`CLONE_SETTLS`).
    pub tls: Option<u64>,
    /// Where its tid is stored, in the shared memory, before it runs
    /// (`CLONE_PARENT_SETTID`, `CLONE_CHILD_SETTID`).
    pub set_tid: [Option<u64>; 2],
    /// Where 0 is stored when it ends (`CLONE_CHILD_CLEARTID`).
    pub clear_tid: Option<u64>,
}

/// Why no thread was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The caller is not a process.
    NotAProcess,
    /// The process is ending.
    Ending,
    /// No memory for the thread.
    OutOfMemory,
}

/// What the new thread starts from.
struct Start {
    frame: InterruptFrame,
    user_state: Box<UserState>,
    fs_base: u64,
    options: Options,
    /// Its creator's mask (`ThreadSignals::for_new_thread`).
    own: ThreadSignals,
}

/// The tid of kernel thread `id`.
fn tid_of(id: ThreadId) -> u32 {
    TID_BASE.saturating_add(u32::try_from(id.0).unwrap_or(u32::MAX - TID_BASE))
}

/// Starts a thread of the calling process that continues from `frame` (its
/// saved `syscall` frame) as `options` say; returns its tid.
pub fn spawn(frame: &InterruptFrame, options: Options) -> Result<u32, Error> {
    let pid = table::current_pid().ok_or(Error::NotAProcess)?;
    let mut child_frame = frame.clone();
    child_frame.rax = 0;
    child_frame.rcx = frame.rip;
    child_frame.r11 = frame.rflags;
    if options.stack != 0 {
        child_frame.rsp = options.stack;
    }
    // The kernel is soft-float: the CPU's FPU/SSE registers are the caller's.
    let mut user_state = Box::new(UserState::new());
    user_state.save();
    let own = scheduler::with_link(|link| link.with_own(|t| t.for_new_thread()));
    let start = Start {
        frame: child_frame,
        user_state,
        fs_base: options.tls.unwrap_or_else(|| FsBase::read().as_u64()),
        options,
        own: own.unwrap_or_default(),
    };
    let name = {
        let mut processes = PROCESSES.lock();
        let p = &mut processes.table.get_mut(pid).ok_or(Error::NotAProcess)?.data;
        if p.ending.is_some() || p.kill.is_some() {
            return Err(Error::Ending);
        }
        p.live += 1;
        p.name.clone()
    };
    match thread::spawn(&name, move || -> () { run(pid, start) }) {
        Ok(handle) => Ok(tid_of(handle.id())), // detached: it ends alone
        Err(_) => {
            if let Some(e) = PROCESSES.lock().table.get_mut(pid) {
                e.data.live -= 1;
            }
            Err(Error::OutOfMemory)
        }
    }
}

/// The new thread: links itself to the process, loads its address space and
/// CPU state, stores its tid, and enters ring 3.
fn run(pid: Pid, start: Start) -> ! {
    let me = thread::current();
    let tid = tid_of(me);
    let link = Arc::new(Link::new(pid, tid, me, start.own));
    link.clear_tid
        .store(start.options.clear_tid.unwrap_or(0), Ordering::SeqCst);
    let root = PROCESSES.lock().table.get_mut(pid).map(|entry| {
        let p = &mut entry.data;
        p.links.push(link.clone());
        scheduler::set_link(Some(link));
        match (&p.ending, &p.space) {
            (None, Some(space)) => Some(space.lock().space.root()),
            _ => None,
        }
    });
    let root = match root {
        Some(Some(root)) => root,
        // The process is ending. (What `start` owns is dropped first: the
        // thread never returns from here.)
        Some(None) => {
            drop(start);
            end_thread(WaitStatus::Exited(0))
        }
        None => {
            drop(start);
            thread::exit(0) // (cannot happen: `live` keeps the record)
        }
    };
    scheduler::set_address_space(Some(root));
    scheduler::continue_user_state(start.user_state);
    for address in start.options.set_tid.into_iter().flatten() {
        table::write_user(address, &tid.to_le_bytes());
    }
    super::leave_for_user();
    FsBase::write(VirtAddr::new_truncate(start.fs_base));
    // SAFETY: the frame is the caller's saved ring-3 frame (user segments, a
    // user return address) with a user stack pointer; this thread's kernel
    // stack is in the TSS and the process's address space is loaded.
    unsafe { syscall::return_to_user(&start.frame) }
}

/// Stops every thread of `p` but `except`: one in ring 3 (or not linked
/// yet, for the first thread) ends at once, one in the kernel is told
/// through its link and ends on its way out.
pub(super) fn stop_threads(p: &mut Process, except: Option<&Link>, signal: u8) {
    if p.links.is_empty() && p.live == 1 {
        // The first thread, not linked yet: it holds nothing.
        if let Some(id) = p.thread {
            let _ = thread::kill(id);
            p.live = 0;
        }
        return;
    }
    let mut stopped = 0;
    p.links.retain(|link| {
        if except.is_some_and(|me| core::ptr::eq(me, &**link)) {
            true
        } else if link.in_kernel() {
            link.post_kill(signal);
            true
        } else {
            // Under the table's lock (interrupts off), so it cannot enter
            // the kernel meanwhile; it is not the caller.
            let _ = thread::kill(link.thread);
            stopped += 1;
            false
        }
    });
    p.live -= stopped;
}

/// The whole process is ending with `status` (unless it already was):
/// stops its other threads.
pub(super) fn end_others(status: WaitStatus) {
    let mut processes = PROCESSES.lock();
    let Some(pid) = table::current_pid() else {
        return;
    };
    let Some(entry) = processes.table.get_mut(pid) else {
        return;
    };
    let p = &mut entry.data;
    p.ending.get_or_insert(status);
    if p.live > 1 {
        scheduler::with_link(|me| stop_threads(p, Some(me), super::signal::SIGKILL));
    }
    drop(processes);
    wait::notify();
}

/// Ends the calling thread (see the module docs): the last thread of its
/// process ends the process, with the status kept in `ending`, or `status`.
pub(super) fn end_thread(status: WaitStatus) -> ! {
    let me = scheduler::current_link();
    let found = me.as_ref().and_then(|me| {
        table::with_current(|pid, p| {
            let address = if me.tid == pid.0 {
                core::mem::take(&mut p.clear_child_tid)
            } else {
                me.clear_tid.swap(0, Ordering::SeqCst)
            };
            (pid, address, p.space.as_ref().map(futex::space_id))
        })
    });
    let Some((pid, clear, space)) = found else {
        scheduler::set_address_space(None);
        thread::exit(status.shell_code())
    };
    if let (true, Some(space)) = (clear != 0, space) {
        table::write_user(clear, &0u32.to_le_bytes());
        futex::wake_key(futex::key(space, clear), 1, futex::ALL);
    }
    // Out of the address space before it may be freed (by the last thread).
    scheduler::set_address_space(None);
    let last = {
        let mut processes = PROCESSES.lock();
        processes.table.get_mut(pid).and_then(|e| {
            let p = &mut e.data;
            if let Some(me) = &me {
                p.links.retain(|link| !Arc::ptr_eq(link, me));
            }
            p.live = p.live.saturating_sub(1);
            (p.live == 0).then(|| p.ending.unwrap_or(status))
        })
    };
    let code = last.unwrap_or(status).shell_code();
    if let Some(status) = last {
        end(pid, status);
    }
    scheduler::set_link(None);
    drop(me);
    thread::exit(code)
}
