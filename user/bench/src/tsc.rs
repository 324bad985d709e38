//! Time in TSC cycles, the unit of every figure.
//!
//! `rdtsc` reads the CPU's time-stamp counter, which counts at a constant
//! rate. Under QEMU's TCG the guest's counter runs at the host's rate, so a
//! cycle is the same length on Kestrel and on Linux in the same QEMU, and
//! figures in cycles compare directly. Rates (MB/s, files/s) need seconds:
//! [`hz`] measures the counter's rate against `CLOCK_MONOTONIC`.

use crate::sys::{self, SysError};

/// The time-stamp counter now.
pub fn now() -> u64 {
    // SAFETY: `rdtsc` only reads the counter; every x86_64 CPU has it and
    // user mode may read it unless the kernel forbade it (CR4.TSD), which
    // neither Linux nor Kestrel does.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The counter's rate in Hz: cycles counted while `CLOCK_MONOTONIC` advances
/// by `ns` nanoseconds (spinning, so that the process is not descheduled).
pub fn hz(ns: u64) -> Result<f64, SysError> {
    let start_ns = sys::monotonic_ns()?;
    let start = now();
    let (mut end_ns, mut end) = (start_ns, start);
    while end_ns - start_ns < ns {
        end_ns = sys::monotonic_ns()?;
        end = now();
    }
    Ok((end - start) as f64 * 1e9 / (end_ns - start_ns) as f64)
}
