//! Tests: files made by a small writer below, each bad in one way.
extern crate std;

use super::*;
use std::vec::Vec;
use xorshift::XorShift64;

const R: u32 = elf::PF_R;
const W: u32 = elf::PF_W;
const X: u32 = elf::PF_X;

/// One program header for the writer.
#[derive(Clone, Copy)]
struct Ph {
    kind: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    file_size: u64,
    memory_size: u64,
}

fn load(flags: u32, offset: u64, vaddr: u64, file_size: u64, memory_size: u64) -> Ph {
    Ph {
        kind: elf::PT_LOAD,
        flags,
        offset,
        vaddr,
        file_size,
        memory_size,
    }
}

fn other(kind: u32, flags: u32, vaddr: u64) -> Ph {
    Ph {
        kind,
        flags,
        offset: 64,
        vaddr,
        file_size: 0,
        memory_size: 0,
    }
}

/// An ELF file of `size` bytes with these program headers right after the header.
fn write_elf(kind: u32, entry: u64, phs: &[Ph], size: usize) -> Vec<u8> {
    let mut f = std::vec![0u8; size.max(64 + 56 * phs.len())];
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 2; // 64-bit
    f[5] = 1; // little-endian
    f[6] = 1; // version
    f[16..18].copy_from_slice(&(kind as u16).to_le_bytes());
    f[18..20].copy_from_slice(&62u16.to_le_bytes());
    f[20..24].copy_from_slice(&1u32.to_le_bytes());
    f[24..32].copy_from_slice(&entry.to_le_bytes());
    f[32..40].copy_from_slice(&64u64.to_le_bytes());
    f[52..54].copy_from_slice(&64u16.to_le_bytes());
    f[54..56].copy_from_slice(&56u16.to_le_bytes());
    f[56..58].copy_from_slice(&(phs.len() as u16).to_le_bytes());
    for (i, ph) in phs.iter().enumerate() {
        let at = 64 + 56 * i;
        f[at..at + 4].copy_from_slice(&ph.kind.to_le_bytes());
        f[at + 4..at + 8].copy_from_slice(&ph.flags.to_le_bytes());
        f[at + 8..at + 16].copy_from_slice(&ph.offset.to_le_bytes());
        f[at + 16..at + 24].copy_from_slice(&ph.vaddr.to_le_bytes());
        f[at + 24..at + 32].copy_from_slice(&ph.vaddr.to_le_bytes());
        f[at + 32..at + 40].copy_from_slice(&ph.file_size.to_le_bytes());
        f[at + 40..at + 48].copy_from_slice(&ph.memory_size.to_le_bytes());
        f[at + 48..at + 56].copy_from_slice(&4096u64.to_le_bytes());
    }
    f
}

/// A static non-PIE program in the shape GNU ld gives one: headers and
/// read-only data, code, then data + bss, on separate pages.
fn static_exec() -> Vec<u8> {
    let phs = [
        other(elf::PT_PHDR, R, 0x40_0040),
        load(R, 0, 0x40_0000, 0x200, 0x200),
        load(R | X, 0x1000, 0x40_1000, 0x800, 0x800),
        load(R | W, 0x2010, 0x40_3010, 0x100, 0x5000),
        other(elf::PT_GNU_STACK, R | W, 0),
    ];
    write_elf(elf::ET_EXEC, 0x40_1010, &phs, 0x2110)
}

/// A static-PIE linked at 0, without PT_PHDR.
fn static_pie() -> Vec<u8> {
    let phs = [
        load(R, 0, 0, 0x300, 0x300),
        load(R | X, 0x1000, 0x1000, 0x400, 0x400),
        load(R | W, 0x2000, 0x2000, 0x10, 0x2000),
    ];
    write_elf(elf::ET_DYN, 0x1200, &phs, 0x2010)
}

#[test]
fn static_exec_planned_at_its_addresses() {
    let plan = plan(&static_exec(), 0x1234_5000).unwrap();
    assert_eq!(plan.kind, Kind::Fixed);
    assert_eq!(plan.bias, 0, "a fixed-address file ignores the bias");
    assert_eq!(plan.entry, 0x40_1010);
    assert_eq!(plan.program_headers, Some(0x40_0040));
    assert_eq!(plan.program_header_count, 5);
    assert_eq!(plan.program_header_size(), 56);
    let s = plan.segments();
    assert_eq!(s.len(), 3);
    assert_eq!(s[1].address, 0x40_1000);
    assert!(s[1].access.execute && !s[1].access.write && s[1].access.read);
    assert_eq!(s[2].address, 0x40_3010);
    assert_eq!((s[2].file_offset, s[2].file_size), (0x2010, 0x100));
    assert_eq!(s[2].memory_size, 0x5000);
    assert_eq!(s[2].pages(), (0x40_3000, 0x40_9000));
    assert!(s[2].access.write && !s[2].access.execute);
}

