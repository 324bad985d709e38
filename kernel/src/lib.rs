//! The Kestrel kernel library.
//!
//! Everything the kernel does lives here; `main.rs` only tells the boot story by
//! calling into these modules in order, and every kernel test binary in `tests/`
//! links the same library, so tests exercise exactly the code that boots.
//!
//! Layout of the modules:
//! - `arch`: what is specific to x86_64 (halting the CPU, the QEMU exit device).
//! - `drivers`: hardware we talk to (the 16550 serial port, the framebuffer).
//! - `boot`, `boot_report`: what the bootloader hands us and how we describe it.
//! - `memory`: frames, page tables, hardening, kernel stacks, the heap.
//! - `sync`: locks that are safe against interrupt handlers.
//! - `output`, `logger`: `print!`/`println!` and the `log` macros, to screen and serial.
//! - `panic`, `testing`: what happens when things go wrong, and our test harness.
#![no_std]

pub mod arch;
pub mod boot;
pub mod boot_report;
pub mod drivers;
pub mod logger;
pub mod memory;
pub mod output;
pub mod panic;
pub mod sync;
pub mod testing;

/// Re-exported so that macros such as [`test_kernel!`] can name it from any crate.
pub use bootloader_api;
