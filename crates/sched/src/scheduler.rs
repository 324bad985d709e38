//! The scheduler: which thread runs next, and the bookkeeping around it.
//!
//! # Decisions, not switches
//!
//! Every operation that can change the running thread (`on_tick`,
//! `yield_current`, `wait`, `sleep_current`, `exit_current`, `join`, `kill`)
//! updates the records and returns a [`Switch`] `{ from, to }` when the CPU
//! should move to another thread. The kernel then saves the registers of `from`
//! into its per-thread data and loads those of `to` — this crate never touches
//! a register, so all of it runs and is tested on the host.
//!
//! The kernel must perform the switch right after the decision, with
//! interrupts still disabled: between the two, the records already say `to` is
//! running while the CPU is still on `from`'s stack.
//!
//! # Policy: round-robin with a fixed time slice
//!
//! Ready threads wait in one FIFO queue. The running thread keeps the CPU until
//! it blocks, yields, exits, or has run for a whole `slice` when a timer tick
//! arrives and another thread is ready; then it goes to the back of the queue.
//! So with `n` ready threads, each one runs again after at most `n` others,
//! each for at most a slice plus one tick: nobody starves, and the bound is
//! easy to reason about. Its weakness is that it ignores what threads do: an
//! interactive thread that sleeps most of the time gets no bonus when it wakes.
//! For a kernel with a shell, a few demo threads and one executor thread, that
//! is acceptable, and every other policy (priorities, fair share) is a
//! refinement of the same queue operations.
//!
//! # The idle thread
//!
//! [`IDLE`] runs when the ready queue is empty. It is never in the ready queue
//! and can never block: its loop is "disable interrupts; if `has_ready()`,
//! `yield_current`; else enable interrupts and halt". In the kernel the boot
//! stack becomes the idle thread, so `new` starts with it running.
//!
//! # Time
//!
//! Every operation that takes `now` (a time in a unit the kernel chooses:
//! nanoseconds from the TSC, or ticks) first charges the time since the last
//! such operation to the thread that was running, idle included, so the CPU times of all threads
//! (reaped ones included) add up to the time elapsed since `new`. A `now`
//! smaller than the previous one is treated as no time passing.
//!
//! # Per-thread data stays here
//!
//! `Scheduler<T>` stores the kernel's per-thread data `T` (saved stack pointer,
//! stack allocation) in the thread's record rather than in a second table kept
//! by the kernel: there is one map from `ThreadId` to everything, created by
//! `spawn` and handed back exactly once, in a [`Reaped`], when the thread is
//! gone and its stack may be freed.

use crate::sleep_queue::SleepQueue;
use crate::thread::{BlockReason, ExitStatus, IDLE, Reaped, State, Thread, ThreadId, WaitKey};
use crate::thread_queue::ThreadQueue;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

/// The CPU should stop running `from` and continue `to` (never equal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Switch {
    pub from: ThreadId,
    pub to: ThreadId,
}

/// Why a request about another thread was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedError {
    NoSuchThread,
    /// The idle thread cannot be killed, joined or detached.
    Idle,
    /// A thread cannot join itself.
    Myself,
    AlreadyExited,
    /// Another thread already joins it.
    AlreadyJoined,
    /// It was detached: nobody may join it.
    Detached,
}

/// The result of `join`.
#[derive(Debug)]
pub enum Join<T> {
    /// The target had exited: here is what is left of it.
    Done(Reaped<T>),
    /// The caller now waits for the target; switch away. When the target
    /// exits the caller becomes ready, and calls `join` again to collect it.
    Wait(Switch),
}

#[derive(Debug)]
pub struct Scheduler<T> {
    threads: BTreeMap<ThreadId, Thread<T>>,
    ready: ThreadQueue,
    sleeping: SleepQueue,
    /// Only non-empty queues are kept.
    waiting: BTreeMap<WaitKey, ThreadQueue>,
    /// Detached threads that exited, to be reaped by `take_dead`.
    dead: Vec<ThreadId>,
    current: ThreadId,
    next_id: u64,
    slice: u64,
    /// CPU time has been charged up to this instant.
    accounted_until: u64,
    /// When `current` was given the CPU.
    slice_start: u64,
    switches: u64,
}

