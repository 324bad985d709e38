//! Power cuts: the `powercut` test kernel writes files through the ext2
//! adapter (`kernel/tests/powercut.rs`), and QEMU is killed in the middle of
//! its workload, many rounds on the same disk.
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
//! mount replays the journal (it must replay exactly the transactions the
//! host's replay found), and the kernel checks the kept files too.
//!
//! **Kill points.** The workload announces each operation (`powercut: op N`)
//! and each flush of the disk (`powercut: flush F`, marked `(commit)` when a
//! commit record became durable and `(log free)` when the journal
//! superblock moved past it). A kill point is an operation number and a
//! delay after its announcement (each cut's pair differs from every other
//! cut's), or, one cut in four, an operation number and "right after the
//! next `(commit)` line": inside the window where the next mount has a
//! committed transaction to replay. Where each cut landed is read back from
//! the serial output: the last operation announced and the flushes completed
//! inside it (printed, with how many distinct such positions were reached).
//!
//! **Cost.** One cut is one BIOS boot (our loader), the mount, at most a few
//! dozen operations, and the host's checks. BIOS runs two chains of rounds at
//! once, each on its own disk; UEFI (OVMF takes seconds to start) a few rounds.
//! More: `KESTREL_POWERCUT_ROUNDS=200 cargo test --test powercut` (BIOS cuts;
//! `KESTREL_POWERCUT_UEFI_ROUNDS` for UEFI).

mod common;

use common::{TIMEOUT, test_kernel};
use ext2::{Fs, MemDisk, ROOT};
use kestrel::qemu::tempdir::TempDir;
use kestrel::qemu::{Firmware, Session};
use kestrel::{Built, CaptureOptions};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};
use xorshift::XorShift64;

/// Cuts under BIOS (two chains at once) and UEFI, unless
/// `KESTREL_POWERCUT_ROUNDS` / `KESTREL_POWERCUT_UEFI_ROUNDS` say otherwise.
const BIOS_ROUNDS: usize = 50;
const UEFI_ROUNDS: usize = 3;
const BIOS_CHAINS: usize = 2;

/// Operation numbers a cut may aim at (the workload has 240; the early ones
/// are cheap to reach).
const AIM_OPS: usize = 12;

/// The longest random delay after an operation's announcement, in ms (an
/// operation takes 10-100 ms, one with a sync several hundred).
const MAX_DELAY_MS: u64 = 100;

/// FNV-1a, 64 bits (as the kernel test computes it).
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The complete lines of the serial output (a cut may leave the last one
/// half printed).
fn complete_lines(serial: &str) -> impl Iterator<Item = &str> {
    serial[..serial.rfind('\n').map_or(0, |i| i + 1)]
        .lines()
        .map(str::trim_end)
}

/// The paths of the "synced" report lines.
fn synced_paths(serial: &str) -> impl Iterator<Item = &str> {
    complete_lines(serial).filter_map(|l| l.strip_prefix("powercut: synced "))
}

/// Where a cut aims: once operation `op` is announced, kill after `delay`
/// ms, or (`None`) right after the next commit record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Aim {
    op: usize,
    delay: Option<u64>,
}

/// Where a cut landed, read from the serial output.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Landed {
    /// The last operation announced (None: before the first one).
    op: Option<usize>,
    /// Flushes completed inside it.
    flushes: usize,
    /// A commit record was durable and the log not yet freed.
    in_commit_window: bool,
}

fn landed(serial: &str) -> Landed {
    let mut at = Landed::default();
    for line in complete_lines(serial) {
        if let Some(rest) = line.strip_prefix("powercut: op ") {
            let n = rest.split(' ').next().and_then(|n| n.parse().ok());
            at = Landed {
                op: n,
                ..Landed::default()
            };
        } else if let Some(rest) = line.strip_prefix("powercut: flush ") {
            if at.op.is_some() {
                at.flushes += 1;
            }
            if rest.ends_with("(commit)") {
                at.in_commit_window = true;
            } else if rest.ends_with("(log free)") {
                at.in_commit_window = false;
            }
        }
    }
    at
}

