//! Setting up the interrupt controllers, and routing device lines to vectors.
//!
//! Three kinds of chip are involved on a PC:
//! - the two legacy 8259 PICs, which we remap and mask (`pic.rs`);
//! - the local APIC in the CPU, which delivers interrupts to it and has the timer
//!   (`apic.rs`);
//! - the I/O APIC, which turns device lines into messages to a local APIC
//!   (`ioapic.rs`).
//!
//! Where the APICs are and how legacy IRQs are wired comes from the ACPI MADT
//! (`acpi.rs`). This is the same code under BIOS and UEFI: only the MADT tells
//! the machines apart.
//!
//! The vector map (higher vectors have higher priority in the APIC):
//!
//! | vectors   | use                                         |
//! |-----------|---------------------------------------------|
//! | 0x00-0x1F | CPU exceptions                              |
//! | 0x20-0x2F | ISA IRQs 0-15 through the I/O APIC          |
//! | 0x30      | local APIC timer                            |
//! | 0x31      | self-IPI for the interrupt round-trip bench |
//! | 0x40      | the virtio disk (MSI-X)                     |
//! | 0xE0-0xEF | the masked 8259s (only spurious IRQs)       |
//! | 0xFF      | local APIC spurious interrupt               |

use super::{acpi, apic, ioapic, pic};
use crate::memory::mmio;
use x86_64::{PhysAddr, VirtAddr};

/// The vector of ISA IRQ `irq`.
pub const fn isa_vector(irq: u8) -> u8 {
    0x20 + irq
}

/// The local APIC timer's vector.
pub const TIMER_VECTOR: u8 = 0x30;
/// The vector `irqbench` sends to itself.
pub const BENCH_VECTOR: u8 = 0x31;
/// The virtio disk's completions (an MSI-X message, not an I/O APIC line).
pub const DISK_VECTOR: u8 = 0x40;

/// Silences the 8259s and enables the local APIC and the I/O APIC (all device
/// lines masked until [`route_isa_irq`]).
pub fn init() {
    let platform = acpi::platform().expect("acpi::init succeeded before irq::init");
    pic::remap_and_mask();
    apic::init(registers(platform.local_apic, apic::REGISTERS_SIZE));
    ioapic::init(
        registers(platform.io_apic, ioapic::REGISTERS_SIZE),
        platform.io_apic_gsi_base,
    );
}

/// Maps an interrupt controller's registers (uncached, outside the
/// physical-memory window, which maps only memory).
fn registers(phys: PhysAddr, size: u64) -> VirtAddr {
    mmio::map(phys, size)
        .unwrap_or_else(|e| panic!("cannot map the APIC registers at {phys:#x}: {e:?}"))
}

/// Delivers ISA IRQ `irq` (1: keyboard, 4: COM1, ...) to this CPU as
/// [`isa_vector`]`(irq)`, following the MADT's overrides.
pub fn route_isa_irq(irq: u8) {
    let platform = acpi::platform().expect("acpi::init succeeded before irq::init");
    ioapic::route(
        platform.isa_routes[usize::from(irq)],
        isa_vector(irq),
        apic::id(),
    );
}
