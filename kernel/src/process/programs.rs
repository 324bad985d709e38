//! Where `execve` finds programs: one small lookup by path.
//!
//! Programs come from the ramdisk (`fs::ramdisk`). A test kernel may also
//! *register* programs of its own: a path and the program's bytes, which
//! live as long as the kernel; a registered path is found first.

use crate::sync::IrqMutex;
use alloc::collections::BTreeMap;

static PROGRAMS: IrqMutex<BTreeMap<&'static [u8], &'static [u8]>> = IrqMutex::new(BTreeMap::new());

/// Makes `bytes` the program at `path` (replacing any before).
pub fn register(path: &'static [u8], bytes: &'static [u8]) {
    PROGRAMS.lock().insert(path, bytes);
}

/// The bytes of the program at `path`, if there is one.
pub fn find(path: &[u8]) -> Option<&'static [u8]> {
    let registered = PROGRAMS.lock().get(path).copied();
    registered.or_else(|| crate::fs::ramdisk::find(path))
}
