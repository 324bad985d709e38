//! The symbol reader on ELF files built here byte by byte, on damaged files, and
//! against a brute-force model with random symbols.

use elfsym::{Demangled, Error, SymbolTable};

/// Builds a minimal ELF64 file: header, a string table, a symbol table and three
/// section headers (null, .symtab, .strtab). `symbols` are (name, address, size,
/// is_function).
fn elf(symbols: &[(&str, u64, u64, bool)]) -> Vec<u8> {
    let mut strtab = vec![0u8];
    let mut symtab = vec![0u8; 24]; // symbol 0 is the null symbol
    for &(name, address, size, function) in symbols {
        let name_at = strtab.len() as u32;
        strtab.extend_from_slice(name.as_bytes());
        strtab.push(0);
        symtab.extend_from_slice(&name_at.to_le_bytes());
        symtab.push(if function { 0x12 } else { 0x11 }); // global FUNC / OBJECT
        symtab.push(0);
        symtab.extend_from_slice(&1u16.to_le_bytes());
        symtab.extend_from_slice(&address.to_le_bytes());
        symtab.extend_from_slice(&size.to_le_bytes());
    }
    let mut file = vec![0u8; 64];
    file[..6].copy_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1]);
    let symtab_at = file.len() as u64;
    file.extend_from_slice(&symtab);
    let strtab_at = file.len() as u64;
    file.extend_from_slice(&strtab);
    let shoff = file.len() as u64;
    file[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
    file[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
    file[0x3c..0x3e].copy_from_slice(&3u16.to_le_bytes());
    let header = |kind: u32, offset: u64, size: u64, link: u32| {
        let mut h = vec![0u8; 64];
        h[4..8].copy_from_slice(&kind.to_le_bytes());
        h[24..32].copy_from_slice(&offset.to_le_bytes());
        h[32..40].copy_from_slice(&size.to_le_bytes());
        h[40..44].copy_from_slice(&link.to_le_bytes());
        h
    };
    file.extend(header(0, 0, 0, 0));
    file.extend(header(2, symtab_at, symtab.len() as u64, 2));
    file.extend(header(3, strtab_at, strtab.len() as u64, 0));
    file
}

#[test]
fn finds_the_enclosing_function() {
    let file = elf(&[
        ("first", 0x1000, 0x20, true),
        ("data", 0x1010, 0x100, false),
        ("second", 0x1040, 0x10, true),
        ("unsized", 0x2000, 0, true),
    ]);
    let table = SymbolTable::parse(&file).unwrap();
    assert_eq!(table.functions().count(), 3);
    let name = |addr| table.lookup(addr).map(|(s, off)| (s.name, off));
    assert_eq!(name(0x1000), Some(("first", 0)));
    assert_eq!(name(0x101f), Some(("first", 0x1f)));
    assert_eq!(
        name(0x1020),
        None,
        "past the end of `first`, objects do not count"
    );
    assert_eq!(name(0x1045), Some(("second", 5)));
    assert_eq!(name(0xfff), None);
    assert_eq!(
        name(0x9999),
        Some(("unsized", 0x7999)),
        "size 0: no end known"
    );
}

#[test]
fn damaged_files_are_errors_not_panics() {
    assert_eq!(SymbolTable::parse(b"").unwrap_err(), Error::NotElf64);
    assert_eq!(
        SymbolTable::parse(b"\x7fELF\x01\x01").unwrap_err(),
        Error::NotElf64
    );
    let good = elf(&[("f", 1, 1, true)]);
    for len in 0..good.len() {
        // Truncated copies either fail or (cut only in padding) still work.
        let _ = SymbolTable::parse(&good[..len]).map(|t| t.lookup(1));
    }
    let mut no_symtab = good.clone();
    let shoff = u64::from_le_bytes(no_symtab[0x28..0x30].try_into().unwrap()) as usize;
    no_symtab[shoff + 64 + 4] = 1; // .symtab becomes PROGBITS
    assert_eq!(
        SymbolTable::parse(&no_symtab).unwrap_err(),
        Error::NoSymbolTable
    );
}

use xorshift::XorShift64 as Rng;

#[test]
fn random_tables_match_brute_force() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..50 {
        let count = (rng.next() % 40) as usize;
        let names: Vec<String> = (0..count).map(|i| format!("sym{i}")).collect();
        let symbols: Vec<(&str, u64, u64, bool)> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                // Distinct addresses, so "the highest start" is unambiguous.
                let address = (rng.next() % 0x1000) * 64 + i as u64;
                (
                    name.as_str(),
                    address,
                    rng.next() % 200,
                    !rng.next().is_multiple_of(4),
                )
            })
            .collect();
        let file = elf(&symbols);
        let table = SymbolTable::parse(&file).unwrap();
        for _ in 0..200 {
            let addr = rng.next() % (0x1000 * 64 + 300);
            let model = symbols
                .iter()
                .filter(|s| s.3 && s.1 <= addr)
                .max_by_key(|s| s.1)
                .filter(|s| s.2 == 0 || addr - s.1 < s.2)
                .map(|s| (s.0, addr - s.1));
            assert_eq!(table.lookup(addr).map(|(s, off)| (s.name, off)), model);
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(42);
    let good = elf(&[("a", 10, 5, true), ("b", 20, 5, true)]);
    for _ in 0..2000 {
        let mut file = good.clone();
        for _ in 0..(rng.next() % 8) {
            let at = (rng.next() as usize) % file.len();
            file[at] = rng.next() as u8;
        }
        if let Ok(table) = SymbolTable::parse(&file) {
            let _ = table.lookup(rng.next() % 64);
            let _ = table.functions().count();
        }
    }
}

#[test]
fn demangles_legacy_rust_names() {
    let show = |s| Demangled(s).to_string();
    assert_eq!(show("_ZN6kernel4main17h0123456789abcdefE"), "kernel::main");
    assert_eq!(
        show("_ZN4core3ptr41drop_in_place$LT$kernel..shell..Shell$GT$17h0123456789abcdefE"),
        "core::ptr::drop_in_place<kernel::shell::Shell>"
    );
    assert_eq!(show("_ZN3foo8$u20$bar17h0123456789abcdefE"), "foo:: bar");
    assert_eq!(show("_ZN3foo13_$LT$impl$GT$E"), "foo::<impl>");
    assert_eq!(show("memcpy"), "memcpy", "C names stay as they are");
    assert_eq!(
        show("_ZN99tooshortE"),
        "_ZN99tooshortE",
        "malformed names stay raw"
    );
    assert_eq!(show("_ZN3abc"), "_ZN3abc");
    assert_eq!(show("_ZN4a$Q$E"), "a$Q$");
}
