//! The plan for loading a user program: what an ELF file asks to be mapped where.
//!
//! A program on disk is an ELF file. Its header says which CPU it is for, where
//! execution starts (`e_entry`) and where the *program headers* are: a table of
//! entries that each describe one piece of the process image. The loader only
//! needs a few kinds of them:
//!
//! - `PT_LOAD`: copy `p_filesz` bytes from file offset `p_offset` to virtual
//!   address `p_vaddr`, then zero up to `p_memsz` bytes (that tail is `.bss`).
//!   Its `p_flags` say whether the pages are readable, writable, executable.
//! - `PT_GNU_STACK`: whether the stack must be executable (we say no).
//! - `PT_PHDR`: where the program headers themselves are in memory; the C
//!   library finds its own TLS template through them (the `AT_PHDR` value of
//!   the initial stack).
//! - `PT_INTERP` names a dynamic linker; we only run static programs.
//!
//! A file of type `ET_EXEC` is linked at fixed addresses. A *static-PIE*
//! (`ET_DYN`) is linked as if at address 0 and may be placed anywhere: the
//! loader picks a *load bias* that is added to every address in it.
//!
//! This crate only reads and checks; it maps nothing. [`plan`] turns the bytes
//! of a file into a [`Plan`] (segments with final addresses and permissions,
//! the entry point, the program headers' address) or an [`Error`], which the
//! kernel reports as `-ENOEXEC`. Every field is checked before it is used, so
//! a truncated or hostile file gives an error and never a panic. Segments
//! follow W^X: one that asks to be both writable and executable is refused.
#![no_std]
#![forbid(unsafe_code)]

use linux_raw_sys::elf_uapi as elf;

/// The first address above the lower (user) half of the address space.
pub const USER_END: u64 = 0x0000_8000_0000_0000;
/// The size of one page.
pub const PAGE_SIZE: u64 = 4096;
/// The largest segment we load (in memory): larger ones are refused as huge.
pub const MAX_SEGMENT: u64 = 1 << 30;
/// The most `PT_LOAD` segments a plan holds.
pub const MAX_SEGMENTS: usize = 8;
/// The most program headers we read (real static programs have about a dozen).
pub const MAX_PROGRAM_HEADERS: u16 = 64;

const ELF_HEADER_SIZE: usize = 64;
const PROGRAM_HEADER_SIZE: u16 = 56;

/// Why a file cannot be loaded. Every one of them is `-ENOEXEC` to the program
/// that asked ([`Error::errno`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Shorter than the header, or a table runs past the end of the file.
    Truncated,
    /// No `\x7fELF` magic.
    NotElf,
    /// Not 64-bit, little-endian, version 1.
    WrongClass,
    /// Not for x86_64.
    WrongMachine,
    /// Neither `ET_EXEC` nor `ET_DYN`.
    NotExecutable,
    /// Program headers of an unexpected size, or too many of them.
    BadProgramHeaders,
    /// It asks for a dynamic linker (`PT_INTERP`).
    NeedsInterpreter,
    /// No `PT_LOAD` segment.
    NoSegments,
    /// More than [`MAX_SEGMENTS`] `PT_LOAD` segments.
    TooManySegments,
    /// A segment's file part is larger than its memory part, or its file and
    /// memory addresses disagree modulo the page size, or its alignment is not
    /// a power of two.
    BadSegment,
    /// A segment larger than [`MAX_SEGMENT`].
    HugeSegment,
    /// A segment reaches into the kernel's half (or wraps around).
    KernelAddress,
    /// Two segments use the same page.
    Overlap,
    /// Writable and executable at once (W^X).
    WriteAndExecute,
    /// `PT_GNU_STACK` asks for an executable stack (W^X).
    ExecutableStack,
    /// The entry point is in no segment.
    EntryOutside,
    /// The entry point is in a segment that is not executable.
    EntryNotExecutable,
    /// The load bias for a static-PIE is not page-aligned.
    BadBias,
}

