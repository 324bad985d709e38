//! Switching the machine off and restarting it.
//!
//! Shutdown tries, in order:
//! 1. QEMU's `isa-debug-exit` device with the success code, so that QEMU (started
//!    by our runner) ends with a success status;
//! 2. ACPI S5 ("soft off"): write `SLP_TYPa << 10 | SLP_EN` to the PM1a control
//!    register named in the FADT. `SLP_TYPa` comes from the DSDT's `\_S5` object,
//!    found by a small bytecode pattern match (the host-tested `aml_s5` crate)
//!    instead of a full AML interpreter;
//! 3. if the machine is still running, it says so and halts.
//!
//! Reboot asks the keyboard controller to pulse the CPU's reset line (command
//! 0xFE on port 0x64, a trick as old as the PC/AT); if that does nothing, it
//! loads an empty IDT and raises an exception: with no handler the CPU cannot
//! even report the double fault and *triple faults*, which resets it.

use super::{acpi, cpu, qemu};
use crate::println;
use x86_64::instructions::{interrupts, port::Port};

const SLP_EN: u16 = 1 << 13;

/// Powers the machine off. Never returns.
pub fn shutdown() -> ! {
    println!("Shutting down.");
    interrupts::disable();
    // SAFETY: port 0xf4 is QEMU's exit device (which ends QEMU, as we want)
    // or, on other machines, unused.
    unsafe { Port::<u32>::new(qemu::EXIT_PORT).write(qemu::ExitCode::Success as u32) };
    match s5_registers() {
        // SAFETY: the PM1a control port is the one the firmware's FADT names,
        // and SLP_TYPa comes from its DSDT: the write asks for "soft off".
        Some((port, slp_typ)) => unsafe { Port::<u16>::new(port).write(slp_typ << 10 | SLP_EN) },
        None => {
            println!("ACPI S5 is not available (no PM1a control port or no \\_S5 in the DSDT).")
        }
    }
    // Real hardware may take a moment to cut power.
    super::pit::wait_micros(50_000);
    println!("The machine did not switch off; it is now safe to turn it off by hand.");
    cpu::halt_forever()
}

/// The PM1a control port and SLP_TYPa for S5.
fn s5_registers() -> Option<(u16, u16)> {
    let port = acpi::platform()?.pm1a_control?;
    let types = aml_s5::find_s5(acpi::dsdt_bytes()?)?;
    Some((port, types.a))
}

/// Restarts the machine. Never returns.
pub fn reboot() -> ! {
    println!("Rebooting.");
    interrupts::disable();
    // SAFETY: command 0xFE to the i8042 pulses the reset line; nothing else.
    unsafe { Port::<u8>::new(0x64).write(0xFE) };
    super::pit::wait_micros(50_000);
    // Fallback: an empty IDT makes the next exception a triple fault.
    let empty = x86_64::structures::DescriptorTablePointer {
        limit: 0,
        base: x86_64::VirtAddr::new(0),
    };
    // SAFETY: an IDT without gates makes every interrupt or exception a
    // triple fault, which resets the CPU: what we want, and interrupts are
    // off, so the next one is the breakpoint below.
    unsafe { x86_64::instructions::tables::lidt(&empty) };
    interrupts::int3();
    cpu::halt_forever()
}
