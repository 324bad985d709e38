//! The scratch disk's known contents.
//!
//! The runner creates a scratch disk for the kernel's disk tests, and the
//! test kernel checks what it reads against the same function: each 512-byte
//! sector starts with `KESTREL SECTOR ` and its number as 16 hex digits,
//! and the rest are bytes that depend on the sector and the offset, so a
//! sector read from the wrong place, or shifted, does not match.
#![no_std]
#![forbid(unsafe_code)]

/// Sectors are 512 bytes.
pub const SECTOR: usize = 512;
/// The scratch disk's size: 4 MiB.
pub const SECTORS: u64 = 8192;

const LABEL: &[u8; 15] = b"KESTREL SECTOR ";

/// Fills `out` (512 bytes) with sector `sector`'s contents.
pub fn fill(sector: u64, out: &mut [u8]) {
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = (sector as u8)
            .wrapping_mul(31)
            .wrapping_add(i as u8)
            .wrapping_add((sector >> 8) as u8 ^ (i >> 8) as u8);
    }
    out[..LABEL.len()].copy_from_slice(LABEL);
    for (i, digit) in out[LABEL.len()..LABEL.len() + 16].iter_mut().enumerate() {
        let nibble = (sector >> (60 - 4 * i)) & 0xF;
        *digit = b"0123456789abcdef"[nibble as usize];
    }
}

/// Whether `data` (512 bytes) is sector `sector`'s contents.
pub fn matches(sector: u64, data: &[u8]) -> bool {
    let mut expected = [0; SECTOR];
    fill(sector, &mut expected);
    data == expected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sectors_say_their_number_and_differ() {
        let mut a = [0; SECTOR];
        fill(0x1234, &mut a);
        assert_eq!(&a[..31], b"KESTREL SECTOR 0000000000001234");
        assert!(matches(0x1234, &a));
        assert!(!matches(0x1235, &a));
        let mut b = [0; SECTOR];
        fill(0x1234 + 256, &mut b);
        assert_ne!(a[31..], b[31..], "the payload depends on the sector too");
    }
}
