//! Input and output system calls: `read`, `write`, `readv`, `writev`.
//!
//! Each descriptor stands for an open file (`process::files`): the console
//! (fds 0-2 at the start), a file or directory of the VFS, a device, a
//! pipe end (`pipes.rs` reads and writes those). Reading the console waits
//! for a line (`console.rs`); reading a file copies from its position;
//! reading a directory is `-EISDIR`. Writing a file copies a chunk at a
//! time into it (`fs::file` checks the access: a file opened `O_RDONLY`
//! gives `-EBADF`, as on Linux).
//!
//! `readv`/`writev` take an array of `struct iovec { base, len }` and do the
//! same for each piece in turn, stopping at the first short one. As on
//! Linux: more than `UIO_MAXIOV` pieces, or lengths whose sum overflows a
//! signed 64-bit count, is `-EINVAL`; a piece outside the user half is
//! `-EFAULT`, before anything is done.

use super::{Args, Errno, console, io_buffer, pipes, user_memory};
use crate::fs::file::OpenFile;
use crate::process::files;
use alloc::vec;
use alloc::vec::Vec;
use linux_raw_sys::errno::EINVAL;
use linux_raw_sys::general::{SEEK_CUR, UIO_MAXIOV};

/// Bytes copied from the program per step (a kernel stack buffer).
const CHUNK: usize = 256;
/// Bytes read from or written to a file per step (a pooled kernel buffer,
/// `io_buffer`): 64 KiB, so that a large read or write reaches the file
/// system in pieces large enough for ext2 to map and move as runs of blocks,
/// one disk request each.
const FILE_CHUNK: usize = io_buffer::SIZE;

/// `read(fd, buf, count)`.
pub fn read(args: &Args) -> Result<u64, Errno> {
    let [fd, buf, count, ..] = *args;
    let file = files::get(fd).map_err(Errno)?;
    user_memory::check_range(buf, count)?;
    read_into(&file, buf, count)
}

/// `write(fd, buf, count)`.
pub fn write(args: &Args) -> Result<u64, Errno> {
    let [fd, buf, count, ..] = *args;
    let file = files::get(fd).map_err(Errno)?;
    user_memory::check_range(buf, count)?;
    write_from(&file, buf, count)
}

/// `readv(fd, iov, iovcnt)`.
pub fn readv(args: &Args) -> Result<u64, Errno> {
    let [fd, iov, count, ..] = *args;
    let file = files::get(fd).map_err(Errno)?;
    let mut done = 0;
    for (base, len) in io_vectors(iov, count)? {
        let n = match read_into(&file, base, len) {
            Ok(n) => n,
            Err(_) if done > 0 => return Ok(done),
            Err(e) => return Err(e),
        };
        done += n;
        // A console read ends with its line, even when the line filled
        // this piece exactly: the next piece must not wait for another.
        // Likewise a pipe read ends with the bytes the pipe had.
        let drained = match file.as_pipe() {
            Some(end) => end.waiting() == 0,
            None => file.is_console() && !console::line_pending(),
        };
        if n < len || drained {
            break;
        }
    }
    Ok(done)
}

/// `writev(fd, iov, iovcnt)`.
pub fn writev(args: &Args) -> Result<u64, Errno> {
    let [fd, iov, count, ..] = *args;
    let file = files::get(fd).map_err(Errno)?;
    let mut done = 0;
    for (base, len) in io_vectors(iov, count)? {
        let n = match write_from(&file, base, len) {
            Ok(n) => n,
            Err(_) if done > 0 => return Ok(done),
            Err(e) => return Err(e),
        };
        done += n;
        if n < len {
            break;
        }
    }
    Ok(done)
}

