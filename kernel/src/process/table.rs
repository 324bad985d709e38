//! The kernel's process table: `crates/ptable`'s bookkeeping plus, for each
//! process, the kernel's record (`Process`) and the thread that runs it.
//!
//! One lock guards both, so "which process is this thread?" and "what is
//! its state?" are always answered together. Lock order: this lock before
//! the scheduler's (killing a thread while holding it), never the other way
//! round; a blocked process waits on `wait::notify`'s counter instead of
//! looking at the table under the scheduler's lock.

use super::{Pid, Process, SharedMemory};
use crate::sync::IrqMutex;
use crate::tasks::scheduler;
use crate::tasks::thread::ThreadId;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use ptable::{State, Table};
use spin::Once;
use x86_64::registers::control::Cr3;

/// The highest pid (Linux's default `pid_max`); the counter wraps after it.
pub const MAX_PID: u32 = 32768;
/// The most processes at once, zombies included: a fork bomb stops here
/// (`fork` gives `-EAGAIN`) with memory to spare.
pub const MAX_PROCESSES: usize = 64;

pub(super) struct Processes {
    pub table: Table<Process>,
    pub by_thread: BTreeMap<ThreadId, Pid>,
}

pub(super) static PROCESSES: IrqMutex<Processes> = IrqMutex::new(Processes {
    table: Table::new(MAX_PID, MAX_PROCESSES),
    by_thread: BTreeMap::new(),
});

/// Notes that `thread` runs process `pid`.
pub(super) fn set_thread(pid: Pid, thread: ThreadId) {
    let mut processes = PROCESSES.lock();
    if let Some(entry) = processes.table.get_mut(pid) {
        entry.data.thread = Some(thread);
        processes.by_thread.insert(thread, pid);
    }
}

/// Runs `f` on the calling thread's process, if it runs one.
pub(super) fn with_current<R>(f: impl FnOnce(Pid, &mut Process) -> R) -> Option<R> {
    let pid = current_pid()?;
    let mut processes = PROCESSES.lock();
    let entry = processes.table.get_mut(pid)?;
    Some(f(pid, &mut entry.data))
}

/// The pid of the process the calling thread runs (from its link, see
/// `link.rs`: no lock, no lookup).
pub fn current_pid() -> Option<Pid> {
    scheduler::with_link(|link| link.pid)
}

/// The parent of `pid` (`None`: started by the kernel, or no such process).
pub fn parent_of(pid: Pid) -> Option<Pid> {
    PROCESSES.lock().table.get(pid)?.parent
}

/// One line of `ps`.
#[derive(Clone, Debug)]
pub struct ProcessInfo {
    pub pid: Pid,
    pub parent: Option<Pid>,
    /// "alive", or "zombie" with the status word it will report.
    pub zombie: Option<ptable::WaitStatus>,
    pub name: String,
    pub thread: Option<ThreadId>,
    /// How many files it has open.
    pub open_files: usize,
}

/// Every process, zombies included, by pid.
pub fn list() -> Vec<ProcessInfo> {
    let processes = PROCESSES.lock();
    processes
        .table
        .iter()
        .map(|(pid, e)| ProcessInfo {
            pid,
            parent: e.parent,
            zombie: match e.state {
                State::Alive => None,
                State::Zombie(status) => Some(status),
            },
            name: e.data.name.clone(),
            thread: e.data.thread,
            open_files: e.data.files.len(),
        })
        .collect()
}

/// Gives up one share of a process's memory; the last one frees it. If
/// its address space is the active one (the caller is a kernel thread, which
/// runs in whichever space is loaded), the kernel's own is loaded first.
pub(super) fn release_space(memory: SharedMemory) {
    if let Ok(memory) = Arc::try_unwrap(memory) {
        let space = memory.into_inner().space;
        if Cr3::read().0 == space.root() {
            scheduler::set_address_space(None);
        }
        drop(space);
    }
}

/// How the process layer stores a few bytes in user memory (the system-call
/// layer's checked `copy_to_user`, registered at boot: it survives bad
/// addresses and resolves copy-on-write pages).
static USER_WRITER: Once<fn(u64, &[u8]) -> bool> = Once::new();

/// Registers the user-memory writer (see [`USER_WRITER`]).
pub fn set_user_writer(writer: fn(u64, &[u8]) -> bool) {
    USER_WRITER.call_once(|| writer);
}

/// Stores `bytes` at user address `address` of the active address space;
/// whether it could.
pub(super) fn write_user(address: u64, bytes: &[u8]) -> bool {
    USER_WRITER.get().is_some_and(|write| write(address, bytes))
}

/// Renames the calling process (what `ps` and `/proc/<pid>/stat` show);
/// false if it runs no process.
pub fn rename(name: &str) -> bool {
    with_current(|_, p| p.name = String::from(name)).is_some()
}

/// The calling process's name.
pub fn current_name() -> Option<String> {
    with_current(|_, p| p.name.clone())
}
