//! The virtio-pci "modern" transport: a virtio device's registers in its
//! PCI BARs, and its interrupts as MSI-X messages.
//!
//! The `virtio` crate finds, in the capability list, which BAR holds each
//! register block (common configuration, notify, ISR, device configuration);
//! [`Transport::new`] sizes the BARs, maps those blocks uncached
//! (`memory::mmio`) and turns on memory decoding and bus mastering (the
//! device reads and writes our RAM: the queues).
//!
//! **Interrupts.** Rather than the shared legacy INTx line (whose routing
//! through the I/O APIC needs the ACPI `_PRT` tables), we use MSI-X: the
//! device interrupts by *writing a message* (a 32-bit value to an address)
//! that the CPU's local APIC understands as "raise this vector". The MSI-X
//! capability says where the device's table of messages is (a BAR and an
//! offset); entry `n` is 16 bytes: address low, address high, data, control
//! (bit 0 masks the entry). For x86 the address is `0xFEE0_0000 | apic_id
//! << 12` and the data is the vector (fixed delivery, edge-triggered). The
//! virtio common configuration then says which entry each queue uses.
//!
//! **Start-up** (virtio 1.0, 3.1.1): reset (status 0), ACKNOWLEDGE, DRIVER,
//! read the device's features, write the subset we accept, FEATURES_OK and
//! check the device kept it, set up the queues, DRIVER_OK.

use super::pci::{Config, Function};
use crate::arch::apic;
use crate::memory::mmio::{self, MmioError};
use pci::bar::{self, Bar, ConfigSpaceMut, Slot};
use pci::capability::ID_MSIX;
use pci::header::{COMMAND, COMMAND_BUS_MASTER, COMMAND_INTX_DISABLE, COMMAND_MEMORY};
use pci::{Capabilities, ConfigSpace};
use virtio::pci_cap::{Layout, LayoutError, Region, common};
use virtio::{feature, status};
use x86_64::{PhysAddr, VirtAddr};

/// Why a device could not be set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportError {
    Layout(LayoutError),
    /// A register block's BAR is missing, not memory, or too small.
    Bar(u8),
    Map(MmioError),
    /// No MSI-X capability (or an empty table).
    NoMsix,
    /// The device did not come out of reset.
    StuckInReset,
    /// The device lacks a feature we need.
    MissingFeature(&'static str),
    /// The device refused the features we accepted.
    FeaturesRefused,
    /// The queue does not exist, or the device refused its MSI-X entry.
    Queue(&'static str),
}

impl core::fmt::Display for TransportError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            TransportError::Layout(e) => write!(f, "{e}"),
            TransportError::Bar(n) => write!(f, "BAR {n} is missing, not memory, or too small"),
            TransportError::Map(e) => write!(f, "cannot map the registers: {e:?}"),
            TransportError::NoMsix => write!(f, "no MSI-X capability"),
            TransportError::StuckInReset => write!(f, "the device did not reset"),
            TransportError::MissingFeature(what) => write!(f, "the device lacks {what}"),
            TransportError::FeaturesRefused => write!(f, "the device refused our features"),
            TransportError::Queue(why) => write!(f, "queue set-up failed: {why}"),
        }
    }
}

/// A window of device registers, accessed with volatile loads and stores.
#[derive(Clone, Copy, Debug)]
struct Regs(VirtAddr);

impl Regs {
    fn ptr<T>(&self, offset: usize) -> *mut T {
        (self.0 + offset as u64).as_mut_ptr()
    }
    fn read8(&self, offset: usize) -> u8 {
        // SAFETY: `offset` lies in a register block mapped uncached by
        // `Transport::new` (offsets are the spec's, inside the block's length).
        unsafe { self.ptr::<u8>(offset).read_volatile() }
    }
    fn read16(&self, offset: usize) -> u16 {
        // SAFETY: as in `read8`; the offset is 2-aligned.
        unsafe { self.ptr::<u16>(offset).read_volatile() }
    }
    fn read32(&self, offset: usize) -> u32 {
        // SAFETY: as in `read8`; the offset is 4-aligned.
        unsafe { self.ptr::<u32>(offset).read_volatile() }
    }
    fn write8(&self, offset: usize, value: u8) {
        // SAFETY: as in `read8`; writes to these registers only steer the
        // device, which reaches only the memory we give it.
        unsafe { self.ptr::<u8>(offset).write_volatile(value) }
    }
    fn write16(&self, offset: usize, value: u16) {
        // SAFETY: as in `write8`.
        unsafe { self.ptr::<u16>(offset).write_volatile(value) }
    }
    fn write32(&self, offset: usize, value: u32) {
        // SAFETY: as in `write8`.
        unsafe { self.ptr::<u32>(offset).write_volatile(value) }
    }
    fn write64(&self, offset: usize, value: u64) {
        self.write32(offset, value as u32);
        self.write32(offset + 4, (value >> 32) as u32);
    }
}

