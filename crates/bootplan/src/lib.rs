//! Kestrel's own bootloader, the part that is pure logic.
//!
//! A bootloader does three kinds of work. Some of it talks to firmware (ask
//! UEFI for the memory map, the framebuffer, a file), some of it touches the
//! CPU (load CR3, jump), and the rest is *deciding*: which bytes of the kernel
//! file go to which virtual pages with which rights, which virtual addresses
//! map which frames, how the firmware's memory map reads in the kernel's
//! terms. This crate is that third part. It touches no hardware, so every
//! decision is tested on the host, with hostile inputs too.
//!
//! - [`elf`]: the kernel file read and checked, and its loading plan
//!   (segments, pages, rights); garbage gives an error, never a panic;
//! - [`paging`]: a four-level page-table builder over any memory that can
//!   hold tables, with 2 MiB and 1 GiB pages, and a guarded stack;
//! - [`window`]: which physical ranges the physical-memory window maps
//!   (memory and the framebuffer, never reserved holes or devices);
//! - [`memmap`]: UEFI memory descriptors and E820 entries turned into the
//!   `bootloader_api` memory regions the kernel reads (sorted, no overlaps);
//! - [`config`]: the kernel's requests, read from its file;
//! - [`placement`]: where the window and the boot stack go;
//! - [`rsdp`]: finding ACPI's root pointer in a BIOS machine's memory.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

pub mod config;
pub mod elf;
pub mod memmap;
pub mod paging;
pub mod placement;
pub mod rsdp;
pub mod window;

/// The size of a page (and of a frame): 4 KiB.
pub const PAGE: u64 = 4096;

/// `value` rounded down to a multiple of `align` (a power of two).
pub const fn align_down(value: u64, align: u64) -> u64 {
    value & !(align - 1)
}

/// `value` rounded up to a multiple of `align` (a power of two); `None` if
/// that does not fit in 64 bits.
pub const fn align_up(value: u64, align: u64) -> Option<u64> {
    match value.checked_add(align - 1) {
        Some(v) => Some(align_down(v, align)),
        None => None,
    }
}
