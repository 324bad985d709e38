//! Base address registers: where a device's registers appear.
//!
//! A BAR holds an address the firmware chose, and its low bits say what kind:
//!
//! ```text
//! bit 0 = 1: I/O ports       bits 31-2: port base
//! bit 0 = 0: memory          bits 2-1: 00 = 32-bit, 10 = 64-bit (the next
//!                            BAR holds bits 63-32); bit 3: prefetchable;
//!                            bits 31-4: address
//! ```
//!
//! The size is not stored anywhere: software writes all ones to the BAR and
//! reads it back. The device keeps the address bits it does not decode at
//! zero, so the value read back, with the kind bits masked off, is the
//! two's complement of the size. Then the original value is written back
//! (and memory decoding stays off while the BAR holds all ones, so the device
//! does not answer at a bogus address meanwhile).

use super::ConfigSpace;
use super::header::{COMMAND, COMMAND_MEMORY};

/// A configuration space that can also be written.
pub trait ConfigSpaceMut: ConfigSpace {
    fn write32(&self, offset: u8, value: u32);

    /// Writes the 16 bits at `offset` (even), keeping the other half.
    fn write16(&self, offset: u8, value: u16) {
        let shift = u32::from(offset & 2) * 8;
        let old = self.read32(offset & !3) & !(0xFFFF << shift);
        self.write32(offset & !3, old | (u32::from(value) << shift));
    }
}

const IO_SPACE: u16 = 1 << 0;

/// One decoded BAR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bar {
    Memory {
        address: u64,
        size: u64,
        prefetchable: bool,
        wide: bool,
    },
    Io {
        port: u32,
        size: u32,
    },
}

/// A BAR that cannot be used as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarError {
    /// A 64-bit BAR in the last slot: there is no register for its high half.
    NoHighHalf,
    /// Memory type 01 or 11, which PCI reserves.
    ReservedType,
    /// Reading back all ones gave a size that is not a power of two.
    OddSize,
}

/// What the BAR at `index` holds (its high half, for a 64-bit BAR, is
/// `index + 1`, which then holds no BAR of its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// Nothing: the device decodes no addresses here.
    Unused,
    Bar(Bar),
    /// The high half of the BAR before.
    HighHalf,
    Bad(BarError),
}

const fn offset(index: usize) -> u8 {
    0x10 + 4 * index as u8
}

/// Reads and sizes the first `count` BARs (at most 6), restoring each.
pub fn read_all(space: &impl ConfigSpaceMut, count: u8) -> [Slot; 6] {
    let mut slots = [Slot::Unused; 6];
    let count = usize::from(count.min(6));
    let command = space.read16(COMMAND);
    space.write16(COMMAND, command & !(COMMAND_MEMORY | IO_SPACE));
    let mut index = 0;
    while index < count {
        let low = space.read32(offset(index));
        let wide = low & 1 == 0 && (low >> 1) & 3 == 2;
        if wide && index + 1 >= count {
            slots[index] = Slot::Bad(BarError::NoHighHalf);
            break;
        }
        let high = wide.then(|| space.read32(offset(index + 1)));
        let probed_low = probe(space, offset(index), low);
        let probed_high = high.map(|high| probe(space, offset(index + 1), high));
        slots[index] = match decode(low, high, probed_low, probed_high) {
            Ok(Some(bar)) => Slot::Bar(bar),
            Ok(None) => Slot::Unused,
            Err(e) => Slot::Bad(e),
        };
        if wide {
            slots[index + 1] = Slot::HighHalf;
            index += 1;
        }
        index += 1;
    }
    space.write16(COMMAND, command);
    slots
}

/// Writes all ones at `at`, reads the result, puts `original` back.
fn probe(space: &impl ConfigSpaceMut, at: u8, original: u32) -> u32 {
    space.write32(at, 0xFFFF_FFFF);
    let probed = space.read32(at);
    space.write32(at, original);
    probed
}

