//! Randomized test: tasks waking each other (and themselves, and finished
//! tasks), checked against a model of the ready queue after every
//! `run_ready`. The model is a FIFO list of queued tasks with the rule "a
//! task is queued at most once"; the test checks that every task is polled
//! exactly as often as the model says — never without a wake-up, never twice
//! for one — and that `run_ready`, `is_idle`, `task_count` and `try_spawn`
//! agree with it.

use executor::Executor;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

const CAPACITY: usize = 6;

use xorshift::XorShift64 as XorShift;

/// What a task does on its next poll.
#[derive(Clone, Default)]
struct Script {
    wake: Vec<usize>,
    finish: bool,
}

#[derive(Default)]
struct World {
    wakers: Vec<Option<Waker>>,
    scripts: Vec<Script>,
    polls: Vec<u32>,
}

/// A task driven by the test: each poll records itself, performs its script
/// (wake some tasks, maybe finish) and otherwise stays pending.
struct Puppet {
    index: usize,
    world: Rc<RefCell<World>>,
}

impl Future for Puppet {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut world = self.world.borrow_mut();
        world.polls[self.index] += 1;
        world.wakers[self.index] = Some(cx.waker().clone());
        let script = std::mem::take(&mut world.scripts[self.index]);
        for target in script.wake {
            if let Some(waker) = &world.wakers[target] {
                waker.wake_by_ref();
            }
        }
        if script.finish {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[derive(Default)]
struct Model {
    queue: VecDeque<usize>,
    alive: Vec<bool>,
    has_waker: Vec<bool>,
    polls: Vec<u32>,
    /// Finished tasks whose id is still queued (they keep their slot).
    tombstones: usize,
    tombstones_seen: usize,
}

impl Model {
    fn records(&self) -> usize {
        self.alive.iter().filter(|&&a| a).count() + self.tombstones
    }

    fn wake(&mut self, task: usize) {
        if self.alive[task] && !self.queue.contains(&task) {
            self.queue.push_back(task);
        }
    }

    /// One `run_ready`, with each task's script; returns tasks polled.
    /// Like the executor, it takes as many entries as were queued at the
    /// start, one at a time, so a task woken before its turn in this round is
    /// still queued and the wake-up is absorbed.
    fn run_ready(&mut self, scripts: &[Script]) -> usize {
        let mut polled = 0;
        for _ in 0..self.queue.len() {
            let task = self.queue.pop_front().unwrap();
            if !self.alive[task] {
                self.tombstones -= 1;
                continue;
            }
            polled += 1;
            self.polls[task] += 1;
            self.has_waker[task] = true;
            for &target in &scripts[task].wake {
                if self.has_waker[target] {
                    self.wake(target);
                }
            }
            if scripts[task].finish {
                self.alive[task] = false;
                if self.queue.contains(&task) {
                    self.tombstones += 1;
                    self.tombstones_seen += 1;
                }
            }
        }
        polled
    }
}

fn run_seed(seed: u64) -> (u64, usize, usize) {
    let mut rng = XorShift(seed);
    let ex = Executor::new(CAPACITY);
    let world = Rc::new(RefCell::new(World::default()));
    let mut model = Model::default();
    for _ in 0..3_000 {
        let tasks = model.alive.len();
        let live: Vec<usize> = (0..tasks).filter(|&t| model.alive[t]).collect();
        // Mostly a live task, sometimes any task (finished or never spawned).
        let pick = |rng: &mut XorShift| {
            if !live.is_empty() && rng.below(5) != 0 {
                live[rng.below(live.len())]
            } else {
                rng.below(tasks)
            }
        };
        match rng.below(10) {
            0 => {
                let index = tasks;
                {
                    let mut w = world.borrow_mut();
                    w.wakers.push(None);
                    w.scripts.push(Script::default());
                    w.polls.push(0);
                }
                let puppet = Puppet {
                    index,
                    world: Rc::clone(&world),
                };
                let expected_ok = model.records() < CAPACITY;
                assert_eq!(ex.try_spawn(puppet).is_ok(), expected_ok);
                model.alive.push(expected_ok);
                model.has_waker.push(false);
                model.polls.push(0);
                if expected_ok {
                    model.queue.push_back(index);
                }
            }
            2..=4 if tasks > 0 => {
                // A wake from outside (a device, a timer), finished tasks included.
                let task = pick(&mut rng);
                let waker = world.borrow().wakers[task].clone();
                if let Some(waker) = waker {
                    model.wake(task);
                    waker.wake();
                }
            }
            _ => {
                // Give some tasks a script, then run one round.
                let mut scripts = vec![Script::default(); tasks];
                for &task in &live {
                    if rng.below(2) == 0 {
                        let count = rng.below(4);
                        scripts[task].wake = (0..count).map(|_| pick(&mut rng)).collect();
                        scripts[task].finish = rng.below(8) == 0;
                    }
                }
                world.borrow_mut().scripts = scripts.clone();
                let expected = model.run_ready(&scripts);
                assert_eq!(ex.run_ready(), expected, "tasks polled this round");
            }
        }
        assert_eq!(world.borrow().polls, model.polls, "polls per task");
        assert_eq!(ex.is_idle(), model.queue.is_empty());
        let alive = model.alive.iter().filter(|&&a| a).count();
        assert_eq!(ex.task_count(), alive);
    }
    (ex.polls(), model.alive.len(), model.tombstones_seen)
}

#[test]
fn tasks_waking_each_other_are_polled_exactly_as_the_model_says() {
    let (mut total_polls, mut total_tombstones) = (0, 0);
    for seed in 1..=20u64 {
        let (polls, spawned, tombstones) = run_seed(seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
        assert!(spawned > 100, "seed {seed}: only {spawned} spawn attempts");
        total_polls += polls;
        total_tombstones += tombstones;
    }
    assert!(
        total_tombstones > 50,
        "finishing while queued: {total_tombstones}"
    );
    assert!(total_polls > 10_000, "only {total_polls} polls");
}
