//! Pipes as system calls: `pipe`, `pipe2`, and reading and writing an end.
//!
//! `pipe2(fds, flags)` makes a pipe (`fs::pipe`) and puts its read end and
//! its write end on the two lowest free descriptors, written to `fds[0]` and
//! `fds[1]`; `pipe(fds)` is `pipe2(fds, 0)`. Flags: `O_CLOEXEC` (both
//! descriptors) and `O_NONBLOCK` (both ends); any other is `-EINVAL`
//! (Linux's packet mode, `O_DIRECT`, is not offered).
//!
//! `read` and `write` on an end come here (`io.rs`). Bytes go through a
//! kernel buffer, filled without being zeroed first (each copy is a pass
//! over up to 64 KiB under emulation; a zeroed buffer was one more): a read takes what is there (up to 64 KiB), waiting only
//! while the pipe is empty; a write copies in pieces of up to 64 KiB and
//! puts each in as room appears, so it returns once everything is in,
//! unless the readers are gone. As on Linux, that is `-EPIPE` (or the count
//! written before, if any) and SIGPIPE for the writing thread, recorded as pending
//! (`process::signal`); a nonblocking end gives `-EAGAIN` (or the count);
//! a user buffer that faults gives `-EFAULT` (or the count), and the bytes
//! a faulting read took are lost, as Linux loses them.

use super::{Args, Errno, user_memory};
use crate::fs::file::OpenFile;
use crate::fs::pipe::{PipeEnd, new_pipe};
use crate::process::{self, files, signal};
use crate::tasks::wait_queue::WaitQueue;
use alloc::vec::Vec;
use linux_raw_sys::errno::{EAGAIN, EBADF, EINVAL, EPIPE};
use linux_raw_sys::general::{O_CLOEXEC, O_NONBLOCK};
use pipe::CAPACITY;

/// SIGPIPE's number.
const SIGPIPE: u64 = 13;

/// `pipe(fds)`.
pub fn pipe(args: &Args) -> Result<u64, Errno> {
    make_pipe(args[0], 0)
}

/// `pipe2(fds, flags)`.
pub fn pipe2(args: &Args) -> Result<u64, Errno> {
    make_pipe(args[0], args[1])
}

fn make_pipe(fds: u64, flags: u64) -> Result<u64, Errno> {
    if flags & !u64::from(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(Errno(EINVAL));
    }
    // Check `fds` can be written before making anything.
    user_memory::copy_to_user(fds, &[0u8; 8])?;
    let close_on_exec = flags & u64::from(O_CLOEXEC) != 0;
    let (read_end, write_end) = new_pipe(flags & u64::from(O_NONBLOCK) != 0);
    let reader = files::insert(OpenFile::Pipe(read_end), close_on_exec).map_err(Errno)?;
    let writer = match files::insert(OpenFile::Pipe(write_end), close_on_exec) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = files::close(reader as u64);
            return Err(Errno(e));
        }
    };
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&(reader as u32).to_le_bytes());
    out[4..].copy_from_slice(&(writer as u32).to_le_bytes());
    if let Err(e) = user_memory::copy_to_user(fds, &out) {
        let _ = files::close(reader as u64);
        let _ = files::close(writer as u64);
        return Err(e);
    }
    Ok(0)
}

/// Reads up to `count` bytes from the pipe end into user memory at `buf`.
pub fn read(end: &PipeEnd, buf: u64, count: u64) -> Result<u64, Errno> {
    if end.writes() {
        return Err(Errno(EBADF));
    }
    if count == 0 {
        return Ok(0);
    }
    let most = (count as usize).min(CAPACITY);
    let mut chunk = Vec::with_capacity(most);
    let n = loop {
        if let Some(n) = end.try_read(&mut chunk, most) {
            break n;
        }
        wait(end, end.read_queue(), 0, 0)?;
    };
    user_memory::copy_to_user(buf, &chunk[..n])?;
    Ok(n as u64)
}

/// Waits until the pipe end need not wait any more (see `PipeEnd::must_wait`):
/// `EAGAIN` if nonblocking; `ERESTARTSYS` if a signal (or a kill) comes for
/// the process meanwhile (`EINTR` for the program, or a restart under
/// `SA_RESTART`: `process::deliver`).
fn wait(end: &PipeEnd, queue: &WaitQueue, total: usize, left: usize) -> Result<(), Errno> {
    if end.nonblocking() {
        return Err(Errno(EAGAIN));
    }
    signal::wait_interruptible(queue, || end.must_wait(total, left)).map_err(|_| Errno::ERESTARTSYS)
}

/// Writes `count` bytes from user memory at `buf` into the pipe end.
pub fn write(end: &PipeEnd, buf: u64, count: u64) -> Result<u64, Errno> {
    if !end.writes() {
        return Err(Errno(EBADF));
    }
    let total = count as usize;
    let mut chunk = Vec::with_capacity(total.min(CAPACITY));
    let mut done = 0;
    while done < total {
        let piece = (total - done).min(CAPACITY);
        chunk.clear();
        if let Err(e) = user_memory::append_from_user(&mut chunk, buf + done as u64, piece) {
            return if done > 0 { Ok(done as u64) } else { Err(e) };
        }
        let mut put = 0;
        while put < piece {
            let result = match end.try_write(total, &chunk[put..piece]) {
                Ok(Some(n)) => Ok(n),
                Ok(None) => wait(end, end.write_queue(), total, piece - put).map(|()| 0),
                Err(e) => Err(Errno(e)),
            };
            match result {
                Ok(n) => put += n,
                Err(e) => {
                    if e == Errno(EPIPE) {
                        raise_sigpipe();
                    }
                    let written = done + put;
                    return if written > 0 {
                        Ok(written as u64)
                    } else {
                        Err(e)
                    };
                }
            }
        }
        done += piece;
    }
    Ok(total as u64)
}

/// Records SIGPIPE as pending for the calling thread (as Linux, which
/// sends it to the thread that wrote, not to the whole process).
fn raise_sigpipe() {
    if let (Some(me), Some(tid)) = (process::current_pid(), process::current_tid()) {
        let _ = signal::send_to_thread(Some(me), tid, SIGPIPE, signal::SI_USER);
    }
}
