//! SMEP and SMAP: the kernel may neither run nor touch user pages.
//!
//! The USER bit of a page-table entry keeps ring 3 out of the kernel's
//! pages. Two CPU features add the other direction:
//!
//! - **SMEP** (Supervisor Mode Execution Prevention, CR4 bit 20): the CPU
//!   refuses to *execute* a user page in ring 0. A kernel bug that jumps
//!   to an address a program chose then faults instead of running the
//!   program's code with the kernel's rights.
//! - **SMAP** (Supervisor Mode Access Prevention, CR4 bit 21): the CPU
//!   refuses to *read or write* a user page in ring 0, unless RFLAGS.AC is
//!   set (`stac` sets it, `clac` clears it). A kernel bug that follows a
//!   pointer a program passed, without the checks of the copy helpers,
//!   faults.
//!
//! `cpuid` leaf 7 says whether the CPU has them (EBX bits 7 and 20); QEMU's
//! default CPU has neither, `-cpu qemu64,+smep,+smap` has both. [`init`]
//! turns on what the CPU has.
//!
//! Kestrel's copy helpers (`syscall::user_memory`) never dereference a user
//! address: they look the page up in the tables and copy through the
//! physical-memory window, which is kernel memory. So the kernel never needs
//! `stac`, and AC stays clear in ring 0 at all times: `syscall` clears it
//! (FMASK), and the interrupt entry clears it when it comes from ring 3,
//! where a program may have set it (`popf`).

use core::arch::x86_64::__cpuid_count;
use core::sync::atomic::{AtomicBool, Ordering};
use x86_64::registers::control::{Cr4, Cr4Flags};

static SMEP: AtomicBool = AtomicBool::new(false);
static SMAP: AtomicBool = AtomicBool::new(false);

/// Whether the CPU has SMEP and SMAP: `cpuid` leaf 7, sub-leaf 0, EBX bits 7 and 20.
pub fn cpu_has() -> (bool, bool) {
    // Leaf 0 says how far the leaves go.
    let max = core::arch::x86_64::__cpuid(0).eax;
    if max < 7 {
        return (false, false);
    }
    let ebx = __cpuid_count(7, 0).ebx;
    (ebx & (1 << 7) != 0, ebx & (1 << 20) != 0)
}

/// Turns on SMEP and SMAP where the CPU has them; returns which are on.
pub fn init() -> (bool, bool) {
    let (smep, smap) = cpu_has();
    let mut flags = Cr4Flags::empty();
    if smep {
        flags |= Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION;
    }
    if smap {
        flags |= Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION;
    }
    // SAFETY: the kernel neither runs nor touches user pages (see the
    // module docs), so forbidding it changes nothing for correct code; the
    // CPU has each bit we set (cpuid).
    unsafe { Cr4::update(|cr4| cr4.insert(flags)) };
    SMEP.store(smep, Ordering::Relaxed);
    SMAP.store(smap, Ordering::Relaxed);
    (smep, smap)
}

/// Which of SMEP and SMAP [`init`] turned on.
pub fn enabled() -> (bool, bool) {
    (SMEP.load(Ordering::Relaxed), SMAP.load(Ordering::Relaxed))
}
