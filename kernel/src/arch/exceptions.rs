//! CPU exceptions: read what the CPU reported, and hand it to the one hook.
//!
//! Vectors 0-31 are the CPU's exceptions (see the `fault` crate for what each
//! means and how the error codes decode). This module does only the part that
//! needs the hardware: it reads CR2, looks up whether the address is a known
//! guard page (a stack overflow), and builds a [`fault::Fault`]. What to do
//! about it is not decided here, in the architecture code, but by the *fault
//! hook* that a module above registers at boot with [`set_hook`]
//! (`fault_policy`: end the kernel thread, end the running test, continue
//! after a breakpoint, or, in a later chapter, signal the user process). The
//! hook may rewrite the interrupted frame (to "return" somewhere else) and
//! answers with a [`Verdict`].
//!
//! Without a hook (early in the boot), a breakpoint, debug trap or NMI is
//! reported and execution continues; anything else is reported and the CPU
//! halts, leaving the report on the screen.
//!
//! A kernel stack overflow shows up as a double fault (see `gdt.rs`); the
//! report recognises the guard page in CR2 and says "stack overflow".

use super::entry::InterruptFrame;
use super::guard;
use crate::output;
use crate::symbols::At;
use core::fmt;
use fault::{Fault, Registers, Report};
use spin::Once;
use x86_64::VirtAddr;
use x86_64::registers::control::Cr2;

/// What happens after the hook has seen a fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Return from the exception (`iretq`) with the frame as the hook left it:
    /// where the fault happened (after a trap) or where the hook pointed it.
    Resume,
    /// Nothing can go on: print the report and halt the CPU.
    Halt,
}

/// The fault hook: decides what happens after an exception.
pub type Hook = fn(&mut InterruptFrame, &Fault) -> Verdict;

static HOOK: Once<Hook> = Once::new();

/// Makes `hook` decide about every exception from now on. The first hook
/// registered stays (it is set once, at boot).
pub fn set_hook(hook: Hook) {
    HOOK.call_once(|| hook);
}

/// The exception's name, e.g. "page fault".
pub fn name(vector: u8) -> &'static str {
    fault::name(vector)
}

/// Called by the dispatcher for vectors 0-31.
pub fn handle(frame: &mut InterruptFrame) {
    let cr2 = Cr2::read_raw();
    let fault = Fault {
        vector: frame.vector as u8,
        error_code: frame.error_code,
        cr2,
        guarded_stack: guard::guarded_stack_at(VirtAddr::new_truncate(cr2)),
    };
    let verdict = match HOOK.get() {
        Some(hook) => hook(frame, &fault),
        None if fault.continues() => {
            crate::println!("{}", report(frame, &fault));
            Verdict::Resume
        }
        None => Verdict::Halt,
    };
    if verdict == Verdict::Halt {
        super::pvpanic::report_panic();
        output::emergency_print(format_args!(
            "\n{}\x1b[31mThe kernel cannot continue after this exception; halting.\x1b[0m\n",
            report(frame, &fault)
        ));
        x86_64::instructions::interrupts::disable();
        super::cpu::halt_forever()
    }
}

/// The full report of `fault` (registers, the function that faulted), for
/// printing.
pub fn report(frame: &InterruptFrame, fault: &Fault) -> impl fmt::Display {
    FullReport {
        fault: *fault,
        registers: registers(frame),
    }
}

struct FullReport {
    fault: Fault,
    registers: Registers,
}

impl fmt::Display for FullReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = Report {
            fault: self.fault,
            registers: &self.registers,
            symbol: &At(self.registers.rip),
        };
        write!(f, "{report}")
    }
}

/// The saved registers, in the decoder's terms.
pub fn registers(r: &InterruptFrame) -> Registers {
    Registers {
        rax: r.rax,
        rbx: r.rbx,
        rcx: r.rcx,
        rdx: r.rdx,
        rsi: r.rsi,
        rdi: r.rdi,
        rbp: r.rbp,
        r8: r.r8,
        r9: r.r9,
        r10: r.r10,
        r11: r.r11,
        r12: r.r12,
        r13: r.r13,
        r14: r.r14,
        r15: r.r15,
        rip: r.rip,
        cs: r.cs,
        rflags: r.rflags,
        rsp: r.rsp,
        ss: r.ss,
    }
}
