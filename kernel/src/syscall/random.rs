//! `getrandom(buf, len, flags)`: random bytes (see `crate::random` for
//! where they come from).
//!
//! The flags `GRND_NONBLOCK`, `GRND_RANDOM` and `GRND_INSECURE` are accepted
//! (the source never blocks); any other bit, or `GRND_RANDOM` with
//! `GRND_INSECURE`, is `-EINVAL`, as on Linux.

use super::{Args, Errno, user_memory};
use linux_raw_sys::errno::EINVAL;
use linux_raw_sys::general::{GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM};

/// Bytes made per step.
const CHUNK: usize = 256;

pub fn getrandom(args: &Args) -> Result<u64, Errno> {
    let [buf, len, flags, ..] = *args;
    let known = u64::from(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE);
    let both = u64::from(GRND_RANDOM | GRND_INSECURE);
    if flags & !known != 0 || flags & both == both {
        return Err(Errno(EINVAL));
    }
    // Linux hands out at most this much per call.
    let len = len.min(i32::MAX as u64 >> 6 << 6);
    user_memory::check_range(buf, len)?;
    let mut chunk = [0u8; CHUNK];
    let mut done = 0;
    while done < len {
        let piece = ((len - done) as usize).min(CHUNK);
        crate::random::fill(&mut chunk[..piece]);
        match user_memory::copy_to_user(buf + done, &chunk[..piece]) {
            Ok(()) => done += piece as u64,
            Err(_) if done > 0 => break,
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
