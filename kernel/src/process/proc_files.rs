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

use super::stop;
use super::table::{self, PROCESSES};
use alloc::format;
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
