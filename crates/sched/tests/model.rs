//! Randomized test: thousands of random scheduler operations, each applied to
//! the real [`Scheduler`] and to a deliberately naive model (plain vectors,
//! linear searches), comparing every result and the whole state after each
//! step. Independently of the model, the invariants the scheduler promises
//! are checked after every step:
//!
//! - exactly one thread is `Running`, and it is `current()`;
//! - every `Ready` thread but idle is in the ready queue exactly once, every
//!   sleeper in the sleep queue under its deadline, every waiter in its key's
//!   wait queue, and no thread is in two queues;
//! - a sleeper never wakes before its deadline, and none is left asleep past a
//!   tick that reached its deadline;
//! - round-robin fairness: a thread entering the ready queue behind `p` others
//!   runs within `p + 1` switches;
//! - the CPU times of all threads, reaped ones included, add up to the time
//!   elapsed.

use sched::{
    BlockReason, ExitStatus, IDLE, Join, SchedError, Scheduler, State, Switch, ThreadId, WaitKey,
};
use std::collections::{BTreeMap, BTreeSet};

const SLICE: u64 = 10;
const START: u64 = 1_000;
const KEYS: [WaitKey; 3] = [WaitKey(0x10), WaitKey(0x20), WaitKey(0x30)];

use xorshift::XorShift64 as XorShift;

/// What the test compares of a reaped thread: id, status, data, cpu time.
type ReapedView = (ThreadId, ExitStatus, u64, u64);

/// The naive model.
struct Model {
    now: u64,
    current: ThreadId,
    next_id: u64,
    slice_start: u64,
    states: BTreeMap<ThreadId, State>,
    cpu: BTreeMap<ThreadId, u64>,
    ready: Vec<ThreadId>,
    /// (key, thread) in the order they started waiting.
    waits: Vec<(WaitKey, ThreadId)>,
    sleepers: Vec<(u64, ThreadId)>,
    /// target -> its joiner
    joiner: BTreeMap<ThreadId, ThreadId>,
    /// joiner -> its target
    joining: BTreeMap<ThreadId, ThreadId>,
    detached: BTreeSet<ThreadId>,
    dead: Vec<ThreadId>,
    charged_until: u64,
}

impl Model {
    fn new() -> Model {
        Model {
            now: START,
            current: IDLE,
            next_id: 1,
            slice_start: START,
            states: BTreeMap::from([(IDLE, State::Running)]),
            cpu: BTreeMap::from([(IDLE, 0)]),
            ready: Vec::new(),
            waits: Vec::new(),
            sleepers: Vec::new(),
            joiner: BTreeMap::new(),
            joining: BTreeMap::new(),
            detached: BTreeSet::new(),
            dead: Vec::new(),
            charged_until: START,
        }
    }

    fn charge(&mut self) {
        *self.cpu.get_mut(&self.current).unwrap() += self.now - self.charged_until;
        self.charged_until = self.now;
    }

    fn dispatch(&mut self, next: ThreadId) -> Switch {
        let from = self.current;
        self.states.insert(next, State::Running);
        self.current = next;
        self.slice_start = self.now;
        Switch { from, to: next }
    }

    fn pick(&mut self) -> ThreadId {
        if self.ready.is_empty() {
            IDLE
        } else {
            self.ready.remove(0)
        }
    }

    fn make_ready(&mut self, id: ThreadId) {
        self.states.insert(id, State::Ready);
        self.ready.push(id);
    }

    fn spawn(&mut self) -> ThreadId {
        let id = ThreadId(self.next_id);
        self.next_id += 1;
        self.states.insert(id, State::Ready);
        self.cpu.insert(id, 0);
        self.ready.push(id);
        id
    }

    fn advance(&mut self) {
        self.charge();
        let mut expired: Vec<_> = self
            .sleepers
            .iter()
            .copied()
            .filter(|&(until, _)| until <= self.now)
            .collect();
        expired.sort();
        self.sleepers.retain(|&(until, _)| until > self.now);
        for (_, id) in expired {
            self.make_ready(id);
        }
    }

    fn tick(&mut self) -> Option<Switch> {
        self.advance();
        let slice_over = self.now - self.slice_start >= SLICE;
        if !self.ready.is_empty() && (self.current == IDLE || slice_over) {
            self.yield_now()
        } else {
            None
        }
    }

    fn yield_now(&mut self) -> Option<Switch> {
        self.charge();
        if self.ready.is_empty() {
            return None;
        }
        let next = self.ready.remove(0);
        let me = self.current;
        self.states.insert(me, State::Ready);
        if me != IDLE {
            self.ready.push(me);
        }
        Some(self.dispatch(next))
    }

