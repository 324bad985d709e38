//! The two numbers ACPI needs to switch a machine off, dug out of the DSDT.
//!
//! To enter the "soft off" state S5, the OS writes `SLP_TYPa << 10 | SLP_EN` to
//! the PM1a control register named in the FADT. `SLP_TYPa` is chipset-specific:
//! the firmware publishes it in the DSDT, a table of AML bytecode, as an object
//! `\_S5` that is a package of (usually four) integers, the first two being
//! `SLP_TYPa` and `SLP_TYPb`. A full AML interpreter is a big piece of software;
//! almost every firmware, however, writes `_S5` as a plain constant, which in the
//! bytecode looks like this:
//!
//! ```text
//! 08           NameOp            (sometimes preceded by `\` = 0x5C)
//! 5F 53 35 5F  "_S5_"
//! 12           PackageOp
//! nn [..]      PkgLength: 1 to 4 bytes; bits 6-7 of the first say how many follow
//! 04           NumElements
//! 0A 05        BytePrefix 5  (or 00 = Zero, 01 = One, FF = Ones, 0B = WordPrefix ...)
//! 0A 05        the second integer, likewise
//! ```
//!
//! [`find_s5`] searches for exactly that shape. If the firmware computes `_S5`
//! in a method instead, it returns `None` and the kernel reports that it cannot
//! power off by ACPI; it never guesses.
#![no_std]
#![forbid(unsafe_code)]

const NAME_OP: u8 = 0x08;
const PACKAGE_OP: u8 = 0x12;

/// `SLP_TYPa` and `SLP_TYPb` for S5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SleepTypes {
    pub a: u16,
    pub b: u16,
}

/// Finds `Name(_S5, Package(){a, b, ...})` in AML bytecode.
pub fn find_s5(aml: &[u8]) -> Option<SleepTypes> {
    (0..aml.len()).find_map(|at| {
        if aml.get(at..at + 4)? != b"_S5_" {
            return None;
        }
        let named = at >= 1 && aml[at - 1] == NAME_OP
            || at >= 2 && aml[at - 1] == b'\\' && aml[at - 2] == NAME_OP;
        if !named {
            return None;
        }
        parse_package(aml.get(at + 4..)?)
    })
}

/// Parses `PackageOp PkgLength NumElements a b ...` at the start of `bytes`.
fn parse_package(bytes: &[u8]) -> Option<SleepTypes> {
    if *bytes.first()? != PACKAGE_OP {
        return None;
    }
    let extra_length_bytes = usize::from(bytes.get(1)? >> 6);
    let mut rest = bytes.get(2 + extra_length_bytes..)?;
    let elements = *rest.first()?;
    if elements < 2 {
        return None;
    }
    rest = &rest[1..];
    let (a, rest) = integer(rest)?;
    let (b, _) = integer(rest)?;
    Some(SleepTypes { a, b })
}

/// One small AML integer constant and what follows it.
fn integer(bytes: &[u8]) -> Option<(u16, &[u8])> {
    match *bytes.first()? {
        0x00 => Some((0, &bytes[1..])),
        0x01 => Some((1, &bytes[1..])),
        0xFF => Some((0xFFFF, &bytes[1..])),
        0x0A => Some((u16::from(*bytes.get(1)?), bytes.get(2..)?)),
        0x0B => {
            let b = bytes.get(1..3)?;
            Some((u16::from_le_bytes([b[0], b[1]]), bytes.get(3..)?))
        }
        _ => None,
    }
}
