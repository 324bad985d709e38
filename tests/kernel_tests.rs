//! Boots the kernel test binaries (`kernel/tests/*.rs`) in QEMU under BIOS and
//! UEFI and checks what their harness reports over serial.

mod common;

use common::{boot_main_kernel, run_test_kernel, run_test_kernel_with};
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
    // The input queue reports where it refused bytes, and how many (CAPACITY + 3
    // were pushed, one of the 3 a line end).
    assert!(
        run.serial
            .contains("input: 3 bytes lost here, with 1 line end (the input queue"),
        "{}",
        run.serial
    );
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

#[test]
fn memory_passes_under_bios() {
    expect_all_pass("memory", Firmware::Bios, 16);
}

#[test]
fn memory_passes_under_uefi() {
    expect_all_pass("memory", Firmware::Uefi, 16);
}

/// The threads chapter (`kernel/tests/tasks.rs`): besides every test passing,
/// the crash reports name the failing thread and the kernel went on.
fn tasks_pass(firmware: Firmware) {
    let run = expect_all_pass("tasks", firmware, 20);
    for report in [
        "(panics) panicked",
        "(divides) crashed",
        "(overflows) crashed",
        "stack overflow: it ran into its guard page",
        "was ended; the kernel goes on.",
    ] {
        assert!(
            run.serial.contains(report),
            "no `{report}` in:\n{}",
            run.serial
        );
    }
}

#[test]
fn tasks_pass_under_bios() {
    tasks_pass(Firmware::Bios);
}

#[test]
fn tasks_pass_under_uefi() {
    tasks_pass(Firmware::Uefi);
}

/// User mode, first steps (`kernel/tests/usermode.rs`): besides every test
/// passing, the programs' output and the kernel's one-line reports reached
/// the serial port, and an unknown system call was reported once.
fn usermode_passes(firmware: Firmware) {
    let run = expect_all_pass("usermode", firmware, 17);
    for line in [
        "hello from ring 3",
        "process fault killed by SIGSEGV: page fault at address 0x0, rip 0x",
        "process divide killed by SIGFPE: divide error",
        "process invalid killed by SIGILL: invalid opcode",
        "process noncanonical killed by SIGSEGV: general protection fault",
        "syscall: unknown system call 999: -ENOSYS",
    ] {
        assert!(run.serial.contains(line), "no `{line}` in:\n{}", run.serial);
    }
    let unknown = run.serial.matches("unknown system call 999").count();
    assert_eq!(unknown, 1, "reported once, though called twice");
    // 26 runs of `hello`: its own test, after the fault, after the bad
    // programs, beside `spin`, as a static-PIE ELF file, 21 in the leak test.
    assert_eq!(run.serial.matches("hello from ring 3").count(), 26);
}

#[test]
fn usermode_passes_under_bios() {
    usermode_passes(Firmware::Bios);
}

#[test]
fn usermode_passes_under_uefi() {
    usermode_passes(Firmware::Uefi);
}

/// The ramdisk and the file, console, time and identity calls
/// (`kernel/tests/userfiles.rs`): every test passes, the ramdisk's boot line
/// names its files, and the program's `writev` reached the serial port.
fn userfiles_pass(firmware: Firmware) {
    let run = expect_all_pass("userfiles", firmware, 6);
    for line in ["ramdisk: ", " files, ", "files ok"] {
        assert!(run.serial.contains(line), "no `{line}` in:\n{}", run.serial);
    }
}

#[test]
fn userfiles_pass_under_bios() {
    userfiles_pass(Firmware::Bios);
}

#[test]
fn userfiles_pass_under_uefi() {
    userfiles_pass(Firmware::Uefi);
}

/// Processes (`kernel/tests/processes.rs`): besides every test passing, the
/// programs that `execve` started printed, and the bad programs were
/// reported in one line each.
fn processes_pass(firmware: Firmware) {
    let run = expect_all_pass("processes", firmware, 8);
    // vfork+exec and clone+exec, in 21 runs of `execs`.
    assert_eq!(run.serial.matches("hello from exec").count(), 42);
    for line in [
        "process bad killed by SIGFPE: divide error",
        "process bad killed by SIGSEGV: page fault",
        "process bad killed by SIGSEGV: general protection fault",
        "syscall: unknown system call 777: -ENOSYS",
    ] {
        assert!(run.serial.contains(line), "no `{line}` in:\n{}", run.serial);
    }
}

#[test]
fn processes_pass_under_bios() {
    processes_pass(Firmware::Bios);
}

#[test]
fn processes_pass_under_uefi() {
    processes_pass(Firmware::Uefi);
}

