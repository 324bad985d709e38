//! The disk's ext2 file system from outside: the main kernel booted with
//! Kestrel's own disk image (`src/disk_image.rs`) mounts it (boot line),
//! `df` and `sync` answer, and the image is still clean for `e2fsck`
//! afterwards; a disk without ext2, and a damaged one, give a clear boot
//! line and the shell still comes up; systest's `file_semantics` and `vfs`
//! checks pass with their directories on the disk (four processes at once
//! in one directory among them), a file written just before `shutdown` is
//! there at the next boot, and a file held open without a name when the
//! power goes is freed at the next mount (the orphan list), leaving
//! `e2fsck` nothing to fix; a disk made by Linux's `mke2fs -t ext3` is the
//! root, and a directory block damaged on purpose gives an error while the
//! rest of it works.

mod common;

use common::{AtPrompt, PROMPT, boot_to_prompt, user_programs, wait_after};
use kestrel::CaptureOptions;
use kestrel::qemu::tempdir::TempDir;
use kestrel::qemu::{Ending, Firmware, QEMU_SUCCESS, Session};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Kestrel's disk image with two small "programs", in a temporary directory.
fn image(dir: &Path) -> PathBuf {
    let programs = vec![
        ("hello".to_string(), b"hello program".to_vec()),
        ("big".to_string(), vec![7u8; 200_000]),
    ];
    image_of(dir, &programs)
}

/// Kestrel's disk image holding `programs`, as `dir/kestrel.img`.
fn image_of(dir: &Path, programs: &[(String, Vec<u8>)]) -> PathBuf {
    let path = dir.join("kestrel.img");
    std::fs::write(
        &path,
        kestrel::disk_image::build(programs, 1_700_000_000).unwrap(),
    )
    .unwrap();
    path
}

/// Kestrel's disk image with our real user programs (systest among them).
fn image_with_programs(dir: &Path) -> PathBuf {
    image_of(dir, &user_programs())
}

fn boot_with(disk: &Path) -> AtPrompt {
    let options = CaptureOptions {
        qmp: false,
        extra: kestrel::disk::qemu_args(disk),
    };
    boot_to_prompt(Firmware::Bios, &options)
}

fn file_system_line(serial: &str) -> String {
    serial
        .lines()
        .find(|l| l.starts_with("File system:"))
        .unwrap_or_else(|| panic!("no `File system:` line in:\n{serial}"))
        .to_string()
}

fn e2fsck_clean(path: &Path) {
    let (clean, text) = kestrel::disk_image::e2fsck(path).unwrap();
    assert!(clean, "e2fsck -fn:\n{text}");
}

#[test]
fn the_default_image_is_mounted_and_df_and_sync_answer() {
    let dir = TempDir::new(&std::env::temp_dir().join("kestrel")).unwrap();
    let path = image(dir.path());
    let AtPrompt {
        mut session, at, ..
    } = boot_with(&path);
    let serial = session.serial();
    println!("--- serial ---\n{serial}");
    let line = file_system_line(&serial);
    assert_eq!(
        line,
        "File system:  ext2 on the disk, 64 MiB (58 MiB free), 1024-byte blocks, \
         journal of 4095 blocks, 0 transactions replayed"
    );
    let mut at = at;
    let mut command = |line: &str, answer: &str| {
        session.write_serial(line.as_bytes()).unwrap();
        session.write_serial(b"\r").unwrap();
        let found = wait_after(&mut session, at, answer);
        at = wait_after(&mut session, found, PROMPT);
    };
    command("df", "mounted on    type   1K-blocks");
    command("df", "/             ext2       65536");
    command("df", "/tmp          tmpfs");
    command("sync", "");
    command("df extra", "error: df: ");
    command("mem", "cache:  ");
    session.write_serial(b"shutdown\r").unwrap();
    assert_eq!(
        session.wait(common::TIMEOUT),
        Ending::Exited(Some(QEMU_SUCCESS))
    );
    // The mount marked the journal in use; a clean fsck needs nothing else.
    e2fsck_clean(&path);
}

