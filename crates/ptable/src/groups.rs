//! Process groups and sessions: the units of job control.
//!
//! A shell runs each pipeline ("job") as one *process group*, so that the
//! terminal can signal all of its processes at once (^C) and knows which
//! job is in the foreground. A group is named by its *pgid*, the pid of the
//! process that made it (its leader). Groups live in *sessions*, one per
//! login or terminal, named by a *sid* the same way. A process starts in
//! its parent's group and session (`Table::create`).
//!
//! The rules, Linux's:
//! - `setpgid(pid, pgid)` (0 meaning the caller, and "pgid = pid") moves the
//!   caller or one of its children into a group of the same session, or
//!   makes a new group led by it. A child in another session, or a session
//!   leader, cannot be moved (`EPERM`); neither can a child that has called
//!   `execve` (`EACCES`); a group that does not exist in the session cannot
//!   be joined (`EPERM`); a process that is neither the caller nor its child
//!   is `ESRCH`.
//! - `setsid()` makes the caller leader of a new session and group, unless
//!   it already leads a group (`EPERM`): a shell's job cannot escape by it.
//! - A group is *orphaned* when no member has a parent in another group of
//!   the same session (a parent that could bring it back to the foreground);
//!   a parent that is `init` does not count. The terminal refuses reads of
//!   orphaned background groups with `EIO` instead of stopping them.

use super::{Entry, INIT, Pid, State, Table};

/// Why a group call was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupError {
    /// `-ESRCH`
    NoProcess,
    /// `-EPERM`
    NotPermitted,
    /// `-EACCES`: the child has called `execve`.
    Execed,
}

impl<T> Table<T> {
    /// The process group of `pid`.
    pub fn pgid(&self, pid: Pid) -> Option<Pid> {
        self.get(pid).map(|e| e.pgid)
    }

    /// The session of `pid`.
    pub fn sid(&self, pid: Pid) -> Option<Pid> {
        self.get(pid).map(|e| e.sid)
    }

    /// `setpgid(pid, pgid)` called by `caller`; 0 for `pid` is the caller,
    /// 0 for `pgid` is `pid`.
    pub fn setpgid(&mut self, caller: Pid, pid: Pid, pgid: Pid) -> Result<(), GroupError> {
        let pid = if pid.0 == 0 { caller } else { pid };
        let pgid = if pgid.0 == 0 { pid } else { pgid };
        let me = self.get(caller).ok_or(GroupError::NoProcess)?;
        let my_sid = me.sid;
        let target = self.get(pid).ok_or(GroupError::NoProcess)?;
        if target.parent == Some(caller) {
            if target.sid != my_sid {
                return Err(GroupError::NotPermitted);
            }
            if target.execed {
                return Err(GroupError::Execed);
            }
        } else if pid != caller {
            return Err(GroupError::NoProcess);
        }
        if target.sid == pid {
            return Err(GroupError::NotPermitted); // a session leader
        }
        if pgid != pid && !self.iter().any(|(_, e)| e.pgid == pgid && e.sid == my_sid) {
            return Err(GroupError::NotPermitted);
        }
        self.get_mut(pid).expect("found above").pgid = pgid;
        Ok(())
    }

    /// `setsid()` called by `caller`: the new session's id (the caller's pid).
    pub fn setsid(&mut self, caller: Pid) -> Result<Pid, GroupError> {
        if self.iter().any(|(_, e)| e.pgid == caller) {
            return Err(GroupError::NotPermitted);
        }
        let me = self.get_mut(caller).ok_or(GroupError::NoProcess)?;
        me.pgid = caller;
        me.sid = caller;
        Ok(caller)
    }

    /// Notes that `pid` called `execve`.
    pub fn mark_execed(&mut self, pid: Pid) {
        if let Some(e) = self.get_mut(pid) {
            e.execed = true;
        }
    }

