//! Signals: handlers run and return, `SA_SIGINFO` fields, masks, the
//! alternate stack, faults, SIGCHLD, interrupted calls (`EINTR`,
//! `SA_RESTART`), default actions in wait4's status word (SIGBUS from a
//! misaligned access with AC set, where the CPU checks), and forged
//! frames given to `rt_sigreturn`.
//!
//! Handlers note what they saw in atomics; the checks read them after the
//! signal. Where a signal must arrive while the caller sleeps, a child
//! sends it again and again until the parent says it arrived (through a
//! `MAP_SHARED` page), so no check depends on timing.

use crate::check::Checker;
use crate::raw::{self, NULL, UNMAPPED, mut_ptr, ptr, sys};
use libc::{
    EINTR, EINVAL, EPERM, ESRCH, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTART, SA_SIGINFO,
    SIG_BLOCK, SIG_DFL, SIG_SETMASK, SIG_UNBLOCK, SIGABRT, SIGCHLD, SIGQUIT, SIGSEGV, SIGTERM,
    SIGUSR1, SIGUSR2, SYS_clock_nanosleep, SYS_getpid, SYS_getppid, SYS_kill, SYS_nanosleep,
    SYS_rt_sigpending, SYS_sched_yield, SYS_sigaltstack, SYS_tgkill, SYS_tkill, SYS_wait4, c_int,
    c_void, siginfo_t,
};
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering::SeqCst};

/// What the last handler call saw.
static SIGNAL: AtomicI64 = AtomicI64::new(0);
static CODE: AtomicI64 = AtomicI64::new(0);
static PID: AtomicI64 = AtomicI64::new(0);
static STATUS: AtomicI64 = AtomicI64::new(0);
static ADDRESS: AtomicU64 = AtomicU64::new(0);
/// The handler's own stack address and its mask while it ran.
static STACK: AtomicU64 = AtomicU64::new(0);
static MASK: AtomicU64 = AtomicU64::new(0);
/// `sigaltstack`'s answer inside the handler: flags, and a change's errno.
static ALT_FLAGS: AtomicI64 = AtomicI64::new(0);
static ALT_CHANGE: AtomicI64 = AtomicI64::new(0);
/// The handler's MXCSR (SSE control word), and `&siginfo - &ucontext`.
static HANDLER_MXCSR: AtomicU64 = AtomicU64::new(0);
static INFO_OFFSET: AtomicI64 = AtomicI64::new(0);
/// How many times a handler ran.
static CALLS: AtomicU32 = AtomicU32::new(0);
/// A `MAP_SHARED` counter the handler bumps too, for a child to read.
static SHARED: AtomicU64 = AtomicU64::new(0);

/// The handler most checks use: notes everything.
extern "C" fn note(signal: c_int, info: *mut siginfo_t, context: *mut c_void) {
    SIGNAL.store(i64::from(signal), SeqCst);
    HANDLER_MXCSR.store(u64::from(mxcsr()), SeqCst);
    INFO_OFFSET.store(info as i64 - context as i64, SeqCst);
    // SAFETY: the kernel passes a valid siginfo (SA_SIGINFO); the union
    // fields read are the ones its signal fills in.
    unsafe {
        CODE.store(i64::from((*info).si_code), SeqCst);
        PID.store(i64::from((*info).si_pid()), SeqCst);
        STATUS.store(i64::from((*info).si_status()), SeqCst);
        ADDRESS.store((*info).si_addr() as u64, SeqCst);
    }
    let local = 0u8;
    STACK.store(ptr(&local), SeqCst);
    MASK.store(current_mask(), SeqCst);
    let mut old = [0u64; 3];
    let _ = sys(SYS_sigaltstack, &[NULL, mut_ptr(&mut old)]);
    let flags = old[1] as u32 as i32;
    ALT_FLAGS.store(i64::from(flags), SeqCst);
    if flags & libc::SS_ONSTACK != 0 {
        // (Off the alternate stack this would succeed and change it.)
        let change = [old[0], 0, old[2]];
        let asked = sys(SYS_sigaltstack, &[ptr(&change), NULL]);
        ALT_CHANGE.store(asked.err().map_or(0, i64::from), SeqCst);
    }
    CALLS.fetch_add(1, SeqCst);
    let shared = SHARED.load(SeqCst);
    if shared != 0 {
        // SAFETY: a MAP_SHARED page of this process, mapped for the test.
        unsafe { (*(shared as *const AtomicU64)).fetch_add(1, SeqCst) };
    }
}

