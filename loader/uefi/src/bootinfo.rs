//! The boot info: everything the kernel learns from its loader.
//!
//! `bootloader_api::BootInfo` is a plain `repr(C)` structure: the memory
//! regions (a pointer and a length), the framebuffer, where physical memory
//! is mapped, the ACPI RSDP, where the kernel file and its stack are. We
//! place it, and the array of regions after it, in LOADER_DATA pages below
//! 4 GiB that are identity-mapped in the kernel's tables too, so one pointer
//! is valid both here and in the kernel. The regions can only be written
//! after boot services exit (the map is final only then); the pages are
//! allocated before, with room to spare.

use crate::exit::FinalMap;
use crate::frames::zeroed_pages;
use crate::load::AddressSpace;
use alloc::string::String;
use bootloader_api::BootInfo;
use bootloader_api::info::{FrameBuffer, MemoryRegion};
use bootplan::PAGE;
use bootplan::paging::{Rights, Stack};
use loader_common::serial;
use uefi::boot::{self, MemoryType};
use uefi::mem::memory_map::MemoryMap;

/// Memory for the boot info, its regions and the final memory map.
pub struct Builder {
    info: *mut BootInfo,
    regions: &'static mut [MemoryRegion],
    map_buffer: &'static mut [u8],
}

/// What goes into the boot info once boot services are gone.
pub struct Facts {
    pub memory_map: FinalMap,
    pub framebuffer: Option<FrameBuffer>,
    pub phys_offset: Option<u64>,
    pub rsdp: Option<u64>,
    pub kernel_file: &'static [u8],
    /// The ramdisk file, if the ESP has one (LOADER_DATA pages).
    pub ramdisk: Option<&'static [u8]>,
    pub stack: Stack,
}

impl Builder {
    /// Allocates room for today's memory map, doubled (converting may split
    /// entries), plus a margin for the allocations still to come.
    pub fn new(space: &mut AddressSpace) -> Result<Builder, String> {
        let map = boot::memory_map(MemoryType::LOADER_DATA)
            .map_err(|e| alloc::format!("cannot read the memory map: {e:?}"))?;
        let capacity = 2 * (map.len() + 64);
        let info_bytes = size_of::<BootInfo>() + capacity * size_of::<MemoryRegion>();
        let map_bytes = map.meta().desc_size * (map.len() + 64);
        let pages = |bytes: usize| bytes.div_ceil(PAGE as usize);
        let total = pages(info_bytes) + pages(map_bytes);
        let base = zeroed_pages(total).ok_or("no memory for the boot info")?;
        space.identity(base, total as u64 * PAGE, Rights::DATA)?;
        let info = base as *mut BootInfo;
        let regions_at = base as usize + size_of::<BootInfo>();
        let map_at = base + pages(info_bytes) as u64 * PAGE;
        // SAFETY: `base` starts `total` fresh pages that only this builder
        // uses: the BootInfo, then `capacity` regions (MemoryRegion's
        // alignment, 8, divides BootInfo's size), then the map buffer.
        let (regions, map_buffer) = unsafe {
            (
                core::slice::from_raw_parts_mut(regions_at as *mut MemoryRegion, capacity),
                core::slice::from_raw_parts_mut(
                    map_at as *mut u8,
                    pages(map_bytes) * PAGE as usize,
                ),
            )
        };
        Ok(Builder {
            info,
            regions,
            map_buffer,
        })
    }

    /// The buffer the final memory map is read into.
    pub fn map_buffer(&mut self) -> &'static mut [u8] {
        core::mem::take(&mut self.map_buffer)
    }

    /// Writes the boot info; returns its address for the kernel (in the
    /// physical-memory window if there is one, else the identity address).
    pub fn finish(self, facts: Facts) -> u64 {
        let regions_identity = self.regions.as_ptr() as u64;
        let count = match bootplan::memmap::convert(facts.memory_map.entries(), self.regions) {
            Ok(count) => count,
            Err(_) => {
                serial::line("kestrel loader: the memory map has more regions than expected");
                crate::fail::halt()
            }
        };
        let regions: &'static mut [MemoryRegion] = &mut self.regions[..count];
        let mut info = BootInfo::new(regions.into());
        info.framebuffer = facts.framebuffer.into();
        info.physical_memory_offset = facts.phys_offset.into();
        info.rsdp_addr = facts.rsdp.into();
        // A physical address (the kernel reads the file through its window).
        info.kernel_addr = facts.kernel_file.as_ptr() as u64;
        // The boot info itself is seen through the physical-memory window
        // when there is one: an identity address is in the lower half, which
        // a user process's page tables do not have.
        let seen = |address: u64| facts.phys_offset.map_or(address, |offset| offset + address);
        info.kernel_len = facts.kernel_file.len() as u64;
        info.kernel_image_offset = 0;
        info.kernel_stack_bottom = facts.stack.bottom;
        info.kernel_stack_len = facts.stack.top - facts.stack.bottom;
        if let Some(ramdisk) = facts.ramdisk {
            // A virtual address, as from the `bootloader` crate: here the
            // ramdisk as the physical-memory window shows it.
            info.ramdisk_addr = Some(seen(ramdisk.as_ptr() as u64)).into();
            info.ramdisk_len = ramdisk.len() as u64;
        }
        // SAFETY: `self.info` points to the start of our zeroed pages, room
        // and alignment for one BootInfo (see `new`).
        unsafe { self.info.write(info) };
        if let Some(offset) = facts.phys_offset {
            Self::move_regions_pointer(self.info, regions_identity, offset);
        }
        seen(self.info as u64)
    }

    /// Makes the boot info's pointer to its regions a window address (`by`
    /// added). `bootloader_api` builds `MemoryRegions` only from a slice the
    /// caller can use, and ours is usable only at its identity address, so the
    /// pointer is rewritten in place: `MemoryRegions` is `repr(C)`, a pointer
    /// then a length (the crate is pinned to 0.11.15), and the pointer read
    /// back must be the one we gave, or we stop rather than guess.
    fn move_regions_pointer(info: *mut BootInfo, identity: u64, by: u64) {
        // SAFETY: `info` was just written (see `finish`); the first eight
        // bytes of its `memory_regions` field are the pointer (repr(C)),
        // which is checked against the address it must hold before it is
        // changed.
        unsafe {
            let field = (&raw mut (*info).memory_regions).cast::<u64>();
            if field.read() != identity {
                serial::line(
                    "kestrel loader: unexpected bootloader_api layout; not moving the boot info",
                );
                crate::fail::halt()
            }
            field.write(identity + by);
        }
    }
}

/// The ACPI root pointer, from the firmware's configuration tables (ACPI 2.0
/// preferred over 1.0).
pub fn rsdp() -> Option<u64> {
    use uefi::table::cfg::{ACPI_GUID, ACPI2_GUID};
    uefi::system::with_config_table(|entries| {
        let find = |guid| {
            entries
                .iter()
                .find(|e| e.guid == guid)
                .map(|e| e.address as u64)
        };
        find(ACPI2_GUID).or_else(|| find(ACPI_GUID))
    })
}
