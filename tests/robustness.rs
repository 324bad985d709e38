//! The kernel facing awkward conditions, as a user would meet them: input
//! typed before the kernel runs, a CPU without the features it needs, more
//! than one CPU, a warm reboot (the TSC keeps counting), and what `mem` and
//! `heapbench` report.

mod common;

use common::{PROMPT, wait_after};

use kestrel::qemu::{Ending, Firmware, QEMU_FAILURE, Session};
use kestrel::{CaptureOptions, boot_captured, image_for};
use std::time::Instant;

fn boot(firmware: Firmware, extra: &[&str]) -> Session {
    let kernel = common::main_kernel();
    let options = CaptureOptions {
        qmp: false,
        extra: extra.iter().map(|a| a.to_string()).collect(),
    };
    let (session, _) =
        boot_captured(firmware, image_for(&kernel.images, firmware), &options).unwrap();
    session
}

/// Sends `command` + Enter and returns its answer (the text between the
/// echoed command line and the next prompt) and the position after it.
fn run(session: &mut Session, from: usize, command: &str) -> (String, usize) {
    session.write_serial(command.as_bytes()).unwrap();
    session.write_serial(b"\r").unwrap();
    let end_of_echo = wait_after(session, from, "\n");
    let prompt = wait_after(session, end_of_echo, PROMPT);
    (session.serial()[end_of_echo..prompt].to_string(), prompt)
}

/// The number right after `label` in `text`.
fn number_after(text: &str, label: &str) -> f64 {
    let start = text
        .find(label)
        .unwrap_or_else(|| panic!("no {label:?} in {text:?}"))
        + label.len();
    let number: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    number
        .parse()
        .unwrap_or_else(|_| panic!("no number after {label:?} in {text:?}"))
}

/// A command sent on serial the moment QEMU starts, long before the prompt,
/// waits in the UART's receive FIFO until the kernel switches serial input
/// on, and then runs. (It is short enough for the 14 bytes QEMU puts into
/// the FIFO before it holds back the rest.) The first byte is accepted by
/// the UART before the bootloader resets it, and lost: two empty lines go
/// first. (Only under BIOS: under UEFI, the firmware's own serial console
/// reads what arrives while it runs.)
fn early_input_is_kept(firmware: Firmware) {
    let mut session = boot(firmware, &[]);
    session.write_serial(b"\r\recho early\r").unwrap();
    let booted = wait_after(&mut session, 0, "Boot complete");
    let answer = wait_after(&mut session, booted, "\nearly\r");
    wait_after(&mut session, answer, PROMPT);
    session.kill();
}

#[test]
fn early_serial_input_is_kept_under_bios() {
    early_input_is_kept(Firmware::Bios);
}

/// Without a local APIC the kernel would reach the prompt and never get a
/// timer tick or a key press; it must stop at once, saying why, and end
/// QEMU with failure.
#[test]
fn a_cpu_without_an_apic_stops_the_boot_with_a_message() {
    let mut session = boot(Firmware::Bios, &["-cpu", "qemu64,-apic"]);
    let ending = session.wait(common::TIMEOUT);
    let serial = session.serial();
    println!("{serial}");
    assert!(
        serial.contains("This CPU lacks features Kestrel needs"),
        "{serial}"
    );
    assert!(serial.contains("missing: apic"), "{serial}");
    assert!(!serial.contains("missing: tsc"), "{serial}");
    assert!(!serial.contains("Boot complete"), "{serial}");
    assert_eq!(ending, Ending::Exited(Some(QEMU_FAILURE)));
}

/// The boot report counts the CPUs the ACPI MADT lists.
#[test]
fn the_boot_report_counts_the_cpus() {
    for (smp, expected) in [
        ("1", "CPUs:         1 (ACPI MADT)"),
        ("4", "CPUs:         4 (ACPI MADT)"),
    ] {
        let serial = common::boot_main_kernel(Firmware::Bios, &["-smp", smp]);
        assert!(serial.contains(expected), "-smp {smp}:\n{serial}");
    }
}

/// `mem` and `heapbench` report what they measure; after a warm reboot
/// (QEMU resets the machine instead of exiting), time counts from the new
/// kernel's start, not from power-on: the TSC is not reset by a reboot.
#[test]
fn reports_are_truthful_and_time_restarts_with_the_kernel() {
    let mut session = boot(Firmware::Bios, &["-action", "reboot=reset"]);
    let mut at = wait_after(&mut session, 0, "Boot complete");
    at = wait_after(&mut session, at, PROMPT);

    let (mem, next) = run(&mut session, at, "mem");
    let used_at_boot = number_after(&mem, "; ");
    assert!(mem.contains("used when the boot was complete"), "{mem}");
    assert!(used_at_boot > 0.0, "{mem}");
    at = next;

    let (bench, next) = run(&mut session, at, "heapbench 1000");
    assert!(
        bench.contains(": 1000 random allocs/frees (0 failed)"),
        "{bench}"
    );
    let extra = number_after(&bench, "(0 failed) + ");
    let calls = number_after(&bench, "the rest = ");
    assert_eq!(calls, 1000.0 + extra, "{bench}");
    at = next;

    let (first, next) = run(&mut session, at, "uptime");
    let first_uptime = number_after(&first, "up ");
    at = next;

    session.write_serial(b"reboot\r").unwrap();
    let rebooted = Instant::now();
    at = wait_after(&mut session, at, "Hello World!");
    at = wait_after(&mut session, at, "Boot complete after ");
    at = wait_after(&mut session, at, PROMPT);
    let (second, _) = run(&mut session, at, "uptime");
    let host = rebooted.elapsed().as_secs_f64();
    let second_uptime = number_after(&second, "up ");
    let since_reset = number_after(&second, "MHz at boot), ");
    println!(
        "uptime {first_uptime} s before the reboot, {second_uptime} s after it \
         ({host:.3} s on the host since `reboot`); TSC since reset {since_reset} s"
    );
    // The new kernel started after the `reboot` command was sent (1 % slack
    // for the rough boot-time calibration).
    assert!(second_uptime < host * 1.01, "{second}");
    // The TSC kept counting through the reboot, and the report says so.
    assert!(since_reset > first_uptime + second_uptime, "{second}");
    session.kill();
}