/// For a fault: notes the address and code, and ends the (child) process
/// with 42 (returning would fault again).
extern "C" fn fault_exit(_: c_int, info: *mut siginfo_t, _: *mut c_void) {
    // SAFETY: as in `note`.
    let (address, code) = unsafe { ((*info).si_addr() as u64, (*info).si_code) };
    let good = address == UNMAPPED + 8 && code == 1; // SEGV_MAPERR
    // SAFETY: `_exit` ends the process; nothing is left to run.
    unsafe { libc::_exit(if good { 42 } else { 43 }) }
}

/// Makes a forged frame: the handler changes the saved context so that
/// `rt_sigreturn` gets a bad one (what `FORGE` says).
static FORGE: AtomicU32 = AtomicU32::new(0);

extern "C" fn forge(_: c_int, _: *mut siginfo_t, context: *mut c_void) {
    let context = context as *mut libc::ucontext_t;
    // SAFETY: the kernel passes the frame's ucontext, which this handler
    // may change (that is the point).
    let gregs = unsafe { &mut (*context).uc_mcontext.gregs };
    match FORGE.load(SeqCst) {
        0 => gregs[libc::REG_RIP as usize] = 0x0000_8000_0000_0000, // non-canonical
        1 => gregs[libc::REG_RIP as usize] = 0xffff_8000_0000_1000u64 as i64, // kernel half
        2 => {
            // Kernel code segment (the low 16 bits of CSGSFS).
            let segments = gregs[libc::REG_CSGSFS as usize] as u64;
            gregs[libc::REG_CSGSFS as usize] = ((segments & !0xffff) | 0x08) as i64;
        }
        _ => gregs[libc::REG_EFL as usize] |= 0x3000, // IOPL 3
    }
}

/// The SSE control and status word.
fn mxcsr() -> u32 {
    let mut value = 0u32;
    // SAFETY: `stmxcsr` stores 4 bytes at the address, a local of ours.
    unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut value, options(nostack)) };
    value
}

fn set_mxcsr(value: u32) {
    // SAFETY: `ldmxcsr` reads 4 bytes at the address, a local of ours;
    // callers pass valid MXCSR values (no reserved bits).
    unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &value, options(nostack)) };
}

type Handler = extern "C" fn(c_int, *mut siginfo_t, *mut c_void);

/// Installs `handler` for `signal` with `flags` (plus SA_SIGINFO); returns
/// whether it could.
fn install(signal: c_int, handler: Handler, flags: c_int) -> bool {
    // SAFETY: an all-zero sigaction is valid (empty mask); then filled in.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = handler as usize;
    action.sa_flags = flags | SA_SIGINFO;
    // SAFETY: a valid action; the handlers only touch atomics and make
    // async-signal-safe calls.
    unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) == 0 }
}

/// Puts `signal` back to its default action.
fn default(signal: c_int) {
    // SAFETY: as in `install`.
    unsafe { libc::signal(signal, SIG_DFL) };
}

/// The handler of `signal` now (SIG_DFL = 0).
fn handler_of(signal: c_int) -> usize {
    // SAFETY: as in `install`; only the old action is asked for.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: `old` is a valid place for the answer.
    unsafe { libc::sigaction(signal, std::ptr::null(), &mut old) };
    old.sa_sigaction
}

fn mask_of(signals: &[c_int]) -> u64 {
    signals.iter().map(|&s| 1u64 << (s - 1)).sum()
}

/// Changes the mask (`how`), as raw `rt_sigprocmask`; the old mask.
fn set_mask(how: c_int, mask: u64) -> u64 {
    let mut old = 0u64;
    let _ = sys(
        libc::SYS_rt_sigprocmask,
        &[how as u64, ptr(&mask), mut_ptr(&mut old), 8],
    );
    old
}

fn current_mask() -> u64 {
    let mut old = 0u64;
    let _ = sys(
        libc::SYS_rt_sigprocmask,
        &[SIG_BLOCK as u64, NULL, mut_ptr(&mut old), 8],
    );
    old
}

fn me() -> u64 {
    sys(SYS_getpid, &[]).unwrap_or(0) as u64
}

