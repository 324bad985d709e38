//! One test per scheduler operation, on small hand-made scenarios.

use sched::{
    BlockReason, ExitStatus, IDLE, Join, SchedError, Scheduler, State, Switch, ThreadId, WaitKey,
};

const SLICE: u64 = 10;

fn sched() -> Scheduler<&'static str> {
    Scheduler::new(SLICE, 0, "idle-data")
}

fn state(s: &Scheduler<&'static str>, id: ThreadId) -> State {
    s.thread(id).expect("thread exists").state()
}

fn switch(from: ThreadId, to: ThreadId) -> Option<Switch> {
    Some(Switch { from, to })
}

#[test]
fn starts_with_idle_running_and_a_tick_leaves_idle_for_a_new_thread() {
    let mut s = sched();
    assert_eq!(s.current(), IDLE);
    assert_eq!(state(&s, IDLE), State::Running);
    assert_eq!(s.on_tick(1), None, "nothing ready: idle keeps running");
    let a = s.spawn("a", "a-data");
    assert_eq!(state(&s, a), State::Ready);
    assert_eq!(s.ready().collect::<Vec<_>>(), [a]);
    assert_eq!(s.on_tick(2), switch(IDLE, a), "idle gives way at once");
    assert_eq!(state(&s, IDLE), State::Ready);
    assert_eq!(s.ready().count(), 0, "idle is never queued");
}

#[test]
fn round_robin_preempts_only_when_the_slice_is_used_up() {
    let mut s = sched();
    let [a, b, c] = ["a", "b", "c"].map(|n| s.spawn(n, n));
    assert_eq!(s.on_tick(0), switch(IDLE, a));
    assert_eq!(s.on_tick(SLICE - 1), None, "a's slice is not over");
    assert_eq!(s.on_tick(SLICE), switch(a, b));
    assert_eq!(s.on_tick(2 * SLICE), switch(b, c));
    assert_eq!(s.on_tick(3 * SLICE), switch(c, a));
    assert_eq!(s.ready().collect::<Vec<_>>(), [b, c]);
}

#[test]
fn a_lone_thread_is_not_preempted() {
    let mut s = sched();
    let a = s.spawn("a", "a");
    s.on_tick(0);
    assert_eq!(s.on_tick(5 * SLICE), None);
    assert_eq!(s.current(), a);
}

#[test]
fn yield_goes_to_the_back_or_keeps_running_when_alone() {
    let mut s = sched();
    let a = s.spawn("a", "a");
    s.on_tick(0);
    assert_eq!(s.yield_current(1), None);
    assert_eq!(state(&s, a), State::Running);
    let b = s.spawn("b", "b");
    assert_eq!(s.yield_current(2), switch(a, b));
    assert_eq!(s.ready().collect::<Vec<_>>(), [a]);
    assert_eq!(s.yield_current(3), switch(b, a));
}

#[test]
fn wait_queues_wake_in_fifo_order_and_wake_all_empties_them() {
    let mut s = sched();
    let key = WaitKey(0x1000);
    let [a, b, c] = ["a", "b", "c"].map(|n| s.spawn(n, n));
    s.on_tick(0);
    assert_eq!(s.wait(1, key), Switch { from: a, to: b });
    assert_eq!(s.wait(2, key), Switch { from: b, to: c });
    assert_eq!(s.wait(3, key), Switch { from: c, to: IDLE });
    assert_eq!(state(&s, b), State::Blocked(BlockReason::Wait(key)));
    assert_eq!(s.waiters(key).collect::<Vec<_>>(), [a, b, c]);
    assert_eq!(s.wake_one(WaitKey(0x2000)), None, "other key: nobody");
    assert_eq!(s.wake_one(key), Some(a));
    assert_eq!(state(&s, a), State::Ready);
    assert_eq!(s.wake_all(key), 2);
    assert_eq!(s.ready().collect::<Vec<_>>(), [a, b, c]);
    assert_eq!(s.wait_keys().count(), 0, "empty queues are dropped");
    assert_eq!(s.wake_all(key), 0);
}

