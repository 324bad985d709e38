use super::*;
use alloc::vec;
use xorshift::XorShift64;

#[test]
fn status_words_are_linuxs() {
    // WIFEXITED: low 7 bits zero; WEXITSTATUS: bits 8..16.
    assert_eq!(WaitStatus::Exited(0).word(), 0);
    assert_eq!(WaitStatus::Exited(42).word(), 0x2a00);
    assert_eq!(WaitStatus::Exited(255).word(), 0xff00);
    // WTERMSIG: low 7 bits; WCOREDUMP: 0x80.
    let kill = WaitStatus::Signaled {
        signal: 9,
        core: false,
    };
    assert_eq!(kill.word(), 9);
    let segv = WaitStatus::Signaled {
        signal: 11,
        core: true,
    };
    assert_eq!(segv.word(), 0x8b);
    assert_eq!(segv.shell_code(), 139);
    assert_eq!(WaitStatus::Exited(3).shell_code(), 3);
}

#[test]
fn pids_count_up_from_one_and_are_not_reused_before_the_wrap() {
    let mut t = Table::new(5, 10);
    let a = t.create(None, ()).unwrap();
    let b = t.create(Some(a), ()).unwrap();
    assert_eq!((a, b), (Pid(1), Pid(2)));
    t.exit(b, WaitStatus::Exited(0));
    assert!(matches!(
        t.wait(a, Target::Any),
        Wait::Reaped(Pid(2), _, ())
    ));
    // 2 is free again, but the counter goes on.
    assert_eq!(t.create(Some(a), ()).unwrap(), Pid(3));
    assert_eq!(t.create(Some(a), ()).unwrap(), Pid(4));
    assert_eq!(t.create(Some(a), ()).unwrap(), Pid(5));
    // Wrapped: 1 is taken, 2 is free.
    assert_eq!(t.create(Some(a), ()).unwrap(), Pid(2));
    assert_eq!(t.create(Some(a), ()), Err(Full::TooMany), "every pid used");
}

#[test]
fn discard_undoes_create_only() {
    let mut t = Table::new(100, 10);
    let a = t.create(None, 'a').unwrap();
    let b = t.create(Some(a), 'b').unwrap();
    assert_eq!(t.discard(a), None, "it has a child");
    assert_eq!(t.discard(b), Some('b'));
    assert_eq!(t.wait(a, Target::Any), Wait::NoChild);
    t.exit(a, WaitStatus::Exited(0));
    assert_eq!(t.discard(a), None);
}

#[test]
fn the_limit_counts_zombies() {
    let mut t = Table::new(100, 2);
    let a = t.create(None, ()).unwrap();
    let b = t.create(Some(a), ()).unwrap();
    assert_eq!(t.create(Some(a), ()), Err(Full::TooMany));
    t.exit(b, WaitStatus::Exited(1));
    assert_eq!(t.create(Some(a), ()), Err(Full::TooMany));
    assert_eq!(
        t.wait(a, Target::Child(b)),
        Wait::Reaped(b, WaitStatus::Exited(1), ())
    );
    assert!(t.create(Some(a), ()).is_ok());
}

#[test]
fn wait_finds_zombies_not_yet_or_no_child() {
    let mut t = Table::new(100, 10);
    let parent = t.create(None, 'p').unwrap();
    assert_eq!(t.wait(parent, Target::Any), Wait::NoChild);
    let child = t.create(Some(parent), 'c').unwrap();
    let other = t.create(None, 'o').unwrap();
    assert_eq!(t.wait(parent, Target::Any), Wait::NotYet);
    assert_eq!(t.wait(parent, Target::Child(other)), Wait::NoChild);
    assert!(t.exit(child, WaitStatus::Exited(7)).is_empty());
    assert_eq!(
        t.get(child).unwrap().state,
        State::Zombie(WaitStatus::Exited(7))
    );
    assert_eq!(
        t.wait(parent, Target::Child(child)),
        Wait::Reaped(child, WaitStatus::Exited(7), 'c')
    );
    assert_eq!(t.wait(parent, Target::Any), Wait::NoChild, "reaped once");
}

#[test]
fn orphans_go_to_init_or_are_reaped_by_the_kernel() {
    let mut t = Table::new(100, 10);
    let init = t.create(None, 0).unwrap();
    let a = t.create(Some(init), 1).unwrap();
    let b = t.create(Some(a), 2).unwrap();
    let c = t.create(Some(a), 3).unwrap();
    t.exit(c, WaitStatus::Exited(0)); // a zombie child of a
    assert!(t.exit(a, WaitStatus::Exited(0)).is_empty());
    assert_eq!(t.get(b).unwrap().parent, Some(init));
    assert_eq!(t.get(c).unwrap().parent, Some(init), "zombies too");
    // Without init, orphans have no parent; ended ones go at once.
    let gone = t.exit(init, WaitStatus::Exited(0));
    assert_eq!(gone, vec![(a, 1), (c, 3), (init, 0)]);
    assert_eq!(t.get(b).unwrap().parent, None);
    assert_eq!(t.len(), 1);
    // b has no parent: it goes as soon as it ends.
    assert_eq!(t.exit(b, WaitStatus::Exited(0)), vec![(b, 2)]);
    assert!(t.is_empty());
}

