//! `poll` and `ppoll`: waiting until descriptors are ready.
//!
//! The program passes an array of `struct pollfd { int fd; short events;
//! short revents; }` and a timeout. For each entry the kernel sets
//! `revents`: a negative fd is skipped (0), a closed one gets `POLLNVAL`,
//! the console is writable always and readable when input is waiting, and
//! ramdisk files and directories are always readable and writable (as
//! regular files are on Linux). If some entry has events, or the timeout
//! is 0, the call returns at once with the count of such entries;
//! otherwise it sleeps and looks again, until the timeout (in ms for
//! `poll`, a `timespec` for `ppoll`, none if negative or NULL) has passed,
//! and then returns 0. More entries than a process may have files is
//! `-EINVAL`. (It looks again every 10 ms: input does not wake it yet.)

use super::{Args, Errno, time, user_memory};
use crate::process::files;
use crate::tasks::thread;
use alloc::vec;
use linux_raw_sys::errno::EINVAL;
use linux_raw_sys::general::{POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLRDNORM, POLLWRNORM};

/// How often a waiting `poll` looks again.
const RECHECK_NS: u64 = 10_000_000;

/// `poll(fds, nfds, timeout_ms)`.
pub fn poll(args: &Args) -> Result<u64, Errno> {
    let [fds, count, timeout, ..] = *args;
    let timeout = timeout as i32;
    let deadline =
        (timeout >= 0).then(|| crate::time::now_ns().saturating_add(timeout as u64 * 1_000_000));
    wait(fds, count, deadline)
}

/// `ppoll(fds, nfds, timeout, sigmask, sigsetsize)`; the signal mask is ignored
/// (signals are not delivered yet).
pub fn ppoll(args: &Args) -> Result<u64, Errno> {
    let [fds, count, timeout, ..] = *args;
    let deadline = match timeout {
        0 => None,
        address => {
            let ns = time::read_timespec(address)?;
            Some(crate::time::now_ns().saturating_add(ns))
        }
    };
    wait(fds, count, deadline)
}

fn wait(fds: u64, count: u64, deadline: Option<u64>) -> Result<u64, Errno> {
    if count > files::MAX_FILES as u64 {
        return Err(Errno(EINVAL));
    }
    let mut entries = vec![0u8; count as usize * 8];
    user_memory::copy_from_user(&mut entries, fds)?;
    loop {
        let ready = check(&mut entries);
        let now = crate::time::now_ns();
        if ready > 0 || deadline.is_some_and(|d| now >= d) {
            user_memory::copy_to_user(fds, &entries)?;
            return Ok(ready);
        }
        if crate::process::signal::interrupted() {
            return Err(Errno::ERESTARTNOHAND);
        }
        let next = now + RECHECK_NS;
        thread::sleep_until(deadline.map_or(next, |d| d.min(next)));
    }
}

/// Sets each entry's `revents`; returns how many are nonzero.
fn check(entries: &mut [u8]) -> u64 {
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
                    let possible = if file.is_console() {
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
