//! ACPI: the firmware's description of the machine, read through the MADT and FADT.
//!
//! The bootloader hands us the physical address of the RSDP ("root system
//! description pointer"), which points at a list (RSDT or XSDT) of tables, each
//! starting with a 4-letter signature. We use two:
//! - the MADT ("APIC"): where the local APIC and the I/O APICs are, and
//!   *interrupt source overrides*, which say that a legacy ISA IRQ arrives at a
//!   different I/O APIC input or with a different polarity/trigger than the
//!   default (on QEMU, the PIT's IRQ 0 comes in on input 2). It also lists one
//!   local APIC per CPU, which is how we count the CPUs;
//! - the FADT ("FACP"): the power-management registers and the DSDT, used by
//!   `power.rs` to switch the machine off, and the *PM timer*, a counter at
//!   3.579545 MHz that `time.rs` uses to measure the TSC precisely.
//!
//! The `acpi` crate (without its allocating parts) validates and walks the tables;
//! it asks us, through [`Handler`], to make physical memory readable. The
//! physical-memory window may not reach the tables (under a BIOS they lie in
//! reserved ranges, which our loaders leave out of it), so each request maps
//! its pages read-only in the kernel's own window (`memory::mmio`), until the
//! crate is done with them. The DSDT, read again at power-off, stays mapped.

use crate::memory::mmio;
use acpi::fadt::Fadt;
use acpi::madt::{Madt, MadtEntry};
use acpi::{AcpiHandler, AcpiTables, PhysicalMapping};
use core::ptr::NonNull;
use spin::Once;
use x86_64::{PhysAddr, VirtAddr};

/// Maps firmware tables read-only while the `acpi` crate reads them.
#[derive(Clone, Copy, Debug)]
pub struct Handler;

impl AcpiHandler for Handler {
    unsafe fn map_physical_region<T>(
        &self,
        physical: usize,
        size: usize,
    ) -> PhysicalMapping<Self, T> {
        let virt = map_table(PhysAddr::new(physical as u64), size as u64).as_mut_ptr::<T>();
        // SAFETY: the region is mapped readable just above; the acpi crate
        // only reads tables the firmware placed there.
        unsafe {
            PhysicalMapping::new(
                physical,
                NonNull::new(virt).expect("non-null"),
                size,
                size,
                *self,
            )
        }
    }

    fn unmap_physical_region<T>(region: &PhysicalMapping<Self, T>) {
        let virt = VirtAddr::from_ptr(region.virtual_start().as_ptr());
        // SAFETY: `map_physical_region` mapped this, and the crate drops the
        // mapping only when it is done with it.
        unsafe { mmio::unmap(virt, region.mapped_length() as u64) }
    }
}

/// Maps `length` bytes of firmware tables at `start`; the table's address.
/// Only fails when the kernel has no memory left for page tables.
fn map_table(start: PhysAddr, length: u64) -> VirtAddr {
    mmio::map_firmware(start, length).unwrap_or_else(|e| {
        panic!("cannot map the ACPI table at {start:#x} ({length} bytes): {e:?}")
    })
}

/// An ISA IRQ's route to the I/O APIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqRoute {
    /// The global system interrupt: the I/O APIC input.
    pub gsi: u32,
    pub active_low: bool,
    pub level_triggered: bool,
}

/// What we learned from the tables.
#[derive(Clone, Copy, Debug)]
pub struct Platform {
    pub local_apic: PhysAddr,
    pub io_apic: PhysAddr,
    pub io_apic_gsi_base: u32,
    /// Routes of ISA IRQs 0-15 (identity, edge, active high unless overridden).
    pub isa_routes: [IrqRoute; 16],
    /// The FADT's PM1a control register (an I/O port), if any.
    pub pm1a_control: Option<u16>,
    /// The DSDT's AML bytecode (physical address and length).
    pub dsdt: Option<(PhysAddr, u32)>,
    /// The FADT's PM timer: its I/O port and width in bits (24 or 32).
    pub pm_timer: Option<(u16, u32)>,
    /// CPUs the MADT lists as enabled (local APIC or x2APIC entries).
    pub cpus: u32,
    /// CPUs it lists as disabled but possible to bring online later.
    pub cpus_online_capable: u32,
}

static PLATFORM: Once<Platform> = Once::new();
/// The DSDT's bytes, mapped for good by [`init`].
static DSDT: Once<&'static [u8]> = Once::new();

/// Why ACPI could not be used.
#[derive(Debug)]
pub enum Error {
    NoRsdp,
    Tables(acpi::AcpiError),
    NoIoApic,
}

