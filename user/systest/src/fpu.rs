//! The FPU/SSE state across `fork`: the child starts with its parent's
//! registers (an `xmm` register, and MXCSR's rounding mode), as on Linux.
//!
//! The register and the `fork` are in one `asm!` block, so no compiled code
//! runs between setting the register and the system call, nor between the
//! call and reading it back. The child reports what it saw through its
//! exit status.

use crate::check::Checker;
use crate::raw::{NULL, mut_ptr, sys};
use libc::{SYS_exit_group, SYS_fork, SYS_wait4};
use std::arch::asm;

/// MXCSR with every exception masked and rounding toward zero (RC = 11),
/// not the default 0x1f80 (round to nearest) that a clean state has.
const MXCSR_TOWARD_ZERO: u32 = 0x7f80;
/// What the parent leaves in `xmm7` across the fork.
const PATTERN: u64 = 0x0123_4567_89ab_cdef;

fn mxcsr() -> u32 {
    let mut value = 0u32;
    // SAFETY: `stmxcsr` stores the 4 bytes of MXCSR at the given address.
    unsafe { asm!("stmxcsr [{}]", in(reg) &raw mut value, options(nostack)) };
    value
}

fn set_mxcsr(value: u32) {
    // SAFETY: `value` has no reserved bit set (the callers pass 0x1f80-style
    // values), so `ldmxcsr` cannot fault; it changes only how SSE rounds.
    unsafe { asm!("ldmxcsr [{}]", in(reg) &raw const value, options(nostack)) };
}

/// Forks with `PATTERN` in `xmm7`; the result (pid, 0 in the child, or a
/// negative errno) and what `xmm7` held right after the call.
fn fork_with_xmm7() -> (i64, u64) {
    let result: i64;
    let seen: u64;
    // SAFETY: a plain `fork` system call; `rcx` and `r11` are clobbered by
    // `syscall`, `xmm7` by us, and both sides go on with their own copy of
    // this stack frame.
    unsafe {
        asm!(
            "movq xmm7, {pattern}",
            "syscall",
            "movq {seen}, xmm7",
            pattern = in(reg) PATTERN,
            seen = lateout(reg) seen,
            inlateout("rax") SYS_fork => result,
            out("rcx") _,
            out("r11") _,
            out("xmm7") _,
            options(nostack),
        )
    };
    (result, seen)
}

pub fn checks(c: &mut Checker) {
    let before = mxcsr();
    set_mxcsr(MXCSR_TOWARD_ZERO);
    let (pid, seen) = fork_with_xmm7();
    if pid == 0 {
        // The child: bit 0 for xmm7, bit 1 for MXCSR.
        let code = u64::from(seen != PATTERN) | u64::from(mxcsr() != MXCSR_TOWARD_ZERO) << 1;
        let _ = sys(SYS_exit_group, &[code]);
        unreachable!("exit_group returned");
    }
    let parent_mxcsr = mxcsr();
    set_mxcsr(before);
    c.check("fork", pid > 0, pid);
    if pid <= 0 {
        return;
    }
    c.equal("parent's xmm7 after fork", seen, PATTERN);
    c.equal("parent's MXCSR after fork", parent_mxcsr, MXCSR_TOWARD_ZERO);
    let mut status = 0i32;
    let waited = sys(SYS_wait4, &[pid as u64, mut_ptr(&mut status), 0, NULL]);
    c.equal("wait4 for the child", waited, Ok(pid));
    let code = libc::WEXITSTATUS(status);
    c.check("child's xmm7 is its parent's", code & 1 == 0, status);
    c.check("child's MXCSR is its parent's", code & 2 == 0, status);
}
