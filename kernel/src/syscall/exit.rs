//! Ending a program: `exit` and `exit_group`.
//!
//! A process has one thread so far, so both end the process: its memory is
//! freed and its kernel thread ends with the status (`process::exit`).

use super::{Args, Errno};

/// `exit(status)` and `exit_group(status)`: only the low 8 bits count, as on Linux.
pub fn exit(args: &Args) -> Result<u64, Errno> {
    crate::process::exit(args[0] as u8)
}