impl<T> Scheduler<T> {
    /// A scheduler whose only thread is the running idle thread, with `idle`
    /// as its data. Threads are preempted after running `slice` time units.
    pub fn new(slice: u64, now: u64, idle: T) -> Scheduler<T> {
        assert!(slice > 0, "the time slice must be positive");
        let mut threads = BTreeMap::new();
        threads.insert(
            IDLE,
            new_record(IDLE, String::from("idle"), State::Running, idle),
        );
        Scheduler {
            threads,
            ready: ThreadQueue::new(),
            sleeping: SleepQueue::new(),
            waiting: BTreeMap::new(),
            dead: Vec::new(),
            current: IDLE,
            next_id: 1,
            slice,
            accounted_until: now,
            slice_start: now,
            switches: 0,
        }
    }

    /// A scheduler in which the caller is an ordinary thread, number 1, named
    /// `name` and running, with `main` as its data, while the idle thread
    /// (with `idle` as its data) has not run yet. The kernel uses this so that
    /// the boot code can go on as a thread that may block (join, sleep, lock),
    /// and the idle loop starts on a stack of its own the first time nothing
    /// else is ready.
    pub fn with_main(slice: u64, now: u64, name: &str, main: T, idle: T) -> Scheduler<T> {
        let mut s = Scheduler::new(slice, now, idle);
        let id = ThreadId(s.next_id);
        s.next_id += 1;
        s.threads
            .insert(id, new_record(id, String::from(name), State::Running, main));
        s.thread_mut_or_panic(IDLE).state = State::Ready;
        s.current = id;
        s
    }

    // ----- Looking -----

    pub fn current(&self) -> ThreadId {
        self.current
    }

    pub fn thread(&self, id: ThreadId) -> Option<&Thread<T>> {
        self.threads.get(&id)
    }

    pub fn thread_mut(&mut self, id: ThreadId) -> Option<&mut Thread<T>> {
        self.threads.get_mut(&id)
    }

