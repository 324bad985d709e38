//! `Stream`: an asynchronous sequence, the async version of `Iterator`.
//!
//! `poll_next` returns `Ready(Some(item))` for the next item, `Ready(None)`
//! when the sequence has ended, and `Pending` (after saving the waker) when
//! the next item is not there yet. Keyboard and serial input are streams of
//! bytes; a channel's receiver is a stream of messages. [`StreamExt::next`]
//! turns one step into a future: `while let Some(b) = input.next().await`.
//!
//! We define the trait ourselves: it is one method, the same shape as the
//! `futures-core` one, and needs no dependency.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

pub trait Stream {
    type Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>>;
}

pub trait StreamExt: Stream {
    /// The next item, as a future.
    fn next(&mut self) -> Next<'_, Self>
    where
        Self: Unpin,
    {
        Next { stream: self }
    }
}

impl<S: Stream + ?Sized> StreamExt for S {}

pub struct Next<'a, S: ?Sized> {
    stream: &'a mut S,
}

impl<S: Stream + Unpin + ?Sized> Future for Next<'_, S> {
    type Output = Option<S::Item>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut *self.stream).poll_next(cx)
    }
}
