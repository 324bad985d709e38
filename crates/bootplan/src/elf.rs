//! The kernel file: an ELF executable, read and checked, and its loading plan.
//!
//! An ELF file starts with a 64-byte header that says what machine it is for,
//! where its *program headers* are and where execution starts (the entry
//! point). Each program header of type `PT_LOAD` is a *segment*: "put
//! `filesz` bytes from file offset `offset` at virtual address `vaddr`, and
//! zero the rest up to `memsz` bytes (that is `.bss`), with these rights:
//! readable, writable (`PF_W`), executable (`PF_X`)". A loader needs nothing
//! else from the file. Section headers (names like `.text`) are for linkers
//! and debuggers; we read one section only: `.bootloader-config`, where the
//! kernel's `entry_point!` stores its requests to the bootloader.
//!
//! The file comes from a disk, so every number in it is checked before it is
//! used: offsets inside the file, sizes that do not overflow, segments in the
//! higher half that do not share a page, an entry point inside code. A bad
//! file gives an [`ElfError`] that says what is wrong; no input panics (a
//! randomized test feeds garbage and mutated kernels).

use crate::{PAGE, align_down, align_up};
use core::fmt;

/// Segments must lie in the upper half of the address space (the kernel's).
pub const HIGHER_HALF: u64 = 0xffff_8000_0000_0000;
/// More loadable segments than this is not a kernel we built.
pub const MAX_SEGMENTS: usize = 16;

const HEADER_LEN: usize = 64;
const PROGRAM_HEADER_LEN: usize = 56;
const SECTION_HEADER_LEN: usize = 64;
const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const EM_X86_64: u16 = 62;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;

/// Why a file is not a kernel we can load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    TooShort,
    NotElf,
    Not64Bit,
    NotLittleEndian,
    NotX86_64(u16),
    PositionIndependent,
    NotExecutable(u16),
    BadProgramHeaderTable,
    TooManySegments,
    NoLoadableSegment,
    SegmentOutsideFile { index: usize },
    FileSizeAboveMemSize { index: usize },
    SegmentNotInHigherHalf { index: usize },
    SegmentsSharePage { first: usize, second: usize },
    EntryNotInCode(u64),
    BadSectionHeaderTable,
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ElfError::*;
        match *self {
            TooShort => write!(f, "file too short for an ELF header"),
            NotElf => write!(f, "not an ELF file (no \\x7fELF magic)"),
            Not64Bit => write!(f, "not a 64-bit ELF file"),
            NotLittleEndian => write!(f, "not a little-endian ELF file"),
            NotX86_64(m) => write!(f, "ELF file for machine {m}, not x86_64 (62)"),
            PositionIndependent => write!(
                f,
                "position-independent kernel: link it at a fixed address (relocation-model=static)"
            ),
            NotExecutable(t) => write!(f, "ELF type {t} is not an executable"),
            BadProgramHeaderTable => write!(f, "program header table outside the file"),
            TooManySegments => write!(f, "more than {MAX_SEGMENTS} loadable segments"),
            NoLoadableSegment => write!(f, "no loadable segment"),
            SegmentOutsideFile { index } => {
                write!(f, "segment {index}: its bytes lie outside the file")
            }
            FileSizeAboveMemSize { index } => {
                write!(f, "segment {index}: file size larger than memory size")
            }
            SegmentNotInHigherHalf { index } => write!(
                f,
                "segment {index}: not inside the higher half (0xffff800000000000..)"
            ),
            SegmentsSharePage { first, second } => {
                write!(f, "segments {first} and {second} share a page")
            }
            EntryNotInCode(e) => write!(f, "entry point {e:#x} is not in an executable segment"),
            BadSectionHeaderTable => write!(f, "section header table outside the file"),
        }
    }
}

/// One loadable segment, checked: its bytes are in the file and its pages in
/// the higher half.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u64,
    pub memsz: u64,
    pub offset: u64,
    pub filesz: u64,
    pub writable: bool,
    pub executable: bool,
}

impl Segment {
    /// The virtual address of the first page the segment touches.
    pub fn first_page(&self) -> u64 {
        align_down(self.vaddr, PAGE)
    }

    /// How many pages the segment covers.
    pub fn page_count(&self) -> u64 {
        // `parse` checked that the end rounds up without overflow.
        let end = align_up(self.vaddr + self.memsz, PAGE).unwrap_or(0);
        (end - self.first_page()) / PAGE
    }

