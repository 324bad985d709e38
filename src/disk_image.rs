//! Kestrel's own disk: the ext2 image `cargo run` attaches by default.
//!
//! The first `cargo run` makes `target/disk/kestrel.img` with `crates/ext2`
//! (no e2fsprogs needed): a 64 MiB ext2 file system with a journal, holding
//!
//! ```text
//! /bin/*       the user programs the runner built (the ramdisk's too);
//!              /bin/ls, /bin/cat, ... hard links to /bin/tools (src/multicall.rs)
//! /sbin/init   the first process (`init` goes here, as in the ramdisk)
//! /etc/motd    the ramdisk's greeting
//! /home        empty
//! /tmp, /dev   empty directories, where the VFS mounts its RAM and device
//!              file systems
//! lost+found   as mke2fs makes it
//! /bin/busybox Debian's busybox-static, when the host has it, with a hard
//!              link in /bin per applet we do not provide (`busybox.rs`)
//! ```
//!
//! Later runs attach the same file, so what Kestrel writes to it stays;
//! only the programs are brought up to date (a program rebuilt since is
//! written over its old copy, a multi-call program's names are made links
//! to it again if they are not, and busybox and its missing applet links
//! are added; nothing else is touched). `--fresh-disk`
//! builds it again, `--no-disk` boots without a disk. The
//! image is written under a temporary name and renamed into place, so an
//! interrupted build never leaves half an image behind.

use crate::busybox::{self, Busybox};
use crate::{multicall, ramdisk};
use ext2::{Fs, MemDisk, Options};
use std::path::{Path, PathBuf};

/// The image's size.
pub const SIZE: usize = 64 << 20;
/// ext2 block size (the crate's default, and what its tests use most).
pub const BLOCK_SIZE: u32 = 1024;
/// Journal length in blocks (4 MiB).
pub const JOURNAL_BLOCKS: u32 = 4096;

/// Where the default image lives under the target directory.
pub fn path(target_dir: &Path) -> PathBuf {
    target_dir.join("disk").join("kestrel.img")
}

/// The image's bytes: an ext2 file system holding `programs` (`(name,
/// bytes)`) in `/bin`, the motd, and the empty directories. `now` is the
/// time written into the inodes (seconds since 1970).
pub fn build(programs: &[(String, Vec<u8>)], now: u32) -> Result<Vec<u8>, String> {
    build_sized(SIZE, programs, now)
}

/// Like [`build`], `size` bytes large (the test kernels' disks are smaller).
pub fn build_sized(
    size: usize,
    programs: &[(String, Vec<u8>)],
    now: u32,
) -> Result<Vec<u8>, String> {
    let fs = populate(size, programs, now)?;
    Ok(fs
        .unmount()
        .map_err(|e| format!("building the disk image: unmount: {e}"))?
        .bytes)
}

/// Like [`build`], with `busybox` and its applet links in `/bin` (see
/// `busybox.rs`); without busybox, the same as [`build`].
pub fn build_with_busybox(
    programs: &[(String, Vec<u8>)],
    busybox: Option<&Busybox>,
    now: u32,
) -> Result<Vec<u8>, String> {
    let mut fs = populate(SIZE, programs, now)?;
    if let Some(busybox) = busybox {
        busybox::put_on(&mut fs, busybox, &names(programs))?;
    }
    Ok(fs
        .unmount()
        .map_err(|e| format!("building the disk image: unmount: {e}"))?
        .bytes)
}

/// The programs' names, with the other names of multi-call programs.
fn names(programs: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut names = Vec::new();
    for (name, _) in programs {
        names.push(name.clone());
        names.extend(multicall::links_of(name).iter().map(|l| l.to_string()));
    }
    names
}

