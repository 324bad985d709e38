//! `prctl`: a process asks the kernel to change one of its own settings.
//!
//! Linux's `prctl(option, arg2, arg3, arg4, arg5)` is a bag of unrelated
//! switches; Kestrel answers the ones below and gives `EINVAL` for every
//! other option, as Linux does for an option it does not know (subreapers,
//! `PR_SET_CHILD_SUBREAPER`, among them: orphans always go to init):
//! - `PR_SET_NAME` / `PR_GET_NAME`: the name that `ps` and
//!   `/proc/<pid>/stat` show, at most 15 bytes (Linux's `comm`). Kestrel
//!   keeps one name per process, so only a process's first thread may set
//!   it; another thread gets `EINVAL` (on Linux it would name itself).

use super::{Args, Errno, user_memory, user_string};
use crate::process;
use linux_raw_sys::errno::EINVAL;
use linux_raw_sys::prctl::{PR_GET_NAME, PR_SET_NAME};

/// The size of a name as `PR_GET_NAME` writes it and `PR_SET_NAME` reads
/// it: 15 bytes and a NUL.
const NAME_SIZE: usize = 16;

/// `prctl(option, arg2, ...)`.
pub fn prctl(args: &Args) -> Result<u64, Errno> {
    match u32::try_from(args[0]).map_err(|_| Errno(EINVAL))? {
        PR_SET_NAME => set_name(args[1]),
        PR_GET_NAME => get_name(args[1]),
        _ => Err(Errno(EINVAL)),
    }
}

/// Reads up to 15 bytes of name from `from` (Linux stops at a NUL or
/// after 15 bytes; the rest of a longer string is cut off).
fn set_name(from: u64) -> Result<u64, Errno> {
    if !is_first_thread() {
        return Err(Errno(EINVAL));
    }
    let (name, _) = user_string::copy_string_prefix_from_user(from, NAME_SIZE - 1)?;
    let name = core::str::from_utf8(&name).map_err(|_| Errno(EINVAL))?;
    process::rename(name);
    Ok(0)
}

/// Writes the name, NUL-padded to 16 bytes, at `to`.
fn get_name(to: u64) -> Result<u64, Errno> {
    let name = process::current_name().ok_or(Errno(EINVAL))?;
    let mut out = [0u8; NAME_SIZE];
    let len = name.len().min(NAME_SIZE - 1);
    out[..len].copy_from_slice(&name.as_bytes()[..len]);
    user_memory::copy_to_user(to, &out)?;
    Ok(0)
}

/// Whether the caller is its process's first thread (whose tid is the pid).
fn is_first_thread() -> bool {
    process::current_tid() == process::current_pid().map(|pid| pid.0)
}
