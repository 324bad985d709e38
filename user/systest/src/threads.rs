//! Threads (`clone(CLONE_THREAD)`, made by `std::thread::spawn` through the
//! C library) and `futex`, as Linux answers them.
//!
//! Std's threads exercise the kernel's whole path: `clone` with the
//! thread flags, TLS, `set_tid_address`/`CLONE_CHILD_CLEARTID` (a join
//! waits for the tid word to be cleared and woken), `futex` wait and wake
//! under `Mutex` and `Condvar` contention, and `exit` of one thread while
//! others run. The raw `futex` checks pin down the error numbers. A forked
//! child with threads that spin in ring 3 is killed, and must end.

use crate::check::Checker;
use crate::raw::{NULL, mut_ptr, ptr, sys};
use libc::{
    EAGAIN, EINVAL, ETIMEDOUT, FUTEX_PRIVATE_FLAG, FUTEX_WAIT, FUTEX_WAKE, SIGKILL, SYS_futex,
    SYS_getpid, SYS_gettid, SYS_kill, SYS_wait4,
};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

const THREADS: u64 = 4;
const ROUNDS: u64 = 200;

pub fn checks(c: &mut Checker) {
    identities(c);
    mutex_contention(c);
    condvar_turns(c);
    exits_while_others_run(c);
    raw_futex(c);
    killed_with_threads(c);
}

/// Each thread has its own tid; the process's pid is the same in all.
fn identities(c: &mut Checker) {
    let pid = sys(SYS_getpid, &[]);
    c.equal(
        "gettid of the first thread is the pid",
        sys(SYS_gettid, &[]),
        pid,
    );
    let seen = thread::spawn(|| (sys(SYS_getpid, &[]), sys(SYS_gettid, &[])))
        .join()
        .expect("join");
    c.equal("getpid in a thread", seen.0, pid);
    c.check(
        "gettid in a thread differs from the pid",
        seen.1 != pid,
        seen,
    );
}

/// 4 threads add to one counter under a `Mutex`.
fn mutex_contention(c: &mut Checker) {
    let counter = Arc::new(Mutex::new(0u64));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let counter = counter.clone();
            thread::spawn(move || {
                for _ in 0..ROUNDS {
                    let mut n = counter.lock().expect("lock");
                    let seen = *n;
                    thread::yield_now(); // hold the lock across a switch
                    *n = seen + 1;
                }
            })
        })
        .collect();
    let joined = handles.into_iter().all(|h| h.join().is_ok());
    c.check("4 threads joined", joined, ());
    c.equal(
        "counter under a contended Mutex",
        *counter.lock().expect("lock"),
        THREADS * ROUNDS,
    );
}

/// 4 threads take turns, each waiting on a `Condvar` for its number.
fn condvar_turns(c: &mut Checker) {
    let state = Arc::new((Mutex::new(0u64), Condvar::new()));
    let handles: Vec<_> = (0..THREADS)
        .map(|me| {
            let state = state.clone();
            thread::spawn(move || {
                let (turn, changed) = &*state;
                let mut mine = 0;
                for _ in 0..ROUNDS / 4 {
                    let mut t = turn.lock().expect("lock");
                    while *t % THREADS != me {
                        t = changed.wait(t).expect("wait");
                    }
                    *t += 1;
                    mine += 1;
                    changed.notify_all();
                }
                mine
            })
        })
        .collect();
    let turns: u64 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    c.equal(
        "turns taken through a Condvar",
        turns,
        THREADS * (ROUNDS / 4),
    );
    c.equal(
        "the turn counter",
        *state.0.lock().expect("lock"),
        THREADS * (ROUNDS / 4),
    );
}

/// Threads end one by one while the others go on working.
fn exits_while_others_run(c: &mut Checker) {
    let done = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let done = done.clone();
            thread::spawn(move || {
                for _ in 0..(i + 1) * 50 {
                    thread::yield_now();
                }
                done.fetch_add(1, Ordering::SeqCst);
                i
            })
        })
        .collect();
    let results: Vec<u64> = handles
        .into_iter()
        .map(|h| h.join().unwrap_or(99))
        .collect();
    c.equal(
        "results of threads that ended in turn",
        results,
        vec![0, 1, 2, 3],
    );
    c.equal(
        "threads that finished",
        done.load(Ordering::SeqCst),
        THREADS,
    );
}

/// `futex` itself: errors, and a wake with nobody waiting.
fn raw_futex(c: &mut Checker) {
    let word = AtomicU32::new(5);
    let at = ptr(word.as_ptr());
    let wait = (FUTEX_WAIT | FUTEX_PRIVATE_FLAG) as u64;
    let wake = (FUTEX_WAKE | FUTEX_PRIVATE_FLAG) as u64;
    c.fails(
        "futex wait, value differs",
        sys(SYS_futex, &[at, wait, 6, NULL]),
        EAGAIN,
    );
    let timeout = libc::timespec {
        tv_sec: 0,
        tv_nsec: 20_000_000,
    };
    c.fails(
        "futex wait with a 20 ms timeout",
        sys(SYS_futex, &[at, wait, 5, ptr(&timeout)]),
        ETIMEDOUT,
    );
    c.fails(
        "futex wait, unaligned",
        sys(SYS_futex, &[at + 1, wait, 5, NULL]),
        EINVAL,
    );
    c.equal(
        "futex wake, nobody waits",
        sys(SYS_futex, &[at, wake, 1]),
        Ok(0),
    );
    // A waiter woken by another thread.
    let word = Arc::new(AtomicU32::new(0));
    let waiter = {
        let word = word.clone();
        thread::spawn(move || {
            let at = ptr(word.as_ptr());
            while word.load(Ordering::SeqCst) == 0 {
                let _ = sys(SYS_futex, &[at, wait, 0, NULL]);
            }
        })
    };
    word.store(1, Ordering::SeqCst);
    let _ = sys(SYS_futex, &[ptr(word.as_ptr()), wake, 1]);
    c.check("a futex waiter is woken", waiter.join().is_ok(), ());
}

/// A child whose threads spin in ring 3 is killed: it ends, signaled.
fn killed_with_threads(c: &mut Checker) {
    // SAFETY: the child only spawns threads and spins; no lock of the
    // parent's is held across the fork (every earlier thread was joined).
    match unsafe { libc::fork() } {
        0 => {
            for _ in 0..3 {
                thread::spawn(|| {
                    loop {
                        std::hint::spin_loop();
                    }
                });
            }
            loop {
                std::hint::spin_loop();
            }
        }
        pid if pid > 0 => {
            let pid = i64::from(pid);
            // Let it start its threads (it never ends by itself).
            for _ in 0..20 {
                thread::yield_now();
            }
            c.equal(
                "kill a process with threads",
                sys(SYS_kill, &[pid as u64, SIGKILL as u64]),
                Ok(0),
            );
            let mut status = 0i32;
            let waited = sys(SYS_wait4, &[pid as u64, mut_ptr(&mut status), 0, NULL]);
            c.equal("wait4 for it", waited, Ok(pid));
            c.check(
                "it ended by SIGKILL",
                libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == SIGKILL,
                status,
            );
        }
        failed => c.check("fork", false, failed),
    }
}
