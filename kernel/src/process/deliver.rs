//! Delivering signals: on the way back to ring 3, a pending signal runs
//! its handler, ends the process, or is dropped.
//!
//! A signal is acted on only when its process is about to return to ring 3:
//! after a system call ([`on_syscall_return`]) and after an interrupt or
//! exception that came from ring 3 ([`on_interrupt_return`], a hook the
//! interrupt entry calls). Then nothing of the kernel's is in progress, and
//! the saved frame is exactly the program's state. The lowest pending
//! signal that is not blocked is taken (one per return: the handler's
//! `rt_sigreturn` is the next return), and its disposition decides:
//!
//! - ignored: dropped, the next one is looked at;
//! - the default action "end": the frame is pointed at a ring-0 routine
//!   that ends the process with the signal (the status word says which,
//!   and "core dumped" for SIGSEGV, SIGQUIT, ...; those print one line);
//! - a handler: the program's registers, its mask and its FPU state are
//!   written to its stack as Linux's signal frame (`crates/sigframe`), and
//!   the frame now "returns" into the handler, which returns into the
//!   C library's restorer, which calls `rt_sigreturn`. While the handler
//!   runs, its signal and its `sa_mask` are blocked (not its own signal
//!   with `SA_NODEFER`); `SA_RESETHAND` makes the action the default
//!   again. If the frame cannot be written (a bad stack, no restorer), the
//!   process ends with SIGSEGV, as on Linux.
//!
//! Each thread has its own mask (`tasks/thread_signals.rs`): a signal is
//! taken by a thread that does not block it, and a handler's `sa_mask` is
//! added to the mask of the thread that runs it (`rt_sigreturn` puts that
//! thread's mask back).
//!
//! **Nothing pending, quickly.** Most ways back have no signal to act on.
//! Each thread's link (`tasks/link.rs`) has an *attention* word, raised
//! whenever a signal is sent to its process or to it, and whenever it
//! changes its mask, and lowered here, under the table's lock, when
//! nothing is ready for it (pending and not blocked by it); so while it is
//! low, the way back tests that one word and takes no lock
//! ([`signal_may_wait`]).
//!
//! **Interrupted system calls.** A blocking call that a signal interrupted
//! returns `ERESTARTSYS` (or `ERESTARTNOHAND`, for calls Linux never
//! restarts after a handler: `poll`, `select`, their `p` forms, a timed
//! `futex` wait, `pause`). Here, before the program sees it, it becomes
//! `EINTR` if a handler runs (unless the handler has `SA_RESTART` and the
//! call `ERESTARTSYS`); otherwise the call is restarted: `rax` gets the
//! call's number back and `rip` goes back over the two bytes of `syscall`,
//! so the program makes the same call again (a thread's own mask, put
//! aside by a wait with another one, is back first). A call whose timeout
//! counts from its start (`nanosleep`, ...) ends with
//! `ERESTART_RESTARTBLOCK` instead, having noted its deadline: `EINTR` if a
//! handler runs, else the program is sent to `restart_syscall`, which goes
//! on to the same deadline (`syscall/restart.rs`). This is the one place
//! that decides; a call says only which kind it is. A stop and the
//! continue after it, or a signal that is dropped, restart the call; a
//! kill ends it.
//!
//! **Faults.** A CPU fault that is not a page to fill in is a signal
//! (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) with the faulting address in
//! the siginfo; [`on_fault`] runs its handler at once, or ends the process
//! (blocked, ignored or default, as Linux's forced signals do).

use super::signals::{Action, AltStack, Disposition, SA_NODEFER, SA_ONSTACK, SA_RESETHAND};
use super::signals::{SA_RESTART, SA_RESTORER, UNCATCHABLE, bit};
use super::table;
use super::{Process, end_with_signal};
use crate::arch::entry::InterruptFrame;
use crate::arch::syscall::{SYSCALL_VECTOR, USER_CODE, USER_DATA};
use crate::arch::user_state::{self, FxArea};
use crate::println;
use crate::tasks::link::Link;
use crate::tasks::scheduler;
use fault::Fault;
use sigframe::{Context, Detail, Info, Registers, Stack};

