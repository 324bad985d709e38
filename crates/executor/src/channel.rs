//! A bounded async channel: many senders, one receiver.
//!
//! Messages wait in a buffer of fixed `capacity`. `send(x).await` waits while
//! the buffer is full (backpressure: a fast producer is slowed down to the
//! pace of the consumer instead of filling memory); `recv().await` waits while
//! it is empty. Waiting means: store the task's waker in the channel and
//! return `Pending`; the other side wakes it when it changes the buffer.
//!
//! # Closing
//!
//! - When every [`Sender`] is dropped, the receiver still gets the buffered
//!   messages, then `None`: the stream has ended.
//! - When the [`Receiver`] is dropped, sending fails at once and hands the
//!   message back in [`SendError`]; waiting senders are woken to see it.
//!
//! # Interrupt handlers
//!
//! `try_send` never waits and never allocates (the buffer's memory is reserved
//! up front), so an interrupt handler can feed a channel — this is how the
//! kernel turns keyboard or serial input into a [`Stream`]. The channel's
//! state is guarded by a `critical_section::Mutex`: in the kernel, entering
//! the critical section disables interrupts, so a handler can never find the
//! state half-changed by the code it interrupted.
//!
//! # Fairness among senders
//!
//! When space frees up, every waiting sender is woken and the first one polled
//! takes the slot; the others wait again. Simple, never loses a wake-up, and
//! fine for a few producers.

use crate::stream::Stream;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::Arc;
use core::cell::RefCell;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use critical_section::Mutex;

/// The receiver is gone; here is the message back.
#[derive(Debug, PartialEq, Eq)]
pub struct SendError<T>(pub T);

#[derive(Debug, PartialEq, Eq)]
pub enum TrySendError<T> {
    Full(T),
    Closed(T),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing buffered, but senders remain.
    Empty,
    /// Nothing buffered and every sender is gone.
    Closed,
}

struct State<T> {
    buffer: VecDeque<T>,
    capacity: usize,
    senders: usize,
    receiver_alive: bool,
    receiver_waker: Option<Waker>,
    /// Waiting senders by ticket, so each `Send` future has at most one entry.
    sender_wakers: BTreeMap<u64, Waker>,
    next_ticket: u64,
}

type Shared<T> = Arc<Mutex<RefCell<State<T>>>>;

/// A channel holding up to `capacity` messages.
///
/// # Panics
/// If `capacity` is 0.
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "a channel needs room for at least one message"
    );
    let state = State {
        buffer: VecDeque::with_capacity(capacity),
        capacity,
        senders: 1,
        receiver_alive: true,
        receiver_waker: None,
        sender_wakers: BTreeMap::new(),
        next_ticket: 0,
    };
    let shared = Arc::new(Mutex::new(RefCell::new(state)));
    let sender = Sender {
        shared: Arc::clone(&shared),
    };
    (sender, Receiver { shared })
}

fn with<T, R>(shared: &Shared<T>, f: impl FnOnce(&mut State<T>) -> R) -> R {
    critical_section::with(|cs| f(&mut shared.borrow(cs).borrow_mut()))
}

pub struct Sender<T> {
    shared: Shared<T>,
}

impl<T> Sender<T> {
    /// Buffers `message` if there is room and the receiver is alive. Never
    /// waits, never allocates: usable from interrupt handlers.
    pub fn try_send(&self, message: T) -> Result<(), TrySendError<T>> {
        let woken = with(&self.shared, |state| {
            if !state.receiver_alive {
                return Err(TrySendError::Closed(message));
            }
            if state.buffer.len() == state.capacity {
                return Err(TrySendError::Full(message));
            }
            state.buffer.push_back(message);
            Ok(state.receiver_waker.take())
        })?;
        if let Some(waker) = woken {
            waker.wake();
        }
        Ok(())
    }

    /// Sends `message`, waiting for room if the buffer is full.
    pub fn send(&self, message: T) -> Send<'_, T> {
        Send {
            sender: self,
            message: Some(message),
            ticket: None,
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        with(&self.shared, |state| state.senders += 1);
        Sender {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let woken = with(&self.shared, |state| {
            state.senders -= 1;
            if state.senders == 0 {
                state.receiver_waker.take()
            } else {
                None
            }
        });
        if let Some(waker) = woken {
            waker.wake();
        }
    }
}

/// The future of [`Sender::send`].
pub struct Send<'a, T> {
    sender: &'a Sender<T>,
    message: Option<T>,
    /// Our entry in `sender_wakers`, while waiting.
    ticket: Option<u64>,
}

// The message is moved out, never pinned in place, so `Send` may move.
impl<T> Unpin for Send<'_, T> {}

impl<T> Future for Send<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let message = this.message.take().expect("Send polled after completion");
        let outcome = with(&this.sender.shared, |state| {
            if let Some(ticket) = this.ticket.take() {
                state.sender_wakers.remove(&ticket);
            }
            if !state.receiver_alive {
                return Err(Err(SendError(message)));
            }
            if state.buffer.len() < state.capacity {
                state.buffer.push_back(message);
                return Ok(state.receiver_waker.take());
            }
            let ticket = state.next_ticket;
            state.next_ticket += 1;
            state.sender_wakers.insert(ticket, cx.waker().clone());
            this.ticket = Some(ticket);
            Err(Ok(message))
        });
        match outcome {
            Ok(receiver) => {
                if let Some(waker) = receiver {
                    waker.wake();
                }
                Poll::Ready(Ok(()))
            }
            Err(Err(error)) => Poll::Ready(Err(error)),
            Err(Ok(message)) => {
                this.message = Some(message);
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for Send<'_, T> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket {
            with(&self.sender.shared, |state| {
                state.sender_wakers.remove(&ticket)
            });
        }
    }
}

pub struct Receiver<T> {
    shared: Shared<T>,
}

impl<T> Receiver<T> {
    /// The next message if one is buffered.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let (result, senders) = with(&self.shared, |state| match state.buffer.pop_front() {
            Some(message) => (Ok(message), core::mem::take(&mut state.sender_wakers)),
            None if state.senders == 0 => (Err(TryRecvError::Closed), BTreeMap::new()),
            None => (Err(TryRecvError::Empty), BTreeMap::new()),
        });
        for waker in senders.into_values() {
            waker.wake();
        }
        result
    }

    /// The next message, waiting for one; `None` once every sender is gone
    /// and the buffer is empty.
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv { receiver: self }
    }

    /// Messages buffered now.
    pub fn len(&self) -> usize {
        with(&self.shared, |state| state.buffer.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        match this.try_recv() {
            Ok(message) => Poll::Ready(Some(message)),
            Err(TryRecvError::Closed) => Poll::Ready(None),
            Err(TryRecvError::Empty) => {
                // Register, then look again: a message sent in between would
                // otherwise find no waker to wake.
                with(&this.shared, |state| {
                    state.receiver_waker = Some(cx.waker().clone());
                });
                match this.try_recv() {
                    Ok(message) => Poll::Ready(Some(message)),
                    Err(TryRecvError::Closed) => Poll::Ready(None),
                    Err(TryRecvError::Empty) => Poll::Pending,
                }
            }
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let (buffered, senders) = with(&self.shared, |state| {
            state.receiver_alive = false;
            state.receiver_waker = None;
            let buffered = core::mem::take(&mut state.buffer);
            (buffered, core::mem::take(&mut state.sender_wakers))
        });
        drop(buffered);
        for waker in senders.into_values() {
            waker.wake();
        }
    }
}

/// The future of [`Receiver::recv`].
pub struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        Pin::new(&mut *self.receiver).poll_next(cx)
    }
}
