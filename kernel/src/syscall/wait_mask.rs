//! Waiting with another signal mask: `rt_sigsuspend`, `ppoll`, `pselect6`.
//!
//! These calls take a mask that replaces the calling thread's own for the
//! time of the wait, in one step, so a program can unblock a signal and
//! sleep without a gap in which the signal could come and be missed.
//!
//! - The wait ends without a signal (a descriptor is ready, the time is
//!   up, an error): the thread's own mask is back before the call returns.
//!   A signal that only the wait's mask let through stays pending.
//! - A signal interrupts the wait (`ERESTARTNOHAND`): the own mask waits in
//!   `ThreadSignals::saved_mask`. If a handler runs, it runs with the
//!   wait's mask (plus its own `sa_mask`), and the own mask is what its
//!   signal frame holds, so `rt_sigreturn` puts it back; otherwise the way
//!   back to ring 3 puts it back (`process::deliver`).

use super::{Errno, user_memory};
use crate::process::{self, signals};
use linux_raw_sys::errno::EINVAL;

/// The size of a signal set (64 signals).
const SIGSET_SIZE: u64 = 8;

/// The mask at `address` (a `sigset_t` of `size` bytes), or `None` for
/// NULL (the wait keeps the thread's mask). A size other than 8: `EINVAL`.
pub fn read(address: u64, size: u64) -> Result<Option<u64>, Errno> {
    if address == 0 {
        return Ok(None);
    }
    if size != SIGSET_SIZE {
        return Err(Errno(EINVAL));
    }
    let mut bytes = [0u8; 8];
    user_memory::copy_from_user(&mut bytes, address)?;
    Ok(Some(u64::from_le_bytes(bytes)))
}

/// Runs `wait` with `mask` (if any) as the calling thread's mask, as the
/// module docs say.
pub fn wait_with(
    mask: Option<u64>,
    wait: impl FnOnce() -> Result<u64, Errno>,
) -> Result<u64, Errno> {
    let Some(mask) = mask else {
        return wait();
    };
    process::with_own_signals(|t| {
        t.saved_mask = Some(t.blocked);
        t.blocked = mask & !signals::UNCATCHABLE;
    });
    let result = wait();
    let interrupted = matches!(result, Err(e) if e == Errno::ERESTARTNOHAND);
    if !interrupted {
        process::with_own_signals(|t| {
            if let Some(own) = t.saved_mask.take() {
                t.blocked = own;
            }
        });
    }
    result
}