/// "Interrupted: restart, or EINTR if a handler ran" (never seen by programs).
pub const ERESTARTSYS: u64 = 512;
/// "Interrupted: restart if no handler ran, else EINTR".
pub const ERESTARTNOHAND: u64 = 514;
/// As `ERESTARTNOHAND`, but the restart is `restart_syscall`, which goes
/// on from the thread's `Resume` note (`syscall/restart.rs`).
pub const ERESTART_RESTARTBLOCK: u64 = 516;
/// `restart_syscall`'s number.
const RESTART_SYSCALL: u64 = 219;
const EINTR: u64 = 4;
/// `rt_sigreturn`'s number: its result is a restored `rax`, never a restart.
const RT_SIGRETURN: u64 = 15;
const SIGSEGV: u8 = 11;
// `ss_flags`.
const SS_ONSTACK: i32 = 1;
const SS_DISABLE: i32 = 2;
const SS_AUTODISARM: i32 = 1 << 31;
// RFLAGS bits a handler starts without: trap, direction, resume.
const CLEARED_FLAGS: u64 = 0x100 | 0x400 | 0x1_0000;

/// A handler to run: everything taken from the record under its lock.
struct Handler {
    signal: u8,
    action: Action,
    info: Info,
    /// The mask to restore when it returns.
    mask: u64,
    alt: AltStack,
}

/// What the next pending signal does.
enum Next {
    Nothing,
    /// Stop the process with this signal (`stop.rs`).
    Stop(u8),
    /// The process is stopped: wait for SIGCONT.
    Stopped,
    End {
        signal: u8,
        core: bool,
    },
    Handle(Handler),
}

/// The signals ready for the thread of `link`: pending for its process or
/// for it alone, and not blocked by it.
fn ready(p: &Process, link: &Link) -> u64 {
    (p.pending | link.signals()) & !link.blocked()
}

/// Takes the lowest signal ready for the calling thread (`own`, its link)
/// that is not ignored.
fn next(p: &mut Process, own: &Link) -> Next {
    if super::stop::is_stopped(p) {
        return Next::Stopped;
    }
    loop {
        let ready = ready(p, own);
        if ready == 0 {
            // (A wait with its own mask whose signal was dropped.)
            put_back_mask(own);
            return Next::Nothing;
        }
        let signal = ready.trailing_zeros() as u8 + 1;
        if own.signals() & bit(signal) != 0 {
            own.take_signal(bit(signal));
        } else {
            p.pending &= !bit(signal);
        }
        let info = p.signals.infos[usize::from(signal) - 1];
        match p.signals.disposition(signal) {
            Disposition::Ignore => continue,
            Disposition::End { core } => return Next::End { signal, core },
            Disposition::Stop => return Next::Stop(signal),
            Disposition::Handle(action) => {
                return Next::Handle(take_handler(p, own, signal, action, info));
            }
        }
    }
}

/// The handler of `signal` for `p`, to run on the thread of `own`,
/// applying `SA_RESETHAND`.
fn take_handler(p: &mut Process, own: &Link, signal: u8, action: Action, info: Info) -> Handler {
    let (mask, alt) = own.with_own(|t| (t.saved_mask.take().unwrap_or(t.blocked), t.alt_stack));
    if action.flags & SA_RESETHAND != 0 {
        p.signals.actions[usize::from(signal) - 1] = Action::default();
    }
    Handler {
        signal,
        action,
        info,
        mask,
        alt,
    }
}

/// The mask a wait with its own mask put aside (`rt_sigsuspend`, `ppoll`,
/// `pselect6`) back, if one did (the caller holds the table's lock).
fn put_back_mask(own: &Link) {
    own.with_own(|t| {
        if let Some(mask) = t.saved_mask.take() {
            t.blocked = mask;
        }
    });
}

/// The thread's signal state after its call was interrupted: a restarted
/// wait with its own mask installs it again, so the own one is back; a
/// call not restarted does not go on (its `Resume` note goes).
fn after_interrupted(own: &Link, restart: bool) {
    if restart {
        put_back_mask(own);
    } else {
        own.with_own(|t| t.resume = None);
    }
}

