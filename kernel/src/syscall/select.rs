//! `select` and `pselect6`: `poll` with bitmaps.
//!
//! The program passes `nfds` and up to three sets of descriptors, bitmaps of
//! `nfds` bits (in 64-bit words): those to watch for reading, for writing,
//! and for "exceptional conditions". Each descriptor in some set becomes a
//! `struct pollfd` for `poll.rs`, which does the looking and the sleeping;
//! the answer goes back into the same sets, as Linux maps it:
//!
//! | set | the bit stays if `poll` found |
//! |---|---|
//! | read | `POLLIN`, `POLLHUP` or `POLLERR` |
//! | write | `POLLOUT` or `POLLERR` |
//! | except | `POLLPRI` (nothing we have raises it) |
//!
//! The result is the number of bits left set. A descriptor in a set that is
//! not open is `-EBADF`, a negative `nfds` or timeout `-EINVAL` (microseconds
//! past a second carry over, as on Linux); `nfds` above
//! the most files a process may have is cut down to that. The timeout is a
//! `timeval` for `select`, a `timespec` for `pselect6` (NULL: none), and the
//! time left is written back into it, as Linux does, also when a signal
//! interrupts the wait (`EINTR` if a handler runs, even with `SA_RESTART`;
//! else the call starts again, with the time that was left). `pselect6`
//! waits with the signal mask it is given (`wait_mask.rs`).

use super::poll::{check, sleep_until_ready};
use super::{Args, Errno, time, user_memory, wait_mask};
use crate::process::files;
use alloc::vec;
use alloc::vec::Vec;
use linux_raw_sys::errno::{EBADF, EINVAL};
use linux_raw_sys::general::{POLLERR, POLLHUP, POLLIN, POLLOUT, POLLPRI};

const NS_PER_US: u64 = 1_000;
const NS_PER_S: u64 = 1_000_000_000;
/// Bytes of a bitmap with a bit for every descriptor a process may have.
const MAP_BYTES: usize = files::MAX_FILES / 8;
/// Which set a bit is about, and the `poll` event it asks for.
const SETS: [u32; 3] = [POLLIN, POLLOUT, POLLPRI];

/// `select(nfds, readfds, writefds, exceptfds, timeout)`.
pub fn select(args: &Args) -> Result<u64, Errno> {
    let [nfds, read, write, except, timeout, ..] = *args;
    let deadline = match timeout {
        0 => None,
        address => Some(crate::time::now_ns().saturating_add(read_timeval(address)?)),
    };
    let result = run(nfds, [read, write, except], deadline);
    if let Some(deadline) = deadline {
        let left = deadline.saturating_sub(crate::time::now_ns());
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&(left / NS_PER_S).to_le_bytes());
        out[8..].copy_from_slice(&(left % NS_PER_S / NS_PER_US).to_le_bytes());
        let _ = user_memory::copy_to_user(timeout, &out);
    }
    result
}

/// `pselect6(nfds, readfds, writefds, exceptfds, timeout, sigmask)`, where
/// `sigmask` points at `{ const sigset_t *set; size_t size; }` (or is
/// NULL): the wait runs with `*set` as the thread's mask (`wait_mask.rs`).
pub fn pselect6(args: &Args) -> Result<u64, Errno> {
    let [nfds, read, write, except, timeout, mask] = *args;
    let deadline = match timeout {
        0 => None,
        address => Some(crate::time::now_ns().saturating_add(time::read_timespec(address)?)),
    };
    let mask = read_mask_argument(mask)?;
    let result = wait_mask::wait_with(mask, || run(nfds, [read, write, except], deadline));
    if let Some(deadline) = deadline {
        time::write_time_left(timeout, deadline);
    }
    result
}

/// `pselect6`'s sixth argument: the mask it points at, if any.
fn read_mask_argument(address: u64) -> Result<Option<u64>, Errno> {
    if address == 0 {
        return Ok(None);
    }
    let mut pair = [0u8; 16];
    user_memory::copy_from_user(&mut pair, address)?;
    let set = u64::from_le_bytes(pair[..8].try_into().unwrap_or_default());
    let size = u64::from_le_bytes(pair[8..].try_into().unwrap_or_default());
    wait_mask::read(set, size)
}