/// A started virtio-pci device's registers.
pub struct Transport {
    common: Regs,
    notify: Regs,
    notify_multiplier: u32,
    device: Regs,
    device_length: u32,
    msix_table: Regs,
    msix_entries: u16,
}

/// Where to write to tell the device that a queue has new buffers: the
/// queue's offset in the notify region, read once when the queue is set up
/// (each register access is a trip into the emulator, so a notify is one
/// write, not a select, a read and a write).
#[derive(Clone, Copy, Debug)]
pub struct Doorbell {
    at: usize,
    index: u16,
}

/// Where a queue's three areas are in physical memory.
#[derive(Clone, Copy, Debug)]
pub struct QueueMemory {
    pub descriptors: PhysAddr,
    pub available: PhysAddr,
    pub used: PhysAddr,
}

impl Transport {
    /// Maps the device's register blocks and MSI-X table, and lets it access
    /// memory. See the module docs.
    pub fn new(function: &Function) -> Result<Transport, TransportError> {
        let config = function.config();
        let layout = Layout::find(&config, &function.header).map_err(TransportError::Layout)?;
        let bars = bar::read_all(&config, function.header.bar_count());
        let map = |region: Region| -> Result<Regs, TransportError> {
            let Slot::Bar(Bar::Memory { address, size, .. }) = bars[usize::from(region.bar)] else {
                return Err(TransportError::Bar(region.bar));
            };
            if !region.fits_in(size) || address == 0 {
                return Err(TransportError::Bar(region.bar));
            }
            let start = PhysAddr::try_new(address + u64::from(region.offset))
                .map_err(|_| TransportError::Bar(region.bar))?;
            mmio::map(start, u64::from(region.length))
                .map(Regs)
                .map_err(TransportError::Map)
        };
        let (msix_region, msix_entries) = msix_table(&config, function)?;
        let transport = Transport {
            common: map(layout.common)?,
            notify: map(layout.notify)?,
            notify_multiplier: layout.notify_multiplier,
            device: map(layout.device)?,
            device_length: layout.device.length,
            msix_table: map(msix_region)?,
            msix_entries,
        };
        let command = config.read16(COMMAND);
        config.write16(
            COMMAND,
            command | COMMAND_MEMORY | COMMAND_BUS_MASTER | COMMAND_INTX_DISABLE,
        );
        Ok(transport)
    }

    /// Resets the device and negotiates features: `wanted` are those we can
    /// use (VERSION_1 is required); returns the ones both sides have.
    pub fn negotiate(&self, wanted: u64) -> Result<u64, TransportError> {
        self.common.write8(common::DEVICE_STATUS, 0);
        if !(0..1_000_000).any(|_| self.common.read8(common::DEVICE_STATUS) == 0) {
            return Err(TransportError::StuckInReset);
        }
        self.add_status(status::ACKNOWLEDGE | status::DRIVER);
        let mut offered = 0u64;
        for half in 0..2u32 {
            self.common.write32(common::DEVICE_FEATURE_SELECT, half);
            offered |= u64::from(self.common.read32(common::DEVICE_FEATURE)) << (32 * half);
        }
        if offered & feature::VERSION_1 == 0 {
            self.fail();
            return Err(TransportError::MissingFeature("VERSION_1 (virtio 1.0)"));
        }
        let accepted = offered & (wanted | feature::VERSION_1);
        for half in 0..2u32 {
            self.common.write32(common::DRIVER_FEATURE_SELECT, half);
            self.common
                .write32(common::DRIVER_FEATURE, (accepted >> (32 * half)) as u32);
        }
        self.add_status(status::FEATURES_OK);
        if self.common.read8(common::DEVICE_STATUS) & status::FEATURES_OK == 0 {
            self.fail();
            return Err(TransportError::FeaturesRefused);
        }
        Ok(accepted)
    }

