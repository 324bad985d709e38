//! What the shell's `ps` shows about processes: which thread runs which
//! program, and how many files it has open.

use super::PROCESSES;
use crate::tasks::thread::ThreadId;
use alloc::string::String;
use alloc::vec::Vec;

/// One running process.
pub struct ProcessInfo {
    /// The thread that runs it (its number in `ps`).
    pub thread: ThreadId,
    pub name: String,
    pub open_files: usize,
}

/// The running processes, by thread.
pub fn list() -> Vec<ProcessInfo> {
    PROCESSES
        .lock()
        .iter()
        .map(|(thread, process)| ProcessInfo {
            thread: *thread,
            name: process.name.clone(),
            open_files: process.files.len(),
        })
        .collect()
}
