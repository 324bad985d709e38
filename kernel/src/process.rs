//! Processes, first steps: one program at a time in ring 3.
//!
//! A process here is a kernel thread that has left for ring 3, plus the user
//! pages it runs on. The thread's kernel stack is where the CPU enters the
//! kernel when the program makes a system call or faults (the scheduler keeps
//! it in the TSS), and the thread's end is the process's end:
//!
//! - `exit(status)` frees the pages and ends the thread with `status`, which
//!   its joiner reads (`ThreadError::Exited(status)`);
//! - a fault in ring 3 (`fault_policy` asks [`end_after_fault`]) prints one
//!   line (signal, address, RIP) and ends the thread with `128 + signal`,
//!   the number a shell shows; the kernel goes on.
//!
//! What is *not* here yet: each process its own address space. For now the
//! user pages live in one free 512 GiB slot of the lower half of the kernel's
//! own page tables (the *user window*, found at the first run), and only one
//! process may exist at a time. The pages carry the USER bit; nothing else
//! in the address space does, so the program still cannot touch the kernel.
//!
//! Layout of the window (`base` = the slot's start):
//!
//! ```text
//! base + 0x1000            code (read + execute), the program's bytes
//! base + 16 MiB - 16 KiB   stack (read + write, no execute), 4 pages
//! base + 16 MiB            initial rsp
//! ```

use crate::arch::entry::InterruptFrame;
use crate::arch::{gdt, syscall};
use crate::memory::{paging, phys_to_virt};
use crate::println;
use crate::sync::IrqMutex;
use crate::tasks::thread::{self, JoinHandle, SpawnError};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use fault::Fault;
use spin::Once;
use x86_64::VirtAddr;
use x86_64::structures::paging::{Page, PageTableFlags as Flags};

/// Where the code starts in the window.
pub const CODE_OFFSET: u64 = 0x1000;
/// Where the stack ends (the initial rsp) in the window.
pub const STACK_TOP_OFFSET: u64 = 16 << 20;
/// Pages of user stack.
pub const STACK_PAGES: u64 = 4;
/// The most code a flat program may have.
pub const MAX_CODE: usize = 1 << 20;

const PAGE: u64 = 4096;

/// Why a program could not be started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Another process is running (one at a time for now).
    Busy,
    /// No free PML4 slot in the lower half for the user window.
    NoWindow,
    /// Empty, or more than [`MAX_CODE`] bytes.
    BadSize,
    /// No memory for its pages.
    OutOfMemory,
    Spawn(SpawnError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Error::Busy => f.write_str("another process is running"),
            Error::NoWindow => f.write_str("no free slot in the lower half for user pages"),
            Error::BadSize => f.write_str("the program is empty or too large"),
            Error::OutOfMemory => f.write_str("out of memory for the program's pages"),
            Error::Spawn(e) => write!(f, "{e}"),
        }
    }
}

/// What a running process owns.
struct Process {
    name: String,
    /// Its mapped user pages, freed when it ends.
    pages: Vec<Page>,
}

impl Process {
    /// Maps a fresh zeroed page at `address` with `flags` (USER is added).
    fn map(&mut self, address: u64, flags: Flags) -> Result<(), Error> {
        let page = Page::containing_address(VirtAddr::new(address));
        paging::map_new(page, flags | Flags::USER_ACCESSIBLE)
            .map_err(|_| Error::OutOfMemory)?
            .flush();
        self.pages.push(page);
        Ok(())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        for page in self.pages.drain(..) {
            // SAFETY: the program has stopped for good (it exited or was
            // killed), and the kernel keeps no references into its pages.
            unsafe { paging::unmap_and_free(page) }
                .expect("a page the process mapped")
                .flush();
        }
    }
}

/// The start of the user window, chosen at the first run.
static WINDOW: Once<Option<u64>> = Once::new();
/// Set while a process exists.
static CLAIMED: AtomicBool = AtomicBool::new(false);
static CURRENT: IrqMutex<Option<Process>> = IrqMutex::new(None);
/// The signal of a process being killed, for [`killed`].
static SIGNAL: AtomicU8 = AtomicU8::new(0);

