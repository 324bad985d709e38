//! The physical-memory window: which physical ranges the loader maps.
//!
//! The kernel reads and writes physical memory through one big mapping,
//! physical address `p` at virtual `offset + p`: its frame allocator's
//! bitmap, page tables, user pages, the boot info, the kernel file and the
//! ramdisk. That window should hold memory and nothing else. A device's
//! registers (the APICs at `0xfee0_0000` and `0xfec0_0000`, PCI BARs) must
//! be mapped uncached, which the window is not, and a read of a hole where
//! nothing answers, or of a region the firmware reserved, can hang or
//! confuse real hardware. So the kernel maps device registers itself, and
//! the window maps:
//!
//! - every page holding a byte the firmware's map calls memory
//!   ([`is_memory`]: usable RAM, RAM the loader used for the kernel, its
//!   tables and the ramdisk, ACPI tables and ACPI NVS, UEFI runtime data),
//! - except pages that also hold a byte of anything else (reserved,
//!   unusable, MMIO: where entries overlap or share a page, the stricter one
//!   wins, as in [`crate::memmap`]);
//! - then the `extra` ranges the caller adds whatever the map says: the
//!   framebuffer, which the map does not list as memory.
//!
//! Holes that no entry covers stay unmapped, however large (QEMU's `qemu64`
//! CPU reports a 12 GiB reserved region just below 1 TiB).

use crate::memmap::{Entry, uefi_is_memory};
use crate::{PAGE, align_down, align_up};
use bootloader_api::info::MemoryRegionKind;

/// Whether a region of `kind` is memory the window maps: usable RAM, what
/// the loader used, E820's ACPI tables (3) and ACPI NVS (4), and the UEFI
/// types [`uefi_is_memory`] accepts.
pub fn is_memory(kind: MemoryRegionKind) -> bool {
    match kind {
        MemoryRegionKind::Usable | MemoryRegionKind::Bootloader => true,
        MemoryRegionKind::UnknownBios(ty) => matches!(ty, 3 | 4),
        MemoryRegionKind::UnknownUefi(ty) => uefi_is_memory(ty),
        _ => false,
    }
}

/// The page-aligned `[start, end)` ranges the window maps for the firmware
/// memory map `map` (any order, overlaps allowed) and the `extra` ranges,
/// written to `out`, sorted and merged; returns how many. Each entry that is
/// not memory may split a range in two, so `out` needs room for twice the
/// entries plus the extras; `None` if it is too small.
pub fn window_ranges<I>(map: I, extra: &[(u64, u64)], out: &mut [(u64, u64)]) -> Option<usize>
where
    I: Iterator<Item = Entry> + Clone,
{
    let span = |e: Entry| (e.start, e.start.saturating_add(e.len));
    let mut count = 0;
    for range in map.clone().filter(|e| is_memory(e.kind)).map(span) {
        count = push(out, count, range)?;
    }
    count = merge_ranges(&mut out[..count]);
    for range in map.filter(|e| !is_memory(e.kind) && e.len > 0).map(span) {
        count = cut(out, count, range)?;
    }
    for &range in extra {
        count = push(out, count, range)?;
    }
    Some(merge_ranges(&mut out[..count]))
}

/// Appends `range` after the first `count` of `out`; the new count.
fn push(out: &mut [(u64, u64)], count: usize, range: (u64, u64)) -> Option<usize> {
    *out.get_mut(count)? = range;
    Some(count + 1)
}

/// The pages `[start, end)` touches: rounded outwards (and empty if the
/// range is).
fn pages((start, end): (u64, u64)) -> (u64, u64) {
    if start >= end {
        return (start, start);
    }
    let end = align_up(end, PAGE).unwrap_or(align_down(u64::MAX, PAGE));
    (align_down(start, PAGE), end)
}

