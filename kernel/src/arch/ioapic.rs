//! The I/O APIC: routes device interrupt lines to CPUs and vectors.
//!
//! Devices (keyboard, serial port, ...) raise interrupt *lines*; the I/O APIC has
//! one input per line, numbered by *global system interrupt* (GSI) from the
//! MADT's base. Each input has a 64-bit *redirection entry*: the vector to raise,
//! the destination APIC ID (bits 56-63), polarity (bit 13, 1 = active low),
//! trigger mode (bit 15, 1 = level) and a mask bit (16). The chip has only two
//! memory-mapped registers: IOREGSEL (offset 0x00) selects an internal register
//! and IOWIN (offset 0x10) reads or writes it; redirection entry `n` is internal
//! registers `0x10 + 2n` (low half) and `0x11 + 2n` (high half).

use super::acpi::IrqRoute;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The bytes of the chip's registers: IOREGSEL and IOWIN, 16 bytes apart.
pub const REGISTERS_SIZE: u64 = 0x20;
const VERSION: u32 = 0x01;
const REDIRECTION: u32 = 0x10;
const MASKED: u32 = 1 << 16;
const ACTIVE_LOW: u32 = 1 << 13;
const LEVEL: u32 = 1 << 15;
use x86_64::VirtAddr;

static BASE: AtomicU64 = AtomicU64::new(0);
static GSI_BASE: AtomicU32 = AtomicU32::new(0);

fn select(register: u32) -> *mut u32 {
    let base = BASE.load(Ordering::Relaxed);
    assert!(base != 0, "ioapic::init runs first");
    // SAFETY: IOREGSEL is the first register of the mapped I/O APIC page.
    unsafe { (base as *mut u32).write_volatile(register) };
    (base + 0x10) as *mut u32
}

fn read(register: u32) -> u32 {
    // SAFETY: IOWIN of the mapped I/O APIC, after selecting `register`. Callers
    // run with interrupts off (init), so select+access is not interleaved.
    unsafe { select(register).read_volatile() }
}

fn write(register: u32, value: u32) {
    // SAFETY: as in `read`.
    unsafe { select(register).write_volatile(value) }
}

/// Sets up the I/O APIC whose registers are at virtual address `base` and
/// masks all its inputs.
pub fn init(base: VirtAddr, gsi_base: u32) {
    BASE.store(base.as_u64(), Ordering::Relaxed);
    GSI_BASE.store(gsi_base, Ordering::Relaxed);
    for input in 0..inputs() {
        write(REDIRECTION + 2 * input, MASKED);
        write(REDIRECTION + 2 * input + 1, 0);
    }
}

/// How many inputs the chip has (bits 16-23 of the version register, plus one).
pub fn inputs() -> u32 {
    ((read(VERSION) >> 16) & 0xFF) + 1
}

/// Delivers the line described by `route` as `vector` to the CPU with APIC ID
/// `apic_id`, and unmasks it.
pub fn route(route: IrqRoute, vector: u8, apic_id: u8) {
    let input = route.gsi - GSI_BASE.load(Ordering::Relaxed);
    let mut low = u32::from(vector); // fixed delivery, physical destination
    if route.active_low {
        low |= ACTIVE_LOW;
    }
    if route.level_triggered {
        low |= LEVEL;
    }
    write(REDIRECTION + 2 * input + 1, u32::from(apic_id) << 24);
    write(REDIRECTION + 2 * input, low);
}
