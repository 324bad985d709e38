//! `cargo run -- inspect`: what `nm` and `objdump -h` would tell about the kernel.
//!
//! An ELF file starts with a header naming the entry point, the virtual address
//! where execution begins. Its sections hold code (`.text`, allocated and
//! executable), constants (`.rodata`, allocated, read-only), initialised data
//! (`.data`, writable) and zeroed data (`.bss`, writable, occupying no file
//! space), plus symbols and debug information that are never loaded. The symbol
//! table maps names to addresses, which lets us name the entry point's function.

use object::elf::{SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE};
use object::{Object, ObjectSection, ObjectSymbol, SectionFlags, SymbolKind};
use std::fmt;

/// One section of the ELF file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub address: u64,
    pub size: u64,
    /// `A` allocated (loaded), `W` writable, `X` executable; `-` where unset.
    pub flags: String,
}

/// What `inspect` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub entry: u64,
    /// The symbol containing the entry address, with the offset into it.
    pub entry_symbol: Option<(String, u64)>,
    pub sections: Vec<Section>,
    pub file_size: u64,
    /// Bytes the loader places in memory (allocated sections).
    pub loaded_size: u64,
}

/// Reads an ELF file's bytes into a [`Report`].
pub fn inspect(bytes: &[u8]) -> Result<Report, String> {
    let file = object::File::parse(bytes).map_err(|e| format!("not an ELF file: {e}"))?;
    let entry = file.entry();
    let sections: Vec<Section> = file
        .sections()
        .filter(|s| s.name().is_ok_and(|n| !n.is_empty()))
        .map(|s| Section {
            name: s.name().unwrap_or("?").to_string(),
            address: s.address(),
            size: s.size(),
            flags: flags(s.flags()),
        })
        .collect();
    let loaded_size = sections
        .iter()
        .filter(|s| s.flags.starts_with('A'))
        .map(|s| s.size)
        .sum();
    Ok(Report {
        entry,
        entry_symbol: symbol_at(&file, entry),
        sections,
        file_size: bytes.len() as u64,
        loaded_size,
    })
}

fn flags(flags: SectionFlags) -> String {
    let SectionFlags::Elf { sh_flags } = flags else {
        return "???".into();
    };
    let bit = |mask: u32, c: char| {
        if sh_flags & u64::from(mask) != 0 {
            c
        } else {
            '-'
        }
    };
    [
        bit(SHF_ALLOC, 'A'),
        bit(SHF_WRITE, 'W'),
        bit(SHF_EXECINSTR, 'X'),
    ]
    .iter()
    .collect()
}

/// The function or object symbol whose range holds `address` (or that starts
/// nearest below it, for symbols without a size).
fn symbol_at(file: &object::File, address: u64) -> Option<(String, u64)> {
    file.symbols()
        .filter(|s| matches!(s.kind(), SymbolKind::Text | SymbolKind::Data))
        .filter(|s| s.address() <= address)
        .filter(|s| s.size() == 0 || address < s.address() + s.size())
        .max_by_key(|s| (s.address(), s.size()))
        .and_then(|s| Some((s.name().ok()?.to_string(), address - s.address())))
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entry point: {:#018x}", self.entry)?;
        match &self.entry_symbol {
            Some((name, 0)) => writeln!(f, " <{name}>")?,
            Some((name, off)) => writeln!(f, " <{name}+{off:#x}>")?,
            None => writeln!(f, " (no symbol)")?,
        }
        writeln!(f, "sections:")?;
        writeln!(
            f,
            "  {:<24} {:>18} {:>12}  flags",
            "name", "address", "size"
        )?;
        for s in &self.sections {
            writeln!(
                f,
                "  {:<24} {:#018x} {:>12}  {}",
                s.name, s.address, s.size, s.flags
            )?;
        }
        writeln!(
            f,
            "loaded size: {} bytes (allocated sections)",
            self.loaded_size
        )?;
        write!(f, "total size:  {} bytes (ELF file)", self.file_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test binary itself is an ELF file with a `_start` entry point.
    fn this_binary() -> Report {
        let bytes = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        inspect(&bytes).unwrap()
    }

    #[test]
    fn finds_entry_symbol_of_a_real_elf() {
        let report = this_binary();
        assert_ne!(report.entry, 0);
        let (name, offset) = report.entry_symbol.clone().expect("entry has a symbol");
        assert_eq!((name.as_str(), offset), ("_start", 0));
    }

    #[test]
    fn lists_sections_with_flags_and_sizes() {
        let report = this_binary();
        let text = report.sections.iter().find(|s| s.name == ".text").unwrap();
        assert_eq!(text.flags, "A-X");
        assert!(text.size > 0 && text.address <= report.entry);
        assert!(report.entry < text.address + text.size);
        let rodata = report
            .sections
            .iter()
            .find(|s| s.name == ".rodata")
            .unwrap();
        assert_eq!(rodata.flags, "A--");
        assert!(report.loaded_size < report.file_size);
        let shown = report.to_string();
        assert!(shown.contains("<_start>") && shown.contains(".text"));
    }

    #[test]
    fn rejects_non_elf_input() {
        assert!(inspect(b"definitely not an ELF file").is_err());
        assert!(inspect(&[]).is_err());
    }
}