/// What a damaged block holds.
const DAMAGE: u8 = 0xA5;

/// Overwrites block `block` (of `size` bytes) of the image at `path` with
/// [`DAMAGE`]; returns what it held.
fn damage_block(path: &Path, block: u64, size: usize) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    let at = block as usize * size;
    let original = bytes[at..at + size].to_vec();
    bytes[at..at + size].fill(DAMAGE);
    std::fs::write(path, &bytes).unwrap();
    original
}

#[test]
fn a_disk_without_ext2_or_a_damaged_one_is_not_mounted() {
    let dir = TempDir::new(&std::env::temp_dir().join("kestrel")).unwrap();
    // The disk tests' pattern disk: no ext2 superblock.
    let pattern = kestrel::disk::scratch(dir.path()).unwrap();
    let AtPrompt { session, .. } = boot_with(&pattern);
    let line = file_system_line(&session.serial());
    assert_eq!(
        line,
        "File system:  none (the disk carries no ext2 superblock)"
    );
    drop(session);

    // An ext2 image whose journal superblock is gone: the crate refuses it.
    let path = image(dir.path());
    let journal_inode_block = journal_first_block(&std::fs::read(&path).unwrap());
    damage_block(&path, journal_inode_block.into(), 1024);
    let AtPrompt {
        mut session, at, ..
    } = boot_with(&path);
    let line = file_system_line(&session.serial());
    assert!(
        line.starts_with("File system:  ext2 not mounted: EUCLEAN: bad journal superblock"),
        "{line}"
    );
    assert!(line.ends_with("booting without it"), "{line}");
    session.write_serial(b"df\r").unwrap();
    // Without the disk, `/` is the tmpfs copy of the ramdisk.
    wait_after(&mut session, at, "/             tmpfs");
}

/// The first block of the journal (inode 8), read from the image by hand:
/// group 0's inode table, inode 8's first block pointer.
fn journal_first_block(image: &[u8]) -> u32 {
    let le32 = |at: usize| u32::from_le_bytes(image[at..at + 4].try_into().unwrap());
    // 1 KiB blocks: the descriptor table is block 2; inode table at +8.
    let inode_table = le32(2048 + 8) as usize;
    let inode_size = u16::from_le_bytes([image[1024 + 88], image[1024 + 89]]) as usize;
    let inode8 = inode_table * 1024 + 7 * inode_size;
    le32(inode8 + 0x28)
}

/// Types `line` at the monitor and waits for `answer`, then the prompt;
/// returns the transcript from the line to the prompt and the position
/// after the prompt.
fn command(session: &mut Session, at: usize, line: &str, answer: &str) -> (String, usize) {
    session.write_serial(line.as_bytes()).unwrap();
    session.write_serial(b"\r").unwrap();
    let found = wait_after(session, at, answer);
    let end = wait_after(session, found, PROMPT);
    (session.serial()[at..end].to_string(), end)
}

/// `run systest ARGS` at the monitor: every check passes.
fn systest_passes(session: &mut Session, at: usize, args: &str) -> usize {
    let (answer, at) = command(
        session,
        at,
        &format!("run systest {args}"),
        "[systest exited",
    );
    println!("--- systest {args} on the disk ---\n{answer}");
    assert!(answer.contains(" checks passed"), "{answer}");
    assert!(!answer.contains("FAIL"), "{answer}");
    assert!(
        answer.contains("[systest exited with status 0]"),
        "{answer}"
    );
    at
}

/// `shutdown` at the monitor: it syncs first, and QEMU ends with success.
fn shutdown(mut session: Session, at: usize) {
    session.write_serial(b"shutdown\r").unwrap();
    wait_after(
        &mut session,
        at,
        "Synced the file systems and the disk cache before shutdown.",
    );
    assert_eq!(
        session.wait(common::TIMEOUT),
        Ending::Exited(Some(QEMU_SUCCESS))
    );
}

