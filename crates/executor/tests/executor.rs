//! The executor's waker and queue logic, and join handles.

use executor::{Executor, SpawnError, yield_now};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// A future that counts its polls, keeps the latest waker where the test can
/// reach it, and completes when `open` is set.
#[derive(Clone, Default)]
struct Gate {
    open: Arc<Mutex<bool>>,
    waker: Arc<Mutex<Option<Waker>>>,
    polls: Rc<Cell<u32>>,
}

impl Gate {
    fn waker(&self) -> Waker {
        self.waker.lock().unwrap().clone().expect("polled once")
    }
    fn open(&self) {
        *self.open.lock().unwrap() = true;
    }
}

impl Future for Gate {
    type Output = u32;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        self.polls.set(self.polls.get() + 1);
        *self.waker.lock().unwrap() = Some(cx.waker().clone());
        if *self.open.lock().unwrap() {
            Poll::Ready(self.polls.get())
        } else {
            Poll::Pending
        }
    }
}

#[test]
fn a_spawned_task_runs_once_and_its_handle_has_the_output() {
    let ex = Executor::new(4);
    let mut handle = ex.spawn(async { 6 * 7 });
    assert!(!ex.is_idle());
    assert!(handle.try_take().is_none());
    assert_eq!(ex.run_ready(), 1);
    assert!(ex.is_idle());
    assert!(handle.is_finished());
    assert_eq!(handle.try_take(), Some(42));
    assert_eq!(ex.task_count(), 0);
    assert_eq!(ex.run_ready(), 0);
}

#[test]
fn a_task_is_polled_only_when_woken_and_once_however_often_woken() {
    let ex = Executor::new(4);
    let gate = Gate::default();
    ex.spawn(gate.clone());
    assert_eq!(ex.run_ready(), 1);
    for _ in 0..5 {
        assert_eq!(ex.run_ready(), 0, "not woken: not polled");
    }
    assert!(ex.is_idle());
    let waker = gate.waker();
    waker.wake_by_ref();
    waker.wake_by_ref();
    let clone = waker.clone();
    clone.wake(); // by value
    assert!(!ex.is_idle());
    assert_eq!(ex.run_ready(), 1, "three wakes, one poll");
    assert_eq!(gate.polls.get(), 2);
    assert_eq!(ex.polls(), 2);
}

#[test]
fn a_wake_that_arrives_while_queued_is_absorbed_by_the_coming_poll() {
    let ex = Executor::new(4);
    let b = Gate::default();
    ex.spawn(b.clone());
    ex.run_ready();
    let waker_b = b.waker();
    // Queue: a new task, then b. The new task wakes b again before b's poll.
    ex.spawn(async move { waker_b.wake() });
    b.waker().wake_by_ref();
    assert_eq!(ex.run_ready(), 2);
    assert_eq!(b.polls.get(), 2, "one poll for both wake-ups");
    assert_eq!(ex.run_ready(), 0);
    assert!(ex.is_idle());
}

#[test]
fn waking_a_finished_task_does_nothing() {
    let ex = Executor::new(2);
    let gate = Gate::default();
    ex.spawn(gate.clone());
    ex.run_ready();
    let waker = gate.waker();
    gate.open();
    waker.wake_by_ref();
    assert_eq!(ex.run_ready(), 1);
    assert_eq!(ex.task_count(), 0);
    waker.wake_by_ref();
    waker.wake();
    assert!(ex.is_idle());
    assert_eq!(ex.run_ready(), 0);
    assert_eq!(gate.polls.get(), 2);
}

#[test]
fn a_task_that_wakes_itself_then_finishes_keeps_its_slot_until_its_id_is_popped() {
    let ex = Executor::new(1);
    ex.spawn(async {
        let waker = std::future::poll_fn(|cx| Poll::Ready(cx.waker().clone())).await;
        waker.wake(); // queued again, and finished right after
    });
    assert_eq!(ex.run_ready(), 1);
    assert_eq!(ex.task_count(), 0);
    // Its id is still queued, so its slot is still taken.
    assert_eq!(
        ex.try_spawn(async {}).err(),
        Some(SpawnError { capacity: 1 })
    );
    assert_eq!(ex.run_ready(), 0, "the stale id is dropped, nothing polled");
    assert!(ex.try_spawn(async {}).is_ok());
}