/// Reads the MADT and FADT from the RSDP the bootloader found. Call once,
/// after `memory::init` (for the physical-memory window), before `irq::init`.
pub fn init(boot_info: &bootloader_api::BootInfo) -> Result<&'static Platform, Error> {
    let rsdp = boot_info.rsdp_addr.into_option().ok_or(Error::NoRsdp)?;
    // SAFETY: the bootloader found the RSDP at this physical address.
    let tables = unsafe { AcpiTables::from_rsdp(Handler, rsdp as usize) }.map_err(Error::Tables)?;
    let madt = tables.find_table::<Madt>().map_err(Error::Tables)?;
    let mut platform = Platform {
        local_apic: PhysAddr::new(u64::from(madt.get().local_apic_address)),
        io_apic: PhysAddr::zero(),
        io_apic_gsi_base: 0,
        isa_routes: core::array::from_fn(|irq| IrqRoute {
            gsi: irq as u32,
            active_low: false,
            level_triggered: false,
        }),
        pm1a_control: None,
        dsdt: None,
        pm_timer: None,
        cpus: 0,
        cpus_online_capable: 0,
    };
    for entry in madt.get().entries() {
        match entry {
            MadtEntry::IoApic(io) if platform.io_apic.is_null() => {
                platform.io_apic = PhysAddr::new(u64::from(io.io_apic_address));
                platform.io_apic_gsi_base = io.global_system_interrupt_base;
            }
            MadtEntry::InterruptSourceOverride(o) if o.bus == 0 && o.irq < 16 => {
                let flags = o.flags;
                platform.isa_routes[usize::from(o.irq)] = IrqRoute {
                    gsi: o.global_system_interrupt,
                    // Polarity bits 0-1 and trigger bits 2-3: 0b11 means active
                    // low / level; 0b00 means "as the bus says" (ISA: high, edge).
                    active_low: flags & 0b11 == 0b11,
                    level_triggered: (flags >> 2) & 0b11 == 0b11,
                };
            }
            MadtEntry::LocalApicAddressOverride(o) => {
                platform.local_apic = PhysAddr::new(o.local_apic_address)
            }
            MadtEntry::LocalApic(cpu) => count_cpu(&mut platform, cpu.flags),
            MadtEntry::LocalX2Apic(cpu) => count_cpu(&mut platform, cpu.flags),
            _ => {}
        }
    }
    if platform.io_apic.is_null() {
        return Err(Error::NoIoApic);
    }
    if let Ok(fadt) = tables.find_table::<Fadt>() {
        platform.pm1a_control = fadt
            .pm1a_control_block()
            .ok()
            .filter(|b| b.address_space == acpi::address::AddressSpace::SystemIo)
            .map(|b| b.address as u16);
        let flags = fadt.flags; // (a copy: the table is packed)
        let bits = if flags.pm_timer_is_32_bit() { 32 } else { 24 };
        platform.pm_timer = fadt
            .pm_timer_block()
            .ok()
            .flatten()
            .filter(|b| b.address_space == acpi::address::AddressSpace::SystemIo)
            .map(|b| (b.address as u16, bits));
    }
    if let Ok(dsdt) = tables.dsdt() {
        let (address, length) = (PhysAddr::new(dsdt.address as u64), dsdt.length);
        platform.dsdt = Some((address, length));
        let start = map_table(address, u64::from(length)).as_ptr::<u8>();
        // SAFETY: the DSDT is firmware memory, mapped just above and never
        // unmapped or written.
        DSDT.call_once(|| unsafe { core::slice::from_raw_parts(start, length as usize) });
    }
    Ok(PLATFORM.call_once(|| platform))
}

/// Counts a MADT processor entry by its flags: bit 0 "enabled", bit 1
/// "online capable" (may be enabled later).
fn count_cpu(platform: &mut Platform, flags: u32) {
    if flags & 1 != 0 {
        platform.cpus += 1;
    } else if flags & 2 != 0 {
        platform.cpus_online_capable += 1;
    }
}

/// Reads the PM timer's counter (`None` without one).
pub fn read_pm_timer() -> Option<u32> {
    let (port, _) = platform()?.pm_timer?;
    // SAFETY: the FADT names this I/O port as the PM timer, a read-only
    // counter; reading it changes nothing.
    Some(unsafe { x86_64::instructions::port::Port::<u32>::new(port).read() })
}

/// What [`init`] found, if it succeeded.
pub fn platform() -> Option<&'static Platform> {
    PLATFORM.get()
}

/// The DSDT's AML bytes.
pub fn dsdt_bytes() -> Option<&'static [u8]> {
    DSDT.get().copied()
}
