//! COM1, the loader's log: `kestrel loader: ...` lines for people and tests.
//!
//! The real-mode stage already set the UART up (115200 baud, 8N1); here we
//! only wait for the transmit register to be empty (bit 5 of the line-status
//! register, port 0x3fd) and write each byte to port 0x3f8.

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
