//! CPU features: what the kernel needs from the processor, checked at boot.
//!
//! Every x86_64 CPU has long mode, but much else is optional, and an emulator
//! can switch features off (`-cpu qemu64,-apic`). Code that uses a missing
//! feature does not always fail loudly: without a local APIC, its registers
//! read as nothing and writes vanish, so the kernel boots to a prompt that
//! never gets a timer tick or a key press. So the boot checks first, with
//! the `cpuid` instruction, and stops with a clear message if something is
//! missing.
//!
//! `cpuid` takes a *leaf* number in `eax` and answers in four registers; a
//! feature is one bit. Leaf 1 has the classic features, leaf 0x8000_0001
//! AMD's 64-bit extensions (NX), leaf 0x8000_0007 the power-management ones.
//! What we need, and why, is the table [`REQUIRED`].
//!
//! Not required: an *invariant* TSC (one that ticks at the same rate in every
//! power state). CPUs since about 2008 have it; on an older CPU whose TSC
//! slows down when idle, the clock (`time.rs`) would run slow. QEMU's CPU
//! models do not report it unless asked (`-cpu qemu64,+invtsc`), although
//! under TCG the guest's TSC is the host's. The boot report says when the
//! bit is missing.

use core::arch::x86_64::{__cpuid, CpuidResult};

/// A feature the kernel relies on.
#[derive(Clone, Copy, Debug)]
pub struct Feature {
    /// Its usual name (as in `/proc/cpuinfo`).
    pub name: &'static str,
    /// What the kernel uses it for.
    pub used_for: &'static str,
    /// Where `cpuid` reports it: a bit of `edx` for this leaf.
    leaf: u32,
    bit: u32,
}

/// Everything the kernel needs.
pub const REQUIRED: &[Feature] = &[
    Feature {
        name: "apic",
        used_for: "interrupts and the timer (local APIC)",
        leaf: 1,
        bit: 9,
    },
    Feature {
        name: "tsc",
        used_for: "the clock (time stamp counter)",
        leaf: 1,
        bit: 4,
    },
    Feature {
        name: "msr",
        used_for: "turning on no-execute pages (EFER register)",
        leaf: 1,
        bit: 5,
    },
];

/// No-execute pages: wanted (W^X hardening), not required. Without it bit 63
/// of a page entry is reserved, so the kernel never sets it (see
/// `memory::paging::supported`) and says so in its boot report.
const NX: Feature = Feature {
    name: "nx",
    used_for: "no-execute pages (W^X hardening)",
    leaf: 0x8000_0001,
    bit: 20,
};

const INVARIANT_TSC: Feature = Feature {
    name: "invtsc",
    used_for: "a TSC rate that power states do not change",
    leaf: 0x8000_0007,
    bit: 8,
};

/// `cpuid` for `leaf`; all zeros for a leaf the CPU does not have.
fn cpuid(leaf: u32) -> CpuidResult {
    let highest = if leaf >= 0x8000_0000 { 0x8000_0000 } else { 0 };
    let max = __cpuid(highest).eax;
    if leaf > max {
        return CpuidResult {
            eax: 0,
            ebx: 0,
            ecx: 0,
            edx: 0,
        };
    }
    __cpuid(leaf)
}

impl Feature {
    /// Whether this CPU has it.
    pub fn is_present(&self) -> bool {
        cpuid(self.leaf).edx & (1 << self.bit) != 0
    }
}

/// The required features this CPU lacks (empty if it has them all).
pub fn missing() -> impl Iterator<Item = &'static Feature> {
    REQUIRED.iter().filter(|f| !f.is_present())
}

/// Whether the CPU has no-execute pages (not required; see [`NX`]).
pub fn has_nx() -> bool {
    NX.is_present()
}

/// Whether the TSC is invariant (not required; see the module docs).
pub fn has_invariant_tsc() -> bool {
    INVARIANT_TSC.is_present()
}
