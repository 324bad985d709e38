//! `poll` and `ppoll`: waiting until descriptors are ready.
//!
//! The program passes an array of `struct pollfd { int fd; short events;
//! short revents; }` and a timeout. For each entry the kernel sets
//! `revents`: a negative fd is skipped (0), a closed one gets `POLLNVAL`,
//! the console is writable always and readable when input is waiting,
//! pipe ends say what `fs::pipe` says (`POLLIN`, `POLLOUT`, and `POLLHUP` or
//! `POLLERR` once the other side has closed, reported even if not asked
//! for), and ramdisk files and directories are always readable and writable
//! (as regular files are on Linux). If some entry has events, or the timeout
//! is 0, the call returns at once with the count of such entries;
//! otherwise it sleeps until something may have changed (a key typed, a
//! pipe written, read or closed: `fs::readiness` wakes it) and looks again,
//! until the timeout (in ms for `poll`, a `timespec` for `ppoll`, none if
//! negative or NULL) has passed, and then returns 0. It does not look while
//! nothing changes. More entries than a process may have files is
//! `-EINVAL`; a process killed meanwhile stops waiting (and ends). A signal
//! for the caller ends the wait: `EINTR` if a handler runs (even with
//! `SA_RESTART`, as on Linux), else the call starts again (`poll` to the
//! same deadline, through `restart_syscall`: `restart.rs`).

use super::{Args, Errno, restart, time, user_memory, wait_mask};
use crate::fs::readiness::{self, Registration};
use crate::process::signals::Resume;
use crate::process::{files, signal};
use alloc::vec;
use linux_raw_sys::errno::EINVAL;
use linux_raw_sys::general::{POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLRDNORM, POLLWRNORM};

/// `poll(fds, nfds, timeout_ms)`.
pub fn poll(args: &Args) -> Result<u64, Errno> {
    let [fds, count, timeout, ..] = *args;
    let timeout = timeout as i32;
    if timeout < 0 {
        return wait(fds, count, None);
    }
    let deadline = crate::time::now_ns().saturating_add(timeout as u64 * 1_000_000);
    wait_relative(fds, count, deadline)
}

/// `poll` with a timeout, now `deadline`: if a signal interrupts, it goes
/// on to the same deadline when restarted (`restart.rs`).
pub fn wait_relative(fds: u64, count: u64, deadline: u64) -> Result<u64, Errno> {
    wait(fds, count, Some(deadline)).map_err(|e| {
        if e != Errno::ERESTARTNOHAND {
            return e;
        }
        restart::later(Resume::Poll {
            fds,
            count,
            deadline,
        })
    })
}

/// `ppoll(fds, nfds, timeout, sigmask, sigsetsize)`: the wait runs with
/// `sigmask` as the thread's mask (`wait_mask.rs`); the time left is
/// written back into `timeout`, also when a signal interrupts.
pub fn ppoll(args: &Args) -> Result<u64, Errno> {
    let [fds, count, timeout, mask, mask_size, ..] = *args;
    let deadline = match timeout {
        0 => None,
        address => {
            let ns = time::read_timespec(address)?;
            Some(crate::time::now_ns().saturating_add(ns))
        }
    };
    let mask = wait_mask::read(mask, mask_size)?;
    let result = wait_mask::wait_with(mask, || wait(fds, count, deadline));
    if let Some(deadline) = deadline {
        time::write_time_left(timeout, deadline);
    }
    result
}

fn wait(fds: u64, count: u64, deadline: Option<u64>) -> Result<u64, Errno> {
    if count > files::MAX_FILES as u64 {
        return Err(Errno(EINVAL));
    }
    let mut entries = vec![0u8; count as usize * 8];
    user_memory::copy_from_user(&mut entries, fds)?;
    let ready = sleep_until_ready(&mut entries, deadline, check)?;
    user_memory::copy_to_user(fds, &entries)?;
    Ok(ready)
}

/// Sets the `revents` of `entries` (`struct pollfd`s) with `check` until it
/// counts something ready or the deadline passes, sleeping in between
/// until something changes (see the module docs); the last count.
pub(super) fn sleep_until_ready(
    entries: &mut [u8],
    deadline: Option<u64>,
    check: impl Fn(&mut [u8]) -> u64,
) -> Result<u64, Errno> {
    loop {
        let seen = readiness::count();
        let ready = check(entries);
        let now = crate::time::now_ns();
        if ready > 0 || deadline.is_some_and(|d| now >= d) {
            return Ok(ready);
        }
        let _woken_by_changes = Registration::register();
        signal::sleep_interruptible_if(deadline.unwrap_or(u64::MAX), || readiness::count() == seen)
            .map_err(|_| Errno::ERESTARTNOHAND)?;
    }
}

/// Sets each entry's `revents`; returns how many are nonzero.
pub(super) fn check(entries: &mut [u8]) -> u64 {
    let mut ready = 0;
    for entry in entries.chunks_exact_mut(8) {
        let fd = i32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
        let events = u32::from(u16::from_le_bytes([entry[4], entry[5]]));
        let revents = if fd < 0 {
            0
        } else {
            match files::get(fd as u64) {
                Err(_) => POLLNVAL,
                Ok(file) => {
                    let possible = if let Some(end) = file.as_pipe() {
                        end.poll_events()
                    } else if file.is_console() {
                        let input = if super::console::input_ready() {
                            POLLIN | POLLRDNORM
                        } else {
                            0
                        };
                        input | POLLOUT | POLLWRNORM
                    } else {
                        POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM
                    };
                    possible & (events | POLLERR | POLLHUP)
                }
            }
        };
        entry[6..8].copy_from_slice(&(revents as u16).to_le_bytes());
        if revents != 0 {
            ready += 1;
        }
    }
    ready
}