/// What was written just before `shutdown` (never synced by the program).
const KEPT: &str = "written-just-before-shutdown";

#[test]
fn file_semantics_hold_on_the_disk_and_an_open_orphan_survives_a_power_cut() {
    let dir = TempDir::new(&std::env::temp_dir().join("kestrel")).unwrap();
    let path = image_with_programs(dir.path());
    let AtPrompt {
        mut session, at, ..
    } = boot_with(&path);
    // The data directory `/etc` is on the disk's ext2; so is the `vfs`
    // area's work directory. `file_semantics` includes a crowd of four
    // processes in one directory (checked by e2fsck after the shutdown).
    let at = systest_passes(&mut session, at, "/etc file_semantics");
    let at = systest_passes(&mut session, at, "/etc vfs /etc");
    // A file written and not synced: `shutdown` must sync it.
    let (answer, at) = command(
        &mut session,
        at,
        &format!("run sh -c \"echo {KEPT} > /kept\""),
        "[sh exited",
    );
    assert!(answer.contains("[sh exited with status 0]"), "{answer}");
    shutdown(session, at);
    e2fsck_clean(&path);

    // The same image again: the file is there.
    let AtPrompt {
        mut session, at, ..
    } = boot_with(&path);
    let (answer, at) = command(&mut session, at, "cat /kept", KEPT);
    assert!(!answer.contains("error"), "{answer}");

    // A 64 KiB file open without a name, synced; then the power goes.
    session
        .write_serial(b"run systest --hold-orphan /orphan &\r")
        .unwrap();
    wait_after(
        &mut session,
        at,
        "systest: orphan held (Ok(65536), unlink Ok(0))",
    );
    drop(session);
    let (clean, text) = kestrel::disk_image::e2fsck(&path).unwrap();
    println!("--- e2fsck -fn after the power cut ---\n{text}");
    assert!(!clean, "the orphan is on the disk, e2fsck -fn:\n{text}");

    // The next mount frees it; e2fsck then has nothing to fix.
    let AtPrompt {
        mut session, at, ..
    } = boot_with(&path);
    let serial = session.serial();
    assert!(
        serial.contains("File system:  freed 1 files left open without a name (the orphan list)"),
        "{serial}"
    );
    session.write_serial(b"ls /\r").unwrap();
    let listed = wait_after(&mut session, at, PROMPT);
    let listing = session.serial()[at..listed].to_string();
    assert!(!listing.contains("orphan"), "{listing}");
    shutdown(session, listed);
    e2fsck_clean(&path);
}

