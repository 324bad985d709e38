//! The firmware's memory map, in the kernel's terms.
//!
//! Before the kernel can hand out frames it must know which physical memory
//! is RAM it may use. The firmware knows: a BIOS answers INT 15h with E820
//! entries (start, length, type 1 = usable RAM, 2 = reserved, 3 = ACPI...),
//! UEFI gives memory descriptors (start, number of pages, one of about 15
//! types: conventional memory, boot-services data, loader data, MMIO...).
//! Both lists may come unsorted, and E820 lists may overlap or cut RAM at
//! odd addresses.
//!
//! The kernel reads `bootloader_api` [`MemoryRegion`]s: sorted, never
//! overlapping, each `Usable` (free RAM), `Bootloader` (RAM the loader used
//! for the kernel, its page tables, the boot info: keep it) or the firmware's
//! own type for everything else. [`convert`] builds that list:
//!
//! - where entries overlap, the stricter kind wins (reserved beats loader
//!   data beats usable), so no reserved byte is ever called usable;
//! - neighbours of the same kind merge into one region;
//! - usable regions shrink to whole pages (a frame allocator hands out
//!   pages), dropping the partial pages at their ends.

use crate::{PAGE, align_down, align_up};
use bootloader_api::info::{MemoryRegion, MemoryRegionKind};

/// One entry of a firmware memory map, its type already translated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub start: u64,
    pub len: u64,
    pub kind: MemoryRegionKind,
}

impl Entry {
    /// An entry's end; an entry reaching past 2^64 is cut there.
    fn end(&self) -> u64 {
        self.start.saturating_add(self.len)
    }

    fn covers(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end()
    }
}

/// UEFI memory types that are free RAM once boot services have exited:
/// loader code (1) and data (2) hold our own work and stay `Bootloader`;
/// boot-services code (3) and data (4) and conventional memory (7) are free.
pub fn uefi_kind(ty: u32) -> MemoryRegionKind {
    match ty {
        3 | 4 | 7 => MemoryRegionKind::Usable,
        1 | 2 => MemoryRegionKind::Bootloader,
        other => MemoryRegionKind::UnknownUefi(other),
    }
}

/// Whether a UEFI memory type is memory the physical-memory window should
/// map: RAM of any use and the firmware's ACPI and runtime data; not
/// reserved (0), unusable (8), MMIO (11, 12) or PAL code (13).
pub fn uefi_is_memory(ty: u32) -> bool {
    !matches!(ty, 0 | 8 | 11 | 12 | 13)
}

/// E820 types: 1 is usable RAM, everything else keeps its number.
pub fn e820_kind(ty: u32) -> MemoryRegionKind {
    match ty {
        1 => MemoryRegionKind::Usable,
        other => MemoryRegionKind::UnknownBios(other),
    }
}

/// How strict a kind is: where entries overlap, the stricter one wins.
fn strictness(kind: MemoryRegionKind) -> (u8, u32) {
    match kind {
        MemoryRegionKind::Usable => (0, 0),
        MemoryRegionKind::Bootloader => (1, 0),
        MemoryRegionKind::UnknownUefi(t) | MemoryRegionKind::UnknownBios(t) => (2, t),
        _ => (3, 0),
    }
}

/// The output slice was too small for the regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyRegions;

/// Converts a memory map into sorted, disjoint, merged regions written to
/// `out`; returns how many. `entries` is walked several times (a clonable
/// iterator, so a firmware map needs no copying).
pub fn convert<I>(entries: I, out: &mut [MemoryRegion]) -> Result<usize, TooManyRegions>
where
    I: Iterator<Item = Entry> + Clone,
{
    let entries = entries.filter(|e| e.len > 0);
    let mut count = 0;
    let mut cursor = entries.clone().map(|e| e.start).min();
    while let Some(at) = cursor {
        let strictest = entries
            .clone()
            .filter(|e| e.covers(at))
            .map(|e| e.kind)
            .max_by_key(|&k| strictness(k));
        // The next address where the set of covering entries changes.
        let next = entries
            .clone()
            .flat_map(|e| [e.start, e.end()])
            .filter(|&b| b > at)
            .min();
        if let (Some(kind), Some(end)) = (strictest, next) {
            count = push(
                out,
                count,
                MemoryRegion {
                    start: at,
                    end,
                    kind,
                },
            )?;
        }
        cursor = next;
    }
    Ok(whole_pages(&mut out[..count]))
}

