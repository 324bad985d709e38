//! A first-in first-out queue of thread ids: the ready queue, and one per wait
//! key.
//!
//! FIFO order is what makes round-robin fair: a thread that joins the back of
//! a queue holding `n` threads is taken out after exactly those `n`. Removing a
//! thread from the middle (when it is killed) is a linear search; queues hold
//! a handful of threads in a teaching kernel, so that is fine.

use crate::thread::ThreadId;
use alloc::collections::VecDeque;

#[derive(Debug, Default)]
pub struct ThreadQueue {
    ids: VecDeque<ThreadId>,
}

impl ThreadQueue {
    pub const fn new() -> ThreadQueue {
        ThreadQueue {
            ids: VecDeque::new(),
        }
    }

    /// Joins the back. The caller makes sure `id` is not already queued.
    pub fn push_back(&mut self, id: ThreadId) {
        debug_assert!(!self.contains(id), "{id:?} queued twice");
        self.ids.push_back(id);
    }

    /// Gives back memory the queue no longer needs.
    pub fn shrink_to_fit(&mut self) {
        self.ids.shrink_to_fit();
    }

    pub fn pop_front(&mut self) -> Option<ThreadId> {
        self.ids.pop_front()
    }

    /// Takes `id` out wherever it is; false if it was not queued.
    pub fn remove(&mut self, id: ThreadId) -> bool {
        match self.ids.iter().position(|&queued| queued == id) {
            Some(index) => {
                self.ids.remove(index);
                true
            }
            None => false,
        }
    }

    pub fn contains(&self, id: ThreadId) -> bool {
        self.ids.contains(&id)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Front to back.
    pub fn iter(&self) -> impl Iterator<Item = ThreadId> + '_ {
        self.ids.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_order_and_removal_from_the_middle() {
        let mut q = ThreadQueue::new();
        for i in 1..=4 {
            q.push_back(ThreadId(i));
        }
        assert!(q.remove(ThreadId(2)));
        assert!(!q.remove(ThreadId(2)));
        assert_eq!(q.len(), 3);
        assert_eq!(q.pop_front(), Some(ThreadId(1)));
        assert_eq!(q.pop_front(), Some(ThreadId(3)));
        assert_eq!(q.pop_front(), Some(ThreadId(4)));
        assert_eq!(q.pop_front(), None);
        assert!(q.is_empty());
    }
}
