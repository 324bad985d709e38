//! `yield_now().await`: let the other ready tasks run first.
//!
//! The future wakes its own task and returns `Pending` once, so the task goes
//! to the back of the ready queue and is polled again in the next round of
//! `run_ready`. A task that loops without ever awaiting something pending
//! would keep the whole executor (and its thread) to itself.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