/// The number after `key` in `text` (`"frames usable 123 ..."` -> 123).
fn number_after(text: &str, key: &str) -> u64 {
    let rest = &text[text
        .find(key)
        .unwrap_or_else(|| panic!("no `{key}` in output"))
        + key.len()..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after `{key}`"))
}

/// With only 64 MiB the memory tests still pass (every frame handed out once,
/// counts back to the boot value) and the figures fit the machine.
#[test]
fn memory_passes_with_64_mib() {
    let run = run_test_kernel_with("memory", Firmware::Bios, &["-m", "64M"]);
    let failed: Vec<_> = run.log.results.iter().filter(|r| !r.passed).collect();
    assert!(failed.is_empty(), "failed kernel tests: {failed:#?}");
    assert_eq!(run.ending, Ending::Exited(Some(QEMU_SUCCESS)));
    let usable = number_after(&run.serial, "frames usable") * 4096;
    assert!(
        (48 << 20..64 << 20).contains(&usable),
        "{usable} bytes usable of 64 MiB"
    );
    // Every frame free when the test started was handed out exactly once.
    assert_eq!(
        number_after(&run.serial, "allocated and freed"),
        number_after(&run.serial, " free ")
    );
}

/// The boot report's frame counts at 4 GiB (UEFI: ~130 memory regions) and
/// 8 GiB (BIOS): nearly all RAM is managed, and the bitmap stays small.
#[test]
fn frame_counts_are_plausible_at_4_and_8_gib() {
    for (firmware, gib) in [(Firmware::Uefi, 4), (Firmware::Bios, 8)] {
        let size = format!("{gib}G");
        let serial = boot_main_kernel(firmware, &["-m", &size]);
        let frames = number_after(&serial, "Frames:");
        let total = gib << 18; // frames in `gib` GiB
        assert!(
            frames > total - total / 32 && frames < total,
            "{frames} of {total} frames"
        );
        // One bit per frame up to the highest address (RAM above the 4 GiB
        // PCI hole included): at most 9 GiB worth.
        let bitmap = number_after(&serial, "MiB),");
        assert!(
            bitmap * 4096 * 8 >= frames && bitmap <= 9 * 8 + 2,
            "{bitmap} bitmap frames"
        );
        assert!(
            serial.contains("Hardening:    NX"),
            "hardening line missing"
        );
    }
}

/// The README's minimum memory: the main kernel boots to its prompt with 16 MiB
/// under BIOS (our loader) and 64 MiB under UEFI (with the 4.3 MB ramdisk of
/// programs, the tools one multi-call program; at 60 MiB our UEFI loader had
/// no room left even for the 3.5 MB one).
#[test]
fn boots_with_the_minimum_memory_the_readme_names() {
    for (firmware, size) in [(Firmware::Bios, "16M"), (Firmware::Uefi, "64M")] {
        let serial = boot_main_kernel(firmware, &["-m", size]);
        assert!(serial.contains("Boot complete"), "{size}: {serial}");
    }
}

/// User memory and per-thread CPU state (`kernel/tests/usermem.rs`): the
/// real std programs wrote their lines, and each process that had to end
/// said why in one line.
fn usermem_passes(firmware: Firmware) {
    let run = expect_all_pass("usermem", firmware, 13);
    for line in [
        "Hello from user space! (argv: [\"/bin/hello\", \"one\", \"two\"])",
        "memtest: all ",
        "memtest: 4 MiB of stack used",
        "killed by SIGSEGV: page fault at address 0x",
        "(stack overflow into the guard gap)",
        "(nothing is mapped there)",
        "memtest: ENOMEM after ",
        "killed by SIGKILL: page fault at address 0x",
        "(out of memory for the page)",
    ] {
        assert!(run.serial.contains(line), "no `{line}` in:\n{}", run.serial);
    }
    assert!(!run.serial.contains("FAILED"), "{}", run.serial);
}

#[test]
fn usermem_passes_under_bios() {
    usermem_passes(Firmware::Bios);
}

#[test]
fn usermem_passes_under_uefi() {
    usermem_passes(Firmware::Uefi);
}

/// SMEP and SMAP (`kernel/tests/smap.rs`, booted with a CPU that has them):
/// the two deliberate accesses end their tests as page faults.
fn smap_passes(firmware: Firmware) {
    let run = expect_all_pass("smap", firmware, 7);
    for verdict in [
        "read of a present page (protection violation), in kernel mode",
        "instruction fetch from a present page (protection violation), in kernel mode",
    ] {
        assert!(
            run.log.results.iter().any(|r| r.verdict.contains(verdict)),
            "no `{verdict}` in {:?}",
            run.log
        );
    }
}

#[test]
fn smap_passes_under_bios() {
    smap_passes(Firmware::Bios);
}

#[test]
fn smap_passes_under_uefi() {
    smap_passes(Firmware::Uefi);
}
