//! The local APIC: each CPU's own interrupt controller, and its timer.
//!
//! The local APIC is programmed through 4 KiB of memory-mapped registers
//! (normally at physical 0xFEE00000; the MADT says where). Reads and writes must
//! be 32-bit and volatile: these are device registers, not memory. The registers
//! we use:
//! - *spurious interrupt vector* (0xF0): bit 8 enables the APIC; the low byte is
//!   the vector it raises when an interrupt vanished before delivery;
//! - *task priority* (0x80): 0 lets every interrupt through;
//! - *EOI* (0xB0): writing 0 tells the APIC the current interrupt is handled;
//! - the *timer*: a 32-bit counter that counts down from the *initial count*
//!   (0x380) at the bus clock divided by the *divide configuration* (0x3E0), and
//!   raises the vector in the *LVT timer* register (0x320) when it reaches 0, once
//!   or periodically (bit 17). Its frequency is not written anywhere, so
//!   `time.rs` measures it against the PIT;
//! - the *interrupt command register* (0x300/0x310), to send an interrupt to
//!   ourselves (a self-IPI), used to measure the interrupt round trip.

use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::VirtAddr;

/// The vector the APIC raises for spurious interrupts (its low 4 bits must be
/// 1111 on old APICs, hence 0xFF).
pub const SPURIOUS_VECTOR: u8 = 0xFF;

/// The bytes of the register page.
pub const REGISTERS_SIZE: u64 = 4096;
const ID: usize = 0x20;
const TASK_PRIORITY: usize = 0x80;
const EOI: usize = 0xB0;
const SPURIOUS: usize = 0xF0;
const ICR_LOW: usize = 0x300;
const LVT_TIMER: usize = 0x320;
const LVT_LINT0: usize = 0x350;
const LVT_LINT1: usize = 0x360;
const LVT_ERROR: usize = 0x370;
const TIMER_INITIAL: usize = 0x380;
const TIMER_CURRENT: usize = 0x390;
const TIMER_DIVIDE: usize = 0x3E0;

const MASKED: u32 = 1 << 16;
const PERIODIC: u32 = 1 << 17;
const ENABLE: u32 = 1 << 8;
const SELF_SHORTHAND: u32 = 0b01 << 18;
/// Divide configuration value 0b0011: count at bus clock / 16.
const DIVIDE_BY_16: u32 = 0b0011;

/// The virtual address of the register page (0 until `init`).
static BASE: AtomicU64 = AtomicU64::new(0);

fn register(offset: usize) -> *mut u32 {
    let base = BASE.load(Ordering::Relaxed);
    assert!(base != 0, "apic::init runs first");
    (base as usize + offset) as *mut u32
}

fn read(offset: usize) -> u32 {
    // SAFETY: `register` points into the local APIC's register page, mapped
    // uncached by `irq::init` (`memory::mmio`); registers are 32-bit aligned.
    unsafe { register(offset).read_volatile() }
}

fn write(offset: usize, value: u32) {
    // SAFETY: as in `read`; the registers written here only change interrupt
    // delivery, which the callers document.
    unsafe { register(offset).write_volatile(value) }
}

/// Enables the local APIC whose registers are at virtual address `base`, with
/// every local interrupt source masked except what we set up later.
pub fn init(base: VirtAddr) {
    BASE.store(base.as_u64(), Ordering::Relaxed);
    write(TASK_PRIORITY, 0);
    write(LVT_TIMER, MASKED);
    write(LVT_LINT0, MASKED);
    write(LVT_LINT1, MASKED);
    write(LVT_ERROR, MASKED);
    write(SPURIOUS, ENABLE | u32::from(SPURIOUS_VECTOR));
    end_of_interrupt(); // in case the firmware left one in service
}

/// This CPU's APIC ID (the destination for I/O APIC routes).
pub fn id() -> u8 {
    (read(ID) >> 24) as u8
}

/// Signals the end of the interrupt being handled.
pub fn end_of_interrupt() {
    if BASE.load(Ordering::Relaxed) != 0 {
        write(EOI, 0);
    }
}

/// Starts the timer counting down from `u32::MAX` at bus clock / 16 without
/// raising interrupts; [`timer_elapsed`] tells how far it got (for calibration).
pub fn start_free_running() {
    write(TIMER_DIVIDE, DIVIDE_BY_16);
    write(LVT_TIMER, MASKED);
    write(TIMER_INITIAL, u32::MAX);
}

/// Counts since [`start_free_running`].
pub fn timer_elapsed() -> u32 {
    u32::MAX - read(TIMER_CURRENT)
}

/// Raises `vector` every `count` timer counts (bus clock / 16), forever.
pub fn start_periodic(vector: u8, count: u32) {
    write(TIMER_DIVIDE, DIVIDE_BY_16);
    write(LVT_TIMER, PERIODIC | u32::from(vector));
    write(TIMER_INITIAL, count.max(1));
}

/// Sends interrupt `vector` to this CPU.
pub fn send_self(vector: u8) {
    write(ICR_LOW, SELF_SHORTHAND | u32::from(vector));
}
