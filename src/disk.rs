//! Disks for the virtio-blk driver: attaching a file, and the kernel tests'
//! scratch disk.
//!
//! `--disk FILE` attaches a raw image as a virtio block device (virtio 1.0
//! only: `disable-legacy=on`, so the kernel sees device id 0x1042), beside
//! the boot image, which stays the firmware's boot disk. Test kernels named
//! in [`NEEDS_DISK`] boot with a fresh scratch disk whose sectors hold the
//! known pattern of `crates/diskpattern`; each run gets its own copy, which
//! the tests may write. Those in [`NEEDS_EXT2`] get a fresh ext2 disk.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Test kernels that get a scratch disk.
pub const NEEDS_DISK: &[&str] = &["disk"];

/// Test kernels that get a fresh, empty ext2 disk ([`ext2_scratch`]).
pub const NEEDS_EXT2: &[&str] = &["powercut"];

/// The size of [`ext2_scratch`]'s disk.
pub const EXT2_SCRATCH_SIZE: usize = 16 << 20;

/// Writes a fresh ext2 disk (Kestrel's disk image without programs,
/// [`EXT2_SCRATCH_SIZE`] bytes) into `dir`.
pub fn ext2_scratch(dir: &Path) -> Result<PathBuf, String> {
    let path = dir.join("ext2-disk.img");
    let image = crate::disk_image::build_sized(EXT2_SCRATCH_SIZE, &[], 1_700_000_000)?;
    std::fs::write(&path, image).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// The disk QEMU arguments a test kernel gets (none for most), its disk
/// made in `dir`.
pub fn for_test_kernel(name: &str, dir: &Path) -> Result<Vec<String>, String> {
    if NEEDS_DISK.contains(&name) {
        return Ok(qemu_args(&scratch(dir)?));
    }
    if NEEDS_EXT2.contains(&name) {
        return Ok(qemu_args(&ext2_scratch(dir)?));
    }
    Ok(Vec::new())
}

/// QEMU arguments that attach `file` as a virtio-blk disk.
pub fn qemu_args(file: &Path) -> Vec<String> {
    vec![
        "-drive".into(),
        format!("if=none,id=kdisk,format=raw,file={}", file.display()),
        "-device".into(),
        "virtio-blk-pci,drive=kdisk,disable-legacy=on".into(),
    ]
}

/// Checks that `file` is a disk image we can attach (a clear message if not).
pub fn check(file: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(file).map_err(|e| format!("--disk {}: {e}", file.display()))?;
    if !meta.is_file() {
        return Err(format!("--disk {}: not a file", file.display()));
    }
    if meta.len() % 512 != 0 || meta.len() == 0 {
        return Err(format!(
            "--disk {}: {} bytes is not a whole number of 512-byte sectors",
            file.display(),
            meta.len()
        ));
    }
    Ok(())
}

/// Writes a scratch disk (`diskpattern::SECTORS` sectors of the known
/// pattern) into `dir`.
pub fn scratch(dir: &Path) -> Result<PathBuf, String> {
    let path = dir.join("scratch-disk.img");
    let mut bytes = vec![0u8; diskpattern::SECTORS as usize * diskpattern::SECTOR];
    for (sector, chunk) in bytes.chunks_mut(diskpattern::SECTOR).enumerate() {
        diskpattern::fill(sector as u64, chunk);
    }
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(&bytes))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qemu::tempdir::TempDir;

    #[test]
    fn scratch_disk_has_the_pattern_and_passes_the_check() {
        let dir = TempDir::new(&std::env::temp_dir().join("kestrel-test")).unwrap();
        let path = scratch(dir.path()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len() as u64, diskpattern::SECTORS * 512);
        assert!(diskpattern::matches(77, &bytes[77 * 512..78 * 512]));
        assert!(check(&path).is_ok());
        let args = qemu_args(&path).join(" ");
        assert!(args.contains("virtio-blk-pci,drive=kdisk") && args.contains("format=raw"));
    }

    #[test]
    fn bad_disk_files_give_a_message() {
        let dir = TempDir::new(&std::env::temp_dir().join("kestrel-test")).unwrap();
        assert!(
            check(&dir.path().join("missing"))
                .unwrap_err()
                .contains("missing")
        );
        assert!(check(dir.path()).unwrap_err().contains("not a file"));
        let odd = dir.path().join("odd.img");
        std::fs::write(&odd, [0u8; 100]).unwrap();
        assert!(check(&odd).unwrap_err().contains("whole number"));
    }
}
