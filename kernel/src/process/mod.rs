//! Processes, first steps: programs in ring 3, each in its own address space.
//!
//! A process here is a kernel thread that has left for ring 3, plus the
//! address space it runs in (`memory::address_space`: its own lower half,
//! the kernel's higher half). The thread's kernel stack is where the CPU
//! enters the kernel when the program makes a system call or faults (the
//! scheduler keeps it in the TSS, and the address space in CR3), and the
//! thread's end is the process's end:
//!
//! - `exit(status)` frees the address space and ends the thread with
//!   `status`, which its joiner reads (`ThreadError::Exited(status)`);
//! - a fault in ring 3 that is not a page to fill in (`fault_policy` asks
//!   [`on_user_fault`], which calls [`end_after_fault`]) prints one
//!   line (signal, address, RIP) and ends the thread with `128 + signal`,
//!   the number a shell shows; the kernel goes on.
//!
//! Two kinds of program:
//!
//! - *flat* ([`spawn_flat`]): position-independent machine code copied to
//!   [`CODE_ADDRESS`] and entered at its first byte, with `rsp` at
//!   [`STACK_TOP`];
//! - static ELF files ([`spawn_elf`]): `crates/uelf` plans the segments
//!   (static-PIE files are placed at [`PIE_BIAS`]), each page gets its
//!   segment's rights, and `crates/ustack` writes the System V initial stack
//!   (argc, argv, envp, auxv) below [`STACK_TOP`].
//!
//! ```text
//! 0x40_0000 (or PIE_BIAS)     code and data, as the program asks
//! STACK_TOP - 16 KiB         stack (read + write, no execute), 4 pages
//! STACK_TOP = 0x7fff_ff00_0000
//! ```
//!
//! Each process has a table of open files (`files`): the console on 0-2,
//! and the files it opens; and a current directory, umask and program path
//! (`fs::context`). Its memory is one [`Memory`]: the page
//! tables and, beside them, the map of its regions and its heap break
//! ([`memory::UserMemory`]). Pages are filled in on demand (see
//! `memory.rs`), so a fault in ring 3 first goes to [`on_user_fault`], which
//! ends the process only if the fault cannot be resolved.
//!
//! Each process also has a pid, a parent and each process also has a pid, a parent and
//! children (`table.rs`, on `crates/ptable`), and can `fork` (`fork.rs`),
//! `execve` (`exec.rs`), `wait4` for its children (`wait.rs`) and be
//! killed (`signal.rs`). A process ends in one place, [`finish`]: its
//! address space goes, it becomes a zombie for its parent, its children are
//! re-parented, and waiting parents are woken. See docs/user-mode.md.

pub mod deliver;
pub mod exec;
pub mod files;
pub mod fork;
pub mod futex;
pub mod groups;
pub use crate::tasks::link;
pub mod memory;
pub mod pid1;
pub mod proc_files;
mod program_cache;
pub mod programs;
pub mod signal;
pub mod signals;
pub mod stop;
mod table;
pub mod threads;
pub mod wait;

pub use ptable::{Pid, WaitStatus};
pub use table::{
    MAX_PROCESSES, ProcessInfo, current_name, current_pid, list, parent_of, rename, set_user_writer,
};

use crate::arch::entry::InterruptFrame;
use crate::arch::user_state::UserState;
use crate::arch::{gdt, syscall};
use crate::fs::table::FileTable;
use crate::memory::address_space::AddressSpace;
use crate::memory::phys_to_virt;
use crate::println;
use crate::sync::IrqMutex;
use crate::tasks::scheduler;
use crate::tasks::thread::{self, JoinHandle, SpawnError};
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use core::fmt;
use fault::Fault;
use memory::UserMemory;
use table::PROCESSES;
use x86_64::VirtAddr;
use x86_64::structures::paging::{Page, PageTableFlags as Flags};

/// Where a flat program's code starts.
pub const CODE_ADDRESS: u64 = 0x40_0000;
/// Where the stack ends (the initial rsp).
pub const STACK_TOP: u64 = 0x7fff_ff00_0000;
/// Pages of user stack.
pub const STACK_PAGES: u64 = 4;
/// The most code a flat program may have.
pub const MAX_CODE: usize = 1 << 20;
/// Where a static-PIE program's address 0 goes.
pub const PIE_BIAS: u64 = 0x5555_5555_0000;

