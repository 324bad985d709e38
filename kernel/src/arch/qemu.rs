//! Leaving QEMU with an exit code, for tests.
//!
//! QEMU's `isa-debug-exit` device (which the runner adds with
//! `-device isa-debug-exit,iobase=0xf4,iosize=0x04`) terminates the emulator when
//! the guest writes a value `v` to its I/O port; QEMU then exits with status
//! `(v << 1) | 1`. So `Success` (0x10) becomes exit status 33 and `Failure` (0x11)
//! becomes 35; the runner translates 33 into 0. Status 0 and 1 are avoided because
//! QEMU uses them itself. On real hardware the port is unused and the write does
//! nothing, so the caller falls back to halting.

use x86_64::instructions::port::Port;

/// The I/O port the runner maps the debug-exit device to.
pub const EXIT_PORT: u16 = 0xf4;

/// What the kernel reports to QEMU (and so to the runner) when it exits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ExitCode {
    Success = 0x10,
    Failure = 0x11,
}

/// Ends the QEMU process with `code`; halts forever where there is no such device.
pub fn exit(code: ExitCode) -> ! {
    let mut port = Port::<u32>::new(EXIT_PORT);
    // SAFETY: port 0xf4 is either QEMU's debug-exit device, which only ends the
    // emulator, or unused; writing to it touches no memory.
    unsafe { port.write(code as u32) };
    crate::arch::cpu::halt_forever()
}
