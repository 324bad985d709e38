//! Interrupted system calls: a signal with a handler interrupts every call
//! that blocks. Without `SA_RESTART` the call fails with `EINTR`; with it,
//! the calls signal(7) lists are restarted (pipe `read`/`write`/`readv`/
//! `writev`, `wait4`, an untimed `futex` wait) and the others still fail
//! with `EINTR` (`nanosleep`, `clock_nanosleep`, a timed `futex` wait,
//! `poll`, `select`, `ppoll`, `pselect6`, `pause`, `rt_sigsuspend`). A
//! signal that is blocked or ignored does not interrupt; `ppoll` and
//! `pselect6` wait with the mask they are given and put the thread's own
//! back; a stop and continue is no `EINTR` (a timed call goes on through
//! `restart_syscall`); SIGKILL ends a blocked call.
//!
//! A second thread (the *sender*) sends SIGUSR1 to the main thread again
//! and again while the main thread makes the call, then, if the call has
//! not returned, makes it return for good (writes to the pipe, wakes the
//! futex...). So a call that is not interrupted returns its normal answer
//! and the check fails, instead of hanging. A restart is seen in the
//! handler itself: the signal frame it gets holds the registers the call
//! will be restarted with, `rip` on a `syscall` instruction and `rax` a
//! call number rather than `-EINTR`.

use crate::check::Checker;
use crate::raw::{self, Answer, NULL, mut_ptr, ptr, sys};
use libc::{
    EINTR, EINVAL, O_NONBLOCK, SA_RESTART, SA_SIGINFO, SIG_BLOCK, SIG_IGN, SIG_SETMASK, SIGCONT,
    SIGKILL, SIGSTOP, SIGUSR1, SYS_clock_gettime, SYS_clock_nanosleep, SYS_close, SYS_fcntl,
    SYS_futex, SYS_getpid, SYS_gettid, SYS_kill, SYS_nanosleep, SYS_pause, SYS_pipe2, SYS_poll,
    SYS_ppoll, SYS_pselect6, SYS_read, SYS_readv, SYS_rt_sigprocmask, SYS_rt_sigsuspend,
    SYS_sched_yield, SYS_select, SYS_tgkill, SYS_wait4, SYS_write, SYS_writev, WCONTINUED,
    WUNTRACED, c_int, c_void, siginfo_t,
};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::SeqCst};
use std::thread;
use std::time::{Duration, Instant};

/// How many times the handler ran, and how many of those restart a call.
static HANDLED: AtomicU32 = AtomicU32::new(0);
static RESTARTS: AtomicU32 = AtomicU32::new(0);
/// The main thread is about to make the call / has returned from it.
static CALLING: AtomicBool = AtomicBool::new(false);
static RETURNED: AtomicBool = AtomicBool::new(false);

/// How long the sender tries before it makes the call return anyway.
const PATIENCE: Duration = Duration::from_secs(10);
/// How long a call that nothing interrupts sleeps (one `PATIENCE`).
const LONG: [u64; 2] = [10, 0];
/// A sleep that a stop and continue interrupt, most likely.
const SHORT: [u64; 2] = [2, 0];
/// How many restarts prove that a call is restarted.
const RESTARTS_WANTED: u32 = 2;
const FUTEX_WAIT_PRIVATE: u64 = 128;
const FUTEX_WAKE_PRIVATE: u64 = 129;
const FUTEX_WAIT_BITSET_PRIVATE: u64 = 9 | 128;
/// `syscall`'s two bytes.
const SYSCALL: [u8; 2] = [0x0f, 0x05];

/// Counts its runs, and those whose frame restarts a call (see the module
/// docs).
extern "C" fn count(_: c_int, _: *mut siginfo_t, context: *mut c_void) {
    HANDLED.fetch_add(1, SeqCst);
    // SAFETY: with SA_SIGINFO the third argument is the frame's ucontext.
    let registers = unsafe { (*(context as *const libc::ucontext_t)).uc_mcontext.gregs };
    let rip = registers[libc::REG_RIP as usize] as *const [u8; 2];
    let rax = registers[libc::REG_RAX as usize];
    // SAFETY: `rip` is where the interrupted code runs: mapped, readable.
    if rax >= 0 && unsafe { rip.read_unaligned() } == SYSCALL {
        RESTARTS.fetch_add(1, SeqCst);
    }
}

