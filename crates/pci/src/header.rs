//! The standard header: who a function is, and what kind.

use super::ConfigSpace;

/// The vendor id read where no function answers.
pub const NO_VENDOR: u16 = 0xFFFF;

/// The command register's bits that let a device work: answer memory
/// accesses to its BARs, and master the bus (DMA, MSI messages).
pub const COMMAND_MEMORY: u16 = 1 << 1;
pub const COMMAND_BUS_MASTER: u16 = 1 << 2;
/// Stops the device from raising its legacy INTx line.
pub const COMMAND_INTX_DISABLE: u16 = 1 << 10;

/// Offsets of the header's fields.
pub const COMMAND: u8 = 0x04;
pub const STATUS: u8 = 0x06;
pub const CAPABILITIES_POINTER: u8 = 0x34;

const STATUS_HAS_CAPABILITIES: u16 = 1 << 4;

/// The layout that follows the first 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderKind {
    /// Type 0: an ordinary device, six BARs.
    Device,
    /// Type 1: a PCI-to-PCI bridge, two BARs, then bus numbers.
    Bridge,
    /// Type 2 (CardBus) or a value PCI does not define: no BARs decoded.
    Other(u8),
}

/// The header's identifying fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub vendor: u16,
    pub device: u16,
    pub revision: u8,
    pub prog_if: u8,
    pub subclass: u8,
    pub class: u8,
    pub kind: HeaderKind,
    /// Functions 1-7 of this device exist only if function 0 says so.
    pub multi_function: bool,
    pub has_capabilities: bool,
    pub interrupt_line: u8,
    /// 0: none; 1-4: INTA#-INTD#.
    pub interrupt_pin: u8,
}

impl Header {
    /// Reads the header, or `None` if no function answers (vendor 0xFFFF).
    pub fn read(space: &impl ConfigSpace) -> Option<Header> {
        let id = space.read32(0);
        let vendor = id as u16;
        if vendor == NO_VENDOR {
            return None;
        }
        let class = space.read32(0x08);
        let header_type = space.read8(0x0E);
        let kind = match header_type & 0x7F {
            0 => HeaderKind::Device,
            1 => HeaderKind::Bridge,
            other => HeaderKind::Other(other),
        };
        Some(Header {
            vendor,
            device: (id >> 16) as u16,
            revision: class as u8,
            prog_if: (class >> 8) as u8,
            subclass: (class >> 16) as u8,
            class: (class >> 24) as u8,
            kind,
            multi_function: header_type & 0x80 != 0,
            has_capabilities: space.read16(STATUS) & STATUS_HAS_CAPABILITIES != 0,
            interrupt_line: space.read8(0x3C),
            interrupt_pin: space.read8(0x3D),
        })
    }

    /// How many BARs this kind of header has.
    pub fn bar_count(&self) -> u8 {
        match self.kind {
            HeaderKind::Device => 6,
            HeaderKind::Bridge => 2,
            HeaderKind::Other(_) => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::Fake;

    fn virtio_blk() -> Fake {
        let mut s = Fake([0; 64]);
        s.0[0] = 0x1042_1AF4;
        s.0[1] = 0x0010_0000; // status: capabilities
        s.0[2] = 0x0100_0001; // class 01 (storage), subclass 00, rev 1
        s.set8(0x0E, 0x00);
        s.set8(0x3C, 11);
        s.set8(0x3D, 1);
        s
    }

    #[test]
    fn decodes_a_device_header() {
        let h = Header::read(&virtio_blk()).unwrap();
        assert_eq!((h.vendor, h.device), (0x1AF4, 0x1042));
        assert_eq!((h.class, h.subclass, h.prog_if, h.revision), (1, 0, 0, 1));
        assert_eq!(h.kind, HeaderKind::Device);
        assert!(h.has_capabilities && !h.multi_function);
        assert_eq!((h.interrupt_line, h.interrupt_pin), (11, 1));
        assert_eq!(h.bar_count(), 6);
    }

    #[test]
    fn absent_functions_and_odd_types() {
        assert_eq!(Header::read(&Fake([0xFFFF_FFFF; 64])), None);
        let mut s = virtio_blk();
        s.set8(0x0E, 0x81);
        let h = Header::read(&s).unwrap();
        assert_eq!(
            (h.kind, h.multi_function, h.bar_count()),
            (HeaderKind::Bridge, true, 2)
        );
        s.set8(0x0E, 0x7F);
        let h = Header::read(&s).unwrap();
        assert_eq!((h.kind, h.bar_count()), (HeaderKind::Other(0x7F), 0));
    }
}
