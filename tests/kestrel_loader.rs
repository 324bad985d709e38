//! Our own loaders (`--loader kestrel`), BIOS and UEFI: every test kernel
//! boots through them and passes, the ramdisk arrives byte for byte, the
//! BIOS loader boots at 16 MiB and on a CPU without NX, and a bad kernel
//! file gets a clear message instead of a reset.

use kestrel::builder::{KernelTargets, Loader, Profile};
use kestrel::qemu::{Ending, Firmware, QEMU_SUCCESS};
use kestrel::{Built, CaptureOptions, boot_captured, build_with, testlog};
use std::sync::OnceLock;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(120);

fn test_kernels() -> &'static [Built] {
    static CELL: OnceLock<Result<Vec<Built>, String>> = OnceLock::new();
    match CELL.get_or_init(|| build_with(Loader::Kestrel, Profile::Debug, KernelTargets::Tests)) {
        Ok(kernels) => kernels,
        Err(e) => panic!("build failed: {e}"),
    }
}

/// Boots test kernel `name` with our UEFI loader; checks that our loader ran
/// and that every test passed; returns the serial output.
fn passes(name: &str, at_least: usize) -> String {
    passes_with(Firmware::Uefi, name, at_least, &[])
}

/// [`passes`] under `firmware`, with `extra` QEMU arguments.
fn passes_with(firmware: Firmware, name: &str, at_least: usize, extra: &[&str]) -> String {
    let kernel = test_kernels()
        .iter()
        .find(|k| k.name == name)
        .unwrap_or_else(|| panic!("no test kernel {name}"));
    let options = CaptureOptions {
        extra: extra.iter().map(|s| s.to_string()).collect(),
        ..CaptureOptions::default()
    };
    let image = kestrel::image_for(&kernel.images, firmware);
    let (mut session, _) = boot_captured(firmware, image, &options)
        .unwrap_or_else(|e| panic!("cannot boot {name}: {e}"));
    let ending = session.wait(TIMEOUT);
    let serial = session.serial();
    println!("--- serial output of {name} (our loader, {firmware:?}, {extra:?}) ---\n{serial}");
    let started = match firmware {
        Firmware::Bios => "kestrel loader: started (BIOS)",
        Firmware::Uefi => "kestrel loader: started (UEFI)",
    };
    assert!(serial.contains(started), "our loader did not run");
    assert!(serial.contains("kestrel loader: jumping to the kernel"));
    let log = testlog::parse(&serial);
    let failed: Vec<_> = log.results.iter().filter(|r| !r.passed).collect();
    assert!(failed.is_empty(), "failed kernel tests: {failed:#?}");
    assert!(log.results.len() >= at_least, "too few tests ran: {log:?}");
    assert_eq!(ending, Ending::Exited(Some(QEMU_SUCCESS)));
    serial
}

#[test]
fn basics_pass_with_our_uefi_loader() {
    let serial = passes("basics", 10);
    assert!(serial.contains("firmware: UEFI"));
    assert!(serial.contains("ramdisk: 70001 bytes as the runner wrote them"));
}

#[test]
fn basics_pass_with_our_bios_loader() {
    let serial = passes_with(Firmware::Bios, "basics", 10, &[]);
    assert!(serial.contains("firmware: BIOS"));
    assert!(serial.contains("ramdisk: 70001 bytes as the runner wrote them"));
}

/// The `bootloader` crate needs 24 MiB; ours boots the main kernel to its
/// prompt in 16.
#[test]
fn our_bios_loader_boots_at_16_mib() {
    let kernel = build_with(Loader::Kestrel, Profile::Debug, KernelTargets::Main)
        .unwrap_or_else(|e| panic!("build failed: {e}"))
        .remove(0);
    let options = CaptureOptions {
        extra: vec!["-m".into(), "16M".into()],
        ..CaptureOptions::default()
    };
    let (mut session, _) = boot_captured(Firmware::Bios, &kernel.images.bios, &options).unwrap();
    let booted = session.wait_for("Boot complete", TIMEOUT);
    session.kill();
    let serial = session.serial();
    booted.unwrap_or_else(|e| panic!("{e}\n{serial}"));
    assert!(
        serial.contains("kestrel loader: started (BIOS)"),
        "{serial}"
    );
}

