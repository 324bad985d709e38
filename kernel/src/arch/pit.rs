//! The 8253/8254 Programmable Interval Timer, used as a known clock.
//!
//! The PIT counts down at exactly 1.193182 MHz, a frequency fixed since the first
//! PC. Its channel 2 can be started and watched without interrupts: bit 0 of port
//! 0x61 is the channel's *gate* (counting only happens while it is 1), and bit 5
//! reads the channel's output. In mode 0 ("interrupt on terminal count") the
//! output goes high when the count reaches zero. So: gate off, load a count, gate
//! on, and poll bit 5: when it rises, `count / 1193182` seconds have passed. We
//! use this once at boot to measure how fast the TSC and the APIC timer run.

use x86_64::instructions::port::Port;

/// The PIT's input clock in Hz.
pub const FREQUENCY: u64 = 1_193_182;

const CHANNEL2_DATA: u16 = 0x42;
const COMMAND: u16 = 0x43;
const GATE_PORT: u16 = 0x61;

/// Busy-waits for `micros` microseconds (at most 54 ms: the count is 16-bit),
/// calling nothing and needing no interrupts.
pub fn wait_micros(micros: u64) {
    let count = (FREQUENCY * micros / 1_000_000).clamp(1, 0xFFFF) as u16;
    let mut gate = Port::<u8>::new(GATE_PORT);
    let mut command = Port::<u8>::new(COMMAND);
    let mut data = Port::<u8>::new(CHANNEL2_DATA);
    // SAFETY: ports 0x42, 0x43 and 0x61 belong to the PIT and the system control
    // port; we change only channel 2 and keep the speaker (bit 1) off.
    unsafe {
        let control = gate.read() & !0b11;
        gate.write(control); // gate off, speaker off
        command.write(0b1011_0000); // channel 2, low then high byte, mode 0, binary
        data.write(count as u8);
        data.write((count >> 8) as u8);
        gate.write(control | 1); // gate on: counting starts
        while gate.read() & (1 << 5) == 0 {
            core::hint::spin_loop();
        }
        gate.write(control);
    }
}
