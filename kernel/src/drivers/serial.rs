//! A driver for the 16550 UART, the PC's serial port (COM1 at I/O port 0x3F8).
//!
//! The 16550 is programmed through eight I/O ports starting at its base address.
//! Writing a byte to the base port sends it once the "transmitter holding register
//! empty" bit of the line status register (base + 5) is set; a received byte waits
//! in the same port once the "data ready" bit is set. The speed is 115200 baud
//! divided by a 16-bit divisor, written while the "divisor latch" bit of the line
//! control register is set. We write this driver ourselves (instead of using the
//! `uart_16550` crate) because it is short and shows how port I/O works.
//!
//! Receiving works by interrupt: with bit 0 of the interrupt-enable register set,
//! the UART raises ISA IRQ 4 whenever received bytes wait (or have waited a few
//! character times in the FIFO), and the handler moves them all into the
//! kernel's input queue. Reading the bytes is what clears the interrupt.
//!
//! At init we write two test values to the chip's *scratch* register (base + 7, a
//! byte of storage and nothing else) and read them back: a machine without a
//! serial port answers every read with 0xFF, and the kernel then silently skips
//! serial output instead of spinning forever. (A loopback test would work too,
//! but its test byte would land behind any input already waiting.)
//!
//! Input typed before the kernel runs: init keeps the bytes already waiting in
//! the receive FIFO (it clears only the transmit FIFO), and [`enable_input`]
//! hands them to the input queue. The FIFO holds 16 bytes; what arrives while it
//! is full is lost on real hardware (QEMU instead holds it back until there is
//! room). What arrives before the firmware or the bootloader last reset the UART
//! is gone before the kernel runs.

use spin::Mutex;
use x86_64::instructions::port::Port;

/// The standard I/O base of the first serial port.
pub const COM1: u16 = 0x3F8;

// Register offsets from the base port.
const DATA: u16 = 0; // send/receive buffer, or divisor low byte while DLAB is set
const INT_ENABLE: u16 = 1; // interrupt enable, or divisor high byte while DLAB is set
const FIFO_CONTROL: u16 = 2;
const LINE_CONTROL: u16 = 3;
const MODEM_CONTROL: u16 = 4;
const LINE_STATUS: u16 = 5;
const SCRATCH: u16 = 7;

// Bits of the line status register.
const DATA_READY: u8 = 1 << 0;
const TRANSMIT_EMPTY: u8 = 1 << 5;

/// How often to poll for "transmit empty" before giving up on a byte: a working
/// UART (or QEMU's) is ready long before, a broken one must not hang the kernel.
const SEND_SPINS: u32 = 100_000;

/// One 16550 UART.
pub struct Uart {
    base: u16,
    present: bool,
}

impl Uart {
    /// A UART at I/O base `base`, not yet initialised (output is dropped until
    /// [`Uart::init`] finds the chip).
    pub const fn new(base: u16) -> Self {
        Uart {
            base,
            present: false,
        }
    }

    fn write_reg(&mut self, offset: u16, value: u8) {
        // SAFETY: the ports base..base+7 belong to this UART, which only this
        // struct programs (it sits behind the `SERIAL` mutex); port writes to a
        // UART do not touch memory.
        unsafe { Port::new(self.base + offset).write(value) }
    }

    fn read_reg(&mut self, offset: u16) -> u8 {
        // SAFETY: as in `write_reg`; reading a UART register has no side effect
        // beyond consuming a received byte, which is what `try_read` wants.
        unsafe { Port::new(self.base + offset).read() }
    }

