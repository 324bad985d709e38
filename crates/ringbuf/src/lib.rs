//! A fixed-capacity first-in, first-out queue of bytes: a *ring buffer*.
//!
//! The bytes live in an array of `N` slots. `head` is the slot of the oldest byte
//! and `len` how many bytes are stored; the byte after slot `N - 1` goes in slot 0
//! again, so the stored bytes may wrap around the end of the array. Pushing and
//! popping move no data, only these two numbers, and never allocate: this is the
//! kind of queue an interrupt handler can fill.
//!
//! # When it is full
//!
//! A push to a full queue does not overwrite old input: the byte is refused.
//! Losing input must never go unnoticed, and the reader must learn not only
//! *how much* was lost but *where*: a line of a pasted script with its end
//! missing must not be mistaken for a whole line. So the lost bytes make a
//! *gap* in the stream, which the reader pops in its place, after the bytes
//! that came before it ([`Entry::Gap`]). To keep that simple and exact, the
//! queue stays closed after refusing a byte: every later byte is refused too
//! (and counted into the same gap) until the reader has reached the gap. A
//! stream of bytes thus comes out as: bytes, maybe one gap, bytes, maybe one
//! gap, ... with nothing lost silently.
//!
//! The type is plain data; sharing it between an interrupt handler and the code it
//! interrupts is the kernel's business (see `kernel/src/input.rs`).
#![no_std]
#![forbid(unsafe_code)]

/// What the reader takes from the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The next byte.
    Byte(u8),
    /// This many bytes were refused here because the queue was full.
    Gap(u64),
}

/// A queue of at most `N` bytes, and a gap (see the crate documentation).
#[derive(Clone, Debug)]
pub struct RingBuf<const N: usize> {
    slots: [u8; N],
    head: usize,
    len: usize,
    /// Bytes refused after the stored ones (0: none, the queue is open).
    gap: u64,
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
            gap: 0,
        }
    }

    /// How many bytes fit.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// How many bytes are waiting (a gap not counted).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is nothing to pop: no byte and no gap.
    pub fn is_empty(&self) -> bool {
        self.len == 0 && self.gap == 0
    }

    pub fn is_full(&self) -> bool {
        self.len == N
    }

    /// Appends `byte`; returns `false` if it was refused, because the queue
    /// is full or closed behind a gap the reader has not reached yet. A
    /// refused byte is counted in that gap.
    pub fn push(&mut self, byte: u8) -> bool {
        if self.is_full() || self.gap > 0 {
            self.gap += 1;
            return false;
        }
        let tail = (self.head + self.len) % N;
        self.slots[tail] = byte;
        self.len += 1;
        true
    }

    /// Removes and returns the oldest entry: a byte, or, after the last byte
    /// before it, the gap (which opens the queue again).
    pub fn pop(&mut self) -> Option<Entry> {
        if self.len == 0 {
            return match core::mem::take(&mut self.gap) {
                0 => None,
                lost => Some(Entry::Gap(lost)),
            };
        }
        let byte = self.slots[self.head];
        self.head = (self.head + 1) % N;
        self.len -= 1;
        Some(Entry::Byte(byte))
    }

    /// The oldest byte, left in the queue (`None`: empty, or the gap is
    /// next).
    pub fn peek(&self) -> Option<u8> {
        (self.len > 0).then(|| self.slots[self.head])
    }

    /// Throws away every byte and the gap.
    pub fn clear(&mut self) {
        (self.head, self.len, self.gap) = (0, 0, 0);
    }
}
