//! When the loader cannot go on: say why, then halt.
//!
//! A loader that resets the machine on an error leaves nothing to read. Ours
//! prints the reason (on the UEFI console while boot services run, which
//! OVMF also copies to the serial port; on COM1 directly afterwards) and
//! halts the CPU for good.

use core::fmt::Display;

/// Prints `why` on the UEFI console and halts.
pub fn stop(why: &dyn Display) -> ! {
    uefi::println!("kestrel loader: cannot boot: {why}");
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
    if uefi::table::system_table_raw().is_some() && !crate::exit::exited() {
        uefi::println!("kestrel loader: panic: {info}");
    } else {
        loader_common::serial::line("kestrel loader: panic after exiting boot services");
    }
    halt()
}