const PAGE: u64 = 4096;

/// Why a program could not be started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Empty, or more than [`MAX_CODE`] bytes.
    BadSize,
    /// No memory for its pages.
    OutOfMemory,
    /// Not a program we can load (`-ENOEXEC`).
    NotExecutable(uelf::Error),
    /// Arguments and environment do not fit on the stack (`-E2BIG`, `-EINVAL`).
    BadArguments(ustack::Error),
    Spawn(SpawnError),
    /// The process table is full (`-EAGAIN`).
    TooMany,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Error::BadSize => f.write_str("the program is empty or too large"),
            Error::OutOfMemory => f.write_str("out of memory for the program's pages"),
            Error::Spawn(e) => write!(f, "{e}"),
            Error::NotExecutable(e) => write!(f, "cannot execute: {e}"),
            Error::BadArguments(e) => write!(f, "{e}"),
            Error::TooMany => f.write_str("too many processes"),
        }
    }
}

/// Where a process's thread enters ring 3 for the first time.
#[derive(Clone)]
enum Start {
    /// A new program: its entry point and initial stack pointer, every
    /// register zero.
    Fresh { entry: u64, rsp: u64 },
    /// A forked child: the parent's registers at its `fork` (with `rax` 0),
    /// its FPU/SSE registers, its FS base, and where to store its pid first
    /// (`CLONE_CHILD_SETTID`).
    Forked {
        frame: InterruptFrame,
        user_state: alloc::boxed::Box<UserState>,
        fs_base: u64,
        set_tid: Option<u64>,
    },
}

/// A process's memory: its page tables and the map of its regions, which
/// change together (one lock for both).
pub struct Memory {
    pub space: AddressSpace,
    pub map: UserMemory,
}

/// A process's memory as processes hold it: a `vfork` child shares its
/// parent's until it execs or ends.
pub type SharedMemory = Arc<IrqMutex<Memory>>;

/// What the kernel keeps for a process (inside its `ptable` entry).
struct Process {
    name: String,
    /// The thread that runs it (`None` for a moment while it is made).
    thread: Option<thread::ThreadId>,
    /// Its memory; shared with a `vfork` child until that child execs or
    /// exits. `None` once it has ended.
    space: Option<SharedMemory>,
    /// Its open files, by descriptor.
    files: crate::fs::table::FileTable,
    /// Its current directory, umask and program path.
    fs: crate::fs::context::FsContext,
    /// What it asked of signals (recorded, not delivered yet). Boxed: at
    /// What it asked of signals (`signals.rs`). Boxed: at
    /// 2 KiB it would make every move of a record a large copy on the
    /// kernel stack (debug builds overflowed a 32 KiB stack in `fork`).
    signals: alloc::boxed::Box<signals::Signals>,
    /// The signal state (mask, alternate stack) its first thread starts
    /// with; from then on each thread's is in its link.
    first_thread: signals::ThreadSignals,
    /// Taken by the thread when it starts.
    start: Option<Start>,
    /// Its threads' links (`link.rs`), each made when its thread starts:
    /// their ids, and whether each is in kernel code that may hold
    /// resources (a system call, the end after a fault), in which case a
    /// kill is posted there for it to act on at its next way out, instead
    /// of ending the thread from outside.
    links: alloc::vec::Vec<Arc<link::Link>>,
    /// Its threads that have not ended (started, or about to start): the
    /// process ends with the last one (`threads.rs`).
    live: usize,
    /// The status the process ends with when its last thread is gone, once
    /// something ended the whole process (`exit_group`, a fault, a kill).
    ending: Option<WaitStatus>,
    /// A terminating signal (SIGKILL, SIGTERM) not acted on yet.
    kill: Option<u8>,
    /// Other signals sent to it, one bit each (bit n-1 for signal n),
    /// acted on by `deliver.rs` on its way back to ring 3.
    pending: u64,
    /// The signal that ends it from ring 0 (a fault's, or a default
    /// action's; see [`end_with_signal`]), and whether it "dumps core".
    fault_signal: u8,
    dump_core: bool,
    /// Where to store 0 when it ends (`CLONE_CHILD_CLEARTID`, `set_tid_address`).
    clear_child_tid: u64,
    /// Its parent waits in `vfork` until this goes false (exec or end).
    vfork_hold: bool,
    /// Stopped or not, and the change its parent's `wait4` has not taken
    /// yet (`stop.rs`).
    job: stop::JobState,
}