#[test]
fn spawning_beyond_capacity_is_refused_and_possible_again_later() {
    let ex = Executor::new(2);
    let gate = Gate::default();
    ex.spawn(gate.clone());
    ex.spawn(async {});
    let error = ex.try_spawn(async {}).err().unwrap();
    assert_eq!(error.to_string(), "the executor is full (2 tasks)");
    ex.run_ready();
    assert!(ex.try_spawn(async {}).is_ok());
}

#[test]
#[should_panic(expected = "cannot spawn: the executor is full (1 tasks)")]
fn spawn_panics_with_a_clear_message_when_full() {
    let ex = Executor::new(1);
    ex.spawn(async {});
    ex.spawn(async {});
}

#[test]
fn run_ready_polls_each_ready_task_once_even_if_it_yields() {
    let ex = Executor::new(4);
    let rounds = Rc::new(Cell::new(0));
    let r = Rc::clone(&rounds);
    ex.spawn(async move {
        for _ in 0..3 {
            r.set(r.get() + 1);
            yield_now().await;
        }
    });
    for expected in 1..=3 {
        assert_eq!(ex.run_ready(), 1);
        assert_eq!(rounds.get(), expected);
    }
    assert_eq!(ex.run_ready(), 1, "the last poll finishes it");
    assert!(ex.is_idle());
}

#[test]
fn a_join_handle_wakes_the_task_awaiting_it() {
    let ex = Rc::new(Executor::new(4));
    let gate = Gate::default();
    let worker = ex.spawn(gate.clone());
    let waiter = ex.spawn(async move { worker.await + 100 });
    ex.run_ready();
    ex.run_ready();
    assert!(!waiter.is_finished());
    gate.open();
    gate.waker().wake();
    assert_eq!(ex.run_ready(), 1, "the worker finishes");
    assert_eq!(ex.run_ready(), 1, "which wakes the waiter");
    let mut waiter = waiter;
    assert_eq!(waiter.try_take(), Some(102));
}

#[test]
fn tasks_can_spawn_tasks() {
    let ex: &'static Executor = Box::leak(Box::new(Executor::new(4)));
    let handle = ex.spawn(async move {
        let inner = ex.spawn(async { 5 });
        inner.await * 2
    });
    while ex.run_ready() > 0 {}
    let mut handle = handle;
    assert_eq!(handle.try_take(), Some(10));
}

#[test]
fn wakes_from_other_threads_reach_the_executor() {
    const TASKS: usize = 8;
    let ex = Executor::new(TASKS);
    let gates: Vec<Gate> = (0..TASKS).map(|_| Gate::default()).collect();
    let handles: Vec<_> = gates.iter().map(|g| ex.spawn(g.clone())).collect();
    ex.run_ready();
    let shared: Vec<_> = gates
        .iter()
        .map(|g| (Arc::clone(&g.open), g.waker()))
        .collect();
    let thread = std::thread::spawn(move || {
        for (open, waker) in shared {
            *open.lock().unwrap() = true;
            // Wake several times from here, racing with the executor.
            for _ in 0..3 {
                waker.wake_by_ref();
                std::thread::yield_now();
            }
        }
    });
    let mut finished = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while finished < TASKS {
        ex.run_ready();
        finished = handles.iter().filter(|h| h.is_finished()).count();
        assert!(std::time::Instant::now() < deadline, "wake-ups lost");
        std::thread::yield_now();
    }
    thread.join().unwrap();
    ex.run_ready();
    assert!(ex.is_idle());
    assert_eq!(ex.task_count(), 0);
    for gate in &gates {
        // First poll, then one per wake that found it not queued: at most 4.
        assert!((2..=4).contains(&gate.polls.get()));
    }
}

static NOTIFIED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn notify() {
    NOTIFIED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

#[test]
fn the_notify_hook_runs_on_each_wake_that_queues() {
    let ex = Executor::with_notify(2, notify);
    let gate = Gate::default();
    ex.spawn(gate.clone());
    ex.run_ready();
    let before = NOTIFIED.load(std::sync::atomic::Ordering::SeqCst);
    gate.waker().wake_by_ref();
    gate.waker().wake_by_ref(); // already queued: no second notification
    assert_eq!(
        NOTIFIED.load(std::sync::atomic::Ordering::SeqCst),
        before + 1
    );
}
