//! `arch_prctl`: a program sets and reads its FS and GS bases.
//!
//! The C library points FS at the thread's own block (thread-local storage)
//! at start-up. The bases live in MSRs while the thread runs, and the
//! scheduler saves and restores them on every switch (`arch::user_state`),
//! so these calls simply read and write the registers: FS in `FS_BASE`, the
//! program's GS in `KERNEL_GS_BASE` (where it waits while the kernel runs).
//! As on Linux, an address at or above `TASK_SIZE` (a kernel or
//! non-canonical address) is refused with `EPERM`, an unknown code with
//! `EINVAL`.

use super::{Args, Errno, user_memory};
use crate::process::memory::TASK_SIZE;
use linux_raw_sys::errno;
use x86_64::VirtAddr;
use x86_64::registers::model_specific::{FsBase, KernelGsBase};

const ARCH_SET_GS: u64 = 0x1001;
const ARCH_SET_FS: u64 = 0x1002;
const ARCH_GET_FS: u64 = 0x1003;
const ARCH_GET_GS: u64 = 0x1004;

/// `arch_prctl(code, address)`.
pub fn arch_prctl(args: &Args) -> Result<u64, Errno> {
    let [code, address, ..] = *args;
    match code {
        ARCH_SET_FS | ARCH_SET_GS => {
            if address >= TASK_SIZE {
                return Err(Errno(errno::EPERM));
            }
            let base = VirtAddr::new(address);
            if code == ARCH_SET_FS {
                FsBase::write(base);
            } else {
                KernelGsBase::write(base);
            }
            Ok(0)
        }
        ARCH_GET_FS | ARCH_GET_GS => {
            let base = if code == ARCH_GET_FS {
                FsBase::read()
            } else {
                KernelGsBase::read()
            };
            user_memory::copy_to_user(address, &base.as_u64().to_le_bytes())?;
            Ok(0)
        }
        _ => Err(Errno(errno::EINVAL)),
    }
}