    /// The size queue `index` can have (0: no such queue).
    pub fn queue_max_size(&self, index: u16) -> u16 {
        self.common.write16(common::QUEUE_SELECT, index);
        self.common.read16(common::QUEUE_SIZE)
    }

    /// Gives queue `index` its `size` (at most the maximum) and memory,
    /// makes it interrupt through MSI-X entry `msix_entry`, and enables it;
    /// returns its doorbell for [`notify`](Self::notify).
    pub fn setup_queue(
        &self,
        index: u16,
        size: u16,
        memory: QueueMemory,
        msix_entry: u16,
    ) -> Result<Doorbell, TransportError> {
        if msix_entry >= self.msix_entries {
            return Err(TransportError::Queue("no such MSI-X entry"));
        }
        let c = &self.common;
        c.write16(common::QUEUE_SELECT, index);
        c.write16(common::QUEUE_SIZE, size);
        c.write16(common::MSIX_CONFIG, common::NO_VECTOR);
        c.write16(common::QUEUE_MSIX_VECTOR, msix_entry);
        if c.read16(common::QUEUE_MSIX_VECTOR) != msix_entry {
            return Err(TransportError::Queue("the device refused the MSI-X entry"));
        }
        c.write64(common::QUEUE_DESC, memory.descriptors.as_u64());
        c.write64(common::QUEUE_DRIVER, memory.available.as_u64());
        c.write64(common::QUEUE_DEVICE, memory.used.as_u64());
        c.write16(common::QUEUE_ENABLE, 1);
        let offset = c.read16(common::QUEUE_NOTIFY_OFF);
        Ok(Doorbell {
            at: usize::from(offset) * self.notify_multiplier as usize,
            index,
        })
    }

    /// Makes MSI-X entry `entry` raise `vector` on this CPU, unmasked.
    pub fn route_msix(&self, entry: u16, vector: u8) {
        let at = usize::from(entry) * 16;
        let address = 0xFEE0_0000 | u32::from(apic::id()) << 12;
        self.msix_table.write32(at, address);
        self.msix_table.write32(at + 4, 0);
        self.msix_table.write32(at + 8, u32::from(vector));
        self.msix_table.write32(at + 12, 0);
    }

    /// Tells the device the driver is ready: it may use the queues now.
    pub fn driver_ok(&self) {
        self.add_status(status::DRIVER_OK);
    }

    /// Tells the device that the queue of `bell` has new available buffers.
    pub fn notify(&self, bell: Doorbell) {
        self.notify.write16(bell.at, bell.index);
    }

    /// A 64-bit field of the device configuration (two 32-bit reads; `None`
    /// past the block's end).
    pub fn device_config_u64(&self, offset: usize) -> Option<u64> {
        if offset + 8 > self.device_length as usize {
            return None;
        }
        let low = u64::from(self.device.read32(offset));
        Some(low | u64::from(self.device.read32(offset + 4)) << 32)
    }

    fn add_status(&self, bits: u8) {
        let now = self.common.read8(common::DEVICE_STATUS);
        self.common.write8(common::DEVICE_STATUS, now | bits);
    }

    fn fail(&self) {
        self.add_status(status::FAILED);
    }
}

/// Finds the MSI-X table (as a register block) and its size, and enables
/// MSI-X with every entry masked until routed.
fn msix_table(config: &Config, function: &Function) -> Result<(Region, u16), TransportError> {
    let cap = Capabilities::new(config, &function.header)
        .find(|c| c.id == ID_MSIX)
        .ok_or(TransportError::NoMsix)?;
    let control = config.read16(cap.offset + 2);
    let entries = (control & 0x7FF) + 1;
    let table = config.read32(cap.offset + 4);
    let region = Region {
        bar: (table & 7) as u8,
        offset: table & !7,
        length: u32::from(entries) * 16,
    };
    if region.bar > 5 {
        return Err(TransportError::NoMsix);
    }
    // Enable (bit 15), function mask off (bit 14).
    config.write16(cap.offset + 2, (control | 1 << 15) & !(1 << 14));
    Ok((region, entries))
}
