//! Page tables for the kernel, built before it runs.
//!
//! x86_64 translates a virtual address through four levels of tables, each a
//! 4 KiB page of 512 eight-byte entries: bits 47-39 of the address pick an
//! entry of the level-4 table (whose physical address is in CR3), which
//! points to a level-3 table, where bits 38-30 pick an entry, and so on down
//! to level 1, whose entry holds the frame of a 4 KiB page. An entry at level
//! 2 with the PS ("page size") bit set maps a whole 2 MiB page instead, and
//! one at level 3 a whole 1 GiB page (on CPUs with CPUID's `pdpe1gb`): one
//! entry where 512 or 262,144 would be needed, so mapping all of RAM costs a
//! few tables, not thousands. An entry's low bits are rights: PRESENT,
//! WRITABLE, and bit 63, NO_EXECUTE (honoured once EFER.NXE is on).
//!
//! The loader gives the kernel one address space with:
//! - the kernel's segments at their linked higher-half addresses, 4 KiB
//!   pages with each segment's rights ([`PageTables::map`]);
//! - the *physical-memory window*: physical address `p` at `offset + p`,
//!   writable, never executable, with the largest pages alignment allows
//!   ([`PageTables::map_range`]), over the ranges [`crate::window`] picks
//!   (memory and the framebuffer, never device registers or holes);
//! - a stack with an unmapped *guard page* below it ([`Stack`]): running
//!   off the stack's end faults instead of overwriting other memory.
//!
//! The builder only decides what goes in which entry. Where tables live is
//! the [`TableMemory`]'s business: the loader's reads and writes physical
//! memory, the tests' is a vector, so the tests can walk the tables the real
//! builder wrote and compare them with a model.

use crate::{PAGE, align_down, align_up};
use core::fmt;

/// A 2 MiB page (a level-2 entry).
pub const LARGE_PAGE: u64 = 2 * 1024 * 1024;
/// A 1 GiB page (a level-3 entry), if the CPU has them.
pub const HUGE_PAGE: u64 = 1024 * 1024 * 1024;

const PRESENT: u64 = 1;
const WRITABLE: u64 = 1 << 1;
/// In a level-2 or level-3 entry: the entry maps a page, not a table.
const PAGE_SIZE_BIT: u64 = 1 << 7;
const NO_EXECUTE: u64 = 1 << 63;
const ADDRESS: u64 = 0x000f_ffff_ffff_f000;

/// Where page tables live: somewhere that gives out zeroed 4 KiB tables and
/// reads and writes their entries by physical address.
pub trait TableMemory {
    /// A new table, all entries zero; its physical address, or `None` when
    /// memory is exhausted.
    fn new_table(&mut self) -> Option<u64>;
    fn read(&self, table: u64, index: usize) -> u64;
    fn write(&mut self, table: u64, index: usize, entry: u64);
}

/// A page's rights (it is always readable).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rights {
    pub writable: bool,
    pub executable: bool,
}

impl Rights {
    /// Data: read and write, never execute.
    pub const DATA: Rights = Rights {
        writable: true,
        executable: false,
    };

    fn bits(self) -> u64 {
        let mut bits = PRESENT;
        if self.writable {
            bits |= WRITABLE;
        }
        if !self.executable {
            bits |= NO_EXECUTE;
        }
        bits
    }

    fn of(entry: u64) -> Rights {
        Rights {
            writable: entry & WRITABLE != 0,
            executable: entry & NO_EXECUTE == 0,
        }
    }
}

/// Why a mapping could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    OutOfMemory,
    AlreadyMapped(u64),
    Unaligned(u64),
    NotCanonical(u64),
    /// Not 4 KiB, 2 MiB or 1 GiB, or 1 GiB without [`PageTables::with_huge_pages`].
    PageSize(u64),
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MapError::OutOfMemory => write!(f, "out of memory for page tables"),
            MapError::AlreadyMapped(v) => write!(f, "{v:#x} is already mapped"),
            MapError::Unaligned(v) => write!(f, "{v:#x} is not aligned to its page size"),
            MapError::NotCanonical(v) => write!(f, "{v:#x} is not a canonical address"),
            MapError::PageSize(size) => write!(f, "no pages of {size:#x} bytes"),
        }
    }
}

/// A translation: the physical address, the rights and the page size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    pub phys: u64,
    pub rights: Rights,
    pub page_size: u64,
}

/// The index into the table of `level` (4..=1) for `virt`.
fn index(virt: u64, level: u32) -> usize {
    ((virt >> (12 + 9 * (level - 1))) & 511) as usize
}