impl Error {
    /// The errno a program sees: always `ENOEXEC`.
    pub fn errno(self) -> i32 {
        linux_raw_sys::errno::ENOEXEC as i32
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Error::Truncated => "file truncated (a table runs past its end)",
            Error::NotElf => "not an ELF file",
            Error::WrongClass => "not a 64-bit little-endian ELF file",
            Error::WrongMachine => "not an x86_64 program",
            Error::NotExecutable => "not an executable (ET_EXEC or ET_DYN)",
            Error::BadProgramHeaders => "bad program header table",
            Error::NeedsInterpreter => "dynamically linked (PT_INTERP): only static programs run",
            Error::NoSegments => "no PT_LOAD segment",
            Error::TooManySegments => "too many PT_LOAD segments",
            Error::BadSegment => "malformed PT_LOAD segment",
            Error::HugeSegment => "segment too large",
            Error::KernelAddress => "segment outside the user half",
            Error::Overlap => "two segments share a page",
            Error::WriteAndExecute => "segment both writable and executable (W^X)",
            Error::ExecutableStack => "executable stack requested (W^X)",
            Error::EntryOutside => "entry point outside every segment",
            Error::EntryNotExecutable => "entry point in a non-executable segment",
            Error::BadBias => "load bias not page-aligned",
        })
    }
}

/// How a page may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Access {
    pub read: bool,
    pub write: bool,
    pub execute: bool,
}

impl Access {
    fn from_flags(flags: u32) -> Access {
        Access {
            read: flags & elf::PF_R != 0,
            write: flags & elf::PF_W != 0,
            execute: flags & elf::PF_X != 0,
        }
    }
}

/// One `PT_LOAD` segment, at its final (biased) address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Segment {
    /// Where the segment's first byte goes.
    pub address: u64,
    /// Bytes in memory; those past `file_size` are zero.
    pub memory_size: u64,
    /// Where its bytes start in the file.
    pub file_offset: u64,
    /// How many bytes come from the file.
    pub file_size: u64,
    pub access: Access,
}

impl Segment {
    /// The first address past the segment.
    pub fn end(&self) -> u64 {
        self.address + self.memory_size
    }

    /// The pages it touches: the first page's address and the address past the last page.
    pub fn pages(&self) -> (u64, u64) {
        (
            self.address & !(PAGE_SIZE - 1),
            self.end().next_multiple_of(PAGE_SIZE),
        )
    }

    fn contains(&self, address: u64) -> bool {
        (self.address..self.end()).contains(&address)
    }
}

/// The kind of file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `ET_EXEC`: fixed addresses, no bias.
    Fixed,
    /// `ET_DYN` (static-PIE): every address moved by the bias.
    PositionIndependent,
}

/// What to map and where to start: the result of [`plan`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub kind: Kind,
    /// What was added to every address of the file (0 for [`Kind::Fixed`]).
    pub bias: u64,
    /// The first instruction (`AT_ENTRY`).
    pub entry: u64,
    /// Where the program headers are in memory (`AT_PHDR`), if they are in a
    /// loaded segment.
    pub program_headers: Option<u64>,
    /// `AT_PHNUM`.
    pub program_header_count: u16,
    segments: [Segment; MAX_SEGMENTS],
    segment_count: usize,
}

impl Plan {
    /// The `PT_LOAD` segments, in file order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments[..self.segment_count]
    }

    /// The size of one program header (`AT_PHENT`).
    pub fn program_header_size(&self) -> u16 {
        PROGRAM_HEADER_SIZE
    }
}

/// Reads `N` bytes at `at`, or `Truncated`.
fn bytes<const N: usize>(file: &[u8], at: usize) -> Result<[u8; N], Error> {
    let end = at.checked_add(N).ok_or(Error::Truncated)?;
    let slice = file.get(at..end).ok_or(Error::Truncated)?;
    Ok(slice.try_into().expect("slice has N bytes"))
}

