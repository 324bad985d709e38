//! Process 1: how the kernel starts init, and how it learns init's end.
//!
//! init is an ordinary program with two differences. It is started by the
//! kernel, so it has no parent: when it ends nobody reaps it, and the
//! kernel keeps its exact status word here ([`ended`]) for the thread that
//! waits for it (`first_process.rs`) to report. And it starts with no open
//! files at all, as on Linux: init itself opens `/dev/console` as 0, 1
//! and 2 (a program the kernel starts in other ways, like the monitor's
//! `run`, gets the console on them). Pid 1 also adopts every orphan
//! (`crates/ptable`), which init then reaps.

use super::{Error, Pid, Process, Start, WaitStatus, share, start_thread};
use crate::fs::table::{FileTable, MAX_FILES};
use crate::sync::IrqMutex;
use crate::tasks::thread::JoinHandle;
use alloc::string::String;
use alloc::vec::Vec;

/// init's environment (it gives its shell its own).
const ENVIRONMENT: &[&[u8]] = &[b"PATH=/bin:/sbin", b"HOME=/", b"TERM=linux"];

/// How process 1 ended, once it has.
static ENDED: IrqMutex<Option<WaitStatus>> = IrqMutex::new(None);

/// Starts the program `file` (found at `path`) with the arguments `args`
/// after its path, as a process with no parent and no open files; its pid
/// (1 if it is the first process of this boot) and its thread, which ends
/// when the process does.
pub fn start(path: &str, args: &[String], file: &[u8]) -> Result<(Pid, JoinHandle<()>), Error> {
    let argv: Vec<&[u8]> = core::iter::once(path)
        .chain(args.iter().map(String::as_str))
        .map(str::as_bytes)
        .collect();
    let (memory, entry, rsp) = super::load_elf(file, &argv, ENVIRONMENT)?;
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut process = Process::new(name, share(memory), Start::Fresh { entry, rsp });
    process.files = FileTable::new(MAX_FILES);
    process.fs.exe = Some(path.as_bytes().to_vec());
    process.fs.set_cmdline(&argv);
    start_thread(name, process, None)
}

/// Notes how process `pid` ended, if it is process 1 (called by `end`).
pub(super) fn note_end(pid: Pid, status: WaitStatus) {
    if pid == ptable::INIT {
        *ENDED.lock() = Some(status);
    }
}

/// How process 1 ended, if it has (taken: asked once per end).
pub fn ended() -> Option<WaitStatus> {
    ENDED.lock().take()
}
