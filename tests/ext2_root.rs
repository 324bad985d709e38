//! The disk's ext2 file system from outside: the main kernel booted with
//! Kestrel's own disk image (`src/disk_image.rs`) mounts it (boot line),
//! `df` and `sync` answer, and the image is still clean for `e2fsck`
//! afterwards; a disk without ext2, and a damaged one, give a clear boot
//! line and the shell still comes up; systest's `file_semantics` checks
//! pass with their directory on the disk, and a file held open without a
//! name when the power goes is freed at the next mount (the orphan list),
//! leaving `e2fsck` nothing to fix.

mod common;

use common::{AtPrompt, PROMPT, boot_to_prompt, user_programs, wait_after};
use kestrel::CaptureOptions;
use kestrel::qemu::tempdir::TempDir;
use kestrel::qemu::{Ending, Firmware, QEMU_SUCCESS};
use std::path::{Path, PathBuf};

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
    let mut bytes = std::fs::read(&path).unwrap();
    let journal_inode_block = journal_first_block(&bytes);
    let at = journal_inode_block as usize * 1024;
    bytes[at..at + 1024].fill(0xA5);
    std::fs::write(&path, &bytes).unwrap();
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

#[test]
fn file_semantics_hold_on_the_disk_and_an_open_orphan_survives_a_power_cut() {
    let dir = TempDir::new(&std::env::temp_dir().join("kestrel")).unwrap();
    let path = image_with_programs(dir.path());
    let AtPrompt {
        mut session, at, ..
    } = boot_with(&path);
    // The data directory `/etc` is on the disk's ext2.
    session
        .write_serial(b"run systest /etc file_semantics\r")
        .unwrap();
    let end = wait_after(&mut session, at, "[systest exited");
    let at = wait_after(&mut session, end, PROMPT);
    let answer = session.serial()[..at].to_string();
    let answer = &answer[answer.rfind("run systest /etc").unwrap()..];
    println!("--- systest on the disk ---\n{answer}");
    assert!(answer.contains(" checks passed"), "{answer}");
    assert!(!answer.contains("FAIL"), "{answer}");
    assert!(
        answer.contains("[systest exited with status 0]"),
        "{answer}"
    );

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
    session.write_serial(b"shutdown\r").unwrap();
    assert_eq!(
        session.wait(common::TIMEOUT),
        Ending::Exited(Some(QEMU_SUCCESS))
    );
    e2fsck_clean(&path);
}
