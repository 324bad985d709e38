//! Finding ACPI's root pointer (RSDP) in a BIOS machine's memory.
//!
//! The kernel finds its interrupt controllers and power-off method in ACPI
//! tables, starting from the *root system description pointer*. UEFI lists
//! it among its configuration tables; a BIOS does not say where it is, so
//! the loader searches where the ACPI specification puts it: on a 16-byte
//! boundary in the first KiB of the extended BIOS data area, or in the
//! BIOS's read-only area 0xE0000-0xFFFFF. It starts with the signature
//! `"RSD PTR "`, and its first 20 bytes add up to 0 (mod 256), which tells
//! a real one from a stray copy of the signature.

/// The RSDP's signature.
pub const SIGNATURE: &[u8; 8] = b"RSD PTR ";

/// The offset in `area` (which starts on a 16-byte boundary) of the first
/// valid RSDP, if any.
pub fn find(area: &[u8]) -> Option<usize> {
    (0..area.len())
        .step_by(16)
        .find(|&at| area.get(at..at + 20).is_some_and(is_rsdp))
}

fn is_rsdp(first20: &[u8]) -> bool {
    first20.starts_with(SIGNATURE) && first20.iter().fold(0u8, |sum, b| sum.wrapping_add(*b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid ACPI 1.0 RSDP: signature, checksum byte fixed up.
    fn rsdp() -> [u8; 20] {
        let mut r = [0u8; 20];
        r[..8].copy_from_slice(SIGNATURE);
        r[9..15].copy_from_slice(b"BOCHS ");
        r[16..20].copy_from_slice(&0x7fe_1234u32.to_le_bytes());
        let sum = r.iter().fold(0u8, |s, b| s.wrapping_add(*b));
        r[8] = 0u8.wrapping_sub(sum);
        r
    }

    #[test]
    fn finds_a_valid_pointer_on_a_16_byte_boundary() {
        let mut area = std::vec![0u8; 4096];
        area[0x230..0x244].copy_from_slice(&rsdp());
        assert_eq!(find(&area), Some(0x230));
    }

    #[test]
    fn skips_bad_checksums_and_unaligned_copies() {
        let mut area = std::vec![0u8; 4096];
        let mut bad = rsdp();
        bad[8] = bad[8].wrapping_add(1);
        area[0x100..0x114].copy_from_slice(&bad);
        area[0x205..0x219].copy_from_slice(&rsdp()); // not on a boundary
        assert_eq!(find(&area), None);
        area[0x400..0x414].copy_from_slice(&rsdp());
        assert_eq!(find(&area), Some(0x400));
    }

    /// Random areas, some with valid and broken pointers planted at random
    /// offsets: never a panic, and whatever is found is a valid pointer on a
    /// 16-byte boundary, the first one.
    #[test]
    fn random_areas_give_only_valid_pointers() {
        let mut rng = xorshift::XorShift64(0x5253_4450);
        for _ in 0..2000 {
            let len = (rng.next() % 2048) as usize;
            let mut area: std::vec::Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            for _ in 0..rng.next() % 3 {
                let at = (rng.next() as usize % (len + 1)) & !0xf;
                let mut r = rsdp();
                if rng.next().is_multiple_of(2) {
                    r[rng.next() as usize % 20] ^= 1 << (rng.next() % 8);
                }
                let end = (at + 20).min(len);
                area[at..end].copy_from_slice(&r[..end - at]);
            }
            let first_valid = (0..len)
                .step_by(16)
                .find(|&at| at + 20 <= len && is_rsdp(&area[at..at + 20]));
            assert_eq!(find(&area), first_valid);
        }
    }

    #[test]
    fn a_pointer_cut_by_the_end_of_the_area_is_not_found() {
        let mut area = std::vec![0u8; 0x110];
        area[0x100..0x110].copy_from_slice(&rsdp()[..16]);
        assert_eq!(find(&area), None);
    }
}