/// Decodes a BAR from its value and what reading it back after writing all
/// ones gave (`high`/`probed_high`: the next register, for a 64-bit BAR).
/// `Ok(None)`: the BAR is not implemented (it reads back as zero).
pub fn decode(
    low: u32,
    high: Option<u32>,
    probed_low: u32,
    probed_high: Option<u32>,
) -> Result<Option<Bar>, BarError> {
    if low & 1 == 1 {
        let mask = probed_low & !3;
        // Only the low 16 bits of a port address exist on x86; devices may
        // leave the upper bits zero.
        let mask = if mask & 0xFFFF_0000 == 0 && mask != 0 {
            mask | 0xFFFF_0000
        } else {
            mask
        };
        if mask == 0 {
            return Ok(None);
        }
        let size = (!mask).wrapping_add(1);
        if !size.is_power_of_two() {
            return Err(BarError::OddSize);
        }
        return Ok(Some(Bar::Io {
            port: low & !3,
            size,
        }));
    }
    let wide = match (low >> 1) & 3 {
        0 => false,
        2 => true,
        _ => return Err(BarError::ReservedType),
    };
    let (address, mask) = match (wide, high, probed_high) {
        (true, Some(high), Some(probed_high)) => (
            u64::from(high) << 32 | u64::from(low & !0xF),
            u64::from(probed_high) << 32 | u64::from(probed_low & !0xF),
        ),
        (true, _, _) => return Err(BarError::NoHighHalf),
        (false, _, _) => (
            u64::from(low & !0xF),
            0xFFFF_FFFF_0000_0000 | u64::from(probed_low & !0xF),
        ),
    };
    if mask & 0xFFFF_FFFF == 0 && !wide || mask == 0 {
        return Ok(None);
    }
    let size = (!mask).wrapping_add(1);
    if !size.is_power_of_two() {
        return Err(BarError::OddSize);
    }
    Ok(Some(Bar::Memory {
        address,
        size,
        prefetchable: low & 8 != 0,
        wide,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::RefCell;
    use xorshift::XorShift64;

    /// A device whose BAR registers keep only the bits its sizes allow.
    struct Device {
        regs: RefCell<[u32; 64]>,
        /// Per BAR register: the bits that are writable.
        writable: [u32; 6],
    }

    impl ConfigSpace for Device {
        fn read32(&self, offset: u8) -> u32 {
            self.regs.borrow()[usize::from(offset) / 4]
        }
    }

    impl ConfigSpaceMut for Device {
        fn write32(&self, offset: u8, value: u32) {
            let i = usize::from(offset) / 4;
            let mut regs = self.regs.borrow_mut();
            if (4..10).contains(&i) {
                let w = self.writable[i - 4];
                regs[i] = (regs[i] & !w) | (value & w);
            } else {
                regs[i] = value;
            }
        }
    }

    /// Like QEMU's virtio-blk: an I/O BAR, a 32-bit MMIO BAR, a 64-bit prefetchable one.
    fn virtio_like() -> Device {
        let mut regs = [0; 64];
        regs[1] = 0x0010_0007; // command: io, memory, bus master
        regs[4] = 0xC041; // I/O, 64 ports at 0xC040
        regs[5] = 0xFEBD_1000; // 4 KiB of memory
        regs[8] = 0x0000_000C; // 64-bit prefetchable, 16 KiB ...
        regs[9] = 0x0000_0080; // ... at 0x80_0000_0000
        Device {
            regs: RefCell::new(regs),
            writable: [!0x3F & !3, !0xFFF, 0, 0, !0x3FFF, !0],
        }
    }

    #[test]
    fn sizes_io_32_and_64_bit_bars_and_restores_them() {
        let d = virtio_like();
        let before = *d.regs.borrow();
        let slots = read_all(&d, 6);
        assert_eq!(
            slots[0],
            Slot::Bar(Bar::Io {
                port: 0xC040,
                size: 64
            })
        );
        assert_eq!(
            slots[1],
            Slot::Bar(Bar::Memory {
                address: 0xFEBD_1000,
                size: 4096,
                prefetchable: false,
                wide: false
            })
        );
        assert_eq!(slots[2], Slot::Unused);
        assert_eq!(slots[3], Slot::Unused);
        assert_eq!(
            slots[4],
            Slot::Bar(Bar::Memory {
                address: 0x80_0000_0000,
                size: 0x4000,
                prefetchable: true,
                wide: true
            })
        );
        assert_eq!(slots[5], Slot::HighHalf);
        assert_eq!(*d.regs.borrow(), before, "every register restored");
    }

    #[test]
    fn a_64_bit_bar_in_the_last_slot_is_an_error() {
        let d = virtio_like();
        d.regs.borrow_mut()[8] = 0; // BAR 4: unused ...
        d.regs.borrow_mut()[9] = 0x4; // ... and BAR 5 claims 64 bits
        let slots = read_all(&d, 6);
        assert_eq!(slots[5], Slot::Bad(BarError::NoHighHalf));
        // A bridge has only two BARs: BAR 1 as 64-bit has no high half there.
        d.regs.borrow_mut()[5] = 0x4;
        assert_eq!(read_all(&d, 2)[1], Slot::Bad(BarError::NoHighHalf));
    }

    #[test]
    fn reserved_types_and_odd_sizes_are_errors() {
        assert_eq!(
            decode(0x2, None, 0xFFFF_F002, None),
            Err(BarError::ReservedType)
        );
        assert_eq!(decode(0x0, None, 0xFFFF_6000, None), Err(BarError::OddSize));
        assert_eq!(decode(0x0, None, 0, None), Ok(None));
    }

    /// Random register values and masks never panic, and a memory BAR that
    /// decodes has a power-of-two size.
    #[test]
    fn random_registers_never_panic() {
        let mut rng = XorShift64(0x5EED_0BA2);
        for _ in 0..100_000 {
            let words = [
                rng.next() as u32,
                rng.next() as u32,
                rng.next() as u32,
                rng.next() as u32,
            ];
            let high = (rng.below(2) == 0).then_some(words[1]);
            let probed_high = (rng.below(2) == 0).then_some(words[3]);
            if let Ok(Some(bar)) = decode(words[0], high, words[2], probed_high) {
                match bar {
                    Bar::Memory { size, .. } => assert!(size.is_power_of_two()),
                    Bar::Io { size, .. } => assert!(size.is_power_of_two()),
                }
            }
        }
        let d = Device {
            regs: RefCell::new([0; 64]),
            writable: [0; 6],
        };
        for _ in 0..10_000 {
            for i in 0..64 {
                d.regs.borrow_mut()[i] = rng.next() as u32;
            }
            let _ = read_all(&d, rng.below(8) as u8);
        }
    }
}