impl Process {
    fn new(name: &str, space: SharedMemory, start: Start) -> Process {
        Process {
            name: name.to_string(),
            thread: None,
            space: Some(space),
            files: crate::fs::table::console_table(),
            fs: crate::fs::context::FsContext::new(),
            signals: alloc::boxed::Box::default(),
            first_thread: signals::ThreadSignals::default(),
            start: Some(start),
            links: alloc::vec::Vec::new(),
            live: 1,
            ending: None,
            kill: None,
            pending: 0,
            fault_signal: 0,
            dump_core: false,
            clear_child_tid: 0,
            vfork_hold: false,
            job: stop::JobState::default(),
        }
    }
}

/// Runs `code` (position-independent machine code, entered at its first byte)
/// in ring 3, in a new address space and a new thread named `name`. Its
/// joiner learns how it ended: `Err(ThreadError::Exited(status))`.
pub fn spawn_flat(name: &str, code: &[u8]) -> Result<JoinHandle<()>, Error> {
    if code.is_empty() || code.len() > MAX_CODE {
        return Err(Error::BadSize);
    }
    let mut space = AddressSpace::new().map_err(|_| Error::OutOfMemory)?;
    load_flat(&mut space, code)?;
    let code_end = CODE_ADDRESS + (code.len() as u64).div_ceil(PAGE) * PAGE;
    let mut map = UserMemory::new(code_end);
    let read_execute = vmas::Rights::from_prot(5);
    map.add_program(CODE_ADDRESS, code_end, read_execute)
        .map_err(|_| Error::OutOfMemory)?;
    let start = Start::Fresh {
        entry: CODE_ADDRESS,
        rsp: STACK_TOP,
    };
    let process = Process::new(name, share(Memory { space, map }), start);
    start_thread(name, process, None).map(|(_, handle)| handle)
}

/// Runs the static ELF program `file` with arguments `args` (`args[0]` is
/// its name, by convention its path) and environment `env`, in a new
/// address space and a new thread named `name`.
pub fn spawn_elf(
    name: &str,
    file: &[u8],
    args: &[&[u8]],
    env: &[&[u8]],
) -> Result<JoinHandle<()>, Error> {
    spawn_elf_then(name, file, args, env, |_| {}).map(|(_, handle)| handle)
}

/// [`spawn_elf`], calling `before_start` with the new process's pid before
/// its thread can run (the shell lends it the console there).
pub fn spawn_elf_then(
    name: &str,
    file: &[u8],
    args: &[&[u8]],
    env: &[&[u8]],
    before_start: impl FnOnce(Pid),
) -> Result<(Pid, JoinHandle<()>), Error> {
    let (memory, entry, rsp) = load_elf(file, args, env)?;
    let mut process = Process::new(name, share(memory), Start::Fresh { entry, rsp });
    // `/proc/self/exe`: the program's path, if its first argument is one.
    process.fs.exe = args
        .first()
        .filter(|a| a.starts_with(b"/"))
        .map(|a| a.to_vec());
    process.fs.set_cmdline(args);
    start_thread_then(name, process, None, before_start)
}

/// `memory` under its lock, to be held by processes.
fn share(memory: Memory) -> SharedMemory {
    Arc::new(IrqMutex::new(memory))
}

