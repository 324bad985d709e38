//! Alignment checks for ring 3: a misaligned access can raise `#AC`.
//!
//! x86 allows loads and stores at any address, but it can be asked to
//! refuse misaligned ones: when CR0.AM (bit 18) is set, *and* the running
//! code has RFLAGS.AC (bit 18) set, *and* it runs in ring 3, an access to
//! an address that is not a multiple of its size raises exception 17,
//! alignment check (`#AC`). Programs opt in by setting AC (`popf`); Linux
//! sets AM at boot, so on Linux such a program gets SIGBUS (`BUS_ADRALN`),
//! and so on Kestrel (`process::deliver::signal_of_fault`).
//!
//! Ring 0 is never checked, whatever AC says (the kernel keeps AC clear
//! anyway: `smap.rs`), so setting AM changes nothing for the kernel.
//! QEMU's TCG emulator does not raise `#AC` at all: there, the bit is set
//! but a misaligned access simply works.

use x86_64::registers::control::{Cr0, Cr0Flags};

/// Sets CR0.AM on this CPU. Runs once per CPU, at boot.
pub fn init() {
    // SAFETY: AM only lets ring 3 code that set RFLAGS.AC get `#AC` for a
    // misaligned access, which the fault hook turns into SIGBUS; kernel
    // code (ring 0) is never checked.
    unsafe { Cr0::update(|cr0| cr0.insert(Cr0Flags::ALIGNMENT_MASK)) };
}

/// Whether CR0.AM is set on this CPU.
pub fn enabled() -> bool {
    Cr0::read().contains(Cr0Flags::ALIGNMENT_MASK)
}