    /// Where in its first page the segment's bytes start: the loader copies
    /// the file bytes to `pages + in_page_offset` and zeroes everything else.
    pub fn in_page_offset(&self) -> u64 {
        self.vaddr - self.first_page()
    }

    /// The range of the file to copy.
    pub fn file_range(&self) -> core::ops::Range<usize> {
        self.offset as usize..(self.offset + self.filesz) as usize
    }

    fn pages(&self) -> core::ops::Range<u64> {
        self.first_page()..self.first_page() + self.page_count() * PAGE
    }
}

/// A kernel file that passed every check.
#[derive(Clone, Copy, Debug)]
pub struct Kernel<'a> {
    bytes: &'a [u8],
    entry: u64,
    segments: [Option<(usize, Segment)>; MAX_SEGMENTS],
}

/// Little-endian integers at an offset, `None` past the end.
fn read<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}
fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    read(bytes, at).map(u16::from_le_bytes)
}
fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    read(bytes, at).map(u32::from_le_bytes)
}
fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    read(bytes, at).map(u64::from_le_bytes)
}

/// `count` tables entries of `entry_len` bytes at `offset`: the byte range,
/// if it lies inside a file of `file_len` bytes.
fn table(offset: u64, count: u16, entry_len: usize, file_len: usize) -> Option<usize> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::from(count).checked_mul(entry_len)?)?;
    (end <= file_len).then_some(start)
}

/// Reads and checks a kernel file.
pub fn parse(bytes: &[u8]) -> Result<Kernel<'_>, ElfError> {
    if bytes.len() < HEADER_LEN {
        return Err(ElfError::TooShort);
    }
    if bytes[..4] != *b"\x7fELF" {
        return Err(ElfError::NotElf);
    }
    if bytes[4] != 2 {
        return Err(ElfError::Not64Bit);
    }
    if bytes[5] != 1 {
        return Err(ElfError::NotLittleEndian);
    }
    let header = |at| u16_at(bytes, at).ok_or(ElfError::TooShort);
    match header(16)? {
        ET_EXEC => {}
        ET_DYN => return Err(ElfError::PositionIndependent),
        other => return Err(ElfError::NotExecutable(other)),
    }
    let machine = header(18)?;
    if machine != EM_X86_64 {
        return Err(ElfError::NotX86_64(machine));
    }
    let entry = u64_at(bytes, 24).ok_or(ElfError::TooShort)?;
    let phoff = u64_at(bytes, 32).ok_or(ElfError::TooShort)?;
    if usize::from(header(54)?) != PROGRAM_HEADER_LEN {
        return Err(ElfError::BadProgramHeaderTable);
    }
    let phnum = header(56)?;
    let start = table(phoff, phnum, PROGRAM_HEADER_LEN, bytes.len())
        .ok_or(ElfError::BadProgramHeaderTable)?;
    let mut segments = [None; MAX_SEGMENTS];
    let mut count = 0;
    for index in 0..usize::from(phnum) {
        let at = start + index * PROGRAM_HEADER_LEN;
        let Some(segment) = program_header(bytes, at, index)? else {
            continue;
        };
        let slot = segments.get_mut(count).ok_or(ElfError::TooManySegments)?;
        *slot = Some((index, segment));
        count += 1;
    }
    let kernel = Kernel {
        bytes,
        entry,
        segments,
    };
    kernel.check_layout(count)?;
    Ok(kernel)
}

/// One program header, checked; `None` if it is not a loadable segment with
/// bytes in memory.
fn program_header(bytes: &[u8], at: usize, index: usize) -> Result<Option<Segment>, ElfError> {
    let field = |off: usize| u64_at(bytes, at + off).ok_or(ElfError::BadProgramHeaderTable);
    let kind = u32_at(bytes, at).ok_or(ElfError::BadProgramHeaderTable)?;
    let flags = u32_at(bytes, at + 4).ok_or(ElfError::BadProgramHeaderTable)?;
    let (offset, vaddr, filesz, memsz) = (field(8)?, field(16)?, field(32)?, field(40)?);
    if kind != PT_LOAD || memsz == 0 {
        return Ok(None);
    }
    if filesz > memsz {
        return Err(ElfError::FileSizeAboveMemSize { index });
    }
    let in_file = offset
        .checked_add(filesz)
        .is_some_and(|end| end <= bytes.len() as u64);
    if !in_file {
        return Err(ElfError::SegmentOutsideFile { index });
    }
    let end = vaddr.checked_add(memsz).and_then(|e| align_up(e, PAGE));
    if vaddr < HIGHER_HALF || end.is_none() {
        return Err(ElfError::SegmentNotInHigherHalf { index });
    }
    Ok(Some(Segment {
        vaddr,
        memsz,
        offset,
        filesz,
        writable: flags & PF_W != 0,
        executable: flags & PF_X != 0,
    }))
}

