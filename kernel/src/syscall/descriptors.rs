//! Copying descriptors and their flags: `dup`, `dup2`, `dup3`, `fcntl`.
//!
//! A descriptor is a number standing for an open file (`process::files`);
//! a copy is another number for the *same* open file, sharing its position
//! and status flags, with its own close-on-exec flag (`FD_CLOEXEC`). That is
//! how a shell redirects: `dup2(pipe_write_end, 1)` makes standard output
//! the pipe, and closing the original leaves the copy working.
//!
//! | call | does | errors (as Linux) |
//! |---|---|---|
//! | `dup(old)` | lowest free number | `EBADF`, `EMFILE` |
//! | `dup2(old, new)` | `new`, closing what it was; `old == new` does nothing | `EBADF` (`new` out of range too) |
//! | `dup3(old, new, O_CLOEXEC)` | `dup2` with the flag | `EINVAL` for `old == new` or other flags |
//! | `fcntl(F_DUPFD[_CLOEXEC], min)` | lowest free number ≥ `min` | `EINVAL` for `min` ≥ the limit, `EMFILE` |
//! | `fcntl(F_GETFD / F_SETFD)` | the descriptor's `FD_CLOEXEC` | `EBADF` |
//! | `fcntl(F_GETFL / F_SETFL)` | the open file's access mode and status flags | `EBADF` |
//!
//! `F_SETFL` may change `O_APPEND`, `O_NONBLOCK`, `O_ASYNC`, `O_DIRECT` and
//! `O_NOATIME` and ignores other bits, as Linux; `O_APPEND` and
//! `O_NONBLOCK` are kept, in the open file (so shared with its copies),
//! and reported by `F_GETFL`, for every kind of file (the others are
//! ignored). `O_NONBLOCK` makes a pipe's or the console's read that would
//! wait `EAGAIN`. Other commands are `-EINVAL`.

use super::{Args, Errno};
use crate::fs::file::OpenFile;
use crate::process::files;
use linux_raw_sys::errno::EINVAL;
use linux_raw_sys::general::{
    F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, O_ACCMODE, O_APPEND,
    O_CLOEXEC, O_DIRECT, O_NOATIME, O_NONBLOCK, O_SYNC,
};

/// `dup(old)`.
pub fn dup(args: &Args) -> Result<u64, Errno> {
    let file = files::get(args[0]).map_err(Errno)?;
    Ok(files::insert_from(0, file, false).map_err(Errno)? as u64)
}

/// `dup2(old, new)`.
pub fn dup2(args: &Args) -> Result<u64, Errno> {
    let [old, new, ..] = *args;
    let file = files::get(old).map_err(Errno)?;
    if old == new {
        return Ok(new);
    }
    files::replace(new, file, false).map_err(Errno)?;
    Ok(new)
}

/// `dup3(old, new, flags)`.
pub fn dup3(args: &Args) -> Result<u64, Errno> {
    let [old, new, flags, ..] = *args;
    if old == new || flags & !u64::from(O_CLOEXEC) != 0 {
        return Err(Errno(EINVAL));
    }
    let file = files::get(old).map_err(Errno)?;
    files::replace(new, file, flags != 0).map_err(Errno)?;
    Ok(new)
}

/// `fcntl(fd, cmd, arg)`.
pub fn fcntl(args: &Args) -> Result<u64, Errno> {
    let [fd, cmd, arg, ..] = *args;
    let file = files::get(fd).map_err(Errno)?;
    match cmd as u32 {
        F_DUPFD => Ok(files::insert_from(arg, file, false).map_err(Errno)? as u64),
        F_DUPFD_CLOEXEC => Ok(files::insert_from(arg, file, true).map_err(Errno)? as u64),
        F_GETFD => Ok(if files::close_on_exec(fd).map_err(Errno)? {
            u64::from(FD_CLOEXEC)
        } else {
            0
        }),
        F_SETFD => {
            let on = arg & u64::from(FD_CLOEXEC) != 0;
            files::set_close_on_exec(fd, on).map_err(Errno)?;
            Ok(0)
        }
        F_GETFL => Ok(u64::from(status_flags(&file))),
        F_SETFL => {
            file.set_status_flags(arg as u32);
            Ok(0)
        }
        _ => Err(Errno(EINVAL)),
    }
}

/// The access mode and status flags of an open file (`F_GETFL`): not the
/// creation flags, which `open` used up.
fn status_flags(file: &OpenFile) -> u32 {
    file.status_flags() & KEPT_BY_OPEN
}

/// The `open` flags that `F_GETFL` reports.
const KEPT_BY_OPEN: u32 = O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | O_SYNC;
