//! Boots the kernel test binaries (`kernel/tests/*.rs`) in QEMU under BIOS and
//! UEFI and checks what their harness reports over serial.

mod common;

use common::run_test_kernel;
use kestrel::qemu::{Ending, Firmware, QEMU_FAILURE, QEMU_SUCCESS};

fn expect_all_pass(name: &str, firmware: Firmware, at_least: usize) -> common::Run {
    let run = run_test_kernel(name, firmware);
    let failed: Vec<_> = run.log.results.iter().filter(|r| !r.passed).collect();
    assert!(failed.is_empty(), "failed kernel tests: {failed:#?}");
    assert!(
        run.log.results.len() >= at_least,
        "too few tests ran: {:?}",
        run.log
    );
    assert_eq!(run.log.summary, Some((run.log.results.len(), 0)));
    assert_eq!(run.ending, Ending::Exited(Some(QEMU_SUCCESS)));
    run
}

#[test]
fn basics_pass_under_bios() {
    let run = expect_all_pass("basics", Firmware::Bios, 9);
    assert!(run.serial.contains("firmware: BIOS"));
}

#[test]
fn basics_pass_under_uefi() {
    let run = expect_all_pass("basics", Firmware::Uefi, 9);
    assert!(run.serial.contains("firmware: UEFI"));
}

/// The harness's own failure paths: unexpected panics, missing panics and wrong
/// panic messages are failures, the run continues after each, and QEMU exits
/// with the failure status.
#[test]
fn harness_reports_failures_and_keeps_going() {
    let run = run_test_kernel("harness_failures", Firmware::Bios);
    let verdicts: Vec<(&str, bool)> = run
        .log
        .results
        .iter()
        .map(|r| (r.name.as_str(), r.passed))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("passes", true),
            ("panics_unexpectedly", false),
            ("does_not_panic", false),
            ("panics_with_other_message", false),
            ("still_runs_at_the_end", true),
        ]
    );
    let verdict = |i: usize| run.log.results[i].verdict.as_str();
    assert!(
        verdict(1).contains("unexpected panic in a test"),
        "{}",
        verdict(1)
    );
    assert!(
        verdict(1).contains("harness_failures.rs"),
        "panic location: {}",
        verdict(1)
    );
    assert!(verdict(2).contains("did not panic"));
    assert!(verdict(3).contains("expected `expected text`"));
    assert_eq!(run.log.summary, Some((2, 3)));
    assert_eq!(run.ending, Ending::Exited(Some(QEMU_FAILURE)));
}

/// Exceptions, the APIC timer and clock, the input queue (see
/// `kernel/tests/interrupts.rs`): stack overflow and page fault are reported
/// with the details a learner needs.
fn interrupts_pass(firmware: Firmware) {
    let run = expect_all_pass("interrupts", firmware, 16);
    let verdict = |name: &str| {
        run.log
            .results
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.verdict.clone())
            .unwrap_or_default()
    };
    assert!(verdict("stack_overflow_is_caught").contains("guard page"));
    assert!(verdict("stack_overflow_is_caught").contains("double fault"));
    assert!(verdict("page_fault_reports_the_address").contains("non-present page"));
    // The report names the function that faulted.
    assert!(
        run.serial
            .contains("<interrupts::divide_error_is_reported+0x"),
        "{}",
        run.serial
    );
}

#[test]
fn interrupts_pass_under_bios() {
    interrupts_pass(Firmware::Bios);
}

#[test]
fn interrupts_pass_under_uefi() {
    interrupts_pass(Firmware::Uefi);
}
