//! Exception vectors: their numbers, their names, and which push an error code.
//!
//! Vectors 0-31 are reserved by the CPU for exceptions; some numbers are
//! unused ("reserved") and named so. A vector above 31 is an interrupt, not
//! an exception, and [`name`] says so instead of failing.

pub const DIVIDE_ERROR: u8 = 0;
pub const DEBUG: u8 = 1;
pub const NMI: u8 = 2;
pub const BREAKPOINT: u8 = 3;
pub const INVALID_OPCODE: u8 = 6;
pub const DOUBLE_FAULT: u8 = 8;
pub const INVALID_TSS: u8 = 10;
pub const GENERAL_PROTECTION: u8 = 13;
pub const PAGE_FAULT: u8 = 14;

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

/// The exception's name, e.g. "page fault"; "not an exception" above 31.
pub fn name(vector: u8) -> &'static str {
    NAMES
        .get(usize::from(vector))
        .copied()
        .unwrap_or("not an exception")
}

/// Whether the CPU pushes an error code for `vector` (8, 10-14, 17, 21, 29, 30).
pub fn has_error_code(vector: u8) -> bool {
    matches!(vector, 8 | 10..=14 | 17 | 21 | 29 | 30)
}

/// Whether `vector` is a *trap* after which execution simply continues
/// (breakpoint, debug) or an NMI, which reports and does not stop anything.
pub fn continues(vector: u8) -> bool {
    matches!(vector, BREAKPOINT | DEBUG | NMI)
}

/// Whether the error code of `vector` names a segment selector (10-13).
pub fn has_selector_code(vector: u8) -> bool {
    matches!(vector, INVALID_TSS..=GENERAL_PROTECTION)
}
