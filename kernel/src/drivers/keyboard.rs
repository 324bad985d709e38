//! The PS/2 keyboard, through the i8042 controller.
//!
//! The i8042 has a data port (0x60) and a status/command port (0x64). When a key
//! is pressed or released the keyboard sends scancode bytes, the controller puts
//! each in its output buffer and raises ISA IRQ 1, which the I/O APIC delivers to
//! us. The handler reads port 0x60 (which also lets the controller send the next
//! byte) and feeds the `keybytes` decoder, whose terminal bytes go to the
//! function the boot code passed to [`init`] (the input queue's `push`: the
//! driver does not know who reads the keys). The controller's *configuration byte* (read with command 0x20, written
//! with 0x60) has two bits we need set: bit 0 enables IRQ 1, and bit 6 makes the
//! controller translate the keyboard's scancode set 2 into set 1, which is what
//! the decoder expects. The firmware normally sets both; we make sure.

use crate::arch::{interrupts, irq};
use keybytes::KeyDecoder;
use spin::{Mutex, Once};
use x86_64::instructions::port::Port;

const DATA: u16 = 0x60;
const STATUS_COMMAND: u16 = 0x64;
const OUTPUT_FULL: u8 = 1 << 0;
const INPUT_FULL: u8 = 1 << 1;
const KEYBOARD_IRQ: u8 = 1;

/// Only the interrupt handler uses the decoder (interrupts off), so the lock is
/// never contended.
static DECODER: Mutex<KeyDecoder> = Mutex::new(KeyDecoder::new());

fn status() -> u8 {
    // SAFETY: reading the i8042 status port has no side effects.
    unsafe { Port::new(STATUS_COMMAND).read() }
}

/// Waits (boundedly) until the controller accepts a byte, then writes it.
fn write(port: u16, value: u8) {
    for _ in 0..100_000 {
        if status() & INPUT_FULL == 0 {
            break;
        }
    }
    // SAFETY: an i8042 port; commands here only change its configuration.
    unsafe { Port::new(port).write(value) }
}

/// Reads a data byte if one arrives in time.
fn read_data() -> Option<u8> {
    for _ in 0..100_000 {
        if status() & OUTPUT_FULL != 0 {
            // SAFETY: reading the data port consumes the byte the status announced.
            return Some(unsafe { Port::new(DATA).read() });
        }
    }
    None
}

/// Where the decoded bytes go (set once, by [`init`]).
static DELIVER: Once<fn(u8)> = Once::new();

/// Enables the keyboard interrupt in the controller and routes IRQ 1 to us;
/// every byte the keys produce goes to `deliver` (in the interrupt handler).
pub fn init(deliver: fn(u8)) {
    DELIVER.call_once(|| deliver);
    // Drop whatever the firmware left in the output buffer.
    while status() & OUTPUT_FULL != 0 {
        let _ = read_data();
    }
    write(STATUS_COMMAND, 0x20); // read configuration byte
    if let Some(config) = read_data() {
        write(STATUS_COMMAND, 0x60); // write configuration byte
        write(DATA, config | 1 << 0 | 1 << 6);
    }
    interrupts::register(irq::isa_vector(KEYBOARD_IRQ), "keyboard", |_| {
        on_interrupt()
    });
    irq::route_isa_irq(KEYBOARD_IRQ);
}

fn on_interrupt() {
    // SAFETY: the controller raised IRQ 1, so a scancode is waiting in port 0x60.
    let scancode: u8 = unsafe { Port::new(DATA).read() };
    if let Some(deliver) = DELIVER.get() {
        DECODER.lock().feed(scancode, deliver);
    }
}