fn reset_notes() {
    for a in [&SIGNAL, &CODE, &PID, &STATUS, &ALT_FLAGS, &ALT_CHANGE] {
        a.store(-1, SeqCst);
    }
    CALLS.store(0, SeqCst);
}

/// Forks (`raw::spawn`); a failed fork fails the run.
fn spawn(child: impl FnOnce() -> u64) -> u64 {
    raw::spawn(child).unwrap_or_else(|e| panic!("fork failed: {e}"))
}

/// Waits for `pid` (restarting after EINTR); its status word.
fn wait(pid: u64) -> i32 {
    let mut status = 0i32;
    while sys(SYS_wait4, &[pid, mut_ptr(&mut status), 0, NULL]) == Err(EINTR) {}
    status
}

/// A new MAP_SHARED page, as an atomic counter.
fn shared_counter() -> &'static AtomicU64 {
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

/// A child that sends `signal` to its parent until `done()`. (It cannot
/// know when the parent sleeps, so it goes on until the parent says.)
fn pester(signal: c_int, done: impl Fn() -> bool) -> u64 {
    spawn(move || {
        let parent = sys(SYS_getppid, &[]).unwrap_or(0) as u64;
        while !done() {
            let _ = sys(SYS_kill, &[parent, signal as u64]);
            let _ = sys(SYS_sched_yield, &[]);
        }
        0
    })
}

pub fn checks(c: &mut Checker) {
    handler_runs_and_returns(c);
    masks(c);
    reset_hand(c);
    alternate_stack(c);
    thread_kills(c);
    fault_handler(c);
    sigchld(c);
    interrupted_sleep(c);
    restart(c);
    default_actions(c);
    forged_frames(c);
}

fn handler_runs_and_returns(c: &mut Checker) {
    reset_notes();
    c.check("sigaction", install(SIGUSR1, note, 0), ());
    c.equal(
        "kill(self, SIGUSR1)",
        sys(SYS_kill, &[me(), SIGUSR1 as u64]),
        Ok(0),
    );
    c.equal("the handler ran once", CALLS.load(SeqCst), 1);
    c.equal("si_signo", SIGNAL.load(SeqCst), i64::from(SIGUSR1));
    c.equal(
        "si_code: SI_USER",
        CODE.load(SeqCst),
        i64::from(libc::SI_USER),
    );
    c.equal("si_pid: the sender", PID.load(SeqCst), me() as i64);
    c.equal(
        "its own signal is blocked while it runs",
        MASK.load(SeqCst) & mask_of(&[SIGUSR1]),
        mask_of(&[SIGUSR1]),
    );
    c.equal(
        "the mask is back after it",
        current_mask() & mask_of(&[SIGUSR1]),
        0,
    );
    c.equal(
        "siginfo lies 304 bytes above the ucontext (Linux's frame)",
        INFO_OFFSET.load(SeqCst),
        304,
    );
    // The FPU/SSE state: the handler starts clean, the program gets its
    // own back (here MXCSR's rounding mode, "toward zero").
    let usual = mxcsr();
    set_mxcsr(usual | 0x6000);
    let _ = sys(SYS_kill, &[me(), SIGUSR1 as u64]);
    let after = mxcsr();
    set_mxcsr(usual);
    c.equal(
        "the handler's MXCSR is the clean one",
        HANDLER_MXCSR.load(SeqCst),
        0x1f80,
    );
    c.equal("MXCSR is restored after the handler", after, usual | 0x6000);
    c.equal(
        "not on the alternate stack (std's, if any)",
        ALT_FLAGS.load(SeqCst) & i64::from(libc::SS_ONSTACK),
        0,
    );
    // SA_NODEFER: the signal is not blocked in its handler.
    c.check(
        "sigaction SA_NODEFER",
        install(SIGUSR1, note, SA_NODEFER),
        (),
    );
    let _ = sys(SYS_kill, &[me(), SIGUSR1 as u64]);
    c.equal(
        "SA_NODEFER: not blocked",
        MASK.load(SeqCst) & mask_of(&[SIGUSR1]),
        0,
    );
    default(SIGUSR1);
}

