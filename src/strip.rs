//! Leaving the debug information out of an ELF file, without `llvm-objcopy`.
//!
//! A debug kernel is mostly DWARF: sections named `.debug_*` that only a
//! debugger reads. The loaders need the loadable segments, the
//! `.bootloader-config` section and the kernel its symbol table (for crash
//! reports), so the images get a copy without the DWARF bytes.
//!
//! The `object` crate reads the section table; the copy is then made by
//! hand, in three steps:
//!
//! 1. each run of neighbouring debug sections is a *gap* in the file; a
//!    whole number of 4 KiB pages is cut out of each gap, so every byte after
//!    it moves by a multiple of 4 KiB and keeps any alignment the linker gave
//!    it (segments need theirs modulo the page size);
//! 2. the file offsets in the ELF header (section and program header
//!    tables), in the program headers and in the section headers are moved
//!    by what was cut before them;
//! 3. the debug sections stay in the section table, as `SHT_NOBITS` (no
//!    bytes in the file), so no section index changes: symbols and links
//!    that name sections by index stay right.

use object::{Object, ObjectSection};

const PAGE: u64 = 4096;
const SHT_NOBITS: u32 = 8;

/// A copy of the 64-bit little-endian ELF file `elf` without the bytes of
/// its `.debug*` sections.
pub fn strip_debug(elf: &[u8]) -> Result<Vec<u8>, String> {
    let file = object::File::parse(elf).map_err(|e| format!("not an ELF file: {e}"))?;
    if file.format() != object::BinaryFormat::Elf || !file.is_64() || !file.is_little_endian() {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    let mut debug: Vec<(usize, u64, u64)> = file
        .sections()
        .filter(|s| s.name().is_ok_and(|n| n.starts_with(".debug")))
        .filter_map(|s| Some((s.index().0, s.file_range()?)))
        .map(|(index, (offset, size))| (index, offset, offset + size))
        .collect();
    debug.sort_by_key(|&(_, start, _)| start);
    let cuts = cuts(&debug, elf.len() as u64, &file);
    let moved = |offset: u64| -> u64 {
        let before: u64 = cuts
            .iter()
            .filter(|&&(start, _)| start < offset)
            .map(|&(start, end)| end.min(offset) - start)
            .sum();
        offset - before
    };
    // The kept bytes, in order.
    let mut out = Vec::with_capacity(elf.len());
    let mut at = 0;
    for &(start, end) in &cuts {
        out.extend_from_slice(&elf[at as usize..start as usize]);
        at = end;
    }
    out.extend_from_slice(&elf[at as usize..]);
    // The offsets that point into the file.
    let u16_at = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]) as usize;
    let u64_at = |at: usize| u64::from_le_bytes(elf[at..at + 8].try_into().unwrap());
    let (phoff, shoff) = (u64_at(0x20), u64_at(0x28));
    let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
    let (shentsize, shnum) = (u16_at(0x3a), u16_at(0x3c));
    let mut put = |at: u64, value: u64| {
        let at = moved(at) as usize;
        out[at..at + 8].copy_from_slice(&value.to_le_bytes());
    };
    put(0x20, moved(phoff));
    put(0x28, moved(shoff));
    for i in 0..phnum {
        let entry = phoff + (i * phentsize) as u64;
        put(entry + 8, moved(u64_at(entry as usize + 8)));
    }
    for i in 0..shnum {
        let entry = shoff + (i * shentsize) as u64;
        put(entry + 0x18, moved(u64_at(entry as usize + 0x18)));
    }
    for &(index, _, _) in &debug {
        let at = moved(shoff + (index * shentsize) as u64) as usize + 4;
        out[at..at + 4].copy_from_slice(&SHT_NOBITS.to_le_bytes());
    }
    Ok(out)
}

/// The byte ranges cut out: of each run of debug sections (neighbours, or
/// with only padding between them) a whole number of pages from its start.
/// A run that the section or program header table overlaps is left alone.
fn cuts(debug: &[(usize, u64, u64)], len: u64, file: &object::File) -> Vec<(u64, u64)> {
    let kept: Vec<(u64, u64)> = file
        .sections()
        .filter(|s| !s.name().is_ok_and(|n| n.starts_with(".debug")))
        .filter_map(|s| s.file_range())
        .map(|(offset, size)| (offset, offset + size))
        .collect();
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for &(_, start, end) in debug {
        match runs.last_mut() {
            // Join the previous run if no kept section lies between.
            Some(run) if !kept.iter().any(|&(s, e)| s < start && e > run.1 && e > s) => {
                run.1 = run.1.max(end)
            }
            _ => runs.push((start, end)),
        }
    }
    runs.into_iter()
        .filter(|&(_, end)| end <= len)
        .map(|(start, end)| (start, start + (end - start) / PAGE * PAGE))
        .filter(|&(start, end)| end > start && !kept.iter().any(|&(s, e)| s < end && e > start))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test binary itself has DWARF, symbols and segments: stripped, it
    /// has no debug bytes left, the same sections (debug ones now without
    /// bytes), the same symbols, and every other section's bytes unchanged.
    #[test]
    fn debug_bytes_go_and_everything_else_stays() {
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let stripped = strip_debug(&me).unwrap();
        assert!(
            stripped.len() < me.len(),
            "{} >= {}",
            stripped.len(),
            me.len()
        );
        let (before, after) = (
            object::File::parse(&me[..]).unwrap(),
            object::File::parse(&stripped[..]).unwrap(),
        );
        let debug_bytes: u64 = before
            .sections()
            .filter(|s| s.name().unwrap().starts_with(".debug"))
            .filter_map(|s| s.file_range())
            .map(|(_, size)| size)
            .sum();
        assert!(debug_bytes > 0, "the test binary has DWARF");
        assert!(
            me.len() as u64 - stripped.len() as u64 > debug_bytes - 64 * PAGE,
            "most of the DWARF is gone"
        );
        assert_eq!(before.sections().count(), after.sections().count());
        for (a, b) in before.sections().zip(after.sections()) {
            assert_eq!(a.name().unwrap(), b.name().unwrap());
            if a.name().unwrap().starts_with(".debug") {
                assert!(
                    b.file_range().is_none(),
                    "{} has no bytes",
                    a.name().unwrap()
                );
            } else {
                assert_eq!(
                    a.data().unwrap(),
                    b.data().unwrap(),
                    "{}",
                    a.name().unwrap()
                );
            }
        }
        assert_eq!(
            before.symbols().count(),
            after.symbols().count(),
            "the symbol table stays"
        );
        assert_eq!(before.entry(), after.entry());
        // Segment bytes are unchanged, but for the ELF header's section
        // table offset (0x28..0x30) in a segment that starts at offset 0.
        use object::ObjectSegment;
        for (a, b) in before.segments().zip(after.segments()) {
            let (mut a, mut b) = (a.data().unwrap().to_vec(), b.data().unwrap().to_vec());
            if a.starts_with(b"\x7fELF") && a.len() >= 0x30 {
                a[0x28..0x30].fill(0);
                b[0x28..0x30].fill(0);
            }
            assert!(a == b, "segment bytes differ");
        }
    }

    #[test]
    fn garbage_is_refused() {
        assert!(strip_debug(b"not an ELF file at all").is_err());
        assert!(strip_debug(&[]).is_err());
    }
}
