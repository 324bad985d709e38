//! Memory: physical frames, page tables, hardening, kernel stacks and the heap.
//!
//! The bootloader hands us a memory map and page tables that map the kernel,
//! a boot stack, the framebuffer, and physical memory at a virtual offset
//! (the *physical-memory window*: physical address `p` is readable at
//! `offset + p`). Our loaders map only memory there (RAM, ACPI memory, the
//! framebuffer), never device registers: those go through [`mmio`]. [`init`] builds on that, in order:
//!
//! 1. `frames`: a frame allocator over the RAM the map calls usable;
//! 2. `paging`: an API to map and unmap pages in the active tables;
//! 3. `hardening`: NX, write protection and exact rights for the kernel's pages;
//! 4. `heap`: the kernel heap, grown on demand in a window of its own.
//!
//! The higher half of the address space is laid out like this (PML4 slots):
//!
//! | slot | start                 | what                                   |
//! |------|-----------------------|----------------------------------------|
//! | 288  | `0xffff_9000_0000_0000` | kernel heap window (512 MiB used)    |
//! | 289  | `0xffff_9080_0000_0000` | kernel stacks with guard pages       |
//! | 290  | `0xffff_9100_0000_0000` | device memory, uncached (`mmio`)     |
//! | 511  | `0xffff_ff80_0000_0000` | kernel image (at `0xffffffff80000000`) |
//!
//! The bootloader puts its dynamic mappings (physical-memory window, boot
//! stack, framebuffer, boot info) in slots 256-287 (`boot::DYNAMIC_RANGE`), so
//! that the lower half is free for user programs (`address_space`); [`init`]
//! checks that our slots are free.

pub mod address_space;
pub mod copy_on_write;
pub mod frames;
pub mod hardening;
pub mod heap;
pub mod mmio;
pub mod paging;
pub mod sharing;
pub mod stack;
pub mod user_pages;

use crate::{print, println};
use bootloader_api::BootInfo;
use spin::Once;
use x86_64::structures::paging::PageTable;
use x86_64::{PhysAddr, VirtAddr};

static PHYS_OFFSET: Once<VirtAddr> = Once::new();
static HARDENING: Once<hardening::Report> = Once::new();
static FRAME_INIT_TICKS: Once<u64> = Once::new();
/// Frames in use when the boot was complete (see [`note_boot_complete`]).
static USED_AT_BOOT_COMPLETE: Once<usize> = Once::new();

/// Where the bootloader mapped physical memory.
pub fn phys_offset() -> VirtAddr {
    *PHYS_OFFSET.get().expect("memory::init has not run yet")
}

/// The virtual address at which physical address `phys` can be accessed.
pub fn phys_to_virt(phys: PhysAddr) -> VirtAddr {
    phys_offset() + phys.as_u64()
}

/// Sets up all of memory management; see the module docs. Runs once.
pub fn init(boot_info: &BootInfo) {
    if PHYS_OFFSET.is_completed() {
        return;
    }
    let offset = *boot_info
        .physical_memory_offset
        .as_ref()
        .expect("the bootloader maps physical memory (boot::BOOTLOADER_CONFIG)");
    PHYS_OFFSET.call_once(|| VirtAddr::new(offset));
    check_slots_free();
    let started = rdtsc();
    frames::init(&boot_info.memory_regions);
    FRAME_INIT_TICKS.call_once(|| rdtsc() - started);
    paging::init();
    HARDENING.call_once(|| hardening::apply(boot_info));
    heap::init();
}

/// What hardening found at boot (`None` before [`init`]).
pub fn hardening_report() -> Option<hardening::Report> {
    HARDENING.get().copied()
}

/// The CPU's time-stamp counter (under QEMU's TCG it runs at the host's rate).
pub(crate) fn rdtsc() -> u64 {
    // SAFETY: `rdtsc` only reads a counter; every x86_64 CPU has it.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// PML4 slots of our own windows (see the table in the module docs).
const OWN_SLOTS: [(usize, &str); 3] = [
    (288, "heap"),
    (289, "kernel stacks"),
    (290, "device memory"),
];

fn check_slots_free() {
    let (pml4, _) = x86_64::registers::control::Cr3::read();
    let pml4: *const PageTable = phys_to_virt(pml4.start_address()).as_ptr();
    // SAFETY: CR3 holds the active PML4, visible in the physical-memory window;
    // we only read it.
    let pml4 = unsafe { &*pml4 };
    for (slot, what) in OWN_SLOTS {
        assert!(
            pml4[slot].is_unused(),
            "PML4 slot {slot} ({what} window) is already used by the bootloader"
        );
    }
}

const MIB: usize = 1 << 20;

/// The one-line summary for the boot report.
pub fn print_boot_line() {
    let Some(f) = frames::at_boot() else { return };
    println!(
        "Frames:       {} usable ({} MiB), {} for the bitmap; built in {} TSC ticks",
        f.usable,
        f.usable * 4096 / MIB,
        f.bitmap,
        FRAME_INIT_TICKS.get().copied().unwrap_or(0)
    );
    if let Some(h) = hardening_report().filter(|h| !h.nx) {
        println!(
            "Hardening:    the CPU has no NX: no-execute pages off (W^X only for writes); \
             WP {}; {} kernel pages in {} segments, {} fixed",
            if h.wp_was_on { "was on" } else { "turned on" },
            h.segment_pages,
            h.segments,
            h.segment_pages_fixed
        );
    } else if let Some(h) = hardening_report() {
        println!(
            "Hardening:    NX {}, WP {}; {} kernel pages in {} segments, {} fixed; \
             {} stray executable pages made NX",
            if h.nxe_was_on { "was on" } else { "turned on" },
            if h.wp_was_on { "was on" } else { "turned on" },
            h.segment_pages,
            h.segments,
            h.segment_pages_fixed,
            h.stray_executable_fixed
        );
    }
}

/// Remembers how many frames are in use now, at the end of the boot, so
/// that `mem` can show what has been used since. The first call counts.
pub fn note_boot_complete() {
    if let Some(f) = frames::stats() {
        USED_AT_BOOT_COMPLETE.call_once(|| f.used());
    }
}

/// Prints what the shell command `mem` shows.
pub fn report() {
    match frames::stats() {
        Some(f) => {
            print!(
                "frames: {} total, {} used, {} free ({} MiB free",
                f.usable,
                f.used(),
                f.free,
                f.free * 4096 / MIB,
            );
            match USED_AT_BOOT_COMPLETE.get() {
                Some(used) => println!("; {used} used when the boot was complete)"),
                None => println!(")"),
            }
        }
        None => println!("frames: not available"),
    }
    match heap::stats() {
        Some(h) => {
            let a = h.allocator;
            println!(
                "heap:   {} KiB mapped of {} KiB limit, {} KiB held by the allocator, \
                 {} bytes in use (peak {})",
                h.mapped_pages * 4,
                h.limit_pages * 4,
                a.held / 1024,
                a.in_use,
                a.peak_in_use
            );
            println!(
                "        {} allocations, {} frees, {} reallocations, {} failed{}",
                a.allocs,
                a.frees,
                a.reallocs,
                a.failed,
                AllocFailure(a.last_failure)
            );
        }
        None => println!("heap:   not available (locked)"),
    }
}

/// ` (last: N bytes, align A)` or nothing.
struct AllocFailure(Option<core::alloc::Layout>);

impl core::fmt::Display for AllocFailure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(l) => write!(f, " (last: {} bytes, align {})", l.size(), l.align()),
            None => Ok(()),
        }
    }
}