/// Installs the counting handler for SIGUSR1 with `flags`.
fn install(flags: c_int) -> bool {
    // SAFETY: an all-zero sigaction is valid (empty mask); then filled in.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = count as *const () as usize;
    action.sa_flags = flags | SA_SIGINFO;
    // SAFETY: a valid action; the handler only touches atomics and reads
    // its frame.
    unsafe { libc::sigaction(SIGUSR1, &action, std::ptr::null_mut()) == 0 }
}

/// Ignores SIGUSR1.
fn ignore() {
    // SAFETY: SIG_IGN runs nothing.
    unsafe { libc::signal(SIGUSR1, SIG_IGN) };
}

fn bit(signal: c_int) -> u64 {
    1 << (signal - 1)
}

/// Sets the calling thread's mask; the old one.
fn set_mask(mask: u64) -> u64 {
    let mut old = 0u64;
    let how = SIG_SETMASK as u64;
    let _ = sys(SYS_rt_sigprocmask, &[how, ptr(&mask), mut_ptr(&mut old), 8]);
    old
}

fn mask() -> u64 {
    let mut now = 0u64;
    let how = SIG_BLOCK as u64;
    let _ = sys(SYS_rt_sigprocmask, &[how, NULL, mut_ptr(&mut now), 8]);
    now
}

/// A pipe: (read end, write end).
fn pipe() -> (u64, u64) {
    let mut fds = [0i32; 2];
    let made = sys(SYS_pipe2, &[mut_ptr(&mut fds), 0]);
    assert_eq!(made, Ok(0), "pipe2");
    (fds[0] as u64, fds[1] as u64)
}

fn close(fds: &[u64]) {
    for &fd in fds {
        let _ = sys(SYS_close, &[fd]);
    }
}

/// A full pipe (nothing more fits): (read end, write end), blocking.
fn full_pipe() -> (u64, u64) {
    let (r, w) = pipe();
    let _ = sys(SYS_fcntl, &[w, libc::F_SETFL as u64, O_NONBLOCK as u64]);
    let page = [0u8; 4096];
    while sys(SYS_write, &[w, ptr(page.as_ptr()), 4096]).is_ok() {}
    while sys(SYS_write, &[w, ptr(page.as_ptr()), 1]).is_ok() {}
    let _ = sys(SYS_fcntl, &[w, libc::F_SETFL as u64, 0]);
    (r, w)
}

/// Makes room in a full pipe.
fn drain(r: u64) {
    let mut buf = [0u8; 8192];
    let _ = sys(SYS_read, &[r, mut_ptr(buf.as_mut_ptr()), 8192]);
}

fn write_byte(w: u64) {
    let _ = sys(SYS_write, &[w, ptr(b"x".as_ptr()), 1]);
}

fn read_byte(r: u64) -> Answer {
    let mut byte = 0u8;
    sys(SYS_read, &[r, mut_ptr(&mut byte), 1])
}

/// A word to wait on, for the life of the program.
fn futex_word() -> &'static AtomicU32 {
    Box::leak(Box::new(AtomicU32::new(0)))
}

fn futex_wait(word: &AtomicU32, timeout: u64) -> Answer {
    sys(
        SYS_futex,
        &[ptr(word), FUTEX_WAIT_PRIVATE, 0, timeout, 0, 0],
    )
}

fn futex_wake(word: &AtomicU32) {
    let _ = sys(SYS_futex, &[ptr(word), FUTEX_WAKE_PRIVATE, 1]);
}

/// The monotonic clock in `LONG` from now, as a `timespec`.
fn long_from_now() -> [u64; 2] {
    let mut now = [0u64; 2];
    let clock = libc::CLOCK_MONOTONIC as u64;
    let _ = sys(SYS_clock_gettime, &[clock, mut_ptr(&mut now)]);
    [now[0] + LONG[0], now[1]]
}

/// What the sender does between its signals.
#[derive(Clone, Copy)]
enum Goal {
    /// Signals until the call returns (it should fail with `EINTR`).
    UntilReturned,
    /// Signals until the handler has restarted the call this many times.
    Restarts(u32),
    /// This many signals (blocked or ignored: they change nothing).
    Signals(u32),
}