/// Whether bits 63-48 copy bit 47, as the CPU requires.
pub fn is_canonical(virt: u64) -> bool {
    let top = virt >> 47;
    top == 0 || top == 0x1ffff
}

/// The level whose entries map pages of `page_size`.
fn leaf_level(page_size: u64) -> Option<u32> {
    match page_size {
        PAGE => Some(1),
        LARGE_PAGE => Some(2),
        HUGE_PAGE => Some(3),
        _ => None,
    }
}

/// The size of a page that an entry at `level` maps.
fn page_size_at(level: u32) -> u64 {
    PAGE << (9 * (level - 1))
}

/// How many pages of each size a mapping used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageCount {
    /// 4 KiB pages.
    pub small: u64,
    /// 2 MiB pages.
    pub large: u64,
    /// 1 GiB pages.
    pub huge: u64,
}

/// A four-level page-table tree being built.
pub struct PageTables<M: TableMemory> {
    memory: M,
    root: u64,
    no_execute: bool,
    huge_pages: bool,
}

impl<M: TableMemory> PageTables<M> {
    /// An empty tree: one level-4 table.
    pub fn new(mut memory: M) -> Result<Self, MapError> {
        let root = memory.new_table().ok_or(MapError::OutOfMemory)?;
        Ok(PageTables {
            memory,
            root,
            no_execute: true,
            huge_pages: false,
        })
    }

    /// Lets [`PageTables::map_range`] use 1 GiB pages: only on a CPU that
    /// has them (CPUID 0x8000_0001, EDX bit 26), else such an entry faults.
    pub fn with_huge_pages(mut self) -> Self {
        self.huge_pages = true;
        self
    }

    /// On a CPU without NX, bit 63 is reserved and setting it faults: leave
    /// it clear everywhere (every page is then executable).
    pub fn without_no_execute(mut self) -> Self {
        self.no_execute = false;
        self
    }

    /// The level-4 table's physical address: what goes into CR3.
    pub fn root(&self) -> u64 {
        self.root
    }

    pub fn memory(&self) -> &M {
        &self.memory
    }

    /// Maps the page of `page_size` (4 KiB, 2 MiB, or 1 GiB if allowed) at
    /// `virt` to `phys`.
    pub fn map(
        &mut self,
        virt: u64,
        phys: u64,
        page_size: u64,
        rights: Rights,
    ) -> Result<(), MapError> {
        if !is_canonical(virt) {
            return Err(MapError::NotCanonical(virt));
        }
        let leaf_level = leaf_level(page_size)
            .filter(|&level| level < 3 || self.huge_pages)
            .ok_or(MapError::PageSize(page_size))?;
        for addr in [virt, phys] {
            if addr % page_size != 0 {
                return Err(MapError::Unaligned(addr));
            }
        }
        let mut table = self.root;
        for level in (leaf_level + 1..=4).rev() {
            table = self.next_table(table, index(virt, level), virt)?;
        }
        let i = index(virt, leaf_level);
        if self.memory.read(table, i) & PRESENT != 0 {
            return Err(MapError::AlreadyMapped(virt));
        }
        let size_bit = if leaf_level > 1 { PAGE_SIZE_BIT } else { 0 };
        let mut bits = rights.bits();
        if !self.no_execute {
            bits &= !NO_EXECUTE;
        }
        self.memory.write(table, i, phys | bits | size_bit);
        Ok(())
    }

    /// The table an entry points to, made if the entry is empty.
    fn next_table(&mut self, table: u64, i: usize, virt: u64) -> Result<u64, MapError> {
        let entry = self.memory.read(table, i);
        if entry & PRESENT == 0 {
            let next = self.memory.new_table().ok_or(MapError::OutOfMemory)?;
            // Upper levels allow everything; the leaf entry decides.
            self.memory.write(table, i, next | PRESENT | WRITABLE);
            return Ok(next);
        }
        if entry & PAGE_SIZE_BIT != 0 {
            return Err(MapError::AlreadyMapped(virt));
        }
        Ok(entry & ADDRESS)
    }