/// The `(base, len)` pieces of an iovec array, checked (see the module docs).
fn io_vectors(iov: u64, count: u64) -> Result<Vec<(u64, u64)>, Errno> {
    if count > u64::from(UIO_MAXIOV) {
        return Err(Errno(EINVAL));
    }
    let mut raw = vec![0u8; count as usize * 16];
    user_memory::copy_from_user(&mut raw, iov)?;
    let mut total: u64 = 0;
    let mut pieces = Vec::with_capacity(count as usize);
    for entry in raw.chunks_exact(16) {
        let base = u64::from_le_bytes(entry[..8].try_into().unwrap_or_default());
        let len = u64::from_le_bytes(entry[8..].try_into().unwrap_or_default());
        total = total.checked_add(len).ok_or(Errno(EINVAL))?;
        if total > i64::MAX as u64 {
            return Err(Errno(EINVAL));
        }
        user_memory::check_range(base, len)?;
        pieces.push((base, len));
    }
    Ok(pieces)
}

/// Reads up to `count` bytes of `file` into user memory at `buf`.
fn read_into(file: &OpenFile, buf: u64, count: u64) -> Result<u64, Errno> {
    if file.is_console() {
        return console::read(buf, count, file.nonblocking());
    }
    if let Some(end) = file.as_pipe() {
        return pipes::read(end, buf, count);
    }
    if count == 0 {
        // Still checked: a file not open for reading is `EBADF`.
        return file.read(&mut []).map(|_| 0).map_err(Errno);
    }
    let mut chunk = io_buffer::lend(FILE_CHUNK.min(count as usize));
    let mut done = 0;
    while done < count {
        let want = ((count - done) as usize).min(chunk.len());
        let n = file.read(&mut chunk[..want]).map_err(Errno)?;
        if n == 0 {
            break;
        }
        if let Err(e) = user_memory::copy_to_user(buf + done, &chunk[..n]) {
            // Nothing of this piece arrived: the position goes back.
            let _ = file.seek(-(n as i64), SEEK_CUR);
            return if done > 0 { Ok(done) } else { Err(e) };
        }
        done += n as u64;
    }
    Ok(done)
}

/// Writes `count` bytes from user memory at `buf` to `file`.
fn write_from(file: &OpenFile, buf: u64, count: u64) -> Result<u64, Errno> {
    if let Some(end) = file.as_pipe() {
        return pipes::write(end, buf, count);
    }
    if !file.is_console() {
        return write_file(file, buf, count);
    }
    let mut chunk = [0u8; CHUNK];
    let mut done = 0;
    while done < count {
        let piece = (count - done).min(CHUNK as u64) as usize;
        match user_memory::copy_from_user(&mut chunk[..piece], buf + done) {
            Ok(()) => {}
            // Like Linux: what was written before an unmapped page counts.
            Err(_) if done > 0 => return Ok(done),
            Err(e) => return Err(e),
        }
        crate::output::_print(format_args!("{}", Lossy(&chunk[..piece])));
        done += piece as u64;
    }
    Ok(count)
}

/// Writes `count` bytes from user memory at `buf` to a file or device, a
/// heap chunk at a time; what was written before an error counts.
fn write_file(file: &OpenFile, buf: u64, count: u64) -> Result<u64, Errno> {
    let mut chunk = io_buffer::lend(FILE_CHUNK.min(count as usize));
    let mut done = 0;
    while done < count {
        let piece = ((count - done) as usize).min(chunk.len());
        let written = user_memory::copy_from_user(&mut chunk[..piece], buf + done)
            .and_then(|()| file.write(&chunk[..piece]).map_err(Errno));
        match written {
            Ok(n) => done += n as u64,
            Err(_) if done > 0 => return Ok(done),
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Bytes shown as text; a byte that is not UTF-8 becomes U+FFFD.
struct Lossy<'a>(&'a [u8]);

impl core::fmt::Display for Lossy<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for piece in self.0.utf8_chunks() {
            f.write_str(piece.valid())?;
            if !piece.invalid().is_empty() {
                f.write_str("\u{fffd}")?;
            }
        }
        Ok(())
    }
}
