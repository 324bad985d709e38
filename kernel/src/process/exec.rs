//! `execve`: the calling process becomes another program.
//!
//! The program's file is loaded into a *new* address space (so a bad file
//! leaves the caller as it was, with an error code); only then is the old
//! space given up (freed, or, for a `vfork` child, left to the parent, who
//! may now go on). The saved `syscall` frame is rewritten so that the way
//! back to ring 3 lands at the new entry point with the new stack and every
//! register zero: the same start a program gets from the kernel. The pid,
//! parent and children stay.

use super::table::{self, PROCESSES, release_space};
use super::{Error, load_elf, share, wait};
use crate::arch::entry::InterruptFrame;
use crate::tasks::scheduler;
use alloc::string::ToString;

/// RFLAGS a program starts with: interrupts on.
const START_RFLAGS: u64 = 0x202;

/// Replaces the calling process's program with `file` (named `name` in
/// `ps`), started with `args` and `env`, and makes `frame` return there.
/// On an error nothing has changed.
pub fn exec(
    frame: &mut InterruptFrame,
    name: &str,
    file: &[u8],
    args: &[&[u8]],
    env: &[&[u8]],
) -> Result<(), Error> {
    let (memory, entry, rsp) = load_elf(file, args, env)?;
    let root = memory.space.root();
    let space = share(memory);
    let name = name.to_string();
    if let Some(pid) = table::current_pid() {
        PROCESSES.lock().table.mark_execed(pid);
    }
    let (old, closed) = table::with_current(move |_, p| {
        p.name = name;
        p.fs.set_cmdline(args);
        p.clear_child_tid = 0;
        p.vfork_hold = false;
        *p.signals = p.signals.after_exec();
        scheduler::with_link(|link| link.with_own(|t| *t = t.after_exec()));
        let closed = close_on_exec(&mut p.files);
        (p.space.replace(space), closed)
    })
    .unzip();
    drop(closed); // (the files, outside the table's lock)
    let Some(old) = old else {
        return Err(Error::NotExecutable(uelf::Error::Truncated)); // not a process
    };
    scheduler::set_address_space(Some(root));
    if let Some(old) = old {
        release_space(old);
    }
    wait::notify(); // a vfork parent may go on
    // FPU/SSE registers and the FS/GS bases start clean, as for a new program.
    scheduler::start_user_state();
    *frame = InterruptFrame {
        rip: entry,
        rsp,
        rflags: START_RFLAGS,
        cs: frame.cs,
        ss: frame.ss,
        ..InterruptFrame::default()
    };
    Ok(())
}

/// Takes the descriptors marked close-on-exec out of `files`; returns them.
fn close_on_exec(
    files: &mut crate::fs::table::FileTable,
) -> alloc::vec::Vec<alloc::sync::Arc<crate::fs::file::OpenFile>> {
    let marked: alloc::vec::Vec<u64> = files
        .iter()
        .map(|(fd, _)| fd as u64)
        .filter(|&fd| files.close_on_exec(fd) == Ok(true))
        .collect();
    marked
        .into_iter()
        .filter_map(|fd| files.remove(fd).ok())
        .collect()
}