/// Appends `region`, merging it into the last one if they touch and agree.
fn push(
    out: &mut [MemoryRegion],
    count: usize,
    region: MemoryRegion,
) -> Result<usize, TooManyRegions> {
    if let Some(last) = count.checked_sub(1).map(|i| &mut out[i])
        && last.end == region.start
        && last.kind == region.kind
    {
        last.end = region.end;
        return Ok(count);
    }
    *out.get_mut(count).ok_or(TooManyRegions)? = region;
    Ok(count + 1)
}

/// Shrinks usable regions to whole pages, drops those left empty, and
/// returns how many regions remain (moved to the front).
fn whole_pages(regions: &mut [MemoryRegion]) -> usize {
    let mut kept = 0;
    for i in 0..regions.len() {
        let mut r = regions[i];
        if r.kind == MemoryRegionKind::Usable {
            r.start = align_up(r.start, PAGE).unwrap_or(u64::MAX);
            r.end = align_down(r.end, PAGE);
        }
        if r.start < r.end {
            regions[kept] = r;
            kept += 1;
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use MemoryRegionKind::{Bootloader, UnknownBios, UnknownUefi, Usable};
    use std::vec::Vec;
    use xorshift::XorShift64;

    fn run(entries: &[Entry]) -> Vec<(u64, u64, MemoryRegionKind)> {
        let mut out = [MemoryRegion::empty(); 64];
        let n = convert(entries.iter().copied(), &mut out).unwrap();
        out[..n].iter().map(|r| (r.start, r.end, r.kind)).collect()
    }

    fn e820(start: u64, len: u64, ty: u32) -> Entry {
        Entry {
            start,
            len,
            kind: e820_kind(ty),
        }
    }

    #[test]
    fn e820_overlaps_and_odd_ends() {
        // QEMU-like: low RAM ending at 0x9fc00, the EBDA reserved, a
        // reserved BIOS area overlapping RAM, RAM above 1 MiB given twice.
        let map = [
            e820(0x100000, 0x7ee0000, 1),
            e820(0, 0x9fc00, 1),
            e820(0x9fc00, 0x400, 2),
            e820(0xf0000, 0x10000, 2),
            e820(0x7fe0000, 0x20000, 2),
            e820(0x200000, 0x1000, 1),
            e820(0xe0000, 0x30000, 2), // overlaps the 0xf0000 entry and RAM
        ];
        assert_eq!(
            run(&map),
            [
                (0, 0x9f000, Usable),
                (0x9fc00, 0xa0000, UnknownBios(2)),
                (0xe0000, 0x110000, UnknownBios(2)),
                (0x110000, 0x7fe0000, Usable),
                (0x7fe0000, 0x8000000, UnknownBios(2)),
            ]
        );
    }

    /// What our BIOS loader passes: QEMU's E820 map (16 MiB) in the BIOS's
    /// order, then the ranges it used, as `Bootloader` entries over usable
    /// RAM: the kernel file and ramdisk from 1 MiB, and the frames it handed
    /// out after them (ending mid-page is not possible: whole pages).
    #[test]
    fn bios_loader_ranges_are_carved_out_of_e820_ram() {
        let keep = |start: u64, end: u64| Entry {
            start,
            len: end - start,
            kind: Bootloader,
        };
        let map = [
            e820(0, 0x9fc00, 1),
            e820(0x9fc00, 0x400, 2),
            e820(0xf0000, 0x10000, 2),
            e820(0x100000, 0xee0000, 1),
            e820(0xfeffc000, 0x4000, 2),
            e820(0xfd_0000_0000, 0x3_0000_0000, 2),
            keep(0x100000, 0x29a000),
            keep(0x29a000, 0x5c3000),
        ];
        assert_eq!(
            run(&map),
            [
                (0, 0x9f000, Usable),
                (0x9fc00, 0xa0000, UnknownBios(2)),
                (0xf0000, 0x100000, UnknownBios(2)),
                (0x100000, 0x5c3000, Bootloader),
                (0x5c3000, 0xfe0000, Usable),
                (0xfeffc000, 0xff000000, UnknownBios(2)),
                (0xfd_0000_0000, 0x100_0000_0000, UnknownBios(2)),
            ]
        );
    }

    #[test]
    fn uefi_types_and_unsorted_descriptors() {
        let d = |start: u64, pages: u64, ty: u32| Entry {
            start,
            len: pages * PAGE,
            kind: uefi_kind(ty),
        };
        let map = [
            d(0x10_0000, 0x100, 7), // conventional
            d(0x0, 0xa0, 7),
            d(0x20_0000, 0x10, 2),     // loader data: our page tables
            d(0x11_0000, 0xf0, 4),     // boot-services data: free
            d(0xffc0_0000, 0x400, 11), // MMIO
            d(0x21_0000, 0x10, 1),     // loader code
            d(0x22_0000, 0x20, 9),     // ACPI reclaim
        ];
        assert_eq!(
            run(&map),
            [
                (0, 0xa0000, Usable),
                (0x100000, 0x200000, Usable),
                (0x200000, 0x220000, Bootloader),
                (0x220000, 0x240000, UnknownUefi(9)),
                (0xffc0_0000, 0x1_0000_0000, UnknownUefi(11)),
            ]
        );
    }

    #[test]
    fn reserved_and_mmio_are_not_memory() {
        let memory: Vec<u32> = (0..16).filter(|&t| uefi_is_memory(t)).collect();
        assert_eq!(memory, [1, 2, 3, 4, 5, 6, 7, 9, 10, 14, 15]);
    }

    #[test]
    fn empty_and_overflowing_entries() {
        assert_eq!(run(&[]), []);
        assert_eq!(run(&[e820(0x1000, 0, 2)]), []);
        assert_eq!(
            run(&[e820(u64::MAX - 0xfff, 0x10000, 2)]),
            [(u64::MAX - 0xfff, u64::MAX, UnknownBios(2))]
        );
        // A usable sliver smaller than a page disappears.
        assert_eq!(run(&[e820(0x1100, 0x800, 1)]), []);
        let mut small = [MemoryRegion::empty(); 1];
        let two = [e820(0, 0x1000, 1), e820(0x1000, 0x1000, 2)];
        assert_eq!(
            convert(two.iter().copied(), &mut small),
            Err(TooManyRegions)
        );
    }

    /// Random maps over 64 units of 512 bytes, against a model that knows,
    /// for every unit, the strictest kind covering it.
    #[test]
    fn random_maps_match_the_model() {
        const UNIT: u64 = 512;
        const UNITS: usize = 64;
        let mut rng = XorShift64(0x3e3_3a9);
        let kinds = [
            Usable,
            Usable,
            Bootloader,
            UnknownUefi(5),
            UnknownBios(2),
            UnknownBios(3),
        ];
        for _ in 0..3000 {
            let entries: Vec<Entry> = (0..rng.below(8))
                .map(|_| {
                    let start = rng.below(UNITS) as u64;
                    let len = rng.below(UNITS - start as usize + 1) as u64;
                    Entry {
                        start: start * UNIT,
                        len: len * UNIT,
                        kind: kinds[rng.below(kinds.len())],
                    }
                })
                .collect();
            let model: Vec<Option<MemoryRegionKind>> = (0..UNITS as u64)
                .map(|u| {
                    entries
                        .iter()
                        .filter(|e| e.covers(u * UNIT))
                        .map(|e| e.kind)
                        .max_by_key(|&k| strictness(k))
                })
                .collect();
            let regions = run(&entries);
            for pair in regions.windows(2) {
                assert!(pair[0].1 <= pair[1].0, "sorted, disjoint: {regions:x?}");
                assert!(
                    !(pair[0].1 == pair[1].0 && pair[0].2 == pair[1].2),
                    "merged: {regions:x?}"
                );
            }
            let page_usable = |u: usize| {
                let first = u / 8 * 8;
                (first..first + 8).all(|v| model[v] == Some(Usable))
            };
            for (u, want) in model.iter().enumerate() {
                let addr = u as u64 * UNIT;
                let got = regions
                    .iter()
                    .find(|r| r.0 <= addr && addr < r.1)
                    .map(|r| r.2);
                let expected = match want {
                    Some(Usable) if !page_usable(u) => None,
                    other => *other,
                };
                assert_eq!(got, expected, "unit {u}: {entries:x?} -> {regions:x?}");
            }
        }
    }
}
