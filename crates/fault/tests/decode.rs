//! The decoder's wording for known faults, and a randomized check that no
//! vector, error code or address makes it panic or write nonsense.

use fault::vector::{self, DOUBLE_FAULT, GENERAL_PROTECTION, PAGE_FAULT};
use fault::{Fault, PageFaultCode, Registers, Report, SelectorCode, name};
use xorshift::XorShift64;

fn fault(vector: u8, error_code: u64, cr2: u64) -> Fault {
    Fault {
        vector,
        error_code,
        cr2,
        guarded_stack: None,
    }
}

#[test]
fn names() {
    assert_eq!(name(0), "divide error");
    assert_eq!(name(14), "page fault");
    assert_eq!(name(15), "reserved (15)");
    assert_eq!(name(31), "reserved (31)");
    assert_eq!(name(32), "not an exception");
    assert_eq!(name(255), "not an exception");
}

#[test]
fn error_code_vectors_match_the_cpu_manual() {
    let with: Vec<u8> = (0..=255).filter(|&v| vector::has_error_code(v)).collect();
    assert_eq!(with, [8, 10, 11, 12, 13, 14, 17, 21, 29, 30]);
    let traps: Vec<u8> = (0..=255).filter(|&v| vector::continues(v)).collect();
    assert_eq!(traps, [1, 2, 3]);
}

#[test]
fn page_fault_bits_in_words() {
    assert_eq!(
        PageFaultCode(0).to_string(),
        "read of a non-present page, in kernel mode"
    );
    assert_eq!(
        PageFaultCode(0b011).to_string(),
        "write to a present page (protection violation), in kernel mode"
    );
    assert_eq!(
        PageFaultCode(0b10101).to_string(),
        "instruction fetch from a present page (protection violation), in user mode"
    );
    assert_eq!(
        PageFaultCode(0b1000).to_string(),
        "read of a non-present page, in kernel mode, reserved bit set in a page-table entry"
    );
}

#[test]
fn selector_codes_name_the_table_and_entry() {
    assert_eq!(SelectorCode(5 << 3).to_string(), "GDT entry 5");
    assert_eq!(
        SelectorCode(0b010 | 1).to_string(),
        "IDT entry 0 (external event)"
    );
    assert_eq!(SelectorCode(0b110).to_string(), "IDT entry 0");
    assert_eq!(SelectorCode(0b100 | 7 << 3).to_string(), "LDT entry 7");
}

#[test]
fn summaries() {
    assert_eq!(
        fault(PAGE_FAULT, 2, 0x5555_dead_b000).summary().to_string(),
        "page fault at 0x5555deadb000: write to a non-present page, in kernel mode"
    );
    assert_eq!(
        fault(GENERAL_PROTECTION, 0x18, 0).summary().to_string(),
        "general protection fault: GDT entry 3"
    );
    assert_eq!(
        fault(GENERAL_PROTECTION, 0, 0).summary().to_string(),
        "general protection fault"
    );
    assert_eq!(fault(0, 0, 0).summary().to_string(), "divide error");
    let overflow = Fault {
        guarded_stack: Some("kernel stack"),
        ..fault(DOUBLE_FAULT, 0, 0x1000)
    };
    assert!(overflow.is_stack_overflow());
    assert_eq!(
        overflow.summary().to_string(),
        "stack overflow: the kernel stack ran into its guard page at 0x1000 (double fault)"
    );
    // A guard page only matters for faults about addresses.
    let divide = Fault {
        guarded_stack: Some("kernel stack"),
        ..fault(0, 0, 0x1000)
    };
    assert!(!divide.is_stack_overflow());
    assert_eq!(divide.summary().to_string(), "divide error");
}

#[test]
fn report_shows_registers_and_symbol() {
    let registers = Registers {
        rax: 0x1111,
        r15: 0xffff,
        rip: 0xffff_ffff_8000_1234,
        ..Registers::default()
    };
    let text = Report {
        fault: fault(PAGE_FAULT, 0, 0x42),
        registers: &registers,
        symbol: &" in kernel::f+0x4",
    }
    .to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 8, "{text}");
    assert!(lines[0].ends_with("page fault at 0x42: read of a non-present page, in kernel mode"));
    assert_eq!(
        lines[1],
        "  vector 14 (page fault), error code 0x0, CR2 0x42"
    );
    assert_eq!(lines[2], "  RIP 0xffffffff80001234 in kernel::f+0x4");
    assert!(lines[4].contains("RAX 0x0000000000001111"), "{}", lines[4]);
    assert!(lines[7].contains("R15 0x000000000000ffff"), "{}", lines[7]);
}

/// Random vectors (all 256), error codes and addresses: the decoder never
/// panics, every report has its eight lines, names the vector, and shows the
/// faulting address exactly when the fault is about one.
#[test]
fn random_faults_never_panic_the_decoder() {
    let mut rng = XorShift64(0x0fau64 << 40 | 0xdecade);
    let stacks = [None, Some("kernel stack"), Some("NMI stack")];
    for round in 0..20_000u32 {
        let vector = if round < 256 {
            round as u8
        } else {
            rng.next() as u8
        };
        // Mostly small codes (the real ones), sometimes any 64 bits.
        let error_code = match rng.below(3) {
            0 => rng.next(),
            _ => rng.below_u64(1 << 16),
        };
        let fault = Fault {
            vector,
            error_code,
            cr2: rng.next(),
            guarded_stack: stacks[rng.below(stacks.len())],
        };
        let registers = Registers {
            rip: rng.next(),
            rsp: rng.next(),
            ..Registers::default()
        };
        let text = Report {
            fault,
            registers: &registers,
            symbol: &"",
        }
        .to_string();
        assert_eq!(text.lines().count(), 8, "{fault:?}: {text}");
        assert!(
            text.contains(&format!("vector {vector} ({})", name(vector))),
            "{text}"
        );
        let about_address = matches!(vector, PAGE_FAULT | DOUBLE_FAULT);
        assert_eq!(
            text.contains(&format!("CR2 {:#x}", fault.cr2)),
            about_address,
            "{text}"
        );
        let summary = fault.summary().to_string();
        assert!(!summary.is_empty() && !summary.contains('\n'));
        assert_eq!(
            summary.starts_with("stack overflow"),
            fault.is_stack_overflow()
        );
    }
}
