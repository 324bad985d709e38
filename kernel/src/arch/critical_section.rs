//! The kernel's implementation of the `critical-section` crate.
//!
//! Library code that must not be interrupted halfway (the executor's
//! channels and timers, which interrupt handlers also use) calls
//! `critical_section::with(|cs| ...)` and leaves it to the platform to say
//! what "nobody else runs now" means. On our single CPU it means: interrupts
//! off. Nothing else can take the CPU away then: no handler runs, and no
//! thread is preempted, since preemption comes from the timer interrupt.
//!
//! Critical sections nest (a timer handler, already running with interrupts
//! off, wakes a task whose waker takes another one), so `acquire` returns
//! whether interrupts were enabled, and `release` turns them back on only in
//! that case: only the outermost section re-enables them. The crate passes
//! that `bool` from one to the other (its `restore-state-bool` feature, set
//! in `kernel/Cargo.toml`).

use x86_64::instructions::interrupts;

struct InterruptsOff;

::critical_section::set_impl!(InterruptsOff);

// SAFETY: `acquire` leaves interrupts disabled, so on one CPU the code inside
// the section runs alone until `release`; `release` restores exactly the
// interrupt flag that the matching `acquire` found, so nested sections keep
// interrupts off until the outermost one ends.
unsafe impl ::critical_section::Impl for InterruptsOff {
    /// Disables interrupts; returns whether they were enabled.
    ///
    /// # Safety
    /// Called by the `critical-section` crate only, paired with `release`.
    unsafe fn acquire() -> bool {
        let were_enabled = interrupts::are_enabled();
        interrupts::disable();
        were_enabled
    }

    /// Re-enables interrupts if the matching `acquire` found them enabled.
    ///
    /// # Safety
    /// Called by the `critical-section` crate only, with what the matching
    /// `acquire` returned, sections ending in the reverse order they began.
    unsafe fn release(were_enabled: bool) {
        if were_enabled {
            interrupts::enable();
        }
    }
}