/// Whether a signal may be waiting for the calling thread: its link's
/// attention word (see the module docs); true for a thread without one.
pub fn signal_may_wait() -> bool {
    scheduler::with_link(|link| link.attention()).unwrap_or(true)
}

/// [`next`] for the calling thread, then its attention lowered if nothing
/// is ready for it any more (nothing for a thread without a link).
fn next_for_me(p: &mut Process) -> Next {
    scheduler::with_link(|link| {
        let next = next(p, link);
        settle(p, link);
        next
    })
    .unwrap_or(Next::Nothing)
}

/// Lowers `link`'s attention if no signal is ready for its thread and the
/// process is not stopped (the caller holds the table's lock). A signal
/// pending but blocked by the thread leaves it low: a change of the mask
/// raises it again (`with_own_signals`).
fn settle(p: &Process, link: &Link) {
    link.settle_attention(ready(p, link) != 0 || super::stop::is_stopped(p));
}

/// Called at the end of every system call with the frame it returns with
/// and the call's number (see the module docs).
pub fn on_syscall_return(frame: &mut InterruptFrame, number: u64) {
    if frame.cs & 3 != 3 {
        return; // (already on its way to end)
    }
    let result = (frame.rax as i64).unsigned_abs();
    let interrupted = number != RT_SIGRETURN
        && (frame.rax as i64) < 0
        && matches!(result, ERESTARTSYS | ERESTARTNOHAND | ERESTART_RESTARTBLOCK);
    if !interrupted && !signal_may_wait() {
        return; // (the common case, quickly)
    }
    let next = table::with_current(|_, p| next_for_me(p)).unwrap_or(Next::Nothing);
    if interrupted {
        let restart = match &next {
            Next::Handle(h) => result == ERESTARTSYS && h.action.flags & SA_RESTART != 0,
            Next::End { .. } => false,
            Next::Nothing | Next::Stop(_) | Next::Stopped => true,
        };
        if restart {
            frame.rax = match result {
                ERESTART_RESTARTBLOCK => RESTART_SYSCALL,
                _ => number,
            };
            frame.rip -= 2;
        } else {
            frame.rax = EINTR.wrapping_neg();
        }
        table::with_current(|_, _| scheduler::with_link(|own| after_interrupted(own, restart)));
    }
    // What the program would see after `sysret`.
    if frame.vector == SYSCALL_VECTOR {
        frame.rcx = frame.rip;
        frame.r11 = frame.rflags;
    }
    act(frame, next, None);
}

/// The interrupt entry's hook on every way back to ring 3.
pub fn on_interrupt_return(frame: &mut InterruptFrame) {
    if !signal_may_wait() {
        return; // (the common case, quickly)
    }
    let next = table::with_current(|_, p| {
        let quiet = scheduler::with_link(|link| ready(p, link) == 0).unwrap_or(true);
        if quiet && !super::stop::is_stopped(p) {
            // (Not `next`: an interrupt between the two halves of an
            // `rt_sigsuspend` must leave its mask as it is.)
            scheduler::with_link(|link| settle(p, link));
            Next::Nothing
        } else {
            next_for_me(p)
        }
    });
    if let Some(next) = next {
        act(frame, next, None);
    }
}

/// Does what `next` says to the frame.
fn act(frame: &mut InterruptFrame, next: Next, fault: Option<&Fault>) {
    match next {
        Next::Nothing => {}
        Next::Stop(signal) => super::stop::stop_here(frame, signal),
        Next::Stopped => super::stop::wait_while_stopped(frame),
        Next::End { signal, core } => {
            if core {
                report(signal, format_args!("at rip {:#x}", frame.rip));
            }
            end_with_signal(frame, signal, core);
        }
        Next::Handle(handler) => {
            if let Err(why) = run_handler(frame, &handler, fault) {
                report(
                    SIGSEGV,
                    format_args!("{why} (for signal {})", handler.signal),
                );
                end_with_signal(frame, SIGSEGV, true);
            }
        }
    }
}

/// Prints the one line of a process that ends with a "core" signal.
fn report(signal: u8, what: core::fmt::Arguments) {
    let (pid, name) = table::with_current(|pid, p| (pid.0, p.name.clone())).unwrap_or_default();
    println!(
        "process {name} (pid {pid}) killed by {} (core dumped): {what}",
        name_of(signal)
    );
}

