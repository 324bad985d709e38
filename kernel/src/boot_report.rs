//! The boot report: a short summary of the machine as the bootloader found it.
//!
//! The memory map is the firmware's list of physical address ranges and what each
//! holds (usable RAM, ACPI tables, device memory, ...), as corrected by the
//! bootloader, which marks the memory it used for our kernel, page tables and boot
//! information as `Bootloader`. We sum it up by kind instead of listing every
//! region: a UEFI machine reports well over a hundred of them.

use crate::boot::Firmware;
use crate::drivers::framebuffer::Describe;
use crate::{output, print, println};
use bootloader_api::BootInfo;
use bootloader_api::info::{MemoryRegion, MemoryRegionKind};

/// The start of the line printed when boot is complete, right before the
/// shell's first prompt; the runner and the tests wait for it.
pub const IDLE_LINE: &str = "Boot complete";

/// Prints the boot-complete line: the time since the kernel started, and
/// what the TSC counted since power-on or reset (which includes the firmware
/// and the bootloader, and earlier sessions if this was a warm reboot).
pub fn print_boot_complete() {
    crate::memory::note_boot_complete();
    println!(
        "{IDLE_LINE} after {} s since the kernel started (TSC: {} s since power-on or reset).",
        Seconds(crate::time::uptime()),
        Seconds(crate::time::since_reset())
    );
}

/// A duration as seconds with three decimals: `4.474`.
pub struct Seconds(pub core::time::Duration);

impl core::fmt::Display for Seconds {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{:03}", self.0.as_secs(), self.0.subsec_millis())
    }
}

/// Totals over the memory map.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemorySummary {
    pub regions: usize,
    pub usable_bytes: u64,
    pub bootloader_bytes: u64,
    pub firmware_bytes: u64,
    /// One past the highest physical address in the map.
    pub top: u64,
}

impl MemorySummary {
    pub fn of(regions: &[MemoryRegion]) -> MemorySummary {
        let mut sum = MemorySummary {
            regions: regions.len(),
            ..MemorySummary::default()
        };
        for region in regions {
            let len = region.end.saturating_sub(region.start);
            match region.kind {
                MemoryRegionKind::Usable => sum.usable_bytes += len,
                MemoryRegionKind::Bootloader => sum.bootloader_bytes += len,
                _ => sum.firmware_bytes += len,
            }
            sum.top = sum.top.max(region.end);
        }
        sum
    }
}

const MIB: u64 = 1024 * 1024;

/// Prints the report.
pub fn print(boot_info: &BootInfo) {
    let firmware = Firmware::detect(&boot_info.memory_regions);
    println!("Firmware:     {}", firmware.name());
    match output::screen_info() {
        Some(info) => println!("Framebuffer:  {}", Describe(&info)),
        None => println!("Framebuffer:  none"),
    }
    let mem = MemorySummary::of(&boot_info.memory_regions);
    println!(
        "Memory map:   {} regions: {} MiB usable, {} KiB bootloader, {} MiB reserved",
        mem.regions,
        mem.usable_bytes / MIB,
        mem.bootloader_bytes / 1024,
        mem.firmware_bytes / MIB
    );
    println!("              highest physical address {:#x}", mem.top);
    if let Some(offset) = boot_info.physical_memory_offset.as_ref() {
        println!("Phys. memory: mapped at virtual {offset:#x}");
    }
    println!(
        "Kernel:       {} KiB ELF file at physical {:#x}, load offset {:#x}",
        boot_info.kernel_len / 1024,
        boot_info.kernel_addr,
        boot_info.kernel_image_offset
    );
    if let Some(rsdp) = boot_info.rsdp_addr.as_ref() {
        println!("ACPI RSDP:    physical {rsdp:#x}");
    }
    print_cpus();
    if !crate::arch::features::has_invariant_tsc() {
        println!("TSC:          not reported invariant (cpuid); the clock assumes a constant rate");
    }
    crate::memory::print_boot_line();
}

/// How many CPUs the ACPI MADT lists (the kernel runs on the first only).
fn print_cpus() {
    let Some(platform) = crate::arch::acpi::platform() else {
        return println!("CPUs:         unknown (no ACPI MADT read yet)");
    };
    print!(
        "CPUs:         {} (ACPI MADT); the kernel uses one",
        platform.cpus
    );
    match platform.cpus_online_capable {
        0 => println!(),
        more => println!("; {more} more can be brought online"),
    }
}

/// Stops the boot because the CPU lacks `missing` features: says which and
/// why on screen and serial, then ends QEMU with failure (or halts).
pub fn stop_for_missing_features(
    missing: impl Iterator<Item = &'static crate::arch::features::Feature>,
) -> ! {
    println!("\x1b[31mThis CPU lacks features Kestrel needs; stopping.\x1b[0m");
    for feature in missing {
        println!("  missing: {} (for {})", feature.name, feature.used_for);
    }
    println!("(Under QEMU, use a CPU model with them, e.g. the default `-cpu qemu64`.)");
    crate::arch::qemu::exit(crate::arch::qemu::ExitCode::Failure)
}
