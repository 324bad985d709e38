//! Timer queue: ordering, cancelling, waking through the executor.

use executor::{Executor, TimerQueue};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

fn run(ex: &Executor) {
    while ex.run_ready() > 0 {}
}

static CLOCK_A: AtomicU64 = AtomicU64::new(0);
static TIMERS_A: TimerQueue = TimerQueue::new(|| CLOCK_A.load(Ordering::SeqCst));

#[test]
fn sleepers_wake_in_deadline_order_and_never_early() {
    let ex = Executor::new(8);
    let order = Rc::new(RefCell::new(Vec::new()));
    for (name, deadline) in [("c", 30), ("a", 10), ("b", 20), ("a2", 10)] {
        let order = Rc::clone(&order);
        ex.spawn(async move {
            TIMERS_A.sleep_until(deadline).await;
            order
                .borrow_mut()
                .push((name, CLOCK_A.load(Ordering::SeqCst)));
        });
    }
    run(&ex);
    assert_eq!(TIMERS_A.len(), 4);
    assert_eq!(TIMERS_A.next_deadline(), Some(10));
    for now in [5, 10, 15, 25, 40] {
        CLOCK_A.store(now, Ordering::SeqCst);
        TIMERS_A.fire_expired(now);
        run(&ex);
    }
    assert_eq!(
        *order.borrow(),
        [("a", 10), ("a2", 10), ("b", 25), ("c", 40)]
    );
    assert!(TIMERS_A.is_empty());
}

static CLOCK_B: AtomicU64 = AtomicU64::new(100);
static TIMERS_B: TimerQueue = TimerQueue::new(|| CLOCK_B.load(Ordering::SeqCst));

#[test]
fn a_past_deadline_completes_at_once_and_sleep_is_relative() {
    let ex = Executor::new(4);
    let done = ex.spawn(async {
        TIMERS_B.sleep_until(50).await;
        let sleep = TIMERS_B.sleep(10);
        assert_eq!(sleep.deadline(), 110);
        sleep.await;
    });
    run(&ex);
    assert!(!done.is_finished());
    assert_eq!(TIMERS_B.fire_expired(109), 0);
    CLOCK_B.store(110, Ordering::SeqCst);
    assert_eq!(TIMERS_B.fire_expired(110), 1);
    run(&ex);
    assert!(done.is_finished());
}

static CLOCK_C: AtomicU64 = AtomicU64::new(0);
static TIMERS_C: TimerQueue = TimerQueue::new(|| CLOCK_C.load(Ordering::SeqCst));

#[test]
fn dropping_a_sleep_cancels_its_timer_and_repolls_keep_one_entry() {
    let ex = Executor::new(4);
    let task = ex.spawn(async {
        let mut sleep = Box::pin(TIMERS_C.sleep_until(1_000));
        // Poll it three times: still one entry.
        for _ in 0..3 {
            std::future::poll_fn(|cx| {
                assert!(sleep.as_mut().poll(cx).is_pending());
                std::task::Poll::Ready(())
            })
            .await;
        }
        assert_eq!(TIMERS_C.len(), 1);
    });
    run(&ex);
    assert!(task.is_finished());
    assert!(TIMERS_C.is_empty(), "dropped with its task");
    assert_eq!(TIMERS_C.fire_expired(u64::MAX), 0);
}

use std::future::Future;
