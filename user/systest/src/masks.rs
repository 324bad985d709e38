//! Signal masks per thread: `rt_sigprocmask` changes the calling thread's
//! mask alone, a new thread (and a forked child) starts with its creator's
//! mask, and a signal sent to the process (`kill`) is taken by a thread
//! that does not block it, which it wakes from a sleep (`EINTR`); if every
//! thread blocks it, it stays pending (`rt_sigpending`) until one unblocks
//! it, and that one takes it.
//!
//! The handler notes the tid it runs on and counts its runs. Each check
//! leaves the main thread's mask as it found it.

use crate::check::Checker;
use crate::raw::{self, NULL, mut_ptr, ptr, sys};
use libc::{
    EINTR, SIG_BLOCK, SIG_DFL, SIG_ERR, SIG_SETMASK, SIG_UNBLOCK, SIGUSR1, SIGUSR2, SYS_getpid,
    SYS_gettid, SYS_kill, SYS_nanosleep, SYS_rt_sigpending, SYS_rt_sigprocmask, SYS_sched_yield,
    SYS_wait4, c_int,
};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::SeqCst};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The tid the handler last ran on (0: it has not run).
static HANDLED_BY: AtomicI64 = AtomicI64::new(0);
/// How many times the handler ran.
static RUNS: AtomicU64 = AtomicU64::new(0);

/// How long a check waits for a condition before it fails.
const PATIENCE: Duration = Duration::from_secs(10);
/// How long the sender waits for a sleeping thread's answer before it
/// sends again (the thread may not have been asleep yet the first time).
const RESEND: Duration = Duration::from_millis(200);

extern "C" fn note_tid(_: c_int) {
    HANDLED_BY.store(sys(SYS_gettid, &[]).unwrap_or(-1), SeqCst);
    RUNS.fetch_add(1, SeqCst);
}

pub fn checks(c: &mut Checker) {
    // SAFETY: the handler only makes a system call and changes atomics.
    let installed = unsafe { libc::signal(SIGUSR1, note_tid as *const () as usize) } != SIG_ERR;
    c.check("signal(SIGUSR1, handler)", installed, ());
    let before = mask();
    one_thread_changes_its_own(c);
    new_thread_inherits(c);
    fork_inherits(c);
    after_a_joined_thread(c);
    taken_by_a_sleeping_thread(c);
    pending_while_every_thread_blocks(c);
    c.equal("the main thread's mask is as it was", mask(), before);
    // SAFETY: the default action back.
    unsafe { libc::signal(SIGUSR1, SIG_DFL) };
}

/// Signal `n`'s bit in a mask.
fn bit(signal: c_int) -> u64 {
    1 << (signal - 1)
}

/// Changes the calling thread's mask (`how`) by `set`, as raw
/// `rt_sigprocmask`; the previous mask.
fn change(how: c_int, set: u64) -> u64 {
    let mut old = 0u64;
    let _ = sys(
        SYS_rt_sigprocmask,
        &[how as u64, ptr(&set), mut_ptr(&mut old), 8],
    );
    old
}

/// The calling thread's mask.
fn mask() -> u64 {
    let mut old = 0u64;
    let _ = sys(
        SYS_rt_sigprocmask,
        &[SIG_BLOCK as u64, NULL, mut_ptr(&mut old), 8],
    );
    old
}

/// The signals pending for the calling thread that it blocks.
fn pending() -> u64 {
    let mut set = 0u64;
    let _ = sys(SYS_rt_sigpending, &[mut_ptr(&mut set), 8]);
    set
}

fn gettid() -> i64 {
    sys(SYS_gettid, &[]).unwrap_or(0)
}

/// `kill(getpid(), signal)`.
fn kill_me(signal: c_int) {
    let pid = sys(SYS_getpid, &[]).unwrap_or(0) as u64;
    let _ = sys(SYS_kill, &[pid, signal as u64]);
}

/// Waits until `done()` or [`PATIENCE`] has passed, yielding; `done()`.
fn wait_for(done: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while !done() && start.elapsed() < PATIENCE {
        let _ = sys(SYS_sched_yield, &[]);
    }
    done()
}

