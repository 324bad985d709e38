//! The kernel's tree of files: which file system is mounted where.
//!
//! Four file systems make the tree (mount ids in brackets, fixed):
//!
//! ```text
//! /        [0] the root: a tmpfs filled from the ramdisk, or a disk (mount_root)
//! /dev     [1] devices: null, zero, urandom, console, tty (fs::devices)
//! /tmp     [2] a tmpfs, empty at boot
//! /proc    [3] processes: self, <pid>/{stat,cmdline,exe,cwd,fd/} (fs::procfs)
//! ```
//!
//! The table is built the first time anyone asks for it ([`mounts`]), so
//! every kernel (test kernels too) has it once the ramdisk is recorded.
//! Walking paths is `crates/vfs`' work (`Mounts::resolve`, ...); this
//! module only holds the table, as an `Arc` that each system call takes a
//! copy of, so no lock is held while a file system works.
//!
//! [`mount_root`] puts another file system (a disk) at `/` in place of the
//! ramdisk's tmpfs, keeping `/dev`, `/tmp` and `/proc` (their directories
//! are made on it if missing). Call it before the first process starts:
//! locations that processes hold (their current directory, open
//! directories) name mount 0, which would then be the new root.

use crate::fs::{devices, procfs, ramdisk};
use crate::sync::IrqMutex;
use alloc::sync::Arc;
use spin::Once;
use vfs::{FileSystem, Location, Mounts, TmpFs};

/// The mount ids of the fixed mounts (see the module docs).
pub const DEV: vfs::MountId = 1;
pub const TMP: vfs::MountId = 2;
pub const PROC: vfs::MountId = 3;

static MOUNTS: IrqMutex<Option<Arc<Mounts>>> = IrqMutex::new(None);

/// The file systems that stay whatever the root is: /dev, /tmp, /proc.
struct Fixed {
    dev: Arc<dyn FileSystem>,
    tmp: Arc<dyn FileSystem>,
    proc: Arc<dyn FileSystem>,
}

fn fixed() -> &'static Fixed {
    static FIXED: Once<Fixed> = Once::new();
    FIXED.call_once(|| Fixed {
        dev: Arc::new(devices::device_fs()),
        tmp: Arc::new(TmpFs::with_clock(now)),
        proc: Arc::new(procfs::ProcFs),
    })
}

/// The mount table (built from the ramdisk at the first call).
pub fn mounts() -> Arc<Mounts> {
    if let Some(mounts) = MOUNTS.lock().as_ref() {
        return mounts.clone();
    }
    let root = TmpFs::with_clock(now);
    ramdisk::copy_into(&root);
    let built = Arc::new(build(Arc::new(root)));
    MOUNTS.lock().get_or_insert(built).clone()
}

/// Makes `fs` the root file system (see the module docs).
pub fn mount_root(fs: Arc<dyn FileSystem>) {
    let built = Arc::new(build(fs));
    *MOUNTS.lock() = Some(built);
}

/// A table with `root` at `/` and the fixed mounts on it.
fn build(root: Arc<dyn FileSystem>) -> Mounts {
    let mut mounts = Mounts::new(root.clone());
    let fixed = fixed();
    for (name, fs) in [
        (&b"dev"[..], &fixed.dev),
        (b"tmp", &fixed.tmp),
        (b"proc", &fixed.proc),
    ] {
        let perm = if name == b"tmp" { 0o1777 } else { 0o755 };
        let ino = root
            .lookup(root.root(), name)
            .or_else(|_| root.mkdir(root.root(), name, perm));
        let placed = ino.and_then(|ino| {
            let on = Location { mount: 0, ino };
            mounts.mount(on, fs.clone())
        });
        if let Err(errno) = placed {
            // The ids of the later mounts would shift: say so loudly.
            crate::println!(
                "vfs: cannot mount /{} (error {errno})",
                core::str::from_utf8(name).unwrap_or("?")
            );
        }
    }
    mounts
}

/// Seconds since the epoch, for file times.
pub fn now() -> u64 {
    static AT_START: Once<u64> = Once::new();
    let start = *AT_START.call_once(|| {
        let rtc = crate::drivers::rtc::unix_seconds().unwrap_or(0);
        rtc.saturating_sub(crate::time::now_ns() / 1_000_000_000)
    });
    start + crate::time::now_ns() / 1_000_000_000
}
