//! Every write boundary: a power cut between any two disk writes, and in the
//! middle of one.
//!
//! A disk that honours flushes may lose, at a power cut, any writes after
//! some point in the order they were issued. This test records every block
//! write of a file-heavy workload (files created, appended to, renamed and
//! deleted; directory trees built and removed; kept files that are synced
//! and never touched again), then for **every prefix** of that write log
//! builds the image holding exactly those writes, mounts it with the crate
//! (which replays the journal) and checks:
//!
//! - the tree is exactly the state after some operation no earlier than the
//!   last `sync` that had returned before the cut;
//! - every file whose `sync` had returned is there, byte for byte.
//!
//! A write can also be cut in the middle: the disk writes whole 512-byte
//! sectors, so a block of several sectors may land in part. Every prefix is
//! checked a second time with the next write torn after a random number of
//! its sectors.
//!
//! `e2fsck -fn` costs a process per image, so it runs on the replayed image of
//! the prefixes right after each commit record, right after each journal
//! superblock update, and a random sample of the others (torn ones too).
//! Each cut is mounted on an overlay of the prefix's image (no copy of it).

mod common;

use common::*;
use ext2::{BlockDevice, Fs, MemDisk, ROOT, SECTOR};
use std::collections::BTreeMap;
use xorshift::XorShift64;

/// The journal's magic number and the commit block's type (big-endian).
const JBD2_MAGIC: u32 = 0xC03B_3998;
const JBD2_COMMIT: u32 = 2;
const JBD2_SUPERBLOCK_V2: u32 = 4;

/// One recorded run: the image before it, every write in order, and after
/// each operation (writes issued so far, the tree, whether it was a sync).
struct Run {
    base: MemDisk,
    writes: Vec<(u64, Vec<u8>)>,
    states: Vec<(usize, Tree, bool)>,
    /// Kept files: path, contents, and the write count once their sync had
    /// returned (None: never synced).
    kept: Vec<(String, Vec<u8>, Option<usize>)>,
}

/// The workload's bookkeeping while it runs.
struct Workload {
    fs: Fs<RecordingDisk>,
    rng: XorShift64,
    tree: Tree,
    scratch: Vec<String>,
    trees: Vec<String>,
    kept: Vec<(String, Vec<u8>, Option<usize>)>,
}

impl Workload {
    fn data(&mut self, max: usize) -> Vec<u8> {
        let len = self.rng.below(max);
        (0..len).map(|_| self.rng.next() as u8).collect()
    }

    fn dir(&mut self, path: &str) -> u32 {
        resolve(&mut self.fs, path).unwrap()
    }

    /// A kept file: written in pieces under a scratch name, renamed into
    /// `/kept`, never touched again.
    fn kept_file(&mut self, i: usize) {
        let work = self.dir("/work");
        let tmp = format!("tmp{i}");
        let ino = self.fs.create(work, tmp.as_bytes(), 0o644).unwrap();
        let mut contents = Vec::new();
        for _ in 0..1 + self.rng.below(3) {
            let piece = self.data(3000);
            self.fs.write(ino, contents.len() as u64, &piece).unwrap();
            contents.extend_from_slice(&piece);
        }
        let kept = self.dir("/kept");
        let name = format!("k{i}");
        self.fs
            .rename(work, tmp.as_bytes(), kept, name.as_bytes())
            .unwrap();
        let path = format!("/kept/{name}");
        self.tree.insert(path.clone(), Node::File(contents.clone()));
        self.kept.push((path, contents, None));
    }

