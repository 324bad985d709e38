//! Sleeping threads ordered by the time they want to wake up.
//!
//! The queue is a sorted set of `(deadline, thread)` pairs, so the thread to
//! wake next is always the first entry, and on every timer tick the scheduler
//! takes entries from the front while their deadline has passed. Including the
//! id in the key keeps two threads with the same deadline apart (the one with
//! the smaller id, i.e. the older thread, wakes first) and lets `kill` remove a
//! sleeper in O(log n) given its deadline.

use crate::thread::ThreadId;
use alloc::collections::BTreeSet;

#[derive(Debug, Default)]
pub struct SleepQueue {
    entries: BTreeSet<(u64, ThreadId)>,
}

impl SleepQueue {
    pub const fn new() -> SleepQueue {
        SleepQueue {
            entries: BTreeSet::new(),
        }
    }

    pub fn insert(&mut self, until: u64, id: ThreadId) {
        let fresh = self.entries.insert((until, id));
        debug_assert!(fresh, "{id:?} asleep twice");
    }

    pub fn remove(&mut self, until: u64, id: ThreadId) -> bool {
        self.entries.remove(&(until, id))
    }

    /// The earliest sleeper whose deadline is at or before `now`, removed.
    pub fn pop_expired(&mut self, now: u64) -> Option<ThreadId> {
        let &(until, id) = self.entries.first()?;
        if until > now {
            return None;
        }
        self.entries.pop_first();
        Some(id)
    }

    /// When the next sleeper wants to wake (a tickless kernel would program its
    /// timer for this).
    pub fn next_deadline(&self) -> Option<u64> {
        self.entries.first().map(|&(until, _)| until)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Earliest deadline first.
    pub fn iter(&self) -> impl Iterator<Item = (u64, ThreadId)> + '_ {
        self.entries.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakes_in_deadline_order_and_not_before() {
        let mut q = SleepQueue::new();
        q.insert(30, ThreadId(1));
        q.insert(10, ThreadId(2));
        q.insert(10, ThreadId(3));
        q.insert(20, ThreadId(4));
        assert_eq!(q.next_deadline(), Some(10));
        assert_eq!(q.pop_expired(9), None);
        assert_eq!(q.pop_expired(20), Some(ThreadId(2)));
        assert_eq!(q.pop_expired(20), Some(ThreadId(3)));
        assert!(q.remove(20, ThreadId(4)));
        assert_eq!(q.pop_expired(20), None);
        assert_eq!(q.pop_expired(1000), Some(ThreadId(1)));
        assert!(q.is_empty());
    }
}
