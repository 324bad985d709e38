//! The kernel's address space, built from `bootplan`'s decisions.
//!
//! Copy each segment of the kernel file into fresh zeroed frames and map
//! them at the segment's linked address with its rights; map a stack above
//! an unmapped guard page; map the physical-memory window; identity-map the
//! loader itself, whose last instructions run right after the switch to
//! these tables. (The UEFI loader does the same with UEFI's allocator.)

use crate::frames::Frames;
use crate::video::Screen;
use bootplan::PAGE;
use bootplan::elf::Kernel;
use bootplan::memmap::Entry;
use bootplan::paging::{MapError, PageTables, Rights, Stack};
use bootplan::window::window_ranges;
use core::fmt;

/// Why the address space could not be built.
pub enum LoadError {
    OutOfMemory(&'static str),
    Mapping(&'static str, MapError),
    TooManyRanges,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            LoadError::OutOfMemory(what) => write!(f, "too little memory (for {what})"),
            LoadError::Mapping(what, e) => write!(f, "mapping {what}: {e}"),
            LoadError::TooManyRanges => write!(f, "too many memory ranges"),
        }
    }
}

/// The page tables being built for the kernel.
pub struct AddressSpace<'a> {
    tables: PageTables<&'a Frames>,
    frames: &'a Frames,
}

impl<'a> AddressSpace<'a> {
    /// `nx` and `huge_pages`: whether the CPU has no-execute and 1 GiB pages.
    pub fn new(frames: &'a Frames, nx: bool, huge_pages: bool) -> Result<Self, LoadError> {
        let mut tables =
            PageTables::new(frames).map_err(|e| LoadError::Mapping("the level-4 table", e))?;
        if !nx {
            tables = tables.without_no_execute();
        }
        if huge_pages {
            tables = tables.with_huge_pages();
        }
        Ok(AddressSpace { tables, frames })
    }

    /// The level-4 table's physical address (for CR3).
    pub fn root(&self) -> u64 {
        self.tables.root()
    }

    /// Copies each segment into fresh zeroed frames and maps them at the
    /// segment's linked address with its rights.
    pub fn load_kernel(&mut self, kernel: &Kernel) -> Result<(), LoadError> {
        for segment in kernel.segments() {
            let pages = segment.page_count();
            let frames = self
                .frames
                .zeroed(pages)
                .ok_or(LoadError::OutOfMemory("the kernel's segments"))?;
            let bytes = &kernel.bytes()[segment.file_range()];
            let target = (frames + segment.in_page_offset()) as *mut u8;
            // SAFETY: `frames` holds `pages` fresh pages, enough for the
            // segment's bytes from `in_page_offset` on (bootplan checked
            // filesz <= memsz), identity-mapped, used by no one else.
            unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), target, bytes.len()) };
            let rights = Rights {
                writable: segment.writable,
                executable: segment.executable,
            };
            for i in 0..pages {
                let (virt, phys) = (segment.first_page() + i * PAGE, frames + i * PAGE);
                self.tables
                    .map(virt, phys, PAGE, rights)
                    .map_err(|e| LoadError::Mapping("the kernel", e))?;
            }
        }
        Ok(())
    }

    /// A stack of `size` bytes at `area`, its lowest page left unmapped.
    pub fn stack(&mut self, area: u64, size: u64) -> Result<Stack, LoadError> {
        let stack = Stack::plan(area, size);
        let frames = self
            .frames
            .zeroed(stack.pages())
            .ok_or(LoadError::OutOfMemory("the kernel stack"))?;
        self.tables
            .map_range(stack.bottom, frames, stack.pages() * PAGE, Rights::DATA)
            .map_err(|e| LoadError::Mapping("the kernel stack", e))?;
        Ok(stack)
    }

    /// Physical memory at `offset`: what E820 calls memory (usable RAM,
    /// ACPI tables and NVS, never reserved ranges or holes), the RAM `used`
    /// for the kernel file, ramdisk and frames, and the framebuffer
    /// (`bootplan::window` decides).
    pub fn physical_window(
        &mut self,
        offset: u64,
        e820: impl Iterator<Item = Entry> + Clone,
        used: (u64, u64),
        screen: Option<&Screen>,
    ) -> Result<(), LoadError> {
        // Without a screen, `used` twice (the window merges them).
        let screen = screen.map_or(used, |s| (s.phys, s.phys + s.info.byte_len as u64));
        // Each E820 entry (64 at most) may split a range in two.
        let mut ranges = [(0, 0); 2 * 64 + 2];
        let count =
            window_ranges(e820, &[used, screen], &mut ranges).ok_or(LoadError::TooManyRanges)?;
        for &(start, end) in &ranges[..count] {
            self.tables
                .map_range(offset + start, start, end - start, Rights::DATA)
                .map_err(|e| LoadError::Mapping("physical memory", e))?;
        }
        Ok(())
    }

    /// Identity-maps `[start, start + len)`.
    pub fn identity(&mut self, start: u64, len: u64, rights: Rights) -> Result<(), LoadError> {
        self.tables
            .map_range(start, start, len, rights)
            .map(|_| ())
            .map_err(|e| LoadError::Mapping("an identity range", e))
    }
}