/// Makes `call` on this thread while a sender thread signals it as `goal`
/// says and then, until the call returns, calls `finish` (which makes the
/// call return with its normal answer). The call's answer.
fn under_signals(
    goal: Goal,
    mut finish: impl FnMut() + Send + 'static,
    call: impl FnOnce() -> Answer,
) -> Answer {
    let pid = sys(SYS_getpid, &[]).unwrap_or(0) as u64;
    let tid = sys(SYS_gettid, &[]).unwrap_or(0) as u64;
    HANDLED.store(0, SeqCst);
    RESTARTS.store(0, SeqCst);
    RETURNED.store(false, SeqCst);
    CALLING.store(false, SeqCst);
    let sender = thread::spawn(move || {
        let start = Instant::now();
        let patient = || start.elapsed() < PATIENCE && !RETURNED.load(SeqCst);
        while !CALLING.load(SeqCst) && patient() {
            let _ = sys(SYS_sched_yield, &[]);
        }
        let mut sent = 0;
        while patient() {
            let reached = match goal {
                Goal::UntilReturned => false,
                Goal::Restarts(n) => RESTARTS.load(SeqCst) >= n,
                Goal::Signals(n) => sent >= n,
            };
            if reached {
                break;
            }
            let _ = sys(SYS_tgkill, &[pid, tid, SIGUSR1 as u64]);
            sent += 1;
            let _ = sys(SYS_sched_yield, &[]);
        }
        while !RETURNED.load(SeqCst) && start.elapsed() < 2 * PATIENCE {
            finish();
            let _ = sys(SYS_sched_yield, &[]);
        }
    });
    CALLING.store(true, SeqCst);
    let answer = call();
    RETURNED.store(true, SeqCst);
    let _ = sender.join();
    answer
}

/// A blocking call to check: its name, the call (on the main thread), what
/// makes it return (on the sender), its normal answer, what to do after.
struct Case {
    name: &'static str,
    call: Box<dyn Fn() -> Answer>,
    finish: Box<dyn FnMut() + Send>,
    answer: Answer,
    after: Box<dyn FnOnce()>,
}

fn case(
    name: &'static str,
    call: impl Fn() -> Answer + 'static,
    finish: impl FnMut() + Send + 'static,
    answer: Answer,
    after: impl FnOnce() + 'static,
) -> Case {
    Case {
        name,
        call: Box::new(call),
        finish: Box::new(finish),
        answer,
        after: Box::new(after),
    }
}

/// The calls signal(7) says `SA_RESTART` restarts, each made fresh.
fn restartable() -> Vec<fn() -> Case> {
    vec![
        || {
            let (r, w) = pipe();
            let call = move || read_byte(r);
            case(
                "read, empty pipe",
                call,
                move || write_byte(w),
                Ok(1),
                move || close(&[r, w]),
            )
        },
        || {
            let (r, w) = pipe();
            let call = move || {
                let mut byte = 0u8;
                let piece = [mut_ptr(&mut byte), 1];
                sys(SYS_readv, &[r, ptr(piece.as_ptr()), 1])
            };
            case(
                "readv, empty pipe",
                call,
                move || write_byte(w),
                Ok(1),
                move || close(&[r, w]),
            )
        },
        || {
            let (r, w) = full_pipe();
            let call = move || sys(SYS_write, &[w, ptr(b"x".as_ptr()), 1]);
            case(
                "write, full pipe",
                call,
                move || drain(r),
                Ok(1),
                move || close(&[r, w]),
            )
        },
        || {
            let (r, w) = full_pipe();
            let call = move || {
                let piece = [ptr(b"x".as_ptr()), 1];
                sys(SYS_writev, &[w, ptr(piece.as_ptr()), 1])
            };
            case(
                "writev, full pipe",
                call,
                move || drain(r),
                Ok(1),
                move || close(&[r, w]),
            )
        },
        || {
            let (r, w) = pipe();
            let child = raw::spawn(move || {
                close(&[w]);
                read_byte(r).map_or(1, |_| 0)
            })
            .unwrap_or(0);
            let call = move || {
                let mut status = 0i32;
                sys(SYS_wait4, &[child, mut_ptr(&mut status), 0, NULL])
            };
            let after = move || {
                close(&[r, w]);
                let mut status = 0i32;
                while sys(SYS_wait4, &[child, mut_ptr(&mut status), 0, NULL]) == Err(EINTR) {}
            };
            case(
                "wait4, a living child",
                call,
                move || write_byte(w),
                Ok(child as i64),
                after,
            )
        },
        || {
            let word = futex_word();
            let call = move || futex_wait(word, NULL);
            case(
                "futex wait, no timeout",
                call,
                move || futex_wake(word),
                Ok(0),
                || {},
            )
        },
    ]
}

