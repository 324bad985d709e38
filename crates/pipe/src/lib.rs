//! A pipe's buffer and the rules of reading and writing it, without the
//! waiting: the pure logic behind `pipe(2)`.
//!
//! A pipe is a first-in, first-out queue of bytes between a *write end* and a
//! *read end*. The bytes sit in a ring of [`CAPACITY`] bytes ([`PipeBuffer`]):
//! `start` is where the oldest byte is and `len` how many there are, and the
//! byte after the last slot goes in the first one again, so reading and
//! writing move the two numbers and copy each byte once.
//!
//! What a reader or writer may do *now* is decided by two small functions;
//! the kernel sleeps when they say "not now" and asks again when woken:
//!
//! - [`read_outcome`]: bytes waiting are read at once, as many as fit; an
//!   empty pipe whose writers have all closed is the end of file (a read
//!   returns 0); an empty pipe with a writer left means wait.
//! - [`write_outcome`]: with no reader left a write is refused (`EPIPE`). A
//!   write of at most [`PIPE_BUF`] bytes is *atomic*: it goes in whole or
//!   waits until it fits whole, so two writers' small messages never
//!   interleave. A larger write puts in what fits and waits for room for
//!   the rest (it may interleave with others).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

/// How many bytes a pipe holds (Linux's default is 64 KiB too).
pub const CAPACITY: usize = 64 * 1024;

/// Writes up to this many bytes are atomic (POSIX's `PIPE_BUF`, 4096 on Linux).
pub const PIPE_BUF: usize = 4096;

/// The bytes written and not yet read, in a ring of [`CAPACITY`] bytes.
pub struct PipeBuffer {
    slots: Box<[u8]>,
    start: usize,
    len: usize,
}

impl Default for PipeBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl PipeBuffer {
    /// An empty buffer (allocates [`CAPACITY`] bytes).
    pub fn new() -> PipeBuffer {
        PipeBuffer {
            slots: vec![0; CAPACITY].into_boxed_slice(),
            start: 0,
            len: 0,
        }
    }

    /// How many bytes wait to be read.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many bytes can be written before it is full.
    pub fn room(&self) -> usize {
        CAPACITY - self.len
    }

    /// Appends as much of `bytes` as there is room for; how much that was.
    pub fn write(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(self.room());
        let end = (self.start + self.len) % CAPACITY;
        let first = n.min(CAPACITY - end);
        self.slots[end..end + first].copy_from_slice(&bytes[..first]);
        self.slots[..n - first].copy_from_slice(&bytes[first..n]);
        self.len += n;
        n
    }

    /// Appends the oldest bytes, at most `most`, to `out` (which need not be
    /// filled with zeros first, unlike [`read`](Self::read)'s buffer); how
    /// many.
    pub fn read_append(&mut self, out: &mut Vec<u8>, most: usize) -> usize {
        let n = most.min(self.len);
        let first = n.min(CAPACITY - self.start);
        out.extend_from_slice(&self.slots[self.start..self.start + first]);
        out.extend_from_slice(&self.slots[..n - first]);
        self.start = (self.start + n) % CAPACITY;
        self.len -= n;
        n
    }

    /// Moves the oldest bytes into `out`, as many as fit; how many.
    pub fn read(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.len);
        let first = n.min(CAPACITY - self.start);
        out[..first].copy_from_slice(&self.slots[self.start..self.start + first]);
        out[first..n].copy_from_slice(&self.slots[..n - first]);
        self.start = (self.start + n) % CAPACITY;
        self.len -= n;
        n
    }
}

/// What a read of a pipe does now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// Take this many bytes (at least 1).
    Take(usize),
    /// The end of file: empty, and every write end is closed.
    End,
    /// Empty, but a writer may still write: wait (or `EAGAIN`).
    Wait,
}

/// What a read of `wanted` bytes (at least 1) finds, with `waiting` bytes in
/// the pipe and `writers` write ends open.
pub fn read_outcome(wanted: usize, waiting: usize, writers: usize) -> ReadOutcome {
    if waiting > 0 {
        ReadOutcome::Take(wanted.min(waiting))
    } else if writers == 0 {
        ReadOutcome::End
    } else {
        ReadOutcome::Wait
    }
}

/// What a write does now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Put this many bytes in (at least 1).
    Put(usize),
    /// Every read end is closed: `EPIPE` (and `SIGPIPE`).
    Broken,
    /// Not enough room: wait (or `EAGAIN`).
    Wait,
}

