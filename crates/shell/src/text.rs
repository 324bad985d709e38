//! A line of text in a fixed-size buffer.
//!
//! Without a heap, a line cannot grow: it lives in an array of
//! [`LINE_CAPACITY`] bytes, of which the first `len` are used. Text is kept as
//! UTF-8, so a character takes 1 to 4 bytes, and the capacity counts bytes, not
//! characters. The invariant, kept by every method: the used bytes are valid
//! UTF-8 and no insertion goes past the capacity (it is refused instead).

use core::ops::Range;

/// How many bytes one line can hold (a character takes 1 to 4 of them).
pub const LINE_CAPACITY: usize = 256;

/// A line of at most [`LINE_CAPACITY`] bytes of UTF-8 text.
#[derive(Clone, Copy)]
pub(crate) struct Text {
    bytes: [u8; LINE_CAPACITY],
    len: usize,
}

impl Text {
    pub(crate) const EMPTY: Text = Text {
        bytes: [0; LINE_CAPACITY],
        len: 0,
    };

    pub(crate) fn as_str(&self) -> &str {
        // Never fails: only whole `&str`s are ever inserted, at char boundaries.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Inserts `s` at byte offset `at` (a char boundary), or returns false and
    /// changes nothing if it does not fit.
    pub(crate) fn insert(&mut self, at: usize, s: &str) -> bool {
        let n = s.len();
        if self.len + n > LINE_CAPACITY || at > self.len {
            return false;
        }
        self.bytes.copy_within(at..self.len, at + n);
        self.bytes[at..at + n].copy_from_slice(s.as_bytes());
        self.len += n;
        true
    }

    /// Removes the bytes in `range` (which must start and end at char
    /// boundaries).
    pub(crate) fn remove(&mut self, range: Range<usize>) {
        self.bytes.copy_within(range.end..self.len, range.start);
        self.len -= range.len();
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }
}
