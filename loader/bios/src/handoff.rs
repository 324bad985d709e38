//! The handoff block: what the real-mode stage found, for the Rust stage.
//!
//! `real_mode.rs` fills it in (its labels `handoff_*` follow this layout):
//! where the kernel file and the ramdisk were loaded, the E820 entries, and
//! the VESA mode-information block of the video mode it set.

use bootplan::memmap::{Entry, e820_kind};

/// One E820 entry as the BIOS writes it (ACPI 3.0 form, 24 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct E820 {
    pub base: u64,
    pub len: u64,
    pub ty: u32,
    /// ACPI 3.0 extended attributes: bit 0 clear means "ignore this entry".
    pub attributes: u32,
}

/// The block, as laid out in `real_mode.rs`.
#[repr(C)]
pub struct Handoff {
    pub kernel_addr: u32,
    pub kernel_len: u32,
    pub ramdisk_addr: u32,
    pub ramdisk_len: u32,
    e820_count: u32,
    _reserved: u32,
    /// VBE's ModeInfoBlock (256 bytes) of the mode that was set.
    pub mode_info: [u8; 256],
    e820: [E820; 64],
}

impl Handoff {
    /// The E820 entries the BIOS gave (the ones it asks us to ignore left
    /// out), in its own order.
    pub fn e820(&self) -> impl Iterator<Item = &E820> + Clone {
        let count = (self.e820_count as usize).min(self.e820.len());
        self.e820[..count]
            .iter()
            .filter(|e| e.attributes & 1 != 0 && e.len > 0)
    }

    /// How many E820 entries there are (an upper bound for the iterator).
    pub fn e820_len(&self) -> usize {
        (self.e820_count as usize).min(self.e820.len())
    }

    /// The E820 entries as `bootplan` memory-map entries.
    pub fn memory_map(&self) -> impl Iterator<Item = Entry> + Clone {
        self.e820().map(|e| Entry {
            start: e.base,
            len: e.len,
            kind: e820_kind(e.ty),
        })
    }
}
