//! PCI configuration space, decoded.
//!
//! Every PCI function (a device, or one part of a multi-function device) has
//! 256 bytes of *configuration space*, addressed by bus (0-255), device (0-31)
//! and function (0-7). Its first 64 bytes are a standard header:
//!
//! ```text
//! 0x00 vendor id (u16)   0x02 device id (u16)      vendor 0xFFFF: nothing there
//! 0x04 command (u16)     0x06 status (u16)         status bit 4: has capabilities
//! 0x08 revision (u8)     0x09 prog-if, 0x0A subclass, 0x0B class
//! 0x0E header type (u8)  bit 7: multi-function; low bits 0 = device, 1 = bridge
//! 0x10-0x24 six BARs (base address registers; a bridge has two)
//! 0x34 capabilities pointer (u8)
//! 0x3C interrupt line (u8), 0x3D interrupt pin (u8)
//! ```
//!
//! How the bytes are read (port I/O, memory-mapped ECAM) is the kernel's
//! business; this crate only decodes them, from anything that implements
//! [`ConfigSpace`]. Hardware and emulators can show odd values (a capability
//! list that loops, a BAR that claims 64 bits in the last slot): decoding
//! gives an error or stops, and never panics.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

pub mod bar;
pub mod capability;
pub mod class;
pub mod header;

pub use bar::{Bar, BarError};
pub use capability::{Capabilities, Capability};
pub use header::{Header, HeaderKind};

/// Reads a function's configuration space, 32 bits at a time.
pub trait ConfigSpace {
    /// The dword at `offset` (a multiple of 4, below 256).
    fn read32(&self, offset: u8) -> u32;

    /// The 16 bits at `offset` (even).
    fn read16(&self, offset: u8) -> u16 {
        (self.read32(offset & !3) >> (u32::from(offset & 2) * 8)) as u16
    }

    /// The byte at `offset`.
    fn read8(&self, offset: u8) -> u8 {
        (self.read32(offset & !3) >> (u32::from(offset & 3) * 8)) as u8
    }
}

/// A function's address: bus, device (0-31), function (0-7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Address {
    pub bus: u8,
    pub device: u8,
    pub function: u8,
}

impl core::fmt::Display for Address {
    /// The usual `bb:dd.f` form, as `lspci` prints it.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:02x}:{:02x}.{}", self.bus, self.device, self.function)
    }
}

#[cfg(test)]
pub(crate) mod fake {
    //! A configuration space in an array, for the tests.
    use super::ConfigSpace;

    pub struct Fake(pub [u32; 64]);

    impl Fake {
        pub fn set8(&mut self, offset: usize, value: u8) {
            let shift = (offset % 4) * 8;
            let word = &mut self.0[offset / 4];
            *word = (*word & !(0xFF << shift)) | (u32::from(value) << shift);
        }

        pub fn set16(&mut self, offset: usize, value: u16) {
            self.set8(offset, value as u8);
            self.set8(offset + 1, (value >> 8) as u8);
        }
    }

    impl ConfigSpace for Fake {
        fn read32(&self, offset: u8) -> u32 {
            self.0[usize::from(offset) / 4]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::Fake;
    use super::*;

    #[test]
    fn narrow_reads_pick_the_right_bytes() {
        let mut space = Fake([0; 64]);
        space.0[2] = 0x0201_0011;
        assert_eq!(space.read8(8), 0x11);
        assert_eq!(space.read8(11), 0x02);
        assert_eq!(space.read16(10), 0x0201);
        space.set16(4, 0xBEEF);
        assert_eq!(space.read16(4), 0xBEEF);
        assert_eq!(space.read8(5), 0xBE);
    }

    #[test]
    fn addresses_print_like_lspci() {
        let a = Address {
            bus: 0,
            device: 0x1f,
            function: 3,
        };
        assert_eq!(alloc_fmt(a), "00:1f.3");
    }

    fn alloc_fmt(a: Address) -> std::string::String {
        std::format!("{a}")
    }
}