/// Runs e2fsprogs' `tool` with `args`; its standard output (the test fails
/// if it does).
fn e2fsprogs(tool: &str, args: &[&str]) -> Vec<u8> {
    let program = kestrel::disk_image::e2fsprogs_tool(tool).unwrap();
    let out = Command::new(&program)
        .args(args)
        .env("E2FSPROGS_SKIP_PROGRESS", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `debugfs -R request image`'s output.
fn debugfs(image: &Path, request: &str) -> Vec<u8> {
    e2fsprogs("debugfs", &["-R", request, image.to_str().unwrap()])
}

/// A 32 MiB ext3 disk (4 KiB blocks, a journal) made by Linux's `mke2fs`
/// from a tree holding `sh` and `ls`, `/etc/motd` and a directory
/// `/broken` of three files.
fn mke2fs_image(dir: &Path) -> PathBuf {
    let tree = dir.join("tree");
    for sub in ["bin", "etc", "broken"] {
        std::fs::create_dir_all(tree.join(sub)).unwrap();
    }
    for (name, bytes) in user_programs() {
        // `ls` is the multi-call `tools` under that name.
        let copies: &[&str] = match name.as_str() {
            "sh" => &["sh"],
            "tools" => &["ls"],
            _ => &[],
        };
        for copy in copies {
            let file = tree.join("bin").join(copy);
            std::fs::write(&file, &bytes).unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    std::fs::write(
        tree.join("etc/motd"),
        "Welcome to Kestrel, on mke2fs's disk\n",
    )
    .unwrap();
    for name in ["a", "b", "c"] {
        std::fs::write(tree.join("broken").join(name), name).unwrap();
    }
    let image = dir.join("mke2fs.img");
    std::fs::File::create(&image)
        .unwrap()
        .set_len(32 << 20)
        .unwrap();
    let tree = tree.to_str().unwrap();
    e2fsprogs(
        "mke2fs",
        &[
            "-q",
            "-F",
            "-t",
            "ext3",
            "-b",
            "4096",
            "-E",
            "root_owner=0:0",
            "-d",
            tree,
            image.to_str().unwrap(),
        ],
    );
    image
}

/// A disk that Linux's `mke2fs -t ext3` made is Kestrel's root: a file
/// written on it is one `e2fsck -fn` accepts and `debugfs` reads back. One
/// of its directory blocks is damaged on purpose first: reading that
/// directory gives EUCLEAN (or EIO), the kernel carries on, and so does the
/// rest of the file system. (The damaged block is put back before
/// `e2fsck`: Kestrel must not have written anything that disagrees.)
#[test]
fn a_mke2fs_disk_with_a_journal_is_the_root_and_a_damaged_directory_gives_an_error() {
    let dir = TempDir::new(&std::env::temp_dir().join("kestrel")).unwrap();
    let path = mke2fs_image(dir.path());
    let features = String::from_utf8(debugfs(&path, "features")).unwrap();
    assert!(features.contains("has_journal"), "{features}");
    let block: u64 = String::from_utf8(debugfs(&path, "bmap /broken 0"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let original = damage_block(&path, block, 4096);

    let AtPrompt {
        mut session, at, ..
    } = boot_with(&path);
    let line = file_system_line(&session.serial());
    assert!(
        line.starts_with("File system:  ext2 on the disk, 32 MiB")
            && line.contains("4096-byte blocks, journal of"),
        "{line}"
    );
    let damaged = |answer: &str| {
        answer.contains("Structure needs cleaning")
            || answer.contains("I/O error")
            || answer.contains("(EUCLEAN)")
            || answer.contains("(EIO)")
    };
    let (answer, at) = command(&mut session, at, "ls /broken", "error: ls: /broken");
    assert!(damaged(&answer), "{answer}");
    let (answer, at) = command(&mut session, at, "run ls /broken", "[ls exited");
    assert!(damaged(&answer), "{answer}");
    let (answer, at) = command(
        &mut session,
        at,
        "run sh -c \"echo new > /broken/new\"",
        "[sh exited",
    );
    assert!(damaged(&answer), "{answer}");
    // The rest of the file system works.
    let (answer, at) = command(
        &mut session,
        at,
        "run sh -c \"echo written-by-kestrel > /from-kestrel\"",
        "[sh exited",
    );
    assert!(answer.contains("[sh exited with status 0]"), "{answer}");
    let (_, at) = command(&mut session, at, "cat /etc/motd", "on mke2fs's disk");
    let (answer, at) = command(&mut session, at, "ls /", "from-kestrel");
    assert!(answer.contains("broken/"), "{answer}");
    shutdown(session, at);

    let mut bytes = std::fs::read(&path).unwrap();
    let at = block as usize * 4096;
    assert!(
        bytes[at..at + 4096].iter().all(|&b| b == DAMAGE),
        "Kestrel wrote to the damaged block"
    );
    bytes[at..at + 4096].copy_from_slice(&original);
    std::fs::write(&path, &bytes).unwrap();
    e2fsck_clean(&path);
    assert_eq!(debugfs(&path, "cat /from-kestrel"), b"written-by-kestrel\n");
    assert_eq!(debugfs(&path, "cat /broken/b"), b"b");
}
