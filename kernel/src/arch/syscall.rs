//! Ring 3 and back: entering user mode, and the `syscall` instruction.
//!
//! Code in ring 3 cannot touch pages without the USER bit, run privileged
//! instructions, or switch off interrupts. It enters the kernel only when the
//! CPU makes it: an interrupt, an exception, or the `syscall` instruction.
//!
//! **Into ring 3.** There is no "call user mode"; the kernel pretends to
//! *return* there. [`enter_user`] pushes what an interrupt would have pushed
//! (user SS, user RSP, RFLAGS with interrupts on, user CS, the entry RIP) and
//! executes `iretq`, with every general register zeroed so that no kernel
//! value leaks (and `rdx` is 0, which the C library takes as "no exit
//! callback").
//!
//! **`syscall`.** The instruction is fast because it does almost nothing: it
//! saves RIP in `rcx` and RFLAGS in `r11`, loads CS and SS from the STAR
//! register, clears the RFLAGS bits named in FMASK (we clear IF, DF, TF and
//! AC: no interrupt may arrive before we are on a kernel stack, and the
//! kernel expects DF and AC clear), and jumps to the address in LSTAR. It
//! does **not** switch stacks: `rsp` is still the user's, which we must not
//! trust. So [`syscall_entry`] first parks the user `rsp` and loads the
//! current thread's kernel stack (the value the scheduler also puts into the
//! TSS's `rsp0`, see `gdt.rs`). Then it pushes the same [`InterruptFrame`] an
//! interrupt from ring 3 would have, with the vector [`SYSCALL_VECTOR`], so
//! every handler and report reads one shape of saved state.
//!
//! **Back.** The handler (registered with [`set_handler`]) reads the number
//! in `rax` and the arguments in `rdi`, `rsi`, `rdx`, `r10`, `r8`, `r9`, and
//! leaves the result in the frame's `rax`. It is called with interrupts
//! still off, so a call that only reads a word can be answered without
//! touching the interrupt flag at all; any other call turns them on (it
//! may block) and off again before it returns. `sysretq` is the fast way back: it
//! loads RIP from `rcx` and RFLAGS from `r11`. On Intel CPUs, `sysret` to a
//! non-canonical RIP raises #GP *in ring 0 with the user's stack pointer*, a
//! classic hole. So [`may_sysret`] allows it only for a return to the lower
//! half (every such address is canonical) in the user's segments; anything
//! else leaves through `iretq`, which checks everything.
//!
//! **GS.** While the kernel runs, the GS base points at the CPU's own block
//! ([`PerCpu`]); while ring 3 runs, it is the program's, and the kernel's
//! value waits in the KERNEL_GS_BASE register. `swapgs` exchanges the two.
//! It must run exactly once on every way in from ring 3 and once on every
//! way back, and never for an interrupt of kernel code (the swap would hand
//! the kernel the user's value): `syscall_entry` always comes from ring 3;
//! the interrupt entry (`entry.rs`) tests the privilege bits of the saved CS.
//! The block holds the one word the `syscall` entry needs before it has a
//! stack: the user's `rsp`. (An NMI or machine check between `swapgs` and
//! the stack switch would see kernel CS with the user's GS; their handlers
//! do not use GS.)

use super::entry::{InterruptFrame, pop_registers, push_registers};
use super::gdt;
use core::arch::naked_asm;
use core::sync::atomic::AtomicU64;
use spin::Once;
use x86_64::VirtAddr;
use x86_64::registers::model_specific::{
    Efer, EferFlags, GsBase, KernelGsBase, LStar, SFMask, Star,
};
use x86_64::registers::rflags::RFlags;

/// The `vector` of a frame saved by `syscall` (real vectors are below 256).
pub const SYSCALL_VECTOR: u64 = 0x100;
/// The user data (stack) selector with privilege 3, as `gdt.rs` lays it out.
pub const USER_DATA: u64 = 0x1b;
/// The user code selector with privilege 3.
pub const USER_CODE: u64 = 0x23;
/// The first address above the user half.
pub const USER_END: u64 = 0x0000_8000_0000_0000;
/// RFLAGS a program starts with: interrupts on (bit 1 is always set).
const USER_RFLAGS: u64 = 0x202;

