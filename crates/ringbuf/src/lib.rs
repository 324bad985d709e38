//! A fixed-capacity first-in, first-out queue of bytes: a *ring buffer*.
//!
//! The bytes live in an array of `N` slots. `head` is the slot of the oldest byte
//! and `len` how many bytes are stored; the byte after slot `N - 1` goes in slot 0
//! again, so the stored bytes may wrap around the end of the array. Pushing and
//! popping move no data, only these two numbers, and never allocate: this is the
//! kind of queue an interrupt handler can fill.
//!
//! When the queue is full, a push does not overwrite old input: the new byte is
//! refused and counted in [`RingBuf::dropped`], so the reader can tell the user
//! that input was lost instead of losing it silently.
//!
//! The type is plain data; sharing it between an interrupt handler and the code it
//! interrupts is the kernel's business (see `kernel/src/input.rs`).
#![no_std]
#![forbid(unsafe_code)]

/// A queue of at most `N` bytes.
#[derive(Clone, Debug)]
pub struct RingBuf<const N: usize> {
    slots: [u8; N],
    head: usize,
    len: usize,
    dropped: u64,
}

impl<const N: usize> Default for RingBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> RingBuf<N> {
    /// An empty queue.
    pub const fn new() -> Self {
        RingBuf {
            slots: [0; N],
            head: 0,
            len: 0,
            dropped: 0,
        }
    }

    /// How many bytes fit.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// How many bytes are waiting.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_full(&self) -> bool {
        self.len == N
    }

    /// Appends `byte`; returns `false` (and counts the byte as dropped) if full.
    pub fn push(&mut self, byte: u8) -> bool {
        if self.is_full() {
            self.dropped += 1;
            return false;
        }
        let tail = (self.head + self.len) % N;
        self.slots[tail] = byte;
        self.len += 1;
        true
    }

    /// Removes and returns the oldest byte.
    pub fn pop(&mut self) -> Option<u8> {
        if self.is_empty() {
            return None;
        }
        let byte = self.slots[self.head];
        self.head = (self.head + 1) % N;
        self.len -= 1;
        Some(byte)
    }

    /// How many bytes were refused because the queue was full, since the last
    /// [`RingBuf::take_dropped`].
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Returns the dropped count and resets it to zero (to report it once).
    pub fn take_dropped(&mut self) -> u64 {
        core::mem::take(&mut self.dropped)
    }
}