/// The names of the signals whose default action dumps core.
pub fn name_of(signal: u8) -> &'static str {
    match signal {
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        11 => "SIGSEGV",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        31 => "SIGSYS",
        _ => "a signal",
    }
}

/// Whether `sp` is on the alternate stack `alt` (Linux's test).
fn on_stack(alt: &AltStack, sp: u64) -> bool {
    alt.size != 0 && sp > alt.sp && sp - alt.sp <= alt.size
}

/// Writes the signal frame for `h` and points `frame` at its handler.
fn run_handler(
    frame: &mut InterruptFrame,
    h: &Handler,
    fault: Option<&Fault>,
) -> Result<(), &'static str> {
    if h.action.flags & SA_RESTORER == 0 {
        return Err("a handler without SA_RESTORER");
    }
    let on_alt = on_stack(&h.alt, frame.rsp);
    let switch = h.action.flags & SA_ONSTACK != 0 && h.alt.size != 0 && !on_alt;
    let top = switch.then_some(h.alt.sp + h.alt.size);
    let place = sigframe::place(frame.rsp, top).ok_or("no room for the signal frame")?;
    let mut fpu = FxArea([0; 512]);
    user_state::save_fpu(&mut fpu);
    let mut flags = match (on_alt, h.alt.size) {
        (true, _) => SS_ONSTACK,
        (false, 0) => SS_DISABLE,
        _ => 0,
    };
    if h.alt.autodisarm {
        flags |= SS_AUTODISARM;
    }
    let context = Context {
        registers: registers_of(frame),
        cs: frame.cs as u16,
        ss: frame.ss as u16,
        error_code: fault.map_or(0, |f| f.error_code),
        trap: fault.map_or(0, |f| u64::from(f.vector)),
        cr2: fault.map_or(0, |f| f.cr2),
        mask: h.mask,
        stack: Stack {
            sp: h.alt.sp,
            flags,
            size: h.alt.size,
        },
    };
    let bytes = sigframe::build(&context, &h.info, h.action.restorer, &place);
    if !table::write_user(place.fpu, &fpu.0) || !table::write_user(place.frame, &bytes) {
        return Err("the signal frame could not be written");
    }
    frame.rip = h.action.handler;
    frame.rsp = place.frame;
    frame.rdi = u64::from(h.signal);
    frame.rsi = place.frame + sigframe::SIGINFO as u64;
    frame.rdx = place.frame + sigframe::UCONTEXT as u64;
    frame.rax = 0;
    frame.rflags &= !CLEARED_FLAGS;
    frame.cs = USER_CODE;
    frame.ss = USER_DATA;
    // SAFETY: a clean state's MXCSR is the default, with no reserved bit.
    unsafe { user_state::load_fpu(&user_state::clean_fpu()) };
    let also = if h.action.flags & SA_NODEFER != 0 {
        0
    } else {
        bit(h.signal)
    };
    // The running thread's mask, under the table's lock (see `link.rs`).
    table::with_current(|_, _| {
        scheduler::with_link(|link| {
            link.with_own(|t| {
                t.blocked |= (h.action.mask | also) & !UNCATCHABLE;
                if switch && h.alt.autodisarm {
                    t.alt_stack = AltStack::default();
                }
            })
        })
    });
    Ok(())
}

/// The frame's general registers, in the signal frame's terms.
fn registers_of(f: &InterruptFrame) -> Registers {
    Registers {
        r8: f.r8,
        r9: f.r9,
        r10: f.r10,
        r11: f.r11,
        r12: f.r12,
        r13: f.r13,
        r14: f.r14,
        r15: f.r15,
        rdi: f.rdi,
        rsi: f.rsi,
        rbp: f.rbp,
        rbx: f.rbx,
        rdx: f.rdx,
        rax: f.rax,
        rcx: f.rcx,
        rsp: f.rsp,
        rip: f.rip,
        rflags: f.rflags,
    }
}