/// The calls a handler always interrupts, `SA_RESTART` or not.
fn never_restarted() -> Vec<fn() -> Case> {
    vec![
        || {
            let call = || sys(SYS_nanosleep, &[ptr(&LONG), NULL]);
            case("nanosleep", call, || {}, Ok(0), || {})
        },
        || {
            let clock = libc::CLOCK_MONOTONIC as u64;
            let call = move || sys(SYS_clock_nanosleep, &[clock, 0, ptr(&LONG), NULL]);
            case("clock_nanosleep", call, || {}, Ok(0), || {})
        },
        || {
            let word = futex_word();
            let call = move || futex_wait(word, ptr(&LONG));
            case(
                "futex wait, a timeout",
                call,
                move || futex_wake(word),
                Ok(0),
                || {},
            )
        },
        || {
            let word = futex_word();
            let call = move || {
                let deadline = long_from_now();
                let op = FUTEX_WAIT_BITSET_PRIVATE;
                sys(
                    SYS_futex,
                    &[ptr(word), op, 0, ptr(&deadline), 0, u32::MAX as u64],
                )
            };
            let finish = move || futex_wake(word);
            case("futex wait_bitset, a deadline", call, finish, Ok(0), || {})
        },
        || {
            let (r, w) = pipe();
            let call = move || {
                let entry = [r as u32 as u64 | (libc::POLLIN as u64) << 32];
                sys(SYS_poll, &[ptr(entry.as_ptr()), 1, -1i64 as u64])
            };
            case(
                "poll",
                call,
                move || write_byte(w),
                Ok(1),
                move || close(&[r, w]),
            )
        },
        || {
            let (r, w) = pipe();
            let call = move || {
                let entry = [r as u32 as u64 | (libc::POLLIN as u64) << 32];
                let ms = LONG[0] * 1000;
                sys(SYS_poll, &[ptr(entry.as_ptr()), 1, ms])
            };
            let after = move || close(&[r, w]);
            case("poll, a timeout", call, move || write_byte(w), Ok(1), after)
        },
        || {
            let (r, w) = pipe();
            let call = move || {
                let mut set = [0u64; 16];
                set[r as usize / 64] |= 1 << (r % 64);
                sys(
                    SYS_select,
                    &[r + 1, mut_ptr(set.as_mut_ptr()), NULL, NULL, NULL],
                )
            };
            case(
                "select",
                call,
                move || write_byte(w),
                Ok(1),
                move || close(&[r, w]),
            )
        },
        || {
            let (r, w) = pipe();
            let call = move || ppoll_read(r, false, None).0;
            case(
                "ppoll",
                call,
                move || write_byte(w),
                Ok(1),
                move || close(&[r, w]),
            )
        },
        || {
            let (r, w) = pipe();
            let call = move || pselect_read(r, false, None).0;
            case(
                "pselect6",
                call,
                move || write_byte(w),
                Ok(1),
                move || close(&[r, w]),
            )
        },
        || case("pause", || sys(SYS_pause, &[]), || {}, Err(EINTR), || {}),
        || {
            let call = || {
                let own = mask();
                sys(SYS_rt_sigsuspend, &[ptr(&own), 8])
            };
            case("rt_sigsuspend", call, || {}, Err(EINTR), || {})
        },
    ]
}

/// `ppoll_read` or `pselect_read`.
type Wait = fn(u64, bool, Option<u64>) -> (Answer, [u64; 2]);

/// `ppoll` for reading `r`, with a timeout of `LONG` if `timed` (else
/// none) and the signal mask `wait_mask` (if any); the answer and the time
/// left.
fn ppoll_read(r: u64, timed: bool, wait_mask: Option<u64>) -> (Answer, [u64; 2]) {
    let entry = [r as u32 as u64 | (libc::POLLIN as u64) << 32];
    let mut left = LONG;
    let timeout = if timed { mut_ptr(&mut left) } else { NULL };
    let set = wait_mask.unwrap_or(0);
    let set = if wait_mask.is_some() { ptr(&set) } else { NULL };
    let answer = sys(SYS_ppoll, &[ptr(entry.as_ptr()), 1, timeout, set, 8]);
    (answer, left)
}

