//! When the loader cannot go on: say why, then halt.
//!
//! The reason goes to COM1 and to the screen (`screen.rs`), and the CPU
//! halts for good: the loader never resets the machine, so the message stays
//! readable.

use core::fmt::{Display, Write};
use loader_common::serial::Serial;

/// Prints `kestrel loader: cannot boot: <why>` and halts.
pub fn stop(why: &dyn Display) -> ! {
    let _ = writeln!(Serial, "kestrel loader: cannot boot: {why}");
    crate::screen::show_failure(why);
    halt()
}

/// Stops the CPU: interrupts off, then `hlt` forever.
pub fn halt() -> ! {
    loop {
        // SAFETY: `cli; hlt` stops this CPU; it touches no memory.
        unsafe { core::arch::asm!("cli", "hlt", options(nomem, nostack)) };
    }
}

/// A panic in the loader is a bug in it: print it where it can be seen.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    stop(&format_args!("loader panic: {info}"))
}
