//! Resource limits: `prlimit64`, `getrlimit`, `setrlimit`.
//!
//! Linux gives each process a soft ("current") and a hard ("maximum") limit
//! per resource, `struct rlimit { rlim_cur, rlim_max }` (two u64s), which
//! programs read at start (glibc asks for the stack limit, busybox's shell
//! for `ulimit`). Kestrel's limits are fixed properties of the kernel, the
//! same for every process, soft = hard:
//!
//! | resource | limit |
//! |---|---|
//! | `RLIMIT_STACK` | the stack region, `process::memory::STACK_LIMIT` (8 MiB) |
//! | `RLIMIT_NOFILE` | the descriptor table's size, `MAX_FILES` (256) |
//! | `RLIMIT_NPROC` | the process table's size (64) |
//! | the others | `RLIM_INFINITY` (no limit) |
//!
//! Reading works for the caller (pid 0 or its own pid; another pid is
//! `ESRCH`); a resource number of 16 or more is `EINVAL`. Setting the limit
//! it already has succeeds; any other value is `EPERM`, since the limits
//! cannot change (a soft limit above the hard one is `EINVAL` first, as on
//! Linux).

use super::{Args, Errno, user_memory};
use linux_raw_sys::errno::{EINVAL, EPERM, ESRCH};
use linux_raw_sys::general::{RLIM_INFINITY, RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_STACK};

/// Linux's number of resources (`RLIM_NLIMITS`).
const RESOURCES: u64 = 16;

/// The (soft, hard) limit of `resource`.
fn limit(resource: u64) -> Result<(u64, u64), Errno> {
    if resource >= RESOURCES {
        return Err(Errno(EINVAL));
    }
    let value = match resource as u32 {
        RLIMIT_STACK => crate::process::memory::STACK_LIMIT,
        RLIMIT_NOFILE => crate::process::files::MAX_FILES as u64,
        RLIMIT_NPROC => crate::process::MAX_PROCESSES as u64,
        _ => RLIM_INFINITY as u64,
    };
    Ok((value, value))
}

/// `prlimit64(pid, resource, new_limit, old_limit)`.
pub fn prlimit64(args: &Args) -> Result<u64, Errno> {
    let [pid, resource, new, old, ..] = *args;
    let me = crate::process::current_pid().map_or(0, |p| u64::from(p.0));
    if pid != 0 && pid != me {
        return Err(Errno(ESRCH));
    }
    exchange(resource, new, old)
}

/// `getrlimit(resource, rlim)`.
pub fn getrlimit(args: &Args) -> Result<u64, Errno> {
    exchange(args[0], 0, args[1])
}

/// `setrlimit(resource, rlim)`.
pub fn setrlimit(args: &Args) -> Result<u64, Errno> {
    exchange(args[0], args[1], 0)
}

/// Checks the limit at `new` (unless NULL), then writes the current one
/// to `old` (unless NULL).
fn exchange(resource: u64, new: u64, old: u64) -> Result<u64, Errno> {
    let (soft, hard) = limit(resource)?;
    if new != 0 {
        let mut bytes = [0u8; 16];
        user_memory::copy_from_user(&mut bytes, new)?;
        let wanted_soft = u64::from_le_bytes(bytes[..8].try_into().unwrap_or_default());
        let wanted_hard = u64::from_le_bytes(bytes[8..].try_into().unwrap_or_default());
        if wanted_soft > wanted_hard {
            return Err(Errno(EINVAL));
        }
        if (wanted_soft, wanted_hard) != (soft, hard) {
            return Err(Errno(EPERM));
        }
    }
    if old != 0 {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&soft.to_le_bytes());
        bytes[8..].copy_from_slice(&hard.to_le_bytes());
        user_memory::copy_to_user(old, &bytes)?;
    }
    Ok(0)
}
