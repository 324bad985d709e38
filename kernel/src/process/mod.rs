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
//! and the ramdisk files it opens.
//! Each process's memory besides its page tables (regions, heap break) is
//! one [`memory::UserMemory`]; pages are filled in on demand (see
//! `memory.rs`), so a fault in ring 3 first goes to [`on_user_fault`],
//! which ends the process only if the fault cannot be resolved.
//!
//! Not handled yet: `kill` on a process's thread ends the thread but leaves
//! its address space allocated.

pub mod files;
pub mod info;
pub mod memory;
pub mod signals;

use crate::arch::entry::InterruptFrame;
use crate::arch::{gdt, syscall};
use crate::memory::address_space::AddressSpace;
use crate::memory::phys_to_virt;
use crate::println;
use crate::sync::IrqMutex;
use crate::tasks::scheduler;
use crate::tasks::thread::{self, JoinHandle, SpawnError, ThreadId};
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use core::fmt;
use fault::Fault;
use memory::UserMemory;
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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Error::BadSize => f.write_str("the program is empty or too large"),
            Error::OutOfMemory => f.write_str("out of memory for the program's pages"),
            Error::Spawn(e) => write!(f, "{e}"),
            Error::NotExecutable(e) => write!(f, "cannot execute: {e}"),
            Error::BadArguments(e) => write!(f, "{e}"),
        }
    }
}

/// What a running process owns.
struct Process {
    name: String,
    space: AddressSpace,
    /// Its regions and heap (see `memory.rs`).
    memory: UserMemory,
    /// What it asked of signals (recorded, not delivered yet).
    signals: signals::Signals,
    /// Where it starts: the entry point and the initial stack pointer.
    entry: u64,
    rsp: u64,
    /// How it ends, once it does: `128 + signal` after a fault.
    signal: u8,
    /// Its open files, by descriptor.
    files: crate::fs::table::FileTable,
}