/// `pselect6` for reading `r`, as [`ppoll_read`].
fn pselect_read(r: u64, timed: bool, wait_mask: Option<u64>) -> (Answer, [u64; 2]) {
    let mut readable = [0u64; 16];
    readable[r as usize / 64] |= 1 << (r % 64);
    let mut left = LONG;
    let timeout = if timed { mut_ptr(&mut left) } else { NULL };
    let set = wait_mask.unwrap_or(0);
    let pair = [ptr(&set), 8];
    let pair = if wait_mask.is_some() {
        ptr(pair.as_ptr())
    } else {
        NULL
    };
    let read = mut_ptr(readable.as_mut_ptr());
    let answer = sys(SYS_pselect6, &[r + 1, read, NULL, NULL, timeout, pair]);
    (answer, left)
}

pub fn checks(c: &mut Checker) {
    let own = mask();
    for make in restartable() {
        interrupted(c, make(), 0);
        restarted(c, make());
    }
    for make in never_restarted() {
        interrupted(c, make(), 0);
        interrupted(c, make(), SA_RESTART);
    }
    for make in [restartable()[0], restartable()[5]] {
        not_when_blocked(c, make());
        not_when_ignored(c, make());
    }
    wait_masks(c);
    bad_mask_sizes(c);
    stop_and_continue(c);
    stop_in_timed_waits(c);
    killed(c);
    c.equal("the mask is as it was", mask(), own);
    // SAFETY: the default action back (nothing is pending: the senders
    // have ended and their signals were taken).
    unsafe { libc::signal(SIGUSR1, libc::SIG_DFL) };
}

/// A handler without `SA_RESTART` (or with it, for a call never
/// restarted): the call fails with `EINTR`.
fn interrupted(c: &mut Checker, case: Case, flags: c_int) {
    c.check("sigaction", install(flags), ());
    let answer = under_signals(Goal::UntilReturned, case.finish, case.call);
    let how = if flags == 0 { "" } else { " under SA_RESTART" };
    c.fails(&format!("{}: a handler{how}", case.name), answer, EINTR);
    (case.after)();
}

/// A handler with `SA_RESTART`: the call is restarted, and gives its
/// normal answer at last.
fn restarted(c: &mut Checker, case: Case) {
    c.check("sigaction", install(SA_RESTART), ());
    let goal = Goal::Restarts(RESTARTS_WANTED);
    let answer = under_signals(goal, case.finish, case.call);
    let name = case.name;
    c.equal(&format!("{name} under SA_RESTART"), answer, case.answer);
    let restarts = RESTARTS.load(SeqCst);
    c.check(
        &format!("{name}: restarted after handlers"),
        restarts >= RESTARTS_WANTED,
        format_args!("{restarts} restarts"),
    );
    (case.after)();
}

/// A blocked signal does not interrupt; it runs once unblocked.
fn not_when_blocked(c: &mut Checker, case: Case) {
    c.check("sigaction", install(0), ());
    let own = set_mask(mask() | bit(SIGUSR1));
    let answer = under_signals(Goal::Signals(3), case.finish, case.call);
    c.equal(
        &format!("{}: a blocked signal does not interrupt", case.name),
        answer,
        case.answer,
    );
    let before = HANDLED.load(SeqCst);
    set_mask(own);
    c.check(
        &format!("{}: ...and is handled once unblocked", case.name),
        before == 0 && HANDLED.load(SeqCst) == 1,
        (before, HANDLED.load(SeqCst)),
    );
    (case.after)();
}

/// An ignored signal does not interrupt.
fn not_when_ignored(c: &mut Checker, case: Case) {
    ignore();
    let answer = under_signals(Goal::Signals(3), case.finish, case.call);
    c.equal(
        &format!("{}: an ignored signal does not interrupt", case.name),
        answer,
        case.answer,
    );
    (case.after)();
}

