//! Code that only makes sense on x86_64: CPU control instructions and the QEMU
//! debug-exit device. Later chapters add the GDT, IDT and APIC here.

pub mod cpu;
pub mod qemu;