    fn block(&mut self, state: State) -> Switch {
        self.charge();
        self.states.insert(self.current, state);
        let next = self.pick();
        self.dispatch(next)
    }

    fn wait(&mut self, key: WaitKey) -> Switch {
        self.waits.push((key, self.current));
        self.block(State::Blocked(BlockReason::Wait(key)))
    }

    fn wake_one(&mut self, key: WaitKey) -> Option<ThreadId> {
        let index = self.waits.iter().position(|&(k, _)| k == key)?;
        let (_, id) = self.waits.remove(index);
        self.make_ready(id);
        Some(id)
    }

    fn wake_all(&mut self, key: WaitKey) -> usize {
        let mut count = 0;
        while self.wake_one(key).is_some() {
            count += 1;
        }
        count
    }

    fn sleep(&mut self, until: u64) -> Option<Switch> {
        self.charge();
        if until <= self.now {
            return None;
        }
        self.sleepers.push((until, self.current));
        Some(self.block(State::Sleeping { until }))
    }

    fn finish(&mut self, id: ThreadId, status: ExitStatus) {
        self.states.insert(id, State::Exited(status));
        if let Some(target) = self.joining.remove(&id) {
            self.joiner.remove(&target);
        }
        if let Some(&j) = self.joiner.get(&id)
            && self.states[&j] == State::Blocked(BlockReason::Join(id))
        {
            self.make_ready(j);
        }
        if self.detached.contains(&id) {
            self.dead.push(id);
        }
    }

    fn exit(&mut self, status: ExitStatus) -> Switch {
        self.charge();
        self.finish(self.current, status);
        let next = self.pick();
        self.dispatch(next)
    }

    fn kill(&mut self, id: ThreadId) -> Result<Option<Switch>, SchedError> {
        self.charge();
        if id == IDLE {
            return Err(SchedError::Idle);
        }
        match self.states.get(&id) {
            None => return Err(SchedError::NoSuchThread),
            Some(State::Exited(_)) => return Err(SchedError::AlreadyExited),
            Some(State::Running) => return Ok(Some(self.exit(ExitStatus::Killed))),
            _ => {}
        }
        self.ready.retain(|&r| r != id);
        self.waits.retain(|&(_, w)| w != id);
        self.sleepers.retain(|&(_, s)| s != id);
        self.finish(id, ExitStatus::Killed);
        Ok(None)
    }

    fn reap(&mut self, id: ThreadId) -> ReapedView {
        let State::Exited(status) = self.states.remove(&id).unwrap() else {
            panic!("model reaps a live thread")
        };
        self.joiner.remove(&id);
        self.detached.remove(&id);
        (id, status, id.0, self.cpu.remove(&id).unwrap())
    }

    fn join(&mut self, target: ThreadId) -> Result<Result<ReapedView, Switch>, SchedError> {
        self.charge();
        let me = self.current;
        if target == IDLE {
            return Err(SchedError::Idle);
        }
        if target == me {
            return Err(SchedError::Myself);
        }
        let Some(&state) = self.states.get(&target) else {
            return Err(SchedError::NoSuchThread);
        };
        if self.joiner.get(&target).is_some_and(|&j| j != me) {
            return Err(SchedError::AlreadyJoined);
        }
        if self.detached.contains(&target) {
            return Err(SchedError::Detached);
        }
        if let State::Exited(_) = state {
            self.joining.remove(&me);
            return Ok(Ok(self.reap(target)));
        }
        self.joiner.insert(target, me);
        self.joining.insert(me, target);
        Ok(Err(self.block(State::Blocked(BlockReason::Join(target)))))
    }

    fn detach(&mut self, id: ThreadId) -> Result<Option<ReapedView>, SchedError> {
        if id == IDLE {
            return Err(SchedError::Idle);
        }
        let Some(&state) = self.states.get(&id) else {
            return Err(SchedError::NoSuchThread);
        };
        if self.joiner.contains_key(&id) {
            return Err(SchedError::AlreadyJoined);
        }
        if self.detached.contains(&id) {
            return Err(SchedError::Detached);
        }
        if let State::Exited(_) = state {
            return Ok(Some(self.reap(id)));
        }
        self.detached.insert(id);
        Ok(None)
    }

    fn take_dead(&mut self) -> Option<ReapedView> {
        let id = self.dead.pop()?;
        Some(self.reap(id))
    }
}

fn view(r: sched::Reaped<u64>) -> ReapedView {
    (r.id, r.status, r.data, r.cpu_time)
}

