//! PCI configuration space through I/O ports 0xCF8/0xCFC, and the bus scan.
//!
//! The PC's original way to reach configuration space ("mechanism #1"):
//! write an address to port 0xCF8, then read or write the dword at port
//! 0xCFC.
//!
//! ```text
//! 0xCF8: bit 31 enable | bits 23-16 bus | 15-11 device | 10-8 function
//!        | bits 7-2 register (dword offset)
//! ```
//!
//! The two accesses must not be separated by another pair, so they happen
//! under one lock with interrupts off. What the dwords mean is decoded by the
//! `pci` crate (host-tested); this file only moves them.
//!
//! [`scan`] starts at bus 0 and tries its 32 devices (functions 1-7 only
//! where function 0 says the device has several), then follows each
//! PCI-to-PCI bridge to the bus behind it. `pci` prints how long its scan
//! took: 0.5 ms when repeated under QEMU TCG (11 ms the first time, while
//! QEMU translates the code). Trying all 256 buses instead, 8,192 reads of
//! a vendor id, took 13 to 55 ms. A machine with
//! several host bridges (buses not reachable from bus 0) would need the
//! ACPI tables to find them; QEMU's `pc` machine has one.

use crate::sync::IrqMutex;
use alloc::vec::Vec;
use pci::bar::ConfigSpaceMut;
use pci::{Address, ConfigSpace, Header, HeaderKind};
use x86_64::instructions::port::Port;

const ADDRESS_PORT: u16 = 0xCF8;
const DATA_PORT: u16 = 0xCFC;
/// A bridge header's secondary bus number.
const SECONDARY_BUS: u8 = 0x19;

/// Serialises address/data pairs.
static PORTS: IrqMutex<()> = IrqMutex::new(());

/// One function's configuration space, reached through the ports.
#[derive(Clone, Copy, Debug)]
pub struct Config(pub Address);

impl Config {
    fn select(&self, offset: u8) {
        let a = self.0;
        let address = 1 << 31
            | u32::from(a.bus) << 16
            | u32::from(a.device & 0x1F) << 11
            | u32::from(a.function & 7) << 8
            | u32::from(offset & 0xFC);
        // SAFETY: port 0xCF8 is the PCI configuration address register;
        // selecting an address has no effect of its own.
        unsafe { Port::new(ADDRESS_PORT).write(address) }
    }
}

impl ConfigSpace for Config {
    fn read32(&self, offset: u8) -> u32 {
        let _ports = PORTS.lock();
        self.select(offset);
        // SAFETY: reading configuration data changes nothing in the device
        // (no register in the standard header or capabilities is
        // read-to-clear).
        unsafe { Port::new(DATA_PORT).read() }
    }
}

impl ConfigSpaceMut for Config {
    fn write32(&self, offset: u8, value: u32) {
        let _ports = PORTS.lock();
        self.select(offset);
        // SAFETY: configuration writes only come from this module's users,
        // which change their own device's registers (BAR sizing, command,
        // MSI-X control).
        unsafe { Port::new(DATA_PORT).write(value) }
    }
}

/// A function found by [`scan`].
#[derive(Clone, Copy, Debug)]
pub struct Function {
    pub address: Address,
    pub header: Header,
}

impl Function {
    pub fn config(&self) -> Config {
        Config(self.address)
    }
}

/// Every function reachable from bus 0, in address order.
pub fn scan() -> Vec<Function> {
    let mut found = Vec::new();
    let mut scanned = [false; 256];
    scan_bus(0, &mut scanned, &mut found);
    found.sort_by_key(|f| f.address);
    found
}

/// Scans `bus`, then the bus behind each PCI-to-PCI bridge on it (its
/// secondary bus number, at 0x19); each bus once, so a bridge that names an
/// earlier bus cannot make the scan loop.
fn scan_bus(bus: u8, scanned: &mut [bool; 256], found: &mut Vec<Function>) {
    if core::mem::replace(&mut scanned[usize::from(bus)], true) {
        return;
    }
    for device in 0..32u8 {
        for function in 0..8u8 {
            let address = Address {
                bus,
                device,
                function,
            };
            let Some(header) = Header::read(&Config(address)) else {
                if function == 0 {
                    break;
                }
                continue;
            };
            found.push(Function { address, header });
            if header.kind == HeaderKind::Bridge {
                let secondary = Config(address).read8(SECONDARY_BUS);
                scan_bus(secondary, scanned, found);
            }
            if function == 0 && !header.multi_function {
                break;
            }
        }
    }
}
