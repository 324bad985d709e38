//! The ramdisk: the user programs (and a few data files) in one cpio archive.
//!
//! Before Kestrel has a disk driver and a file system, the programs a user can
//! run reach the kernel as the bootloader's *ramdisk*: one file that the
//! loader copies into memory next to the kernel and whose address it passes
//! in the boot information. The runner packs it in cpio's "newc" format (the
//! one Linux's initramfs uses; `crates/cpio` writes and reads it):
//!
//! ```text
//! bin/            directory
//! bin/hello       every program of user/, one executable each
//! bin/sh
//! bin/systest
//! bin/tools       the multi-call tools, and bin/ls, bin/cat, ... hard
//!                 links to it (same inode, data once: src/multicall.rs)
//! sbin/           directory
//! sbin/init       except `init`, which lives here (the kernel starts
//!                 `/sbin/init`, as on Linux)
//! etc/            directory
//! etc/motd        a short text file, for `cat` and the file tests
//! ```
//!
//! Every byte is loaded at each boot, and the BIOS bootloader's stages load
//! slowly under emulation (about 0.7 s per MiB), so the programs are built
//! small (user/Cargo.toml) and nothing else goes in.

use std::path::{Path, PathBuf};

/// The archive's file name, next to the images.
pub const FILE_NAME: &str = "ramdisk.cpio";

/// The text of `etc/motd`.
pub const MOTD: &str = "Welcome to Kestrel. Programs are in /bin; try `run hello`.\n";

/// The programs in `dir` (cargo's output directory of the user workspace):
/// executable regular files without an extension, as `(name, path)`, sorted.
pub fn programs_in(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    use std::os::unix::fs::PermissionsExt;
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut programs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let meta = entry
            .metadata()
            .map_err(|e| format!("{}: {e}", entry.path().display()))?;
        let executable = meta.is_file() && meta.permissions().mode() & 0o111 != 0;
        if executable && !name.contains('.') && !crate::multicall::is_link(&name) {
            programs.push((name, entry.path()));
        }
    }
    programs.sort();
    Ok(programs)
}

/// The programs that go to `/sbin` instead of `/bin`.
pub const SBIN: &[&str] = &["init"];

/// Where program `name` lands in the archive: `sbin/NAME` or `bin/NAME`.
pub fn program_path(name: &str) -> String {
    let dir = if SBIN.contains(&name) { "sbin" } else { "bin" };
    format!("{dir}/{name}")
}

/// The archive's bytes for `programs` (`(name, file bytes)`).
pub fn archive(programs: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = cpio::Writer::new();
    writer.add("bin", cpio::write::DIRECTORY, &[]);
    writer.add("sbin", cpio::write::DIRECTORY, &[]);
    for (name, bytes) in programs {
        let mut paths = vec![program_path(name)];
        for link in crate::multicall::links_of(name) {
            paths.push(program_path(link));
        }
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        writer.add_linked(&paths, cpio::write::EXECUTABLE, bytes);
    }
    writer.add("etc", cpio::write::DIRECTORY, &[]);
    writer.add("etc/motd", cpio::write::READABLE, MOTD.as_bytes());
    writer.finish()
}

/// Packs the programs of `programs_dir` into `<out_dir>/ramdisk.cpio`
/// (written under a temporary name, then renamed into place) and returns its path.
pub fn pack(programs_dir: &Path, out_dir: &Path) -> Result<PathBuf, String> {
    let mut programs = Vec::new();
    for (name, path) in programs_in(programs_dir)? {
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        programs.push((name, bytes));
    }
    if programs.is_empty() {
        return Err(format!("no user programs in {}", programs_dir.display()));
    }
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let path = out_dir.join(FILE_NAME);
    let partial = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&partial, archive(&programs))
        .map_err(|e| format!("{}: {e}", partial.display()))?;
    std::fs::rename(&partial, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_archive_has_the_programs_under_bin_init_under_sbin_and_the_motd() {
        let programs = [
            ("hello".to_string(), b"\x7fELF hello".to_vec()),
            ("init".to_string(), b"\x7fELF init".to_vec()),
            ("systest".to_string(), vec![7; 1001]),
        ];
        let bytes = archive(&programs);
        let archive = cpio::Archive::new(&bytes);
        let hello = archive.find("/bin/hello").unwrap();
        assert!(hello.is_file());
        assert_eq!(hello.data, b"\x7fELF hello");
        assert_eq!(hello.mode & 0o777, 0o755);
        assert_eq!(archive.find("bin/systest").unwrap().data, &[7; 1001][..]);
        assert!(archive.find("bin").unwrap().is_directory());
        assert_eq!(archive.find("etc/motd").unwrap().data, MOTD.as_bytes());
        assert_eq!(archive.find("/sbin/init").unwrap().data, b"\x7fELF init");
        assert!(archive.find("/bin/init").is_err());
        assert!(archive.find("sbin").unwrap().is_directory());
        assert_eq!(archive.entries().count(), 7);
    }

    #[test]
    fn the_tools_are_stored_once_with_a_hard_link_per_name() {
        let elf = b"\x7fELF tools";
        let programs = [
            ("hello".to_string(), b"\x7fELF hello".to_vec()),
            ("tools".to_string(), elf.to_vec()),
        ];
        let bytes = archive(&programs);
        assert_eq!(bytes.windows(elf.len()).filter(|w| w == elf).count(), 1);
        let archive = cpio::Archive::new(&bytes);
        let tools = archive.find("bin/tools").unwrap();
        assert_eq!(tools.links, 12);
        for name in ["ls", "cat", "echo", "uptime"] {
            let link = archive.find(&format!("/bin/{name}")).unwrap();
            assert_eq!((link.inode, link.data), (tools.inode, tools.data), "{name}");
        }
        assert_eq!(archive.find("bin/hello").unwrap().links, 1);
    }

    #[test]
    fn only_executables_without_extension_are_programs() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("kestrel-ramdisk-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("deps")).unwrap();
        // `ls`: left over from when each tool was a program of its own.
        let files = [
            ("hello", 0o755),
            ("hello.d", 0o644),
            ("notes", 0o644),
            ("ls", 0o755),
        ];
        for (name, mode) in files {
            let path = dir.join(name);
            std::fs::write(&path, name).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        let found = programs_in(&dir).unwrap();
        let out = dir.join("out");
        let packed = pack(&dir, &out).map(|p| std::fs::read(p).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(found, [("hello".to_string(), dir.join("hello"))]);
        let packed = packed.unwrap();
        assert_eq!(
            cpio::Archive::new(&packed).find("bin/hello").unwrap().data,
            b"hello"
        );
    }
}