/// A `struct timeval` at `address`, in nanoseconds.
fn read_timeval(address: u64) -> Result<u64, Errno> {
    let mut raw = [0u8; 16];
    user_memory::copy_from_user(&mut raw, address)?;
    let seconds = i64::from_le_bytes(raw[..8].try_into().unwrap_or_default());
    let micros = i64::from_le_bytes(raw[8..].try_into().unwrap_or_default());
    // Linux carries whole seconds out of the microseconds.
    if seconds < 0 || micros < 0 {
        return Err(Errno(EINVAL));
    }
    Ok((seconds as u64)
        .saturating_mul(NS_PER_S)
        .saturating_add((micros as u64).saturating_mul(NS_PER_US)))
}

/// Waits on the sets at `sets` (0: no such set); the bits left set.
fn run(nfds: u64, sets: [u64; 3], deadline: Option<u64>) -> Result<u64, Errno> {
    let nfds = i32::try_from(nfds as i64).map_err(|_| Errno(EINVAL))?;
    if nfds < 0 {
        return Err(Errno(EINVAL));
    }
    let count = (nfds as usize).min(files::MAX_FILES);
    let bytes = count.div_ceil(64) * 8;
    let mut bitmaps = [vec![0u8; bytes], vec![0u8; bytes], vec![0u8; bytes]];
    for (bitmap, &address) in bitmaps.iter_mut().zip(&sets) {
        if address != 0 {
            user_memory::copy_from_user(bitmap, address)?;
        }
    }
    let mut entries = entries(&bitmaps, count)?;
    let ready = sleep_until_ready(&mut entries, deadline, |entries| {
        check(entries);
        answer(entries).iter().map(|b| count_bits(b)).sum()
    })?;
    for (answer, &address) in answer(&entries).iter().zip(&sets) {
        if address != 0 {
            user_memory::copy_to_user(address, &answer[..bytes])?;
        }
    }
    Ok(ready)
}

/// One `struct pollfd` per descriptor in some set (`EBADF` if one is not open).
fn entries(bitmaps: &[Vec<u8>; 3], count: usize) -> Result<Vec<u8>, Errno> {
    let mut entries = Vec::new();
    for fd in 0..count {
        let mut events = 0u16;
        for (bitmap, event) in bitmaps.iter().zip(SETS) {
            if bitmap[fd / 8] & (1 << (fd % 8)) != 0 {
                events |= event as u16;
            }
        }
        if events == 0 {
            continue;
        }
        files::get(fd as u64).map_err(|_| Errno(EBADF))?;
        entries.extend_from_slice(&(fd as i32).to_le_bytes());
        entries.extend_from_slice(&events.to_le_bytes());
        entries.extend_from_slice(&0u16.to_le_bytes());
    }
    Ok(entries)
}

/// The three result bitmaps (room for every descriptor) for checked entries.
fn answer(entries: &[u8]) -> [Vec<u8>; 3] {
    let mut out = [
        vec![0u8; MAP_BYTES],
        vec![0u8; MAP_BYTES],
        vec![0u8; MAP_BYTES],
    ];
    for entry in entries.chunks_exact(8) {
        let fd = i32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]) as usize;
        let events = u32::from(u16::from_le_bytes([entry[4], entry[5]]));
        let revents = u32::from(u16::from_le_bytes([entry[6], entry[7]]));
        let found = [POLLIN | POLLHUP | POLLERR, POLLOUT | POLLERR, POLLPRI];
        for ((bitmap, asked), found) in out.iter_mut().zip(SETS).zip(found) {
            if events & asked != 0 && revents & found != 0 {
                bitmap[fd / 8] |= 1 << (fd % 8);
            }
        }
    }
    out
}

fn count_bits(bitmap: &[u8]) -> u64 {
    bitmap.iter().map(|b| u64::from(b.count_ones())).sum()
}