/// What the kernel does with a system call (the frame's `rax` is the
/// result). Called with interrupts off; it must return with them off.
pub type Handler = fn(&mut InterruptFrame);

static HANDLER: Once<Handler> = Once::new();

/// The CPU's own data, at the kernel's GS base (one CPU: one block).
#[repr(C)]
pub struct PerCpu {
    /// `gs:[0]`: the user's `rsp` between `syscall` and the first push
    /// (interrupts are off then).
    user_rsp: AtomicU64,
}

static PER_CPU: PerCpu = PerCpu {
    user_rsp: AtomicU64::new(0),
};

/// The address of the CPU's block: the GS base while the kernel runs.
pub fn per_cpu_address() -> u64 {
    &raw const PER_CPU as u64
}

/// Makes `handler` answer every `syscall`. The first handler registered stays.
pub fn set_handler(handler: Handler) {
    HANDLER.call_once(|| handler);
}

/// Turns `syscall` on: STAR (segments), LSTAR (entry), FMASK, EFER.SCE; and
/// GS: the kernel's base is the CPU's block, ring 3 starts with 0. Also what
/// user mode needs from the CPU: FPU/SSE for ring 3 (`user_state`), and SMEP
/// and SMAP where the CPU has them (`smap`), alignment checks for ring 3
/// (`alignment`). Needs `gdt::init`.
pub fn init() {
    super::user_state::init();
    super::smap::init();
    super::alignment::init();
    GsBase::write(VirtAddr::new(per_cpu_address()));
    KernelGsBase::write(VirtAddr::zero());
    let s = gdt::selectors();
    assert_eq!(u64::from(s.user_data.0), USER_DATA, "GDT order");
    assert_eq!(u64::from(s.user_code.0), USER_CODE, "GDT order");
    Star::write(s.user_code, s.user_data, s.code, s.data)
        .expect("the GDT is in the order sysret needs");
    LStar::write(VirtAddr::new(syscall_entry as *const () as u64));
    SFMask::write(
        RFlags::INTERRUPT_FLAG
            | RFlags::DIRECTION_FLAG
            | RFlags::TRAP_FLAG
            | RFlags::ALIGNMENT_CHECK,
    );
    // SAFETY: setting SCE only makes `syscall` usable; LSTAR and STAR are
    // set above, so it lands in our entry code with our segments.
    unsafe { Efer::update(|flags| flags.insert(EferFlags::SYSTEM_CALL_EXTENSIONS)) };
}

/// Whether `frame` may be returned to with `sysretq`: a return to ring 3's
/// own segments at an address in the lower half (so canonical; see the
/// module docs), not marked by [`return_by_iret`]. Otherwise the return
/// takes `iretq`.
pub fn may_sysret(frame: &InterruptFrame) -> bool {
    frame.vector == SYSCALL_VECTOR
        && frame.rip < USER_END
        && frame.cs == USER_CODE
        && frame.ss == USER_DATA
}

/// The `vector` of a `syscall` frame that must go back by `iretq`.
pub const IRET_VECTOR: u64 = 0x101;

/// Makes the `syscall` that saved `frame` go back by `iretq`, which
/// restores every register, `rcx` and `r11` included (`sysretq` loads them
/// with RIP and RFLAGS): for `rt_sigreturn`, which restores a whole context.
pub fn return_by_iret(frame: &mut InterruptFrame) {
    if frame.vector == SYSCALL_VECTOR {
        frame.vector = IRET_VECTOR;
    }
}

/// Whether `address` is canonical: bits 63..47 all equal.
pub fn is_canonical(address: u64) -> bool {
    let top = address >> 47;
    top == 0 || top == 0x1_ffff
}

