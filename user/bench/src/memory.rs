//! Measures of memory: anonymous page faults, and unmapping.
//!
//! `mmap` of private anonymous memory only reserves addresses; each page is
//! given a zeroed frame at its first touch, through a page fault. Writing
//! one byte per 4 KiB page therefore costs one fault per page, which is the
//! figure. Unmapping the touched memory then frees every frame.

use crate::measure::Failure;
use crate::sys;
use crate::tsc;

pub const PAGE: usize = 4096;

/// Cycles per page: first the fault at the first write, then `munmap`.
pub fn page_faults(bytes: usize) -> Result<Vec<f64>, Failure> {
    let memory = sys::Mapping::anonymous(bytes, false)?;
    let pages = memory.len() / PAGE;
    let base = memory.as_ptr();
    let start = tsc::now();
    for page in 0..pages {
        // SAFETY: the page lies inside the mapping, which is writable.
        unsafe { base.add(page * PAGE).write_volatile(1) };
    }
    let faulted = tsc::now();
    memory.unmap()?;
    let unmapped = tsc::now();
    Ok(vec![
        (faulted - start) as f64 / pages as f64,
        (unmapped - faulted) as f64 / pages as f64,
    ])
}
