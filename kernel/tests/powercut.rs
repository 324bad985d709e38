//! The power-cut workload: files written through the ext2 adapter, for the
//! host to cut the power in the middle (`tests/powercut.rs`).
//!
//! The runner boots this kernel with an ext2 disk. It mounts it (which
//! replays the journal a cut left behind), checks that every file the
//! earlier rounds left in `/kept` is intact, then runs a file-heavy workload
//! and reports each sync on serial. The host kills QEMU at a random report
//! and checks the image; without a kill the workload ends by itself and the
//! run passes, so `cargo run -- test powercut` works alone too.
//!
//! Two kinds of files:
//!
//! - **kept** files are written under a temporary name in `/work` (several
//!   appends), then renamed to `/kept/SEED-N-LEN-HASH` and never touched
//!   again. The name carries the length and the FNV-1a hash of the contents,
//!   so anyone can check a kept file by itself. After the next `sync` the
//!   workload prints `powercut: synced /kept/NAME`: from then on the file
//!   must survive any cut.
//! - **scratch** files and directory trees in `/work` are created, appended
//!   to, renamed and deleted, and trees built and removed; they are never
//!   reported, they only make the journal busy.
//!
//! The disk is mounted through a [`Watched`] device that announces each
//! flush the file system asks for (`powercut: flush F`), and which flushes
//! made a transaction durable (`(commit)`: its commit record is on the disk,
//! its blocks not yet all home) or let the log be reused (`(log free)`: the
//! journal superblock moved on, which happens only when the log starts over,
//! `crates/ext2/src/journal.rs`). Between those two lines a cut leaves
//! committed transactions for the next mount to replay; the host aims some
//! of its cuts right after a `(commit)`, and names each cut by the operation
//! and the number of flushes it had completed.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use ext2::{BlockDevice, Ext2, Fs};
use kernel::arch::{acpi, gdt, idt, interrupts, irq};
use kernel::block::ext2_disk::CachedDisk;
use kernel::block::{self, Found, cache, disk};
use kernel::drivers::pci;
use kernel::fs::ext2_mount::SleepLock;
use kernel::{println, tasks, test, time};
use spin::Once;
use vfs::{FileSystem, Ino, Kind};
use xorshift::XorShift64;

kernel::test_kernel![
    test!(boot_steps_and_the_mount),
    test!(kept_files_of_earlier_rounds_are_intact),
    test!(workload),
];

/// The disk as the workload uses it: the kernel's cached disk, watched.
type WatchedFs = Ext2<Watched, SleepLock<Fs<Watched>>>;

static FS: Once<Arc<WatchedFs>> = Once::new();

fn fs() -> &'static WatchedFs {
    FS.get().expect("mounted by the first test")
}

/// The JBD2 block header: magic, then the block type (big-endian).
const JBD2_MAGIC: u32 = 0xC03B_3998;
const JBD2_COMMIT: u32 = 2;
const JBD2_SUPERBLOCK_V2: u32 = 4;

/// Flushes completed so far.
static FLUSHES: AtomicU64 = AtomicU64::new(0);

/// The kernel's cached disk, announcing on serial each flush, and whether a
/// commit record or the journal superblock was among the writes it made
/// durable.
struct Watched {
    disk: CachedDisk,
    commit: bool,
    log_free: bool,
}

impl BlockDevice for Watched {
    fn sectors(&self) -> u64 {
        self.disk.sectors()
    }

    fn read(&mut self, sector: u64, buf: &mut [u8]) -> ext2::Result<()> {
        self.disk.read(sector, buf)
    }

    fn write(&mut self, sector: u64, data: &[u8]) -> ext2::Result<()> {
        let be = |at: usize| {
            data.get(at..at + 4)
                .map(|b| u32::from_be_bytes(b.try_into().unwrap()))
        };
        if be(0) == Some(JBD2_MAGIC) {
            match be(4) {
                Some(JBD2_COMMIT) => self.commit = true,
                Some(JBD2_SUPERBLOCK_V2) => self.log_free = true,
                _ => {}
            }
        }
        self.disk.write(sector, data)
    }

    fn flush(&mut self) -> ext2::Result<()> {
        self.disk.flush()?;
        let n = FLUSHES.fetch_add(1, Ordering::Relaxed) + 1;
        let what = match (
            core::mem::take(&mut self.commit),
            core::mem::take(&mut self.log_free),
        ) {
            (true, _) => " (commit)",
            (false, true) => " (log free)",
            _ => "",
        };
        println!("powercut: flush {n}{what}");
        Ok(())
    }
}