fn u16_at(file: &[u8], at: usize) -> Result<u16, Error> {
    bytes(file, at).map(u16::from_le_bytes)
}

fn u32_at(file: &[u8], at: usize) -> Result<u32, Error> {
    bytes(file, at).map(u32::from_le_bytes)
}

fn u64_at(file: &[u8], at: usize) -> Result<u64, Error> {
    bytes(file, at).map(u64::from_le_bytes)
}

/// The file header's fields we use.
struct Header {
    kind: Kind,
    entry: u64,
    phoff: u64,
    phnum: u16,
}

fn header(file: &[u8]) -> Result<Header, Error> {
    if file.len() < ELF_HEADER_SIZE {
        return Err(Error::Truncated);
    }
    if file[..4] != elf::ELFMAG[..4] {
        return Err(Error::NotElf);
    }
    let class_ok = u32::from(file[elf::EI_CLASS as usize]) == elf::ELFCLASS64;
    let data_ok = u32::from(file[5]) == elf::ELFDATA2LSB;
    if !class_ok || !data_ok || u32::from(file[6]) != elf::EV_CURRENT {
        return Err(Error::WrongClass);
    }
    if u32::from(u16_at(file, 18)?) != elf::EM_X86_64 {
        return Err(Error::WrongMachine);
    }
    let kind = match u32::from(u16_at(file, 16)?) {
        elf::ET_EXEC => Kind::Fixed,
        elf::ET_DYN => Kind::PositionIndependent,
        _ => return Err(Error::NotExecutable),
    };
    let phnum = u16_at(file, 56)?;
    if u16_at(file, 54)? != PROGRAM_HEADER_SIZE || phnum > MAX_PROGRAM_HEADERS {
        return Err(Error::BadProgramHeaders);
    }
    Ok(Header {
        kind,
        entry: u64_at(file, 24)?,
        phoff: u64_at(file, 32)?,
        phnum,
    })
}

/// One program header, as in the file.
struct ProgramHeader {
    kind: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    file_size: u64,
    memory_size: u64,
    align: u64,
}

fn program_header(file: &[u8], phoff: u64, index: u16) -> Result<ProgramHeader, Error> {
    let at = phoff
        .checked_add(u64::from(index) * u64::from(PROGRAM_HEADER_SIZE))
        .and_then(|at| usize::try_from(at).ok())
        .ok_or(Error::Truncated)?;
    bytes::<{ PROGRAM_HEADER_SIZE as usize }>(file, at)?;
    Ok(ProgramHeader {
        kind: u32_at(file, at)?,
        flags: u32_at(file, at + 4)?,
        offset: u64_at(file, at + 8)?,
        vaddr: u64_at(file, at + 16)?,
        file_size: u64_at(file, at + 32)?,
        memory_size: u64_at(file, at + 40)?,
        align: u64_at(file, at + 48)?,
    })
}

/// Checks one `PT_LOAD` header against the file and moves it by `bias`.
fn segment(file: &[u8], ph: &ProgramHeader, bias: u64) -> Result<Segment, Error> {
    let file_end = ph
        .offset
        .checked_add(ph.file_size)
        .ok_or(Error::Truncated)?;
    if file_end > file.len() as u64 {
        return Err(Error::Truncated);
    }
    let aligned = ph.align <= 1 || ph.align.is_power_of_two();
    if ph.file_size > ph.memory_size || !aligned || ph.vaddr % PAGE_SIZE != ph.offset % PAGE_SIZE {
        return Err(Error::BadSegment);
    }
    if ph.memory_size > MAX_SEGMENT {
        return Err(Error::HugeSegment);
    }
    let address = ph.vaddr.checked_add(bias).ok_or(Error::KernelAddress)?;
    let end = address
        .checked_add(ph.memory_size)
        .and_then(|end| end.checked_next_multiple_of(PAGE_SIZE))
        .ok_or(Error::KernelAddress)?;
    if end > USER_END {
        return Err(Error::KernelAddress);
    }
    let access = Access::from_flags(ph.flags);
    if access.write && access.execute {
        return Err(Error::WriteAndExecute);
    }
    Ok(Segment {
        address,
        memory_size: ph.memory_size,
        file_offset: ph.offset,
        file_size: ph.file_size,
        access,
    })
}

