//! What the kernel asks of its loader, read from its own file.
//!
//! A kernel built with `bootloader_api`'s `entry_point!` carries its
//! `BootloaderConfig` in a section called `.bootloader-config`: the mappings
//! it wants (a window onto physical memory, at a fixed address or one the
//! loader picks; a dynamic range for what the loader places), its stack
//! size. Both of Kestrel's loaders read it here, the same way, so that the
//! kernel finds the same layout whichever firmware started it.

use crate::elf::Kernel;
use crate::placement::{self, Placement};
use bootloader_api::BootloaderConfig;
use bootloader_api::config::Mapping;

/// The kernel's requests, from its `.bootloader-config` section.
pub fn read(kernel: &Kernel) -> Result<BootloaderConfig, &'static str> {
    let section = kernel
        .section(".bootloader-config")
        .map_err(|_| "the kernel file's section table is broken")?
        .ok_or("the kernel has no .bootloader-config section (bootloader_api::entry_point!)")?;
    BootloaderConfig::deserialize(section)
        .map_err(|_| "the kernel's .bootloader-config section cannot be read")
}

/// Where the window onto physical memory and the boot stack go: in the
/// kernel's dynamic range if it gives one (both ends, or one end and
/// `bootloader_api`'s default for the other), else two lower-half slots.
pub fn placement(config: &BootloaderConfig) -> Result<Placement, &'static str> {
    let (start, end) = (
        config.mappings.dynamic_range_start,
        config.mappings.dynamic_range_end,
    );
    let range = (start.is_some() || end.is_some())
        .then(|| (start.unwrap_or(0), end.unwrap_or(0xffff_ffff_ffff_f000)));
    placement::place(range)
}

/// Where the kernel wants physical memory: `None` if it did not ask.
pub fn phys_offset(config: &BootloaderConfig, place: &Placement) -> Option<u64> {
    match config.mappings.physical_memory? {
        Mapping::FixedAddress(address) => Some(address),
        Mapping::Dynamic => Some(place.phys_offset),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dynamic_window_goes_where_placement_says() {
        let mut config = BootloaderConfig::new_default();
        config.mappings.physical_memory = Some(Mapping::Dynamic);
        config.mappings.dynamic_range_start = Some(0xffff_8000_0000_0000);
        config.mappings.dynamic_range_end = Some(0xffff_ffff_ffff_ffff);
        let place = placement(&config).unwrap();
        assert_eq!(place.phys_offset, 0xffff_8000_0000_0000);
        assert_eq!(phys_offset(&config, &place), Some(place.phys_offset));
    }

    #[test]
    fn a_fixed_window_and_no_window_are_honoured() {
        let mut config = BootloaderConfig::new_default();
        let place = placement(&config).unwrap();
        assert_eq!(place, placement::LOWER_HALF);
        config.mappings.physical_memory = None;
        assert_eq!(phys_offset(&config, &place), None);
        config.mappings.physical_memory = Some(Mapping::FixedAddress(0x1000_0000_0000));
        assert_eq!(phys_offset(&config, &place), Some(0x1000_0000_0000));
    }

    #[test]
    fn a_range_too_small_is_refused() {
        let mut config = BootloaderConfig::new_default();
        config.mappings.dynamic_range_start = Some(0xffff_8000_0000_0000);
        config.mappings.dynamic_range_end = Some(0xffff_8000_1000_0000);
        assert!(placement(&config).is_err());
    }
}
