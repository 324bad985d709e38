//! Names for kernel addresses, read from the kernel's own ELF file.
//!
//! The bootloader leaves the whole kernel ELF file in memory and tells us where
//! (`BootInfo::kernel_addr`, a physical address, and `kernel_len`). The runner
//! strips debug information from the image but keeps the symbol table, so we can
//! read `.symtab` through the physical-memory window and turn an instruction
//! address into `kernel::shell::run+0x2a`. The parsing lives in the host-tested
//! `elfsym` crate; this module only finds the bytes.

use bootloader_api::BootInfo;
use core::fmt;
use elfsym::{Demangled, SymbolTable};
use spin::Once;

static KERNEL_ELF: Once<&'static [u8]> = Once::new();

/// Finds the kernel file in memory. Without a physical-memory mapping, symbols
/// are simply not shown.
pub fn init(boot_info: &BootInfo) {
    let Some(offset) = boot_info.physical_memory_offset.as_ref() else {
        return;
    };
    let start = (offset + boot_info.kernel_addr) as *const u8;
    // SAFETY: the bootloader mapped all physical memory at `offset` and keeps the
    // kernel file (memory it marked as used by the bootloader) for as long as the
    // kernel runs; nobody writes to it.
    let file = unsafe { core::slice::from_raw_parts(start, boot_info.kernel_len as usize) };
    KERNEL_ELF.call_once(|| file);
}

/// The kernel's symbol table, if it could be read.
pub fn table() -> Option<SymbolTable<'static>> {
    SymbolTable::parse(KERNEL_ELF.get()?).ok()
}

/// Displays ` <function+0xoffset>` for a code address, or nothing if unknown.
pub struct At(pub u64);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match table().and_then(|t| t.lookup(self.0)) {
            Some((symbol, offset)) => write!(f, " <{}+{offset:#x}>", Demangled(symbol.name)),
            None => Ok(()),
        }
    }
}