/// Without NX our BIOS loader builds tables without NO_EXECUTE and leaves
/// EFER.NXE off, and the kernel does not turn it on: the tests pass.
#[test]
fn our_bios_loader_boots_without_nx() {
    let serial = passes_with(Firmware::Bios, "basics", 10, &["-cpu", "qemu64,-nx"]);
    assert!(
        serial.contains("kestrel loader: the CPU has no NX"),
        "{serial}"
    );
}

#[test]
fn interrupts_memory_tasks_usermode_pass_with_our_bios_loader() {
    let serial = passes_with(Firmware::Bios, "interrupts", 16, &[]);
    assert!(serial.contains("ran into its guard page"), "{serial}");
    passes_with(Firmware::Bios, "memory", 16, &[]);
    passes_with(Firmware::Bios, "tasks", 20, &[]);
    passes_with(Firmware::Bios, "usermode", 17, &[]);
}

#[test]
fn interrupts_pass_with_our_uefi_loader() {
    // Includes the stack-overflow test: the loader's guard page below the
    // kernel stack is there and reported as such.
    let serial = passes("interrupts", 16);
    assert!(serial.contains("ran into its guard page"), "{serial}");
}

#[test]
fn memory_passes_with_our_uefi_loader() {
    // Includes exact rights for the kernel's segments (W^X as the ELF says).
    passes("memory", 16);
}

#[test]
fn tasks_pass_with_our_uefi_loader() {
    passes("tasks", 20);
}

/// A kernel file that is not ELF: the loader says so and halts.
#[test]
fn a_bad_kernel_file_is_reported() {
    let root = kestrel::builder::root();
    let loader = kestrel::builder::build_uefi_loader(&root).unwrap();
    let dir = kestrel::builder::target_dir(&root).join("images/debug");
    std::fs::create_dir_all(&dir).unwrap();
    let image = dir.join(format!("bad-kernel-{}.img", std::process::id()));
    let efi = std::fs::read(&loader).unwrap();
    let not_elf = b"MZ this is not an ELF file. ".repeat(100);
    let files = [
        ("EFI/BOOT/BOOTX64.EFI", &efi[..]),
        ("kernel.elf", &not_elf[..]),
    ];
    kestrel::image::write_gpt_image(&image, &files).unwrap();
    let (mut session, _) =
        boot_captured(Firmware::Uefi, &image, &CaptureOptions::default()).unwrap();
    let seen = session.wait_for("kestrel loader: cannot boot: not an ELF file", TIMEOUT);
    session.kill();
    std::fs::remove_file(&image).unwrap();
    let serial = session.serial();
    seen.unwrap_or_else(|e| panic!("{e}\n{serial}"));
    assert!(!serial.contains("jumping to the kernel"), "{serial}");
}

/// A kernel file that is not ELF, under BIOS: the loader says so on serial
/// (and on the screen) and halts.
#[test]
fn a_bad_kernel_file_is_reported_under_bios() {
    let root = kestrel::builder::root();
    let loader = kestrel::builder::build_bios_loader(&root).unwrap();
    let dir = kestrel::builder::target_dir(&root).join("images/debug");
    std::fs::create_dir_all(&dir).unwrap();
    let image = dir.join(format!("bad-kernel-bios-{}.img", std::process::id()));
    let not_elf = b"MZ this is not an ELF file. ".repeat(100);
    let disk = kestrel::image::bios_image(&loader, &not_elf, None).unwrap();
    std::fs::write(&image, disk).unwrap();
    let (mut session, _) =
        boot_captured(Firmware::Bios, &image, &CaptureOptions::default()).unwrap();
    let seen = session.wait_for(
        "kestrel loader: cannot boot: bad kernel file: not an ELF file",
        TIMEOUT,
    );
    session.kill();
    std::fs::remove_file(&image).unwrap();
    let serial = session.serial();
    seen.unwrap_or_else(|e| panic!("{e}\n{serial}"));
    assert!(!serial.contains("jumping to the kernel"), "{serial}");
}

/// User programs need the boot stack, the physical-memory window and the boot
/// information in the higher half (the kernel's dynamic range): a process's
/// tables have nothing of the kernel in the lower half.
#[test]
fn usermode_passes_with_our_uefi_loader() {
    passes("usermode", 17);
}
