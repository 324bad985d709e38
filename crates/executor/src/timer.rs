//! Timers: futures that complete when the clock reaches a deadline.
//!
//! A [`TimerQueue`] keeps the wakers of sleeping tasks in a min-heap ordered
//! by deadline, so the earliest one is always on top. The kernel calls
//! [`TimerQueue::fire_expired`] with the current time on every timer tick: it
//! pops and wakes every entry whose deadline has passed, and looks at nothing
//! else. The woken task polls its [`Sleep`] again, which sees that the clock
//! has reached the deadline and completes.
//!
//! The queue reads the time through a plain `fn() -> u64` given to
//! [`TimerQueue::new`] (in the kernel: the TSC clock, in whatever unit the
//! kernel picks), so a queue can be a `static`.
//!
//! # Interrupt safety
//!
//! The heap is guarded by a `critical_section::Mutex`; in the kernel the
//! critical section disables interrupts, so `fire_expired` may run in the
//! timer interrupt handler while a task was inside `Sleep::poll`. It never
//! allocates: popping a `BinaryHeap` keeps its memory. The only memory it can
//! free is a waker, and a waker in the heap always belongs to a live `Sleep`
//! (dropping a `Sleep` removes its entry, in task context), hence to a live
//! task whose executor still holds a reference to the same waker.
//!
//! Checking the clock and registering happen in one critical section, so the
//! timer interrupt cannot fire in between and miss the new entry.

use alloc::collections::BinaryHeap;
use core::cell::RefCell;
use core::cmp::{Ordering, Reverse};
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use critical_section::Mutex;

struct Entry {
    deadline: u64,
    /// Unique per registration; also orders equal deadlines first-come first-served.
    ticket: u64,
    waker: Waker,
}

impl Entry {
    fn key(&self) -> (u64, u64) {
        (self.deadline, self.ticket)
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

struct Timers {
    /// `Reverse` turns the standard max-heap into a min-heap.
    heap: BinaryHeap<Reverse<Entry>>,
    next_ticket: u64,
}

pub struct TimerQueue {
    clock: fn() -> u64,
    timers: Mutex<RefCell<Timers>>,
}

impl TimerQueue {
    pub const fn new(clock: fn() -> u64) -> TimerQueue {
        TimerQueue {
            clock,
            timers: Mutex::new(RefCell::new(Timers {
                heap: BinaryHeap::new(),
                next_ticket: 0,
            })),
        }
    }

    /// The current time, from the clock function.
    pub fn now(&self) -> u64 {
        (self.clock)()
    }

    /// A future that completes once `now() >= deadline`.
    pub fn sleep_until(&self, deadline: u64) -> Sleep<'_> {
        Sleep {
            timers: self,
            deadline,
            ticket: None,
        }
    }

    /// A future that completes `duration` after this call.
    pub fn sleep(&self, duration: u64) -> Sleep<'_> {
        self.sleep_until(self.now().saturating_add(duration))
    }

    /// Wakes every sleeper whose deadline is at or before `now`; returns how
    /// many. Never allocates: callable from the timer interrupt handler.
    pub fn fire_expired(&self, now: u64) -> usize {
        self.with(|timers| {
            let mut fired = 0;
            while timers.heap.peek().is_some_and(|top| top.0.deadline <= now) {
                if let Some(Reverse(entry)) = timers.heap.pop() {
                    entry.waker.wake();
                    fired += 1;
                }
            }
            fired
        })
    }

    /// The earliest deadline waited for.
    pub fn next_deadline(&self) -> Option<u64> {
        self.with(|timers| timers.heap.peek().map(|top| top.0.deadline))
    }

    /// Registered sleepers.
    pub fn len(&self) -> usize {
        self.with(|timers| timers.heap.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn with<R>(&self, f: impl FnOnce(&mut Timers) -> R) -> R {
        critical_section::with(|cs| f(&mut self.timers.borrow(cs).borrow_mut()))
    }
}

/// The future of [`TimerQueue::sleep_until`]. Dropping it cancels the timer.
pub struct Sleep<'a> {
    timers: &'a TimerQueue,
    deadline: u64,
    /// Our entry in the heap, if registered.
    ticket: Option<u64>,
}

impl Sleep<'_> {
    pub fn deadline(&self) -> u64 {
        self.deadline
    }
}

fn remove(timers: &mut Timers, ticket: u64) {
    timers.heap.retain(|entry| entry.0.ticket != ticket);
}

impl Future for Sleep<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let (deadline, clock) = (this.deadline, this.timers.clock);
        let old_ticket = this.ticket.take();
        let new_ticket = this.timers.with(|timers| {
            if let Some(ticket) = old_ticket {
                remove(timers, ticket);
            }
            if clock() >= deadline {
                return None;
            }
            let ticket = timers.next_ticket;
            timers.next_ticket += 1;
            let waker = cx.waker().clone();
            timers.heap.push(Reverse(Entry {
                deadline,
                ticket,
                waker,
            }));
            Some(ticket)
        });
        this.ticket = new_ticket;
        match new_ticket {
            None => Poll::Ready(()),
            Some(_) => Poll::Pending,
        }
    }
}

impl Drop for Sleep<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket {
            self.timers.with(|timers| remove(timers, ticket));
        }
    }
}