/// A new memory with the static ELF program `file` loaded and its initial
/// stack built; and the entry point and initial stack pointer.
fn load_elf(file: &[u8], args: &[&[u8]], env: &[&[u8]]) -> Result<(Memory, u64, u64), Error> {
    let plan = uelf::plan(file, PIE_BIAS).map_err(Error::NotExecutable)?;
    let mut space = AddressSpace::new().map_err(|_| Error::OutOfMemory)?;
    let mut program_end = 0;
    for segment in plan.segments() {
        load_segment(&mut space, file, segment)?;
        program_end = program_end.max(segment.pages().1);
    }
    let mut map = UserMemory::new(program_end);
    for segment in plan.segments() {
        let (start, end) = segment.pages();
        let rights = vmas::Rights {
            read: segment.access.read,
            write: segment.access.write,
            execute: segment.access.execute,
        };
        // (A segment over the stack's range is refused here.)
        map.add_program(start, end, rights)
            .map_err(|_| Error::OutOfMemory)?;
    }
    let aux = ustack::Aux {
        phdr: plan.program_headers.unwrap_or(0),
        phent: u64::from(plan.program_header_size()),
        phnum: u64::from(plan.program_header_count),
        entry: plan.entry,
        hwcap: u64::from(core::arch::x86_64::__cpuid(1).edx),
        ..ustack::Aux::default()
    };
    let execfn = args.first().copied().unwrap_or(b"");
    let mut stack = alloc::vec![0u8; (STACK_PAGES * PAGE) as usize];
    let layout = ustack::build(
        &mut stack,
        STACK_TOP,
        args,
        env,
        execfn,
        &random_bytes(),
        &aux,
    )
    .map_err(Error::BadArguments)?;
    map_stack(&mut space, &stack)?;
    Ok((Memory { space, map }, plan.entry, layout.rsp))
}

/// Maps the pages of one planned segment with its rights and copies its
/// file bytes in (the rest stays zero: `.bss`).
fn load_segment(
    space: &mut AddressSpace,
    file: &[u8],
    segment: &uelf::Segment,
) -> Result<(), Error> {
    let mut flags = Flags::empty();
    if segment.access.write {
        flags |= Flags::WRITABLE;
    }
    if !segment.access.execute {
        flags |= Flags::NO_EXECUTE;
    }
    let (first, end) = segment.pages();
    let file_end = segment.address + segment.file_size;
    for page_start in (first..end).step_by(PAGE as usize) {
        let page = Page::containing_address(VirtAddr::new(page_start));
        let frame = space.map_new(page, flags).map_err(|_| Error::OutOfMemory)?;
        // The part of this page that comes from the file.
        let from = page_start.max(segment.address);
        let to = (page_start + PAGE).min(file_end);
        if from < to {
            let offset = (segment.file_offset + (from - segment.address)) as usize;
            let bytes = &file[offset..offset + (to - from) as usize];
            let window = phys_to_virt(frame.start_address()) + (from - page_start);
            // SAFETY: the frame was just allocated for this page alone; the
            // bytes fit in it (`from..to` lies in one page).
            unsafe {
                core::ptr::copy_nonoverlapping(bytes.as_ptr(), window.as_mut_ptr(), bytes.len())
            };
        }
    }
    Ok(())
}

/// Maps the stack pages below [`STACK_TOP`] with the contents of `stack`
/// (whose last byte is at `STACK_TOP - 1`).
fn map_stack(space: &mut AddressSpace, stack: &[u8]) -> Result<(), Error> {
    let bottom = STACK_TOP - stack.len() as u64;
    for (i, bytes) in stack.chunks(PAGE as usize).enumerate() {
        let page = Page::containing_address(VirtAddr::new(bottom + i as u64 * PAGE));
        let frame = space
            .map_new(page, Flags::WRITABLE | Flags::NO_EXECUTE)
            .map_err(|_| Error::OutOfMemory)?;
        let window: *mut u8 = phys_to_virt(frame.start_address()).as_mut_ptr();
        // SAFETY: as in `load_segment`; one page of bytes into one page.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), window, bytes.len()) };
    }
    Ok(())
}

/// The 16 bytes of `AT_RANDOM` (see `crate::random` for where they come from).
fn random_bytes() -> [u8; 16] {
    let mut bytes = [0; 16];
    crate::random::fill(&mut bytes);
    bytes
}

/// Adds `process` to the table (a child of `parent`, or the kernel's) and
/// starts the thread that runs it; returns its pid and the thread's handle
/// (whose `join` gives the shell's status number: code, or 128 + signal).
fn start_thread(
    name: &str,
    process: Process,
    parent: Option<Pid>,
) -> Result<(Pid, JoinHandle<()>), Error> {
    start_thread_then(name, process, parent, |_| {})
}