#[test]
fn static_pie_moved_by_the_bias() {
    let bias = 0x5555_5555_4000;
    let plan = plan(&static_pie(), bias).unwrap();
    assert_eq!(plan.kind, Kind::PositionIndependent);
    assert_eq!(plan.entry, bias + 0x1200);
    assert_eq!(plan.segments()[0].address, bias);
    assert_eq!(plan.segments()[2].address, bias + 0x2000);
    // No PT_PHDR: the table is found in the first segment's file bytes.
    assert_eq!(plan.program_headers, Some(bias + 64));
    assert_eq!(super::plan(&static_pie(), 0x1001), Err(Error::BadBias));
}

#[test]
fn every_error_is_enoexec() {
    assert_eq!(Error::Truncated.errno(), 8);
    assert_eq!(Error::Overlap.errno(), 8);
}

/// `static_exec` with one change made by `edit`.
fn edited(edit: impl FnOnce(&mut Vec<u8>)) -> Result<Plan, Error> {
    let mut f = static_exec();
    edit(&mut f);
    plan(&f, 0)
}

/// Sets program header `index`'s u64 field at `field` (offset in the header).
fn set_ph(f: &mut [u8], index: usize, field: usize, value: u64) {
    let at = 64 + 56 * index + field;
    f[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

fn set_ph_u32(f: &mut [u8], index: usize, field: usize, value: u32) {
    let at = 64 + 56 * index + field;
    f[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

#[test]
fn header_errors() {
    let f = static_exec();
    assert_eq!(plan(&f[..63], 0), Err(Error::Truncated));
    assert_eq!(plan(&f[..200], 0), Err(Error::Truncated), "table cut");
    assert_eq!(edited(|f| f[0] = 0), Err(Error::NotElf));
    assert_eq!(edited(|f| f[4] = 1), Err(Error::WrongClass));
    assert_eq!(edited(|f| f[5] = 2), Err(Error::WrongClass));
    assert_eq!(edited(|f| f[18] = 3), Err(Error::WrongMachine));
    assert_eq!(edited(|f| f[16] = 1), Err(Error::NotExecutable));
    assert_eq!(edited(|f| f[54] = 32), Err(Error::BadProgramHeaders));
    assert_eq!(edited(|f| f[56] = 200), Err(Error::BadProgramHeaders));
    assert_eq!(edited(|f| f[35] = 0x01), Err(Error::Truncated));
    assert_eq!(
        edited(|f| f[32..40].copy_from_slice(&u64::MAX.to_le_bytes())),
        Err(Error::Truncated),
        "an offset that wraps"
    );
}

#[test]
fn segment_errors() {
    // File bytes past the end of the file.
    assert_eq!(edited(|f| set_ph(f, 2, 32, 0x2000)), Err(Error::Truncated));
    assert_eq!(edited(|f| set_ph(f, 2, 8, u64::MAX)), Err(Error::Truncated));
    // More file than memory; vaddr and offset disagree within the page.
    assert_eq!(edited(|f| set_ph(f, 1, 40, 0x100)), Err(Error::BadSegment));
    assert_eq!(
        edited(|f| set_ph(f, 2, 16, 0x40_1008)),
        Err(Error::BadSegment)
    );
    assert_eq!(edited(|f| set_ph(f, 2, 48, 3)), Err(Error::BadSegment));
    // Huge, kernel half, wrapping.
    assert_eq!(
        edited(|f| set_ph(f, 3, 40, 1 << 31)),
        Err(Error::HugeSegment)
    );
    let kernel = 0xffff_8000_0000_0000;
    assert_eq!(
        edited(|f| set_ph(f, 3, 16, kernel + 0x10)),
        Err(Error::KernelAddress)
    );
    let edge = USER_END - 0x1000 + 0x10;
    assert_eq!(
        edited(|f| set_ph(f, 3, 16, edge)),
        Err(Error::KernelAddress)
    );
    assert_eq!(
        edited(|f| set_ph(f, 3, 16, u64::MAX - 0xfef)),
        Err(Error::KernelAddress)
    );
    // Pages shared: the data segment moved onto the code's page.
    assert_eq!(edited(|f| set_ph(f, 3, 16, 0x40_1010)), Err(Error::Overlap));
    // W^X for segments and the stack.
    assert_eq!(
        edited(|f| set_ph_u32(f, 2, 4, R | W | X)),
        Err(Error::WriteAndExecute)
    );
    assert_eq!(
        edited(|f| set_ph_u32(f, 4, 4, R | W | X)),
        Err(Error::ExecutableStack)
    );
    // A dynamic linker asked for; no PT_LOAD at all.
    assert_eq!(
        edited(|f| set_ph_u32(f, 4, 0, elf::PT_INTERP)),
        Err(Error::NeedsInterpreter)
    );
    let none = write_elf(
        elf::ET_EXEC,
        0x40_1010,
        &[other(elf::PT_GNU_STACK, R, 0)],
        200,
    );
    assert_eq!(plan(&none, 0), Err(Error::NoSegments));
}

#[test]
fn too_many_segments() {
    let phs: Vec<Ph> = (0..9)
        .map(|i| load(R | X, 0, 0x40_0000 + i * 0x1000, 0x10, 0x10))
        .collect();
    let f = write_elf(elf::ET_EXEC, 0x40_0000, &phs, 0x1000);
    assert_eq!(plan(&f, 0), Err(Error::TooManySegments));
    assert!(plan(&write_elf(elf::ET_EXEC, 0x40_0000, &phs[..8], 0x1000), 0).is_ok());
}

#[test]
fn entry_errors() {
    assert_eq!(
        edited(|f| f[24..32].copy_from_slice(&0x50_0000u64.to_le_bytes())),
        Err(Error::EntryOutside)
    );
    assert_eq!(
        edited(|f| f[24..32].copy_from_slice(&0x40_1800u64.to_le_bytes())),
        Err(Error::EntryOutside),
        "one past the code"
    );
    assert_eq!(
        edited(|f| f[24..32].copy_from_slice(&0x40_3010u64.to_le_bytes())),
        Err(Error::EntryNotExecutable)
    );
    assert!(
        edited(|f| f[24..32].copy_from_slice(&0x40_17ffu64.to_le_bytes())).is_ok(),
        "last code byte"
    );
}

#[test]
fn phdr_outside_every_segment_is_not_reported() {
    let plan = edited(|f| set_ph(f, 0, 16, 0x90_0000)).unwrap();
    assert_eq!(plan.program_headers, None);
}

/// What every accepted plan promises, whatever the input.
fn check_invariants(plan: &Plan) {
    let segments = plan.segments();
    assert!(!segments.is_empty());
    for (i, s) in segments.iter().enumerate() {
        assert!(s.end() <= USER_END && s.memory_size <= MAX_SEGMENT);
        assert!(s.file_size <= s.memory_size);
        assert!(!(s.access.write && s.access.execute));
        for t in &segments[i + 1..] {
            let (a, b) = (s.pages(), t.pages());
            assert!(a.1 <= b.0 || b.1 <= a.0, "pages overlap");
        }
    }
    let entry = segments.iter().find(|s| s.contains(plan.entry)).unwrap();
    assert!(entry.access.execute);
}

#[test]
fn random_bytes_and_damaged_files_never_panic() {
    let mut rng = XorShift64(0x9e37_79b9_7f4a_7c15);
    let mut accepted = 0;
    for round in 0..20_000 {
        let mut f = if round % 2 == 0 {
            static_exec()
        } else {
            static_pie()
        };
        if round % 10 == 0 {
            f = (0..rng.below(400)).map(|_| rng.next() as u8).collect();
            if f.len() >= 4 && rng.below(2) == 0 {
                f[..4].copy_from_slice(b"\x7fELF");
            }
        }
        for _ in 0..=rng.below(4) {
            if f.is_empty() {
                break;
            }
            let at = rng.below(f.len().min(64 + 56 * 5));
            f[at] = rng.next() as u8;
        }
        if rng.below(8) == 0 {
            f.truncate(rng.below(f.len() + 1));
        }
        if let Ok(plan) = plan(&f, rng.next() & 0x7fff_ffff_f000) {
            check_invariants(&plan);
            accepted += 1;
        }
    }
    assert!(
        accepted > 100,
        "the fuzzing should also reach accepted files"
    );
}