/// A fixed clock for inode times: the workload does not look at them.
fn clock() -> u64 {
    1_700_000_000
}

/// Mounts the disk's ext2 file system through [`Watched`] (replaying the
/// journal a cut left behind).
fn mount() -> WatchedFs {
    let mut sb = [0u8; 1024];
    disk::read(2, &mut sb).expect("the superblock's sectors");
    assert_eq!(u16::from_le_bytes([sb[56], sb[57]]), 0xEF53, "ext2 magic");
    cache::configure(1024usize << sb[24].min(2)).expect("the file system's block size");
    let watched = Watched {
        disk: CachedDisk,
        commit: false,
        log_free: false,
    };
    let fs = Fs::mount(watched).expect("the disk's ext2 mounts");
    Ext2::new(fs, clock)
}

fn boot_steps_and_the_mount() {
    let boot_info = kernel::testing::boot_info();
    gdt::init(boot_info);
    idt::init(boot_info);
    acpi::init(boot_info).expect("ACPI tables");
    irq::init();
    time::init();
    tasks::init();
    interrupts::enable();
    assert!(matches!(block::init(&pci::scan()), Found::Disk { .. }));
    let started = time::now_ns();
    let fs = mount();
    let replayed = fs.with_fs(|fs| fs.replayed());
    let ms = (time::now_ns() - started) / 1_000_000;
    println!("powercut: mounted, {replayed} transactions replayed ({ms} ms)");
    FS.call_once(|| Arc::new(fs));
}

/// FNV-1a, 64 bits: the kept files' content hash.
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The directory `name` in the root, made if missing.
fn dir(name: &[u8]) -> Ino {
    let fs = fs();
    match fs.lookup(fs.root(), name) {
        Ok(ino) => ino,
        Err(_) => fs.mkdir(fs.root(), name, 0o755).expect("mkdir"),
    }
}

fn read_all(ino: Ino) -> Vec<u8> {
    let size = fs().metadata(ino).expect("stat").size as usize;
    let mut buf = alloc::vec![0; size];
    assert_eq!(fs().read(ino, 0, &mut buf), Ok(size));
    buf
}

/// `SEED-N-LEN-HASH` (hex) -> (LEN, HASH).
fn parse_kept(name: &str) -> Option<(usize, u64)> {
    let mut parts = name.split('-');
    let (_, _) = (parts.next()?, parts.next()?);
    let len = usize::from_str_radix(parts.next()?, 16).ok()?;
    let hash = u64::from_str_radix(parts.next()?, 16).ok()?;
    Some((len, hash))
}

fn kept_files_of_earlier_rounds_are_intact() {
    let started = time::now_ns();
    let kept = dir(b"kept");
    let mut cursor = 0;
    let mut count = 0;
    while let Some((e, next)) = fs().readdir(kept, cursor).expect("readdir") {
        cursor = next;
        if e.name == b"." || e.name == b".." {
            continue;
        }
        let name = String::from_utf8(e.name).expect("our names are ASCII");
        let (len, hash) = parse_kept(&name).unwrap_or_else(|| panic!("odd name {name}"));
        let data = read_all(e.ino);
        assert_eq!((data.len(), fnv(&data)), (len, hash), "/kept/{name}");
        count += 1;
    }
    let ms = (time::now_ns() - started) / 1_000_000;
    println!("powercut: {count} kept files intact ({ms} ms)");
}

/// The workload's state: the scratch names in `/work` that exist.
struct Work {
    rng: XorShift64,
    seed: u64,
    work: Ino,
    kept: Ino,
    scratch: Vec<String>,
    trees: Vec<String>,
    /// Kept files renamed into place since the last sync.
    unsynced: Vec<String>,
    n: u64,
}

