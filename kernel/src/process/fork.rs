//! `fork`, `vfork` and `clone`: a new process that continues where its
//! parent called.
//!
//! The child gets a copy of the parent's memory (copy-on-write, see
//! `memory::copy_on_write`), or, for `vfork` and `CLONE_VM`, the parent's
//! memory itself: both then run in one address space, so the parent sleeps
//! until the child has called `execve` or ended (a vfork child runs on the
//! parent's stack, or on a stack of its own with `clone`). The child starts
//! with the parent's registers as they were at the `syscall`, except `rax`,
//! which is 0 (the child's return value; the parent gets the child's pid);
//! `rcx` and `r11` are what the parent sees after its `sysret` (the return
//! address and flags), so every register matches; so do its FPU/SSE
//! registers (x87, `xmm0`-`xmm15`, MXCSR), copied at the call. Its FS base
//! is the parent's (or the one `CLONE_SETTLS` asks for). Its signal
//! handlers are the parent's, its mask and alternate stack those of the
//! thread that called.

use super::table::{self, PROCESSES};
use super::{Error, Memory, Pid, Process, Start, share, start_thread, wait};
use crate::arch::entry::InterruptFrame;
use crate::arch::syscall;
use crate::arch::user_state::UserState;
use crate::memory::copy_on_write;
use crate::tasks::scheduler;
use x86_64::VirtAddr;
use x86_64::registers::model_specific::FsBase;
use x86_64::structures::paging::Page;

/// What kind of child `fork` makes (the system-call layer reads these from
/// `clone`'s flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Share the parent's memory instead of copying it (`CLONE_VM`).
    pub share_memory: bool,
    /// The parent sleeps until the child execs or ends (`CLONE_VFORK`).
    pub vfork: bool,
    /// The child's stack pointer, if not the parent's.
    pub stack: Option<u64>,
    /// The child's FS base (`CLONE_SETTLS`); a user address.
    pub tls: Option<u64>,
    /// Where the child stores its pid first (`CLONE_CHILD_SETTID`).
    pub set_child_tid: Option<u64>,
    /// Where 0 is stored when the child ends (`CLONE_CHILD_CLEARTID`).
    pub clear_child_tid: Option<u64>,
}

/// Why no child was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForkError {
    /// The process table is full (`-EAGAIN`).
    TooMany,
    /// No memory for the child's tables or thread (`-ENOMEM`).
    OutOfMemory,
    /// The caller is not a process.
    NotAProcess,
}

/// Makes a child of the calling process that continues from `frame` (the
/// parent's saved `syscall` frame); returns its pid.
pub fn fork(frame: &InterruptFrame, options: Options) -> Result<Pid, ForkError> {
    let (parent, name, space, files, signals, fs) = table::with_current(|pid, p| {
        let files = p.files.clone();
        // The calling thread's mask and alternate stack, for the child's
        // only thread.
        let own = scheduler::with_link(|link| link.with_own(|t| t.for_fork()));
        (
            pid,
            p.name.clone(),
            p.space.clone(),
            files,
            (p.signals.clone(), own.unwrap_or_default()),
            p.fs.clone(),
        )
    })
    .ok_or(ForkError::NotAProcess)?;
    let space = space.ok_or(ForkError::NotAProcess)?;
    let child_space = if options.share_memory {
        space
    } else {
        // The page tables are copied copy-on-write; the map of regions and
        // the heap break are plain data, copied as they are.
        let mut parent = space.lock();
        let shared = fill_shared(&mut parent).map_err(|_| ForkError::OutOfMemory)?;
        let copy =
            copy_on_write::fork(&parent.space, &shared).map_err(|_| ForkError::OutOfMemory)?;
        share(Memory {
            space: copy,
            map: parent.map.clone(),
        })
    };
    let mut child_frame = frame.clone();
    child_frame.rax = 0;
    child_frame.rcx = frame.rip;
    child_frame.r11 = frame.rflags;
    if let Some(stack) = options.stack {
        child_frame.rsp = stack;
    }
    // The kernel is soft-float: the CPU's FPU/SSE registers are still the
    // caller's (a switch meanwhile saves and restores them), so the child
    // gets a copy of them as they are now, as on Linux.
    let mut user_state = alloc::boxed::Box::new(UserState::new());
    user_state.save();
    let start = Start::Forked {
        frame: child_frame,
        user_state,
        fs_base: options.tls.unwrap_or_else(|| FsBase::read().as_u64()),
        set_tid: options.set_child_tid,
    };
    let mut process = Process::new(&name, child_space, start);
    // Open files are shared with the parent (the same positions), each
    // descriptor by the same number.
    process.files = files;
    process.fs = fs; // the current directory, umask, program path
    (process.signals, process.first_thread) = signals;
    process.clear_child_tid = options.clear_child_tid.unwrap_or(0);
    process.vfork_hold = options.vfork;
    let (pid, handle) = start_thread(&name, process, Some(parent)).map_err(|e| match e {
        Error::TooMany => ForkError::TooMany,
        _ => ForkError::OutOfMemory,
    })?;
    drop(handle); // detached: the parent learns of its end through `wait4`
    if options.vfork {
        wait_for_exec_or_end(parent, pid);
    }
    Ok(pid)
}

/// Sleeps until vfork child `child` has exec'd or ended (or `parent` is killed).
fn wait_for_exec_or_end(parent: Pid, child: Pid) {
    wait::wait_until(|| {
        let processes = PROCESSES.lock();
        let killed = processes
            .table
            .get(parent)
            .is_some_and(|e| e.data.kill.is_some());
        let holds = processes
            .table
            .get(child)
            .is_some_and(|e| e.data.vfork_hold);
        (killed || !holds).then_some(())
    });
}

/// Where a forked child's thread enters ring 3 (its address space is
/// loaded): stores its pid if asked, sets its FS base, and returns to user
/// mode with `frame`.
pub(super) fn enter_child(
    pid: Pid,
    frame: InterruptFrame,
    fs_base: u64,
    set_tid: Option<u64>,
) -> ! {
    if let Some(address) = set_tid {
        table::write_user(address, &pid.0.to_le_bytes());
    }
    super::leave_for_user();
    FsBase::write(VirtAddr::new_truncate(fs_base));
    // SAFETY: the frame is the parent's saved ring-3 frame (user segments, a
    // return address the parent's `syscall` came from), copied; this
    // thread's kernel stack is in the TSS and its address space is loaded.
    unsafe { syscall::return_to_user(&frame) }
}

/// The ranges of `memory`'s `MAP_SHARED` regions, every page of which is
/// made present first: a page that parent and child are to share must exist
/// before the fork (one filled in later on demand would be each one's own).
fn fill_shared(memory: &mut Memory) -> Result<alloc::vec::Vec<(u64, u64)>, ()> {
    let shared: alloc::vec::Vec<vmas::Region> = memory
        .map
        .map
        .iter()
        .filter(|r| r.kind == vmas::Kind::SharedAnonymous)
        .copied()
        .collect();
    for region in &shared {
        for address in (region.start..region.end).step_by(4096) {
            if !memory.space.has_page(address) {
                let page = Page::containing_address(VirtAddr::new(address));
                let flags = super::memory::flags_for(region.rights);
                memory.space.map_new(page, flags).map_err(|_| ())?;
            }
        }
    }
    Ok(shared.iter().map(|r| (r.start, r.end)).collect())
}