/// `ppoll` and `pselect6` wait with their own mask and put the thread's
/// back: a signal the thread blocks but the wait does not interrupts it
/// (`EINTR`, the handler runs, the time left is written), and one the wait
/// blocks waits until the call has returned.
fn wait_masks(c: &mut Checker) {
    let waits: [(&str, Wait); 2] = [("ppoll", ppoll_read), ("pselect6", pselect_read)];
    for (name, wait) in waits {
        c.check("sigaction", install(SA_RESTART), ());
        let (r, w) = pipe();
        let own = set_mask(mask() | bit(SIGUSR1));
        let finish = move || write_byte(w);
        let answer = under_signals(Goal::UntilReturned, finish, || wait(r, false, Some(0)).0);
        if answer.is_ok() {
            let _ = read_byte(r);
        }
        c.fails(&format!("{name} with an empty mask"), answer, EINTR);
        c.check(
            &format!("{name}: the handler ran"),
            HANDLED.load(SeqCst) >= 1,
            HANDLED.load(SeqCst),
        );
        c.equal(
            &format!("{name}: the thread's mask is back"),
            mask(),
            own | bit(SIGUSR1),
        );
        set_mask(own);
        time_left(c, name, wait, r);
        blocked_by_the_wait(c, name, wait, (r, w));
        close(&[r, w]);
    }
}

/// An interrupted `ppoll`/`pselect6` writes the time left: less than it
/// was given, more than nothing.
fn time_left(c: &mut Checker, name: &str, wait: Wait, r: u64) {
    let mut left = [0u64; 2];
    let answer = under_signals(
        Goal::UntilReturned,
        || {},
        || {
            let (answer, l) = wait(r, true, None);
            left = l;
            answer
        },
    );
    c.fails(&format!("{name} with a timeout"), answer, EINTR);
    let less = left[0] < LONG[0] || (left[0] == LONG[0] && left[1] < LONG[1]);
    c.check(
        &format!("{name}: the time left is written"),
        less && left != [0, 0],
        left,
    );
}

/// A signal the wait's mask blocks does not interrupt it, and is handled
/// once the call has put the thread's mask back.
fn blocked_by_the_wait(c: &mut Checker, name: &str, wait: Wait, (r, w): (u64, u64)) {
    let own = mask();
    let answer = under_signals(
        Goal::Signals(3),
        move || write_byte(w),
        || wait(r, false, Some(own | bit(SIGUSR1))).0,
    );
    c.equal(
        &format!("{name}: a signal its mask blocks does not interrupt"),
        answer,
        Ok(1),
    );
    c.check(
        &format!("{name}: ...and is handled after it"),
        HANDLED.load(SeqCst) == 1,
        HANDLED.load(SeqCst),
    );
    c.equal(&format!("{name}: the mask is back"), mask(), own);
    let _ = read_byte(r);
}

/// A mask of another size than 8 bytes: `EINVAL`.
fn bad_mask_sizes(c: &mut Checker) {
    let (r, w) = pipe();
    let entry = [r as u32 as u64 | (libc::POLLIN as u64) << 32];
    let set = 0u64;
    let zero = [0u64; 2];
    let answer = sys(
        SYS_ppoll,
        &[ptr(entry.as_ptr()), 1, ptr(&zero), ptr(&set), 4],
    );
    c.fails("ppoll with a 4-byte mask", answer, EINVAL);
    let pair = [ptr(&set), 4];
    let mut readable = [1u64 << r];
    let read = mut_ptr(readable.as_mut_ptr());
    let answer = sys(
        SYS_pselect6,
        &[r + 1, read, NULL, NULL, ptr(&zero), ptr(pair.as_ptr())],
    );
    c.fails("pselect6 with a 4-byte mask", answer, EINVAL);
    close(&[r, w]);
}

/// A child blocked in a pipe `read` is stopped and continued (no SIGCONT
/// handler): the read goes on and returns the byte, no `EINTR`.
fn stop_and_continue(c: &mut Checker) {
    let (r, w) = pipe();
    let ready = shared_flag();
    let Ok(child) = raw::spawn(move || {
        set_mask(0);
        ready.store(1, SeqCst);
        match read_byte(r) {
            Ok(1) => 0,
            Err(EINTR) => 4,
            _ => 1,
        }
    }) else {
        c.check("fork", false, ());
        return;
    };
    until_asleep(ready);
    let _ = sys(SYS_kill, &[child, SIGSTOP as u64]);
    c.equal(
        "stop a child in read",
        wait(child, WUNTRACED),
        0x7f | SIGSTOP << 8,
    );
    let _ = sys(SYS_kill, &[child, SIGCONT as u64]);
    c.equal("continue it", wait(child, WCONTINUED), 0xffff);
    write_byte(w);
    c.equal("its read goes on: no EINTR", wait(child, 0), 0);
    close(&[r, w]);
}

