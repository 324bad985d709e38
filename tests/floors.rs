//! The floors that `bench-boot` measures really boot: the one-sector BIOS
//! disk and the trivial EFI application each print their line on COM1.

use kestrel::qemu::Firmware;
use kestrel::{CaptureOptions, boot_captured, floors};
use std::time::Duration;

fn prints(firmware: Firmware, image: &std::path::Path, line: &str) {
    let options = CaptureOptions {
        qmp: false,
        ..CaptureOptions::default()
    };
    let (mut session, _) = boot_captured(firmware, image, &options).expect("QEMU starts");
    let found = session.wait_for(line, Duration::from_secs(90));
    session.kill();
    let serial = session.serial();
    assert!(
        found.is_ok(),
        "no {line:?} under {firmware:?}; serial:\n{serial}"
    );
}

#[test]
fn both_floors_print_their_line() {
    let dir = kestrel::builder::target_dir(&kestrel::builder::root()).join("images");
    std::fs::create_dir_all(&dir).unwrap();
    let (bios, uefi) = floors::write_images(&dir).unwrap();
    prints(Firmware::Bios, &bios, floors::BIOS_LINE);
    prints(Firmware::Uefi, &uefi, floors::UEFI_LINE);
}
