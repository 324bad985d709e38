//! The context switch: leaving one thread's stack for another's.
//!
//! A thread that is not running is nothing but its stack: everything it was
//! doing is in its stack frames, and the one register that says where those
//! are, `rsp`, is saved in its record. [`switch_to`] is called like a function
//! by the thread that stops and "returns" in the thread that continues:
//!
//! 1. push the registers the System V ABI says a call preserves (`rbx`, `rbp`,
//!    `r12`-`r15`) on the current stack; the compiler already assumes every
//!    other register is clobbered by a call, so nothing else needs saving;
//! 2. store `rsp` into `*from`;
//! 3. load `rsp` from `to`: we are now on the other thread's stack, exactly as
//!    it was when that thread called `switch_to`;
//! 4. pop its six registers and `ret` to where it called from.
//!
//! The kernel is compiled without SSE/x87 code (the `x86_64-unknown-none`
//! target uses soft-float), so the kernel has no floating-point state to
//! save here; a user program's is saved beside the switch, by the scheduler
//! (`arch::user_state`). The
//! interrupt flag is not saved here either: every switch happens with
//! interrupts disabled, and each thread restores its own flag afterwards.
//!
//! A new thread has never called `switch_to`, so [`prepare_stack`] writes the
//! stack it would have left: six zero registers and a "return address" that
//! is [`thread_entry`], which calls the Rust function that starts the thread.

use core::arch::naked_asm;

/// Saves the current thread's registers and stack pointer (into `*from`) and
/// continues the thread whose stack pointer is `to`.
///
/// # Safety
///
/// Interrupts must be disabled. `from` must be valid for a write; `to` must
/// be a stack pointer saved by `switch_to` or made by [`prepare_stack`], of a
/// thread that is not running, whose stack is still mapped.
#[unsafe(naked)]
pub unsafe extern "C" fn switch_to(from: *mut u64, to: u64) {
    naked_asm!(
        "push rbp",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "mov [rdi], rsp", // save where this thread's registers are
        "mov rsp, rsi",   // the other thread's stack
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret", // into the other thread's call of `switch_to` (or `thread_entry`)
    )
}

/// The first "return address" of a new thread. It arrives here with a 16-byte
/// aligned `rsp`; the `call` pushes a return address, so `start` begins with
/// the alignment the ABI promises every function (`rsp + 8` aligned).
#[unsafe(naked)]
extern "C" fn thread_entry() -> ! {
    naked_asm!(
        "call {start}",
        "ud2", // `start` never returns
        start = sym super::scheduler::thread_start,
    )
}

/// Writes the initial frame of a new thread at the top of its stack and
/// returns the stack pointer to pass to [`switch_to`].
///
/// # Safety
///
/// `top` must be the 16-byte aligned end of a mapped, writable stack of at
/// least 72 bytes that nothing else uses.
pub unsafe fn prepare_stack(top: u64) -> u64 {
    // From low to high addresses: what `switch_to` pops (r15, r14, r13, r12,
    // rbx, rbp; zero, so a backtrace ends at `rbp == 0`), the address its
    // `ret` jumps to, and two empty words, which leave `rsp` 16-byte aligned
    // after that `ret`.
    let entry = thread_entry as *const () as u64;
    let frame: [u64; 9] = [0, 0, 0, 0, 0, 0, entry, 0, 0];
    let rsp = top - 72;
    // SAFETY: the caller gives us the 72 bytes below `top`.
    unsafe { (rsp as *mut [u64; 9]).write(frame) };
    rsp
}