/// What a child blocks in (given a pipe's read end); its exit code.
type Blocker = fn(u64) -> u64;

/// A child in a timed sleep or wait is stopped and continued: the call
/// goes on (to its deadline, through `restart_syscall`) and ends as if
/// nothing had happened, not with `EINTR`. (If the child's call has ended
/// before the stop, it has ended the same way.)
fn stop_in_timed_waits(c: &mut Checker) {
    let timed: [(&str, Blocker); 2] = [
        ("nanosleep", |_| {
            match sys(SYS_nanosleep, &[ptr(&SHORT), NULL]) {
                Ok(0) => 0,
                Err(EINTR) => 4,
                _ => 1,
            }
        }),
        ("futex wait, a timeout", |_| {
            match futex_wait(futex_word(), ptr(&SHORT)) {
                Err(libc::ETIMEDOUT) => 0,
                Err(EINTR) => 4,
                _ => 1,
            }
        }),
    ];
    for (name, block) in timed {
        let ready = shared_flag();
        let Ok(child) = raw::spawn(move || {
            set_mask(0);
            ready.store(1, SeqCst);
            block(0)
        }) else {
            c.check("fork", false, ());
            return;
        };
        until_asleep(ready);
        let _ = sys(SYS_kill, &[child, SIGSTOP as u64]);
        let mut status = wait(child, WUNTRACED);
        if status == 0x7f | SIGSTOP << 8 {
            let _ = sys(SYS_kill, &[child, SIGCONT as u64]);
            status = wait(child, 0);
        }
        c.equal(
            &format!("{name}: stopped and continued, no EINTR"),
            status,
            0,
        );
    }
    c.fails(
        "restart_syscall with no call to go on with",
        sys(libc::SYS_restart_syscall, &[]),
        EINTR,
    );
}

/// SIGKILL ends a child blocked in a `futex` wait and one in a pipe `read`.
fn killed(c: &mut Checker) {
    let (r, w) = pipe();
    let blockers: [(&str, Blocker); 2] = [
        ("futex wait", |_| {
            futex_wait(futex_word(), NULL).map_or(1, |_| 0)
        }),
        ("read", |r| read_byte(r).map_or(1, |_| 0)),
    ];
    for (name, block) in blockers {
        let ready = shared_flag();
        let Ok(child) = raw::spawn(move || {
            ready.store(1, SeqCst);
            block(r)
        }) else {
            c.check("fork", false, ());
            return;
        };
        until_asleep(ready);
        let _ = sys(SYS_kill, &[child, SIGKILL as u64]);
        c.equal(&format!("SIGKILL ends a {name}"), wait(child, 0), SIGKILL);
    }
    close(&[r, w]);
}

/// Waits until a child has said it is about to block (`flag`), then
/// yields a while so that it does (nothing depends on it: a signal that
/// comes earlier is acted on the same way, only less is tested).
fn until_asleep(flag: &AtomicU64) {
    let start = Instant::now();
    while flag.load(SeqCst) == 0 && start.elapsed() < PATIENCE {
        let _ = sys(SYS_sched_yield, &[]);
    }
    for _ in 0..50 {
        let _ = sys(SYS_sched_yield, &[]);
    }
}

/// `wait4(pid, options)`'s status word (restarted after `EINTR`).
fn wait(pid: u64, options: i32) -> i32 {
    let mut status = -1i32;
    let options = options as u64;
    while sys(SYS_wait4, &[pid, mut_ptr(&mut status), options, NULL]) == Err(EINTR) {}
    status
}

/// A word shared with a forked child (a `MAP_SHARED` page).
fn shared_flag() -> &'static AtomicU64 {
    // SAFETY: a fresh anonymous mapping; nothing else uses it.
    let page = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(page, libc::MAP_FAILED, "mmap");
    // SAFETY: the page is zeroed, aligned, and lives as long as the process.
    unsafe { &*(page as *const AtomicU64) }
}
