//! Memory system calls: `brk`, `mmap`, `munmap`, `mprotect`, with Linux's
//! checks and error numbers.
//!
//! The work is `process::memory`'s (regions written down, pages filled in
//! on demand, frames freed); this file reads the arguments the way Linux
//! does, in Linux's order, so that a bad argument gets the same error:
//!
//! - `EINVAL` for an unaligned address or offset, a zero length, an unknown
//!   mapping type (neither `MAP_PRIVATE` nor `MAP_SHARED`);
//! - `ENOMEM` for a range outside the user addresses, no room left, more
//!   memory than the machine has, or (`mprotect`) pages that are not mapped;
//! - `EEXIST` for `MAP_FIXED_NOREPLACE` over a mapping;
//! - `EBADF` / `ENODEV` for file mappings, which are not supported: a
//!   descriptor that is not open, or one (the console, 0-2) that cannot be
//!   mapped.

use super::{Args, Errno};
use crate::process::{self, memory};
use linux_raw_sys::errno;
use linux_raw_sys::general::{
    MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_HUGETLB, MAP_PRIVATE, MAP_SHARED, MAP_TYPE,
    PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP, PROT_READ, PROT_SEM, PROT_WRITE,
};
use memory::{TASK_SIZE, page_up};
use vmas::{Kind, PAGE, Region, Rights};

const EINVAL: Errno = Errno(errno::EINVAL);
const ENOMEM: Errno = Errno(errno::ENOMEM);

/// Runs `f` on the calling process's memory (`ENOMEM` if it has none).
fn with_memory<R>(
    f: impl FnOnce(&mut crate::memory::address_space::AddressSpace, &mut memory::UserMemory) -> R,
) -> Result<R, Errno> {
    process::with_memory(f).ok_or(ENOMEM)
}

/// `brk(address)`: moves the end of the heap; returns the break, which is
/// the old one if it could not move (0 asks for the current one).
pub fn brk(args: &Args) -> Result<u64, Errno> {
    with_memory(|space, memory| memory.set_break(space, args[0]))
}

/// `mmap(address, length, prot, flags, fd, offset)`: anonymous memory only.
pub fn mmap(args: &Args) -> Result<u64, Errno> {
    let [address, len, prot, flags, fd, offset] = *args;
    let flags = flags as u32;
    if !offset.is_multiple_of(PAGE) {
        return Err(EINVAL);
    }
    if flags & MAP_ANONYMOUS == 0 {
        // No file can be mapped yet: the console (0-2) cannot, any other
        // descriptor is not open.
        return Err(Errno(if fd as i32 >= 0 && fd as i32 <= 2 {
            errno::ENODEV
        } else {
            errno::EBADF
        }));
    }
    if flags & MAP_HUGETLB != 0 || len == 0 {
        return Err(EINVAL);
    }
    let len = page_up(len).ok_or(ENOMEM)?;
    if len > TASK_SIZE {
        return Err(ENOMEM);
    }
    let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
    if fixed && (address > TASK_SIZE - len) {
        return Err(ENOMEM);
    }
    if fixed && !address.is_multiple_of(PAGE) {
        return Err(EINVAL);
    }
    let kind = match flags & MAP_TYPE {
        MAP_PRIVATE => Kind::Anonymous,
        MAP_SHARED => Kind::SharedAnonymous,
        _ => return Err(EINVAL),
    };
    let rights = Rights::from_prot(prot);
    with_memory(|space, memory| {
        let start = if fixed {
            if flags & MAP_FIXED == 0 && !memory.map.is_free(address, address + len) {
                return Err(Errno(errno::EEXIST));
            }
            address
        } else {
            memory.place(address, len).ok_or(ENOMEM)?
        };
        if rights.write && !memory.may_commit(len) {
            return Err(ENOMEM);
        }
        let region = Region {
            start,
            end: start + len,
            rights,
            kind,
        };
        memory.map(space, region, fixed).map_err(|_| ENOMEM)?;
        Ok(start)
    })?
}

/// Checks a range the way `munmap` does; returns its page-aligned end.
fn unmap_range(start: u64, len: u64) -> Result<u64, Errno> {
    if !start.is_multiple_of(PAGE) || start > TASK_SIZE || len > TASK_SIZE - start {
        return Err(EINVAL);
    }
    let end = start + page_up(len).ok_or(EINVAL)?;
    if end == start {
        return Err(EINVAL);
    }
    Ok(end)
}

/// `munmap(address, length)`: removes the mappings in the range and frees
/// their pages (nothing mapped there is not an error).
pub fn munmap(args: &Args) -> Result<u64, Errno> {
    let [start, len, ..] = *args;
    let end = unmap_range(start, len)?;
    with_memory(|space, memory| memory.unmap(space, start, end))?;
    Ok(0)
}

/// `mprotect(address, length, prot)`: new rights for every page of the range,
/// which must all be mapped (`ENOMEM` otherwise). Writable and executable
/// at once is allowed, as on Linux.
pub fn mprotect(args: &Args) -> Result<u64, Errno> {
    let [start, len, prot, ..] = *args;
    let prot = prot as u32;
    let grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
    if grows == PROT_GROWSDOWN | PROT_GROWSUP {
        return Err(EINVAL);
    }
    let prot = prot & !grows;
    if !start.is_multiple_of(PAGE) {
        return Err(EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let end = page_up(len)
        .and_then(|len| start.checked_add(len))
        .filter(|&end| end > start)
        .ok_or(ENOMEM)?;
    if prot & !(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM) != 0 {
        return Err(EINVAL);
    }
    if end > TASK_SIZE {
        return Err(ENOMEM);
    }
    let rights = Rights::from_prot(u64::from(prot));
    with_memory(|space, memory| memory.protect(space, start, end, rights))?.map_err(|_| ENOMEM)?;
    Ok(0)
}
