//! Kernel tests for the foundation: output, scrolling, logging, boot facts.
#![no_std]
#![no_main]

use kernel::boot::Firmware;
use kernel::boot_report::MemorySummary;
use kernel::{println, should_panic, test, testing};

kernel::test_kernel![
    test!(serial_port_is_present),
    test!(println_many_lines_scrolls),
    test!(long_lines_wrap),
    test!(log_macros_print),
    test!(firmware_is_detected),
    test!(memory_map_has_usable_ram),
    test!(physical_memory_is_mapped),
    test!(ramdisk_has_the_runners_bytes),
    should_panic!(panics_are_caught, "deliberate test panic"),
    test!(tests_continue_after_a_panic),
];

fn serial_port_is_present() {
    // init() is idempotent and reports whether the loopback check passed.
    assert!(kernel::drivers::serial::SERIAL.lock().init());
}

fn println_many_lines_scrolls() {
    // Far more lines than fit on any screen: the console must scroll each time.
    for i in 0..200 {
        println!("scroll line {i}: the quick brown fox jumps over the lazy dog");
    }
}

fn long_lines_wrap() {
    let mut line = [b'x'; 700];
    line[699] = b'!';
    println!("{}", core::str::from_utf8(&line).unwrap());
}

fn log_macros_print() {
    log::info!("an info message");
    log::warn!("a warning");
    log::error!("an error (expected in this test)");
}

fn firmware_is_detected() {
    let firmware = Firmware::detect(&testing::boot_info().memory_regions);
    println!("firmware: {}", firmware.name());
    assert_ne!(firmware, Firmware::Unknown);
}

fn memory_map_has_usable_ram() {
    let mem = MemorySummary::of(&testing::boot_info().memory_regions);
    // QEMU's default machine has 128 MiB; some goes to firmware and the bootloader.
    assert!(mem.usable_bytes > 32 * 1024 * 1024, "{mem:?}");
    assert!(mem.top >= mem.usable_bytes);
    assert!(mem.regions > 2);
}

fn physical_memory_is_mapped() {
    // We asked the bootloader to map all physical memory; the first usable region
    // must be readable and writable through that window.
    let info = testing::boot_info();
    let offset = *info
        .physical_memory_offset
        .as_ref()
        .expect("mapping requested");
    let region = info
        .memory_regions
        .iter()
        .find(|r| {
            r.kind == bootloader_api::info::MemoryRegionKind::Usable && r.end - r.start >= 4096
        })
        .expect("a usable region");
    let ptr = (offset + region.start) as *mut u64;
    // SAFETY: the region is usable RAM that nothing else in this test kernel uses
    // (no allocator exists yet), mapped writable by the bootloader at `offset`.
    unsafe {
        ptr.write_volatile(0x1234_5678_9abc_def0);
        assert_eq!(ptr.read_volatile(), 0x1234_5678_9abc_def0);
    }
}

fn panics_are_caught() {
    panic!("deliberate test panic");
}

fn tests_continue_after_a_panic() {
    // Reaching this test at all proves the harness resumed after the panic.
    println!("still running");
}

/// Our loaders pass this test kernel (and only this one) the runner's test
/// ramdisk (`image::test_ramdisk` in the runner): a header line, then byte `i` is `(31 * i + 7) % 251`. The
/// integration tests look for the line this prints.
fn ramdisk_has_the_runners_bytes() {
    let info = testing::boot_info();
    let Some(addr) = info.ramdisk_addr.into_option() else {
        println!("ramdisk: none");
        return;
    };
    // SAFETY: the loader mapped `ramdisk_len` bytes at `ramdisk_addr` (in
    // the physical-memory window) and keeps them out of the frame allocator.
    let bytes =
        unsafe { core::slice::from_raw_parts(addr as *const u8, info.ramdisk_len as usize) };
    const HEADER: &[u8] = b"KESTREL TEST RAMDISK\n";
    assert_eq!(bytes.len(), 70_001);
    assert_eq!(&bytes[..HEADER.len()], HEADER);
    for (i, &b) in bytes[HEADER.len()..].iter().enumerate() {
        assert_eq!(
            b,
            ((31 * i + 7) % 251) as u8,
            "ramdisk byte {}",
            HEADER.len() + i
        );
    }
    println!("ramdisk: {} bytes as the runner wrote them", bytes.len());
}
