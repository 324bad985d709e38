//! Reading and writing user memory from the kernel, checked.
//!
//! A system call's pointer arguments come from the program and may point
//! anywhere: at nothing, into the kernel's half, or at a range that wraps
//! around the end of the address space. The kernel touches user memory only
//! through [`copy_from_user`] and [`copy_to_user`], which
//!
//! 1. check the range: it must lie wholly in the lower (user) half without
//!    wrapping; otherwise `-EFAULT`;
//! 2. look every page of it up in the active address space's tables: it
//!    must be present and USER at every level (and WRITABLE for
//!    `copy_to_user`). A page the program has not touched yet is filled in
//!    first if its regions allow the access (`process::fault_in`, as the
//!    page-fault handler would); otherwise `-EFAULT`;
//! 3. copy through the kernel's physical-memory window, page by page.
//!
//! Because of step 2 a bad pointer never faults inside the kernel, and
//! because of step 3 the kernel never dereferences a user address at all.
//! (One thread per process so far: the mappings checked in step 2 cannot
//! change before step 3.)

use super::Errno;
use crate::arch::syscall::USER_END;
use crate::memory::address_space::translate_active;
use crate::memory::phys_to_virt;
use alloc::vec::Vec;
use x86_64::VirtAddr;
use x86_64::structures::paging::PageTableFlags as Flags;

/// Checks that `len` bytes from `address` lie in the user half.
pub fn check_range(address: u64, len: u64) -> Result<(), Errno> {
    match address.checked_add(len) {
        Some(end) if end <= USER_END => Ok(()),
        _ => Err(Errno::EFAULT),
    }
}

/// Calls `f` with each piece of the user range `address..address + len` that
/// lies in one page, as a pointer into the physical-memory window, after
/// checking the page has all of `needed`.
fn for_each_piece(
    address: u64,
    len: usize,
    needed: Flags,
    mut f: impl FnMut(*mut u8, usize, usize),
) -> Result<(), Errno> {
    check_range(address, len as u64)?;
    let mut done = 0;
    let usable = |at: u64| {
        translate_active(VirtAddr::new(at))
            .filter(|page| page.flags.contains(needed | Flags::USER_ACCESSIBLE))
    };
    let access = if needed.contains(Flags::WRITABLE) {
        vmas::Access::Write
    } else {
        vmas::Access::Read
    };
    while done < len {
        let at = address + done as u64;
        let page = match usable(at) {
            Some(page) => page,
            None => {
                // An untouched page is filled in, a copy-on-write one (after
                // `fork`) becomes the caller's own, if its region allows.
                crate::process::fault_in(at, access).map_err(|_| Errno::EFAULT)?;
                usable(at).ok_or(Errno::EFAULT)?
            }
        };
        let left_in_page = (page.page_size - at % page.page_size) as usize;
        let piece = left_in_page.min(len - done);
        f(phys_to_virt(page.phys).as_mut_ptr(), done, piece);
        done += piece;
    }
    Ok(())
}

/// Copies `buffer.len()` bytes from user address `from` into `buffer`.
pub fn copy_from_user(buffer: &mut [u8], from: u64) -> Result<(), Errno> {
    let len = buffer.len();
    for_each_piece(from, len, Flags::empty(), |window, at, piece| {
        // SAFETY: `window` is `piece` bytes of a present user page, seen
        // through the physical-memory window (checked above); `buffer` is
        // kernel memory that cannot overlap it.
        unsafe { core::ptr::copy_nonoverlapping(window, buffer[at..].as_mut_ptr(), piece) };
    })
}

/// Appends `len` bytes from user address `from` to `buffer` (no zeroed
/// buffer needed first, so a pipe's 64 KiB pass over memory is saved). On
/// `-EFAULT` the bytes before the bad page may have been appended.
pub fn append_from_user(buffer: &mut Vec<u8>, from: u64, len: usize) -> Result<(), Errno> {
    buffer.reserve(len);
    for_each_piece(from, len, Flags::empty(), |window, _, piece| {
        // SAFETY: `window` is `piece` bytes of a present user page, seen
        // through the physical-memory window (checked by `for_each_piece`),
        // readable for as long as this call runs.
        let bytes = unsafe { core::slice::from_raw_parts(window.cast_const(), piece) };
        buffer.extend_from_slice(bytes);
    })
}

/// Copies `data` to user address `to`, which must be writable.
pub fn copy_to_user(to: u64, data: &[u8]) -> Result<(), Errno> {
    for_each_piece(to, data.len(), Flags::WRITABLE, |window, at, piece| {
        // SAFETY: as in `copy_from_user`, the other way round.
        unsafe { core::ptr::copy_nonoverlapping(data[at..].as_ptr(), window, piece) };
    })
}