    fn scratch_op(&mut self, i: usize) {
        let work = self.dir("/work");
        match self.rng.below(6) {
            0 | 1 => {
                let name = format!("s{i}");
                let ino = self.fs.create(work, name.as_bytes(), 0o644).unwrap();
                let data = self.data(5000);
                self.fs.write(ino, 0, &data).unwrap();
                self.tree.insert(format!("/work/{name}"), Node::File(data));
                self.scratch.push(name);
            }
            2 if !self.scratch.is_empty() => {
                let name = self.scratch[self.rng.below(self.scratch.len())].clone();
                let ino = self.fs.lookup(work, name.as_bytes()).unwrap();
                let piece = self.data(2000);
                let Some(Node::File(old)) = self.tree.get_mut(&format!("/work/{name}")) else {
                    unreachable!("scratch files are files")
                };
                self.fs.write(ino, old.len() as u64, &piece).unwrap();
                old.extend_from_slice(&piece);
            }
            3 if !self.scratch.is_empty() => {
                let k = self.rng.below(self.scratch.len());
                let new = format!("r{i}");
                self.fs
                    .rename(work, self.scratch[k].as_bytes(), work, new.as_bytes())
                    .unwrap();
                let node = self.tree.remove(&format!("/work/{}", self.scratch[k]));
                self.tree.insert(format!("/work/{new}"), node.unwrap());
                self.scratch[k] = new;
            }
            4 if !self.scratch.is_empty() => {
                let name = self.scratch.swap_remove(self.rng.below(self.scratch.len()));
                self.fs.unlink(work, name.as_bytes()).unwrap();
                self.tree.remove(&format!("/work/{name}"));
            }
            _ => self.tree_op(i),
        }
    }

    /// Builds a tree `/work/tN/{a,b}/{x,y}`, or removes one.
    fn tree_op(&mut self, i: usize) {
        let work = self.dir("/work");
        if self.trees.len() > 2 || (!self.trees.is_empty() && self.rng.below(2) == 0) {
            let name = self.trees.swap_remove(0);
            let top = self.fs.lookup(work, name.as_bytes()).unwrap();
            for sub in ["a", "b"] {
                let d = self.fs.lookup(top, sub.as_bytes()).unwrap();
                for f in ["x", "y"] {
                    self.fs.unlink(d, f.as_bytes()).unwrap();
                }
                self.fs.rmdir(top, sub.as_bytes()).unwrap();
            }
            self.fs.rmdir(work, name.as_bytes()).unwrap();
            let prefix = format!("/work/{name}");
            self.tree.retain(|p, _| !p.starts_with(&prefix));
            return;
        }
        let name = format!("t{i}");
        let top = self.fs.mkdir(work, name.as_bytes(), 0o755).unwrap();
        self.tree.insert(format!("/work/{name}"), Node::Dir);
        for sub in ["a", "b"] {
            let d = self.fs.mkdir(top, sub.as_bytes(), 0o755).unwrap();
            self.tree.insert(format!("/work/{name}/{sub}"), Node::Dir);
            for f in ["x", "y"] {
                let ino = self.fs.create(d, f.as_bytes(), 0o644).unwrap();
                let data = self.data(1500);
                self.fs.write(ino, 0, &data).unwrap();
                self.tree
                    .insert(format!("/work/{name}/{sub}/{f}"), Node::File(data));
            }
        }
        self.trees.push(name);
    }

    fn sync(&mut self) {
        self.fs.sync().unwrap();
        let done = self.fs.device().writes.len();
        for (_, _, synced) in &mut self.kept {
            synced.get_or_insert(done);
        }
    }
}

/// Records the workload: `ops` steps, a `sync` after one in `sync_one_in`.
fn record(seed: u64, block_size: u32, ops: usize, sync_one_in: usize, maxlen: Option<u32>) -> Run {
    // The smallest journal the crate makes (1024 blocks), on a small disk;
    // with `maxlen`, a log shorter than that, which the workload fills.
    let mut base = own_image((block_size as usize) << 11, block_size, 1024);
    if let Some(maxlen) = maxlen {
        shrink_journal(&mut base.bytes, block_size as usize, maxlen);
    }
    let mut fs = Fs::mount(RecordingDisk::new(base.clone())).unwrap();
    fs.set_time(NOW);
    fs.mkdir(ROOT, b"work", 0o755).unwrap();
    fs.mkdir(ROOT, b"kept", 0o755).unwrap();
    fs.sync().unwrap();
    let mut tree = Tree::new();
    tree.insert("/work".into(), Node::Dir);
    tree.insert("/kept".into(), Node::Dir);
    let mut w = Workload {
        fs,
        rng: XorShift64(seed),
        tree,
        scratch: Vec::new(),
        trees: Vec::new(),
        kept: Vec::new(),
    };
    // Before the workload: the empty disk, then /work and /kept synced.
    let mut states = vec![
        (0, Tree::new(), true),
        (w.fs.device().writes.len(), w.tree.clone(), true),
    ];
    for i in 0..ops {
        if w.rng.below(3) == 0 {
            w.kept_file(i);
        } else {
            w.scratch_op(i);
        }
        let synced = w.rng.below(sync_one_in) == 0;
        if synced {
            w.sync();
        }
        states.push((w.fs.device().writes.len(), w.tree.clone(), synced));
    }
    let kept = w.kept;
    let writes =
        w.fs.into_device()
            .writes
            .into_iter()
            .map(|(sector, data, _)| (sector, data))
            .collect();
    Run {
        base,
        writes,
        states,
        kept,
    }
}