    /// Maps `[phys, phys + len)` at `virt`, page-aligned outwards, each
    /// piece with the largest page (1 GiB if allowed, 2 MiB, 4 KiB) for which
    /// `virt` and `phys` are both aligned and enough is left. Returns how
    /// many pages of each size it used.
    pub fn map_range(
        &mut self,
        virt: u64,
        phys: u64,
        len: u64,
        rights: Rights,
    ) -> Result<PageCount, MapError> {
        let start = align_down(phys, PAGE);
        let end = phys
            .checked_add(len)
            .and_then(|e| align_up(e, PAGE))
            .ok_or(MapError::NotCanonical(virt))?;
        let shift = virt.wrapping_sub(phys);
        let mut count = PageCount::default();
        let mut p = start;
        while p < end {
            let v = p.wrapping_add(shift);
            let size = self.largest_page(v, p, end - p);
            self.map(v, p, size, rights)?;
            match size {
                HUGE_PAGE => count.huge += 1,
                LARGE_PAGE => count.large += 1,
                _ => count.small += 1,
            }
            p += size;
        }
        Ok(count)
    }

    /// The largest page that can map `virt` to `phys` with `left` bytes to go.
    fn largest_page(&self, virt: u64, phys: u64, left: u64) -> u64 {
        let sizes = [HUGE_PAGE, LARGE_PAGE];
        let fits = |&&size: &&u64| {
            (size != HUGE_PAGE || self.huge_pages)
                && virt.is_multiple_of(size)
                && phys.is_multiple_of(size)
                && left >= size
        };
        sizes.iter().find(fits).copied().unwrap_or(PAGE)
    }

    /// Where `virt` leads, if it is mapped.
    pub fn translate(&self, virt: u64) -> Option<Translation> {
        if !is_canonical(virt) {
            return None;
        }
        let mut table = self.root;
        for level in (1..=4).rev() {
            let entry = self.memory.read(table, index(virt, level));
            if entry & PRESENT == 0 {
                return None;
            }
            let leaf = level == 1 || (level <= 3 && entry & PAGE_SIZE_BIT != 0);
            if leaf {
                let page_size = page_size_at(level);
                return Some(Translation {
                    phys: (entry & ADDRESS & !(page_size - 1)) + virt % page_size,
                    rights: Rights::of(entry),
                    page_size,
                });
            }
            table = entry & ADDRESS;
        }
        None
    }
}

/// The kernel's stack: `size` bytes (rounded up to pages) above one unmapped
/// guard page, starting at `area` (page-aligned).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stack {
    /// The unmapped page just below the stack.
    pub guard: u64,
    /// The lowest address of the stack (what `kernel_stack_bottom` reports).
    pub bottom: u64,
    /// One past the highest address: the initial stack pointer.
    pub top: u64,
}

impl Stack {
    pub fn plan(area: u64, size: u64) -> Stack {
        let pages = align_up(size.max(1), PAGE).unwrap_or(PAGE) / PAGE;
        Stack {
            guard: area,
            bottom: area + PAGE,
            top: area + PAGE + pages * PAGE,
        }
    }

    pub fn pages(&self) -> u64 {
        (self.top - self.bottom) / PAGE
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};
    use std::vec::Vec;
    use xorshift::XorShift64;

    /// Tables in a vector; table `i` has the physical address `BASE + i * 4096`.
    /// (At most `.1` of them: `new_table` fails after that.)
    pub(crate) struct Tables(Vec<[u64; 512]>, usize);
    const BASE: u64 = 0x7000_0000;

    impl TableMemory for Tables {
        fn new_table(&mut self) -> Option<u64> {
            if self.0.len() == self.1 {
                return None;
            }
            self.0.push([0; 512]);
            Some(BASE + (self.0.len() as u64 - 1) * PAGE)
        }
        fn read(&self, table: u64, index: usize) -> u64 {
            self.0[((table - BASE) / PAGE) as usize][index]
        }
        fn write(&mut self, table: u64, index: usize, entry: u64) {
            self.0[((table - BASE) / PAGE) as usize][index] = entry;
        }
    }

    pub(crate) fn tables(limit: usize) -> PageTables<Tables> {
        PageTables::new(Tables(Vec::new(), limit)).unwrap()
    }

    const CODE: Rights = Rights {
        writable: false,
        executable: true,
    };
    const KERNEL: u64 = 0xffff_ffff_8000_0000;

