//! Error codes in words.
//!
//! A page fault's error code is a set of bits: bit 0 the page was present (so
//! this is a protection violation, not a missing page), bit 1 a write, bit 2
//! from user mode, bit 3 a reserved bit was set in a page-table entry, bit 4 an
//! instruction fetch. Faults about segments (10-13) push a *selector error
//! code* instead: bit 0 "external event", bits 1-2 the table (GDT, IDT, LDT),
//! bits 3-15 the entry's index.

use core::fmt;

/// The page-fault error code, in words, e.g. "write to a non-present page,
/// in kernel mode".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageFaultCode(pub u64);

impl PageFaultCode {
    fn bit(self, n: u32) -> bool {
        self.0 & (1 << n) != 0
    }

    /// The page was present: the access broke its protection.
    pub fn present(self) -> bool {
        self.bit(0)
    }

    pub fn write(self) -> bool {
        self.bit(1)
    }

    pub fn user_mode(self) -> bool {
        self.bit(2)
    }

    pub fn reserved_bit(self) -> bool {
        self.bit(3)
    }

    pub fn instruction_fetch(self) -> bool {
        self.bit(4)
    }
}

impl fmt::Display for PageFaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let access = if self.instruction_fetch() {
            "instruction fetch from"
        } else if self.write() {
            "write to"
        } else {
            "read of"
        };
        let page = if self.present() {
            "a present page (protection violation)"
        } else {
            "a non-present page"
        };
        let mode = if self.user_mode() { "user" } else { "kernel" };
        write!(f, "{access} {page}, in {mode} mode")?;
        if self.reserved_bit() {
            write!(f, ", reserved bit set in a page-table entry")?;
        }
        Ok(())
    }
}

/// A segment-selector error code: which descriptor the fault is about, e.g.
/// "GDT entry 5 (external event)".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelectorCode(pub u64);

impl SelectorCode {
    /// "GDT", "IDT" or "LDT".
    pub fn table(self) -> &'static str {
        match (self.0 >> 1) & 3 {
            0 => "GDT",
            2 => "LDT",
            _ => "IDT",
        }
    }

    pub fn index(self) -> u64 {
        (self.0 >> 3) & 0x1fff
    }

    pub fn external(self) -> bool {
        self.0 & 1 != 0
    }
}

impl fmt::Display for SelectorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} entry {}", self.table(), self.index())?;
        if self.external() {
            write!(f, " (external event)")?;
        }
        Ok(())
    }
}
