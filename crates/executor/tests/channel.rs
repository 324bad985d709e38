//! The async channel: capacity, backpressure, closing, many producers.

use executor::{Executor, Stream, StreamExt, TryRecvError, TrySendError, channel};
use std::cell::RefCell;
use std::rc::Rc;

fn run(ex: &Executor) {
    while ex.run_ready() > 0 {}
}

#[test]
fn try_send_respects_the_capacity_and_order() {
    let (tx, mut rx) = channel(2);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.try_recv(), Ok(1));
    tx.try_send(3).unwrap();
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn a_sender_waits_while_full_and_resumes_when_the_receiver_takes() {
    let ex = Executor::new(4);
    let (tx, mut rx) = channel(1);
    let sent = Rc::new(RefCell::new(Vec::new()));
    let log = Rc::clone(&sent);
    let producer = ex.spawn(async move {
        for i in 0..3 {
            tx.send(i).await.unwrap();
            log.borrow_mut().push(i);
        }
    });
    run(&ex);
    assert_eq!(*sent.borrow(), [0], "blocked on the second send");
    assert!(ex.is_idle(), "waiting, not spinning");
    assert_eq!(rx.try_recv(), Ok(0));
    run(&ex);
    assert_eq!(*sent.borrow(), [0, 1]);
    assert_eq!(rx.try_recv(), Ok(1));
    run(&ex);
    assert!(producer.is_finished());
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn the_receiver_gets_buffered_messages_then_none_after_senders_leave() {
    let ex = Executor::new(4);
    let (tx, mut rx) = channel(4);
    let got = ex.spawn(async move {
        let mut got = Vec::new();
        while let Some(x) = rx.recv().await {
            got.push(x);
        }
        got
    });
    run(&ex);
    let tx2 = tx.clone();
    tx.try_send('a').unwrap();
    tx2.try_send('b').unwrap();
    drop(tx);
    run(&ex);
    assert!(!got.is_finished(), "one sender remains");
    tx2.try_send('c').unwrap();
    drop(tx2);
    run(&ex);
    let mut got = got;
    assert_eq!(got.try_take(), Some(vec!['a', 'b', 'c']));
}

#[test]
fn dropping_the_receiver_fails_sends_and_wakes_waiting_senders() {
    let ex = Executor::new(4);
    let (tx, rx) = channel(1);
    tx.try_send(1).unwrap();
    let tx2 = tx.clone();
    let blocked = ex.spawn(async move { tx2.send(2).await });
    run(&ex);
    assert!(!blocked.is_finished());
    drop(rx);
    run(&ex);
    let mut blocked = blocked;
    assert_eq!(
        blocked.try_take().unwrap().unwrap_err().0,
        2,
        "message handed back"
    );
    assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
}

#[test]
fn many_producers_deliver_everything_in_per_producer_order() {
    const PRODUCERS: u32 = 5;
    const EACH: u32 = 200;
    let ex = Executor::new(8);
    let (tx, mut rx) = channel(2);
    for p in 0..PRODUCERS {
        let tx = tx.clone();
        ex.spawn(async move {
            for i in 0..EACH {
                tx.send((p, i)).await.unwrap();
            }
        });
    }
    drop(tx);
    let consumer = ex.spawn(async move {
        let mut next = [0; PRODUCERS as usize];
        let mut total = 0;
        while let Some((p, i)) = rx.next().await {
            assert_eq!(next[p as usize], i, "producer {p} out of order");
            next[p as usize] += 1;
            total += 1;
        }
        total
    });
    run(&ex);
    let mut consumer = consumer;
    assert_eq!(consumer.try_take(), Some(PRODUCERS * EACH));
    assert_eq!(ex.task_count(), 0);
}

#[test]
fn a_dropped_pending_send_leaves_no_waker_behind() {
    let ex = Executor::new(4);
    let (tx, mut rx) = channel::<u8>(1);
    tx.try_send(0).unwrap();
    let tx2 = tx.clone();
    let task = ex.spawn(async move {
        // Start a send that cannot complete, then give up on it.
        let mut send = Box::pin(tx2.send(1));
        std::future::poll_fn(|cx| {
            assert!(send.as_mut().poll(cx).is_pending());
            std::task::Poll::Ready(())
        })
        .await;
    });
    run(&ex);
    assert!(task.is_finished());
    let polls = ex.polls();
    assert_eq!(rx.try_recv(), Ok(0));
    run(&ex);
    assert_eq!(ex.polls(), polls, "nobody was woken");
}

#[test]
fn the_receiver_is_a_stream() {
    let (tx, mut rx) = channel(3);
    tx.try_send(7).unwrap();
    drop(tx);
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut pinned = std::pin::Pin::new(&mut rx);
    assert_eq!(
        pinned.as_mut().poll_next(&mut cx),
        std::task::Poll::Ready(Some(7))
    );
    assert_eq!(pinned.poll_next(&mut cx), std::task::Poll::Ready(None));
}

#[test]
#[should_panic(expected = "a channel needs room for at least one message")]
fn capacity_zero_is_refused() {
    let _ = channel::<u8>(0);
}

use std::future::Future;