    #[test]
    fn kernel_pages_and_their_rights() {
        let mut pt = tables(100);
        pt.map(KERNEL, 0x20_0000, PAGE, CODE).unwrap();
        pt.map(KERNEL + PAGE, 0x35_0000, PAGE, Rights::DATA)
            .unwrap();
        let t = pt.translate(KERNEL + 0x123).unwrap();
        assert_eq!(
            t,
            Translation {
                phys: 0x20_0123,
                rights: CODE,
                page_size: PAGE
            }
        );
        assert_eq!(pt.translate(KERNEL + PAGE).unwrap().phys, 0x35_0000);
        assert!(pt.translate(KERNEL + PAGE).unwrap().rights == Rights::DATA);
        assert_eq!(pt.translate(KERNEL + 2 * PAGE), None);
        assert_eq!(pt.translate(0), None);
        // Four tables: level 4, 3, 2, 1.
        assert_eq!(pt.memory().0.len(), 4);
        // The raw bits: present, NX for data, not writable for code.
        let e = pt
            .memory()
            .read(pt.memory().0.len() as u64 * PAGE + BASE - PAGE, 1);
        assert_eq!(e, 0x35_0000 | PRESENT | WRITABLE | NO_EXECUTE);
    }

    #[test]
    fn without_nx_no_entry_has_bit_63() {
        let mut pt = tables(100).without_no_execute();
        pt.map(KERNEL, 0x20_0000, PAGE, Rights::DATA).unwrap();
        pt.map_range(0, 0, 4 * LARGE_PAGE, Rights::DATA).unwrap();
        let tables = &pt.memory().0;
        assert!(tables.iter().flatten().all(|e| e & NO_EXECUTE == 0));
        assert!(pt.translate(KERNEL).unwrap().rights.executable);
    }

    #[test]
    fn mistakes_are_refused() {
        let mut pt = tables(100);
        pt.map(KERNEL, 0, PAGE, CODE).unwrap();
        assert_eq!(
            pt.map(KERNEL, 0x1000, PAGE, CODE),
            Err(MapError::AlreadyMapped(KERNEL))
        );
        assert_eq!(
            pt.map(KERNEL + 1, 0, PAGE, CODE),
            Err(MapError::Unaligned(KERNEL + 1))
        );
        assert_eq!(
            pt.map(0, 0x1000, LARGE_PAGE, CODE),
            Err(MapError::Unaligned(0x1000))
        );
        assert_eq!(
            pt.map(1 << 47, 0, PAGE, CODE),
            Err(MapError::NotCanonical(1 << 47))
        );
        pt.map(0, 0, LARGE_PAGE, CODE).unwrap();
        assert_eq!(
            pt.map(0x1000, 0, PAGE, CODE),
            Err(MapError::AlreadyMapped(0x1000))
        );
        let mut small = tables(2);
        assert_eq!(small.map(0, 0, PAGE, CODE), Err(MapError::OutOfMemory));
    }

    const OFFSET: u64 = 0x0000_4000_0000_0000;

    /// A range over 1 GiB boundaries: 4 KiB pages up to the first 2 MiB
    /// boundary, 2 MiB pages up to the first 1 GiB boundary, 1 GiB pages,
    /// then the same downwards; nothing mapped past either end.
    #[test]
    fn map_range_uses_the_largest_pages_alignment_allows() {
        let (start, end) = (0x3fe0_0000 - 0x3000, 0x1_8020_0000 + 0x1800);
        let mut pt = tables(100).with_huge_pages();
        let count = pt
            .map_range(OFFSET + start, start, end - start, Rights::DATA)
            .unwrap();
        // 3 + 2 pages of 4 KiB (the end rounded up to a page), 1 + 1 of
        // 2 MiB, and 1 GiB pages over the 5 GiB from 1 GiB to 6 GiB.
        assert_eq!(
            count,
            PageCount {
                small: 3 + 2,
                large: 1 + 1,
                huge: 5
            }
        );
        let size = |phys: u64| pt.translate(OFFSET + phys).map(|t| t.page_size);
        assert_eq!(size(start), Some(PAGE));
        assert_eq!(size(0x3fe0_0000), Some(LARGE_PAGE));
        assert_eq!(size(0x4000_0000), Some(HUGE_PAGE));
        let t = pt.translate(OFFSET + 0x1_2345_6789).unwrap();
        assert_eq!((t.phys, t.rights), (0x1_2345_6789, Rights::DATA));
        assert_eq!(size(0x1_8000_0000), Some(LARGE_PAGE));
        assert_eq!(size(0x1_8020_1fff), Some(PAGE));
        assert_eq!(size(start - 1), None);
        assert_eq!(size(0x1_8020_2000), None);
        // Tables: L4, L3, an L2 each side of the 1 GiB pages, two L1s.
        assert_eq!(pt.memory().0.len(), 1 + 1 + 2 + 2);
    }