/// Removes the pages `hole` touches from the first `count` ranges of `out`
/// (a range that contains the hole becomes two); the new count. Ranges left
/// empty stay until the next [`merge_ranges`] drops them.
fn cut(out: &mut [(u64, u64)], count: usize, hole: (u64, u64)) -> Option<usize> {
    let (hole_start, hole_end) = pages(hole);
    // Pieces appended after `count` lie outside the hole: not looked at.
    let mut new_count = count;
    for i in 0..count {
        let (start, end) = out[i];
        if hole_end <= start || end <= hole_start {
            continue;
        }
        out[i] = (start, hole_start.max(start));
        if hole_end < end {
            new_count = push(out, new_count, (hole_end, end))?;
        }
    }
    Some(new_count)
}

/// Sorts `ranges` (`[start, end)` pairs), rounds them outwards to pages and
/// merges those that overlap or touch, dropping empty ones; returns how many
/// remain (at the front). The window is mapped from this list, so no page is
/// mapped twice even when firmware ranges share a page.
pub fn merge_ranges(ranges: &mut [(u64, u64)]) -> usize {
    for r in ranges.iter_mut() {
        *r = pages(*r);
    }
    ranges.sort_unstable();
    let mut kept: usize = 0;
    for i in 0..ranges.len() {
        let (start, end) = ranges[i];
        if start >= end {
            continue;
        }
        match kept.checked_sub(1).map(|k| &mut ranges[k]) {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => {
                ranges[kept] = (start, end);
                kept += 1;
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memmap::{e820_kind, uefi_kind};
    use crate::paging::tests::{Tables, tables};
    use crate::paging::{HUGE_PAGE, LARGE_PAGE, PageCount, PageTables, Rights};
    use std::vec;
    use std::vec::Vec;
    use xorshift::XorShift64;

    fn e820(start: u64, len: u64, ty: u32) -> Entry {
        Entry {
            start,
            len,
            kind: e820_kind(ty),
        }
    }

    fn uefi(start: u64, pages: u64, ty: u32) -> Entry {
        Entry {
            start,
            len: pages * PAGE,
            kind: uefi_kind(ty),
        }
    }

    fn window(map: &[Entry], extra: &[(u64, u64)]) -> Vec<(u64, u64)> {
        let mut out = vec![(0, 0); 2 * map.len() + extra.len()];
        let n = window_ranges(map.iter().copied(), extra, &mut out).unwrap();
        out.truncate(n);
        out
    }

    #[test]
    fn which_types_are_memory() {
        let bios: Vec<u32> = (0..8).filter(|&t| is_memory(e820_kind(t))).collect();
        assert_eq!(bios, [1, 3, 4]);
        let uefi: Vec<u32> = (0..16).filter(|&t| is_memory(uefi_kind(t))).collect();
        assert_eq!(uefi, [1, 2, 3, 4, 5, 6, 7, 9, 10, 14, 15]);
    }

    /// SeaBIOS's E820 map for 128 MiB, shuffled, with RAM given twice:
    /// RAM and a VESA framebuffer, not the EBDA's page, the BIOS area, the
    /// ACPI tables SeaBIOS reserves, or anything up to 4 GiB.
    #[test]
    fn seabios_map_unsorted_with_overlaps() {
        let map = [
            e820(0x10_0000, 0x7ee_0000, 1),
            e820(0xfffc_0000, 0x4_0000, 2),
            e820(0, 0x9_fc00, 1),
            e820(0x9_fc00, 0x400, 2),
            e820(0xf_0000, 0x1_0000, 2),
            e820(0x7fe_0000, 0x2_0000, 2),
            e820(0xfeff_c000, 0x4000, 2),
            e820(0x20_0000, 0x1000, 1),
        ];
        let framebuffer = [(0xfd00_0000, 0xfd00_0000 + 1280 * 720 * 4)];
        assert_eq!(
            window(&map, &framebuffer),
            [
                (0, 0x9_f000),
                (0x10_0000, 0x7fe_0000),
                (0xfd00_0000, 0xfd38_4000)
            ]
        );
    }

    /// OVMF-like descriptors, shuffled: RAM of every use, ACPI tables and
    /// NVS, runtime data; not the reserved page run, the flash or PCIe's
    /// configuration space (MMIO); the GOP framebuffer, unlisted, as extra.
    #[test]
    fn uefi_map_unsorted() {
        let map = [
            uefi(0x496_0000, 0x36a0, 7),
            uefi(0x0, 0xa0, 7),
            uefi(0xffc0_0000, 0x400, 11),
            uefi(0x80_0000, 0x8, 10),
            uefi(0x90_0000, 0x3f00, 4),
            uefi(0x10_0000, 0x700, 7),
            uefi(0x480_0000, 0x100, 1),
            uefi(0x80_8000, 0x8, 7),
            uefi(0x81_0000, 0xf0, 10),
            uefi(0x490_0000, 0x20, 9),
            uefi(0x492_0000, 0x20, 6),
            uefi(0x494_0000, 0x20, 0),
            uefi(0xb000_0000, 0x1_0000, 11),
        ];
        let framebuffer = [(0x8000_0000, 0x8030_0000)];
        assert_eq!(
            window(&map, &framebuffer),
            [
                (0, 0xa_0000),
                (0x10_0000, 0x494_0000),
                (0x496_0000, 0x800_0000),
                (0x8000_0000, 0x8030_0000)
            ]
        );
    }

    /// A page shared by memory and a reserved entry is left out; a page
    /// memory shares with a hole is kept; an empty entry cuts nothing.
    #[test]
    fn shared_pages_and_reserved_inside_ram() {
        let map = [
            e820(0, 0x1_0000, 1),
            e820(0x3800, 0x100, 2),
            e820(0x2_0000, 0x1800, 3),
            e820(0x8000, 0, 2),
        ];
        assert_eq!(
            window(&map, &[]),
            [(0, 0x3000), (0x4000, 0x1_0000), (0x2_0000, 0x2_2000)]
        );
        let mut small = [(0, 0); 1];
        assert_eq!(window_ranges(map.iter().copied(), &[], &mut small), None);
    }

    const OFFSET: u64 = 0xffff_8000_0000_0000;

    /// Maps the ranges as the loaders do; the pages of each size used.
    fn map_window(ranges: &[(u64, u64)], huge: bool) -> (PageTables<Tables>, PageCount) {
        let mut pt = tables(usize::MAX);
        if huge {
            pt = pt.with_huge_pages();
        }
        let mut total = PageCount::default();
        for &(start, end) in ranges {
            let c = pt
                .map_range(OFFSET + start, start, end - start, Rights::DATA)
                .unwrap();
            total.small += c.small;
            total.large += c.large;
            total.huge += c.huge;
        }
        (pt, total)
    }

    /// QEMU (i440fx) with 8 GiB and the `qemu64` CPU: 3 GiB below 4 GiB,
    /// 5 GiB above, the 12 GiB reserved just below 1 TiB; a framebuffer at
    /// 512 GiB. 1 GiB pages where aligned (2 MiB without them), nothing in
    /// the reserved region, the APICs' pages or the legacy holes.
    #[test]
    fn eight_gib_with_the_reserved_region_below_one_tib() {
        let map = [
            e820(0, 0x9_fc00, 1),
            e820(0x9_fc00, 0x400, 2),
            e820(0xf_0000, 0x1_0000, 2),
            e820(0x10_0000, 0xbfee_0000, 1),
            e820(0xbffe_0000, 0x2_0000, 2),
            e820(0xfeff_c000, 0x4000, 2),
            e820(0xfffc_0000, 0x4_0000, 2),
            e820(0x1_0000_0000, 0x1_4000_0000, 1),
            e820(0xfd_0000_0000, 0x3_0000_0000, 2),
        ];
        let framebuffer = [(0x80_0000_0000, 0x80_0040_0000)];
        let ranges = window(&map, &framebuffer);
        assert_eq!(
            ranges,
            [
                (0, 0x9_f000),
                (0x10_0000, 0xbffe_0000),
                (0x1_0000_0000, 0x2_4000_0000),
                (0x80_0000_0000, 0x80_0040_0000)
            ]
        );
        let (pt, count) = map_window(&ranges, true);
        // 4 KiB: 159 below 640 KiB, 256 up to 2 MiB, 480 below 0xbffe_0000;
        // 2 MiB: 511 up to 1 GiB, 511 from 2 GiB, 2 of framebuffer;
        // 1 GiB: 1 from 1 GiB, 5 above 4 GiB.
        assert_eq!(
            count,
            PageCount {
                small: 159 + 256 + 480,
                large: 511 + 511 + 2,
                huge: 1 + 5
            }
        );
        let size = |phys: u64| pt.translate(OFFSET + phys).map(|t| t.page_size);
        assert_eq!(size(0x9_e000), Some(PAGE));
        assert_eq!(size(0x1_2345_6000), Some(HUGE_PAGE));
        assert_eq!(size(0x80_0030_0000), Some(LARGE_PAGE));
        let unmapped = [
            0x9_f000,       // shared with the EBDA
            0xa_0000,       // VGA memory: a hole
            0xf_0000,       // the BIOS
            0xbffe_0000,    // SeaBIOS's ACPI tables, reserved
            0xfec0_0000,    // I/O APIC
            0xfee0_0000,    // local APIC
            0x2_4000_0000,  // above RAM
            0xfd_0000_0000, // the reserved region
            0xff_ffff_f000, // its end
            0x80_0040_0000, // past the framebuffer
        ];
        for phys in unmapped {
            assert_eq!(size(phys), None, "{phys:#x}");
        }
        let (_, count) = map_window(&ranges, false);
        assert_eq!(count.huge, 0);
        assert_eq!(count.large, 511 + 512 + 511 + 5 * 512 + 2);
    }

    /// Random maps of up to 8 entries of any type over 64 pages, in units of
    /// 1 KiB (so entries share pages), and maybe an extra range, against a
    /// model: a page is mapped if it holds memory and nothing else, or
    /// extra.
    #[test]
    fn random_maps_match_the_model() {
        const UNIT: u64 = 1024;
        const UNITS: u64 = 256;
        let mut rng = XorShift64(0x0817_d0e5);
        for _ in 0..3000 {
            let entry = |rng: &mut XorShift64| {
                let start = rng.below_u64(UNITS);
                let len = rng.below_u64(UNITS - start + 1);
                let ty = rng.below(16) as u32;
                if rng.below(2) == 0 {
                    e820(start * UNIT, len * UNIT, ty % 6)
                } else {
                    Entry {
                        start: start * UNIT,
                        len: len * UNIT,
                        kind: uefi_kind(ty),
                    }
                }
            };
            let map: Vec<Entry> = (0..rng.below(9)).map(|_| entry(&mut rng)).collect();
            let extra: Vec<(u64, u64)> = (0..rng.below(2))
                .map(|_| {
                    let e = entry(&mut rng);
                    (e.start, e.start + e.len)
                })
                .collect();
            let ranges = window(&map, &extra);
            for pair in ranges.windows(2) {
                assert!(pair[0].1 < pair[1].0, "sorted, apart: {ranges:x?}");
            }
            let touches = |page: u64, (start, end): (u64, u64)| {
                start < end && start < page + PAGE && page < end
            };
            for page in (0..UNITS * UNIT).step_by(PAGE as usize) {
                let spans = |memory: bool| {
                    map.iter()
                        .filter(move |e| e.len > 0 && is_memory(e.kind) == memory)
                        .map(|e| (e.start, e.start + e.len))
                };
                let want = (spans(true).any(|r| touches(page, r))
                    && !spans(false).any(|r| touches(page, r)))
                    || extra.iter().any(|&r| touches(page, r));
                let got = ranges.iter().any(|&r| touches(page, r));
                assert!(
                    ranges.iter().all(|r| r.0 % PAGE == 0 && r.1 % PAGE == 0),
                    "{ranges:x?}"
                );
                assert_eq!(
                    got, want,
                    "page {page:#x}: {map:x?} {extra:x?} -> {ranges:x?}"
                );
            }
        }
    }
}
