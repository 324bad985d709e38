//! Power cuts: the `powercut` test kernel writes files through the ext2
//! adapter (`kernel/tests/powercut.rs`), and QEMU is killed at a random
//! moment of its workload, several rounds on the same disk.
//!
//! After each cut, on the host:
//!
//! - a copy of the image is mounted with `crates/ext2` (which replays the
//!   journal) and unmounted, and `e2fsck -fn` finds nothing to fix;
//! - every file the workload reported as synced, in this round or an
//!   earlier one, is there, and every kept file (`/kept/SEED-N-LEN-HASH`)
//!   has exactly the length and FNV-1a hash its name says.
//!
//! The next round boots Kestrel on the cut image itself, so Kestrel's own
//! mount replays the journal, and the kernel checks the kept files too.
//! The kill points are random: once the workload announced its k-th
//! operation, k chosen by the test (its seed is printed). More rounds:
//! `KESTREL_POWERCUT_ROUNDS=20 cargo test --test powercut`.

mod common;

use common::{TIMEOUT, test_kernel};
use ext2::{Fs, MemDisk, ROOT};
use kestrel::CaptureOptions;
use kestrel::qemu::tempdir::TempDir;
use kestrel::qemu::{Firmware, Session};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};
use xorshift::XorShift64;

/// Rounds per firmware, unless `KESTREL_POWERCUT_ROUNDS` says otherwise.
const ROUNDS: usize = 3;

/// FNV-1a, 64 bits (as the kernel test computes it).
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The paths of the complete "synced" report lines (a cut may leave the
/// last line half printed).
fn synced_paths(serial: &str) -> impl Iterator<Item = &str> {
    let complete = &serial[..serial.rfind('\n').map_or(0, |i| i + 1)];
    complete
        .lines()
        .filter_map(|l| l.trim_end().strip_prefix("powercut: synced "))
}

/// Waits (polling, with a deadline) until the workload announced
/// operation `op`, or ended on its own.
fn wait_for_op(session: &mut Session, op: usize) {
    let line = format!("powercut: op {op} (");
    let start = Instant::now();
    loop {
        let serial = session.serial();
        if serial.contains(&line) || serial.contains("powercut: workload done") {
            return;
        }
        assert!(
            start.elapsed() < TIMEOUT && session.is_running(),
            "waiting for {line:?}; serial:\n{serial}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Reads a whole file by path from a mounted image.
fn read(fs: &mut Fs<MemDisk>, path: &str) -> Result<Vec<u8>, String> {
    let mut ino = ROOT;
    for name in path.split('/').filter(|n| !n.is_empty()) {
        ino = fs
            .lookup(ino, name.as_bytes())
            .map_err(|e| format!("{path}: {e}"))?;
    }
    let size = fs.stat(ino).map_err(|e| format!("{path}: {e}"))?.size as usize;
    let mut buf = vec![0; size];
    let n = fs
        .read(ino, 0, &mut buf)
        .map_err(|e| format!("{path}: {e}"))?;
    assert_eq!(n, size, "{path}: short read");
    Ok(buf)
}

/// The host's checks of a cut image; returns the number of kept files.
fn check_image(image: &Path, synced: &BTreeSet<String>, context: &str) -> usize {
    let bytes = std::fs::read(image).unwrap();
    let mut fs = Fs::mount(MemDisk::from_bytes(bytes))
        .unwrap_or_else(|e| panic!("{context}: the host cannot mount the cut image: {e}"));
    // Every kept file matches its name.
    let kept_dir = fs.lookup(ROOT, b"kept").unwrap_or_else(|e| {
        panic!(
            "{context}: /kept is gone ({e}), though {} files in it were synced",
            synced.len()
        )
    });
    let mut kept = 0;
    let mut cursor = 0;
    let mut names = BTreeSet::new();
    while let Some((e, next)) = fs.readdir(kept_dir, cursor).unwrap() {
        cursor = next;
        let name = String::from_utf8(e.name).unwrap();
        if name == "." || name == ".." {
            continue;
        }
        let parts: Vec<&str> = name.split('-').collect();
        assert_eq!(parts.len(), 4, "{context}: odd kept name {name}");
        let len = usize::from_str_radix(parts[2], 16).unwrap();
        let hash = u64::from_str_radix(parts[3], 16).unwrap();
        let data = read(&mut fs, &format!("/kept/{name}")).unwrap();
        assert_eq!(
            (data.len(), fnv(&data)),
            (len, hash),
            "{context}: /kept/{name} is not what was written"
        );
        names.insert(format!("/kept/{name}"));
        kept += 1;
    }
    // Every synced file is there.
    for path in synced {
        assert!(
            names.contains(path),
            "{context}: {path} was synced before the cut but is gone"
        );
    }
    // The replayed and unmounted image is clean.
    let clean = fs.unmount().unwrap().bytes;
    let dir = TempDir::new(&std::env::temp_dir().join("kestrel")).unwrap();
    let copy = dir.path().join("replayed.img");
    std::fs::write(&copy, clean).unwrap();
    let (ok, text) = kestrel::disk_image::e2fsck(&copy).unwrap();
    assert!(ok, "{context}: e2fsck -fn after the replay:\n{text}");
    kept
}

fn power_cuts(firmware: Firmware) {
    let rounds = std::env::var("KESTREL_POWERCUT_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ROUNDS);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("power-cut test seed {seed:#x} ({})", firmware.name());
    let mut rng = XorShift64(seed);
    let dir = TempDir::new(&std::env::temp_dir().join("kestrel")).unwrap();
    let image = kestrel::disk::ext2_scratch(dir.path()).unwrap();
    let kernel = test_kernel("powercut");
    let mut synced = BTreeSet::new();
    for round in 1..=rounds {
        let options = CaptureOptions {
            qmp: false,
            extra: kestrel::disk::qemu_args(&image),
        };
        let (mut session, _) = kestrel::boot_captured(
            firmware,
            kestrel::image_for(&kernel.images, firmware),
            &options,
        )
        .unwrap();
        // The kill point: once the workload announced operation k (of 240;
        // the kill lands a little later, somewhere in the operations after).
        let k = 20 + rng.below(200);
        wait_for_op(&mut session, k);
        session.kill();
        let serial = session.serial();
        let replayed = serial
            .lines()
            .find_map(|l| l.strip_prefix("powercut: mounted, "))
            .unwrap_or("?")
            .trim()
            .to_string();
        println!("--- round {round} (cut after op {k}; Kestrel's mount: {replayed}) ---");
        println!("{serial}");
        let log = kestrel::testlog::parse(&serial);
        let failed: Vec<_> = log.results.iter().filter(|r| !r.passed).collect();
        assert!(failed.is_empty(), "round {round}: {failed:#?}");
        assert!(
            serial.contains("powercut: mounted, ") && serial.contains(" kept files intact"),
            "round {round}: the kernel mounted and checked the disk"
        );
        synced.extend(synced_paths(&serial).map(String::from));
        let kept = check_image(&image, &synced, &format!("round {round}"));
        println!(
            "round {round}: {kept} kept files, {} reported synced",
            synced.len()
        );
        assert!(kept >= synced.len());
    }
}

#[test]
fn power_cuts_under_bios() {
    power_cuts(Firmware::Bios);
}

#[test]
fn power_cuts_under_uefi() {
    power_cuts(Firmware::Uefi);
}
