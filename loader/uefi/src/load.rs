//! The kernel's address space, built while boot services still run.
//!
//! Everything here allocates (frames for segments, stack and tables), so it
//! happens before exiting boot services; `bootplan` decides, this module
//! carries out: copy each segment's bytes into fresh frames and map them
//! with the segment's rights, map a stack above a guard page, map the
//! physical-memory window, and identity-map the loader itself, whose last
//! instructions run right after the switch to the new tables.

use crate::framebuffer::Screen;
use crate::frames::{UefiTables, zeroed_pages};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use bootplan::PAGE;
use bootplan::elf::Kernel;
use bootplan::memmap::{Entry, uefi_kind};
use bootplan::paging::{PageTables, Rights, Stack};
use bootplan::window::window_ranges;
use uefi::boot::{self, MemoryType};
use uefi::mem::memory_map::MemoryMap;
use uefi::proto::loaded_image::LoadedImage;

/// The page tables being built for the kernel.
pub struct AddressSpace {
    tables: PageTables<UefiTables>,
}

/// Turns a mapping error into a message naming what was being mapped.
fn mapping(what: &'static str) -> impl Fn(bootplan::paging::MapError) -> String {
    move |e| format!("mapping {what}: {e}")
}

impl AddressSpace {
    /// `nx` and `huge_pages`: whether the CPU has no-execute and 1 GiB pages.
    pub fn new(nx: bool, huge_pages: bool) -> Result<Self, String> {
        let mut tables = PageTables::new(UefiTables).map_err(mapping("the level-4 table"))?;
        if !nx {
            tables = tables.without_no_execute();
        }
        if huge_pages {
            tables = tables.with_huge_pages();
        }
        Ok(AddressSpace { tables })
    }

    /// The level-4 table's physical address (for CR3).
    pub fn root(&self) -> u64 {
        self.tables.root()
    }

    /// Copies each segment into fresh zeroed frames and maps them at the
    /// segment's linked address with its rights.
    pub fn load_kernel(&mut self, kernel: &Kernel) -> Result<(), String> {
        for segment in kernel.segments() {
            let pages = segment.page_count();
            let frames = zeroed_pages(pages as usize)
                .ok_or_else(|| format!("no memory for a kernel segment of {pages} pages"))?;
            let bytes = &kernel.bytes()[segment.file_range()];
            let target = (frames + segment.in_page_offset()) as *mut u8;
            // SAFETY: `frames` holds `pages` pages, enough for the segment's
            // `memsz` bytes from `in_page_offset` on (bootplan checked the
            // sizes, filesz <= memsz), and no one else uses them.
            unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), target, bytes.len()) };
            let rights = Rights {
                writable: segment.writable,
                executable: segment.executable,
            };
            for i in 0..pages {
                let (virt, phys) = (segment.first_page() + i * PAGE, frames + i * PAGE);
                self.tables
                    .map(virt, phys, PAGE, rights)
                    .map_err(mapping("the kernel"))?;
            }
        }
        Ok(())
    }

    /// A stack of `size` bytes at `area`, its lowest page left unmapped.
    pub fn stack(&mut self, area: u64, size: u64) -> Result<Stack, String> {
        let stack = Stack::plan(area, size);
        let frames = zeroed_pages(stack.pages() as usize)
            .ok_or_else(|| format!("no memory for a {size}-byte kernel stack"))?;
        for i in 0..stack.pages() {
            self.tables
                .map(
                    stack.bottom + i * PAGE,
                    frames + i * PAGE,
                    PAGE,
                    Rights::DATA,
                )
                .map_err(mapping("the kernel stack"))?;
        }
        Ok(stack)
    }

    /// Physical memory at `offset`: what the memory map calls memory (RAM
    /// of every use, ACPI tables and NVS, runtime data; never reserved
    /// ranges, MMIO or holes) and the framebuffer (`bootplan::window`
    /// decides). Pages allocated later come from conventional memory,
    /// which is in the window already.
    pub fn physical_window(&mut self, offset: u64, screen: Option<&Screen>) -> Result<(), String> {
        let map = boot::memory_map(MemoryType::LOADER_DATA)
            .map_err(|e| format!("cannot read the memory map: {e:?}"))?;
        let memory = map.entries().map(|d| Entry {
            start: d.phys_start,
            len: d.page_count.saturating_mul(PAGE),
            kind: uefi_kind(d.ty.0),
        });
        let screen: Vec<(u64, u64)> = screen
            .iter()
            .map(|s| (s.phys, s.phys + s.size as u64))
            .collect();
        // Each descriptor may split a range in two.
        let mut ranges = vec![(0, 0); 2 * map.len() + 1];
        let count = window_ranges(memory, &screen, &mut ranges).ok_or("too many memory ranges")?;
        for &(start, end) in &ranges[..count] {
            self.tables
                .map_range(offset + start, start, end - start, Rights::DATA)
                .map_err(mapping("physical memory"))?;
        }
        Ok(())
    }

    /// Identity-maps `[start, start + len)`.
    pub fn identity(&mut self, start: u64, len: u64, rights: Rights) -> Result<(), String> {
        self.tables
            .map_range(start, start, len, rights)
            .map(|_| ())
            .map_err(mapping("an identity range"))
    }

    /// Identity-maps this program's image, so that the instructions after
    /// `mov cr3` (in `handover::jump`) are still there.
    pub fn loader_itself(&mut self) -> Result<(), String> {
        let image = boot::open_protocol_exclusive::<LoadedImage>(boot::image_handle())
            .map_err(|e| format!("cannot find the loader's own image: {e:?}"))?;
        let (base, size) = image.info();
        let code = Rights {
            writable: false,
            executable: true,
        };
        self.identity(base as u64, size, code)
    }
}