fn masks(c: &mut Checker) {
    reset_notes();
    install(SIGUSR2, note, 0);
    let before = set_mask(SIG_BLOCK, mask_of(&[SIGUSR2]));
    let _ = sys(SYS_kill, &[me(), SIGUSR2 as u64]);
    c.equal("a blocked signal waits", CALLS.load(SeqCst), 0);
    let mut pending = 0u64;
    let _ = sys(SYS_rt_sigpending, &[mut_ptr(&mut pending), 8]);
    c.equal(
        "rt_sigpending shows it",
        pending & mask_of(&[SIGUSR2]),
        mask_of(&[SIGUSR2]),
    );
    c.fails(
        "rt_sigpending: set size 9",
        sys(SYS_rt_sigpending, &[mut_ptr(&mut pending), 9]),
        EINVAL,
    );
    let _ = sys(SYS_kill, &[me(), SIGUSR2 as u64]);
    set_mask(SIG_UNBLOCK, mask_of(&[SIGUSR2]));
    c.equal("unblocking delivers it, once", CALLS.load(SeqCst), 1);
    c.equal("...the right one", SIGNAL.load(SeqCst), i64::from(SIGUSR2));
    set_mask(SIG_SETMASK, before);
    default(SIGUSR2);
}

fn reset_hand(c: &mut Checker) {
    reset_notes();
    install(SIGUSR1, note, SA_RESETHAND);
    let _ = sys(SYS_kill, &[me(), SIGUSR1 as u64]);
    c.equal("SA_RESETHAND: the handler ran", CALLS.load(SeqCst), 1);
    c.equal(
        "SA_RESETHAND: the action is SIG_DFL after",
        handler_of(SIGUSR1),
        SIG_DFL,
    );
}

fn alternate_stack(c: &mut Checker) {
    reset_notes();
    let stack = vec![0u8; 64 * 1024].leak();
    let base = stack.as_ptr() as u64;
    let size = stack.len() as u64;
    let new = [base, 0, size];
    let mut std_stack = [0u64; 3];
    c.equal(
        "sigaltstack",
        sys(SYS_sigaltstack, &[ptr(&new), mut_ptr(&mut std_stack)]),
        Ok(0),
    );
    install(SIGUSR1, note, SA_ONSTACK);
    let _ = sys(SYS_kill, &[me(), SIGUSR1 as u64]);
    let used = STACK.load(SeqCst);
    c.check(
        "SA_ONSTACK: the handler runs on the alternate stack",
        used > base && used < base + size,
        format_args!("{used:#x} not in {base:#x}+{size:#x}"),
    );
    c.equal(
        "sigaltstack in the handler: SS_ONSTACK",
        ALT_FLAGS.load(SeqCst),
        i64::from(libc::SS_ONSTACK),
    );
    c.equal(
        "changing it while on it: EPERM",
        ALT_CHANGE.load(SeqCst),
        i64::from(EPERM),
    );
    let mut old = [0u64; 3];
    let _ = sys(SYS_sigaltstack, &[NULL, mut_ptr(&mut old)]);
    c.equal(
        "after the handler: flags 0, the same stack",
        old,
        [base, 0, size],
    );
    let off = [0u64, libc::SS_DISABLE as u64, 0];
    c.equal(
        "sigaltstack SS_DISABLE",
        sys(SYS_sigaltstack, &[ptr(&off), NULL]),
        Ok(0),
    );
    let _ = sys(SYS_sigaltstack, &[ptr(&std_stack), NULL]); // std's back
    default(SIGUSR1);
}

fn thread_kills(c: &mut Checker) {
    reset_notes();
    install(SIGUSR1, note, 0);
    let me = me();
    c.equal(
        "tgkill(self, self, SIGUSR1)",
        sys(SYS_tgkill, &[me, me, SIGUSR1 as u64]),
        Ok(0),
    );
    c.equal(
        "si_code: SI_TKILL",
        CODE.load(SeqCst),
        i64::from(libc::SI_TKILL),
    );
    c.equal(
        "tkill(self, SIGUSR1)",
        sys(SYS_tkill, &[me, SIGUSR1 as u64]),
        Ok(0),
    );
    c.equal("tkill: the handler ran again", CALLS.load(SeqCst), 2);
    c.fails("tkill(0, ...)", sys(SYS_tkill, &[0, 0]), EINVAL);
    c.fails("tkill(-1, ...)", sys(SYS_tkill, &[u64::MAX, 0]), EINVAL);
    c.fails(
        "tgkill(self, no such thread)",
        sys(SYS_tgkill, &[me, 30000, 0]),
        ESRCH,
    );
    c.fails("tkill(self, 65)", sys(SYS_tkill, &[me, 65]), EINVAL);
    default(SIGUSR1);
}

