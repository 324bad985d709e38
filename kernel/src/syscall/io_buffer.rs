//! The kernel buffers that file reads and writes pass through.
//!
//! `read` and `write` of a file move data between user memory and the file
//! system through a kernel buffer of up to 64 KiB (user memory is reached
//! only by the checked copies of `user_memory`). A fresh `vec![0; 64 KiB]`
//! per call would be zeroed every time: a whole pass over the data, as
//! costly as a copy. So buffers of the full size are kept in a small pool
//! and lent out again; only a new one is zeroed.
//!
//! A lent buffer still holds the bytes of its last use. That is safe because
//! every caller copies out only what it filled in this call (a read: the
//! bytes the file system returned; a write: the bytes copied from the
//! program), never the rest.

use crate::sync::IrqMutex;
use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::ops::{Deref, DerefMut};

/// The size of a pooled buffer.
pub const SIZE: usize = 64 * 1024;
/// How many idle buffers are kept at most (256 KiB).
const KEPT: usize = 4;

static POOL: IrqMutex<Vec<Box<[u8]>>> = IrqMutex::new(Vec::new());

/// A buffer of `len` bytes (at most [`SIZE`]); back to the pool on drop.
pub struct IoBuffer {
    bytes: Box<[u8]>,
    len: usize,
}

/// Lends a buffer of `len` bytes (`len <= SIZE`); a small one is not pooled.
pub fn lend(len: usize) -> IoBuffer {
    assert!(len <= SIZE, "an I/O buffer is at most {SIZE} bytes");
    let pooled = if len > SIZE / 4 {
        POOL.lock().pop()
    } else {
        None
    };
    let bytes = pooled.unwrap_or_else(|| {
        let size = if len > SIZE / 4 { SIZE } else { len };
        vec![0u8; size].into_boxed_slice()
    });
    IoBuffer { bytes, len }
}

impl Deref for IoBuffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl DerefMut for IoBuffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[..self.len]
    }
}

impl Drop for IoBuffer {
    fn drop(&mut self) {
        // An empty boxed slice takes its place (no allocation).
        let bytes = core::mem::take(&mut self.bytes);
        if bytes.len() == SIZE {
            let mut pool = POOL.lock();
            if pool.len() < KEPT {
                pool.push(bytes);
                return;
            }
        }
        // Freed outside the lock.
        drop(bytes);
    }
}
