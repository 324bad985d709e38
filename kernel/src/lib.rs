//! The Kestrel kernel library.
//!
//! Everything the kernel does lives here; `main.rs` only tells the boot story by
//! calling into these modules in order, and every kernel test binary in `tests/`
//! links the same library, so tests exercise exactly the code that boots.
//!
//! Layout of the modules:
//! - `arch`: what is specific to x86_64: CPU tables, interrupt entry, exceptions,
//!   ACPI, the interrupt controllers and the PIT, power off and reboot.
//! - `drivers`: hardware we talk to (the 16550 serial port, the framebuffer, the
//!   PS/2 keyboard).
//! - `input`, `input_stream`, `time`, `symbols`: the input queue (read by threads,
//!   or as an async stream), the clock, kernel symbol names.
//! - `shell`: the interactive kernel shell and its commands; `bench`: the
//!   benchmarks it runs (interrupt round trip, thread and task switches).
//! - `boot`, `boot_report`: what the bootloader hands us and how we describe it.
//! - `memory`: frames, page tables, hardening, kernel stacks, the heap.
//! - `sync`: locks that are safe against interrupt handlers.
//! - `tasks`: kernel threads, the scheduler, blocking locks, async tasks.
//! - `output`, `logger`: `print!`/`println!` and the `log` macros, to screen and serial.
//! - `process`, `syscall`: programs in ring 3 and the system calls they make;
//!   `fs`: the ramdisk and open files they read; `random`: their random bytes.
//! - `panic`, `fault_policy`, `testing`: what happens when things go wrong (a
//!   panic, a CPU exception), and our test harness.
#![no_std]

extern crate alloc;

pub mod arch;
pub mod bench;
pub mod block;
pub mod boot;
pub mod boot_options;
pub mod boot_report;
pub mod drivers;
pub mod fault_policy;
pub mod first_process;
pub mod fs;
pub mod input;
pub mod input_stream;
pub mod logger;
pub mod memory;
pub mod output;
pub mod panic;
pub mod process;
pub mod random;
pub mod shell;
pub mod symbols;
pub mod sync;
pub mod syscall;
pub mod tasks;
pub mod terminal;
pub mod testing;
pub mod time;

/// Re-exported so that macros such as [`test_kernel!`] can name it from any crate.
pub use bootloader_api;