/// Reads `file` and plans its loading. `bias` is where a static-PIE's address 0
/// goes (page-aligned); it is ignored for fixed-address (`ET_EXEC`) files.
pub fn plan(file: &[u8], bias: u64) -> Result<Plan, Error> {
    let header = header(file)?;
    let bias = match header.kind {
        Kind::Fixed => 0,
        Kind::PositionIndependent if !bias.is_multiple_of(PAGE_SIZE) => return Err(Error::BadBias),
        Kind::PositionIndependent => bias,
    };
    let mut plan = Plan {
        kind: header.kind,
        bias,
        entry: header.entry.wrapping_add(bias),
        program_headers: None,
        program_header_count: header.phnum,
        segments: [Segment::default(); MAX_SEGMENTS],
        segment_count: 0,
    };
    let mut phdr_vaddr = None;
    for index in 0..header.phnum {
        let ph = program_header(file, header.phoff, index)?;
        match ph.kind {
            elf::PT_LOAD => add_segment(&mut plan, segment(file, &ph, bias)?)?,
            elf::PT_INTERP => return Err(Error::NeedsInterpreter),
            elf::PT_GNU_STACK if ph.flags & elf::PF_X != 0 => return Err(Error::ExecutableStack),
            elf::PT_PHDR => phdr_vaddr = Some(ph.vaddr),
            _ => {}
        }
    }
    if plan.segment_count == 0 {
        return Err(Error::NoSegments);
    }
    check_entry(&plan)?;
    plan.program_headers = program_headers_address(&plan, header.phoff, phdr_vaddr);
    Ok(plan)
}

/// Adds a segment unless it shares a page with one already planned.
fn add_segment(plan: &mut Plan, new: Segment) -> Result<(), Error> {
    let (start, end) = new.pages();
    let overlaps = plan.segments().iter().any(|old| {
        let (old_start, old_end) = old.pages();
        start < old_end && old_start < end
    });
    if overlaps {
        return Err(Error::Overlap);
    }
    if plan.segment_count == MAX_SEGMENTS {
        return Err(Error::TooManySegments);
    }
    plan.segments[plan.segment_count] = new;
    plan.segment_count += 1;
    Ok(())
}

fn check_entry(plan: &Plan) -> Result<(), Error> {
    match plan.segments().iter().find(|s| s.contains(plan.entry)) {
        None => Err(Error::EntryOutside),
        Some(s) if !s.access.execute => Err(Error::EntryNotExecutable),
        Some(_) => Ok(()),
    }
}

/// Where the program header table is in memory: `PT_PHDR` says so if present
/// (and it must then be inside a segment); otherwise it is found through the
/// segment whose file bytes contain the table.
fn program_headers_address(plan: &Plan, phoff: u64, phdr_vaddr: Option<u64>) -> Option<u64> {
    let table_size = u64::from(plan.program_header_count) * u64::from(PROGRAM_HEADER_SIZE);
    let inside = |address: u64| {
        let end = address.saturating_add(table_size);
        plan.segments()
            .iter()
            .any(|s| address >= s.address && end <= s.end())
    };
    if let Some(vaddr) = phdr_vaddr {
        let address = vaddr.checked_add(plan.bias)?;
        return inside(address).then_some(address);
    }
    let table_end = phoff.checked_add(table_size)?;
    plan.segments().iter().find_map(|s| {
        let in_file = phoff >= s.file_offset && table_end <= s.file_offset + s.file_size;
        in_file.then(|| s.address + (phoff - s.file_offset))
    })
}

#[cfg(test)]
mod tests;
