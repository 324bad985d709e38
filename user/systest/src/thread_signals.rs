//! Signals to one thread: `tgkill(tgid, tid, signal)` and `tkill(tid,
//! signal)` name a thread, and that thread runs the handler, not the one
//! that sent the signal (the handler notes the tid it runs on). A process
//! that has no thread `tid` answers `ESRCH`.

use crate::check::Checker;
use crate::raw::{Answer, spawn, sys};
use libc::{
    ESRCH, SIG_DFL, SIG_ERR, SIGUSR2, SYS_getpid, SYS_gettid, SYS_sched_yield, SYS_tgkill,
    SYS_tkill, SYS_wait4, c_int,
};
use std::sync::atomic::{AtomicI64, Ordering::SeqCst};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The tid the handler last ran on (0: it has not run).
static HANDLED_BY: AtomicI64 = AtomicI64::new(0);

/// How long a thread waits for its signal before the check fails.
const PATIENCE: Duration = Duration::from_secs(10);

extern "C" fn note_tid(_: c_int) {
    HANDLED_BY.store(sys(SYS_gettid, &[]).unwrap_or(-1), SeqCst);
}

pub fn checks(c: &mut Checker) {
    // SAFETY: the handler only makes a system call and stores an atomic.
    let installed = unsafe { libc::signal(SIGUSR2, note_tid as *const () as usize) } != SIG_ERR;
    c.check("signal(SIGUSR2, handler)", installed, ());
    to_a_thread(c, "tgkill", |pid, tid| {
        sys(SYS_tgkill, &[pid, tid, SIGUSR2 as u64])
    });
    to_a_thread(c, "tkill", |_, tid| sys(SYS_tkill, &[tid, SIGUSR2 as u64]));
    wrong_pairs(c);
    // SAFETY: the default action back.
    unsafe { libc::signal(SIGUSR2, SIG_DFL) };
}

/// A second thread waits, in ring 3 and in `sched_yield`, until the handler
/// has run; `send(pid, tid)` names it. The handler must run on it.
fn to_a_thread(c: &mut Checker, name: &str, send: impl Fn(u64, u64) -> Answer) {
    HANDLED_BY.store(0, SeqCst);
    let pid = sys(SYS_getpid, &[]).unwrap_or(0) as u64;
    let (tid_sender, tid) = mpsc::channel();
    let worker = thread::spawn(move || {
        let _ = tid_sender.send(sys(SYS_gettid, &[]).unwrap_or(0) as u64);
        let start = Instant::now();
        while HANDLED_BY.load(SeqCst) == 0 && start.elapsed() < PATIENCE {
            let _ = sys(SYS_sched_yield, &[]);
        }
    });
    let tid = tid.recv().unwrap_or(0);
    c.check(&format!("{name}: a thread of its own"), tid != pid, tid);
    c.equal(&format!("{name}(pid, tid, 0)"), send_zero(pid, tid), Ok(0));
    c.equal(&format!("{name} to the thread"), send(pid, tid), Ok(0));
    let joined = worker.join().is_ok();
    c.check(&format!("{name}: the thread ended"), joined, ());
    c.equal(
        &format!("{name}: the named thread ran the handler"),
        HANDLED_BY.load(SeqCst),
        tid as i64,
    );
}

/// Signal 0 to thread `tid` of `pid`: only asks whether it is there.
fn send_zero(pid: u64, tid: u64) -> Answer {
    sys(SYS_tgkill, &[pid, tid, 0])
}

/// A thread of this process named with another process's id: `ESRCH`.
fn wrong_pairs(c: &mut Checker) {
    HANDLED_BY.store(0, SeqCst);
    let Ok(child) = spawn(|| 0) else {
        c.check("fork for the wrong pair", false, ());
        return;
    };
    let (tid_sender, tid) = mpsc::channel();
    let (done, wait) = mpsc::channel::<()>();
    let worker = thread::spawn(move || {
        let _ = tid_sender.send(sys(SYS_gettid, &[]).unwrap_or(0) as u64);
        let _ = wait.recv();
    });
    let tid = tid.recv().unwrap_or(0);
    c.fails(
        "tgkill(another process, a thread of this one, 0)",
        send_zero(child, tid),
        ESRCH,
    );
    c.fails(
        "tgkill(another process, a thread of this one, SIGUSR2)",
        sys(SYS_tgkill, &[child, tid, SIGUSR2 as u64]),
        ESRCH,
    );
    let _ = done.send(());
    let _ = worker.join();
    let mut status = 0i32;
    let _ = sys(SYS_wait4, &[child, &raw mut status as u64, 0, 0]);
    c.equal("the handler did not run", HANDLED_BY.load(SeqCst), 0);
}
