//! The signal set-up a program makes (at start-up, mostly):
//! `rt_sigaction`, recorded in the process (`process::signals`), and
//! `rt_sigprocmask` and `sigaltstack`, recorded for the calling thread
//! alone (`tasks/thread_signals.rs`); all answered as Linux would, and
//! delivery follows what they say (`process::deliver`).
//!
//! The user pointers are copied in before the process record is locked, and
//! the answers copied out after: a copy may have to fill in a page, which
//! needs the same record.

use super::{Args, Errno, user_memory};
use crate::arch::entry::InterruptFrame;
use crate::process::{self, signals};
use linux_raw_sys::errno;
use linux_raw_sys::general::{SS_AUTODISARM, SS_DISABLE, SS_ONSTACK};

const EINVAL: Errno = Errno(errno::EINVAL);
/// The size of a signal set (64 signals).
const SIGSET_SIZE: u64 = 8;
/// The smallest alternate stack Linux accepts (`MINSIGSTKSZ`).
const MIN_ALT_STACK: u64 = 2048;

/// Runs `f` on the calling process's signal record.
fn with_signals<R>(f: impl FnOnce(&mut signals::Signals) -> R) -> Result<R, Errno> {
    process::with_signals(f).ok_or(EINVAL)
}

/// Runs `f` on the calling thread's own signal state (mask, alternate stack).
fn with_own<R>(f: impl FnOnce(&mut signals::ThreadSignals) -> R) -> Result<R, Errno> {
    process::with_own_signals(f).ok_or(EINVAL)
}

/// `rt_sigaction(signal, new, old, set_size)`: records `new` (if given) as
/// the signal's action and returns the previous one in `old` (if given).
pub fn rt_sigaction(args: &Args) -> Result<u64, Errno> {
    let [signal, new, old, set_size, ..] = *args;
    if set_size != SIGSET_SIZE {
        return Err(EINVAL);
    }
    let mut bytes = [0u8; 32];
    if new != 0 {
        user_memory::copy_from_user(&mut bytes, new)?;
    }
    if !(1..=signals::COUNT as u64).contains(&signal)
        || (new != 0 && signals::UNCATCHABLE & 1 << (signal - 1) != 0)
    {
        return Err(EINVAL);
    }
    let previous = with_signals(|s| {
        let slot = &mut s.actions[signal as usize - 1];
        let previous = *slot;
        if new != 0 {
            let mut action = signals::Action::from_bytes(&bytes);
            action.mask &= !signals::UNCATCHABLE;
            *slot = action;
        }
        previous
    })?;
    if old != 0 {
        user_memory::copy_to_user(old, &previous.to_bytes())?;
    }
    Ok(0)
}

/// `rt_sigprocmask(how, new, old, set_size)`: blocks (`SIG_BLOCK` 0),
/// unblocks (`SIG_UNBLOCK` 1) or sets (`SIG_SETMASK` 2) the signals the
/// calling thread blocks (the other threads keep theirs) and returns the previous mask in `old`. SIGKILL and SIGSTOP stay unblocked.
pub fn rt_sigprocmask(args: &Args) -> Result<u64, Errno> {
    let [how, new, old, set_size, ..] = *args;
    if set_size != SIGSET_SIZE {
        return Err(EINVAL);
    }
    let mut change = None;
    if new != 0 {
        let mut bytes = [0u8; 8];
        user_memory::copy_from_user(&mut bytes, new)?;
        if how > 2 {
            return Err(EINVAL);
        }
        change = Some(u64::from_le_bytes(bytes) & !signals::UNCATCHABLE);
    }
    let previous = with_own(|s| {
        let previous = s.blocked;
        match (how, change) {
            (0, Some(set)) => s.blocked |= set,
            (1, Some(set)) => s.blocked &= !set,
            (2, Some(set)) => s.blocked = set,
            _ => {}
        }
        previous
    })?;
    if old != 0 {
        user_memory::copy_to_user(old, &previous.to_le_bytes())?;
    }
    Ok(0)
}

/// `sigaltstack(new, old)`: records the alternate signal stack and returns
/// the previous one (`SS_DISABLE` if there was none, `SS_ONSTACK` if the
/// caller runs on it). A handler running on it cannot change it (`EPERM`).
pub fn sigaltstack(frame: &mut InterruptFrame) -> Result<u64, Errno> {
    let [new, old] = [frame.rdi, frame.rsi];
    let on_it = process::deliver::on_alt_stack(frame.rsp);
    let mut asked = None;
    if new != 0 {
        let mut bytes = [0u8; 24];
        user_memory::copy_from_user(&mut bytes, new)?;
        let sp = u64::from_le_bytes(bytes[0..8].try_into().expect("8 bytes"));
        let flags = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        let size = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
        let mode = flags & !SS_AUTODISARM;
        let stack = match mode {
            SS_DISABLE => signals::AltStack::default(),
            0 | SS_ONSTACK if size < MIN_ALT_STACK => return Err(Errno(errno::ENOMEM)),
            0 | SS_ONSTACK => signals::AltStack {
                sp,
                size,
                autodisarm: flags & SS_AUTODISARM != 0,
            },
            _ => return Err(EINVAL),
        };
        if on_it {
            return Err(Errno(errno::EPERM));
        }
        asked = Some(stack);
    }
    let previous = with_own(|s| {
        let previous = s.alt_stack;
        if let Some(stack) = asked {
            s.alt_stack = stack;
        }
        previous
    })?;
    if old != 0 {
        let mut bytes = [0u8; 24];
        let mut flags = match (on_it, previous.size) {
            (true, _) => SS_ONSTACK,
            (false, 0) => SS_DISABLE,
            _ => 0,
        };
        if previous.autodisarm {
            flags |= SS_AUTODISARM;
        }
        bytes[0..8].copy_from_slice(&previous.sp.to_le_bytes());
        bytes[8..12].copy_from_slice(&flags.to_le_bytes());
        bytes[16..24].copy_from_slice(&previous.size.to_le_bytes());
        user_memory::copy_to_user(old, &bytes)?;
    }
    Ok(0)
}
