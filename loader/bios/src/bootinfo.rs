//! The boot info: everything the kernel learns from its loader.
//!
//! `bootloader_api::BootInfo` is a plain `repr(C)` structure: the memory
//! regions (a pointer and a length), the framebuffer, where physical memory
//! is mapped, the ACPI RSDP, where the kernel file, the ramdisk and the
//! stack are. It and its array of regions go into frames of their own,
//! identity-mapped for the loader and seen by the kernel through the
//! physical-memory window.
//!
//! The regions come from E820, plus two ranges the kernel must keep, marked
//! `Bootloader` (which wins over `Usable` where they overlap, see
//! `bootplan::memmap`): the kernel file and ramdisk, and every frame the
//! loader handed out (segments, stack, tables, this boot info).

use crate::frames::Frames;
use crate::handoff::Handoff;
use crate::load::{AddressSpace, LoadError};
use bootloader_api::BootInfo;
use bootloader_api::info::{FrameBuffer, MemoryRegion, MemoryRegionKind};
use bootplan::PAGE;
use bootplan::memmap::Entry;
use bootplan::paging::{Rights, Stack};

/// Frames reserved for the boot info and its regions.
pub struct Builder {
    info: *mut BootInfo,
    regions: &'static mut [MemoryRegion],
}

/// What goes into the boot info.
pub struct Facts {
    pub framebuffer: Option<FrameBuffer>,
    pub phys_offset: Option<u64>,
    pub rsdp: Option<u64>,
    /// Physical address and length of the kernel file.
    pub kernel_file: (u64, u64),
    /// Physical address and length of the ramdisk (length 0: none).
    pub ramdisk: (u64, u64),
    pub stack: Stack,
}

impl Builder {
    /// Room for the boot info and for twice as many regions as E820 has
    /// entries, plus a few (converting may split entries).
    pub fn new(
        frames: &Frames,
        space: &mut AddressSpace,
        handoff: &Handoff,
    ) -> Result<Builder, LoadError> {
        let capacity = 2 * (handoff.e820_len() + 4);
        let bytes = size_of::<BootInfo>() + capacity * size_of::<MemoryRegion>();
        let pages = (bytes as u64).div_ceil(PAGE);
        let base = frames
            .zeroed(pages)
            .ok_or(LoadError::OutOfMemory("the boot info"))?;
        space.identity(base, pages * PAGE, Rights::DATA)?;
        let regions_at = base as usize + size_of::<BootInfo>();
        // SAFETY: `base` starts `pages` fresh identity-mapped pages that only
        // this builder uses: the BootInfo, then `capacity` regions
        // (MemoryRegion's alignment, 8, divides BootInfo's size).
        let regions =
            unsafe { core::slice::from_raw_parts_mut(regions_at as *mut MemoryRegion, capacity) };
        Ok(Builder {
            info: base as *mut BootInfo,
            regions,
        })
    }

    /// Writes the boot info; `frames` must hand out nothing more after this.
    /// Returns its address for the kernel (in the physical-memory window if
    /// there is one, else the identity address).
    pub fn finish(self, handoff: &Handoff, frames: &Frames, facts: Facts) -> u64 {
        let (file, ramdisk, used) = (facts.kernel_file, facts.ramdisk, frames.used());
        let keep = |start: u64, end: u64| Entry {
            start,
            len: end - start,
            kind: MemoryRegionKind::Bootloader,
        };
        let loaded_end = if ramdisk.1 > 0 {
            ramdisk.0 + ramdisk.1
        } else {
            file.0 + file.1
        };
        let kept = [keep(file.0, loaded_end), keep(used.0, used.1)];
        let map = handoff.memory_map().chain(kept.iter().copied());
        let count = match bootplan::memmap::convert(map, self.regions) {
            Ok(count) => count,
            Err(_) => crate::fail::stop(&"the memory map has more regions than expected"),
        };
        let regions_identity = self.regions.as_ptr() as u64;
        let regions: &'static mut [MemoryRegion] = &mut self.regions[..count];
        let seen = |address: u64| facts.phys_offset.map_or(address, |offset| offset + address);
        let mut info = BootInfo::new(regions.into());
        info.framebuffer = facts.framebuffer.into();
        info.physical_memory_offset = facts.phys_offset.into();
        info.rsdp_addr = facts.rsdp.into();
        // A physical address (the kernel reads the file through its window).
        info.kernel_addr = file.0;
        info.kernel_len = file.1;
        info.kernel_image_offset = 0;
        info.kernel_stack_bottom = facts.stack.bottom;
        info.kernel_stack_len = facts.stack.top - facts.stack.bottom;
        if ramdisk.1 > 0 {
            // A virtual address: the ramdisk as the window shows it.
            info.ramdisk_addr = Some(seen(ramdisk.0)).into();
            info.ramdisk_len = ramdisk.1;
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
    /// added), as the UEFI loader does (see there why it is done in place):
    /// `MemoryRegions` is `repr(C)`, a pointer then a length, and the pointer
    /// read back must be the one we gave, or we stop rather than guess.
    fn move_regions_pointer(info: *mut BootInfo, identity: u64, by: u64) {
        // SAFETY: `info` was just written (see `finish`); the first eight
        // bytes of its `memory_regions` field are the pointer (repr(C)),
        // checked against the address it must hold before it is changed.
        unsafe {
            let field = (&raw mut (*info).memory_regions).cast::<u64>();
            if field.read() != identity {
                crate::fail::stop(&"unexpected bootloader_api layout");
            }
            field.write(identity + by);
        }
    }
}
