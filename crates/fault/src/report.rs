//! One fault, told: a one-line summary and a full report with the registers.
//!
//! A [`Fault`] is what the CPU told us: the vector, the error code and CR2
//! (the faulting address of a page fault). The kernel adds what only it
//! knows: whether CR2 lies in the guard page of a known stack (then the
//! fault is a *stack overflow*, and [`Summary`] says so), the registers, and
//! the name of the function the instruction pointer is in.

use crate::code::{PageFaultCode, SelectorCode};
use crate::vector::{self, DOUBLE_FAULT, PAGE_FAULT, name};
use core::fmt;

/// What the CPU reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub vector: u8,
    pub error_code: u64,
    /// CR2: the faulting address (meaningful for page faults, and for a
    /// double fault that a page fault on a guard page caused).
    pub cr2: u64,
    /// The stack whose guard page holds CR2, if any (e.g. "kernel stack").
    pub guarded_stack: Option<&'static str>,
}

impl Fault {
    pub fn name(&self) -> &'static str {
        name(self.vector)
    }

    /// Whether execution simply continues after it (see [`vector::continues`]).
    pub fn continues(&self) -> bool {
        vector::continues(self.vector)
    }

    /// A page fault or double fault in a guard page: a stack overflow.
    pub fn is_stack_overflow(&self) -> bool {
        matches!(self.vector, DOUBLE_FAULT | PAGE_FAULT) && self.guarded_stack.is_some()
    }

    /// The one-line summary.
    pub fn summary(&self) -> Summary {
        Summary(*self)
    }
}

/// The one-line summary, e.g. "page fault at 0x1234: read of a non-present
/// page, in kernel mode".
#[derive(Clone, Copy, Debug)]
pub struct Summary(pub Fault);

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Fault {
            vector,
            error_code: code,
            cr2,
            guarded_stack,
        } = self.0;
        match (vector, guarded_stack) {
            (DOUBLE_FAULT | PAGE_FAULT, Some(stack)) => write!(
                f,
                "stack overflow: the {stack} ran into its guard page at {cr2:#x} ({})",
                name(vector)
            ),
            (PAGE_FAULT, None) => write!(f, "page fault at {cr2:#x}: {}", PageFaultCode(code)),
            _ if vector::has_selector_code(vector) && code != 0 => {
                write!(f, "{}: {}", name(vector), SelectorCode(code))
            }
            _ => write!(f, "{}", name(vector)),
        }
    }
}

/// The registers of the interrupted code, as the entry path saved them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Registers {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rbp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

/// The full report: summary, vector and error code, instruction (with the
/// `symbol` text the kernel found for it, e.g. " in kernel::main+0x12"),
/// stack pointer, flags, segments and all general-purpose registers.
pub struct Report<'a> {
    pub fault: Fault,
    pub registers: &'a Registers,
    pub symbol: &'a dyn fmt::Display,
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (fault, r) = (self.fault, self.registers);
        writeln!(f, "\x1b[33mEXCEPTION\x1b[0m {}", fault.summary())?;
        write!(
            f,
            "  vector {} ({}), error code {:#x}",
            fault.vector,
            fault.name(),
            fault.error_code
        )?;
        if matches!(fault.vector, PAGE_FAULT | DOUBLE_FAULT) {
            write!(f, ", CR2 {:#x}", fault.cr2)?;
        }
        writeln!(f)?;
        writeln!(f, "  RIP {:#018x}{}", r.rip, self.symbol)?;
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
