//! What `/proc/<pid>` shows of each process, in Linux's formats, for
//! `fs::procfs` (which asks through hooks set at boot, so that the file
//! layer never calls up into processes).
//!
//! - `stat` is one line: `pid (comm) state ppid pgrp session` and then
//!   Linux's other 46 fields, of which Kestrel fills the thread count and
//!   writes 0 for what it does not keep (times, fault counts, memory
//!   sizes). The state letter is `R` for the caller, `S` for another live
//!   process, `T` for a stopped one and `Z` for a zombie. `ps` needs only
//!   the first six fields.
//! - `cmdline` is the program's arguments, each ended by a NUL byte (see
//!   `fs::context::MAX_CMDLINE`); a zombie's is empty, as on Linux.
//! - `exe`, `cwd` and `fd/<n>` are links: the program's path, the current
//!   directory's path, and each open descriptor's file (a zombie has none).

use super::stop;
use super::table::{self, PROCESSES};
use crate::fs::file::OpenFile;
use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;
use ptable::{Pid, State};

/// The pids of every process, zombies included, in increasing order.
pub fn pids() -> Vec<u32> {
    let mut pids: Vec<u32> = PROCESSES
        .lock()
        .table
        .iter()
        .map(|(pid, _)| pid.0)
        .collect();
    pids.sort_unstable();
    pids
}

/// Whether process `pid` is in the table (zombies included).
pub fn exists(pid: u32) -> bool {
    PROCESSES.lock().table.get(Pid(pid)).is_some()
}

/// `/proc/<pid>/stat`, or `None` if there is no such process.
pub fn stat(pid: u32) -> Option<Vec<u8>> {
    let me = table::current_pid();
    let processes = PROCESSES.lock();
    let table = &processes.table;
    let entry = table.get(Pid(pid))?;
    let state = match entry.state {
        State::Zombie(_) => 'Z',
        State::Alive if stop::is_stopped(&entry.data) => 'T',
        State::Alive if me == Some(Pid(pid)) => 'R',
        State::Alive => 'S',
    };
    let ppid = entry.parent.map_or(0, |p| p.0);
    let pgrp = table.pgid(Pid(pid)).map_or(0, |p| p.0);
    let session = table.sid(Pid(pid)).map_or(0, |p| p.0);
    let threads = entry.data.links.len().max(1);
    // Fields 7-19 (tty_nr .. nice), then 20 (num_threads), then 21-52.
    let zeros = |n: usize| " 0".repeat(n);
    let line = format!(
        "{pid} ({}) {state} {ppid} {pgrp} {session}{} {threads}{}\n",
        entry.data.name,
        zeros(13),
        zeros(32),
    );
    Some(line.into_bytes())
}

/// `/proc/<pid>/cmdline`, or `None` if there is no such process.
pub fn cmdline(pid: u32) -> Option<Vec<u8>> {
    let processes = PROCESSES.lock();
    let entry = processes.table.get(Pid(pid))?;
    Some(match entry.state {
        State::Zombie(_) => Vec::new(),
        State::Alive => entry.data.fs.cmdline.clone(),
    })
}

/// The calling process's pid (`None` for a kernel thread).
pub fn current() -> Option<u32> {
    table::current_pid().map(|pid| pid.0)
}

/// Runs `f` on the record of live process `pid`.
fn with_alive<R>(pid: u32, f: impl FnOnce(&super::Process) -> Option<R>) -> Option<R> {
    let processes = PROCESSES.lock();
    let entry = processes.table.get(Pid(pid))?;
    match entry.state {
        State::Zombie(_) => None,
        State::Alive => f(&entry.data),
    }
}

/// The path of process `pid`'s program.
pub fn exe(pid: u32) -> Option<Vec<u8>> {
    with_alive(pid, |process| process.fs.exe.clone())
}

/// The path of process `pid`'s current directory (walked outside the
/// table's lock: a file system may sleep).
pub fn cwd(pid: u32) -> Option<Vec<u8>> {
    let held = with_alive(pid, |process| Some(process.fs.cwd.clone()))?;
    let mounts = crate::fs::vfs::mounts();
    match held {
        Some(held) => mounts.path_of(held.at()).ok(),
        None => Some(b"/".to_vec()),
    }
}

/// Process `pid`'s open descriptors, in increasing order.
pub fn fds(pid: u32) -> Vec<u32> {
    let fds = with_alive(pid, |process| {
        Some(process.files.iter().map(|(fd, _)| fd as u32).collect())
    });
    fds.unwrap_or_default()
}

/// The open file of descriptor `fd` of process `pid`.
pub fn file(pid: u32, fd: u32) -> Option<Arc<OpenFile>> {
    with_alive(pid, |process| {
        process.files.get(u64::from(fd)).ok().cloned()
    })
}