/// [`start_thread`], calling `before_start` with the pid once the process
/// is in the table, before its thread exists.
fn start_thread_then(
    name: &str,
    process: Process,
    parent: Option<Pid>,
    before_start: impl FnOnce(Pid),
) -> Result<(Pid, JoinHandle<()>), Error> {
    let created = {
        let mut processes = PROCESSES.lock();
        // A killed parent makes no more children on its way out (a fork
        // bomb is stopped by killing each process once).
        let parent_killed = parent
            .and_then(|p| processes.table.get(p))
            .is_some_and(|e| e.data.kill.is_some());
        if processes.table.is_full() || parent_killed {
            None
        } else {
            processes.table.create(parent, process).ok()
        }
    };
    // (A refused record is dropped here, outside the lock.)
    let pid = created.ok_or(Error::TooMany)?;
    before_start(pid);
    match thread::spawn(name, move || -> () { start(pid) }) {
        Ok(handle) => {
            table::set_thread(pid, handle.id());
            Ok((pid, handle))
        }
        Err(e) => {
            let record = PROCESSES.lock().table.discard(pid);
            drop(record); // (its address space, outside the lock)
            Err(Error::Spawn(e))
        }
    }
}

/// The first thing a process's thread does: load its address space, enter ring 3.
fn start(pid: Pid) -> ! {
    // The thread is noted in the record right after it is made; wait for it.
    let (root, start) = loop {
        // (The lock must be released before yielding: bind the result first.
        // A lock held across the yield stopped the spawner from inserting.)
        let found = PROCESSES.lock().table.get_mut(pid).and_then(|e| {
            let p = &mut e.data;
            p.thread?;
            // Linked under the table's lock: a killer sees the link (in
            // the kernel) or ends the thread before it gets here. (Linked
            // before looking at `kill`: `finish` needs the link.)
            let own = p.first_thread;
            let link = Arc::new(link::Link::new(pid, pid.0, thread::current(), own));
            p.links.push(link.clone());
            scheduler::set_link(Some(link));
            if let Some(signal) = p.kill {
                return Some(Err(signal));
            }
            let root = p.space.as_ref()?.lock().space.root();
            let start = p.start.take()?;
            Some(Ok((root, start)))
        });
        match found {
            Some(Err(signal)) => finish(WaitStatus::Signaled {
                signal,
                core: false,
            }),
            Some(Ok(found)) => break found,
            None => thread::yield_now(),
        }
    };
    scheduler::set_address_space(Some(root));
    // FPU/SSE registers and FS/GS bases from now on saved and restored at
    // every switch: a new program's start clean, a forked child's are its
    // parent's at the fork (and it then sets its FS base).
    match start {
        Start::Fresh { entry, rsp } => {
            scheduler::start_user_state();
            leave_for_user();
            // SAFETY: this thread's kernel stack is in the TSS (the scheduler
            // put it there when it switched here), its address space is
            // loaded, and the entry and stack are in the lower half (user
            // pages the loader mapped).
            unsafe { syscall::enter_user(entry, rsp) }
        }
        Start::Forked {
            frame,
            user_state,
            fs_base,
            set_tid,
        } => {
            scheduler::continue_user_state(user_state);
            fork::enter_child(pid, frame, fs_base, set_tid)
        }
    }
}

/// Maps code and stack pages for a flat program.
fn load_flat(space: &mut AddressSpace, code: &[u8]) -> Result<(), Error> {
    for (i, bytes) in code.chunks(PAGE as usize).enumerate() {
        let page = Page::containing_address(VirtAddr::new(CODE_ADDRESS + i as u64 * PAGE));
        let frame = space
            .map_new(page, Flags::empty())
            .map_err(|_| Error::OutOfMemory)?;
        let window: *mut u8 = phys_to_virt(frame.start_address()).as_mut_ptr();
        // SAFETY: the frame was just allocated for this page alone; we write
        // it through the physical-memory window.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), window, bytes.len()) };
    }
    for i in 1..=STACK_PAGES {
        let page = Page::containing_address(VirtAddr::new(STACK_TOP - i * PAGE));
        space
            .map_new(page, Flags::WRITABLE | Flags::NO_EXECUTE)
            .map_err(|_| Error::OutOfMemory)?;
    }
    Ok(())
}

/// Ends the calling thread with `status` (the `exit` system call); the
/// process ends with its last thread (see `threads.rs`).
pub fn exit(status: u8) -> ! {
    threads::end_thread(WaitStatus::Exited(status))
}

/// Ends the calling process with `status`, all its threads (`exit_group`).
pub fn exit_group(status: u8) -> ! {
    finish(WaitStatus::Exited(status))
}

