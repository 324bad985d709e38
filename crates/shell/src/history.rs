//! The list of earlier command lines, for recalling them with the arrow keys.
//!
//! The history is a *ring buffer*: [`HISTORY_CAPACITY`] slots used in a circle.
//! `oldest` is the slot of the oldest entry and the others follow it, wrapping
//! around the end of the array; once every slot is used, a new line overwrites
//! the oldest one. Empty lines, and a line equal to the newest entry, are not
//! added, so that pressing the up arrow always shows something new.

use crate::text::Text;

/// How many lines the history keeps; older ones are forgotten.
pub const HISTORY_CAPACITY: usize = 32;

pub(crate) struct History {
    entries: [Text; HISTORY_CAPACITY],
    /// The slot holding the oldest entry.
    oldest: usize,
    len: usize,
}

impl History {
    pub(crate) const fn new() -> Self {
        History {
            entries: [Text::EMPTY; HISTORY_CAPACITY],
            oldest: 0,
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Entry `index`, counting from the oldest (0).
    pub(crate) fn get(&self, index: usize) -> Option<&Text> {
        (index < self.len).then(|| &self.entries[(self.oldest + index) % HISTORY_CAPACITY])
    }

    pub(crate) fn add(&mut self, line: &Text) {
        let newest = self.len.checked_sub(1).and_then(|i| self.get(i));
        if line.len() == 0 || newest.is_some_and(|n| n.as_str() == line.as_str()) {
            return;
        }
        if self.len < HISTORY_CAPACITY {
            self.entries[(self.oldest + self.len) % HISTORY_CAPACITY] = *line;
            self.len += 1;
        } else {
            self.entries[self.oldest] = *line;
            self.oldest = (self.oldest + 1) % HISTORY_CAPACITY;
        }
    }

    /// The entries, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len).filter_map(|i| self.get(i)).map(Text::as_str)
    }
}
