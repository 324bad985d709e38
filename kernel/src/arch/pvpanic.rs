//! Telling the emulator that the kernel panicked.
//!
//! A kernel that halts after a panic looks, from outside, like one that is idle.
//! QEMU's `pvpanic` device (the runner adds `-device pvpanic`) lets the guest say
//! otherwise: it sits at I/O port 0x505, reading the port gives the events it
//! supports (bit 0: "guest panicked"), and writing that bit reports a panic. QEMU
//! then sends the `GUEST_PANICKED` event to the runner, which ends with a failure
//! status when QEMU exits. (The runner also passes `-action panic=none`, so the
//! machine keeps running and the report stays on the screen.)
//!
//! A port where no device answers reads as all ones, 0xff, on QEMU and on real
//! PCs; we write only if the port answers with bit 0 set and is not 0xff.

use x86_64::instructions::port::Port;

/// The pvpanic device's port (QEMU's default `ioport`).
const PORT: u16 = 0x505;
/// The "guest panicked" event bit.
const PANICKED: u8 = 1 << 0;

/// Reports a panic to the pvpanic device, if there is one.
pub fn report_panic() {
    let mut port = Port::<u8>::new(PORT);
    // SAFETY: reading port 0x505 has no side effect on pvpanic, and reading an
    // I/O port touches no memory.
    let supported = unsafe { port.read() };
    if supported != 0xff && supported & PANICKED != 0 {
        // SAFETY: the device at the port said it takes this event; the write
        // only makes QEMU emit an event.
        unsafe { port.write(PANICKED) };
    }
}