/// The start of the highest free 512 GiB slot of the lower half.
fn window() -> Result<u64, Error> {
    let slot = *WINDOW.call_once(|| {
        (1..256)
            .rev()
            .find(|&slot| paging::pml4_slot_is_free(slot))
            .map(|slot| (slot as u64) << 39)
    });
    slot.ok_or(Error::NoWindow)
}

/// The address the program's first instruction is at (its byte 0).
pub fn code_address() -> Result<u64, Error> {
    Ok(window()? + CODE_OFFSET)
}

/// Runs `code` (position-independent machine code, entered at its first byte)
/// in ring 3 in a new thread named `name`. Its joiner learns how it ended:
/// `Err(ThreadError::Exited(status))`.
pub fn spawn_flat(name: &str, code: &[u8]) -> Result<JoinHandle<()>, Error> {
    if code.is_empty() || code.len() > MAX_CODE {
        return Err(Error::BadSize);
    }
    let base = window()?;
    if CLAIMED.swap(true, Ordering::Acquire) {
        return Err(Error::Busy);
    }
    let process = load_flat(name, base, code).inspect_err(|_| {
        CLAIMED.store(false, Ordering::Release);
    })?;
    *CURRENT.lock() = Some(process);
    let (entry, rsp) = (base + CODE_OFFSET, base + STACK_TOP_OFFSET);
    thread::spawn(name, move || -> () {
        // SAFETY: this new thread's kernel stack goes into the TSS when the
        // scheduler switches to it; `entry` and `rsp` are in the user pages
        // just mapped.
        unsafe { syscall::enter_user(entry, rsp) }
    })
    .map_err(|e| {
        end_current();
        Error::Spawn(e)
    })
}

/// Maps code and stack pages for a flat program.
fn load_flat(name: &str, base: u64, code: &[u8]) -> Result<Process, Error> {
    let mut process = Process {
        name: name.to_string(),
        pages: Vec::new(),
    };
    for (i, bytes) in code.chunks(PAGE as usize).enumerate() {
        let address = base + CODE_OFFSET + i as u64 * PAGE;
        process.map(address, Flags::empty())?;
        let frame = paging::translate(VirtAddr::new(address)).expect("just mapped");
        let window: *mut u8 = phys_to_virt(frame.phys).as_mut_ptr();
        // SAFETY: the page was just mapped to a fresh frame that only this
        // process uses; we write it through the physical-memory window.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), window, bytes.len()) };
    }
    for i in 1..=STACK_PAGES {
        let address = base + STACK_TOP_OFFSET - i * PAGE;
        process.map(address, Flags::WRITABLE | Flags::NO_EXECUTE)?;
    }
    Ok(process)
}

/// Frees the current process's pages and lets the next one start.
fn end_current() {
    let process = CURRENT.lock().take();
    drop(process);
    CLAIMED.store(false, Ordering::Release);
}

/// Ends the calling process with `status` (the `exit` system call).
pub fn exit(status: u8) -> ! {
    end_current();
    thread::exit(i64::from(status))
}

/// If `frame` is ring 3's, reports the fault in one line and arranges for the
/// process to end with the fault's signal; returns whether it did.
pub fn end_after_fault(frame: &mut InterruptFrame, fault: &Fault) -> bool {
    if frame.cs & 3 != 3 {
        return false;
    }
    let (signal, signal_name) = signal_for(fault.vector);
    let name = CURRENT.lock().as_ref().map(|p| p.name.clone());
    println!(
        "process {} killed by {signal_name}: {} at address {:#x}, rip {:#x}",
        name.as_deref().unwrap_or("?"),
        fault.name(),
        fault.cr2,
        frame.rip
    );
    SIGNAL.store(signal, Ordering::Relaxed);
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
    end_current();
    thread::exit(128 + i64::from(SIGNAL.load(Ordering::Relaxed)))
}
