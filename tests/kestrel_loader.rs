//! Our own UEFI loader (`--loader kestrel`, opt-in): every test kernel boots
//! through it under OVMF and passes, and a bad kernel file gets a clear
//! message instead of a reset. (The other integration tests boot through
//! the `bootloader` crate, which stays the default.)

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

/// Boots test kernel `name` with our loader; checks that our loader ran and
/// that every test passed; returns the serial output.
fn passes(name: &str, at_least: usize) -> String {
    let kernel = test_kernels()
        .iter()
        .find(|k| k.name == name)
        .unwrap_or_else(|| panic!("no test kernel {name}"));
    let (mut session, _) = boot_captured(
        Firmware::Uefi,
        &kernel.images.uefi,
        &CaptureOptions::default(),
    )
    .unwrap_or_else(|e| panic!("cannot boot {name}: {e}"));
    let ending = session.wait(TIMEOUT);
    let serial = session.serial();
    println!("--- serial output of {name} (our UEFI loader) ---\n{serial}");
    assert!(
        serial.contains("kestrel loader: started (UEFI)"),
        "our loader did not run"
    );
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
    let serial = passes("basics", 9);
    assert!(serial.contains("firmware: UEFI"));
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

/// User programs need the boot stack, the physical-memory window and the boot
/// information in the higher half (the kernel's dynamic range): a process's
/// tables have nothing of the kernel in the lower half.
#[test]
fn usermode_passes_with_our_uefi_loader() {
    passes("usermode", 17);
}
