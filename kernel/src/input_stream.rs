//! Keyboard and serial input as an async [`Stream`] of bytes.
//!
//! The bytes stay in the one input queue of `input.rs`; this is a second way
//! of reading it, for async tasks: `while let Some(b) = input.next().await`.
//! A blocking `input::read()` (the shell) and a stream can coexist: each byte
//! goes to whoever takes it first.
//!
//! A stream that finds the queue empty leaves its task's waker here, and
//! `input::push` (in the keyboard and serial interrupt handlers) wakes every
//! waker left. The order in `poll_next` matters: look, register, *look
//! again*. A byte pushed between the first look and the registration found no
//! waker to wake; the second look sees it. A byte pushed after the
//! registration wakes the task. Either way no byte is left unnoticed.
//!
//! Wakers are kept in a list tagged with the stream's id: a stream replaces
//! its own entry, and removes it when dropped, so the list never holds the
//! waker of a task that is gone.

use crate::input;
use crate::sync::IrqMutex;
use ::executor::Stream;
use alloc::vec::Vec;
use core::pin::Pin;
use core::sync::atomic::{AtomicU64, Ordering};
use core::task::{Context, Poll, Waker};

/// Streams waiting for input: (stream id, its task's waker).
static WAITING: IrqMutex<Vec<(u64, Waker)>> = IrqMutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// The input bytes, as a stream that never ends.
pub struct InputStream {
    id: u64,
}

/// A new stream of input bytes.
pub fn bytes() -> InputStream {
    InputStream {
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
    }
}

impl InputStream {
    fn register(&self, waker: &Waker) {
        let mut waiting = WAITING.lock();
        match waiting.iter_mut().find(|(id, _)| *id == self.id) {
            Some((_, old)) if old.will_wake(waker) => {}
            Some((_, old)) => *old = waker.clone(),
            None => waiting.push((self.id, waker.clone())),
        }
    }
}

impl Stream for InputStream {
    type Item = u8;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u8>> {
        if let Some(byte) = input::try_read() {
            return Poll::Ready(Some(byte));
        }
        self.register(cx.waker());
        match input::try_read() {
            Some(byte) => Poll::Ready(Some(byte)),
            None => Poll::Pending,
        }
    }
}

impl Drop for InputStream {
    fn drop(&mut self) {
        WAITING.lock().retain(|(id, _)| *id != self.id);
    }
}

/// Wakes every stream waiting for input (called by `input::push`, from
/// interrupt handlers too: it neither allocates nor frees).
pub fn wake_waiting() {
    for (_, waker) in WAITING.lock().drain(..) {
        waker.wake();
    }
}