/// What a write with `left` bytes still to write (at least 1) may do, with
/// `room` bytes free and `readers` read ends open. `total` is the size of
/// the whole `write` call: at most [`PIPE_BUF`] makes it atomic.
pub fn write_outcome(total: usize, left: usize, room: usize, readers: usize) -> WriteOutcome {
    if readers == 0 {
        WriteOutcome::Broken
    } else if room == 0 || (total <= PIPE_BUF && room < left) {
        WriteOutcome::Wait
    } else {
        WriteOutcome::Put(left.min(room))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::VecDeque;
    use alloc::vec::Vec;

    #[test]
    fn bytes_come_out_in_order_across_the_wrap() {
        let mut pipe = PipeBuffer::new();
        let first: Vec<u8> = (0..CAPACITY - 10).map(|i| i as u8).collect();
        assert_eq!(pipe.write(&first), CAPACITY - 10);
        let mut out = vec![0; CAPACITY - 20];
        assert_eq!(pipe.read(&mut out), CAPACITY - 20);
        // 10 bytes left at the end of the ring; 30 more wrap around.
        let more: Vec<u8> = (100..130).collect();
        assert_eq!(pipe.write(&more), 30);
        let mut out = [0; 64];
        assert_eq!(pipe.read(&mut out), 40);
        assert_eq!(&out[..10], &first[CAPACITY - 20..]);
        assert_eq!(&out[10..40], &more[..]);
        assert!(pipe.is_empty());
    }

    #[test]
    fn a_full_pipe_takes_no_more() {
        let mut pipe = PipeBuffer::new();
        assert_eq!(pipe.write(&vec![7; CAPACITY + 5]), CAPACITY);
        assert_eq!(pipe.room(), 0);
        assert_eq!(pipe.write(b"x"), 0);
        assert_eq!(pipe.len(), CAPACITY);
    }

    #[test]
    fn reads_wait_for_data_or_the_last_writer() {
        assert_eq!(read_outcome(10, 3, 1), ReadOutcome::Take(3));
        assert_eq!(read_outcome(2, 3, 0), ReadOutcome::Take(2));
        assert_eq!(read_outcome(10, 0, 2), ReadOutcome::Wait);
        assert_eq!(read_outcome(10, 0, 0), ReadOutcome::End);
    }

    #[test]
    fn small_writes_are_atomic_large_ones_are_not() {
        assert_eq!(write_outcome(100, 100, 99, 1), WriteOutcome::Wait);
        assert_eq!(write_outcome(100, 100, 100, 1), WriteOutcome::Put(100));
        assert_eq!(
            write_outcome(PIPE_BUF, PIPE_BUF, PIPE_BUF - 1, 1),
            WriteOutcome::Wait
        );
        assert_eq!(
            write_outcome(PIPE_BUF + 1, PIPE_BUF + 1, 10, 1),
            WriteOutcome::Put(10)
        );
        assert_eq!(write_outcome(1 << 20, 500, 0, 1), WriteOutcome::Wait);
        assert_eq!(write_outcome(1, 1, CAPACITY, 0), WriteOutcome::Broken);
    }

    /// Random reads and writes against a `VecDeque` model.
    #[test]
    fn random_operations_match_a_model() {
        let mut rng = xorshift::XorShift64(0x5eed);
        let mut pipe = PipeBuffer::new();
        let mut model: VecDeque<u8> = VecDeque::new();
        let mut next = 0u8;
        for _ in 0..20_000 {
            let size = match rng.below(4) {
                0 => rng.below(8),
                1 => rng.below(PIPE_BUF),
                _ => rng.below(CAPACITY + 100),
            };
            let action = rng.below(3);
            if action == 0 {
                let bytes: Vec<u8> = (0..size)
                    .map(|_| {
                        next = next.wrapping_add(1);
                        next
                    })
                    .collect();
                let room = CAPACITY - model.len();
                assert_eq!(pipe.room(), room);
                let n = pipe.write(&bytes);
                assert_eq!(n, size.min(room));
                model.extend(&bytes[..n]);
            } else if action == 1 {
                let mut out = vec![0; size];
                let n = pipe.read(&mut out);
                assert_eq!(n, size.min(model.len()));
                let expected: Vec<u8> = model.drain(..n).collect();
                assert_eq!(&out[..n], &expected[..]);
            } else {
                let mut out = vec![7u8; 3];
                let n = pipe.read_append(&mut out, size);
                assert_eq!(n, size.min(model.len()));
                let expected: Vec<u8> = [7u8; 3].into_iter().chain(model.drain(..n)).collect();
                assert_eq!(out, expected, "appended after what was there");
            }
            assert_eq!(pipe.len(), model.len());
        }
    }
}
