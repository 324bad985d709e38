//! COM1, the loaders' log: `kestrel loader: ...` lines for people and tests.
//!
//! The 16550 UART at I/O port 0x3f8 takes one byte at a time in its transmit
//! register once bit 5 of the line-status register (port 0x3fd) says it is
//! empty. Someone set its speed before us (the BIOS loader's real-mode stage,
//! or the UEFI firmware: 115200 baud, 8N1); the kernel sets it up again on
//! its own. Writing still works after UEFI's boot services are gone, which
//! makes COM1 the one output left at the very end.

use core::fmt;

const DATA: u16 = 0x3f8;
const LINE_STATUS: u16 = 0x3fd;
const TRANSMIT_EMPTY: u8 = 1 << 5;

fn inb(port: u16) -> u8 {
    let value: u8;
    // SAFETY: reading the UART's status register has no side effects.
    unsafe {
        core::arch::asm!("in al, dx", out("al") value, in("dx") port, options(nomem, nostack))
    };
    value
}

fn outb(port: u16, value: u8) {
    // SAFETY: writing a byte to the UART's data register only sends it.
    unsafe {
        core::arch::asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack))
    };
}

fn byte(b: u8) {
    // A bounded wait: with no UART present the status reads 0xff anyway.
    for _ in 0..100_000 {
        if inb(LINE_STATUS) & TRANSMIT_EMPTY != 0 {
            break;
        }
    }
    outb(DATA, b);
}

/// COM1 as a `fmt::Write`, for `write!`.
pub struct Serial;

impl fmt::Write for Serial {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                byte(b'\r');
            }
            byte(b);
        }
        Ok(())
    }
}

/// Sends `text` and a line end.
pub fn line(text: &str) {
    use fmt::Write;
    let _ = writeln!(Serial, "{text}");
}