/// A second thread blocks SIGUSR2; while it still runs, the main
/// thread's mask has SIGUSR2 unblocked. (Looked at before the join: the
/// C library blocks everything in a thread that ends.)
fn one_thread_changes_its_own(c: &mut Checker) {
    let before = change(SIG_UNBLOCK, bit(SIGUSR2));
    let (theirs_sender, theirs) = mpsc::channel();
    let (done, wait_for_done) = mpsc::channel::<()>();
    let worker = thread::spawn(move || {
        change(SIG_BLOCK, bit(SIGUSR2));
        let _ = theirs_sender.send(mask());
        let _ = wait_for_done.recv();
    });
    let theirs = theirs.recv().unwrap_or(0);
    let mine = mask();
    let _ = done.send(());
    let _ = worker.join();
    change(SIG_SETMASK, before);
    c.check(
        "a thread's rt_sigprocmask: SIGUSR2 blocked in that thread",
        theirs & bit(SIGUSR2) != 0,
        format!("{theirs:#x}"),
    );
    c.check(
        "a thread's rt_sigprocmask: SIGUSR2 still unblocked in the main thread",
        mine & bit(SIGUSR2) == 0,
        format!("{mine:#x}"),
    );
}

/// The main thread blocks SIGUSR2, then makes a thread: it starts with
/// SIGUSR2 blocked.
fn new_thread_inherits(c: &mut Checker) {
    let before = change(SIG_BLOCK, bit(SIGUSR2));
    let theirs = thread::spawn(mask).join().unwrap_or(0);
    change(SIG_SETMASK, before);
    c.check(
        "a new thread starts with its creator's mask",
        theirs & bit(SIGUSR2) != 0,
        format!("{theirs:#x}"),
    );
    let theirs = thread::spawn(mask).join().unwrap_or(u64::MAX);
    c.check(
        "a new thread made after the unblock has SIGUSR2 unblocked",
        theirs & bit(SIGUSR2) == 0,
        format!("{theirs:#x}"),
    );
}

/// A second thread blocks SIGUSR2 and forks: the child's (only) thread
/// has SIGUSR2 blocked (exit status 1), as the forking thread had.
fn fork_inherits(c: &mut Checker) {
    let forker = thread::spawn(|| {
        change(SIG_BLOCK, bit(SIGUSR2));
        let child = raw::spawn(|| u64::from(mask() & bit(SIGUSR2) != 0))?;
        let mut status = 0i32;
        while sys(SYS_wait4, &[child, mut_ptr(&mut status), 0, NULL]) == Err(EINTR) {}
        Ok::<i32, i32>(status)
    });
    let status = forker.join().unwrap_or(Err(0));
    c.equal(
        "a child forked by a thread that blocks SIGUSR2 starts with it blocked",
        status.map(|s| libc::WIFEXITED(s) && libc::WEXITSTATUS(s) == 1),
        Ok(true),
    );
}

/// The C library blocks every signal in a thread that ends: that must not
/// block them for the rest of the process. After a `std::thread` has been
/// joined, `kill(getpid(), SIGUSR1)` runs the handler on the main thread.
fn after_a_joined_thread(c: &mut Checker) {
    let joined = thread::spawn(gettid).join().is_ok();
    c.check("a thread was made and joined", joined, ());
    c.equal(
        "after the join, SIGUSR1 is not blocked",
        mask() & bit(SIGUSR1),
        0,
    );
    HANDLED_BY.store(0, SeqCst);
    kill_me(SIGUSR1);
    let ran = wait_for(|| HANDLED_BY.load(SeqCst) != 0);
    c.check(
        "after the join, kill(getpid(), SIGUSR1) runs the handler",
        ran,
        (),
    );
    c.equal(
        "after the join, the main thread ran it",
        HANDLED_BY.load(SeqCst),
        gettid(),
    );
}

