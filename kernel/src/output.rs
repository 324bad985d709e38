//! `print!` and `println!`: text to the screen and the serial port at once.
//!
//! Both outputs receive exactly the same bytes (colour escapes included), so the
//! serial transcript of a boot is also a faithful description of the screen; the
//! screen test relies on that. Each device sits behind its own spinlock. Printing
//! runs with interrupts disabled, so an interrupt handler that prints can never
//! spin on a lock that the code it interrupted is holding.

use crate::drivers::{framebuffer, serial::SERIAL};
use bootloader_api::info::{FrameBuffer, FrameBufferInfo};
use console::Console;
use core::fmt::{self, Write};
use spin::{Mutex, Once};
use x86_64::instructions::interrupts;

/// The text console drawn into the framebuffer, once there is one.
static SCREEN: Mutex<Option<Console<'static>>> = Mutex::new(None);

/// What the bootloader told us about the framebuffer (for the boot report).
static SCREEN_INFO: Once<FrameBufferInfo> = Once::new();

/// Makes the framebuffer (if the bootloader found one) a text console.
pub fn init_screen(framebuffer: Option<FrameBuffer>) {
    let Some(fb) = framebuffer else {
        log_serial("no framebuffer: output goes to serial only\n");
        return;
    };
    let info = *SCREEN_INFO.call_once(|| fb.info());
    let Some(layout) = framebuffer::layout_of(&info) else {
        log_serial("framebuffer pixel format not supported: serial only\n");
        return;
    };
    match Console::new(fb.into_buffer(), layout) {
        Ok(mut console) => {
            console.set_cursor_visible(true);
            *SCREEN.lock() = Some(console);
        }
        Err(e) => {
            let _ = writeln!(SERIAL.lock(), "framebuffer unusable ({e}): serial only");
        }
    }
}

/// The width of the screen in text columns, if there is a screen.
pub fn screen_columns() -> Option<usize> {
    interrupts::without_interrupts(|| SCREEN.lock().as_ref().map(Console::columns))
}

/// The height of the screen in text rows, if there is a screen.
pub fn screen_rows() -> Option<usize> {
    interrupts::without_interrupts(|| SCREEN.lock().as_ref().map(Console::rows))
}

/// The framebuffer's description, if there is a framebuffer.
pub fn screen_info() -> Option<FrameBufferInfo> {
    SCREEN_INFO.get().copied()
}

fn log_serial(text: &str) {
    SERIAL.lock().write_text(text);
}

/// Writes each piece of formatted text to both devices while holding both locks,
/// so that lines printed from different places never interleave mid-line.
struct Both<'a> {
    screen: &'a mut Option<Console<'static>>,
    serial: &'a mut crate::drivers::serial::Uart,
}

impl Write for Both<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if let Some(console) = self.screen.as_mut() {
            console.write_str(s);
        }
        self.serial.write_text(s);
        Ok(())
    }
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    interrupts::without_interrupts(|| {
        let mut screen = SCREEN.lock();
        let mut serial = SERIAL.lock();
        let _ = Both {
            screen: &mut screen,
            serial: &mut serial,
        }
        .write_fmt(args);
    });
}

/// Prints even if a lock is held by code that will never run again: used by the
/// panic handler, when the panicking code may have been in the middle of printing.
pub fn emergency_print(args: fmt::Arguments) {
    interrupts::disable();
    // SAFETY: interrupts are off and this kernel runs on one CPU, so whoever holds
    // these locks is the code that panicked, which will never resume and release
    // them. The worst outcome is a half-printed line before the panic message.
    unsafe {
        SCREEN.force_unlock();
        SERIAL.force_unlock();
    }
    _print(args);
}

/// Prints to the screen and the serial port.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => ($crate::output::_print(format_args!($($arg)*)));
}

/// Prints a line to the screen and the serial port.
#[macro_export]
macro_rules! println {
    () => ($crate::print!("\n"));
    ($($arg:tt)*) => ($crate::output::_print(format_args!("{}\n", format_args!($($arg)*))));
}
