//! The signal frame: what the kernel writes on a program's stack to run a
//! signal handler, and reads back when the handler returns.
//!
//! To run a handler, the kernel must make the program call a function it
//! did not call, and afterwards go on exactly where it was, every register
//! intact. Linux on x86_64 does it with a *signal frame* (`struct
//! rt_sigframe`), and every C library knows its layout, so Kestrel writes
//! the same bytes:
//!
//! ```text
//! frame + 0     return address: the library's `sa_restorer`, which makes
//!               the `rt_sigreturn` system call
//! frame + 8     ucontext: flags, link, the alternate stack (`stack_t`),
//!               the sigcontext (every general register, rip, rflags,
//!               segments, error code, trap number, old mask, cr2, and a
//!               pointer to the FPU state), the mask to restore
//! frame + 312   siginfo (128 bytes): signal, code, and who or where
//! frame + 440   (end)
//! ...           the FPU state (`fxsave`'s 512 bytes), 64-byte aligned,
//!               above the frame
//! ```
//!
//! The handler starts with `rsp` = frame (so it looks as if the restorer
//! had called it: `rsp + 8` is 16-byte aligned), `rdi` = signal, `rsi` =
//! &siginfo, `rdx` = &ucontext. When it returns, the restorer runs with
//! `rsp` = frame + 8 and calls `rt_sigreturn`, which reads the frame back
//! ([`parse`]) and checks what it is about to restore ([`check`]): the
//! program could have written anything there.
//!
//! This crate only computes bytes and addresses; the kernel copies them.
//! The layout is checked against `linux_raw_sys` and the C library's
//! `ucontext_t` in the tests.

#![no_std]
#![forbid(unsafe_code)]

mod check;
mod context;
mod info;
mod place;

pub use check::{Bad, Selectors, check, check_fpu};
pub use context::{Context, Registers, Restored, Stack, build, parse};
pub use info::{Detail, Info};
pub use place::{Placement, place};

/// The size of `struct rt_sigframe` (without the FPU state).
pub const FRAME_SIZE: usize = 440;
/// Where the ucontext starts in the frame.
pub const UCONTEXT: usize = 8;
/// Where the sigcontext (`uc_mcontext`) starts in the frame.
pub const SIGCONTEXT: usize = UCONTEXT + 40;
/// Where the saved mask (`uc_sigmask`) is in the frame.
pub const SIGMASK: usize = UCONTEXT + 296;
/// Where the siginfo starts in the frame.
pub const SIGINFO: usize = UCONTEXT + 304;
/// The size of a siginfo.
pub const SIGINFO_SIZE: usize = 128;
/// The FPU state: the 512 bytes of `fxsave`.
pub const FPU_SIZE: usize = 512;
/// How the FPU state is aligned (Linux aligns it to 64 bytes).
pub const FPU_ALIGN: u64 = 64;
/// Bytes below a function's `rsp` that it may use (the red zone), skipped.
pub const RED_ZONE: u64 = 128;

/// `uc_flags`: the frame saves SS, and rt_sigreturn restores it strictly.
pub const UC_FLAGS: u64 = 0x2 | 0x4;
