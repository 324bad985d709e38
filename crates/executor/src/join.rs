//! `JoinHandle<T>`: the result of a spawned task, itself a future.
//!
//! The spawned future is wrapped so that, when it finishes, its output is
//! stored in a slot shared with the handle and the task awaiting the handle
//! (if any) is woken. Awaiting the handle takes the output. Both sides live
//! in the executor's thread, so the slot is a plain `Rc<RefCell<..>>`.
//!
//! Dropping the handle does not cancel the task: it runs to completion and
//! its output is dropped. If the executor itself is dropped first, the task
//! never finishes and the handle stays pending.

use alloc::rc::Rc;
use core::cell::RefCell;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

pub(crate) struct Slot<T> {
    output: Option<T>,
    waiter: Option<Waker>,
    taken: bool,
}

pub struct JoinHandle<T> {
    slot: Rc<RefCell<Slot<T>>>,
}

/// A new handle, and the future to spawn: `future` plus storing its output.
pub(crate) fn wrap<F: Future + 'static>(
    future: F,
) -> (JoinHandle<F::Output>, impl Future<Output = ()>) {
    let slot = Rc::new(RefCell::new(Slot {
        output: None,
        waiter: None,
        taken: false,
    }));
    let handle = JoinHandle {
        slot: Rc::clone(&slot),
    };
    let task = async move {
        let output = future.await;
        let waiter = {
            let mut slot = slot.borrow_mut();
            slot.output = Some(output);
            slot.waiter.take()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    };
    (handle, task)
}

impl<T> JoinHandle<T> {
    /// The task has finished and its output has not been taken yet.
    pub fn is_finished(&self) -> bool {
        self.slot.borrow().output.is_some()
    }

    /// The output, if the task has finished (without waiting).
    pub fn try_take(&mut self) -> Option<T> {
        let mut slot = self.slot.borrow_mut();
        let output = slot.output.take();
        slot.taken |= output.is_some();
        output
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.slot.borrow_mut();
        if let Some(output) = slot.output.take() {
            slot.taken = true;
            return Poll::Ready(output);
        }
        assert!(
            !slot.taken,
            "JoinHandle polled after it returned the output"
        );
        match &mut slot.waiter {
            Some(waiter) if waiter.will_wake(cx.waker()) => {}
            waiter => *waiter = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}