/// The count in Kestrel's mount line (`powercut: mounted, N transactions
/// replayed`).
fn kestrel_replayed(serial: &str) -> Option<usize> {
    complete_lines(serial)
        .find_map(|l| l.strip_prefix("powercut: mounted, "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
}

/// Waits (polling, with a deadline) until `done` holds for the serial
/// output, or the workload ended on its own.
fn wait_until(session: &mut Session, what: &str, done: impl Fn(&str) -> bool) {
    let start = Instant::now();
    loop {
        let serial = session.serial();
        if done(&serial) || serial.contains("powercut: workload done") {
            return;
        }
        assert!(
            start.elapsed() < TIMEOUT && session.is_running(),
            "waiting for {what}; serial:\n{serial}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Runs one round on `image` and cuts the power where `aim` says; returns
/// the serial output and the seconds from QEMU's start to the workload's.
fn cut(firmware: Firmware, kernel: &Built, image: &Path, aim: Aim) -> (String, f64) {
    let options = CaptureOptions {
        qmp: false,
        extra: kestrel::disk::qemu_args(image),
    };
    let (mut session, _) = kestrel::boot_captured(
        firmware,
        kestrel::image_for(&kernel.images, firmware),
        &options,
    )
    .unwrap();
    wait_until(&mut session, "op 0", |s| s.contains("powercut: op 0 ("));
    let boot = session.elapsed().as_secs_f64();
    let line = format!("powercut: op {} (", aim.op);
    wait_until(&mut session, &line, |s| s.contains(&line));
    match aim.delay {
        Some(ms) => {
            // The cut itself: a chosen moment inside the operation (QEMU is
            // watched meanwhile, so a crash is not waited out).
            let deadline = Instant::now() + Duration::from_millis(ms);
            while Instant::now() < deadline && session.is_running() {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        None => {
            let from = session.serial().find(&line).unwrap_or(0);
            wait_until(&mut session, "a commit record", |s| {
                s[from..].contains(" (commit)")
            });
        }
    }
    session.kill();
    (session.serial(), boot)
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

/// What the host's check of a cut image found.
struct Checked {
    kept: usize,
    /// Committed transactions the host's mount replayed.
    replayed: usize,
}

/// The host's checks of a cut image.
fn check_image(image: &Path, synced: &BTreeSet<String>, context: &str) -> Checked {
    let bytes = std::fs::read(image).unwrap();
    let mut fs = Fs::mount(MemDisk::from_bytes(bytes))
        .unwrap_or_else(|e| panic!("{context}: the host cannot mount the cut image: {e}"));
    let replayed = fs.replayed();
    // Every kept file matches its name. (A cut before the first sync on a
    // fresh disk may leave no /kept at all.)
    let kept_dir = match fs.lookup(ROOT, b"kept") {
        Ok(ino) => Some(ino),
        Err(e) => {
            assert!(
                synced.is_empty(),
                "{context}: /kept is gone ({e}), though {} files in it were synced",
                synced.len()
            );
            None
        }
    };
    let mut kept = 0;
    let mut cursor = 0;
    let mut names = BTreeSet::new();
    while let Some((e, next)) = kept_dir.and_then(|d| fs.readdir(d, cursor).unwrap()) {
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
    Checked { kept, replayed }
}

/// What one chain of rounds found.
#[derive(Default)]
struct Found {
    landed: Vec<Landed>,
    /// Rounds whose Kestrel mount replayed at least one transaction.
    kestrel_replays: usize,
    /// Cuts after which the host's replay found committed transactions.
    host_replays: usize,
    /// Cuts that landed between a `(commit)` and a `(log free)` line.
    in_window: usize,
}

/// Rounds on one fresh disk, cut at `aims` in turn.
fn chain(firmware: Firmware, name: &str, aims: &[Aim]) -> Found {
    let dir = TempDir::new(&std::env::temp_dir().join("kestrel")).unwrap();
    let image = kestrel::disk::ext2_scratch(dir.path()).unwrap();
    let kernel = test_kernel("powercut");
    let mut synced = BTreeSet::new();
    let mut found = Found::default();
    // What the host's replay of the last cut found (Kestrel's mount must
    // find the same).
    let mut expect_replayed = 0;
    for (round, aim) in aims.iter().enumerate() {
        let context = format!("{name} round {round} ({aim:?})");
        let started = Instant::now();
        let (serial, boot) = cut(firmware, kernel, &image, *aim);
        let failed: Vec<_> = kestrel::testlog::parse(&serial)
            .results
            .into_iter()
            .filter(|r| !r.passed)
            .collect();
        assert!(failed.is_empty(), "{context}: {failed:#?}\n{serial}");
        assert!(
            serial.contains(" kept files intact"),
            "{context}: the kernel mounted and checked the disk:\n{serial}"
        );
        let replayed = kestrel_replayed(&serial).expect("the mount line");
        assert_eq!(
            replayed, expect_replayed,
            "{context}: Kestrel's mount replayed {replayed} transactions, the host's \
             replay of the same cut {expect_replayed}:\n{serial}"
        );
        found.kestrel_replays += usize::from(replayed > 0);
        synced.extend(synced_paths(&serial).map(String::from));
        let checked = check_image(&image, &synced, &context);
        assert!(checked.kept >= synced.len());
        let at = landed(&serial);
        let mount_ms = complete_lines(&serial)
            .find_map(|l| l.strip_prefix("powercut: mounted, "))
            .and_then(|l| l.split('(').nth(1))
            .unwrap_or("?)");
        println!(
            "{context}: landed {at:?}; Kestrel's mount replayed {replayed} (in {mount_ms}, \
             the host's replay of this cut {}; {} kept files, {} reported synced; {:.1} s, \
             {boot:.1} s of them from QEMU's start to the workload's",
            checked.replayed,
            checked.kept,
            synced.len(),
            started.elapsed().as_secs_f64()
        );
        expect_replayed = checked.replayed;
        found.host_replays += usize::from(checked.replayed > 0);
        found.in_window += usize::from(at.in_commit_window);
        found.landed.push(at);
    }
    found
}

fn rounds(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `n` distinct kill points, one in four at the next commit record.
fn aims(n: usize, rng: &mut XorShift64) -> Vec<Aim> {
    let mut seen = BTreeSet::new();
    let mut aims = Vec::new();
    while aims.len() < n {
        let aim = Aim {
            op: rng.below(AIM_OPS),
            delay: (rng.below(4) != 0).then(|| rng.below_u64(MAX_DELAY_MS + 1)),
        };
        // Past every distinct point, repeats are allowed (long runs).
        if seen.insert(aim) || seen.len() >= AIM_OPS * (MAX_DELAY_MS as usize + 2) {
            aims.push(aim);
        }
    }
    aims
}

/// Runs `total` cuts in `chains` chains at once; returns the number of
/// distinct kill points and of rounds whose Kestrel mount replayed.
fn power_cuts(firmware: Firmware, total: usize, chains: usize) -> (usize, usize) {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("power-cut test seed {seed:#x} ({})", firmware.name());
    let mut rng = XorShift64(seed);
    let all = aims(total, &mut rng);
    let per = all.len().div_ceil(chains).max(1);
    let started = Instant::now();
    let found: Vec<Found> = std::thread::scope(|s| {
        let handles: Vec<_> = all
            .chunks(per)
            .enumerate()
            .map(|(i, aims)| {
                let name = format!("{} chain {i}", firmware.name());
                s.spawn(move || chain(firmware, &name, aims))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let distinct: BTreeSet<&Aim> = all.iter().collect();
    let landed: BTreeSet<(Option<usize>, usize)> = found
        .iter()
        .flat_map(|f| &f.landed)
        .map(|l| (l.op, l.flushes))
        .collect();
    let kestrel: usize = found.iter().map(|f| f.kestrel_replays).sum();
    let host: usize = found.iter().map(|f| f.host_replays).sum();
    let window: usize = found.iter().map(|f| f.in_window).sum();
    println!(
        "{}: {total} cuts in {:.1} s at {} distinct kill points, landing at {} distinct \
         (operation, flushes into it) positions; {window} landed after a commit record's \
         flush and before the log was freed, {host} left committed transactions to \
         replay; Kestrel's mount replayed some in {kestrel} rounds",
        firmware.name(),
        started.elapsed().as_secs_f64(),
        distinct.len(),
        landed.len(),
    );
    assert_eq!(found.iter().map(|f| f.landed.len()).sum::<usize>(), total);
    (distinct.len(), kestrel)
}

#[test]
fn power_cuts_under_bios() {
    let total = rounds("KESTREL_POWERCUT_ROUNDS", BIOS_ROUNDS);
    let (points, kestrel) = power_cuts(Firmware::Bios, total, BIOS_CHAINS);
    if total >= BIOS_ROUNDS {
        assert!(points >= 50, "only {points} distinct kill points");
        assert!(
            kestrel > 0,
            "no cut left Kestrel's mount a transaction to replay"
        );
    }
}

#[test]
fn power_cuts_under_uefi() {
    let total = rounds("KESTREL_POWERCUT_UEFI_ROUNDS", UEFI_ROUNDS);
    power_cuts(Firmware::Uefi, total, 1);
}