/// Ends the calling process: its other threads are stopped, and the
/// calling thread ends (see `threads.rs`): it stores 0 at its clear-tid
/// address, leaves the address space, and the last thread out ends the
/// process in the table (see [`end`]); the thread ends with the shell's
/// number for `status`.
fn finish(status: WaitStatus) -> ! {
    threads::end_others(status);
    threads::end_thread(status)
}

/// Ends process `pid` in the table with `status`: its memory is freed (or
/// its share of it given up), its files are closed and its current
/// directory let go (a pipe's reader sees
/// the end of file now, not when the zombie is reaped), it becomes a zombie for its parent (or goes
/// at once), its children are re-parented, and every waiting parent looks
/// again. Its thread must not run in its address space any more (it has
/// ended or left it).
fn end(pid: Pid, status: WaitStatus) {
    let (space, files, cwd, gone) = {
        let mut processes = PROCESSES.lock();
        let Some(entry) = processes.table.get_mut(pid) else {
            return;
        };
        let parent = entry.parent;
        let space = entry.data.space.take();
        let files = core::mem::replace(&mut entry.data.files, FileTable::new(0));
        let cwd = entry.data.fs.cwd.take();
        entry.data.vfork_hold = false;
        if let Some(thread) = entry.data.thread {
            processes.by_thread.remove(&thread);
        }
        let gone = processes.table.exit(pid, status);
        pid1::note_end(pid, status);
        let parent = parent.and_then(|p| processes.table.get_mut(p));
        if let Some(parent) = parent.filter(|e| e.state == ptable::State::Alive) {
            signal::child_ended(&mut parent.data, pid, status);
        }
        (space, files, cwd, gone)
    };
    // Dropped outside the lock: freeing frames takes other locks.
    if let Some(space) = space {
        table::release_space(space);
    }
    drop(files);
    drop(cwd);
    drop(gone);
    wait::notify();
}

/// Runs `f` on the calling thread's process's page tables and memory map
/// (`None` if the thread runs no process). The process table is not locked
/// meanwhile, only the process's memory.
pub(crate) fn with_memory<R>(f: impl FnOnce(&mut AddressSpace, &mut UserMemory) -> R) -> Option<R> {
    let shared = table::with_current(|_, p| p.space.clone())??;
    let mut memory = shared.lock();
    let Memory { space, map } = &mut *memory;
    Some(f(space, map))
}

/// Runs `f` on the calling thread's process's signal record.
pub(crate) fn with_signals<R>(f: impl FnOnce(&mut signals::Signals) -> R) -> Option<R> {
    table::with_current(|_, p| f(&mut p.signals))
}

/// Runs `f` on the calling thread's own signal state (its mask, saved mask
/// and alternate stack) under the table's lock, then raises the thread's
/// attention, so that a signal it has just unblocked is acted on at its
/// way out (see `deliver.rs`).
pub(crate) fn with_own_signals<R>(f: impl FnOnce(&mut signals::ThreadSignals) -> R) -> Option<R> {
    table::with_current(|_, _| {
        scheduler::with_link(|link| {
            let result = link.with_own(f);
            link.raise_attention();
            result
        })
    })
    .flatten()
}

/// Fills in the calling process's page at `address` for `access` if its
/// regions allow it (for the copy helpers, which meet untouched pages too).
pub fn fault_in(address: u64, access: vmas::Access) -> Result<(), memory::Refusal> {
    with_memory(|space, memory| memory::resolve(space, memory, address, access))
        .unwrap_or(Err(memory::Refusal::Unmapped))
}

/// A fault in ring 3 (else returns false at once): a page fault that the
/// process's regions allow gets its page (a new zeroed one, or a private
/// copy of a copy-on-write one) and the program goes on; any other fault
/// ends the process ([`end_after_fault`]). Returns true.
pub fn on_user_fault(frame: &mut InterruptFrame, fault: &Fault) -> bool {
    if frame.cs & 3 != 3 {
        return false;
    }
    let mut why = None;
    if fault.vector == fault::vector::PAGE_FAULT {
        let code = fault::PageFaultCode(fault.error_code);
        match fault_in(fault.cr2, memory::access_of(code)) {
            Ok(()) => return true,
            Err(refusal) => why = Some(refusal),
        }
    }
    // Its signal's handler, if it has one (see `deliver.rs`).
    if why != Some(memory::Refusal::OutOfMemory) && deliver::on_fault(frame, fault) {
        return true;
    }
    end_after_fault(frame, fault, why)
}