/// The main thread blocks SIGUSR1; a second thread, which does not, sleeps
/// in `nanosleep`. `kill(getpid(), SIGUSR1)` runs the handler on the
/// second thread, whose sleep ends with `EINTR`. (The sender cannot know
/// when the thread sleeps: it sends again until the thread answers.)
fn taken_by_a_sleeping_thread(c: &mut Checker) {
    HANDLED_BY.store(0, SeqCst);
    RUNS.store(0, SeqCst);
    let before = change(SIG_BLOCK, bit(SIGUSR1));
    let (tid_sender, tid) = mpsc::channel();
    let (answer_sender, answer) = mpsc::channel();
    let sleeper = thread::spawn(move || {
        change(SIG_UNBLOCK, bit(SIGUSR1));
        let _ = tid_sender.send(gettid());
        let start = Instant::now();
        while start.elapsed() < PATIENCE {
            let long = libc::timespec {
                tv_sec: 30,
                tv_nsec: 0,
            };
            let slept = sys(SYS_nanosleep, &[ptr(&long), NULL]);
            if slept == Err(EINTR) {
                break;
            }
        }
        let _ = answer_sender.send(());
    });
    let tid = tid.recv().unwrap_or(0);
    let start = Instant::now();
    let mut answered = false;
    while !answered && start.elapsed() < PATIENCE {
        kill_me(SIGUSR1);
        answered = answer.recv_timeout(RESEND).is_ok();
    }
    let _ = sleeper.join();
    c.check(
        "kill with the main thread blocking SIGUSR1: the sleeping thread's nanosleep returns EINTR",
        answered,
        (),
    );
    c.equal(
        "kill with the main thread blocking SIGUSR1: the handler ran on the other thread",
        HANDLED_BY.load(SeqCst),
        tid,
    );
    // (A signal sent again after the thread's answer, if it was slow to
    // come, runs on the main thread now: harmless.)
    change(SIG_SETMASK, before);
}

/// Both threads block SIGUSR1: `kill(getpid(), SIGUSR1)` runs nothing and
/// the signal is pending for both; when the second thread unblocks it,
/// the handler runs there, and it is pending no more.
fn pending_while_every_thread_blocks(c: &mut Checker) {
    HANDLED_BY.store(0, SeqCst);
    RUNS.store(0, SeqCst);
    let before = change(SIG_BLOCK, bit(SIGUSR1));
    let (go, wait_for_go) = mpsc::channel::<()>();
    let (answer_sender, answer) = mpsc::channel();
    let worker = thread::spawn(move || {
        let _ = answer_sender.send((gettid(), 0));
        let _ = wait_for_go.recv();
        let blocked_then = change(SIG_UNBLOCK, bit(SIGUSR1));
        // The handler ran on the way out of rt_sigprocmask.
        let _ = answer_sender.send((HANDLED_BY.load(SeqCst), blocked_then));
    });
    let (tid, _) = answer.recv().unwrap_or((0, 0));
    kill_me(SIGUSR1);
    c.equal(
        "every thread blocks SIGUSR1: kill runs no handler",
        RUNS.load(SeqCst),
        0,
    );
    c.check(
        "every thread blocks SIGUSR1: rt_sigpending shows it",
        pending() & bit(SIGUSR1) != 0,
        format!("{:#x}", pending()),
    );
    let _ = go.send(());
    let (handled_by, blocked_then) = answer.recv().unwrap_or((0, 0));
    let _ = worker.join();
    c.check(
        "the second thread had SIGUSR1 blocked (inherited)",
        blocked_then & bit(SIGUSR1) != 0,
        format!("{blocked_then:#x}"),
    );
    c.equal(
        "unblocking SIGUSR1 in the second thread runs the handler there",
        handled_by,
        tid,
    );
    c.equal("the handler ran once", RUNS.load(SeqCst), 1);
    c.equal(
        "after that, SIGUSR1 is not pending",
        pending() & bit(SIGUSR1),
        0,
    );
    change(SIG_SETMASK, before);
    c.equal(
        "unblocking it in the main thread runs nothing more",
        RUNS.load(SeqCst),
        1,
    );
}
