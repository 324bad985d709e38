//! The file system found on the disk at boot, for the VFS to mount at `/`.
//!
//! Booting mounts the disk's ext2 file system (`fs::ext2_mount`) and leaves
//! it here; the VFS takes it with [`mounted`]. This is the one hand-over
//! point between the disk side and the VFS side: everything above sees
//! only a `vfs::FileSystem`.

use crate::sync::IrqMutex;
use alloc::sync::Arc;
use vfs::FileSystem;

static MOUNTED: IrqMutex<Option<Arc<dyn FileSystem>>> = IrqMutex::new(None);

/// The disk's file system, if booting mounted one.
pub fn mounted() -> Option<Arc<dyn FileSystem>> {
    MOUNTED.lock().clone()
}

/// Leaves the mounted file system for the VFS (replacing any earlier one).
pub fn set_mounted(fs: Arc<dyn FileSystem>) {
    *MOUNTED.lock() = Some(fs);
}
