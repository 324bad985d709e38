//! Reading a NUL-terminated string (a path) from user memory.
//!
//! A path argument is a pointer to bytes ending in NUL. The kernel copies it
//! in one page piece at a time, so that it never reads past the page where
//! the string ends (the next page may well be unmapped, and that is fine).
//! A bad pointer is `-EFAULT`; no NUL within `max` bytes is `-ENAMETOOLONG`.

use super::{Errno, user_memory};
use alloc::vec::Vec;

const PAGE: u64 = 4096;

/// The bytes at `address` up to (without) the first NUL, at most `max - 1` of them.
pub fn copy_string_from_user(address: u64, max: usize) -> Result<Vec<u8>, Errno> {
    match copy_string_prefix_from_user(address, max)? {
        (bytes, true) => Ok(bytes),
        (_, false) => Err(Errno(linux_raw_sys::errno::ENAMETOOLONG)),
    }
}

/// The bytes at `address` up to (without) the first NUL, reading at most
/// `max` bytes, and whether a NUL ended them (else they are the first
/// `max` bytes of a longer string: callers that cut names short, like
/// `prctl(PR_SET_NAME)`, take them as they are).
pub fn copy_string_prefix_from_user(address: u64, max: usize) -> Result<(Vec<u8>, bool), Errno> {
    let mut out = Vec::new();
    let mut at = address;
    let mut piece = alloc::vec![0u8; PAGE as usize];
    while out.len() < max {
        let len = ((PAGE - at % PAGE) as usize).min(max - out.len());
        user_memory::copy_from_user(&mut piece[..len], at)?;
        if let Some(end) = piece[..len].iter().position(|&b| b == 0) {
            out.extend_from_slice(&piece[..end]);
            return Ok((out, true));
        }
        out.extend_from_slice(&piece[..len]);
        at = at.checked_add(len as u64).ok_or(Errno::EFAULT)?;
    }
    Ok((out, false))
}