    /// The alive members of group `pgid`, by pid.
    pub fn members(&self, pgid: Pid) -> impl Iterator<Item = Pid> + '_ {
        self.iter()
            .filter(move |(_, e)| e.pgid == pgid && e.state == State::Alive)
            .map(|(pid, _)| pid)
    }

    /// Whether group `pgid` has a member, a zombie perhaps.
    pub fn group_exists(&self, pgid: Pid) -> bool {
        self.iter().any(|(_, e)| e.pgid == pgid)
    }

    /// Whether group `pgid` is orphaned (see the module docs).
    pub fn is_orphaned(&self, pgid: Pid) -> bool {
        let anchors = |e: &Entry<T>| {
            let Some(parent) = e.parent.filter(|&p| p != INIT) else {
                return false;
            };
            self.get(parent)
                .is_some_and(|p| p.state == State::Alive && p.pgid != pgid && p.sid == e.sid)
        };
        !self
            .iter()
            .any(|(_, e)| e.pgid == pgid && e.state == State::Alive && anchors(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Target, Wait, WaitStatus};

    /// A kernel-started shell and two of its children.
    fn shell_and_two_children() -> (Table<()>, Pid, Pid, Pid) {
        let mut t = Table::new(100, 10);
        let shell = t.create(None, ()).unwrap();
        let a = t.create(Some(shell), ()).unwrap();
        let b = t.create(Some(shell), ()).unwrap();
        (t, shell, a, b)
    }

    #[test]
    fn children_inherit_group_and_session() {
        let (t, shell, a, _) = shell_and_two_children();
        assert_eq!(t.pgid(shell), Some(shell), "the kernel's process leads");
        assert_eq!(t.sid(shell), Some(shell));
        assert_eq!(t.pgid(a), Some(shell));
        assert_eq!(t.sid(a), Some(shell));
    }

    #[test]
    fn a_shell_makes_a_job() {
        let (mut t, shell, a, b) = shell_and_two_children();
        // The shell puts `a` in a new group, and `b` in the same one.
        assert_eq!(t.setpgid(shell, a, Pid(0)), Ok(()));
        assert_eq!(t.setpgid(shell, b, a), Ok(()));
        assert_eq!(t.members(a).collect::<alloc::vec::Vec<_>>(), [a, b]);
        // The child may do the same itself (both race to it in a shell).
        assert_eq!(t.setpgid(b, Pid(0), a), Ok(()));
        assert_eq!(t.pgid(b), Some(a));
        // Back into the shell's group.
        assert_eq!(t.setpgid(b, Pid(0), shell), Ok(()));
        assert_eq!(t.pgid(b), Some(shell));
    }

    #[test]
    fn setpgid_refusals() {
        let (mut t, shell, a, b) = shell_and_two_children();
        assert_eq!(
            t.setpgid(a, b, Pid(0)),
            Err(GroupError::NoProcess),
            "a sibling"
        );
        assert_eq!(
            t.setpgid(a, shell, Pid(0)),
            Err(GroupError::NoProcess),
            "a parent"
        );
        assert_eq!(
            t.setpgid(shell, Pid(99), Pid(0)),
            Err(GroupError::NoProcess)
        );
        assert_eq!(
            t.setpgid(shell, a, Pid(42)),
            Err(GroupError::NotPermitted),
            "no group 42"
        );
        assert_eq!(
            t.setpgid(shell, Pid(0), Pid(0)),
            Err(GroupError::NotPermitted),
            "a session leader stays"
        );
        t.mark_execed(a);
        assert_eq!(t.setpgid(shell, a, Pid(0)), Err(GroupError::Execed));
        assert_eq!(t.setsid(b), Ok(b));
        assert_eq!(
            t.setpgid(shell, b, shell),
            Err(GroupError::NotPermitted),
            "a child in another session"
        );
        assert_eq!(
            t.setpgid(a, Pid(0), b),
            Err(GroupError::NotPermitted),
            "a group of another session"
        );
    }

    #[test]
    fn setsid_needs_a_process_that_leads_no_group() {
        let (mut t, shell, a, _) = shell_and_two_children();
        assert_eq!(t.setsid(shell), Err(GroupError::NotPermitted));
        assert_eq!(t.setsid(a), Ok(a));
        assert_eq!((t.pgid(a), t.sid(a)), (Some(a), Some(a)));
        assert_eq!(
            t.setsid(a),
            Err(GroupError::NotPermitted),
            "now it leads one"
        );
        let grandchild = t.create(Some(a), ()).unwrap();
        assert_eq!(t.sid(grandchild), Some(a));
    }

    #[test]
    fn waiting_for_a_group() {
        let (mut t, shell, a, b) = shell_and_two_children();
        t.setpgid(shell, a, Pid(0)).unwrap();
        assert_eq!(t.wait(shell, Target::Group(a)), Wait::NotYet);
        t.exit(b, WaitStatus::Exited(2));
        assert_eq!(
            t.wait(shell, Target::Group(a)),
            Wait::NotYet,
            "b is not in it"
        );
        t.exit(a, WaitStatus::Exited(1));
        assert!(t.group_exists(a), "a zombie still holds its group");
        assert_eq!(t.members(a).count(), 0);
        assert_eq!(
            t.wait(shell, Target::Group(a)),
            Wait::Reaped(a, WaitStatus::Exited(1), ())
        );
        assert_eq!(t.wait(shell, Target::Group(a)), Wait::NoChild);
        assert!(!t.group_exists(a));
        assert_eq!(
            t.wait(shell, Target::Group(shell)),
            Wait::Reaped(b, WaitStatus::Exited(2), ())
        );
    }

    #[test]
    fn orphaned_groups() {
        let mut t: Table<()> = Table::new(100, 10);
        let init = t.create(None, ()).unwrap();
        assert_eq!(init, INIT);
        let shell = t.create(Some(init), ()).unwrap();
        t.setsid(shell).unwrap();
        let job = t.create(Some(shell), ()).unwrap();
        t.setpgid(shell, job, Pid(0)).unwrap();
        assert!(!t.is_orphaned(job), "the shell can bring it back");
        assert!(t.is_orphaned(shell), "the shell's parent is init");
        t.exit(shell, WaitStatus::Exited(0));
        assert!(t.is_orphaned(job), "its parent is gone (init adopted it)");
    }
}
