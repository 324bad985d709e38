//! The process table: who exists, who is whose parent, who has ended.
//!
//! A process is known by its *pid*, a number handed out Linux's way: the
//! first process is 1, each new one gets the next number, and numbers are
//! not used again until the counter wraps at the table's maximum (then it
//! starts over at 1, skipping pids still in use). So a pid that a parent
//! remembers does not suddenly name a stranger.
//!
//! Every process has at most one parent; its *children* are the processes
//! whose parent it is. A process that ends does not vanish at once: it
//! becomes a *zombie* that keeps only its wait status, until its parent
//! collects it with `wait` (*reaping*). Then its pid is free.
//!
//! Orphans: when a process ends, its children get a new parent, pid 1 (the
//! "init" process) if that is alive, otherwise none. A process without a
//! parent is reaped by the kernel itself as soon as it ends, since nobody
//! could ever wait for it.
//!
//! The table is pure bookkeeping, generic over what the kernel keeps per
//! process (`T`); it allocates no pages and knows no threads, so it is
//! tested on the host against a simple model.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod groups;
pub mod status;

pub use status::WaitStatus;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// A process id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pid(pub u32);

/// The pid of the process that adopts orphans.
pub const INIT: Pid = Pid(1);

/// Where a process is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not ended yet (running, ready or blocked: the scheduler knows which).
    Alive,
    /// Ended, waiting to be reaped; how it ended.
    Zombie(WaitStatus),
}

/// One process's record.
#[derive(Debug)]
pub struct Entry<T> {
    pub parent: Option<Pid>,
    pub state: State,
    /// Its process group and session (see `groups.rs`).
    pub pgid: Pid,
    pub sid: Pid,
    /// It has called `execve` (a parent may then no longer move it to
    /// another group).
    pub execed: bool,
    /// What the kernel keeps for it.
    pub data: T,
}

/// Why no process could be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Full {
    /// As many processes as the table's limit (`-EAGAIN`).
    TooMany,
}

/// Which children a `wait` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Any child (`wait4(-1, ...)`).
    Any,
    /// The child with this pid.
    Child(Pid),
    /// Any child in this process group (`wait4(0, ...)`: the caller's
    /// group; `wait4(-pgid, ...)`).
    Group(Pid),
}

/// What `wait` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Wait<T> {
    /// A zombie child, now reaped: its pid, status and record's data.
    Reaped(Pid, WaitStatus, T),
    /// Matching children exist, but none has ended yet.
    NotYet,
    /// No child matches (`-ECHILD`).
    NoChild,
}

/// The processes; see the module docs.
pub struct Table<T> {
    entries: BTreeMap<Pid, Entry<T>>,
    /// The pid the next search starts at.
    next: u32,
    /// The highest pid; the counter wraps after it.
    max_pid: u32,
    /// The most processes (zombies included) at once.
    limit: usize,
}

impl<T> Table<T> {
    /// An empty table whose pids go up to `max_pid` (at least 1) and which
    /// holds at most `limit` processes.
    pub const fn new(max_pid: u32, limit: usize) -> Table<T> {
        Table {
            entries: BTreeMap::new(),
            next: 1,
            max_pid,
            limit,
        }
    }

    /// How many processes (zombies included) there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether `create` would be refused.
    pub fn is_full(&self) -> bool {
        self.entries.len() >= self.limit || self.entries.len() >= self.max_pid as usize
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, pid: Pid) -> Option<&Entry<T>> {
        self.entries.get(&pid)
    }

    pub fn get_mut(&mut self, pid: Pid) -> Option<&mut Entry<T>> {
        self.entries.get_mut(&pid)
    }

    /// Every process, by pid.
    pub fn iter(&self) -> impl Iterator<Item = (Pid, &Entry<T>)> {
        self.entries.iter().map(|(pid, e)| (*pid, e))
    }