    /// All threads not yet reaped, idle first, then by id (for `ps`).
    pub fn threads(&self) -> impl Iterator<Item = &Thread<T>> + '_ {
        self.threads.values()
    }

    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The ready queue, front (runs next) to back.
    pub fn ready(&self) -> impl Iterator<Item = ThreadId> + '_ {
        self.ready.iter()
    }

    /// The sleepers, earliest deadline first.
    pub fn sleepers(&self) -> impl Iterator<Item = (u64, ThreadId)> + '_ {
        self.sleeping.iter()
    }

    /// The threads waiting on `key`, in the order they will be woken.
    pub fn waiters(&self, key: WaitKey) -> impl Iterator<Item = ThreadId> + '_ {
        self.waiting.get(&key).into_iter().flat_map(|q| q.iter())
    }

    /// Every key that has waiters.
    pub fn wait_keys(&self) -> impl Iterator<Item = WaitKey> + '_ {
        self.waiting.keys().copied()
    }

    /// The earliest sleeper's deadline.
    pub fn next_deadline(&self) -> Option<u64> {
        self.sleeping.next_deadline()
    }

    /// How many times the running thread changed.
    pub fn switches(&self) -> u64 {
        self.switches
    }

    /// The per-thread data of both sides of a switch, to save into `from` and
    /// load from `to`.
    ///
    /// # Panics
    /// If either thread is gone (`from` cannot be reaped before the switch is
    /// done, see the module comment).
    pub fn switch_data(&mut self, switch: Switch) -> (&mut T, &mut T) {
        let (low, high) = if switch.from < switch.to {
            (switch.from, switch.to)
        } else {
            (switch.to, switch.from)
        };
        assert!(low != high, "a switch from a thread to itself");
        let mut range = self.threads.range_mut(low..=high);
        let first = range.next().filter(|(id, _)| **id == low);
        let last = range.next_back().filter(|(id, _)| **id == high);
        let (Some((_, first)), Some((_, last))) = (first, last) else {
            panic!("switch {switch:?} names a thread that is gone");
        };
        if switch.from == low {
            (&mut first.data, &mut last.data)
        } else {
            (&mut last.data, &mut first.data)
        }
    }

    /// Gives back the memory its queues kept after growing (a queue that once
    /// held 1000 threads keeps room for 1000). Changes no decision.
    pub fn shrink_to_fit(&mut self) {
        self.ready.shrink_to_fit();
        self.dead.shrink_to_fit();
    }

    // ----- Creating -----

    /// A new thread, ready, at the back of the ready queue.
    pub fn spawn(&mut self, name: &str, data: T) -> ThreadId {
        let id = ThreadId(self.next_id);
        self.next_id += 1;
        self.threads
            .insert(id, new_record(id, String::from(name), State::Ready, data));
        self.ready.push_back(id);
        id
    }

    // ----- Decisions -----

    /// The timer interrupt: wakes the sleepers whose deadline has passed, then
    /// preempts the running thread if its slice is used up and another thread
    /// is ready (or at once if the idle thread is running).
    pub fn on_tick(&mut self, now: u64) -> Option<Switch> {
        self.advance_time(now);
        if !self.has_ready() {
            return None;
        }
        let slice_over = now.saturating_sub(self.slice_start) >= self.slice;
        if self.current == IDLE || slice_over {
            self.yield_current(now)
        } else {
            None
        }
    }

    /// Charges CPU time up to `now` and wakes every sleeper whose deadline is
    /// at or before `now` (they join the ready queue in deadline order).
    pub fn advance_time(&mut self, now: u64) {
        self.charge(now);
        while let Some(id) = self.sleeping.pop_expired(now) {
            self.make_ready(id);
        }
    }

    /// The running thread gives up the CPU but stays ready (goes to the back
    /// of the queue). `None` if no other thread is ready: keep running.
    pub fn yield_current(&mut self, now: u64) -> Option<Switch> {
        self.charge(now);
        let next = self.ready.pop_front()?;
        let previous = self.current;
        self.thread_mut_or_panic(previous).state = State::Ready;
        if previous != IDLE {
            self.ready.push_back(previous);
        }
        Some(self.dispatch(next, now))
    }

    /// The running thread waits on `key` until `wake_one`/`wake_all(key)`.
    ///
    /// # Panics
    /// If the running thread is the idle thread (it must never block).
    pub fn wait(&mut self, now: u64, key: WaitKey) -> Switch {
        let me = self.current;
        assert!(me != IDLE, "the idle thread must never block");
        self.waiting.entry(key).or_default().push_back(me);
        self.block_current(now, State::Blocked(BlockReason::Wait(key)))
    }

    /// Wakes the thread that has waited longest on `key`.
    pub fn wake_one(&mut self, key: WaitKey) -> Option<ThreadId> {
        let queue = self.waiting.get_mut(&key)?;
        let id = queue.pop_front();
        if queue.is_empty() {
            self.waiting.remove(&key);
        }
        let id = id?;
        self.make_ready(id);
        Some(id)
    }

    /// Wakes every thread waiting on `key`, oldest first; returns how many.
    pub fn wake_all(&mut self, key: WaitKey) -> usize {
        let Some(mut queue) = self.waiting.remove(&key) else {
            return 0;
        };
        let count = queue.len();
        while let Some(id) = queue.pop_front() {
            self.make_ready(id);
        }
        count
    }

    /// Wakes thread `id` early if it sleeps or waits on a queue (a signal
    /// came for it): it leaves its sleep queue or wait queue and is ready.
    /// Whoever put it there must look again at why it slept (a wait queue's
    /// condition, a sleep's deadline). Whether it was woken.
    pub fn wake(&mut self, id: ThreadId) -> bool {
        let Some(thread) = self.thread(id) else {
            return false;
        };
        match thread.state {
            State::Sleeping { until } => {
                self.sleeping.remove(until, id);
            }
            State::Blocked(BlockReason::Wait(key)) => {
                if let Some(queue) = self.waiting.get_mut(&key) {
                    queue.remove(id);
                    if queue.is_empty() {
                        self.waiting.remove(&key);
                    }
                }
            }
            _ => return false,
        }
        self.make_ready(id);
        true
    }

    /// The running thread sleeps until the clock reaches `until`; it wakes on
    /// the first tick (or `advance_time`) at or after it. `None` if `until`
    /// has already passed: no sleep, keep running.
    ///
    /// # Panics
    /// If the running thread is the idle thread.
    pub fn sleep_current(&mut self, now: u64, until: u64) -> Option<Switch> {
        self.charge(now);
        if until <= now {
            return None;
        }
        let me = self.current;
        assert!(me != IDLE, "the idle thread must never sleep");
        self.sleeping.insert(until, me);
        Some(self.block_current(now, State::Sleeping { until }))
    }

    /// The running thread ends with `status`. Its record stays (as a zombie)
    /// until it is joined, or, if detached, until `take_dead`.
    ///
    /// # Panics
    /// If the running thread is the idle thread.
    pub fn exit_current(&mut self, now: u64, status: ExitStatus) -> Switch {
        let me = self.current;
        assert!(me != IDLE, "the idle thread must never exit");
        self.charge(now);
        self.finish(me, status);
        let next = self.ready.pop_front().unwrap_or(IDLE);
        self.dispatch(next, now)
    }

    /// Ends thread `id` with [`ExitStatus::Killed`], taking it out of whatever
    /// queue it was in: a killed sleeper never wakes, a killed waiter is no
    /// longer woken, a killed joiner stops joining. Killing the running thread
    /// is `exit_current` and returns the switch away from it.
    ///
    /// Killing is abrupt: locks the thread held stay held. The kernel should
    /// only offer it for threads that share no locks (demo threads) or check a
    /// "please exit" flag instead.
    pub fn kill(&mut self, now: u64, id: ThreadId) -> Result<Option<Switch>, SchedError> {
        self.charge(now);
        if id == IDLE {
            return Err(SchedError::Idle);
        }
        let state = self.thread(id).ok_or(SchedError::NoSuchThread)?.state;
        match state {
            State::Exited(_) => return Err(SchedError::AlreadyExited),
            State::Running => return Ok(Some(self.exit_current(now, ExitStatus::Killed))),
            State::Ready => {
                self.ready.remove(id);
            }
            State::Sleeping { until } => {
                self.sleeping.remove(until, id);
            }
            State::Blocked(BlockReason::Wait(key)) => {
                if let Some(queue) = self.waiting.get_mut(&key) {
                    queue.remove(id);
                    if queue.is_empty() {
                        self.waiting.remove(&key);
                    }
                }
            }
            // `finish` clears the target's `joiner` through `joining`.
            State::Blocked(BlockReason::Join(_)) => {}
        }
        self.finish(id, ExitStatus::Killed);
        Ok(None)
    }

    /// The running thread collects `target`: at once if it has exited,
    /// otherwise after waiting for it (see [`Join`]). A thread has at most one
    /// joiner.
    ///
    /// # Panics
    /// If the running thread is the idle thread and would have to wait.
    pub fn join(&mut self, now: u64, target: ThreadId) -> Result<Join<T>, SchedError> {
        self.charge(now);
        let me = self.current;
        if target == IDLE {
            return Err(SchedError::Idle);
        }
        if target == me {
            return Err(SchedError::Myself);
        }
        let record = self
            .threads
            .get_mut(&target)
            .ok_or(SchedError::NoSuchThread)?;
        if record.joiner.is_some_and(|joiner| joiner != me) {
            return Err(SchedError::AlreadyJoined);
        }
        if record.detached {
            return Err(SchedError::Detached);
        }
        if let State::Exited(_) = record.state {
            self.thread_mut_or_panic(me).joining = None;
            return Ok(Join::Done(self.reap(target)));
        }
        record.joiner = Some(me);
        self.thread_mut_or_panic(me).joining = Some(target);
        let reason = State::Blocked(BlockReason::Join(target));
        Ok(Join::Wait(self.block_current(now, reason)))
    }

    /// Nobody will join `id`: it is reaped as soon as it has exited. If it
    /// already has, it is reaped now and returned. Detaching twice is refused
    /// (the second time, the thread may already be on its way to `take_dead`).
    pub fn detach(&mut self, id: ThreadId) -> Result<Option<Reaped<T>>, SchedError> {
        if id == IDLE {
            return Err(SchedError::Idle);
        }
        let record = self.threads.get_mut(&id).ok_or(SchedError::NoSuchThread)?;
        if record.joiner.is_some() {
            return Err(SchedError::AlreadyJoined);
        }
        if record.detached {
            return Err(SchedError::Detached);
        }
        if let State::Exited(_) = record.state {
            return Ok(Some(self.reap(id)));
        }
        record.detached = true;
        Ok(None)
    }

    /// An exited detached thread, removed, so the kernel can free its stack.
    /// Call it only after the switch away from it has been done (e.g. in the
    /// idle loop or after each switch), never on the dying thread's stack.
    pub fn take_dead(&mut self) -> Option<Reaped<T>> {
        let id = self.dead.pop()?;
        Some(self.reap(id))
    }

    // ----- Helpers -----

    /// Charges the time since the last charge to the running thread.
    fn charge(&mut self, now: u64) {
        let elapsed = now.saturating_sub(self.accounted_until);
        self.accounted_until = self.accounted_until.max(now);
        self.thread_mut_or_panic(self.current).cpu_time += elapsed;
    }

    /// The running thread leaves the CPU in `state` (it has already been put
    /// in the matching queue); the next ready thread, or idle, takes over.
    fn block_current(&mut self, now: u64, state: State) -> Switch {
        let me = self.current;
        assert!(me != IDLE, "the idle thread must never block");
        self.charge(now);
        self.thread_mut_or_panic(me).state = state;
        let next = self.ready.pop_front().unwrap_or(IDLE);
        self.dispatch(next, now)
    }

    fn dispatch(&mut self, next: ThreadId, now: u64) -> Switch {
        let from = self.current;
        debug_assert!(from != next);
        self.thread_mut_or_panic(next).state = State::Running;
        self.current = next;
        self.slice_start = now;
        self.switches += 1;
        Switch { from, to: next }
    }

    fn make_ready(&mut self, id: ThreadId) {
        self.thread_mut_or_panic(id).state = State::Ready;
        self.ready.push_back(id);
    }

    /// Marks `id` (already out of every queue) exited and tells whoever cares.
    fn finish(&mut self, id: ThreadId, status: ExitStatus) {
        let record = self.thread_mut_or_panic(id);
        record.state = State::Exited(status);
        let joining = record.joining.take();
        let joiner = record.joiner;
        let detached = record.detached;
        if let Some(target) = joining.and_then(|t| self.threads.get_mut(&t)) {
            target.joiner = None;
        }
        if let Some(joiner) = joiner {
            let waiting = State::Blocked(BlockReason::Join(id));
            if self.thread(joiner).is_some_and(|j| j.state == waiting) {
                self.make_ready(joiner);
            }
        }
        if detached {
            self.dead.push(id);
        }
    }

    fn reap(&mut self, id: ThreadId) -> Reaped<T> {
        let record = self
            .threads
            .remove(&id)
            .expect("reaping a thread that is gone");
        let State::Exited(status) = record.state else {
            panic!("reaping {id:?}, which has not exited");
        };
        Reaped {
            id,
            name: record.name,
            status,
            cpu_time: record.cpu_time,
            data: record.data,
        }
    }

    fn thread_mut_or_panic(&mut self, id: ThreadId) -> &mut Thread<T> {
        self.threads
            .get_mut(&id)
            .unwrap_or_else(|| panic!("{id:?} has no record"))
    }
}

fn new_record<T>(id: ThreadId, name: String, state: State, data: T) -> Thread<T> {
    Thread {
        id,
        name,
        state,
        cpu_time: 0,
        joiner: None,
        joining: None,
        detached: false,
        data,
    }
}