/// The rules again, written as plainly as possible: a list of
/// (pid, parent, status if ended, data).
struct Model {
    procs: Vec<(u32, Option<u32>, Option<WaitStatus>, u32)>,
    next: u32,
    max_pid: u32,
    limit: usize,
}

impl Model {
    fn create(&mut self, parent: Option<u32>, data: u32) -> Option<u32> {
        if self.procs.len() >= self.limit || self.procs.len() >= self.max_pid as usize {
            return None;
        }
        let mut pid = self.next;
        while self.procs.iter().any(|p| p.0 == pid) {
            pid = pid % self.max_pid + 1;
        }
        self.next = pid % self.max_pid + 1;
        self.procs.push((pid, parent, None, data));
        Some(pid)
    }

    fn alive(&self, pid: u32) -> bool {
        self.procs.iter().any(|p| p.0 == pid && p.2.is_none())
    }

    fn exit(&mut self, pid: u32, status: WaitStatus) -> Vec<(u32, u32)> {
        if !self.alive(pid) {
            return Vec::new();
        }
        let init_alive = pid != 1 && self.alive(1);
        for p in self.procs.iter_mut() {
            if p.0 == pid {
                p.2 = Some(status);
            }
            if p.1 == Some(pid) {
                p.1 = if init_alive { Some(1) } else { None };
            }
        }
        let mut gone: Vec<(u32, u32)> = self
            .procs
            .iter()
            .filter(|p| p.1.is_none() && p.2.is_some())
            .map(|p| (p.0, p.3))
            .collect();
        gone.sort();
        self.procs.retain(|p| !(p.1.is_none() && p.2.is_some()));
        gone
    }

    fn wait(&mut self, parent: u32, target: Option<u32>) -> Wait<u32> {
        let mut mine: Vec<_> = self
            .procs
            .iter()
            .filter(|p| p.1 == Some(parent) && target.is_none_or(|t| t == p.0))
            .cloned()
            .collect();
        mine.sort_by_key(|p| p.0);
        if mine.is_empty() {
            return Wait::NoChild;
        }
        match mine.iter().find(|p| p.2.is_some()) {
            Some(&(pid, _, status, data)) => {
                self.procs.retain(|p| p.0 != pid);
                Wait::Reaped(Pid(pid), status.unwrap(), data)
            }
            None => Wait::NotYet,
        }
    }
}

#[test]
fn random_lives_match_the_model() {
    for seed in 1..=200u64 {
        let mut rng = XorShift64(seed);
        let max_pid = 2 + rng.below(30) as u32;
        let limit = 1 + rng.below(20);
        let mut t = Table::new(max_pid, limit);
        let mut m = Model {
            procs: Vec::new(),
            next: 1,
            max_pid,
            limit,
        };
        for step in 0..400u32 {
            let some_pid = 1 + rng.below(max_pid as usize + 1) as u32;
            match rng.below(4) {
                0 => {
                    let parent = Some(some_pid).filter(|&p| m.alive(p) && rng.below(4) != 0);
                    let got = t.create(parent.map(Pid), step).ok().map(|p| p.0);
                    assert_eq!(got, m.create(parent, step), "seed {seed} step {step}");
                }
                1 => {
                    let status = if rng.below(2) == 0 {
                        WaitStatus::Exited(rng.below(256) as u8)
                    } else {
                        WaitStatus::Signaled {
                            signal: 1 + rng.below(31) as u8,
                            core: rng.below(2) == 0,
                        }
                    };
                    let mut got: Vec<(u32, u32)> = t
                        .exit(Pid(some_pid), status)
                        .into_iter()
                        .map(|(p, d)| (p.0, d))
                        .collect();
                    got.sort();
                    assert_eq!(got, m.exit(some_pid, status), "seed {seed} step {step}");
                }
                _ => {
                    let target =
                        Some(1 + rng.below(max_pid as usize) as u32).filter(|_| rng.below(2) == 0);
                    let got = t.wait(
                        Pid(some_pid),
                        target.map_or(Target::Any, |p| Target::Child(Pid(p))),
                    );
                    assert_eq!(got, m.wait(some_pid, target), "seed {seed} step {step}");
                }
            }
            // Invariants: parents are alive; the counts agree.
            for (pid, e) in t.iter() {
                if let Some(parent) = e.parent {
                    assert!(t.is_alive(parent), "seed {seed}: {pid:?}'s parent ended");
                }
            }
            assert_eq!(t.len(), m.procs.len());
        }
    }
}