    /// The children of `parent`, by pid.
    pub fn children(&self, parent: Pid) -> impl Iterator<Item = Pid> + '_ {
        self.iter()
            .filter(move |(_, e)| e.parent == Some(parent))
            .map(|(pid, _)| pid)
    }

    /// Adds an alive process with `parent` (which must be alive, or `None`
    /// for one the kernel started) and returns its new pid. It is in its
    /// parent's group and session; one the kernel started leads a new
    /// session and group of its own.
    pub fn create(&mut self, parent: Option<Pid>, data: T) -> Result<Pid, Full> {
        if self.is_full() {
            return Err(Full::TooMany);
        }
        debug_assert!(parent.is_none_or(|p| self.is_alive(p)));
        let pid = self.free_pid();
        let (pgid, sid) = parent
            .and_then(|p| self.get(p))
            .map_or((pid, pid), |p| (p.pgid, p.sid));
        self.entries.insert(
            pid,
            Entry {
                parent,
                state: State::Alive,
                pgid,
                sid,
                execed: false,
                data,
            },
        );
        Ok(pid)
    }

    /// The next free pid from the counter on, wrapping after `max_pid`.
    /// There is one: fewer entries than pids (checked by `create`).
    fn free_pid(&mut self) -> Pid {
        loop {
            let pid = Pid(self.next);
            self.next = if self.next >= self.max_pid {
                1
            } else {
                self.next + 1
            };
            if !self.entries.contains_key(&pid) {
                return pid;
            }
        }
    }

    /// Whether `pid` exists and has not ended.
    pub fn is_alive(&self, pid: Pid) -> bool {
        matches!(self.get(pid), Some(e) if e.state == State::Alive)
    }

    /// Ends alive process `pid` with `status`: it becomes a zombie for its
    /// parent, and its children are re-parented (see the module docs).
    /// Returns the records that nobody can wait for any more, now removed
    /// (`pid` itself if it has no parent, orphaned zombies), for the caller
    /// to drop. Nothing happens (and nothing is returned) if `pid` is not
    /// alive.
    pub fn exit(&mut self, pid: Pid, status: WaitStatus) -> Vec<(Pid, T)> {
        let mut gone = Vec::new();
        let Some(entry) = self.entries.get_mut(&pid) else {
            return gone;
        };
        if entry.state != State::Alive {
            return gone;
        }
        entry.state = State::Zombie(status);
        let parent = entry.parent;
        let adopter = Some(INIT).filter(|&init| init != pid && self.is_alive(init));
        let orphans: Vec<Pid> = self.children(pid).collect();
        for orphan in orphans {
            let entry = self.entries.get_mut(&orphan).expect("a child exists");
            entry.parent = adopter;
            if adopter.is_none() && entry.state != State::Alive {
                gone.extend(self.remove(orphan));
            }
        }
        if parent.is_none() {
            gone.extend(self.remove(pid));
        }
        gone
    }

    /// Takes back a process just made with `create` (for example because
    /// its thread could not be started): it goes without ever having been
    /// a zombie. Refused (`None`) if it has children or has ended.
    pub fn discard(&mut self, pid: Pid) -> Option<T> {
        if !self.is_alive(pid) || self.children(pid).next().is_some() {
            return None;
        }
        self.remove(pid).map(|(_, data)| data)
    }

    fn remove(&mut self, pid: Pid) -> Option<(Pid, T)> {
        self.entries.remove(&pid).map(|e| (pid, e.data))
    }

    /// Reaps one ended child of `parent` that `target` accepts, if any
    /// (the lowest pid first).
    pub fn wait(&mut self, parent: Pid, target: Target) -> Wait<T> {
        let accepts = |pid: Pid, entry: &Entry<T>| match target {
            Target::Any => true,
            Target::Child(wanted) => pid == wanted,
            Target::Group(pgid) => entry.pgid == pgid,
        };
        let mut any = false;
        let mut zombie = None;
        for (pid, entry) in self.iter() {
            if entry.parent != Some(parent) || !accepts(pid, entry) {
                continue;
            }
            any = true;
            if let State::Zombie(status) = entry.state {
                zombie = Some((pid, status));
                break;
            }
        }
        match zombie {
            Some((pid, status)) => {
                let (_, data) = self.remove(pid).expect("found above");
                Wait::Reaped(pid, status, data)
            }
            None if any => Wait::NotYet,
            None => Wait::NoChild,
        }
    }
}

#[cfg(test)]
mod tests;
