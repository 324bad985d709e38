//! Debian's busybox on Kestrel's disk: one unmodified Linux program, many
//! commands.
//!
//! busybox is a single executable that holds some 270 small programs
//! ("applets": `ls`, `sed`, `sh`, ...). It picks the applet from the name it
//! was started under (`argv[0]`), so one file serves every command through
//! links to it: `/bin/sed` is the busybox file under another name. Debian's
//! `busybox-static` is linked statically against glibc 2.36 and is not
//! position-independent (it loads at 0x400000): a Linux program that Kestrel
//! runs as it is, which makes it a good test of the system-call interface.
//!
//! When `/bin/busybox` exists on the host (`cargo run -- setup` installs
//! the package), the runner copies it to the disk image as `/bin/busybox`
//! and gives it one name in `/bin` per applet that we do not provide
//! ourselves: our own programs (`user/`) keep their names in `/bin` and
//! `/sbin`, and a name already on a kept disk is left alone.
//!
//! The applet names are *hard links*, not symbolic links: every name is
//! the same inode, so they cost one directory entry each and no inode or
//! block, a program started by any name is the very file `/proc/self/exe`
//! names, and rewriting `/bin/busybox` in place (a newer package) updates
//! every applet at once. `ls -l /bin` shows the link count (about 260).

use ext2::{Fs, MemDisk};
use std::path::Path;
use std::sync::Once;

/// Where Debian's package puts the binary.
pub const HOST_PATH: &str = "/bin/busybox";

/// The command that installs it, for messages.
pub const INSTALL: &str = "sudo apt-get install -y busybox-static";

/// A busybox binary and the applets it says it has.
#[derive(Clone, Debug)]
pub struct Busybox {
    pub bytes: Vec<u8>,
    /// `busybox --list`: one applet name each, sorted as busybox prints them.
    pub applets: Vec<String>,
}

impl Busybox {
    /// Reads the binary at `path` and asks it for its applets. A binary
    /// that needs a dynamic loader is refused: Kestrel has none.
    pub fn load(path: &Path) -> Result<Busybox, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if !is_static_elf(&bytes) {
            return Err(format!(
                "{} is not a static x86_64 ELF program (Kestrel has no dynamic loader; \
                 install Debian's busybox-static: {INSTALL})",
                path.display()
            ));
        }
        let out = std::process::Command::new(path)
            .arg("--list")
            .output()
            .map_err(|e| format!("cannot run {} --list: {e}", path.display()))?;
        let applets = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::trim)
            .filter(|name| valid_name(name))
            .map(str::to_string)
            .collect::<Vec<_>>();
        if !out.status.success() || applets.is_empty() {
            return Err(format!("{} --list names no applets", path.display()));
        }
        Ok(Busybox { bytes, applets })
    }
}

/// The host's busybox, if it has a usable one. When it does not, the runner
/// says so (once per run) and the disk gets no busybox.
pub fn on_host() -> Option<Busybox> {
    static SAID: Once = Once::new();
    match Busybox::load(Path::new(HOST_PATH)) {
        Ok(busybox) => Some(busybox),
        Err(why) => {
            SAID.call_once(|| {
                eprintln!(
                    "[disk] no busybox on the disk: {why} (`cargo run -- setup` or `{INSTALL}` adds it)"
                )
            });
            None
        }
    }
}

/// A name that can be a file in `/bin`: not empty, no `/`, not `.`/`..`.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('/') && name != "." && name != ".."
}

/// Whether `bytes` is a 64-bit little-endian x86_64 ELF executable without
/// a `PT_INTERP` program header (so no dynamic loader is asked for).
pub fn is_static_elf(bytes: &[u8]) -> bool {
    const PT_INTERP: u32 = 3;
    const EM_X86_64: u16 = 62;
    let u16_at = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
    };
    let u64_at = |at: usize| {
        bytes
            .get(at..at + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
    };
    if !bytes.starts_with(b"\x7fELF\x02\x01") || u16_at(18) != Some(EM_X86_64) {
        return false;
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(32), u16_at(54), u16_at(56)) else {
        return false;
    };
    (0..usize::from(phnum)).all(|i| {
        usize::try_from(phoff)
            .ok()
            .and_then(|at| at.checked_add(i * usize::from(phentsize)))
            .and_then(u32_at)
            .is_some_and(|kind| kind != PT_INTERP)
    })
}

/// Puts `busybox` on the file system: `/bin/busybox` (written only if it
/// differs) and a hard link in `/bin` for each applet whose name is free
/// (not one of `ours`, not already in `/bin` or `/sbin`). Returns whether
/// anything changed.
pub fn put_on(fs: &mut Fs<MemDisk>, busybox: &Busybox, ours: &[String]) -> Result<bool, String> {
    let err = |what: &str| {
        let what = what.to_string();
        move |e: ext2::Error| format!("busybox on the disk: {what}: {e}")
    };
    let mut changed = false;
    if crate::disk_image::lookup_path(fs, "bin/busybox")
        .and_then(|ino| crate::disk_image::file_bytes(fs, ino))
        .as_deref()
        != Some(&busybox.bytes[..])
    {
        fs.put_file(b"bin/busybox", &busybox.bytes, 0o755)
            .map_err(err("bin/busybox"))?;
        changed = true;
    }
    let bin = fs.lookup(ext2::ROOT, b"bin").map_err(err("bin"))?;
    let sbin = fs.lookup(ext2::ROOT, b"sbin").ok();
    let ino = fs.lookup(bin, b"busybox").map_err(err("bin/busybox"))?;
    for name in &busybox.applets {
        let taken = ours.contains(name)
            || fs.lookup(bin, name.as_bytes()).is_ok()
            || sbin.is_some_and(|sbin| fs.lookup(sbin, name.as_bytes()).is_ok());
        if !taken {
            fs.link(ino, bin, name.as_bytes())
                .map_err(err(&format!("bin/{name}")))?;
            changed = true;
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_static_elf_is_told_from_a_dynamic_one_and_from_garbage() {
        let mut elf = vec![0u8; 64 + 56 * 2];
        elf[..6].copy_from_slice(b"\x7fELF\x02\x01");
        elf[18..20].copy_from_slice(&62u16.to_le_bytes());
        elf[32..40].copy_from_slice(&64u64.to_le_bytes());
        elf[54..56].copy_from_slice(&56u16.to_le_bytes());
        elf[56..58].copy_from_slice(&2u16.to_le_bytes());
        elf[64..68].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        assert!(is_static_elf(&elf));
        elf[120..124].copy_from_slice(&3u32.to_le_bytes()); // PT_INTERP
        assert!(!is_static_elf(&elf));
        assert!(!is_static_elf(&elf[..100]), "headers cut short");
        assert!(!is_static_elf(b"#!/bin/sh\n"));
    }

    #[test]
    fn applet_names_that_are_not_file_names_are_dropped() {
        for good in ["ls", "[", "[[", "run-parts"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", ".", "..", "usr/bin/ls"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