fn fault_handler(c: &mut Checker) {
    let child = spawn(|| {
        install(SIGSEGV, fault_exit, 0);
        let bad = (UNMAPPED + 8) as *mut u64;
        // SAFETY: not safe at all, on purpose: the write faults, and the
        // SIGSEGV handler ends the process.
        unsafe { bad.write_volatile(1) };
        1
    });
    c.equal(
        "a SIGSEGV handler gets si_addr and SEGV_MAPERR",
        wait(child),
        42 << 8,
    );
}

fn sigchld(c: &mut Checker) {
    reset_notes();
    install(SIGCHLD, note, SA_RESTART);
    let child = spawn(|| 3);
    let status = wait(child);
    c.equal("child's status", status, 3 << 8);
    c.equal(
        "SIGCHLD on the child's end",
        SIGNAL.load(SeqCst),
        i64::from(SIGCHLD),
    );
    c.equal(
        "SIGCHLD si_code: CLD_EXITED",
        CODE.load(SeqCst),
        i64::from(libc::CLD_EXITED),
    );
    c.equal("SIGCHLD si_pid", PID.load(SeqCst), child as i64);
    c.equal("SIGCHLD si_status", STATUS.load(SeqCst), 3);
    default(SIGCHLD);
}

fn interrupted_sleep(c: &mut Checker) {
    reset_notes();
    let stop = shared_counter();
    install(SIGUSR1, note, 0);
    let child = pester(SIGUSR1, || stop.load(SeqCst) != 0);
    let long = [100u64, 0];
    let mut left = [0u64; 2];
    let slept = sys(SYS_nanosleep, &[ptr(&long), mut_ptr(&mut left)]);
    c.fails(
        "nanosleep interrupted by a signal from a child",
        slept,
        EINTR,
    );
    c.check(
        "nanosleep: the time left is written",
        left != [0, 0] && left[0] <= 100,
        left,
    );
    stop.store(1, SeqCst);
    wait(child);
    // clock_nanosleep too, with SA_RESTART (never restarted after a handler).
    install(SIGUSR1, note, SA_RESTART);
    stop.store(0, SeqCst);
    let child = pester(SIGUSR1, || stop.load(SeqCst) != 0);
    let slept = sys(
        SYS_clock_nanosleep,
        &[libc::CLOCK_MONOTONIC as u64, 0, ptr(&long), NULL],
    );
    c.fails(
        "clock_nanosleep interrupted, even with SA_RESTART",
        slept,
        EINTR,
    );
    stop.store(1, SeqCst);
    wait(child);
    default(SIGUSR1);
}

fn restart(c: &mut Checker) {
    // Without SA_RESTART, wait4 is interrupted.
    let stop = shared_counter();
    install(SIGUSR1, note, 0);
    let child = pester(SIGUSR1, || stop.load(SeqCst) != 0);
    let mut status = 0i32;
    let waited = sys(SYS_wait4, &[child, mut_ptr(&mut status), 0, NULL]);
    c.fails("wait4 interrupted by a handler: EINTR", waited, EINTR);
    stop.store(1, SeqCst);
    c.equal("...and the child is still there", wait(child), 0);
    // With SA_RESTART, it is restarted until the child ends (once the
    // handler has run three times since the parent said it waits), and
    // returns its pid.
    let handled = shared_counter();
    SHARED.store(handled as *const AtomicU64 as u64, SeqCst);
    let waiting = shared_counter();
    install(SIGUSR1, note, SA_RESTART);
    let child = pester(SIGUSR1, || {
        waiting.load(SeqCst) != 0 && handled.load(SeqCst) >= waiting.load(SeqCst) + 3
    });
    waiting.store(handled.load(SeqCst) + 1, SeqCst);
    let waited = sys(SYS_wait4, &[child, mut_ptr(&mut status), 0, NULL]);
    c.equal(
        "wait4 under SA_RESTART: restarted, not EINTR",
        waited,
        Ok(child as i64),
    );
    SHARED.store(0, SeqCst);
    default(SIGUSR1);
}

