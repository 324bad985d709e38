//! Job control: process groups and sessions (`setpgid`, `getpgid`,
//! `getpgrp`, `setsid`, `getsid`) and the terminal requests a shell uses
//! to run jobs (`TIOCGPGRP`, `TIOCSPGRP`, `TIOCSCTTY`, `TIOCNOTTY`,
//! `TIOCGSID`).
//!
//! The rules are Linux's (`crates/ptable/src/groups.rs` has the group ones).
//! The terminal requests need the console to be the caller's controlling
//! terminal (its session's), else `-ENOTTY`. `TIOCSPGRP` takes a group of
//! the caller's session (`-EPERM` otherwise, `-ESRCH` if none, `-EINVAL`
//! if negative). Not done: a background process changing the foreground
//! group or the settings is not sent SIGTTOU, and `TIOCNOTTY` sends no
//! SIGHUP.

use super::{Args, Errno, user_memory};
use crate::process::groups::{self, GroupError};
use crate::process::{Pid, wait};
use crate::terminal;
use linux_raw_sys::errno::{EACCES, EINVAL, ENOTTY, EPERM, ESRCH};
use linux_raw_sys::ioctl::{TIOCGPGRP, TIOCGSID, TIOCNOTTY, TIOCSCTTY, TIOCSPGRP};

/// A pid argument: 0 or positive (`-EINVAL` if negative).
fn pid_argument(value: u64) -> Result<Pid, Errno> {
    u32::try_from(value as i32)
        .map(Pid)
        .map_err(|_| Errno(EINVAL))
}

fn group_errno(e: GroupError) -> Errno {
    Errno(match e {
        GroupError::NoProcess => ESRCH,
        GroupError::NotPermitted => EPERM,
        GroupError::Execed => EACCES,
    })
}

/// `setpgid(pid, pgid)`.
pub fn setpgid(args: &Args) -> Result<u64, Errno> {
    let pid = pid_argument(args[0]).map_err(|_| Errno(ESRCH))?;
    let pgid = pid_argument(args[1])?;
    groups::setpgid(pid, pgid).map_err(group_errno)?;
    Ok(0)
}

/// `getpgid(pid)`: 0 is the caller.
pub fn getpgid(args: &Args) -> Result<u64, Errno> {
    let pid = pid_argument(args[0]).map_err(|_| Errno(ESRCH))?;
    let pgid = groups::pgid(pid).ok_or(Errno(ESRCH))?;
    Ok(u64::from(pgid.0))
}

/// `getpgrp()`: the caller's group.
pub fn getpgrp(_: &Args) -> Result<u64, Errno> {
    getpgid(&[0; 6])
}

/// `setsid()`: the new session's id.
pub fn setsid(_: &Args) -> Result<u64, Errno> {
    let sid = groups::setsid().map_err(group_errno)?;
    Ok(u64::from(sid.0))
}

/// `getsid(pid)`: 0 is the caller.
pub fn getsid(args: &Args) -> Result<u64, Errno> {
    let pid = pid_argument(args[0]).map_err(|_| Errno(ESRCH))?;
    let sid = groups::sid(pid).ok_or(Errno(ESRCH))?;
    Ok(u64::from(sid.0))
}

/// The job-control `ioctl`s on the console (see the module docs).
pub fn ioctl(request: u32, arg: u64) -> Result<u64, Errno> {
    let (group, session) = groups::mine().ok_or(Errno(ENOTTY))?;
    let (owner, foreground) = terminal::owner();
    let controlling = owner == Some(session);
    match request {
        TIOCSCTTY => take_as_controlling(session, group, owner, arg),
        _ if !controlling => Err(Errno(ENOTTY)),
        TIOCGPGRP => write_i32(arg, foreground.map_or(0, |g| g.0)),
        TIOCGSID => write_i32(arg, session.0),
        TIOCSPGRP => {
            let mut bytes = [0u8; 4];
            user_memory::copy_from_user(&mut bytes, arg)?;
            let wanted = pid_argument(u64::from(u32::from_le_bytes(bytes)))?;
            match groups::group_in_session(wanted, session) {
                None => return Err(Errno(ESRCH)),
                Some(false) => return Err(Errno(EPERM)),
                Some(true) => {}
            }
            terminal::with(|t| t.foreground = Some(wanted));
            wait::notify(); // a reader waiting for the foreground looks again
            Ok(0)
        }
        TIOCNOTTY => {
            let me = crate::process::current_pid();
            if me == Some(session) {
                terminal::with(|t| {
                    t.session = None;
                    t.foreground = None;
                });
            }
            Ok(0)
        }
        _ => Err(Errno(ENOTTY)),
    }
}

/// `TIOCSCTTY`: a session leader without a terminal takes the console if
/// it is free (or, with `arg` 1, from another session: everyone is root).
fn take_as_controlling(
    session: Pid,
    group: Pid,
    owner: Option<Pid>,
    arg: u64,
) -> Result<u64, Errno> {
    if owner == Some(session) {
        return Ok(0);
    }
    let leader = crate::process::current_pid() == Some(session);
    if !leader || (owner.is_some() && arg != 1) {
        return Err(Errno(EPERM));
    }
    terminal::signal_keys::start();
    terminal::with(|t| {
        t.session = Some(session);
        t.foreground = Some(group);
    });
    Ok(0)
}

fn write_i32(address: u64, value: u32) -> Result<u64, Errno> {
    user_memory::copy_to_user(address, &value.to_le_bytes())?;
    Ok(0)
}
