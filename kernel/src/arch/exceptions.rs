//! CPU exceptions: what went wrong, told so that a learner can act on it.
//!
//! The CPU raises an exception (vectors 0-31) when an instruction cannot complete:
//! a division by zero, an access to an unmapped page, an invalid opcode... Some
//! exceptions push an error code: for a page fault it says whether the page was
//! present, whether the access was a write, came from user mode or was an
//! instruction fetch, and the faulting address is in register CR2; for segment
//! related faults it names a descriptor.
//!
//! The report names the exception, decodes the error code, shows the faulting
//! instruction address with the nearest kernel symbol, and dumps all registers.
//! Then:
//! - a breakpoint (`int3`), a debug trap or an NMI returns: execution continues;
//! - in a kernel thread's own code (not in an interrupt handler, no interrupt-safe
//!   lock held, see `tasks::crash`), only that thread ends; the kernel goes on;
//! - inside the kernel test harness, the current test ends with the exception as
//!   its outcome (so a test can expect a page fault) and the next test starts;
//! - otherwise the CPU halts, leaving the report on screen.
//!
//! A kernel stack overflow shows up as a double fault (see `gdt.rs`); the report
//! recognises the guard page in CR2 and says "stack overflow".

use super::entry::InterruptFrame;
use super::guard;
use crate::symbols::At;
use crate::{arch, output, tasks, testing};
use core::fmt::{self, Write};
use spin::{Mutex, Once};
use x86_64::registers::control::Cr2;

const NAMES: [&str; 32] = [
    "divide error",
    "debug",
    "non-maskable interrupt",
    "breakpoint",
    "overflow",
    "bound range exceeded",
    "invalid opcode",
    "device not available",
    "double fault",
    "coprocessor segment overrun",
    "invalid TSS",
    "segment not present",
    "stack-segment fault",
    "general protection fault",
    "page fault",
    "reserved (15)",
    "x87 floating-point error",
    "alignment check",
    "machine check",
    "SIMD floating-point error",
    "virtualization exception",
    "control protection exception",
    "reserved (22)",
    "reserved (23)",
    "reserved (24)",
    "reserved (25)",
    "reserved (26)",
    "reserved (27)",
    "hypervisor injection exception",
    "VMM communication exception",
    "security exception",
    "reserved (31)",
];

/// The exception's name, e.g. "page fault".
pub fn name(vector: u8) -> &'static str {
    NAMES
        .get(usize::from(vector))
        .copied()
        .unwrap_or("not an exception")
}

const BREAKPOINT: u8 = 3;
const DEBUG: u8 = 1;
const NMI: u8 = 2;
const DOUBLE_FAULT: u8 = 8;
const PAGE_FAULT: u8 = 14;

/// Called by the dispatcher for vectors 0-31.
pub fn handle(frame: &mut InterruptFrame) {
    let vector = frame.vector as u8;
    let cr2 = Cr2::read_raw();
    if matches!(vector, BREAKPOINT | DEBUG | NMI) {
        crate::println!("{}", Report { frame, cr2 });
        crate::println!("(continuing after the {})", name(vector));
        return;
    }
    if end_thread(frame, cr2) {
        return;
    }
    if testing::is_running() {
        output::emergency_print(format_args!("{}\n", Report { frame, cr2 }));
        return end_test(frame, cr2);
    }
    arch::pvpanic::report_panic();
    output::emergency_print(format_args!(
        "\n{}\x1b[31mThe kernel cannot continue after this exception; halting.\x1b[0m\n",
        Report { frame, cr2 }
    ));
    x86_64::instructions::interrupts::disable();
    arch::cpu::halt_forever()
}

/// If the exception is a failure of a kernel thread's own code, reports it,
/// arranges for the thread to end, and returns true.
fn end_thread(frame: &mut InterruptFrame, cr2: u64) -> bool {
    let interrupts_were_on = frame.rflags & (1 << 9) != 0;
    let Some(failing) = tasks::crash::may_end_thread(interrupts_were_on, 1) else {
        return false;
    };
    let overflow = failing.overflowed_at(cr2);
    // A double fault is recoverable for us only as a stack overflow: the
    // page fault on the guard page could not push its frame.
    if frame.vector as u8 == DOUBLE_FAULT && !overflow {
        return false;
    }
    let id = failing.id.0;
    tasks::crash::name_of(failing.id, |name| {
        crate::print!("\n\x1b[31mthread {id} ({name}) crashed\x1b[0m: ");
    });
    if overflow {
        crate::println!("stack overflow: it ran into its guard page at {cr2:#x}");
    }
    crate::println!("{}", Report { frame, cr2 });
    crate::println!("thread {id} was ended; the kernel goes on.");
    tasks::crash::redirect_to_crash_exit(frame, &failing);
    true
}

/// The one-line summary, e.g. "page fault at 0x1234: read of a non-present page".
struct Summary<'a> {
    frame: &'a InterruptFrame,
    cr2: u64,
}

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (vector, code, cr2) = (self.frame.vector as u8, self.frame.error_code, self.cr2);
        let stack = guard::guarded_stack_at(cr2);
        match (vector, stack) {
            (DOUBLE_FAULT | PAGE_FAULT, Some(stack)) => write!(
                f,
                "stack overflow: the {stack} ran into its guard page at {cr2:#x} ({})",
                name(vector)
            ),
            (PAGE_FAULT, None) => write!(f, "page fault at {cr2:#x}: {}", PageFaultCode(code)),
            (10..=13, _) if code != 0 => write!(f, "{}: {}", name(vector), SelectorCode(code)),
            _ => write!(f, "{}", name(vector)),
        }
    }
}