impl<'a> Kernel<'a> {
    /// Segments may not share pages (each page gets one segment's rights),
    /// and the entry point must be code.
    fn check_layout(&self, count: usize) -> Result<(), ElfError> {
        if count == 0 {
            return Err(ElfError::NoLoadableSegment);
        }
        let segments = || self.segments.iter().flatten();
        for (i, (first, a)) in segments().enumerate() {
            for (second, b) in segments().skip(i + 1) {
                let (pa, pb) = (a.pages(), b.pages());
                if pa.start < pb.end && pb.start < pa.end {
                    return Err(ElfError::SegmentsSharePage {
                        first: *first,
                        second: *second,
                    });
                }
            }
        }
        let in_code = segments()
            .any(|(_, s)| s.executable && s.vaddr <= self.entry && self.entry - s.vaddr < s.memsz);
        if !in_code {
            return Err(ElfError::EntryNotInCode(self.entry));
        }
        Ok(())
    }

    /// The virtual address where the kernel starts.
    pub fn entry(&self) -> u64 {
        self.entry
    }

    /// The whole file.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The loadable segments, in file order.
    pub fn segments(&self) -> impl Iterator<Item = Segment> + '_ {
        self.segments.iter().flatten().map(|(_, s)| *s)
    }

    /// The lowest and the end of the highest virtual address the segments
    /// cover, page-aligned.
    pub fn image_range(&self) -> (u64, u64) {
        let start = self.segments().map(|s| s.first_page()).min().unwrap_or(0);
        let end = self
            .segments()
            .map(|s| s.first_page() + s.page_count() * PAGE)
            .max()
            .unwrap_or(0);
        (start, end)
    }

    /// The bytes of the section called `name`, if there is one. A file
    /// without section headers has no sections; a broken table is an error.
    pub fn section(&self, name: &str) -> Result<Option<&'a [u8]>, ElfError> {
        let bytes = self.bytes;
        let bad = ElfError::BadSectionHeaderTable;
        let shoff = u64_at(bytes, 40).ok_or(bad)?;
        let shnum = u16_at(bytes, 60).ok_or(bad)?;
        let shstrndx = u16_at(bytes, 62).ok_or(bad)?;
        if shnum == 0 {
            return Ok(None);
        }
        if u16_at(bytes, 58) != Some(SECTION_HEADER_LEN as u16) || shstrndx >= shnum {
            return Err(bad);
        }
        let start = table(shoff, shnum, SECTION_HEADER_LEN, bytes.len()).ok_or(bad)?;
        let header = |i: usize| start + i * SECTION_HEADER_LEN;
        let names = section_bytes(bytes, header(usize::from(shstrndx))).ok_or(bad)?;
        for i in 0..usize::from(shnum) {
            let name_at = u32_at(bytes, header(i)).ok_or(bad)? as usize;
            let this = names.get(name_at..).ok_or(bad)?;
            let matches = this.starts_with(name.as_bytes()) && this.get(name.len()) == Some(&0);
            if matches {
                return section_bytes(bytes, header(i)).map(Some).ok_or(bad);
            }
        }
        Ok(None)
    }
}