/// `rt_sigreturn`'s work once the frame is read and checked: the
/// registers into `frame`, the mask, and the alternate stack if the handler
/// disarmed it (`SS_AUTODISARM`).
pub fn restore(frame: &mut InterruptFrame, registers: &Registers, mask: u64, stack: Stack) {
    restore_registers(frame, registers);
    super::with_own_signals(|t| {
        t.blocked = mask & !UNCATCHABLE;
        if stack.flags & SS_AUTODISARM != 0 {
            t.alt_stack = if stack.flags & SS_DISABLE != 0 || stack.size == 0 {
                AltStack::default()
            } else {
                AltStack {
                    sp: stack.sp,
                    size: stack.size,
                    autodisarm: true,
                }
            };
        }
    });
}

/// Whether `sp` is on the calling thread's alternate signal stack.
pub fn on_alt_stack(sp: u64) -> bool {
    scheduler::with_link(|link| link.with_own(|t| on_stack(&t.alt_stack, sp))).unwrap_or(false)
}

/// Puts `registers` (checked by `sigframe::check`) into the frame.
fn restore_registers(f: &mut InterruptFrame, r: &Registers) {
    f.r8 = r.r8;
    f.r9 = r.r9;
    f.r10 = r.r10;
    f.r11 = r.r11;
    f.r12 = r.r12;
    f.r13 = r.r13;
    f.r14 = r.r14;
    f.r15 = r.r15;
    f.rdi = r.rdi;
    f.rsi = r.rsi;
    f.rbp = r.rbp;
    f.rbx = r.rbx;
    f.rdx = r.rdx;
    f.rax = r.rax;
    f.rcx = r.rcx;
    f.rsp = r.rsp;
    f.rip = r.rip;
    f.rflags = r.rflags;
    f.cs = USER_CODE;
    f.ss = USER_DATA;
}

/// The signal of CPU exception `vector`, its name, and the siginfo's code
/// and address (Linux's choices).
pub fn signal_of_fault(fault: &Fault, rip: u64) -> (u8, &'static str, i32, u64) {
    match fault.vector {
        0 => (8, "SIGFPE", 1, rip),       // FPE_INTDIV
        16 | 19 => (8, "SIGFPE", 0, rip), // x87 / SIMD exceptions
        1 | 3 => (5, "SIGTRAP", 1, rip),  // TRAP_BRKPT
        6 => (4, "SIGILL", 2, rip),       // ILL_ILLOPN
        17 => (7, "SIGBUS", 1, rip),      // BUS_ADRALN
        fault::vector::PAGE_FAULT => {
            // SEGV_MAPERR for a page that is not there, else SEGV_ACCERR.
            let code = if fault.error_code & 1 == 0 { 1 } else { 2 };
            (11, "SIGSEGV", code, fault.cr2)
        }
        _ => (11, "SIGSEGV", 0x80, 0), // SI_KERNEL (a #GP and the rest)
    }
}

/// A fault in ring 3 that is not a page to fill in: runs the handler of
/// its signal if one is installed and the signal is not blocked (true);
/// false: the caller ends the process.
pub fn on_fault(frame: &mut InterruptFrame, fault: &Fault) -> bool {
    let (signal, _, code, address) = signal_of_fault(fault, frame.rip);
    let info = Info {
        signal: u32::from(signal),
        code,
        detail: Detail::Fault { address },
    };
    // The faulting thread's mask alone decides.
    let handler = table::with_current(|_, p| {
        scheduler::with_link(|own| {
            let blocked = own.blocked() & bit(signal) != 0;
            match p.signals.disposition(signal) {
                Disposition::Handle(action) if !blocked => {
                    Some(take_handler(p, own, signal, action, info))
                }
                _ => None,
            }
        })
    });
    match handler.flatten().flatten() {
        Some(h) => run_handler(frame, &h, Some(fault)).is_ok(),
        None => false,
    }
}

/// Ends the calling process with SIGSEGV ("core dumped") because of `why`
/// (a bad signal frame given to `rt_sigreturn`): the frame now goes to the
/// ring-0 routine that ends it.
pub fn force_segv(frame: &mut InterruptFrame, why: core::fmt::Arguments) {
    report(SIGSEGV, why);
    end_with_signal(frame, SIGSEGV, true);
}
