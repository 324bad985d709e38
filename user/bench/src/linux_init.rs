//! What the benchmark does when Linux starts it as its first process (`/init`
//! of an initramfs), before and after measuring.
//!
//! Linux gives pid 1 nothing but the initramfs: no `/dev` beyond what the
//! archive holds, no mounted disks. With `--disk DEV` the benchmark makes the
//! disk usable for the file measures: it mounts `devtmpfs` on `/dev` (where
//! the kernel creates device nodes such as `/dev/vda`), loads the kernel
//! modules the runner packed into `/modules` (the virtio drivers, in
//! dependency order: their names sort in that order), waits for the disk's
//! node to appear, and mounts it on `/mnt`. At the end, pid 1 must not exit
//! (Linux would panic): it syncs and switches the machine off.

use crate::sys;
use std::time::{Duration, Instant};

/// Where the runner puts the modules, and where the disk is mounted.
const MODULES: &str = "/modules";
pub const MOUNT_POINT: &str = "/mnt";

/// How long the disk's device node may take to appear after the driver has
/// loaded (it is probed asynchronously).
const DISK_TIMEOUT: Duration = Duration::from_secs(10);

/// Makes `disk` usable and mounts it on [`MOUNT_POINT`]: returns the kind
/// of file system that mounted it (`ext4` first), or says what failed.
pub fn mount_disk(disk: &str) -> Result<&'static str, String> {
    match sys::mount("devtmpfs", "/dev", "devtmpfs") {
        Err(e) if e.errno != libc::EBUSY => return Err(format!("mounting /dev: {e}")),
        _ => {}
    }
    load_modules()?;
    let deadline = Instant::now() + DISK_TIMEOUT;
    while !std::path::Path::new(disk).exists() {
        if Instant::now() > deadline {
            return Err(format!("{disk} did not appear within {DISK_TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = sys::mkdir(MOUNT_POINT);
    let mut last = None;
    for kind in ["ext4", "ext3", "ext2"] {
        match sys::mount(disk, MOUNT_POINT, kind) {
            Ok(()) => return Ok(kind),
            Err(e) => last = Some(e),
        }
    }
    Err(format!(
        "mounting {disk}: {}",
        last.expect("tried one kind")
    ))
}

/// Loads every module in [`MODULES`], in the order of their names.
fn load_modules() -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(MODULES) else {
        return Ok(()); // no modules packed: the drivers are built in
    };
    let mut paths: Vec<_> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    paths.sort();
    for path in paths {
        let path = path.to_string_lossy();
        match sys::load_module(&path) {
            Err(e) if e.errno != libc::EEXIST => return Err(format!("loading {path}: {e}")),
            _ => {}
        }
    }
    Ok(())
}

/// Ends the run as pid 1: flushes the disks and powers off. Returns only if
/// the kernel refused (Kestrel, say), and then the caller simply exits.
pub fn power_off() {
    sys::sync();
    let error = sys::power_off();
    crate::measure::emit(&format!("bench: power off failed ({error}); exiting"));
}
