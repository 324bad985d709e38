//! Signal system calls: `rt_sigreturn`, `rt_sigpending`, `rt_sigsuspend`,
//! `pause`, `tkill` and `tgkill` (`kill` is in `process.rs`, the set-up
//! calls in `setup.rs`).
//!
//! `rt_sigreturn` is how a handler gets back: the C library's restorer
//! calls it with `rsp` just above the signal frame's return address. It
//! reads the frame, checks everything it would restore (`sigframe::check`:
//! a forged frame may hold a non-canonical RIP, kernel segments or
//! privileged flags), and restores registers, mask and FPU state. Any bad
//! frame, or one it cannot read, ends the process with SIGSEGV; the kernel
//! never faults on it. The way back is `iretq`, so `rcx` and `r11` come
//! back too.

use super::{Args, Errno, user_memory, wait_mask};
use crate::arch::entry::InterruptFrame;
use crate::arch::syscall::{self as arch_syscall, USER_CODE, USER_DATA};
use crate::arch::user_state::{self, FxArea};
use crate::process::signal::{self, KillError};
use crate::process::{self, Pid, deliver};
use linux_raw_sys::errno;

/// The size of a signal set (64 signals).
const SIGSET_SIZE: u64 = 8;

/// `rt_sigreturn()`: see the module docs. Returns the restored `rax`.
pub fn rt_sigreturn(frame: &mut InterruptFrame) -> Result<u64, Errno> {
    let at = frame.rsp.wrapping_sub(8);
    let mut bytes = [0u8; sigframe::FRAME_SIZE];
    if user_memory::copy_from_user(&mut bytes, at).is_err() {
        deliver::force_segv(
            frame,
            format_args!("rt_sigreturn: no readable frame at {at:#x}"),
        );
        return Ok(0);
    }
    let restored = sigframe::parse(&bytes);
    let user = sigframe::Selectors {
        code: USER_CODE as u16,
        data: USER_DATA as u16,
    };
    let registers = match sigframe::check(&restored, user) {
        Ok(registers) => registers,
        Err(bad) => {
            deliver::force_segv(
                frame,
                format_args!("rt_sigreturn: bad frame at {at:#x} ({bad:?})"),
            );
            return Ok(0);
        }
    };
    let mut fpu = user_state::clean_fpu();
    if restored.fpu != 0 {
        let readable = user_memory::copy_from_user(&mut fpu.0, restored.fpu).is_ok();
        if !readable || sigframe::check_fpu(restored.fpu, &fpu.0).is_err() {
            deliver::force_segv(
                frame,
                format_args!("rt_sigreturn: bad FPU state at {:#x}", restored.fpu),
            );
            return Ok(0);
        }
    }
    deliver::restore(frame, &registers, restored.mask, restored.stack);
    load(&fpu);
    arch_syscall::return_by_iret(frame);
    Ok(registers.rax)
}

/// Loads a checked FPU state.
fn load(fpu: &FxArea) {
    // SAFETY: `fpu` is a clean state or passed `sigframe::check_fpu`, so
    // its MXCSR has no reserved bit.
    unsafe { user_state::load_fpu(fpu) };
}

/// `rt_sigpending(set, size)`: the signals pending for the calling thread
/// (sent to its process or to it) that it blocks.
pub fn rt_sigpending(args: &Args) -> Result<u64, Errno> {
    let [set, size, ..] = *args;
    if size > SIGSET_SIZE {
        return Err(Errno(errno::EINVAL));
    }
    process::current_pid().ok_or(Errno::ENOSYS)?;
    let pending = signal::pending_for_me();
    let blocked = signal::blocked_by_me();
    let bytes = (pending & blocked).to_le_bytes();
    user_memory::copy_to_user(set, &bytes[..size as usize])?;
    Ok(0)
}

/// `rt_sigsuspend(mask, size)`: waits for a signal with `mask` blocked
/// instead; the old mask comes back after the handler (`wait_mask.rs`).
/// Always `EINTR`.
pub fn rt_sigsuspend(args: &Args) -> Result<u64, Errno> {
    let [mask, size, ..] = *args;
    if size != SIGSET_SIZE {
        return Err(Errno(errno::EINVAL));
    }
    let mask = wait_mask::read(mask, size)?.ok_or(Errno::EFAULT)?;
    wait_mask::wait_with(Some(mask), || {
        signal::wait_for_signal();
        Err(Errno::ERESTARTNOHAND)
    })
}

/// `pause()`: waits for a signal. Always `EINTR`.
pub fn pause(_: &Args) -> Result<u64, Errno> {
    signal::wait_for_signal();
    Err(Errno::ERESTARTNOHAND)
}

/// `tkill(tid, signal)`: to thread `tid` alone, of whichever process.
pub fn tkill(args: &Args) -> Result<u64, Errno> {
    let [tid, sig, ..] = *args;
    send_to_thread(None, tid, sig)
}

/// `tgkill(tgid, tid, signal)`: to thread `tid` of process `tgid` alone
/// (`ESRCH` if that process has no such thread).
pub fn tgkill(args: &Args) -> Result<u64, Errno> {
    let [tgid, tid, sig, ..] = *args;
    if tgid as i32 <= 0 {
        return Err(Errno(errno::EINVAL));
    }
    send_to_thread(Some(Pid(tgid as u32)), tid, sig)
}

fn send_to_thread(tgid: Option<Pid>, tid: u64, sig: u64) -> Result<u64, Errno> {
    let tid = tid as i32;
    let sig = u64::try_from(sig as i32).map_err(|_| Errno(errno::EINVAL))?;
    if tid <= 0 {
        return Err(Errno(errno::EINVAL));
    }
    signal::send_to_thread(tgid, tid as u32, sig, signal::SI_TKILL).map_err(|e| match e {
        KillError::NoProcess => Errno(errno::ESRCH),
        KillError::BadSignal => Errno(errno::EINVAL),
    })?;
    Ok(0)
}
