//! Names for addresses: a small reader for the symbol table of an ELF64 file.
//!
//! An ELF file ends with a table of *section headers*; the file header says where
//! it is (`e_shoff`), how many entries it has (`e_shnum`) and how big each is
//! (`e_shentsize`). The section of type `SHT_SYMTAB` (`.symtab`) is an array of
//! 24-byte symbols: a name (an offset into the string section named by the symbol
//! table's `sh_link`, usually `.strtab`), a type (function, object, ...), a value
//! (for a function: the address of its first instruction) and a size.
//!
//! To name the code at an address we look for the function symbol with the highest
//! start address at or below it; if the symbol has a size and the address is past
//! its end, the address is in no known function. The search is a linear scan: it
//! runs only when something went wrong (a crash report), where simplicity beats
//! speed. Every read is bounds-checked, so a damaged file gives `None` or an
//! error, never a panic.
//!
//! Rust names are *mangled* into linker-friendly symbols such as
//! `_ZN6kernel4main17h0123456789abcdefE`; [`Demangled`] turns those back into
//! `kernel::main`.
#![no_std]
#![forbid(unsafe_code)]

mod demangle;

pub use demangle::Demangled;

/// Why a file could not be read as ELF64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    NotElf64,
    Truncated,
    NoSymbolTable,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Error::NotElf64 => "not a little-endian ELF64 file",
            Error::Truncated => "a table points past the end of the file",
            Error::NoSymbolTable => "no .symtab section (stripped?)",
        })
    }
}

const SHT_SYMTAB: u32 = 2;
const STT_FUNC: u8 = 2;
const SYMBOL_SIZE: usize = 24;
const SECTION_HEADER_SIZE: usize = 64;

/// A function symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Symbol<'a> {
    /// The raw (mangled) name.
    pub name: &'a str,
    pub address: u64,
    pub size: u64,
}

/// The symbol and string tables of one ELF file.
#[derive(Clone, Copy, Debug)]
pub struct SymbolTable<'a> {
    symbols: &'a [u8],
    strings: &'a [u8],
}

fn slice(bytes: &[u8], start: u64, len: u64) -> Result<&[u8], Error> {
    let start = usize::try_from(start).map_err(|_| Error::Truncated)?;
    let len = usize::try_from(len).map_err(|_| Error::Truncated)?;
    let end = start.checked_add(len).ok_or(Error::Truncated)?;
    bytes.get(start..end).ok_or(Error::Truncated)
}

fn u16_at(bytes: &[u8], at: usize) -> Result<u16, Error> {
    let b = bytes.get(at..at + 2).ok_or(Error::Truncated)?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, Error> {
    let b = bytes.get(at..at + 4).ok_or(Error::Truncated)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u64_at(bytes: &[u8], at: usize) -> Result<u64, Error> {
    let b = bytes.get(at..at + 8).ok_or(Error::Truncated)?;
    let mut a = [0; 8];
    a.copy_from_slice(b);
    Ok(u64::from_le_bytes(a))
}

/// `(offset, size, link)` of section `index`.
fn section(sections: &[u8], index: usize) -> Result<(u32, u64, u64, u32), Error> {
    let at = index * SECTION_HEADER_SIZE;
    let kind = u32_at(sections, at + 4)?;
    let offset = u64_at(sections, at + 24)?;
    let size = u64_at(sections, at + 32)?;
    let link = u32_at(sections, at + 40)?;
    Ok((kind, offset, size, link))
}

impl<'a> SymbolTable<'a> {
    /// Finds `.symtab` and its string table in the ELF64 file `elf`.
    pub fn parse(elf: &'a [u8]) -> Result<SymbolTable<'a>, Error> {
        // Magic, 64-bit class (2), little-endian data (1).
        if elf.get(..6) != Some(&[0x7f, b'E', b'L', b'F', 2, 1]) {
            return Err(Error::NotElf64);
        }
        let shoff = u64_at(elf, 0x28)?;
        let shentsize = u16_at(elf, 0x3a)?;
        let shnum = u16_at(elf, 0x3c)?;
        if usize::from(shentsize) != SECTION_HEADER_SIZE {
            return Err(Error::NotElf64);
        }
        let sections = slice(elf, shoff, u64::from(shnum) * SECTION_HEADER_SIZE as u64)?;
        for index in 0..usize::from(shnum) {
            let (kind, offset, size, link) = section(sections, index)?;
            if kind != SHT_SYMTAB {
                continue;
            }
            let link = usize::try_from(link).map_err(|_| Error::Truncated)?;
            if link >= usize::from(shnum) {
                return Err(Error::Truncated);
            }
            let (_, str_offset, str_size, _) = section(sections, link)?;
            return Ok(SymbolTable {
                symbols: slice(elf, offset, size)?,
                strings: slice(elf, str_offset, str_size)?,
            });
        }
        Err(Error::NoSymbolTable)
    }

    /// All function symbols (those with a readable name).
    pub fn functions(&self) -> impl Iterator<Item = Symbol<'a>> + 'a {
        let strings = self.strings;
        self.symbols
            .chunks_exact(SYMBOL_SIZE)
            .filter(|raw| raw[4] & 0xf == STT_FUNC)
            .filter_map(move |raw| {
                let name_at = usize::try_from(u32_at(raw, 0).ok()?).ok()?;
                let rest = strings.get(name_at..)?;
                let end = rest.iter().position(|&b| b == 0)?;
                Some(Symbol {
                    name: core::str::from_utf8(&rest[..end]).ok()?,
                    address: u64_at(raw, 8).ok()?,
                    size: u64_at(raw, 16).ok()?,
                })
            })
    }

    /// The function containing `address`, and how far into it `address` is.
    pub fn lookup(&self, address: u64) -> Option<(Symbol<'a>, u64)> {
        let best = self
            .functions()
            .filter(|s| s.address <= address)
            .max_by_key(|s| s.address)?;
        let offset = address - best.address;
        if best.size != 0 && offset >= best.size {
            return None;
        }
        Some((best, offset))
    }
}
