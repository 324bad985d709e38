//! Crash tests: a random workload on a disk that records its writes, cut at
//! many points. Within a flush epoch the disk may have done the writes in any
//! order, so at the cut a random subset of the current epoch's later writes is
//! kept too. After each cut: mount (which replays the journal), unmount,
//! `e2fsck -fn` finds nothing, and the tree is exactly the state after some
//! operation no earlier than the last completed `sync` (so every file synced
//! before the cut is intact, byte for byte).

mod common;

use common::*;
use ext2::{Fs, MemDisk, ROOT};
use xorshift::XorShift64;

/// One run of the workload: the base image, the recorded writes, and after
/// each operation (write count, tree, whether it was a sync).
struct Run {
    base: MemDisk,
    writes: Vec<(u64, Vec<u8>, u32)>,
    states: Vec<(usize, Tree, bool)>,
}

/// The workload on a fresh disk; with `maxlen`, a log of that many blocks
/// (shorter than the journal file), which it fills several times.
fn workload(seed: u64, maxlen: Option<u32>) -> Run {
    let mut base = own_image(6 << 20, 1024, 1024);
    if let Some(maxlen) = maxlen {
        shrink_journal(&mut base.bytes, 1024, maxlen);
    }
    let mut rng = XorShift64(seed);
    let mut fs = Fs::mount(RecordingDisk::new(base.clone())).unwrap();
    fs.set_time(NOW);
    let mut states = vec![(0, Tree::new(), true)];
    let mut files: Vec<(u32, String)> = Vec::new();
    let mut dirs: Vec<(u32, String)> = vec![(ROOT, String::new())];
    let mut expect = Tree::new();
    for i in 0..150 {
        let mut synced = false;
        match rng.below(8) {
            0 | 1 => {
                let (d, dp) = dirs[rng.below(dirs.len())].clone();
                let name = format!("f{i}");
                let ino = fs.create(d, name.as_bytes(), 0o644).unwrap();
                files.push((ino, format!("{dp}/{name}")));
                expect.insert(format!("{dp}/{name}"), Node::File(Vec::new()));
            }
            2 | 3 if !files.is_empty() => {
                // Append.
                let (ino, p) = files[rng.below(files.len())].clone();
                let data: Vec<u8> = (0..rng.below(5000)).map(|_| rng.next() as u8).collect();
                let Some(Node::File(old)) = expect.get_mut(&p) else {
                    unreachable!()
                };
                fs.write(ino, old.len() as u64, &data).unwrap();
                old.extend_from_slice(&data);
            }
            4 if !files.is_empty() => {
                // Rename within the same directory.
                let k = rng.below(files.len());
                let (ino, p) = files[k].clone();
                let (dp, name) = p.rsplit_once('/').unwrap();
                let d = resolve(&mut fs, dp).unwrap();
                let new = format!("{name}r");
                fs.rename(d, name.as_bytes(), d, new.as_bytes()).unwrap();
                let node = expect.remove(&p).unwrap();
                expect.insert(format!("{dp}/{new}"), node);
                files[k] = (ino, format!("{dp}/{new}"));
            }
            5 if !files.is_empty() => {
                let (_, p) = files.swap_remove(rng.below(files.len()));
                let (dp, name) = p.rsplit_once('/').unwrap();
                let d = resolve(&mut fs, dp).unwrap();
                fs.unlink(d, name.as_bytes()).unwrap();
                expect.remove(&p);
            }
            6 => {
                // A small tree, or removing an empty directory.
                let k = rng.below(dirs.len());
                let (d, dp) = dirs[k].clone();
                let empty = !expect.keys().any(|p| p.starts_with(&format!("{dp}/")));
                if k > 0 && empty && rng.below(2) == 0 {
                    let (pp, name) = dp.rsplit_once('/').unwrap();
                    let parent = resolve(&mut fs, pp).unwrap();
                    fs.rmdir(parent, name.as_bytes()).unwrap();
                    expect.remove(&dp);
                    dirs.swap_remove(k);
                } else if dirs.len() < 12 {
                    let name = format!("d{i}");
                    let ino = fs.mkdir(d, name.as_bytes(), 0o755).unwrap();
                    dirs.push((ino, format!("{dp}/{name}")));
                    expect.insert(format!("{dp}/{name}"), Node::Dir);
                }
            }
            _ => {
                fs.sync().unwrap();
                synced = true;
            }
        }
        let written = fs.device().writes.len();
        states.push((written, expect.clone(), synced));
    }
    let disk = fs.into_device();
    Run {
        base,
        writes: disk.writes,
        states,
    }
}

/// Applies the writes before `cut`, plus a random subset of the later writes
/// in the same flush epoch.
fn crash_image(run: &Run, cut: usize, rng: &mut XorShift64) -> MemDisk {
    let mut disk = run.base.clone();
    let epoch = run.writes.get(cut).map(|w| w.2);
    for (k, (sector, data, e)) in run.writes.iter().enumerate() {
        if k < cut || (Some(*e) == epoch && rng.below(2) == 0) {
            let at = *sector as usize * 512;
            disk.bytes[at..at + data.len()].copy_from_slice(data);
        }
    }
    disk
}

fn check_cut(run: &Run, cut: usize, rng: &mut XorShift64) {
    let image = crash_image(run, cut, rng);
    let mut fs = Fs::mount(image).unwrap_or_else(|e| panic!("cut {cut}: mount failed: {e}"));
    let tree = read_tree(&mut fs);
    let image = fs.unmount().unwrap();
    assert_clean(&image.bytes, &format!("after a cut at write {cut}"));
    // The last sync that had finished all its writes before the cut.
    let durable = run
        .states
        .iter()
        .rposition(|(w, _, synced)| *synced && *w <= cut)
        .unwrap();
    let matches = run.states[durable..].iter().any(|(_, t, _)| *t == tree);
    assert!(
        matches,
        "cut {cut}: the tree is no state at or after the sync of step {durable}: {tree:#?}"
    );
}

#[test]
fn cuts_at_random_points_recover_to_a_synced_state() {
    let mut cuts = 0;
    for (seed, maxlen) in [(3, None), (11, None), (23, Some(48))] {
        let run = workload(seed, maxlen);
        let total = run.writes.len();
        assert!(total > 500, "the workload wrote only {total} blocks");
        // The journal superblock's writes (its first sector): the mount's,
        // then one per restart of the log.
        let restarts = run
            .writes
            .iter()
            .filter(|(_, d, _)| d[..8] == [0xC0, 0x3B, 0x39, 0x98, 0, 0, 0, 4])
            .count()
            - 1;
        assert!(
            maxlen.is_none() || restarts >= 2,
            "the log started over {restarts} times"
        );
        println!("seed {seed}, log of {maxlen:?} blocks: {total} writes, {restarts} restarts");
        let mut rng = XorShift64(seed * 1000 + 1);
        for _ in 0..40 {
            check_cut(&run, rng.below(total + 1), &mut rng);
            cuts += 1;
        }
        check_cut(&run, total, &mut rng);
    }
    assert!(cuts >= 50);
}