/// The file bytes of the section whose header is at `at`.
fn section_bytes(bytes: &[u8], at: usize) -> Option<&[u8]> {
    let offset = usize::try_from(u64_at(bytes, at + 24)?).ok()?;
    let size = usize::try_from(u64_at(bytes, at + 32)?).ok()?;
    bytes.get(offset..offset.checked_add(size)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;
    use xorshift::XorShift64;

    const BASE: u64 = 0xffff_ffff_8000_0000;

    /// A program header: (type, flags, offset, vaddr, filesz, memsz).
    type Ph = (u32, u32, u64, u64, u64, u64);

    /// An ELF file with these program headers, a `.bootloader-config`
    /// section holding `config`, and 4 KiB of 0xcc at offset 0x1000.
    fn elf(entry: u64, phs: &[Ph], config: &[u8]) -> Vec<u8> {
        let mut f = std::vec![0u8; 0x2000];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2;
        f[5] = 1;
        f[6] = 1;
        f[16..18].copy_from_slice(&ET_EXEC.to_le_bytes());
        f[18..20].copy_from_slice(&EM_X86_64.to_le_bytes());
        f[24..32].copy_from_slice(&entry.to_le_bytes());
        f[32..40].copy_from_slice(&64u64.to_le_bytes());
        f[54..56].copy_from_slice(&(PROGRAM_HEADER_LEN as u16).to_le_bytes());
        f[56..58].copy_from_slice(&(phs.len() as u16).to_le_bytes());
        for (i, &(kind, flags, offset, vaddr, filesz, memsz)) in phs.iter().enumerate() {
            let at = 64 + i * PROGRAM_HEADER_LEN;
            f[at..at + 4].copy_from_slice(&kind.to_le_bytes());
            f[at + 4..at + 8].copy_from_slice(&flags.to_le_bytes());
            for (off, v) in [(8, offset), (16, vaddr), (32, filesz), (40, memsz)] {
                f[at + off..at + off + 8].copy_from_slice(&v.to_le_bytes());
            }
        }
        f[0x1000..].fill(0xcc);
        // Section names, the config's bytes, then three section headers:
        // null, .shstrtab, .bootloader-config.
        let names = b"\0.shstrtab\0.bootloader-config\0";
        let names_at = f.len();
        f.extend_from_slice(names);
        let config_at = f.len();
        f.extend_from_slice(config);
        let shoff = f.len();
        f[40..48].copy_from_slice(&(shoff as u64).to_le_bytes());
        f[58..60].copy_from_slice(&(SECTION_HEADER_LEN as u16).to_le_bytes());
        f[60..62].copy_from_slice(&3u16.to_le_bytes());
        f[62..64].copy_from_slice(&1u16.to_le_bytes());
        for (name, at, len) in [
            (0u32, 0usize, 0usize),
            (1, names_at, names.len()),
            (11, config_at, config.len()),
        ] {
            let mut h = [0u8; SECTION_HEADER_LEN];
            h[..4].copy_from_slice(&name.to_le_bytes());
            h[24..32].copy_from_slice(&(at as u64).to_le_bytes());
            h[32..40].copy_from_slice(&(len as u64).to_le_bytes());
            f.extend_from_slice(&h);
        }
        f
    }

    /// Code at BASE (one page from the file), data + bss after it.
    fn good() -> Vec<u8> {
        elf(
            BASE + 0x10,
            &[
                (PT_LOAD, 5, 0x1000, BASE, 0x1000, 0x1000),
                (6, 4, 64, 0x40, 0x70, 0x70), // PT_PHDR: ignored
                (PT_LOAD, 6, 0x1800, BASE + 0x1800, 0x100, 0x3000),
            ],
            b"config!",
        )
    }

    #[test]
    fn a_good_kernel_gives_its_plan() {
        let file = good();
        let k = parse(&file).unwrap();
        assert_eq!(k.entry(), BASE + 0x10);
        let segs: Vec<_> = k.segments().collect();
        assert_eq!(segs.len(), 2);
        assert!(segs[0].executable && !segs[0].writable);
        assert_eq!((segs[0].first_page(), segs[0].page_count()), (BASE, 1));
        assert!(segs[1].writable && !segs[1].executable);
        // 0x1800..0x4800 touches pages 0x1000..0x5000.
        assert_eq!(segs[1].first_page(), BASE + 0x1000);
        assert_eq!(segs[1].page_count(), 4);
        assert_eq!(segs[1].in_page_offset(), 0x800);
        assert_eq!(segs[1].file_range(), 0x1800..0x1900);
        assert_eq!(k.image_range(), (BASE, BASE + 0x5000));
        assert_eq!(k.section(".bootloader-config"), Ok(Some(&b"config!"[..])));
        assert_eq!(k.section(".bootloader"), Ok(None));
        assert_eq!(k.section(".text"), Ok(None));
    }

    fn error_of(file: &[u8]) -> ElfError {
        parse(file).unwrap_err()
    }

    #[test]
    fn bad_headers_are_named() {
        let file = good();
        assert_eq!(error_of(&file[..10]), ElfError::TooShort);
        let mut f = file.clone();
        f[0] = b'M';
        assert_eq!(error_of(&f), ElfError::NotElf);
        let mut f = file.clone();
        f[4] = 1;
        assert_eq!(error_of(&f), ElfError::Not64Bit);
        let mut f = file.clone();
        f[5] = 2;
        assert_eq!(error_of(&f), ElfError::NotLittleEndian);
        let mut f = file.clone();
        f[18] = 3;
        assert_eq!(error_of(&f), ElfError::NotX86_64(3));
        let mut f = file.clone();
        f[16] = 3;
        assert_eq!(error_of(&f), ElfError::PositionIndependent);
        let mut f = file.clone();
        f[16] = 1;
        assert_eq!(error_of(&f), ElfError::NotExecutable(1));
        let mut f = file.clone();
        f[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(error_of(&f), ElfError::BadProgramHeaderTable);
    }

    #[test]
    fn bad_segments_are_named() {
        let seg = |ph: Ph| elf(BASE, &[(PT_LOAD, 5, 0x1000, BASE, 0x100, 0x100), ph], b"");
        let cases = [
            (
                (PT_LOAD, 6, 0x1f00, BASE + 0x2000, 0x200, 0x200),
                ElfError::SegmentOutsideFile { index: 1 },
            ),
            (
                (PT_LOAD, 6, u64::MAX, BASE + 0x2000, 2, 2),
                ElfError::SegmentOutsideFile { index: 1 },
            ),
            (
                (PT_LOAD, 6, 0, BASE + 0x2000, 0x20, 0x10),
                ElfError::FileSizeAboveMemSize { index: 1 },
            ),
            (
                (PT_LOAD, 6, 0, 0x40_0000, 0x10, 0x10),
                ElfError::SegmentNotInHigherHalf { index: 1 },
            ),
            (
                (PT_LOAD, 6, 0, u64::MAX - 4, 0, 0x10),
                ElfError::SegmentNotInHigherHalf { index: 1 },
            ),
            (
                (PT_LOAD, 6, 0, BASE + 0xfff, 0, 0x10),
                ElfError::SegmentsSharePage {
                    first: 0,
                    second: 1,
                },
            ),
        ];
        for (ph, error) in cases {
            assert_eq!(error_of(&seg(ph)), error, "{ph:x?}");
        }
        assert_eq!(error_of(&elf(BASE, &[], b"")), ElfError::NoLoadableSegment);
        let data_only = elf(BASE, &[(PT_LOAD, 6, 0x1000, BASE, 0x100, 0x100)], b"");
        assert_eq!(error_of(&data_only), ElfError::EntryNotInCode(BASE));
        let many = [(PT_LOAD, 5, 0x1000, BASE, 1, 1); MAX_SEGMENTS + 1];
        let many: Vec<Ph> = many
            .iter()
            .enumerate()
            .map(|(i, p)| (p.0, p.1, p.2, BASE + i as u64 * PAGE, p.4, p.5))
            .collect();
        assert_eq!(error_of(&elf(BASE, &many, b"")), ElfError::TooManySegments);
    }

    #[test]
    fn every_error_has_a_message() {
        use std::string::ToString;
        let text = ElfError::SegmentsSharePage {
            first: 1,
            second: 2,
        }
        .to_string();
        assert!(text.contains("1 and 2 share a page"), "{text}");
        assert!(ElfError::PositionIndependent.to_string().contains("static"));
    }

    /// No input panics: random bytes, and the good kernel with random bytes
    /// changed (headers included). Whatever parses must keep its promises.
    #[test]
    fn garbage_and_mutated_kernels_never_panic() {
        let mut rng = XorShift64(0x5eed_e1f0);
        let good = good();
        for round in 0..20_000 {
            let file: Vec<u8> = if round % 4 == 0 {
                let len = rng.below(300);
                (0..len).map(|_| rng.next() as u8).collect()
            } else {
                let mut f = good.clone();
                for _ in 0..1 + rng.below(4) {
                    // Mostly the headers, where the numbers are.
                    let at = if rng.below(4) == 0 {
                        rng.below(f.len())
                    } else {
                        rng.below(64 + 3 * PROGRAM_HEADER_LEN)
                    };
                    f[at] = rng.next() as u8;
                }
                if rng.below(8) == 0 {
                    f.truncate(rng.below(f.len()));
                }
                f
            };
            let Ok(kernel) = parse(&file) else { continue };
            for s in kernel.segments() {
                assert!(file.get(s.file_range()).is_some());
                assert!(s.filesz <= s.memsz && s.vaddr >= HIGHER_HALF);
                assert!(s.page_count() >= 1);
            }
            let _ = kernel.section(".bootloader-config");
        }
    }
}
