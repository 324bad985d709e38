//! virtio 1.0, the parts that are pure logic.
//!
//! A virtio device (a disk, a network card, ... as QEMU and other hypervisors
//! offer them) talks to its driver through shared memory: *virtqueues*, rings
//! of buffer descriptors in guest RAM that both sides read and write, plus a
//! few registers. Over PCI ("virtio-pci modern") those registers sit in BARs
//! that vendor-specific capabilities point at ([`pci_cap`]). The queue
//! protocol is in [`queue`] and the block device's requests in [`blk`].
//!
//! The kernel's driver does the memory-mapped accesses; everything here is
//! decisions on numbers, tested on the host. Numbers read from a device are
//! untrusted: a bad one is an error, never a panic.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

pub mod blk;
pub mod pci_cap;
pub mod queue;

/// Device status bits (the `device_status` register), set by the driver in
/// this order as initialisation goes on.
pub mod status {
    /// The driver has noticed the device.
    pub const ACKNOWLEDGE: u8 = 1;
    /// The driver knows how to drive it.
    pub const DRIVER: u8 = 2;
    /// The driver is ready: the device may use its queues.
    pub const DRIVER_OK: u8 = 4;
    /// Feature negotiation is done (the device clears it if it disagrees).
    pub const FEATURES_OK: u8 = 8;
    /// The device has given up (set by the device).
    pub const NEEDS_RESET: u8 = 64;
    /// The driver has given up.
    pub const FAILED: u8 = 128;
}

/// Feature bits common to all devices.
pub mod feature {
    /// The device follows virtio 1.0 (not the legacy interface): required.
    pub const VERSION_1: u64 = 1 << 32;
}

/// The PCI vendor id of virtio devices.
pub const PCI_VENDOR: u16 = 0x1AF4;

/// Whether a PCI device id is a virtio block device: 0x1001 (transitional,
/// with the legacy interface too) or 0x1040 + 2 (modern only).
pub fn is_block_device(device_id: u16) -> bool {
    device_id == 0x1001 || device_id == 0x1042
}
