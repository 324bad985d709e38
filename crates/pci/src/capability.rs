//! The capability list: optional features, chained through config space.
//!
//! If the status register says so, the byte at 0x34 points at the first
//! capability. Each starts with two bytes, its id and the offset of the next
//! one (0 ends the list), followed by data that depends on the id: MSI (0x05),
//! vendor-specific (0x09, how virtio describes its register blocks), PCI
//! Express (0x10), MSI-X (0x11), ...
//!
//! A broken device could make the list point into the header, at odd
//! offsets, or in a circle. The iterator stops at the first pointer that is
//! below 0x40 or not a multiple of 4, and after 48 entries (the most that
//! fit in the 192 bytes after the header), so it always ends.

use super::ConfigSpace;
use super::header::{CAPABILITIES_POINTER, Header};

pub const ID_MSI: u8 = 0x05;
pub const ID_VENDOR: u8 = 0x09;
pub const ID_PCI_EXPRESS: u8 = 0x10;
pub const ID_MSIX: u8 = 0x11;

const MAX_CAPABILITIES: usize = 48;

/// One entry of the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capability {
    pub id: u8,
    /// Where it starts in configuration space.
    pub offset: u8,
}

/// Iterates over a function's capabilities; see the module docs.
pub struct Capabilities<'a, S: ConfigSpace> {
    space: &'a S,
    next: u8,
    seen: usize,
}

impl<'a, S: ConfigSpace> Capabilities<'a, S> {
    pub fn new(space: &'a S, header: &Header) -> Self {
        let next = if header.has_capabilities {
            space.read8(CAPABILITIES_POINTER) & !3
        } else {
            0
        };
        Capabilities {
            space,
            next,
            seen: 0,
        }
    }
}

impl<S: ConfigSpace> Iterator for Capabilities<'_, S> {
    type Item = Capability;

    fn next(&mut self) -> Option<Capability> {
        let offset = self.next;
        if offset < 0x40 || !offset.is_multiple_of(4) || self.seen >= MAX_CAPABILITIES {
            return None;
        }
        self.seen += 1;
        let id = self.space.read8(offset);
        self.next = self.space.read8(offset + 1);
        Some(Capability { id, offset })
    }
}

/// A name for `lspci`-style listings.
pub fn name(id: u8) -> &'static str {
    match id {
        0x01 => "power management",
        ID_MSI => "MSI",
        ID_VENDOR => "vendor-specific",
        ID_PCI_EXPRESS => "PCI Express",
        ID_MSIX => "MSI-X",
        0x12 => "SATA",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::Fake;
    use xorshift::XorShift64;

    fn with_list(links: &[(usize, u8, u8)]) -> Fake {
        let mut s = Fake([0; 64]);
        s.0[0] = 0x1042_1AF4;
        s.set16(6, 1 << 4);
        s.set8(0x34, links.first().map_or(0, |l| l.0 as u8));
        for &(at, id, next) in links {
            s.set8(at, id);
            s.set8(at + 1, next);
        }
        s
    }

    fn list(s: &Fake) -> std::vec::Vec<(u8, u8)> {
        let h = Header::read(s).unwrap();
        Capabilities::new(s, &h).map(|c| (c.offset, c.id)).collect()
    }

    #[test]
    fn follows_the_chain() {
        let s = with_list(&[(0x98, 0x11, 0x84), (0x84, 0x09, 0x70), (0x70, 0x09, 0)]);
        assert_eq!(list(&s), [(0x98, 0x11), (0x84, 0x09), (0x70, 0x09)]);
    }

    #[test]
    fn no_capabilities_bit_means_none() {
        let mut s = with_list(&[(0x40, 0x05, 0)]);
        s.set16(6, 0);
        assert_eq!(list(&s), []);
    }

    #[test]
    fn loops_and_bad_pointers_end_the_list() {
        let s = with_list(&[(0x40, 0x05, 0x50), (0x50, 0x11, 0x40)]);
        assert_eq!(list(&s).len(), MAX_CAPABILITIES);
        let s = with_list(&[(0x40, 0x05, 0x10)]);
        assert_eq!(list(&s), [(0x40, 0x05)]);
        let s = with_list(&[(0x40, 0x05, 0x45)]);
        assert_eq!(list(&s), [(0x40, 0x05)]);
    }

    #[test]
    fn random_spaces_always_end() {
        let mut rng = XorShift64(0xCAB5);
        for _ in 0..20_000 {
            let mut s = Fake([0; 64]);
            for w in s.0.iter_mut() {
                *w = rng.next() as u32;
            }
            s.0[0] = 0x1234_5678;
            assert!(list(&s).len() <= MAX_CAPABILITIES);
        }
    }
}