fn apply(disk: &mut MemDisk, sector: u64, data: &[u8]) {
    let at = sector as usize * SECTOR;
    disk.bytes[at..at + data.len()].copy_from_slice(data);
}

/// A cut image without copying it: the prefix's image underneath, and the
/// sectors the mount (replay) and unmount change kept aside.
struct Overlay<'a> {
    base: &'a MemDisk,
    changed: BTreeMap<u64, Vec<u8>>,
}

impl<'a> Overlay<'a> {
    fn new(base: &'a MemDisk) -> Self {
        Overlay {
            base,
            changed: BTreeMap::new(),
        }
    }

    /// The whole image, for `e2fsck`.
    fn bytes(&self) -> Vec<u8> {
        let mut disk = self.base.clone();
        for (sector, data) in &self.changed {
            apply(&mut disk, *sector, data);
        }
        disk.bytes
    }
}

impl BlockDevice for Overlay<'_> {
    fn sectors(&self) -> u64 {
        self.base.sectors()
    }

    fn read(&mut self, sector: u64, buf: &mut [u8]) -> ext2::Result<()> {
        for (i, out) in buf.chunks_mut(SECTOR).enumerate() {
            let s = sector + i as u64;
            match self.changed.get(&s) {
                Some(data) => out.copy_from_slice(data),
                None => {
                    let at = s as usize * SECTOR;
                    let from = self
                        .base
                        .bytes
                        .get(at..at + SECTOR)
                        .ok_or(ext2::Error::new(
                            ext2::Errno::EIO,
                            "sector beyond the end of the disk",
                        ))?;
                    out.copy_from_slice(from);
                }
            }
        }
        Ok(())
    }

    fn write(&mut self, sector: u64, data: &[u8]) -> ext2::Result<()> {
        for (i, part) in data.chunks(SECTOR).enumerate() {
            self.changed.insert(sector + i as u64, part.to_vec());
        }
        Ok(())
    }

    fn flush(&mut self) -> ext2::Result<()> {
        Ok(())
    }
}

/// The JBD2 block type of a write that starts a journal block (0: none).
fn journal_block_type(data: &[u8]) -> u32 {
    let be = |at: usize| u32::from_be_bytes(data[at..at + 4].try_into().unwrap());
    if be(0) == JBD2_MAGIC { be(4) } else { 0 }
}

/// Whether a write is a journal commit record or journal superblock (the
/// moments a transaction becomes durable, or the log starts over).
fn is_journal_milestone(data: &[u8]) -> bool {
    matches!(journal_block_type(data), JBD2_COMMIT | JBD2_SUPERBLOCK_V2)
}

/// How many commit records the workload wrote in the middle of a step
/// (when a third of the log is in use, an operation commits first).
fn commits_inside_steps(run: &Run) -> usize {
    let commits: Vec<usize> = (0..run.writes.len())
        .filter(|&k| journal_block_type(&run.writes[k].1) == JBD2_COMMIT)
        .collect();
    run.states
        .windows(2)
        .map(|w| {
            let (from, (to, _, synced)) = (w[0].0, &w[1]);
            let inside = commits.iter().filter(|&&k| from <= k && k < *to).count();
            inside.saturating_sub(usize::from(*synced))
        })
        .sum()
}

