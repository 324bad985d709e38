//! The calls Kestrel answers on its fast path (`getpid`, `gettid` and the
//! ids, with interrupts off) give the same answers while a signal is
//! pending: then the kernel's attention word for the thread is up and it
//! answers them on its general path, which then delivers the signal as soon
//! as it is unblocked.

use crate::check::Checker;
use crate::raw::sys;
use libc::{
    SIG_BLOCK, SIG_DFL, SIG_ERR, SIG_UNBLOCK, SIGUSR1, SYS_getegid, SYS_geteuid, SYS_getgid,
    SYS_getpid, SYS_gettid, SYS_getuid, SYS_kill, c_int,
};
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

/// How many times the handler ran.
static CALLS: AtomicU32 = AtomicU32::new(0);

extern "C" fn count(_: c_int) {
    CALLS.fetch_add(1, SeqCst);
}

/// The fast calls: number and name.
const FAST: [(i64, &str); 6] = [
    (SYS_getpid, "getpid"),
    (SYS_gettid, "gettid"),
    (SYS_getuid, "getuid"),
    (SYS_getgid, "getgid"),
    (SYS_geteuid, "geteuid"),
    (SYS_getegid, "getegid"),
];

pub fn checks(c: &mut Checker) {
    let before: Vec<_> = FAST.iter().map(|&(n, _)| sys(n, &[])).collect();
    // SAFETY: the handler only bumps an atomic.
    let installed = unsafe { libc::signal(SIGUSR1, count as *const () as usize) } != SIG_ERR;
    c.check("signal(SIGUSR1, handler)", installed, ());
    mask(SIG_BLOCK, SIGUSR1);
    let pid = before[0].unwrap_or(0) as u64;
    c.equal(
        "kill(self, SIGUSR1), blocked",
        sys(SYS_kill, &[pid, SIGUSR1 as u64]),
        Ok(0),
    );
    for (&(number, name), expected) in FAST.iter().zip(&before) {
        c.equal(
            &format!("{name} with a signal pending"),
            sys(number, &[]),
            *expected,
        );
    }
    c.equal("the blocked signal waits", CALLS.load(SeqCst), 0);
    mask(SIG_UNBLOCK, SIGUSR1);
    c.equal("unblocked, it is delivered", CALLS.load(SeqCst), 1);
    c.equal("getpid after it", sys(SYS_getpid, &[]), before[0]);
    // SAFETY: the default action back.
    unsafe { libc::signal(SIGUSR1, SIG_DFL) };
}

/// Blocks or unblocks (`how`) `signal` for the calling thread.
fn mask(how: c_int, signal: c_int) {
    // SAFETY: an empty set is valid, then one signal is added; the set is
    // a live local passed by pointer.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signal);
        libc::pthread_sigmask(how, &set, std::ptr::null_mut());
    }
}
