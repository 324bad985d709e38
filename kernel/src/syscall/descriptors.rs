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
//! `O_NOATIME` and ignores other bits, as Linux; a file's `O_APPEND` and
//! `O_NONBLOCK` and a pipe's `O_NONBLOCK` are kept and reported by
//! `F_GETFL` (the others are ignored, a device's flags stay those it was
//! opened with, and the console's reads always wait). Other
//! commands are `-EINVAL`.

use super::{Args, Errno};
use crate::fs::file::OpenFile;
use crate::process::files;
use linux_raw_sys::errno::EINVAL;
use linux_raw_sys::general::{
    F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, O_ACCMODE, O_APPEND,
    O_CLOEXEC, O_DIRECT, O_NOATIME, O_NONBLOCK, O_RDONLY, O_RDWR, O_SYNC, O_WRONLY,
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
            if let Some(end) = file.as_pipe() {
                end.set_nonblocking(arg & u64::from(O_NONBLOCK) != 0);
            }
            if let Some(node) = file.node() {
                node.set_status_flags(arg as u32);
            }
            Ok(0)
        }
        _ => Err(Errno(EINVAL)),
    }
}

/// The access mode and status flags of an open file (`F_GETFL`).
fn status_flags(file: &OpenFile) -> u32 {
    match file {
        OpenFile::Console { .. } => O_RDWR,
        OpenFile::Pipe(end) => {
            let access = if end.writes() { O_WRONLY } else { O_RDONLY };
            let nonblocking = if end.nonblocking() { O_NONBLOCK } else { 0 };
            access | nonblocking
        }
        // The access mode and status flags it was opened with (`O_APPEND`,
        // ...); not the creation flags, which `open` used up.
        OpenFile::Node(file) => file.flags() & KEPT_BY_OPEN,
        OpenFile::Device { flags, .. } => flags & KEPT_BY_OPEN,
    }
}

/// The `open` flags that `F_GETFL` reports.
const KEPT_BY_OPEN: u32 = O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | O_SYNC;
