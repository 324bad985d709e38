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
mod handover;
mod kernel_file;
mod load;
mod serial;

use uefi::prelude::*;

/// Where the kernel's stack goes (PML4 slot 96, lower half: the kernel keeps
/// slots 288, 289 and 511 for itself).
const STACK_AREA: u64 = 0x0000_3000_0000_0000;
/// Where physical memory is mapped when the kernel lets us choose (slot 128).
const DEFAULT_PHYS_OFFSET: u64 = 0x0000_4000_0000_0000;

#[entry]
fn main() -> Status {
    uefi::println!("kestrel loader: started (UEFI)");
    // 1. The kernel file from the ESP, checked, and what it asks of us.
    let file = kernel_file::read().unwrap_or_else(|e| fail::stop(&e));
    let kernel = bootplan::elf::parse(file).unwrap_or_else(|e| fail::stop(&e));
    let config = load::config(&kernel).unwrap_or_else(|e| fail::stop(&e));
    // 2. The screen: GOP's framebuffer, its size and pixel format.
    let screen = framebuffer::find();
    // 3. Page tables: the kernel's segments, a guarded stack, the physical-
    //    memory window, and the few identity mappings the handover needs.
    let nx = handover::cpu_has_nx();
    let offset = load::phys_offset(&config).unwrap_or(DEFAULT_PHYS_OFFSET);
    let mut space = load::AddressSpace::new(nx).unwrap_or_else(|e| fail::stop(&e));
    space
        .load_kernel(&kernel)
        .unwrap_or_else(|e| fail::stop(&e));
    let stack = space
        .stack(STACK_AREA, config.kernel_stack_size)
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
        phys_offset: load::phys_offset(&config).map(|_| offset),
        rsdp,
        kernel_file: file,
        stack,
    });
    serial::line("kestrel loader: jumping to the kernel");
    // 6. Kernel page tables, kernel stack, kernel entry: no way back.
    handover::jump(space.root(), stack.top, kernel.entry(), boot_info, nx)
}
