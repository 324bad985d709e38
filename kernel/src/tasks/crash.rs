//! When a thread panics or faults: report it, end it, keep the kernel going.
//!
//! A panic does not unwind in this kernel, and a CPU exception cannot be
//! retried; either way the thread cannot go on. But its failure need not be
//! the kernel's: if the fault happened in the thread's own code, the thread
//! can simply be ended as if killed ([`sched::ExitStatus::Crashed`]), and its
//! joiner learns that it crashed.
//!
//! That is only safe when nothing the kernel shares is left half-changed.
//! The rules, checked by [`may_end_thread`]:
//! - the scheduler is running and the thread is neither the idle thread nor
//!   an essential one (`main`, which runs the shell and the test harness);
//! - the failure is not inside an interrupt handler (the handler may hold
//!   device state; the APIC still waits for its end-of-interrupt);
//! - interrupts were enabled: every interrupt-safe lock (`IrqMutex`: the
//!   scheduler, the heap, the screen) disables them while held, so with the
//!   flag set the thread held none of those.
//!
//! Otherwise the failure stays fatal, as before threads. Plain spinlocks and
//! the blocking `Mutex` held by the crashed thread stay locked: a later
//! thread that needs them waits forever. Keep such locks out of code that may
//! fail, or make the failure fatal.
//!
//! A panic is ended right in the panic handler, which runs on the thread's
//! own stack. An exception handler instead rewrites the interrupted frame so
//! that its `iretq` "returns" into [`crashed_thread`] at the top of the
//! thread's stack (the faulting frames are dead, and the stack may be the one
//! that overflowed), which ends the thread.

use super::scheduler::{self, with};
use crate::arch::entry::InterruptFrame;
use crate::arch::interrupts;
use crate::memory::stack::KernelStack;
use sched::{ExitStatus, IDLE, ThreadId};

/// What a failing thread is, if it may be ended instead of the kernel.
/// `interrupts_were_on` is the interrupt flag of the failing code, and
/// `handler_depth` how many interrupt handlers may be running around it
/// (0 for a panic in thread code, 1 for an exception raised by thread code).
pub fn may_end_thread(interrupts_were_on: bool, handler_depth: usize) -> Option<Failing> {
    if !interrupts_were_on || interrupts::depth() != handler_depth {
        return None;
    }
    with(|s| {
        let id = s.current();
        let thread = s.thread(id)?;
        let stack = thread.data().stack()?;
        (id != IDLE && !thread.data().is_essential()).then_some(Failing { id, stack })
    })
    .flatten()
}

/// A thread that may be ended instead of the kernel.
pub struct Failing {
    pub id: ThreadId,
    pub stack: KernelStack,
}

impl Failing {
    /// Whether `address` is in the guard page below this thread's stack.
    pub fn overflowed_at(&self, address: u64) -> bool {
        self.stack.guard().start_address().as_u64() <= address
            && address < self.stack.bottom.as_u64()
    }
}

/// The name of thread `id`, for reports.
pub fn name_of(id: ThreadId, f: impl FnOnce(&str)) {
    with(|s| s.thread(id).map(|t| f(t.name())));
}

/// Ends the running thread as crashed (called from the panic handler).
pub fn end_current_thread() -> ! {
    scheduler::exit(ExitStatus::Crashed)
}

/// Makes the exception's `iretq` continue in [`crashed_thread`] on a fresh
/// part of the thread's own stack (`stack_top`), with interrupts off.
pub fn redirect_to_crash_exit(frame: &mut InterruptFrame, failing: &Failing) {
    let stack_top = failing.stack.top.as_u64();
    frame.rip = crashed_thread as *const () as u64;
    // As if called: the return-address slot below a 16-byte aligned top.
    frame.rsp = (stack_top & !0xf) - 8;
    frame.rflags &= !(1 << 9 | 1 << 8 | 1 << 10); // interrupt, trap, direction
}

extern "C" fn crashed_thread() -> ! {
    end_current_thread()
}