/// Called by [`syscall_entry`] with the saved frame; returns whether the way
/// back may be `sysretq` (then `rcx` and `r11` hold RIP and RFLAGS).
extern "C" fn dispatch(frame: &mut InterruptFrame) -> bool {
    // Interrupts are still off (FMASK). The frame is on this thread's own
    // kernel stack, so the handler may turn them on, block and be
    // preempted like any kernel code; it returns with them off again.
    match HANDLER.get() {
        Some(handler) => handler(frame),
        None => frame.rax = (-38i64) as u64, // ENOSYS
    }
    let sysret = may_sysret(frame);
    if sysret {
        frame.rcx = frame.rip;
        frame.r11 = frame.rflags;
    }
    sysret
}

/// The `syscall` entry (LSTAR). See the module docs for each step.
#[unsafe(naked)]
extern "C" fn syscall_entry() {
    naked_asm!(
        "swapgs",
        "mov gs:[0], rsp",
        "mov rsp, [rip + {kernel_stack}]",
        // The five words an interrupt from ring 3 pushes, then error code and vector.
        "push {user_data}",
        "push qword ptr gs:[0]",
        "push r11",
        "push {user_code}",
        "push rcx",
        "push 0",
        "push {vector}",
        // Interrupts stay off up to here (FMASK), so gs:[0] was not overwritten.
        push_registers!(),
        "mov rdi, rsp",
        "call {dispatch}",
        // `dispatch` returns with interrupts off.
        "test al, al",
        pop_registers!(),
        "jz 2f", // (`pop` leaves the flags of `test` alone)
        "add rsp, 16",
        "mov rsp, [rsp + 24]", // the user's rsp; nothing runs on it before sysret
        "swapgs",
        "sysretq",
        "2:",
        "add rsp, 16",
        "test qword ptr [rsp + 8], 3",
        "jz 3f",
        "swapgs",
        "3:",
        "iretq",
        kernel_stack = sym gdt::KERNEL_STACK,
        user_data = const USER_DATA,
        user_code = const USER_CODE,
        vector = const SYSCALL_VECTOR,
        dispatch = sym dispatch,
    )
}

/// Returns to ring 3 with every register as `frame` says (a forked child's
/// first way into user mode: the parent's registers). Never returns.
///
/// # Safety
///
/// As for [`enter_user`]; and `frame` is a ring-3 frame: user CS and SS,
/// a canonical user RIP, RFLAGS with interrupts on and IOPL 0.
#[unsafe(naked)]
pub unsafe extern "C" fn return_to_user(frame: *const InterruptFrame) -> ! {
    naked_asm!(
        // As in `enter_user`: no interrupt from here to `iretq`. The frame
        // is on this thread's stack, below which nothing lives any more.
        "cli",
        "mov rsp, rdi",
        pop_registers!(),
        "add rsp, 16", // vector and error code
        "swapgs",
        "iretq",
    )
}

/// Starts running ring-3 code at `rip` with stack pointer `rsp`. Never returns:
/// the thread comes back into the kernel only through interrupts, exceptions
/// and `syscall`, and ends from there.
///
/// # Safety
///
/// The current thread's kernel stack must be in the TSS (`gdt::set_kernel_stack`,
/// done by the scheduler on every switch), `syscall::init` must have run, and
/// `rip` and `rsp` must be user addresses.
#[unsafe(naked)]
pub unsafe extern "C" fn enter_user(rip: u64, rsp: u64) -> ! {
    naked_asm!(
        // No interrupt between `swapgs` and `iretq`: its handler would see
        // kernel CS with the user's GS base, and a switch to another thread
        // would carry the swapped bases there. `iretq` turns them back on.
        "cli",
        "push {user_data}",
        "push rsi",
        "push {rflags}",
        "push {user_code}",
        "push rdi",
        "xor eax, eax",
        "xor ebx, ebx",
        "xor ecx, ecx",
        "xor edx, edx",
        "xor esi, esi",
        "xor edi, edi",
        "xor ebp, ebp",
        "xor r8d, r8d",
        "xor r9d, r9d",
        "xor r10d, r10d",
        "xor r11d, r11d",
        "xor r12d, r12d",
        "xor r13d, r13d",
        "xor r14d, r14d",
        "xor r15d, r15d",
        "swapgs", // the user's GS base (0) in, the kernel's put away
        "iretq",
        user_data = const USER_DATA,
        user_code = const USER_CODE,
        rflags = const USER_RFLAGS,
    )
}