/// A child that sends itself `signal` (with no core files written).
fn dies_of(signal: c_int) -> i32 {
    let child = spawn(move || {
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: a valid rlimit.
        unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) };
        // The default action, whatever was inherited: a shell starts a
        // background job with SIGINT and SIGQUIT ignored (so under CI).
        // SAFETY: SIG_DFL for a catchable signal.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
        let _ = sys(SYS_kill, &[me(), signal as u64]);
        1
    });
    wait(child)
}

fn default_actions(c: &mut Checker) {
    let status = dies_of(SIGTERM);
    c.check(
        "SIGTERM: WIFSIGNALED, WTERMSIG 15, no core",
        libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == SIGTERM && !libc::WCOREDUMP(status),
        status,
    );
    let status = dies_of(SIGUSR2);
    c.equal("SIGUSR2 ends by default", status, SIGUSR2);
    for signal in [SIGQUIT, SIGABRT] {
        let status = dies_of(signal);
        c.equal("WTERMSIG of a core signal", status & 0x7f, signal);
        if c.on_kestrel {
            c.check("the core bit on Kestrel", libc::WCOREDUMP(status), status);
        }
    }
    c.equal("SIGCHLD is ignored by default", dies_of(SIGCHLD), 1 << 8);
    let child = spawn(|| {
        // SAFETY: not safe, on purpose: the write faults.
        unsafe { ((UNMAPPED + 8) as *mut u64).write_volatile(1) };
        1
    });
    let status = wait(child);
    c.equal("a fault without a handler: SIGSEGV", status & 0x7f, SIGSEGV);
    if c.on_kestrel {
        c.check(
            "SIGSEGV's core bit on Kestrel",
            libc::WCOREDUMP(status),
            status,
        );
    }
    alignment(c);
}

/// Loads 4 bytes from an odd address with RFLAGS.AC set, then clears AC.
fn misaligned_load_with_ac() -> u32 {
    let words = [0x0102_0304_0506_0708u64; 2];
    let odd = words.as_ptr() as usize + 1;
    let value: u32;
    // SAFETY: `odd` points 1 byte into `words`, with 15 bytes readable
    // after it. Only the one load runs while AC is set (the flag pushes
    // and pops are aligned: the stack is), then AC is cleared again.
    unsafe {
        std::arch::asm!(
            "pushfq",
            "or qword ptr [rsp], 0x40000",
            "popfq",
            "mov {value:e}, dword ptr [{odd}]",
            "pushfq",
            "and qword ptr [rsp], -0x40001",
            "popfq",
            odd = in(reg) odd,
            value = out(reg) value,
        );
    }
    value
}

/// A misaligned access with RFLAGS.AC set raises `#AC`: SIGBUS, core
/// dumped. QEMU's TCG emulator never raises `#AC`, so on Kestrel under
/// TCG the load just works: a skip line says so.
fn alignment(c: &mut Checker) {
    let child = spawn(|| {
        let value = misaligned_load_with_ac();
        1 + u64::from(value == 0)
    });
    let status = wait(child);
    if c.on_kestrel && status == 1 << 8 {
        println!("systest: skip signals: this CPU raises no #AC (QEMU TCG), no SIGBUS to see");
        return;
    }
    c.equal(
        "a misaligned load with AC set: SIGBUS",
        status & 0x7f,
        libc::SIGBUS,
    );
    if c.on_kestrel {
        c.check(
            "SIGBUS's core bit on Kestrel",
            libc::WCOREDUMP(status),
            status,
        );
    }
}

fn forged_frames(c: &mut Checker) {
    let cases: &[(&str, bool)] = &[
        ("rt_sigreturn to a non-canonical RIP: SIGSEGV", true),
        ("rt_sigreturn to a kernel RIP: SIGSEGV", true),
        ("rt_sigreturn with a kernel CS: SIGSEGV", true),
        // Linux quietly drops IOPL; Kestrel refuses the frame.
        ("rt_sigreturn with IOPL 3: SIGSEGV", c.on_kestrel),
    ];
    for (i, (what, run)) in cases.iter().enumerate() {
        if !run {
            continue;
        }
        FORGE.store(i as u32, SeqCst);
        let child = spawn(|| {
            install(SIGUSR1, forge, 0);
            let _ = sys(SYS_kill, &[me(), SIGUSR1 as u64]);
            1
        });
        let status = wait(child);
        c.equal(what, status & 0x7f, SIGSEGV);
    }
}
