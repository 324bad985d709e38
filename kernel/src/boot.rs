//! What we ask of the bootloader, and what we can tell from what it gives us.
//!
//! The `bootloader` crate reads [`BOOTLOADER_CONFIG`] from a section of our ELF
//! file before loading us. We ask it to map all of physical memory at some virtual
//! offset of its choosing (later chapters build page tables and allocators on that
//! window) and for a larger kernel stack than its 80 KiB default.

use bootloader_api::config::{BootloaderConfig, Mapping};
use bootloader_api::info::{MemoryRegionKind, MemoryRegions};

/// The kernel stack the bootloader sets up for us.
pub const KERNEL_STACK_SIZE: u64 = 256 * 1024;

/// Our requests to the bootloader; `entry_point!` embeds them in the kernel ELF.
pub const BOOTLOADER_CONFIG: BootloaderConfig = {
    let mut config = BootloaderConfig::new_default();
    config.mappings.physical_memory = Some(Mapping::Dynamic);
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