struct Tester {
    s: Scheduler<u64>,
    m: Model,
    rng: XorShift,
    reaped_cpu: u64,
    /// Ready threads: (switch count when they entered the queue, threads ahead).
    entered: BTreeMap<ThreadId, (u64, usize)>,
    max_wait_seen: u64,
    counts: BTreeMap<&'static str, u64>,
}

impl Tester {
    fn new(seed: u64) -> Tester {
        Tester {
            s: Scheduler::new(SLICE, START, 0),
            m: Model::new(),
            rng: XorShift(seed),
            reaped_cpu: 0,
            entered: BTreeMap::new(),
            max_wait_seen: 0,
            counts: BTreeMap::new(),
        }
    }

    /// Some thread id: usually a live one, sometimes idle, a reaped one or one
    /// that never existed.
    fn any_id(&mut self) -> ThreadId {
        let live: Vec<_> = self.m.states.keys().copied().collect();
        match self.rng.below_u64(10) {
            0 => IDLE,
            1 => ThreadId(self.rng.below_u64(self.m.next_id + 3)),
            _ => live[self.rng.below_u64(live.len() as u64) as usize],
        }
    }

    fn step(&mut self) {
        let before: BTreeMap<ThreadId, State> =
            self.s.threads().map(|t| (t.id(), t.state())).collect();
        let idle = self.m.current == IDLE;
        let op = self.rng.below_u64(14);
        let name = match op {
            0 | 1 if self.m.states.len() < 14 => {
                let id = self.s.spawn("t", self.m.next_id);
                assert_eq!(id, self.m.spawn());
                "spawn"
            }
            2 | 3 => {
                self.m.now += self.rng.below_u64(2 * SLICE);
                assert_eq!(self.s.on_tick(self.m.now), self.m.tick());
                self.check_no_overdue_sleeper();
                "tick"
            }
            4 => {
                self.m.now += self.rng.below_u64(SLICE);
                self.s.advance_time(self.m.now);
                self.m.advance();
                self.check_no_overdue_sleeper();
                "advance"
            }
            5 => {
                assert_eq!(self.s.yield_current(self.m.now), self.m.yield_now());
                "yield"
            }
            6 if !idle => {
                let key = KEYS[self.rng.below_u64(3) as usize];
                assert_eq!(self.s.wait(self.m.now, key), self.m.wait(key));
                "wait"
            }
            7 => {
                let key = KEYS[self.rng.below_u64(3) as usize];
                if self.rng.below_u64(3) == 0 {
                    assert_eq!(self.s.wake_all(key), self.m.wake_all(key));
                    "wake_all"
                } else {
                    assert_eq!(self.s.wake_one(key), self.m.wake_one(key));
                    "wake_one"
                }
            }
            8 if !idle => {
                let until = self.m.now + self.rng.below_u64(4 * SLICE);
                assert_eq!(self.s.sleep_current(self.m.now, until), self.m.sleep(until));
                "sleep"
            }
            9 if !idle => {
                let status = ExitStatus::Returned(self.rng.below_u64(5) as i64);
                assert_eq!(self.s.exit_current(self.m.now, status), self.m.exit(status));
                "exit"
            }
            10 => {
                let id = self.any_id();
                assert_eq!(self.s.kill(self.m.now, id), self.m.kill(id));
                "kill"
            }
            11 if !idle => {
                let id = self.any_id();
                let real = self.s.join(self.m.now, id).map(|j| match j {
                    Join::Done(r) => Ok(view(r)),
                    Join::Wait(switch) => Err(switch),
                });
                let expected = self.m.join(id);
                assert_eq!(real, expected);
                if let Ok(Ok(reaped)) = real {
                    self.reaped_cpu += reaped.3;
                }
                "join"
            }
            12 => {
                let id = self.any_id();
                let real = self.s.detach(id).map(|r| r.map(view));
                assert_eq!(real, self.m.detach(id));
                if let Ok(Some(reaped)) = real {
                    self.reaped_cpu += reaped.3;
                }
                "detach"
            }
            13 => {
                let real = self.s.take_dead().map(view);
                assert_eq!(real, self.m.take_dead());
                if let Some(reaped) = real {
                    self.reaped_cpu += reaped.3;
                }
                "take_dead"
            }
            _ => "skipped",
        };
        *self.counts.entry(name).or_default() += 1;
        self.compare_with_model();
        self.check_invariants(&before);
    }

