//! Interrupt entry: from the CPU's push to a Rust function and back.
//!
//! When an interrupt or exception arrives, the CPU (in 64-bit mode) aligns the
//! stack pointer to 16 bytes, switches stacks if the IDT gate names an IST stack,
//! and pushes five values: `ss`, `rsp`, `rflags`, `cs`, `rip`. For some exceptions
//! (8, 10-14, 17, 21, 29, 30) it then pushes an *error code*. It finally jumps to
//! the address in the IDT gate with interrupts disabled. Nothing else is saved:
//! every general-purpose register still holds the interrupted code's value.
//!
//! Our entry code has two parts, written in assembly inside `#[unsafe(naked)]`
//! functions (functions without any compiler-generated prologue):
//!
//! 1. [`vector_stubs`]: 256 tiny stubs, one per vector, each 16 bytes apart. A stub
//!    pushes a dummy error code 0 if the CPU did not push one (so every frame has
//!    the same shape), pushes its vector number, and jumps to the common part.
//! 2. `common_entry`: runs `swapgs` if the interrupted code was ring 3 (see
//!    `syscall.rs`), pushes the 15 general-purpose registers, passes the stack
//!    pointer (which now points at a complete [`InterruptFrame`]) to the Rust
//!    dispatcher, then pops everything back, drops vector and error code,
//!    runs `swapgs` again if it returns to ring 3, and returns with `iretq`,
//!    which restores `rip`, `cs`, `rflags`, `rsp` and `ss`.
//!
//! Because the dispatcher receives `&mut InterruptFrame`, a handler may change the
//! registers the interrupted code resumes with; a later chapter's context switch
//! does exactly that. The alignment works out: 5 CPU words + error code + vector +
//! 15 registers = 22 words = 176 bytes, a multiple of 16, so the stack is 16-byte
//! aligned at the `call` as the System V ABI requires. The kernel target has no
//! red zone, so an interrupt never clobbers data below a function's stack pointer.

use core::arch::naked_asm;

/// The saved state of the interrupted code, in stack order (lowest address
/// first): what `common_entry` pushed, then the stub, then the CPU.
#[repr(C)]
#[derive(Clone, Debug, Default)]
pub struct InterruptFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rax: u64,
    /// Pushed by the stub.
    pub vector: u64,
    /// Pushed by the CPU for some exceptions, by the stub (as 0) otherwise.
    pub error_code: u64,
    // Pushed by the CPU.
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

/// The instructions that push the fifteen general-purpose registers so that,
/// below the vector and error code, they form the first fields of an
/// [`InterruptFrame`] (`r15` lowest). Shared by the interrupt entry and the
/// `syscall` entry (`syscall.rs`), so both build the same frame.
macro_rules! push_registers {
    () => {
        "push rax; push rcx; push rdx; push rbx; push rbp; push rsi; push rdi; \
         push r8; push r9; push r10; push r11; push r12; push r13; push r14; push r15"
    };
}

/// The reverse of [`push_registers!`].
macro_rules! pop_registers {
    () => {
        "pop r15; pop r14; pop r13; pop r12; pop r11; pop r10; pop r9; pop r8; \
         pop rdi; pop rsi; pop rbp; pop rbx; pop rdx; pop rcx; pop rax"
    };
}

pub(crate) use {pop_registers, push_registers};

/// Distance between two vector stubs.
pub const STUB_SIZE: usize = 16;

/// The entry address for `vector`, for the IDT.
pub fn stub_address(vector: u8) -> u64 {
    vector_stubs as *const () as u64 + (vector as u64) * STUB_SIZE as u64
}

/// The 256 stubs. Never called as a function: the IDT points into it.
///
/// The assembler repeats the stub 256 times (`.rept`), counting in the symbol
/// `vector`; `.balign 16` places stub `n` at byte `16 * n` (the first `.balign`
/// also makes the function's section 16-byte aligned).
#[unsafe(naked)]
pub extern "C" fn vector_stubs() {
    naked_asm!(
        ".set vector, 0",
        ".rept 256",
        ".balign 16",
        // The exceptions for which the CPU pushes an error code itself.
        ".if vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 || vector == 30",
        ".else",
        "pushq $0",
        ".endif",
        "pushq $vector",
        "jmp {common}",
        ".set vector, vector + 1",
        ".endr",
        common = sym common_entry,
        options(att_syntax)
    )
}

/// Saves the registers, calls the dispatcher, restores them and returns.
#[unsafe(naked)]
extern "C" fn common_entry() {
    naked_asm!(
        // From ring 3 (the saved CS's privilege bits): swap in the kernel's GS
        // base (see `syscall.rs`). Stack: vector, error code, rip, cs, ...
        "test qword ptr [rsp + 24], 3",
        "jz 2f",
        "swapgs",
        // A program may set RFLAGS.AC (`popf`), which would lift SMAP for
        // the kernel (see `smap.rs`); the CPU keeps it. Clear every flag
        // (IF is already off); `iretq` restores the program's.
        "push 2",
        "popfq",
        "2:",
        push_registers!(),
        "mov rdi, rsp", // first argument: the frame
        "cld",          // the ABI expects the direction flag clear
        "call {dispatch}",
        pop_registers!(),
        "add rsp, 16", // vector and error code
        // Back to ring 3 (the frame's CS, which a handler may have changed):
        // the user's GS base again.
        "test qword ptr [rsp + 8], 3",
        "jz 3f",
        "swapgs",
        "3:",
        "iretq",
        dispatch = sym crate::arch::interrupts::dispatch,
    )
}