/// The processes, by the thread that runs each.
static PROCESSES: IrqMutex<BTreeMap<ThreadId, Process>> = IrqMutex::new(BTreeMap::new());

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
    let mut memory = UserMemory::new(code_end);
    let read_execute = vmas::Rights::from_prot(5);
    memory
        .add_program(CODE_ADDRESS, code_end, read_execute)
        .map_err(|_| Error::OutOfMemory)?;
    start_thread(name, space, memory, CODE_ADDRESS, STACK_TOP)
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
    let plan = uelf::plan(file, PIE_BIAS).map_err(Error::NotExecutable)?;
    let mut space = AddressSpace::new().map_err(|_| Error::OutOfMemory)?;
    let mut program_end = 0;
    for segment in plan.segments() {
        load_segment(&mut space, file, segment)?;
        program_end = program_end.max(segment.pages().1);
    }
    let mut memory = UserMemory::new(program_end);
    for segment in plan.segments() {
        let (start, end) = segment.pages();
        let rights = vmas::Rights {
            read: segment.access.read,
            write: segment.access.write,
            execute: segment.access.execute,
        };
        // (A segment over the stack's range is refused here.)
        memory
            .add_program(start, end, rights)
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
    start_thread(name, space, memory, plan.entry, layout.rsp)
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

/// Starts the thread that runs a loaded address space.
fn start_thread(
    name: &str,
    space: AddressSpace,
    memory: UserMemory,
    entry: u64,
    rsp: u64,
) -> Result<JoinHandle<()>, Error> {
    let process = Process {
        name: name.to_string(),
        space,
        memory,
        signals: signals::Signals::default(),
        entry,
        rsp,
        signal: 0,
        files: crate::fs::table::console_table(),
    };
    let handle = thread::spawn(name, || -> () { start() }).map_err(Error::Spawn)?;
    PROCESSES.lock().insert(handle.id(), process);
    Ok(handle)
}

/// The first thing a process's thread does: load its address space, enter ring 3.
fn start() -> ! {
    let me = thread::current();
    // The record is added right after the thread is made; wait for it.
    let (root, entry, rsp) = loop {
        // (The lock must be released before yielding: bind the result first.
        // A lock held across the yield stopped the spawner from inserting.)
        let found = PROCESSES
            .lock()
            .get(&me)
            .map(|p| (p.space.root(), p.entry, p.rsp));
        match found {
            Some(found) => break found,
            None => thread::yield_now(),
        }
    };
    scheduler::set_address_space(Some(root));
    scheduler::start_user_state();
    // SAFETY: this thread's kernel stack is in the TSS (the scheduler put it
    // there when it switched here), its address space is loaded, and the
    // entry and stack are in the lower half (user pages the loader mapped).
    unsafe { syscall::enter_user(entry, rsp) }
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

/// Ends the running thread's process: back to the kernel's address space,
/// then its memory is freed. Returns its record's signal (0 if none).
fn end_current() -> u8 {
    scheduler::set_address_space(None);
    let process = PROCESSES.lock().remove(&thread::current());
    process.map(|p| p.signal).unwrap_or(0)
}

/// Ends the calling process with `status` (the `exit` system call).
pub fn exit(status: u8) -> ! {
    end_current();
    thread::exit(i64::from(status))
}

/// Runs `f` on the calling thread's process's address space and memory
/// (`None` if the thread runs no process).
pub(crate) fn with_memory<R>(f: impl FnOnce(&mut AddressSpace, &mut UserMemory) -> R) -> Option<R> {
    let me = thread::current();
    let mut processes = PROCESSES.lock();
    let process = processes.get_mut(&me)?;
    Some(f(&mut process.space, &mut process.memory))
}

/// Runs `f` on the calling thread's process's signal record.
pub(crate) fn with_signals<R>(f: impl FnOnce(&mut signals::Signals) -> R) -> Option<R> {
    let me = thread::current();
    PROCESSES.lock().get_mut(&me).map(|p| f(&mut p.signals))
}

/// Fills in the calling process's page at `address` for `access` if its
/// regions allow it (for the copy helpers, which meet untouched pages too).
pub fn fault_in(address: u64, access: vmas::Access) -> Result<(), memory::Refusal> {
    with_memory(|space, memory| memory::resolve(space, memory, address, access))
        .unwrap_or(Err(memory::Refusal::Unmapped))
}

/// A fault in ring 3 (else returns false at once): a page fault that the
/// process's regions allow gets its page and the program goes on; any
/// other fault ends the process ([`end_after_fault`]). Returns true.
pub fn on_user_fault(frame: &mut InterruptFrame, fault: &Fault) -> bool {
    if frame.cs & 3 != 3 {
        return false;
    }
    let mut why = None;
    if fault.vector == fault::vector::PAGE_FAULT {
        let access = memory::access_of(fault::PageFaultCode(fault.error_code));
        match fault_in(fault.cr2, access) {
            Ok(()) => return true,
            Err(refusal) => why = Some(refusal),
        }
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
        _ => signal_for(fault.vector),
    };
    let name = PROCESSES.lock().get_mut(&thread::current()).map(|p| {
        p.signal = signal;
        p.name.clone()
    });
    println!(
        "process {} killed by {signal_name}: {} at address {:#x}, rip {:#x}{}",
        name.as_deref().unwrap_or("?"),
        fault.name(),
        fault.cr2,
        frame.rip,
        Because(why)
    );
    // "Return" into `killed`, in ring 0, at the top of this thread's kernel
    // stack (the frame below it is dead), with interrupts off.
    let selectors = gdt::selectors();
    frame.rip = killed as *const () as u64;
    frame.cs = u64::from(selectors.code.0);
    frame.ss = u64::from(selectors.data.0);
    frame.rsp = gdt::kernel_stack().as_u64() - 8;
    frame.rflags = 0x2;
    true
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

/// The signal Linux sends for CPU exception `vector`, and its name.
fn signal_for(vector: u8) -> (u8, &'static str) {
    match vector {
        0 | 16 | 19 => (8, "SIGFPE"),
        1 | 3 => (5, "SIGTRAP"),
        6 => (4, "SIGILL"),
        17 => (7, "SIGBUS"),
        _ => (11, "SIGSEGV"),
    }
}

/// Where a killed process's thread continues in ring 0: it ends.
extern "C" fn killed() -> ! {
    let signal = end_current();
    thread::exit(128 + i64::from(signal))
}