/// A new file system of `size` bytes holding `programs`, the motd and the
/// empty directories, still mounted.
fn populate(size: usize, programs: &[(String, Vec<u8>)], now: u32) -> Result<Fs<MemDisk>, String> {
    let options = Options {
        block_size: BLOCK_SIZE,
        journal_blocks: JOURNAL_BLOCKS,
        now,
        uuid: *b"Kestrel-rootdisk",
        label: *b"kestrel\0\0\0\0\0\0\0\0\0",
        ..Options::default()
    };
    let ext2_err = |what: &str| {
        let what = what.to_string();
        move |e: ext2::Error| format!("building the disk image: {what}: {e}")
    };
    let disk = ext2::mkfs(MemDisk::new(size), &options).map_err(ext2_err("mkfs"))?;
    let mut fs = Fs::mount(disk).map_err(ext2_err("mount"))?;
    fs.set_time(now);
    for (dir, perm) in [
        ("bin", 0o755),
        ("sbin", 0o755),
        ("etc", 0o755),
        ("home", 0o755),
        ("dev", 0o755),
    ] {
        fs.mkdir_all(dir.as_bytes(), perm).map_err(ext2_err(dir))?;
    }
    fs.mkdir_all(b"tmp", 0o1777).map_err(ext2_err("tmp"))?;
    for (name, bytes) in programs {
        let path = ramdisk::program_path(name);
        let ino = fs
            .put_file(path.as_bytes(), bytes, 0o755)
            .map_err(ext2_err(&path))?;
        link_names(&mut fs, name, ino).map_err(ext2_err(&path))?;
    }
    fs.put_file(b"etc/motd", ramdisk::MOTD.as_bytes(), 0o644)
        .map_err(ext2_err("etc/motd"))?;
    Ok(fs)
}

/// The default image for `programs_dir`'s programs: kept if it exists
/// (unless `fresh`), otherwise built. Returns its path and whether it was
/// built now.
pub fn ensure(
    target_dir: &Path,
    programs_dir: &Path,
    fresh: bool,
) -> Result<(PathBuf, bool), String> {
    let path = path(target_dir);
    let mut programs = Vec::new();
    for (name, file) in ramdisk::programs_in(programs_dir)? {
        let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        programs.push((name, bytes));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX));
    let busybox = busybox::on_host();
    if path.is_file() && !fresh {
        let image = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        match refresh_programs(image, &programs, busybox.as_ref(), now) {
            Ok(Some(image)) => replace(&path, &image)?,
            Ok(None) => {}
            // Kestrel will say what is wrong with it when it boots.
            Err(why) => eprintln!("[disk] {}: programs not updated: {why}", path.display()),
        }
        return Ok((path, false));
    }
    let image = build_with_busybox(&programs, busybox.as_ref(), now)?;
    let dir = path.parent().expect("the image has a directory");
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    replace(&path, &image)?;
    Ok((path, true))
}