    /// Checks (with the scratch register) that the chip is there, then
    /// programs 115200 baud, 8 data bits, no parity, 1 stop bit, FIFOs on.
    /// Received bytes already waiting stay in the FIFO. Returns whether the
    /// chip is there.
    pub fn init(&mut self) -> bool {
        self.present = [0x55, 0xAA].into_iter().all(|test| {
            self.write_reg(SCRATCH, test);
            self.read_reg(SCRATCH) == test
        });
        if !self.present {
            return false;
        }
        self.write_reg(INT_ENABLE, 0x00); // no interrupts (yet)
        self.write_reg(LINE_CONTROL, 0x80); // DLAB on: next two writes set the divisor
        self.write_reg(DATA, 0x01); // divisor 1 = 115200 baud
        self.write_reg(INT_ENABLE, 0x00);
        self.write_reg(LINE_CONTROL, 0x03); // DLAB off, 8 bits, no parity, 1 stop bit
        // FIFOs on, transmit FIFO cleared, receive FIFO kept, 14-byte trigger.
        self.write_reg(FIFO_CONTROL, 0xC5);
        self.write_reg(MODEM_CONTROL, 0x0F); // DTR, RTS, OUT1, OUT2 (OUT2: IRQ line on)
        true
    }

    /// Sends one byte, waiting (boundedly) for the transmitter to be free.
    pub fn send(&mut self, byte: u8) {
        if !self.present {
            return;
        }
        for _ in 0..SEND_SPINS {
            if self.read_reg(LINE_STATUS) & TRANSMIT_EMPTY != 0 {
                self.write_reg(DATA, byte);
                return;
            }
            core::hint::spin_loop();
        }
    }

    /// Returns a received byte if one is waiting.
    pub fn try_read(&mut self) -> Option<u8> {
        if self.present && self.read_reg(LINE_STATUS) & DATA_READY != 0 {
            Some(self.read_reg(DATA))
        } else {
            None
        }
    }

    /// Sends text, turning `\n` into `\r\n` as serial terminals expect.
    pub fn write_text(&mut self, text: &str) {
        for byte in text.bytes() {
            if byte == b'\n' {
                self.send(b'\r');
            }
            self.send(byte);
        }
    }
}

impl core::fmt::Write for Uart {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.write_text(s);
        Ok(())
    }
}

/// COM1, shared by everything that prints.
pub static SERIAL: Mutex<Uart> = Mutex::new(Uart::new(COM1));

/// Initialises COM1. Safe to call more than once.
pub fn init() {
    SERIAL.lock().init();
}

/// The ISA IRQ line of COM1.
pub const COM1_IRQ: u8 = 4;
const RECEIVED_DATA_INTERRUPT: u8 = 1 << 0;

/// Where received bytes go (set once, by [`enable_input`]).
static DELIVER: spin::Once<fn(u8)> = spin::Once::new();

/// Turns on the receive interrupt of COM1; every received byte goes to
/// `deliver` (the input queue's `push`), in the interrupt handler. Bytes that
/// were already waiting in the receive FIFO go there first.
pub fn enable_input(deliver: fn(u8)) {
    use crate::arch::{interrupts, irq};
    DELIVER.call_once(|| deliver);
    interrupts::register(irq::isa_vector(COM1_IRQ), "serial COM1", |_| {
        if let Some(deliver) = DELIVER.get() {
            drain_received(deliver)
        }
    });
    irq::route_isa_irq(COM1_IRQ);
    x86_64::instructions::interrupts::without_interrupts(|| {
        let mut uart = SERIAL.lock();
        if uart.present {
            uart.write_reg(INT_ENABLE, RECEIVED_DATA_INTERRUPT);
            drain_received(deliver);
        }
    });
}

/// Passes every byte waiting in COM1's receive FIFO to `emit`.
///
/// This reads the ports directly instead of through `SERIAL`: it runs in the
/// interrupt handler, and only here is the receive side touched, while `SERIAL`
/// guards the transmit side. Reading the status and data registers does not
/// disturb a transmission in progress.
fn drain_received(mut emit: impl FnMut(u8)) {
    // SAFETY: COM1's status and data ports; reading consumes received bytes,
    // which only this function does once the interrupt is enabled.
    unsafe {
        let mut status = Port::<u8>::new(COM1 + LINE_STATUS);
        let mut data = Port::<u8>::new(COM1 + DATA);
        // Bounded, in case a missing UART reads as all ones.
        for _ in 0..64 {
            if status.read() & DATA_READY == 0 {
                break;
            }
            emit(data.read());
        }
    }
}
