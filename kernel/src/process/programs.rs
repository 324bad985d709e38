//! Where `execve` finds programs: one small lookup by path.
//!
//! Until the ramdisk is wired in (the lead points [`find`] at it when
//! merging), programs are *registered*: a test kernel or the boot code adds
//! a path and the program's bytes, which live as long as the kernel.

use crate::sync::IrqMutex;
use alloc::collections::BTreeMap;

static PROGRAMS: IrqMutex<BTreeMap<&'static [u8], &'static [u8]>> = IrqMutex::new(BTreeMap::new());

/// Makes `bytes` the program at `path` (replacing any before).
pub fn register(path: &'static [u8], bytes: &'static [u8]) {
    PROGRAMS.lock().insert(path, bytes);
}

/// The bytes of the program at `path`, if there is one.
pub fn find(path: &[u8]) -> Option<&'static [u8]> {
    PROGRAMS.lock().get(path).copied()
}