/// Writes `image` to `path` under a temporary name, then renames it into
/// place, so an interruption never leaves half an image.
fn replace(path: &Path, image: &[u8]) -> Result<(), String> {
    let partial = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&partial, image).map_err(|e| format!("{}: {e}", partial.display()))?;
    std::fs::rename(&partial, path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The kept image with every program that differs from its copy on the
/// disk written again (mounting replays the journal first, as Kestrel
/// would), and `busybox` with its applet links added where missing; `None`
/// when everything is already up to date.
pub fn refresh_programs(
    image: Vec<u8>,
    programs: &[(String, Vec<u8>)],
    busybox: Option<&Busybox>,
    now: u32,
) -> Result<Option<Vec<u8>>, String> {
    let mut fs = Fs::mount(MemDisk::from_bytes(image)).map_err(|e| format!("mount: {e}"))?;
    fs.set_time(now);
    let mut changed = fs.replayed() > 0;
    for (name, bytes) in programs {
        let path = ramdisk::program_path(name);
        let ino = match lookup_path(&mut fs, &path) {
            Some(ino) if file_bytes(&mut fs, ino).as_deref() == Some(bytes.as_slice()) => ino,
            _ => {
                changed = true;
                fs.put_file(path.as_bytes(), bytes, 0o755)
                    .map_err(|e| format!("{path}: {e}"))?
            }
        };
        changed |= link_names(&mut fs, name, ino).map_err(|e| format!("{path}: {e}"))?;
    }
    if let Some(busybox) = busybox {
        changed |= busybox::put_on(&mut fs, busybox, &names(programs))?;
    }
    let image = fs.unmount().map_err(|e| format!("unmount: {e}"))?.bytes;
    Ok(changed.then_some(image))
}

/// Makes the other names of multi-call `program` (src/multicall.rs) hard
/// links to its inode `ino`, in its directory, replacing a file of that
/// name that is not one already. Returns whether it changed anything.
fn link_names(fs: &mut Fs<MemDisk>, program: &str, ino: u32) -> Result<bool, ext2::Error> {
    let mut changed = false;
    for link in multicall::links_of(program) {
        let path = ramdisk::program_path(link);
        let (dir, name) = path.split_once('/').expect("programs live in a directory");
        let dir = fs.lookup(ext2::ROOT, dir.as_bytes())?;
        match fs.lookup(dir, name.as_bytes()) {
            Ok(existing) if existing == ino => continue,
            Ok(_) => fs.unlink(dir, name.as_bytes())?,
            Err(_) => {}
        }
        fs.link(ino, dir, name.as_bytes())?;
        changed = true;
    }
    Ok(changed)
}

/// The inode at `path` (from the root), if there is one.
pub(crate) fn lookup_path(fs: &mut Fs<MemDisk>, path: &str) -> Option<u32> {
    let mut ino = ext2::ROOT;
    for name in path.split('/').filter(|n| !n.is_empty()) {
        ino = fs.lookup(ino, name.as_bytes()).ok()?;
    }
    Some(ino)
}

/// The contents of file `ino`.
pub(crate) fn file_bytes(fs: &mut Fs<MemDisk>, ino: u32) -> Option<Vec<u8>> {
    let size = usize::try_from(fs.stat(ino).ok()?.size).ok()?;
    let mut buf = vec![0; size];
    (fs.read(ino, 0, &mut buf).ok()? == size).then_some(buf)
}

/// Runs `e2fsck -fn` (check, change nothing) on the image at `path`:
/// whether it found nothing to fix, and its report. Installs e2fsprogs
/// first if it is missing (tests use this; booting never needs it).
pub fn e2fsck(path: &Path) -> Result<(bool, String), String> {
    let e2fsck = e2fsprogs_tool("e2fsck")?;
    let out = std::process::Command::new(&e2fsck)
        .arg("-fn")
        .arg(path)
        .env("E2FSPROGS_SKIP_PROGRESS", "1")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", e2fsck.display()))?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    Ok((out.status.success(), text))
}

/// Where e2fsprogs' tool `name` (`e2fsck`, `mke2fs`, `debugfs`) is,
/// installing e2fsprogs first if it is missing.
pub fn e2fsprogs_tool(name: &str) -> Result<PathBuf, String> {
    crate::setup::e2fsprogs()?;
    ["/sbin", "/usr/sbin", "/usr/bin"]
        .into_iter()
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.exists())
        .ok_or_else(|| format!("{name} not found"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qemu::tempdir::TempDir;

    fn programs() -> Vec<(String, Vec<u8>)> {
        vec![
            ("hello".into(), b"\x7fELF hello".to_vec()),
            ("tools".into(), b"\x7fELF tools".to_vec()),
            (
                "big".into(),
                (0..300_000u32).map(|i| (i % 251) as u8).collect(),
            ),
        ]
    }

    fn read(fs: &mut Fs<MemDisk>, path: &str) -> Vec<u8> {
        let mut ino = ext2::ROOT;
        for name in path.split('/').filter(|n| !n.is_empty()) {
            ino = fs.lookup(ino, name.as_bytes()).unwrap();
        }
        let size = fs.stat(ino).unwrap().size as usize;
        let mut buf = vec![0; size];
        assert_eq!(fs.read(ino, 0, &mut buf).unwrap(), size);
        buf
    }

    #[test]
    fn the_image_holds_the_programs_motd_and_empty_directories() {
        let image = build(&programs(), 1_700_000_000).unwrap();
        assert_eq!(image.len(), SIZE);
        let mut fs = Fs::mount(MemDisk::from_bytes(image)).unwrap();
        assert!(fs.journaled());
        for (name, bytes) in programs() {
            assert_eq!(read(&mut fs, &format!("/bin/{name}")), bytes);
            let bin = fs.lookup(ext2::ROOT, b"bin").unwrap();
            let ino = fs.lookup(bin, name.as_bytes()).unwrap();
            assert_eq!(fs.stat(ino).unwrap().mode, 0o100755);
        }
        assert_eq!(read(&mut fs, "/etc/motd"), ramdisk::MOTD.as_bytes());
        for (dir, mode) in [("tmp", 0o41777), ("dev", 0o40755), ("home", 0o40755)] {
            let ino = fs.lookup(ext2::ROOT, dir.as_bytes()).unwrap();
            assert_eq!(fs.stat(ino).unwrap().mode, mode, "{dir}");
            let mut cursor = 0;
            let mut names = Vec::new();
            while let Some((e, next)) = fs.readdir(ino, cursor).unwrap() {
                names.push(e.name);
                cursor = next;
            }
            assert_eq!(names, [b".".to_vec(), b"..".to_vec()], "{dir} is empty");
        }
        assert_eq!(fs.stat(ext2::ROOT).unwrap().mtime, 1_700_000_000);
    }

    #[test]
    fn the_tools_names_are_hard_links_to_one_inode() {
        let image = build(&programs(), 1_700_000_000).unwrap();
        let mut fs = Fs::mount(MemDisk::from_bytes(image)).unwrap();
        let tools = lookup_path(&mut fs, "bin/tools").unwrap();
        assert_eq!(fs.stat(tools).unwrap().links, 12);
        for name in multicall::links_of("tools") {
            assert_eq!(lookup_path(&mut fs, &format!("bin/{name}")), Some(tools));
        }
        assert_eq!(read(&mut fs, "/bin/ls"), b"\x7fELF tools");
    }

    #[test]
    fn an_older_image_with_a_file_per_tool_gets_links() {
        let old = vec![
            ("tools".to_string(), b"old tools".to_vec()),
            ("ls".to_string(), b"old ls".to_vec()),
        ];
        // `build` links `ls` to `tools` itself; an older runner wrote files.
        let mut fs = Fs::mount(MemDisk::from_bytes(build(&[], 1).unwrap())).unwrap();
        for (name, bytes) in &old {
            fs.put_file(format!("bin/{name}").as_bytes(), bytes, 0o755)
                .unwrap();
        }
        let image = fs.unmount().unwrap().bytes;
        let image = refresh_programs(image, &programs(), None, 2)
            .unwrap()
            .unwrap();
        let mut fs = Fs::mount(MemDisk::from_bytes(image)).unwrap();
        assert_eq!(read(&mut fs, "/bin/ls"), b"\x7fELF tools");
        let tools = lookup_path(&mut fs, "bin/tools").unwrap();
        assert_eq!(lookup_path(&mut fs, "bin/ls"), Some(tools));
        assert_eq!(fs.stat(tools).unwrap().links, 12);
        // Up to date now: nothing more to change.
        let image = fs.unmount().unwrap().bytes;
        assert_eq!(refresh_programs(image, &programs(), None, 3).unwrap(), None);
    }

    #[test]
    fn the_image_passes_e2fsck() {
        let dir = TempDir::new(&std::env::temp_dir().join("kestrel-test")).unwrap();
        let file = dir.path().join("disk.img");
        std::fs::write(&file, build(&programs(), 1_700_000_000).unwrap()).unwrap();
        let (clean, text) = e2fsck(&file).unwrap();
        assert!(clean, "e2fsck -fn:\n{text}");
    }

    #[test]
    fn an_existing_image_is_kept_unless_fresh() {
        let dir = TempDir::new(&std::env::temp_dir().join("kestrel-test")).unwrap();
        let programs_dir = dir.path().join("programs");
        std::fs::create_dir(&programs_dir).unwrap();
        let hello = programs_dir.join("hello");
        std::fs::write(&hello, b"\x7fELF").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hello, std::fs::Permissions::from_mode(0o755)).unwrap();

        let (path, built) = ensure(dir.path(), &programs_dir, false).unwrap();
        assert!(built && path.ends_with("disk/kestrel.img"));
        // Kestrel's changes (here: one byte) survive the next run...
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[SIZE - 1] = 0x5A;
        std::fs::write(&path, &bytes).unwrap();
        assert!(!ensure(dir.path(), &programs_dir, false).unwrap().1);
        assert_eq!(std::fs::read(&path).unwrap()[SIZE - 1], 0x5A);
        // A rebuilt program replaces its copy; what else is there stays.
        std::fs::write(&hello, b"\x7fELF, rebuilt").unwrap();
        assert!(!ensure(dir.path(), &programs_dir, false).unwrap().1);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes[SIZE - 1], 0x5A);
        let mut fs = Fs::mount(MemDisk::from_bytes(bytes)).unwrap();
        assert_eq!(read(&mut fs, "/bin/hello"), b"\x7fELF, rebuilt");
        // ...and --fresh-disk builds the image again.
        assert!(ensure(dir.path(), &programs_dir, true).unwrap().1);
        assert_eq!(std::fs::read(&path).unwrap()[SIZE - 1], 0);
    }

    fn fake_busybox() -> Busybox {
        Busybox {
            bytes: b"\x7fELF busybox".to_vec(),
            applets: ["[", "hello", "init", "sed", "sh"]
                .map(String::from)
                .to_vec(),
        }
    }

    /// [`programs`] and an `init`, which goes to /sbin.
    fn programs_and_init() -> Vec<(String, Vec<u8>)> {
        let mut programs = programs();
        programs.push(("init".into(), b"\x7fELF init".to_vec()));
        programs
    }

    /// The applets that are free get hard links to /bin/busybox; our
    /// programs (`hello` in /bin, `init` in /sbin) keep their names.
    fn assert_busybox_on(fs: &mut Fs<MemDisk>) {
        let bin = fs.lookup(ext2::ROOT, b"bin").unwrap();
        let busybox = fs.lookup(bin, b"busybox").unwrap();
        assert_eq!(read(fs, "/bin/busybox"), b"\x7fELF busybox");
        for applet in ["[", "sed", "sh"] {
            assert_eq!(
                fs.lookup(bin, applet.as_bytes()).unwrap(),
                busybox,
                "{applet}"
            );
        }
        assert_eq!(
            fs.stat(busybox).unwrap().links,
            4,
            "busybox and three links"
        );
        assert_eq!(read(fs, "/bin/hello"), b"\x7fELF hello", "ours wins");
        assert!(fs.lookup(bin, b"init").is_err(), "/sbin/init is ours");
        assert_eq!(read(fs, "/sbin/init"), b"\x7fELF init");
    }

    #[test]
    fn busybox_goes_on_a_new_image_with_links_for_the_free_applets() {
        let image =
            build_with_busybox(&programs_and_init(), Some(&fake_busybox()), 1_700_000_000).unwrap();
        let mut fs = Fs::mount(MemDisk::from_bytes(image)).unwrap();
        assert_busybox_on(&mut fs);
        let without = build_with_busybox(&programs_and_init(), None, 1_700_000_000).unwrap();
        let mut fs = Fs::mount(MemDisk::from_bytes(without)).unwrap();
        let bin = fs.lookup(ext2::ROOT, b"bin").unwrap();
        for name in ["busybox", "sed", "sh"] {
            assert!(fs.lookup(bin, name.as_bytes()).is_err(), "{name}");
        }
    }

    #[test]
    fn a_kept_image_gets_busybox_once() {
        let old = build(&programs_and_init(), 1_700_000_000).unwrap();
        let image = refresh_programs(
            old,
            &programs_and_init(),
            Some(&fake_busybox()),
            1_700_000_001,
        )
        .unwrap()
        .expect("busybox was added");
        let mut fs = Fs::mount(MemDisk::from_bytes(image.clone())).unwrap();
        assert_busybox_on(&mut fs);
        let again = refresh_programs(
            image,
            &programs_and_init(),
            Some(&fake_busybox()),
            1_700_000_002,
        );
        assert!(again.unwrap().is_none(), "nothing left to add");
    }

    #[test]
    fn the_image_with_busybox_passes_e2fsck() {
        let dir = TempDir::new(&std::env::temp_dir().join("kestrel-test")).unwrap();
        let file = dir.path().join("disk.img");
        let image =
            build_with_busybox(&programs_and_init(), Some(&fake_busybox()), 1_700_000_000).unwrap();
        std::fs::write(&file, image).unwrap();
        let (clean, text) = e2fsck(&file).unwrap();
        assert!(clean, "e2fsck -fn:\n{text}");
    }
}
