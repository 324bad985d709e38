//! Input and output system calls: `write` to the console.
//!
//! File descriptors 1 (standard output) and 2 (standard error) are the
//! console; there are no files yet, so every other descriptor is `-EBADF`.

use super::{Args, Errno, user_memory};

/// Bytes copied from the program per step (a kernel stack buffer).
const CHUNK: usize = 256;

/// `write(fd, buf, count)`: prints `count` bytes from `buf` and returns `count`.
pub fn write(args: &Args) -> Result<u64, Errno> {
    let [fd, buf, count, ..] = *args;
    if fd != 1 && fd != 2 {
        return Err(Errno::EBADF);
    }
    // A range outside the user half prints nothing.
    user_memory::check_range(buf, count)?;
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
