//! What happens after a CPU exception: the kernel's fault policy.
//!
//! `arch::exceptions` reads what the CPU reported and asks one hook what to
//! do; this module is that hook, registered by [`init`] at boot (and by the
//! test harness). It decides, in this order:
//! - a fault in ring 3: the process's business (`process::on_user_fault`:
//!   a page filled in on demand, or the end of the process);
//! - a breakpoint (`int3`), a debug trap or an NMI: print the report and
//!   continue after the instruction;
//! - a failure in a kernel thread's own code (not in an interrupt handler, no
//!   interrupt-safe lock held, see `tasks::crash`): report it and end only
//!   that thread; the kernel goes on;
//! - inside the kernel test harness: the current test ends with the exception
//!   as its outcome (so a test can expect a page fault) and the next starts
//!   (`testing::end_test_after_exception`);
//! - otherwise: halt, leaving the report on the screen.
//!

use crate::arch::entry::InterruptFrame;
use crate::arch::exceptions::{self, Verdict};
use crate::{output, process, tasks, testing};
use fault::Fault;

/// Makes this policy decide about every exception.
pub fn init() {
    exceptions::set_hook(on_fault);
}

fn on_fault(frame: &mut InterruptFrame, fault: &Fault) -> Verdict {
    if process::on_user_fault(frame, fault) {
        return Verdict::Resume;
    }
    if fault.continues() {
        crate::println!("{}", exceptions::report(frame, fault));
        crate::println!("(continuing after the {})", fault.name());
        return Verdict::Resume;
    }
    if end_thread(frame, fault) {
        return Verdict::Resume;
    }
    if testing::is_running() {
        output::emergency_print(format_args!("{}\n", exceptions::report(frame, fault)));
        testing::end_test_after_exception(frame, &fault.summary());
        return Verdict::Resume;
    }
    Verdict::Halt
}

/// If the exception is a failure of a kernel thread's own code, reports it,
/// arranges for the thread to end, and returns true.
fn end_thread(frame: &mut InterruptFrame, fault: &Fault) -> bool {
    let interrupts_were_on = frame.rflags & (1 << 9) != 0;
    let Some(failing) = tasks::crash::may_end_thread(interrupts_were_on, 1) else {
        return false;
    };
    let cr2 = fault.cr2;
    let overflow = failing.overflowed_at(cr2);
    // A double fault is recoverable for us only as a stack overflow: the
    // page fault on the guard page could not push its frame.
    if fault.vector == fault::vector::DOUBLE_FAULT && !overflow {
        return false;
    }
    let id = failing.id.0;
    tasks::crash::name_of(failing.id, |name| {
        crate::print!("\n\x1b[31mthread {id} ({name}) crashed\x1b[0m: ");
    });
    if overflow {
        crate::println!("stack overflow: it ran into its guard page at {cr2:#x}");
    }
    crate::println!("{}", exceptions::report(frame, fault));
    crate::println!("thread {id} was ended; the kernel goes on.");
    tasks::crash::redirect_to_crash_exit(frame, &failing);
    true
}
