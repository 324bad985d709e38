//! Stopping and idling the CPU.
//!
//! `hlt` puts the processor to sleep until the next interrupt arrives. With
//! interrupts disabled (as the bootloader leaves them) only a non-maskable interrupt
//! can wake it, so `halt_forever` loops in case one does.

/// Sleeps forever. Used when the kernel has nothing left to do and after a panic.
pub fn halt_forever() -> ! {
    loop {
        x86_64::instructions::hlt();
    }
}