    /// Without `with_huge_pages` (a CPU without `pdpe1gb`) the same range
    /// takes 2 MiB pages, and a 1 GiB page is refused.
    #[test]
    fn huge_pages_only_when_allowed() {
        let mut pt = tables(100);
        let count = pt
            .map_range(OFFSET, 0, 2 * HUGE_PAGE, Rights::DATA)
            .unwrap();
        assert_eq!(count.huge, 0);
        assert_eq!(count.large, 2 * 512);
        assert_eq!(
            pt.map(OFFSET + 4 * HUGE_PAGE, 0, HUGE_PAGE, Rights::DATA),
            Err(MapError::PageSize(HUGE_PAGE))
        );
        assert_eq!(
            pt.map(OFFSET, 0, 3 * PAGE, Rights::DATA),
            Err(MapError::PageSize(3 * PAGE))
        );
        let mut pt = tables(100).with_huge_pages();
        assert_eq!(
            pt.map(OFFSET, LARGE_PAGE, HUGE_PAGE, Rights::DATA),
            Err(MapError::Unaligned(LARGE_PAGE))
        );
        pt.map(OFFSET, 0, HUGE_PAGE, Rights::DATA).unwrap();
        assert_eq!(
            pt.map(OFFSET + LARGE_PAGE, 0, PAGE, Rights::DATA),
            Err(MapError::AlreadyMapped(OFFSET + LARGE_PAGE)),
            "no table below a 1 GiB page"
        );
        // Virtual and physical addresses must both be aligned: shifted by
        // 2 MiB, the same range takes 2 MiB pages only.
        let count = pt
            .map_range(OFFSET + 8 * HUGE_PAGE, LARGE_PAGE, HUGE_PAGE, Rights::DATA)
            .unwrap();
        assert_eq!((count.huge, count.large), (0, 512));
    }

    #[test]
    fn stack_has_a_guard_page() {
        let s = Stack::plan(0x3000_0000_0000, 256 * 1024 + 1);
        assert_eq!(s.guard, 0x3000_0000_0000);
        assert_eq!(s.bottom, s.guard + PAGE);
        assert_eq!(s.pages(), 65);
        assert_eq!(s.top, s.bottom + 65 * PAGE);
    }

    /// Random 4 KiB and 2 MiB mappings against a model of which virtual page
    /// maps where: every translation agrees, refused mappings change nothing.
    #[test]
    fn random_mappings_match_the_model() {
        let mut rng = XorShift64(0x9a6e_7ab1e);
        for _ in 0..200 {
            let mut pt = tables(10_000);
            // virtual 4 KiB page -> (phys, rights)
            let mut model: BTreeMap<u64, (u64, Rights)> = BTreeMap::new();
            let mut large_pages = BTreeSet::new();
            for _ in 0..60 {
                // A few regions so that tables are shared and collide.
                let region =
                    [0u64, KERNEL, 0x0000_4000_0000_0000, 0xffff_8000_0000_0000][rng.below(4)];
                let large = rng.below(4) == 0;
                let size = if large { LARGE_PAGE } else { PAGE };
                let virt = region + rng.below_u64(64) * size;
                let phys = rng.below_u64(1 << 20) * size;
                let rights = Rights {
                    writable: rng.below(2) == 0,
                    executable: rng.below(2) == 0,
                };
                let pages: Vec<u64> = (0..size / PAGE).map(|i| virt + i * PAGE).collect();
                let clash = pages.iter().any(|p| model.contains_key(p))
                    // a 4 KiB page where a 2 MiB page would need the level-2 entry
                    || (large && model.range(virt..virt + LARGE_PAGE).next().is_some())
                    || (!large && large_pages.contains(&align_down(virt, LARGE_PAGE)));
                let result = pt.map(virt, phys, size, rights);
                assert_eq!(result.is_err(), clash, "{virt:#x} {size:#x}: {result:?}");
                if result.is_ok() {
                    if large {
                        large_pages.insert(virt);
                    }
                    for (i, p) in pages.iter().enumerate() {
                        model.insert(*p, (phys + i as u64 * PAGE, rights));
                    }
                }
            }
            for (&v, &(p, rights)) in &model {
                let t = pt.translate(v + 0x7ff).unwrap();
                assert_eq!((t.phys, t.rights), (p + 0x7ff, rights));
            }
            for _ in 0..200 {
                let v = [0u64, KERNEL][rng.below(2)] + rng.below_u64(1 << 30) / PAGE * PAGE;
                assert_eq!(pt.translate(v).is_some(), model.contains_key(&v), "{v:#x}");
            }
        }
    }
}