/// The page-fault error code, in words.
struct PageFaultCode(u64);

impl fmt::Display for PageFaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bit = |n: u32| self.0 & (1 << n) != 0;
        let access = if bit(4) {
            "instruction fetch from"
        } else if bit(1) {
            "write to"
        } else {
            "read of"
        };
        let page = if bit(0) {
            "a present page (protection violation)"
        } else {
            "a non-present page"
        };
        let mode = if bit(2) { "user" } else { "kernel" };
        write!(f, "{access} {page}, in {mode} mode")?;
        if bit(3) {
            write!(f, ", reserved bit set in a page-table entry")?;
        }
        Ok(())
    }
}

/// A segment-selector error code: which descriptor the fault is about.
struct SelectorCode(u64);

impl fmt::Display for SelectorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table = match (self.0 >> 1) & 3 {
            0 => "GDT",
            2 => "LDT",
            _ => "IDT",
        };
        write!(f, "{table} entry {}", (self.0 >> 3) & 0x1fff)?;
        if self.0 & 1 != 0 {
            write!(f, " (external event)")?;
        }
        Ok(())
    }
}

/// The full report: summary, error code, instruction, stack and registers.
struct Report<'a> {
    frame: &'a InterruptFrame,
    cr2: u64,
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.frame;
        writeln!(
            f,
            "\x1b[33mEXCEPTION\x1b[0m {}",
            Summary {
                frame: r,
                cr2: self.cr2
            }
        )?;
        write!(
            f,
            "  vector {} ({}), error code {:#x}",
            r.vector,
            name(r.vector as u8),
            r.error_code
        )?;
        if matches!(r.vector as u8, PAGE_FAULT | DOUBLE_FAULT) {
            write!(f, ", CR2 {:#x}", self.cr2)?;
        }
        writeln!(f)?;
        writeln!(f, "  RIP {:#018x}{}", r.rip, At(r.rip))?;
        writeln!(
            f,
            "  RSP {:#018x}  RFLAGS {:#x}  CS {:#x}  SS {:#x}",
            r.rsp, r.rflags, r.cs, r.ss
        )?;
        let regs = [
            ("RAX", r.rax),
            ("RBX", r.rbx),
            ("RCX", r.rcx),
            ("RDX", r.rdx),
            ("RSI", r.rsi),
            ("RDI", r.rdi),
            ("RBP", r.rbp),
            ("R8 ", r.r8),
            ("R9 ", r.r9),
            ("R10", r.r10),
            ("R11", r.r11),
            ("R12", r.r12),
            ("R13", r.r13),
            ("R14", r.r14),
            ("R15", r.r15),
        ];
        for row in regs.chunks(4) {
            write!(f, " ")?;
            for (name, value) in row {
                write!(f, " {name} {value:#018x}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

// --- Ending a test that faulted --------------------------------------------------

/// The summary of the exception that ended the current test.
static MESSAGE: Mutex<Message> = Mutex::new(Message {
    bytes: [0; 200],
    len: 0,
});

/// Where the test run continues after an exception: the top of the kernel stack
/// (the faulting code's stack may be the one that overflowed).
static RESUME_STACK_TOP: Once<u64> = Once::new();

/// Remembers the top of the kernel stack, for continuing a test run.
pub fn init(boot_info: &bootloader_api::BootInfo) {
    RESUME_STACK_TOP
        .call_once(|| (boot_info.kernel_stack_bottom + boot_info.kernel_stack_len) & !0xf);
}

/// Records the verdict's message and makes the `iretq` "return" into
/// [`resume_test_run`] at the top of the kernel stack instead of into the
/// faulting code. Everything on the kernel stack belongs to the test run, which
/// never returns, so starting over at its top abandons only dead frames. Leaving
/// the handler by `iretq` (rather than continuing inside it) ends the exception
/// cleanly; interrupts are switched back on if the kernel had enabled them (a
/// double fault's saved flags may have them off).
fn end_test(frame: &mut InterruptFrame, cr2: u64) {
    let mut message = MESSAGE.lock();
    message.len = 0;
    let _ = write!(message, "{}", Summary { frame, cr2 });
    let top = *RESUME_STACK_TOP.get().expect("exceptions::init runs first");
    frame.rip = resume_test_run as *const () as u64;
    // As if `resume_test_run` had been called: the return-address slot below a
    // 16-byte aligned stack top.
    frame.rsp = top - 8;
    frame.rflags &= !(1 << 8 | 1 << 10); // clear the trap and direction flags
    if super::interrupts::enabled_by_kernel() {
        frame.rflags |= 1 << 9; // the interrupt flag
    }
}

extern "C" fn resume_test_run() -> ! {
    let mut copy = Message {
        bytes: [0; 200],
        len: 0,
    };
    x86_64::instructions::interrupts::without_interrupts(|| {
        let message = MESSAGE.lock();
        copy.bytes = message.bytes;
        copy.len = message.len;
    });
    testing::end_current_test("exception", copy.as_str())
}

/// A fixed-size text buffer (no heap yet); truncates at a character boundary.
struct Message {
    bytes: [u8; 200],
    len: usize,
}

impl Message {
    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("(garbled)")
    }
}

impl Write for Message {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            let end = self.len + c.len_utf8();
            if end > self.bytes.len() {
                break;
            }
            c.encode_utf8(&mut self.bytes[self.len..end]);
            self.len = end;
        }
        Ok(())
    }
}
