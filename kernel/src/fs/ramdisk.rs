//! The ramdisk: the user programs and data files, read-only, from memory.
//!
//! The runner packs the programs into a cpio "newc" archive (`bin/hello`,
//! `etc/motd`, ...) and the bootloader loads it next to the kernel; the boot
//! information gives its address and length (`BootInfo.ramdisk_addr`,
//! `ramdisk_len`), in the higher half (the bootloader's dynamic range), so
//! every address space sees it. The memory stays marked as used by the
//! bootloader: no frame of it is ever handed out, and it lives as long as
//! the kernel.
//!
//! [`init`] records it and says so in one boot line
//! (`ramdisk: 3 files, 1146 KiB` or `no ramdisk`); [`find`] and [`lookup`]
//! look paths up (`/bin/hello`; a relative path is read from `/`), with
//! `crates/cpio` reading the archive and `crates/files` walking the path.
//! [`copy_into`] copies every directory, file and symbolic link of the
//! archive, modes kept, into a RAM file system: the root of the VFS when
//! there is no disk (`fs::vfs`). Hard links stay links: the names of one
//! archive inode (`/bin/ls`, `/bin/cat`, ... of the multi-call `tools`) become
//! names of one RAM file, its data copied once.

use crate::println;
use alloc::vec::Vec;
use bootloader_api::BootInfo;
use cpio::Archive;
use files::{Errno, Node};
use spin::Once;
use vfs::{FileSystem, Ino, Kind, TmpFs};

static RAMDISK: Once<&'static [u8]> = Once::new();

/// Records the bootloader's ramdisk, if it loaded one, and prints one line about it.
pub fn init(boot_info: &BootInfo) {
    let Some(address) = boot_info.ramdisk_addr.into_option() else {
        println!("no ramdisk");
        return;
    };
    let len = boot_info.ramdisk_len as usize;
    // SAFETY: the bootloader mapped `len` bytes at `address` (in the dynamic
    // range of the higher half, which no one unmaps) and marked their frames
    // as used by itself, so the frame allocator never hands them out and
    // nothing writes them: they stay valid and unchanged for the kernel's life.
    let bytes = unsafe { core::slice::from_raw_parts(address as *const u8, len) };
    let bytes = RAMDISK.call_once(|| bytes);
    let archive = Archive::new(bytes);
    let mut files = 0;
    for entry in archive.entries() {
        match entry {
            Ok(entry) if entry.is_file() => files += 1,
            Ok(_) => {}
            Err(e) => {
                println!("ramdisk: damaged after {files} files: {e}");
                return;
            }
        }
    }
    println!("ramdisk: {files} files, {} KiB", len.div_ceil(1024));
}

/// The archive, if there is a ramdisk.
pub fn archive() -> Option<Archive<'static>> {
    RAMDISK.get().map(|bytes| Archive::new(bytes))
}

/// What `path` names in the ramdisk (`ENOENT` without a ramdisk).
pub fn lookup(path: &[u8]) -> Result<Node<'static>, Errno> {
    let archive = archive().ok_or(linux_raw_sys::errno::ENOENT)?;
    files::lookup(&archive, path)
}

/// The contents of the regular file at `path`, if there is one.
pub fn find(path: &[u8]) -> Option<&'static [u8]> {
    match lookup(path) {
        Ok(Node::File(entry)) if entry.is_file() => Some(entry.data),
        _ => None,
    }
}

/// Copies the archive into `fs` (see the module docs); missing parent
/// directories are made (mode 0o755). Says which entries could not be copied.
pub fn copy_into(fs: &TmpFs) {
    let Some(archive) = archive() else { return };
    let mut linked = Vec::new();
    for entry in archive.entries() {
        let Ok(entry) = entry else { break }; // (`init` said where)
        if let Err(errno) = copy_entry(fs, &entry, &mut linked) {
            println!("ramdisk: cannot copy {} (error {errno})", entry.name);
        }
    }
}

/// The RAM files made so far for hard-linked archive entries, by their
/// archive inode number.
type Linked = Vec<(u32, Ino)>;

fn copy_entry(fs: &TmpFs, entry: &cpio::Entry, linked: &mut Linked) -> Result<(), Errno> {
    let names: Vec<&[u8]> = entry
        .name
        .as_bytes()
        .split(|&b| b == b'/')
        .filter(|n| !n.is_empty() && *n != b".")
        .collect();
    let Some((last, parents)) = names.split_last() else {
        return Ok(()); // "." itself: the root is there already
    };
    let mut dir = fs.root();
    for name in parents {
        dir = directory(fs, dir, name, 0o755)?;
    }
    let perm = entry.mode & 0o7777;
    match Kind::from_mode(entry.mode) {
        Some(Kind::Directory) => {
            let ino = directory(fs, dir, last, perm)?;
            fs.chmod(ino, perm)
        }
        Some(Kind::Symlink) => fs.symlink(dir, last, entry.data).map(drop),
        Some(Kind::File) => copy_file(fs, dir, last, entry, linked),
        _ => Err(linux_raw_sys::errno::EINVAL),
    }
}

/// A regular file: a new RAM file, or, for another name of a hard-linked
/// archive inode already copied, a link to that file. The data goes in
/// from whichever of the names carries it.
fn copy_file(
    fs: &TmpFs,
    dir: Ino,
    name: &[u8],
    entry: &cpio::Entry,
    linked: &mut Linked,
) -> Result<(), Errno> {
    let earlier = linked.iter().find(|(inode, _)| *inode == entry.inode);
    let ino = match earlier {
        Some(&(_, ino)) if entry.links > 1 => {
            fs.link(ino, dir, name)?;
            ino
        }
        _ => {
            let ino = fs.create(dir, name, Kind::File, entry.mode & 0o7777, 0)?;
            if entry.links > 1 {
                linked.push((entry.inode, ino));
            }
            ino
        }
    };
    if entry.data.is_empty() {
        return Ok(());
    }
    fs.write(ino, 0, entry.data).map(drop)
}

/// The directory `name` in `dir`, made if missing.
fn directory(fs: &TmpFs, dir: Ino, name: &[u8], perm: u32) -> Result<Ino, Errno> {
    match fs.lookup(dir, name) {
        Ok(ino) => Ok(ino),
        Err(linux_raw_sys::errno::ENOENT) => fs.mkdir(dir, name, perm),
        Err(errno) => Err(errno),
    }
}