/// Reports the fault of a program in one line and arranges for the process
/// to end with the fault's signal (SIGKILL when memory ran out); returns
/// true. `why` says why a page fault could not be resolved.
pub fn end_after_fault(
    frame: &mut InterruptFrame,
    fault: &Fault,
    why: Option<memory::Refusal>,
) -> bool {
    let (signal, signal_name) = match why {
        Some(memory::Refusal::OutOfMemory) => (9, "SIGKILL"),
        _ => {
            let (signal, name, _, _) = deliver::signal_of_fault(fault, frame.rip);
            (signal, name)
        }
    };
    let name = table::with_current(|_, p| p.name.clone());
    println!(
        "process {} killed by {signal_name}: {} at address {:#x}, rip {:#x}{}",
        name.as_deref().unwrap_or("?"),
        fault.name(),
        fault.cr2,
        frame.rip,
        Because(why)
    );
    end_with_signal(frame, signal, signal != 9);
    true
}

/// Arranges for the calling process to end with `signal` (`core`: the
/// status word's core bit) instead of returning to ring 3 with `frame`:
/// the frame "returns" into `killed`, in ring 0, at the top of this
/// thread's kernel stack (the frame below it is dead), with interrupts off.
pub fn end_with_signal(frame: &mut InterruptFrame, signal: u8, core: bool) {
    scheduler::with_link(|link| link.enter());
    table::with_current(|_, p| {
        p.fault_signal = signal;
        p.dump_core = core;
    });
    let selectors = gdt::selectors();
    frame.rip = killed as *const () as u64;
    frame.cs = u64::from(selectors.code.0);
    frame.ss = u64::from(selectors.data.0);
    frame.rsp = gdt::kernel_stack().as_u64() - 8;
    frame.rflags = 0x2;
}

/// ` (why)`, or nothing.
struct Because(Option<memory::Refusal>);

impl fmt::Display for Because {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.0 {
            Some(why) => write!(f, " ({})", why.describe()),
            None => Ok(()),
        }
    }
}

/// Where a killed process's thread continues in ring 0: it ends, with the
/// signal and core bit [`end_with_signal`] noted.
extern "C" fn killed() -> ! {
    let (signal, core) =
        table::with_current(|_, p| (p.fault_signal, p.dump_core)).unwrap_or((11, true));
    finish(WaitStatus::Signaled { signal, core })
}

/// Where 0 is stored when the calling thread ends (`set_tid_address`).
pub fn set_clear_child_tid(address: u64) {
    let Some(me) = scheduler::current_link() else {
        return;
    };
    if me.tid == me.pid.0 {
        table::with_current(|_, p| p.clear_child_tid = address);
    } else {
        me.clear_tid
            .store(address, core::sync::atomic::Ordering::SeqCst);
    }
}

/// The calling thread's tid (`gettid`).
pub fn current_tid() -> Option<u32> {
    scheduler::with_link(|link| link.tid)
}

/// How many threads the calling process has (started or starting).
pub fn thread_count() -> usize {
    table::with_current(|_, p| p.live).unwrap_or(0)
}

/// Called by the system-call path on entry: the thread is in the kernel
/// (see `link.rs`). One load and one store: no lock, no lookup.
pub fn syscall_entered() {
    scheduler::with_link(|link| link.enter());
}

/// Called by the system-call path on the way back with the frame it
/// returns with and the call's number: delivers a pending signal
/// (`deliver.rs`), and, when the frame goes back to ring 3, leaves the
/// kernel (ending the thread here if a kill was posted for it meanwhile).
pub fn syscall_leaving(frame: &mut InterruptFrame, number: u64) {
    deliver::on_syscall_return(frame, number);
    if frame.cs & 3 == 3 {
        leave_for_user();
    }
}

/// The calling thread leaves the kernel for ring 3 (from here on a kill
/// ends it from outside), unless a kill was posted for it: then it ends
/// here.
fn leave_for_user() {
    if let Some(Some(signal)) = scheduler::with_link(|link| link.leave()) {
        finish(WaitStatus::Signaled {
            signal,
            core: false,
        });
    }
}
