//! What we ask of the bootloader, and what we can tell from what it gives us.
//!
//! The `bootloader` crate reads [`BOOTLOADER_CONFIG`] from a section of our ELF
//! file before loading us. We ask it to map all of physical memory at some virtual
//! offset of its choosing (later chapters build page tables and allocators on that
//! window) and for a larger kernel stack than its 80 KiB default.
//!
//! Everything it places itself (that window, the boot stack, the framebuffer,
//! the boot information) goes into [`DYNAMIC_RANGE`], in the higher half: the
//! lower half belongs to user programs, and a process's address space shares
//! only the higher half with the kernel.

use bootloader_api::config::{BootloaderConfig, Mapping};
use bootloader_api::info::{MemoryRegionKind, MemoryRegions};

/// The kernel stack the bootloader sets up for us.
pub const KERNEL_STACK_SIZE: u64 = 256 * 1024;

/// Where the bootloader may put its mappings: PML4 slots 256-287, below the
/// kernel's own windows (slot 288 on, see `memory`).
pub const DYNAMIC_RANGE: (u64, u64) = (0xffff_8000_0000_0000, 0xffff_8fff_ffff_ffff);

/// Our requests to the bootloader; `entry_point!` embeds them in the kernel ELF.
pub const BOOTLOADER_CONFIG: BootloaderConfig = {
    let mut config = BootloaderConfig::new_default();
    config.mappings.physical_memory = Some(Mapping::Dynamic);
    config.mappings.dynamic_range_start = Some(DYNAMIC_RANGE.0);
    config.mappings.dynamic_range_end = Some(DYNAMIC_RANGE.1);
    config.kernel_stack_size = KERNEL_STACK_SIZE;
    config
};

/// Which firmware started the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Firmware {
    Bios,
    Uefi,
    Unknown,
}

impl Firmware {
    /// Tells BIOS from UEFI by the memory map: the bootloader passes through
    /// regions it has no name for with the firmware's own type number, tagged
    /// `UnknownBios` (E820 types) or `UnknownUefi` (UEFI memory types).
    pub fn detect(regions: &MemoryRegions) -> Firmware {
        for region in regions.iter() {
            match region.kind {
                MemoryRegionKind::UnknownUefi(_) => return Firmware::Uefi,
                MemoryRegionKind::UnknownBios(_) => return Firmware::Bios,
                _ => {}
            }
        }
        Firmware::Unknown
    }

    pub fn name(self) -> &'static str {
        match self {
            Firmware::Bios => "BIOS",
            Firmware::Uefi => "UEFI",
            Firmware::Unknown => "unknown",
        }
    }
}
