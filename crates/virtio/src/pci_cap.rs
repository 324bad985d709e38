//! Where a virtio device's registers are: its vendor-specific capabilities.
//!
//! A modern virtio-pci device lists, in its PCI capability list, one
//! vendor-specific capability (id 0x09) per register block:
//!
//! ```text
//! +0 cap id 0x09   +1 next   +2 cap length   +3 cfg type
//! +4 bar           +5 id     +6 padding (2)
//! +8 offset in the BAR (u32)                +12 length (u32)
//! +16 notify-offset multiplier (u32, notify capability only)
//! ```
//!
//! The types the driver needs: *common* configuration (feature bits, device
//! status, queue set-up, layout in [`common`]), *notify* (where writing a
//! queue's number tells the device to look at it), *ISR* status (for legacy
//! interrupts) and the *device-specific* configuration (for a disk, its
//! capacity). A device may list a type twice; the first usable one counts.

use pci::{Capabilities, ConfigSpace, Header};

const TYPE_COMMON: u8 = 1;
const TYPE_NOTIFY: u8 = 2;
const TYPE_ISR: u8 = 3;
const TYPE_DEVICE: u8 = 4;

/// One register block: `length` bytes at `offset` in BAR `bar`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub bar: u8,
    pub offset: u32,
    pub length: u32,
}

impl Region {
    /// Whether the block lies inside a BAR of `bar_size` bytes.
    pub fn fits_in(&self, bar_size: u64) -> bool {
        u64::from(self.offset) + u64::from(self.length) <= bar_size
    }
}

/// The register blocks a driver needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub common: Region,
    pub notify: Region,
    /// Queue `q`'s notify register is at `notify.offset + q_notify_off *
    /// notify_multiplier`.
    pub notify_multiplier: u32,
    pub isr: Region,
    pub device: Region,
}

/// What is missing or wrong in the capabilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// No (usable) capability of this type: not a modern virtio device.
    Missing(&'static str),
}

impl core::fmt::Display for LayoutError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LayoutError::Missing(what) => {
                write!(
                    f,
                    "no usable virtio {what} capability (not a virtio 1.0 device?)"
                )
            }
        }
    }
}

impl Layout {
    /// Finds the four register blocks in the capability list.
    pub fn find(space: &impl ConfigSpace, header: &Header) -> Result<Layout, LayoutError> {
        let mut common = None;
        let mut notify = None;
        let mut isr = None;
        let mut device = None;
        for cap in Capabilities::new(space, header) {
            if cap.id != pci::capability::ID_VENDOR {
                continue;
            }
            let at = cap.offset;
            let length = space.read8(at + 2);
            let bar = space.read8(at + 4);
            // A block in a BAR that does not exist, or a capability too short
            // for its fields, is skipped.
            if length < 16 || bar > 5 || at > 0xFF - 16 {
                continue;
            }
            let region = Region {
                bar,
                offset: space.read32(at + 8),
                length: space.read32(at + 12),
            };
            let slot = match space.read8(at + 3) {
                TYPE_COMMON => &mut common,
                TYPE_ISR => &mut isr,
                TYPE_DEVICE => &mut device,
                TYPE_NOTIFY if length >= 20 && at <= 0xFF - 20 => {
                    let multiplier = space.read32(at + 16);
                    if notify.is_none() {
                        notify = Some((region, multiplier));
                    }
                    continue;
                }
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(region);
            }
        }
        let (notify, notify_multiplier) = notify.ok_or(LayoutError::Missing("notify"))?;
        Ok(Layout {
            common: common.ok_or(LayoutError::Missing("common configuration"))?,
            notify,
            notify_multiplier,
            isr: isr.ok_or(LayoutError::Missing("ISR"))?,
            device: device.ok_or(LayoutError::Missing("device configuration"))?,
        })
    }
}

