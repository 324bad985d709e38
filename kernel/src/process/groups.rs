//! Process groups and sessions in the kernel: the table's rules
//! (`crates/ptable`, `groups.rs`) under the table's lock, and what the
//! terminal and `kill` ask about groups.
//!
//! Every process has a group and a session, inherited over `fork` and kept
//! over `execve`; a process the kernel starts (the shell's `run`) leads a
//! new session and group of its own. `kill` with a pid of 0 or below and
//! `wait4` with 0 or below -1 name groups (`syscall/process.rs`); the
//! console's foreground group gets the signals of ^C and ^\
//! (`terminal.rs`).

use super::signal::{self, KillError};
use super::signals::Signals;
use super::table::{self, PROCESSES};
use super::{Pid, wait};
use alloc::vec::Vec;
pub use ptable::groups::GroupError;

/// `SIG_IGN` as a handler.
const IGNORE: u64 = 1;

/// `setpgid(pid, pgid)` for the calling process.
pub fn setpgid(pid: Pid, pgid: Pid) -> Result<(), GroupError> {
    let me = table::current_pid().ok_or(GroupError::NoProcess)?;
    PROCESSES.lock().table.setpgid(me, pid, pgid)?;
    wait::notify(); // a reader waiting to be in the foreground looks again
    Ok(())
}

/// `setsid()` for the calling process: the new session's id.
pub fn setsid() -> Result<Pid, GroupError> {
    let me = table::current_pid().ok_or(GroupError::NoProcess)?;
    PROCESSES.lock().table.setsid(me)
}

/// The group of `pid` (0: the caller).
pub fn pgid(pid: Pid) -> Option<Pid> {
    let pid = or_caller(pid)?;
    PROCESSES.lock().table.pgid(pid)
}

/// The session of `pid` (0: the caller).
pub fn sid(pid: Pid) -> Option<Pid> {
    let pid = or_caller(pid)?;
    PROCESSES.lock().table.sid(pid)
}

fn or_caller(pid: Pid) -> Option<Pid> {
    if pid.0 == 0 {
        table::current_pid()
    } else {
        Some(pid)
    }
}

/// Whether group `pgid` exists in session `sid`.
pub fn group_in_session(pgid: Pid, sid: Pid) -> Option<bool> {
    let processes = PROCESSES.lock();
    if !processes.table.group_exists(pgid) {
        return None;
    }
    Some(
        processes
            .table
            .iter()
            .any(|(_, e)| e.pgid == pgid && e.sid == sid),
    )
}

/// Whether group `pgid` is orphaned (no parent in the session outside it).
pub fn is_orphaned(pgid: Pid) -> bool {
    PROCESSES.lock().table.is_orphaned(pgid)
}

/// Sends `signal` to every alive member of group `pgid`; `-ESRCH` if the
/// group has none.
pub fn kill_group(pgid: Pid, signal: u64) -> Result<(), KillError> {
    if signal > signal::MAX_SIGNAL {
        return Err(KillError::BadSignal);
    }
    let members: Vec<Pid> = PROCESSES.lock().table.members(pgid).collect();
    if members.is_empty() {
        return Err(KillError::NoProcess);
    }
    for pid in members {
        signal::kill(pid, signal)?;
    }
    Ok(())
}

/// Sends `signal` to every process but pid 1 and the caller (`kill(-1, ...)`).
pub fn kill_all(signal: u64) -> Result<(), KillError> {
    if signal > signal::MAX_SIGNAL {
        return Err(KillError::BadSignal);
    }
    let me = table::current_pid();
    let everyone: Vec<Pid> = {
        let processes = PROCESSES.lock();
        let alive = processes
            .table
            .iter()
            .filter(|(_, e)| e.state == ptable::State::Alive);
        alive.map(|(pid, _)| pid).collect()
    };
    let mut sent = false;
    for pid in everyone {
        if pid != ptable::INIT && Some(pid) != me {
            signal::kill(pid, signal)?;
            sent = true;
        }
    }
    if sent {
        Ok(())
    } else {
        Err(KillError::NoProcess)
    }
}

/// Whether the calling thread blocks `signal` or its process ignores it.
pub fn ignores_or_blocks(signal: u8) -> bool {
    let bit = 1u64 << (signal - 1);
    let blocked = super::signal::blocked_by_me() & bit != 0;
    super::with_signals(|s: &mut Signals| {
        blocked || s.actions[usize::from(signal - 1)].handler == IGNORE
    })
    .unwrap_or(true)
}

/// The calling process's group and session.
pub fn mine() -> Option<(Pid, Pid)> {
    let me = table::current_pid()?;
    let processes = PROCESSES.lock();
    let e = processes.table.get(me)?;
    Some((e.pgid, e.sid))
}