impl Work {
    fn data(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.rng.next() as u8).collect()
    }

    /// A kept file: written in pieces under a scratch name, then renamed.
    fn kept_file(&mut self) {
        let fs = fs();
        let tmp = format!("tmp-{}", self.n);
        let ino = fs
            .create(self.work, tmp.as_bytes(), Kind::File, 0o644, 0)
            .expect("create");
        let mut contents = Vec::new();
        for _ in 0..1 + self.rng.below(4) {
            let len = self.rng.below(3000);
            let piece = self.data(len);
            let at = contents.len() as u64;
            assert_eq!(fs.write(ino, at, &piece), Ok(piece.len()));
            contents.extend_from_slice(&piece);
        }
        let name = format!(
            "{:x}-{}-{:x}-{:x}",
            self.seed,
            self.n,
            contents.len(),
            fnv(&contents)
        );
        fs.rename(self.work, tmp.as_bytes(), self.kept, name.as_bytes())
            .expect("rename into /kept");
        self.unsynced.push(name);
    }

    fn scratch_op(&mut self) {
        let fs = fs();
        let n = self.n;
        match self.rng.below(6) {
            0 | 1 => {
                let name = format!("s-{n}");
                let ino = fs
                    .create(self.work, name.as_bytes(), Kind::File, 0o644, 0)
                    .expect("create");
                let len = self.rng.below(5000);
                let data = self.data(len);
                fs.write(ino, 0, &data).ok();
                self.scratch.push(name);
            }
            2 if !self.scratch.is_empty() => {
                let i = self.rng.below(self.scratch.len());
                let ino = fs
                    .lookup(self.work, self.scratch[i].as_bytes())
                    .expect("lookup");
                let size = fs.metadata(ino).expect("stat").size;
                let len = 1 + self.rng.below(2000);
                let data = self.data(len);
                assert_eq!(fs.write(ino, size, &data), Ok(data.len()));
            }
            3 if !self.scratch.is_empty() => {
                let i = self.rng.below(self.scratch.len());
                let new = format!("r-{n}");
                fs.rename(
                    self.work,
                    self.scratch[i].as_bytes(),
                    self.work,
                    new.as_bytes(),
                )
                .expect("rename");
                self.scratch[i] = new;
            }
            4 if !self.scratch.is_empty() => {
                let i = self.rng.below(self.scratch.len());
                let name = self.scratch.swap_remove(i);
                fs.unlink(self.work, name.as_bytes()).expect("unlink");
            }
            _ => self.tree_op(),
        }
    }

    /// Builds a small directory tree, or removes one.
    fn tree_op(&mut self) {
        let fs = fs();
        if self.trees.len() > 2 || (!self.trees.is_empty() && self.rng.below(2) == 0) {
            let name = self.trees.swap_remove(0);
            let top = fs.lookup(self.work, name.as_bytes()).expect("tree");
            for sub in [&b"a"[..], b"b"] {
                let d = fs.lookup(top, sub).expect("subdir");
                for f in [&b"x"[..], b"y"] {
                    fs.unlink(d, f).expect("unlink in tree");
                }
                fs.rmdir(top, sub).expect("rmdir sub");
            }
            fs.rmdir(self.work, name.as_bytes()).expect("rmdir tree");
            return;
        }
        let name = format!("t-{}", self.n);
        let top = fs.mkdir(self.work, name.as_bytes(), 0o755).expect("mkdir");
        for sub in [&b"a"[..], b"b"] {
            let d = fs.mkdir(top, sub, 0o755).expect("mkdir sub");
            for f in [&b"x"[..], b"y"] {
                let ino = fs
                    .create(d, f, Kind::File, 0o644, 0)
                    .expect("create in tree");
                let len = self.rng.below(1500);
                let data = self.data(len);
                fs.write(ino, 0, &data).ok();
            }
        }
        self.trees.push(name);
    }

    fn sync(&mut self) {
        fs().sync().expect("sync");
        for name in self.unsynced.drain(..) {
            println!("powercut: synced /kept/{name}");
        }
    }
}

/// Operations per round (each announced by `powercut: op N`).
const OPS: u64 = 240;

fn workload() {
    // Each round works in a fresh /work: a cut may leave the last one's.
    let seed = time::rdtsc() | 1;
    let started = time::now_ns();
    println!("powercut: seed {seed:x}");
    let root = fs().root();
    let old = format!("old-{seed:x}");
    if fs().lookup(root, b"work").is_ok() {
        fs().rename(root, b"work", root, old.as_bytes())
            .expect("set the last round's /work aside");
    }
    let mut w = Work {
        rng: XorShift64(seed),
        seed,
        work: dir(b"work"),
        kept: dir(b"kept"),
        scratch: Vec::new(),
        trees: Vec::new(),
        unsynced: Vec::new(),
        n: 0,
    };
    for n in 0..OPS {
        w.n = n;
        println!(
            "powercut: op {n} ({} ms)",
            (time::now_ns() - started) / 1_000_000
        );
        if w.rng.below(3) == 0 {
            w.kept_file();
        } else {
            w.scratch_op();
        }
        if w.rng.below(4) == 0 {
            w.sync();
        }
    }
    w.sync();
    let ms = (time::now_ns() - started) / 1_000_000;
    println!("powercut: workload done ({OPS} operations in {ms} ms)");
}