/// Offsets of the common configuration's registers (virtio 1.0, 4.1.4.3).
pub mod common {
    /// u32: selects which 32 feature bits `DEVICE_FEATURE` shows.
    pub const DEVICE_FEATURE_SELECT: usize = 0x00;
    pub const DEVICE_FEATURE: usize = 0x04;
    pub const DRIVER_FEATURE_SELECT: usize = 0x08;
    pub const DRIVER_FEATURE: usize = 0x0C;
    /// u16: the MSI-X vector for configuration changes.
    pub const MSIX_CONFIG: usize = 0x10;
    pub const NUM_QUEUES: usize = 0x12;
    /// u8
    pub const DEVICE_STATUS: usize = 0x14;
    pub const CONFIG_GENERATION: usize = 0x15;
    /// u16: selects the queue the `QUEUE_*` registers below show.
    pub const QUEUE_SELECT: usize = 0x16;
    /// u16: the queue's size (the device's maximum; the driver may lower it).
    pub const QUEUE_SIZE: usize = 0x18;
    pub const QUEUE_MSIX_VECTOR: usize = 0x1A;
    pub const QUEUE_ENABLE: usize = 0x1C;
    pub const QUEUE_NOTIFY_OFF: usize = 0x1E;
    /// u64 each: physical addresses of the three rings.
    pub const QUEUE_DESC: usize = 0x20;
    pub const QUEUE_DRIVER: usize = 0x28;
    pub const QUEUE_DEVICE: usize = 0x30;
    /// The block's length.
    pub const SIZE: u32 = 0x38;
    /// "No MSI-X vector" in `MSIX_CONFIG` and `QUEUE_MSIX_VECTOR`.
    pub const NO_VECTOR: u16 = 0xFFFF;
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Space([u8; 256]);

    impl ConfigSpace for Space {
        fn read32(&self, offset: u8) -> u32 {
            let o = usize::from(offset);
            u32::from_le_bytes(self.0[o..o + 4].try_into().unwrap())
        }
    }

    fn cap(s: &mut Space, at: usize, next: u8, kind: u8, bar: u8, offset: u32, len: u8) {
        s.0[at] = 0x09;
        s.0[at + 1] = next;
        s.0[at + 2] = len;
        s.0[at + 3] = kind;
        s.0[at + 4] = bar;
        s.0[at + 8..at + 12].copy_from_slice(&offset.to_le_bytes());
        s.0[at + 12..at + 16].copy_from_slice(&0x1000u32.to_le_bytes());
    }

    /// The capabilities QEMU's virtio-blk-pci shows (plus MSI-X first).
    fn qemu_like() -> Space {
        let mut s = Space([0; 256]);
        s.0[0..4].copy_from_slice(&0x1042_1AF4u32.to_le_bytes());
        s.0[6] = 1 << 4;
        s.0[0x34] = 0x98;
        s.0[0x98] = 0x11;
        s.0[0x99] = 0x84;
        cap(&mut s, 0x84, 0x74, 5, 0, 0, 20); // pci cfg access: ignored
        cap(&mut s, 0x74, 0x60, 4, 4, 0x3000, 16);
        cap(&mut s, 0x60, 0x50, 2, 4, 0x2000, 20);
        s.0[0x60 + 16..0x60 + 20].copy_from_slice(&4u32.to_le_bytes());
        cap(&mut s, 0x50, 0x40, 3, 4, 0x1000, 16);
        cap(&mut s, 0x40, 0x00, 1, 4, 0x0000, 16);
        s
    }

    #[test]
    fn finds_the_four_blocks() {
        let s = qemu_like();
        let h = Header::read(&s).unwrap();
        let l = Layout::find(&s, &h).unwrap();
        assert_eq!(
            l.common,
            Region {
                bar: 4,
                offset: 0,
                length: 0x1000
            }
        );
        assert_eq!(l.isr.offset, 0x1000);
        assert_eq!((l.notify.offset, l.notify_multiplier), (0x2000, 4));
        assert_eq!(l.device.offset, 0x3000);
        assert!(l.common.fits_in(0x4000) && !l.device.fits_in(0x3FFF));
    }

    #[test]
    fn missing_or_bad_blocks_are_errors() {
        let mut s = qemu_like();
        s.0[0x40 + 4] = 6; // common configuration in BAR 6, which does not exist
        let h = Header::read(&s).unwrap();
        assert_eq!(
            Layout::find(&s, &h),
            Err(LayoutError::Missing("common configuration"))
        );
        let mut s = qemu_like();
        s.0[0x60 + 2] = 16; // notify too short for its multiplier
        assert_eq!(Layout::find(&s, &h), Err(LayoutError::Missing("notify")));
    }
}