    fn compare_with_model(&self) {
        let m = &self.m;
        assert_eq!(self.s.current(), m.current);
        let states: BTreeMap<_, _> = self.s.threads().map(|t| (t.id(), t.state())).collect();
        assert_eq!(states, m.states);
        let cpu: BTreeMap<_, _> = self.s.threads().map(|t| (t.id(), t.cpu_time())).collect();
        assert_eq!(cpu, m.cpu);
        assert_eq!(self.s.ready().collect::<Vec<_>>(), m.ready);
        for key in KEYS {
            let expected: Vec<_> = m
                .waits
                .iter()
                .filter(|&&(k, _)| k == key)
                .map(|&(_, id)| id)
                .collect();
            assert_eq!(self.s.waiters(key).collect::<Vec<_>>(), expected);
        }
        let mut sleepers = m.sleepers.clone();
        sleepers.sort();
        assert_eq!(self.s.sleepers().collect::<Vec<_>>(), sleepers);
        for t in self.s.threads() {
            assert_eq!(t.data(), &t.id().0, "data follows its thread");
        }
    }

    fn check_invariants(&mut self, before: &BTreeMap<ThreadId, State>) {
        let s = &self.s;
        let running: Vec<_> = s
            .threads()
            .filter(|t| t.state() == State::Running)
            .map(|t| t.id())
            .collect();
        assert_eq!(running, [s.current()], "exactly one running thread");

        // Queue membership agrees with the states; no thread in two queues.
        let mut queued: BTreeMap<ThreadId, usize> = BTreeMap::new();
        for id in s.ready() {
            *queued.entry(id).or_default() += 1;
            assert_eq!(s.thread(id).unwrap().state(), State::Ready);
            assert_ne!(id, IDLE);
        }
        for (until, id) in s.sleepers() {
            *queued.entry(id).or_default() += 1;
            assert_eq!(s.thread(id).unwrap().state(), State::Sleeping { until });
        }
        for key in s.wait_keys().collect::<Vec<_>>() {
            for id in s.waiters(key) {
                *queued.entry(id).or_default() += 1;
                let waiting = State::Blocked(BlockReason::Wait(key));
                assert_eq!(s.thread(id).unwrap().state(), waiting);
            }
        }
        for t in s.threads() {
            let expected = match t.state() {
                State::Ready if t.id() != IDLE => 1,
                State::Sleeping { .. } | State::Blocked(BlockReason::Wait(_)) => 1,
                _ => 0,
            };
            let found = queued.get(&t.id()).copied().unwrap_or(0);
            assert_eq!(found, expected, "{:?} in {found} queues", t.id());
            if let State::Blocked(BlockReason::Join(target)) = t.state() {
                let target = s.thread(target).expect("join target alive");
                assert!(!matches!(target.state(), State::Exited(_)));
            }
        }

        // Sleepers never wake early.
        for (id, state) in before {
            if let State::Sleeping { until } = *state {
                let now_state = s.thread(*id).map(|t| t.state());
                if matches!(now_state, Some(State::Ready | State::Running)) {
                    assert!(self.m.now >= until, "{id:?} woke before {until}");
                }
            }
        }

        // Round-robin fairness.
        let switches = s.switches();
        let ready: Vec<_> = s.ready().collect();
        self.entered.retain(|id, _| ready.contains(id));
        for (ahead, &id) in ready.iter().enumerate() {
            let &mut (since, allowed) = self.entered.entry(id).or_insert((switches, ahead));
            let waited = switches - since;
            self.max_wait_seen = self.max_wait_seen.max(waited);
            assert!(waited <= allowed as u64, "{id:?} waited {waited} switches");
        }

        // CPU time adds up to the time elapsed.
        let live: u64 = s.threads().map(|t| t.cpu_time()).sum();
        assert_eq!(live + self.reaped_cpu, self.m.charged_until - START);
    }

    fn check_no_overdue_sleeper(&self) {
        if let Some(deadline) = self.s.next_deadline() {
            assert!(
                deadline > self.m.now,
                "a sleeper is overdue at {}",
                self.m.now
            );
        }
    }
}

#[test]
fn random_operations_agree_with_the_model_and_keep_the_invariants() {
    for seed in 1..=20u64 {
        let mut t = Tester::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for _ in 0..2_000 {
            t.step();
        }
        // Every kind of operation was exercised, and so were the interesting
        // outcomes.
        for op in [
            "spawn",
            "tick",
            "advance",
            "yield",
            "wait",
            "wake_one",
            "wake_all",
            "sleep",
            "exit",
            "kill",
            "join",
            "detach",
            "take_dead",
        ] {
            assert!(
                t.counts.get(op).copied().unwrap_or(0) > 10,
                "seed {seed}: few {op}"
            );
        }
        assert!(
            t.s.switches() > 300,
            "seed {seed}: only {} switches",
            t.s.switches()
        );
        assert!(t.max_wait_seen >= 2, "fairness was exercised with queues");
    }
}
