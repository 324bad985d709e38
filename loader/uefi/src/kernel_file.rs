//! Reading the kernel file (and the ramdisk) from the EFI system partition.
//!
//! UEFI firmware understands FAT file systems: the *simple file system
//! protocol* of the partition we were started from opens its root directory,
//! and from there files by path. We read `\kernel.elf` whole into pages of
//! type LOADER_DATA, which stay reserved after boot services exit: the
//! kernel reads its own ELF file later (for its symbol table) at the
//! physical address the boot info reports. The optional `\ramdisk` is read
//! the same way.

use alloc::format;
use alloc::string::String;
use uefi::boot::{self, AllocateType, MemoryType};
use uefi::proto::media::file::{File, FileAttribute, FileInfo, FileMode};
use uefi::{CStr16, cstr16};

/// The kernel's path on the ESP.
pub const PATH: &CStr16 = cstr16!("\\kernel.elf");
/// The ramdisk's path on the ESP (the file is optional).
pub const RAMDISK: &CStr16 = cstr16!("\\ramdisk");

/// The kernel file's bytes, in memory that lives until the kernel frees it.
pub fn read() -> Result<&'static [u8], String> {
    read_file(PATH)
}

/// The ramdisk's bytes if the ESP has one (`None` if there is no such file).
pub fn read_ramdisk() -> Result<Option<&'static [u8]>, String> {
    if exists(RAMDISK)? {
        read_file(RAMDISK).map(Some)
    } else {
        Ok(None)
    }
}

/// Whether `path` is on the ESP. (The file system protocol is opened
/// exclusively: it is closed again before the file is read.)
fn exists(path: &CStr16) -> Result<bool, String> {
    let mut fs = boot::get_image_file_system(boot::image_handle())
        .map_err(|e| format!("no file system to read {path}: {e:?}"))?;
    let mut root = fs
        .open_volume()
        .map_err(|e| format!("cannot open the volume of {path}: {e:?}"))?;
    match root.open(path, FileMode::Read, FileAttribute::empty()) {
        Ok(_) => Ok(true),
        Err(e) if e.status() == uefi::Status::NOT_FOUND => Ok(false),
        Err(e) => Err(format!("cannot open {path}: {e:?}")),
    }
}

/// A whole file's bytes, in LOADER_DATA pages that are never freed.
fn read_file(path: &CStr16) -> Result<&'static [u8], String> {
    let why = |what: &str, e: uefi::Error| format!("{what} {path}: {e:?}");
    let mut fs = boot::get_image_file_system(boot::image_handle())
        .map_err(|e| why("no file system to read", e))?;
    let mut root = fs
        .open_volume()
        .map_err(|e| why("cannot open the volume of", e))?;
    let file = root
        .open(path, FileMode::Read, FileAttribute::empty())
        .map_err(|e| why("cannot open", e))?;
    let mut file = file
        .into_regular_file()
        .ok_or_else(|| format!("{path} is a directory"))?;
    let info = file
        .get_boxed_info::<FileInfo>()
        .map_err(|e| why("cannot get the size of", e))?;
    let size = usize::try_from(info.file_size()).map_err(|_| format!("{path} is too large"))?;
    if size == 0 {
        return Err(format!("{path} is empty"));
    }
    let pages = size.div_ceil(4096);
    let memory = boot::allocate_pages(AllocateType::AnyPages, MemoryType::LOADER_DATA, pages)
        .map_err(|e| format!("no memory for {path} ({size} bytes): {e:?}"))?;
    // SAFETY: the firmware just gave us `pages` pages at `memory`, identity
    // mapped; nothing else refers to them, and they are never freed.
    let buffer = unsafe { core::slice::from_raw_parts_mut(memory.as_ptr(), size) };
    let mut done = 0;
    while done < size {
        let n = file
            .read(&mut buffer[done..])
            .map_err(|e| why("cannot read", e.to_err_without_payload()))?;
        if n == 0 {
            return Err(format!("{path}: file ended after {done} of {size} bytes"));
        }
        done += n;
    }
    Ok(buffer)
}