#[test]
fn wake_takes_a_sleeper_or_waiter_out_of_its_queue_and_nothing_else() {
    let mut s = sched();
    let key = WaitKey(0x1000);
    let [a, b, c] = ["a", "b", "c"].map(|n| s.spawn(n, n));
    s.on_tick(0);
    assert_eq!(s.sleep_current(1, 50), switch(a, b));
    assert_eq!(s.wait(2, key), Switch { from: b, to: c });
    assert!(!s.wake(c), "the running thread is not woken");
    assert!(s.wake(a));
    assert_eq!(state(&s, a), State::Ready);
    assert_eq!(s.next_deadline(), None, "a left the sleep queue");
    assert!(!s.wake(a), "a ready thread is not woken twice");
    assert!(s.wake(b));
    assert_eq!(s.waiters(key).count(), 0, "b left the wait queue");
    assert_eq!(s.wait_keys().count(), 0);
    assert_eq!(s.ready().collect::<Vec<_>>(), [a, b]);
    assert!(!s.wake(ThreadId(999)));
}

#[test]
fn wait_key_of_names_an_address() {
    let x = [1u32, 2];
    assert_eq!(WaitKey::of(&x[1]).0, WaitKey::of(&x[0]).0 + 4);
}

#[test]
fn sleepers_wake_at_their_deadline_not_before() {
    let mut s = sched();
    let [a, b] = ["a", "b"].map(|n| s.spawn(n, n));
    s.on_tick(0);
    assert_eq!(
        s.sleep_current(0, 0),
        None,
        "a past deadline does not sleep"
    );
    assert_eq!(s.sleep_current(1, 50), switch(a, b));
    assert_eq!(state(&s, a), State::Sleeping { until: 50 });
    assert_eq!(s.sleep_current(2, 30), switch(b, IDLE));
    assert_eq!(s.next_deadline(), Some(30));
    assert_eq!(s.on_tick(29), None);
    assert_eq!(s.on_tick(35), switch(IDLE, b));
    assert_eq!(state(&s, a), State::Sleeping { until: 50 });
    s.advance_time(50);
    assert_eq!(state(&s, a), State::Ready);
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn join_after_exit_collects_at_once() {
    let mut s = sched();
    let [a, b] = ["a", "b"].map(|n| s.spawn(n, n));
    s.on_tick(0);
    assert_eq!(
        s.exit_current(4, ExitStatus::Returned(7)),
        Switch { from: a, to: b }
    );
    assert_eq!(state(&s, a), State::Exited(ExitStatus::Returned(7)));
    let Ok(Join::Done(reaped)) = s.join(5, a) else {
        panic!("a has exited")
    };
    assert_eq!(
        (reaped.id, reaped.status, reaped.data),
        (a, ExitStatus::Returned(7), "a")
    );
    assert_eq!(reaped.name, "a");
    assert_eq!(reaped.cpu_time, 4);
    assert!(s.thread(a).is_none());
    assert_eq!(s.join(6, a).unwrap_err(), SchedError::NoSuchThread);
}

#[test]
fn join_before_exit_waits_and_the_exit_wakes_the_joiner() {
    let mut s = sched();
    let [a, b] = ["a", "b"].map(|n| s.spawn(n, n));
    s.on_tick(0);
    let Ok(Join::Wait(sw)) = s.join(1, b) else {
        panic!("b is alive")
    };
    assert_eq!(sw, Switch { from: a, to: b });
    assert_eq!(state(&s, a), State::Blocked(BlockReason::Join(b)));
    assert_eq!(
        s.exit_current(2, ExitStatus::Crashed),
        Switch { from: b, to: a }
    );
    let Ok(Join::Done(reaped)) = s.join(3, b) else {
        panic!("b has exited")
    };
    assert_eq!(reaped.status, ExitStatus::Crashed);
}

#[test]
fn join_refuses_idle_itself_a_second_joiner_and_detached_threads() {
    let mut s = sched();
    let [a, b, c, d] = ["a", "b", "c", "d"].map(|n| s.spawn(n, n));
    s.on_tick(0);
    assert_eq!(s.join(0, IDLE).unwrap_err(), SchedError::Idle);
    assert_eq!(s.join(0, a).unwrap_err(), SchedError::Myself);
    assert_eq!(
        s.join(0, ThreadId(99)).unwrap_err(),
        SchedError::NoSuchThread
    );
    assert!(matches!(s.detach(d), Ok(None)));
    assert_eq!(s.join(0, d).unwrap_err(), SchedError::Detached);
    assert!(matches!(s.join(1, c), Ok(Join::Wait(_))));
    assert_eq!(s.current(), b);
    assert_eq!(s.join(2, c).unwrap_err(), SchedError::AlreadyJoined);
    assert_eq!(s.detach(c).unwrap_err(), SchedError::AlreadyJoined);
}

#[test]
fn a_killed_joiner_frees_its_target_for_another_joiner() {
    let mut s = sched();
    let [a, b, c] = ["a", "b", "c"].map(|n| s.spawn(n, n));
    s.on_tick(0);
    assert!(matches!(s.join(1, c), Ok(Join::Wait(_))));
    assert_eq!(s.kill(2, a), Ok(None));
    assert_eq!(s.current(), b);
    assert!(
        matches!(s.join(3, c), Ok(Join::Wait(_))),
        "c has no joiner any more"
    );
}

#[test]
fn kill_takes_a_thread_out_of_whichever_queue_it_is_in() {
    let mut s = sched();
    let key = WaitKey(8);
    let [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map(|n| s.spawn(n, n));
    s.on_tick(0);
    s.sleep_current(1, 100); // a sleeps
    s.wait(2, key); // b waits
    assert!(matches!(s.join(3, e), Ok(Join::Wait(_)))); // c joins e
    assert_eq!(s.current(), d);
    for id in [a, b, c, e] {
        assert_eq!(s.kill(4, id), Ok(None), "kill {id:?}");
        assert_eq!(state(&s, id), State::Exited(ExitStatus::Killed));
    }
    assert_eq!(s.sleepers().count(), 0);
    assert_eq!(s.waiters(key).count(), 0);
    assert_eq!(s.ready().count(), 0);
    assert_eq!(s.on_tick(1000), None, "the killed sleeper never wakes");
    assert_eq!(s.wake_one(key), None, "the killed waiter is not woken");
    assert_eq!(s.kill(5, a).unwrap_err(), SchedError::AlreadyExited);
    assert_eq!(s.kill(5, IDLE).unwrap_err(), SchedError::Idle);
    assert_eq!(
        s.kill(5, ThreadId(42)).unwrap_err(),
        SchedError::NoSuchThread
    );
    assert_eq!(
        s.kill(6, d),
        Ok(Some(Switch { from: d, to: IDLE })),
        "killing oneself"
    );
}

#[test]
fn detached_threads_are_reaped_by_take_dead() {
    let mut s = sched();
    let [a, b] = ["a", "b"].map(|n| s.spawn(n, n));
    assert!(s.detach(a).unwrap().is_none());
    assert_eq!(s.detach(a).unwrap_err(), SchedError::Detached);
    s.on_tick(0);
    assert!(s.take_dead().is_none());
    s.exit_current(3, ExitStatus::Returned(0));
    let dead = s.take_dead().expect("a is dead and detached");
    assert_eq!((dead.id, dead.data), (a, "a"));
    assert!(s.thread(a).is_none());
    // Detaching an exited thread reaps it on the spot.
    s.exit_current(4, ExitStatus::Returned(1));
    assert_eq!(s.detach(b).unwrap().map(|r| r.id), Some(b));
    assert!(s.take_dead().is_none());
}

#[test]
fn cpu_time_is_charged_to_whoever_ran() {
    let mut s = Scheduler::new(SLICE, 100, ());
    let [a, b] = ["a", "b"].map(|n| s.spawn(n, ()));
    s.on_tick(103); // idle ran 3
    s.on_tick(113); // a ran 10
    s.wait(120, WaitKey(1)); // b ran 7, a takes over
    s.exit_current(125, ExitStatus::Returned(0)); // a ran 5 more, idle takes over
    s.on_tick(129); // idle ran 4 more
    let cpu = |id| s.thread(id).unwrap().cpu_time();
    assert_eq!((cpu(IDLE), cpu(a), cpu(b)), (7, 15, 7));
    s.on_tick(90); // time going backwards counts as nothing
    assert_eq!(s.threads().map(|t| t.cpu_time()).sum::<u64>(), 29);
}

#[test]
fn switch_data_gives_both_sides_in_order() {
    let mut s = Scheduler::new(SLICE, 0, 0u32);
    let a = s.spawn("a", 1);
    let b = s.spawn("b", 2);
    let sw = s.on_tick(0).unwrap();
    let (from, to) = s.switch_data(sw);
    assert_eq!((*from, *to), (0, 1));
    *from = 10;
    let sw = s.yield_current(1).unwrap();
    assert_eq!(sw, Switch { from: a, to: b });
    let (from, to) = s.switch_data(Switch { from: b, to: IDLE });
    assert_eq!((*from, *to), (2, 10), "works with from > to as well");
}

#[test]
fn with_main_starts_in_thread_one_and_idle_runs_only_when_it_blocks() {
    let mut s = Scheduler::with_main(SLICE, 0, "main", "main-data", "idle-data");
    let main = s.current();
    assert_eq!(main, ThreadId(1));
    assert_eq!(s.thread(main).map(|t| t.name()), Some("main"));
    assert_eq!(state(&s, main), State::Running);
    assert_eq!(state(&s, IDLE), State::Ready);
    assert_eq!(s.ready().count(), 0, "idle is never queued");
    assert_eq!(
        s.on_tick(SLICE * 3),
        None,
        "a lone main thread keeps running"
    );
    let a = s.spawn("a", "a-data");
    assert_eq!(a, ThreadId(2));
    assert_eq!(s.sleep_current(SLICE * 3, SLICE * 5), switch(main, a));
    assert_eq!(
        s.wait(SLICE * 4, WaitKey(7)),
        Switch { from: a, to: IDLE },
        "nothing ready: the idle thread takes over"
    );
    assert_eq!(state(&s, IDLE), State::Running);
    assert_eq!(s.on_tick(SLICE * 5), switch(IDLE, main), "main wakes up");
    let total: u64 = s.threads().map(|t| t.cpu_time()).sum();
    assert_eq!(total, SLICE * 5, "CPU times add up to the elapsed time");
}

#[test]
fn state_names_follow_a_threads_life() {
    let mut s = sched();
    let name = |s: &Scheduler<&'static str>, id| state(s, id).name();
    let (a, b, c) = (s.spawn("a", "a"), s.spawn("b", "b"), s.spawn("c", "c"));
    assert_eq!(name(&s, a), "ready");
    assert_eq!(s.on_tick(1), switch(IDLE, a));
    assert_eq!(name(&s, a), "running");
    assert!(s.sleep_current(2, 100).is_some());
    assert_eq!(name(&s, a), "sleeping");
    assert_eq!(s.current(), b);
    let _ = s.wait(3, WaitKey(7));
    assert_eq!(name(&s, b), "blocked(wait)");
    assert_eq!(s.current(), c);
    let Ok(Join::Wait(_)) = s.join(4, b) else {
        panic!("c waits for b")
    };
    assert_eq!(name(&s, c), "blocked(join)");
    s.kill(5, b).unwrap();
    assert_eq!(name(&s, b), "exited(killed)");
    let d = s.spawn("d", "d");
    assert_eq!(s.kill(6, a), Ok(None));
    assert_eq!(name(&s, a), "exited(killed)");
    // c was woken by b's end and is ready; let d run and return, then c crash.
    while s.current() != d {
        let _ = s.yield_current(7);
        if s.current() == IDLE {
            let _ = s.on_tick(7);
        }
    }
    let _ = s.exit_current(8, ExitStatus::Returned(0));
    assert_eq!(name(&s, d), "exited");
    while s.current() != c {
        let _ = s.on_tick(9);
        let _ = s.yield_current(9);
    }
    let _ = s.exit_current(10, ExitStatus::Crashed);
    assert_eq!(name(&s, c), "exited(crashed)");
}
