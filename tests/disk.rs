//! The disk driver from outside: the `disk` test kernel booted with a
//! scratch disk under BIOS and UEFI (and the host then finds its writes in
//! the file), and the shell's `pci`, `disk` and `mem` on the main kernel
//! with a disk attached.

mod common;

use common::{AtPrompt, PROMPT, boot_to_prompt, run_test_kernel_with, wait_after};
use kestrel::CaptureOptions;
use kestrel::qemu::tempdir::TempDir;
use kestrel::qemu::{Ending, Firmware, QEMU_SUCCESS};
use std::path::PathBuf;

fn scratch_disk() -> (TempDir, PathBuf) {
    let dir = TempDir::new(&std::env::temp_dir().join("kestrel")).unwrap();
    let path = kestrel::disk::scratch(dir.path()).unwrap();
    (dir, path)
}

fn sector(image: &[u8], n: u64) -> &[u8] {
    &image[n as usize * 512..(n as usize + 1) * 512]
}

fn disk_tests_pass(firmware: Firmware) {
    let (_dir, path) = scratch_disk();
    let args = kestrel::disk::qemu_args(&path);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = run_test_kernel_with("disk", firmware, &args);
    let failed: Vec<_> = run.log.results.iter().filter(|r| !r.passed).collect();
    assert!(failed.is_empty(), "failed kernel tests: {failed:#?}");
    assert!(
        run.log.results.len() >= 10,
        "too few tests ran: {:?}",
        run.log
    );
    assert_eq!(run.ending, Ending::Exited(Some(QEMU_SUCCESS)));
    // The writes reached the file, and only where they were aimed.
    let image = std::fs::read(&path).unwrap();
    assert!(!diskpattern::matches(1000, sector(&image, 1000)));
    assert!(diskpattern::matches(999, sector(&image, 999)));
    assert!(!diskpattern::matches(8191, sector(&image, 8191)));
    assert!(diskpattern::matches(8190, sector(&image, 8190)));
}

#[test]
fn disk_tests_pass_under_bios() {
    disk_tests_pass(Firmware::Bios);
}

#[test]
fn disk_tests_pass_under_uefi() {
    disk_tests_pass(Firmware::Uefi);
}

#[test]
fn shell_lists_pci_devices_and_dumps_a_sector() {
    let (_dir, path) = scratch_disk();
    let options = CaptureOptions {
        qmp: false,
        extra: kestrel::disk::qemu_args(&path),
    };
    let AtPrompt {
        mut session, at, ..
    } = boot_to_prompt(Firmware::Bios, &options);
    let serial = session.serial();
    // (Its slot depends on the devices before it: the BIOS image's AHCI
    // controller, for one.)
    let disk_line = serial
        .lines()
        .find(|line| line.starts_with("Disk:         virtio-blk at 00:"))
        .unwrap_or_else(|| panic!("no disk line in:\n{serial}"));
    assert!(disk_line.contains(", 8192 sectors (4 MiB)"), "{disk_line}");
    let mut at = at;
    let mut command = |line: &str, answer: &str| {
        session.write_serial(line.as_bytes()).unwrap();
        session.write_serial(b"\r").unwrap();
        let found = wait_after(&mut session, at, answer);
        at = wait_after(&mut session, found, PROMPT);
    };
    command(
        "pci",
        "1af4:1042 SCSI storage controller [virtio-blk] (caps: MSI-X",
    );
    command("pci", "00:00.0 8086:1237 host bridge");
    command(
        "disk read 5",
        "000: 4b 45 53 54 52 45 4c 20 53 45 43 54 4f 52 20 30  KESTREL SECTOR 0",
    );
    command(
        "disk read 5",
        "010: 30 30 30 30 30 30 30 30 30 30 30 30 30 30 35",
    );
    command(
        "disk read 8192",
        "error: disk: sectors 8192..8193 are beyond the disk's 8192",
    );
    command(
        "disk read x",
        "error: disk: usage: disk [read SECTOR | sync]",
    );
    command("disk", "virtio-blk: 8192 sectors (4 MiB), write cache");
    command("mem", "cache:  0 of 256 blocks");
    session.write_serial(b"shutdown\r").unwrap();
    assert_eq!(
        session.wait(common::TIMEOUT),
        Ending::Exited(Some(QEMU_SUCCESS)),
        "shutdown ends QEMU"
    );
}

#[test]
fn without_a_disk_the_boot_says_so() {
    let serial = common::boot_main_kernel(Firmware::Bios, &[]);
    assert!(serial.contains("Disk:         none"), "{serial}");
}
