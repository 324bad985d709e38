//! The futex table: which threads wait on which word of user memory.
//!
//! A *futex* ("fast user-space mutex") is an ordinary 32-bit word in a
//! program's memory. The program's locks change it with atomic instructions
//! and call the kernel only to sleep or to wake sleepers: `FUTEX_WAIT(addr,
//! expected)` sleeps if the word still holds `expected`, `FUTEX_WAKE(addr,
//! n)` wakes up to `n` threads sleeping on that word. The kernel keeps no
//! state for a futex except this table of sleepers, keyed by the word's
//! identity: for private futexes, the address space and the user address.
//!
//! Each waiter carries a *bitset* (`FUTEX_WAIT_BITSET`; plain `FUTEX_WAIT`
//! is the bitset of all ones): a wake with bitset `b` wakes only waiters
//! whose bitset shares a bit with `b`. Waiters on one word are woken in the
//! order they came (FIFO), which keeps a contended lock fair enough.
//!
//! The table only records; sleeping and waking threads is the kernel's
//! business. A waiter leaves the table in one of two ways: a wake takes it
//! out ([`Table::wake`] returns it), or it leaves by itself (a timeout, a
//! kill: [`Table::remove`]), and `remove` says which happened first, so a
//! wake is never counted for a thread that had already gone.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

/// Which word: an address-space identity and a user address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub space: u64,
    pub address: u64,
}

/// The bitset of plain `FUTEX_WAIT` and `FUTEX_WAKE`: matches every other.
pub const ALL: u32 = u32::MAX;

/// The sleepers, per word, in arrival order. `W` names a waiter (the
/// kernel's thread); two waiters are the same if they are equal.
pub struct Table<W> {
    words: BTreeMap<Key, VecDeque<(W, u32)>>,
}

impl<W: PartialEq> Table<W> {
    pub const fn new() -> Table<W> {
        Table {
            words: BTreeMap::new(),
        }
    }

    /// `waiter` starts waiting on `key`, woken by wakes whose bitset meets
    /// `bitset` (not 0: the system call refuses that with `EINVAL`).
    pub fn wait(&mut self, key: Key, waiter: W, bitset: u32) {
        self.words
            .entry(key)
            .or_default()
            .push_back((waiter, bitset));
    }

    /// Takes out up to `count` waiters on `key` whose bitset meets `bitset`,
    /// oldest first, and returns them (the caller wakes them).
    pub fn wake(&mut self, key: Key, count: usize, bitset: u32) -> Vec<W> {
        let mut woken = Vec::new();
        let Some(queue) = self.words.get_mut(&key) else {
            return woken;
        };
        let mut i = 0;
        while i < queue.len() && woken.len() < count {
            if queue[i].1 & bitset != 0 {
                if let Some((waiter, _)) = queue.remove(i) {
                    woken.push(waiter);
                }
            } else {
                i += 1;
            }
        }
        if queue.is_empty() {
            self.words.remove(&key);
        }
        woken
    }

    /// `waiter` stops waiting on `key` by itself; whether it was still
    /// there (false: a wake took it out first).
    pub fn remove(&mut self, key: Key, waiter: &W) -> bool {
        let Some(queue) = self.words.get_mut(&key) else {
            return false;
        };
        let found = queue.iter().position(|(w, _)| w == waiter);
        if let Some(i) = found {
            queue.remove(i);
        }
        if queue.is_empty() {
            self.words.remove(&key);
        }
        found.is_some()
    }

    /// How many waiters wait on `key`.
    pub fn waiting(&self, key: Key) -> usize {
        self.words.get(&key).map_or(0, VecDeque::len)
    }

    /// Whether nobody waits anywhere.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

impl<W: PartialEq> Default for Table<W> {
    fn default() -> Self {
        Table::new()
    }
}

#[cfg(test)]
mod tests;
