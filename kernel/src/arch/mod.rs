//! Code that only makes sense on x86_64.
//!
//! - `cpu`, `qemu`, `power`: halting, leaving QEMU, switching off and rebooting;
//!   `pvpanic`: telling QEMU that the kernel panicked.
//! - `gdt`, `guard`, `idt`, `entry`, `interrupts`, `exceptions`: the CPU's tables,
//!   the interrupt entry path and what happens on each vector.
//! - `syscall`: entering ring 3, and the `syscall` instruction's way in and out;
//!   `user_state`: a user thread's FPU/SSE registers and FS/GS bases;
//!   `smap`: SMEP and SMAP, which keep the kernel out of user pages;
//!   `alignment`: CR0.AM, so that ring 3 can ask for `#AC` (SIGBUS).
//! - `critical_section`: "nobody else runs now" for library code = interrupts off.
//! - `mem`: the kernel's `memcpy` and `memset` (loops TCG runs fast).
//! - `features`: what the kernel needs from the CPU (`cpuid`), checked at boot.
//! - `acpi`, `pic`, `apic`, `ioapic`, `irq`, `pit`: the firmware's description of
//!   the machine and the interrupt and timer chips.

pub mod acpi;
pub mod alignment;
pub mod apic;
pub mod cpu;
pub mod critical_section;
pub mod entry;
pub mod exceptions;
pub mod features;
pub mod gdt;
pub mod guard;
pub mod idt;
pub mod interrupts;
pub mod ioapic;
pub mod irq;
pub mod mem;
pub mod pic;
pub mod pit;
pub mod power;
pub mod pvpanic;
pub mod qemu;
pub mod smap;
pub mod syscall;
pub mod user_state;
