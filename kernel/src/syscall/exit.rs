//! Ending a program: `exit` and `exit_group`.
//!
//! `exit` ends the calling thread; `exit_group` ends the whole process,
//! every thread (see `process::threads`). A process ends with its last
//! thread: its memory is freed and it becomes a zombie with the status.

use super::{Args, Errno};

/// `exit(status)`: only the low 8 bits count, as on Linux.
pub fn exit(args: &Args) -> Result<u64, Errno> {
    crate::process::exit(args[0] as u8)
}

/// `exit_group(status)`.
pub fn exit_group(args: &Args) -> Result<u64, Errno> {
    crate::process::exit_group(args[0] as u8)
}
