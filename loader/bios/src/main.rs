//! Kestrel's own BIOS bootloader: from the boot sector to `kernel_main`.
//!
//! A BIOS starts the machine the way the IBM PC did: it reads one 512-byte
//! sector from the disk and runs it in 16-bit real mode. From there the
//! loader climbs, one file per step:
//!
//! 1. `boot_sector.rs`: the MBR reads the rest of the loader;
//! 2. `real_mode.rs`: with the BIOS's help, A20, the E820 memory map, the
//!    kernel file and ramdisk (many sectors per call), a VESA video mode;
//! 3. `long_mode.rs`: protected mode, then long mode with an identity map;
//! 4. this file, in Rust: the kernel's page tables built by the host-tested
//!    crate `bootplan` (kernel at its linked address, physical memory at an
//!    offset with large pages, a guarded stack), the `bootloader_api`
//!    `BootInfo`, and the jump (`handover.rs`), exactly what the `bootloader`
//!    crate hands over, so the kernel does not know which loader ran.
//!
//! Any failure prints why (on COM1 and on the screen) and halts; the loader
//! never resets the machine.
#![no_std]
#![no_main]

mod boot_sector;
mod bootinfo;
mod fail;
mod frames;
mod handoff;
mod load;
mod long_mode;
mod real_mode;
mod screen;
mod video;

use bootplan::config;
use bootplan::paging::Rights;
use bootplan::{PAGE, align_down};
use frames::Frames;
use handoff::Handoff;
use loader_common::serial;

unsafe extern "C" {
    /// The first byte after the loader (`link.ld`).
    static loader_end: u8;
}

/// Where the real-mode stage loads the kernel file (1 MiB).
const KERNEL_FILE: u64 = 0x10_0000;

/// Called by `long_mode.rs` with the real-mode stage's findings.
#[unsafe(no_mangle)]
extern "C" fn loader_main(handoff: &'static Handoff) -> ! {
    serial::line("kestrel loader: in long mode");
    let screen = screen::find(handoff);
    screen::set(screen);
    // 1. The kernel file, in RAM the loader may use, and checked.
    let (file, ram_end) = kernel_file(handoff);
    let kernel = bootplan::elf::parse(file)
        .unwrap_or_else(|e| fail::stop(&format_args!("bad kernel file: {e}")));
    let config =
        config::read(&kernel).unwrap_or_else(|e| fail::stop(&format_args!("bad kernel file: {e}")));
    // 2. Frames from the end of what was loaded up to the end of that RAM.
    let ramdisk = (handoff.ramdisk_addr as u64, handoff.ramdisk_len as u64);
    let loaded_end = (ramdisk.0 + ramdisk.1).max(KERNEL_FILE + file.len() as u64);
    let frames = Frames::new(loaded_end, ram_end);
    // 3. Page tables: the kernel's segments, a guarded stack, the physical-
    //    memory window, the loader itself.
    let nx = loader_common::handover::cpu_has_nx();
    let place = config::placement(&config)
        .unwrap_or_else(|e| fail::stop(&format_args!("kernel's dynamic range: {e}")));
    let phys_offset = config::phys_offset(&config, &place);
    let offset = phys_offset.unwrap_or(place.phys_offset);
    let huge_pages = loader_common::handover::cpu_has_huge_pages();
    let mut space =
        load::AddressSpace::new(&frames, nx, huge_pages).unwrap_or_else(|e| fail::stop(&e));
    space
        .load_kernel(&kernel)
        .unwrap_or_else(|e| fail::stop(&e));
    let stack = space
        .stack(place.stack_area, config.kernel_stack_size)
        .unwrap_or_else(|e| fail::stop(&e));
    let used = (KERNEL_FILE, ram_end);
    space
        .physical_window(offset, handoff.memory_map(), used, screen.as_ref())
        .unwrap_or_else(|e| fail::stop(&e));
    let code = Rights {
        writable: false,
        executable: true,
    };
    // Only the address of the linker-script symbol is taken, never its value.
    let end = &raw const loader_end as u64;
    let start = align_down(0x7c00, PAGE);
    space
        .identity(start, end - start, code)
        .unwrap_or_else(|e| fail::stop(&e));
    // 4. The boot info, last: it records every frame handed out.
    let builder =
        bootinfo::Builder::new(&frames, &mut space, handoff).unwrap_or_else(|e| fail::stop(&e));
    let facts = bootinfo::Facts {
        framebuffer: screen.map(|s| {
            // SAFETY: the window maps the framebuffer's `byte_len` bytes at
            // `offset + phys`, and the kernel gets the only `FrameBuffer`.
            unsafe { bootloader_api::info::FrameBuffer::new(offset + s.phys, s.info) }
        }),
        phys_offset,
        rsdp: rsdp(),
        kernel_file: (KERNEL_FILE, file.len() as u64),
        ramdisk,
        stack,
    };
    let boot_info = builder.finish(handoff, &frames, facts);
    if !nx {
        serial::line("kestrel loader: the CPU has no NX: no-execute pages stay off");
    }
    serial::line("kestrel loader: jumping to the kernel");
    // 5. Kernel page tables, kernel stack, kernel entry: no way back.
    loader_common::handover::jump(space.root(), stack.top, kernel.entry(), boot_info, nx)
}

/// The kernel file as the real-mode stage loaded it, and the end of the
/// usable RAM that holds it (and the ramdisk after it); stops with "too
/// little memory" if no usable E820 entry holds them both.
fn kernel_file(handoff: &Handoff) -> (&'static [u8], u64) {
    let start = handoff.kernel_addr as u64;
    let len = handoff.kernel_len as u64;
    let end = (handoff.ramdisk_addr as u64 + handoff.ramdisk_len as u64).max(start + len);
    let region = handoff
        .e820()
        .filter(|e| e.ty == 1)
        .find(|e| e.base <= start && end <= e.base.saturating_add(e.len));
    let Some(region) = region else {
        fail::stop(&format_args!(
            "too little memory: the kernel file and ramdisk ({} KiB from 1 MiB) are not in usable RAM",
            (end - start) / 1024
        ))
    };
    // SAFETY: the real-mode stage wrote `len` bytes at `start`, in usable
    // RAM (just checked) that nothing else uses until the kernel takes over.
    let file = unsafe { core::slice::from_raw_parts(start as *const u8, len as usize) };
    (file, region.base.saturating_add(region.len))
}

/// ACPI's root pointer: in the first KiB of the extended BIOS data area
/// (whose segment the BIOS data area holds at 0x40e), else in 0xE0000-0xFFFFF.
fn rsdp() -> Option<u64> {
    // SAFETY: the BIOS data area and the BIOS's ROM area are below 1 MiB,
    // identity-mapped, and only read.
    let read =
        |start: u64, len: usize| unsafe { core::slice::from_raw_parts(start as *const u8, len) };
    // SAFETY: as above: two bytes of the BIOS data area.
    let ebda = (unsafe { (0x40e as *const u16).read_unaligned() } as u64) << 4;
    let search =
        |start: u64, len: usize| bootplan::rsdp::find(read(start, len)).map(|at| start + at as u64);
    let in_ebda = (0x8_0000..0xa_0000)
        .contains(&ebda)
        .then(|| search(ebda, 1024))
        .flatten();
    in_ebda.or_else(|| search(0xe_0000, 0x2_0000))
}
