//! Kestrel's own UEFI bootloader: from firmware to `kernel_main`.
//!
//! UEFI firmware starts this program (a PE file, `\EFI\BOOT\BOOTX64.EFI` on
//! the EFI system partition) in 64-bit mode, with paging on and all memory
//! identity-mapped, and lends it *boot services*: functions to allocate
//! memory, open files, find the screen. The loader uses them to gather
//! everything the kernel needs, then *exits* boot services: from then on the
//! firmware stays out of the way and the memory map is final. Last, it
//! switches to page tables built for the kernel and jumps to its entry point
//! with a `bootloader_api::BootInfo` in `rdi`, exactly what the `bootloader`
//! crate hands over, so the kernel does not know which loader ran.
//!
//! The story, one step per line in [`main`]; the decisions (what to map
//! where, how to read the ELF file and the memory map) are in the host-tested
//! crate `bootplan`; this program only carries them out. Any failure prints
//! why (on the UEFI console, or on COM1 once boot services are gone) and
//! halts; the loader never resets the machine.
#![no_std]
#![no_main]

extern crate alloc;

mod bootinfo;
mod exit;
mod fail;
mod framebuffer;
mod frames;
mod kernel_file;
mod load;

use bootplan::config;
use loader_common::serial;
use uefi::prelude::*;

#[entry]
fn main() -> Status {
    uefi::println!("kestrel loader: started (UEFI)");
    // 1. The kernel file from the ESP, checked, and what it asks of us.
    let file = kernel_file::read().unwrap_or_else(|e| fail::stop(&e));
    let kernel = bootplan::elf::parse(file).unwrap_or_else(|e| fail::stop(&e));
    let config =
        config::read(&kernel).unwrap_or_else(|e| fail::stop(&format_args!("bad kernel file: {e}")));
    let ramdisk = kernel_file::read_ramdisk().unwrap_or_else(|e| fail::stop(&e));
    // 2. The screen: GOP's framebuffer, its size and pixel format.
    let screen = framebuffer::find();
    // 3. Page tables: the kernel's segments, a guarded stack, the physical-
    //    memory window, and the few identity mappings the handover needs.
    let nx = loader_common::handover::cpu_has_nx();
    // Window and stack go into the kernel's dynamic range (bootplan::placement).
    let place = config::placement(&config)
        .unwrap_or_else(|e| fail::stop(&format_args!("kernel's dynamic range: {e}")));
    let offset = config::phys_offset(&config, &place).unwrap_or(place.phys_offset);
    let mut space = load::AddressSpace::new(nx, loader_common::handover::cpu_has_huge_pages())
        .unwrap_or_else(|e| fail::stop(&e));
    space
        .load_kernel(&kernel)
        .unwrap_or_else(|e| fail::stop(&e));
    let stack = space
        .stack(place.stack_area, config.kernel_stack_size)
        .unwrap_or_else(|e| fail::stop(&e));
    space
        .physical_window(offset, screen.as_ref())
        .unwrap_or_else(|e| fail::stop(&e));
    space.loader_itself().unwrap_or_else(|e| fail::stop(&e));
    // 4. The boot info, with room for the memory map that exiting will give.
    let mut info = bootinfo::Builder::new(&mut space).unwrap_or_else(|e| fail::stop(&e));
    let rsdp = bootinfo::rsdp();
    uefi::println!("kestrel loader: kernel loaded, exiting boot services");
    // 5. From here on there are no boot services: no console, no allocator.
    let map = exit::exit_boot_services(info.map_buffer());
    let boot_info = info.finish(bootinfo::Facts {
        memory_map: map,
        framebuffer: screen.map(|s| s.for_kernel(offset)),
        phys_offset: config::phys_offset(&config, &place).map(|_| offset),
        rsdp,
        kernel_file: file,
        ramdisk,
        stack,
    });
    serial::line("kestrel loader: jumping to the kernel");
    // 6. Kernel page tables, kernel stack, kernel entry: no way back.
    loader_common::handover::jump(space.root(), stack.top, kernel.entry(), boot_info, nx)
}