/// Mounts a cut image (replaying), checks it against the run, and returns
/// the replayed and unmounted image.
fn check<'a>(run: &Run, image: Overlay<'a>, cut: usize, what: &str) -> Overlay<'a> {
    let mut fs = Fs::mount(image).unwrap_or_else(|e| panic!("{what}: mount failed: {e}"));
    let tree = read_tree(&mut fs);
    for (path, contents, synced) in &run.kept {
        if synced.is_some_and(|s| s <= cut) {
            assert_eq!(
                tree.get(path),
                Some(&Node::File(contents.clone())),
                "{what}: {path} was synced before the cut but is not intact"
            );
        }
    }
    let durable = run
        .states
        .iter()
        .rposition(|(w, _, synced)| *synced && *w <= cut)
        .expect("the state before the workload counts as synced");
    assert!(
        run.states[durable..].iter().any(|(_, t, _)| *t == tree),
        "{what}: the tree is no state at or after the sync of step {durable}: {tree:#?}"
    );
    fs.unmount().unwrap()
}

/// Checks every prefix of one recorded run, whole and torn; returns the
/// number of cut points checked and how many of them `e2fsck` saw.
fn every_prefix(run: &Run, rng: &mut XorShift64) -> (usize, usize) {
    let total = run.writes.len();
    let mut image = run.base.clone();
    let (mut checked, mut fscked) = (0, 0);
    for cut in 0..=total {
        let after_milestone = cut > 0 && is_journal_milestone(&run.writes[cut - 1].1);
        let what = format!("a cut after write {cut} of {total}");
        let replayed = check(run, Overlay::new(&image), cut, &what);
        checked += 1;
        if after_milestone || cut == total || rng.below(16) == 0 {
            assert_clean(&replayed.bytes(), &what);
            fscked += 1;
        }
        let Some((sector, data)) = run.writes.get(cut) else {
            break;
        };
        let sectors = data.len() / SECTOR;
        if sectors > 1 {
            let part = 1 + rng.below(sectors - 1);
            let mut torn = Overlay::new(&image);
            torn.write(*sector, &data[..part * SECTOR]).unwrap();
            let what = format!("{what}, write {cut} torn after {part} of {sectors} sectors");
            let replayed = check(run, torn, cut, &what);
            checked += 1;
            if rng.below(32) == 0 {
                assert_clean(&replayed.bytes(), &what);
                fscked += 1;
            }
        }
        apply(&mut image, *sector, data);
    }
    (checked, fscked)
}

#[test]
fn a_cut_at_every_write_boundary_recovers_to_a_synced_state() {
    let mut points = BTreeMap::new();
    // The third run's log (48 blocks) fills up and starts over several
    // times inside the cut range. It syncs after every step: a log that
    // small also commits when a third of it is in use, which may be in the
    // middle of a step (a state this test does not record).
    for (seed, block_size, ops, sync_one_in, maxlen) in [
        (5, 1024, 90, 4, None),
        (17, 4096, 60, 4, None),
        (29, 1024, 60, 1, Some(48)),
    ] {
        let run = record(seed, block_size, ops, sync_one_in, maxlen);
        let total = run.writes.len();
        let synced = run.kept.iter().filter(|k| k.2.is_some()).count();
        assert!(total > 300, "the workload wrote only {total} blocks");
        assert!(synced > 5, "only {synced} kept files were synced");
        // The journal superblock is written at the mount and at each
        // restart of the log (sector writes: one per block).
        let restarts = run
            .writes
            .iter()
            .filter(|(_, d)| journal_block_type(d) == JBD2_SUPERBLOCK_V2)
            .count()
            - 1;
        if maxlen.is_some() {
            assert!(restarts >= 2, "the log started over {restarts} times");
            assert_eq!(
                commits_inside_steps(&run),
                0,
                "a commit inside a step: its state is not recorded, \
                 choose a longer log or other parameters"
            );
        }
        let mut rng = XorShift64(seed * 7919);
        let (checked, fscked) = every_prefix(&run, &mut rng);
        println!(
            "{block_size}-byte blocks, log of {maxlen:?} blocks: {total} writes, \
             {checked} cut points checked ({fscked} by e2fsck), {synced} synced files, \
             {restarts} restarts of the log"
        );
        points.insert((block_size, maxlen), checked);
    }
    assert!(points.values().sum::<usize>() >= 500);
}
