//! Open files without names: kept until their last release, listed on the
//! orphan list meanwhile, and freed at mount when the power went first; the
//! real `e2fsck` agrees with every state we leave.

mod common;

use common::*;
use ext2::{Errno, Fs, MemDisk, ROOT};

/// `s_last_orphan` of an image with 1 KiB blocks (superblock at byte 1024).
fn last_orphan(image: &[u8]) -> u32 {
    let at = 1024 + 0xE8;
    u32::from_le_bytes(image[at..at + 4].try_into().unwrap())
}

fn free_counts(fs: &mut Fs<MemDisk>) -> (u32, u32) {
    let s = fs.statfs().unwrap();
    (s.free_blocks, s.free_inodes)
}

/// What a crash now would leave: the real `e2fsck -fy` and our mount each
/// free the orphans, and `e2fsck -fn` then finds nothing to fix. (`-fn`
/// alone reports a live orphan list as inodes in use without a name: it
/// does not process the list, being read-only; Linux's ext3 is the same.)
fn check_crash_here(image: &[u8], context: &str) {
    let (fixed, code, text) = e2fsck_fix(image);
    assert!(code <= 1, "{context}: e2fsck -fy exit {code}:\n{text}");
    assert_clean(&fixed, context);
    let fs = Fs::mount(MemDisk {
        bytes: image.to_vec(),
    })
    .unwrap();
    assert_clean(&fs.unmount().unwrap().bytes, context);
}

fn mounted() -> Fs<MemDisk> {
    let mut fs = Fs::mount(own_image(4 << 20, 1024, 1024)).unwrap();
    fs.set_time(NOW);
    fs
}

/// A file of `len` bytes named `name` in the root, held open and unlinked.
fn open_orphan(fs: &mut Fs<MemDisk>, name: &[u8], len: usize) -> u32 {
    let ino = fs.create(ROOT, name, 0o644).unwrap();
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    fs.write(ino, 0, &data).unwrap();
    fs.hold(ino);
    fs.unlink(ROOT, name).unwrap();
    ino
}

#[test]
fn an_unlinked_held_file_is_usable_and_freed_at_its_last_release() {
    let mut fs = mounted();
    let before = free_counts(&mut fs);
    let ino = open_orphan(&mut fs, b"f", 20_000);
    fs.hold(ino);
    assert_eq!(fs.lookup(ROOT, b"f").unwrap_err().errno, Errno::ENOENT);
    assert_eq!(fs.stat(ino).unwrap().links, 0);
    assert_eq!(fs.write(ino, 20_000, b"tail").unwrap(), 4, "still writable");
    let mut buf = vec![0; 20_010];
    assert_eq!(fs.read(ino, 0, &mut buf).unwrap(), 20_004);
    assert_eq!(
        &buf[19_999..20_004],
        &[(19_999 % 251) as u8, b't', b'a', b'i', b'l']
    );
    assert_eq!(fs.link(ino, ROOT, b"g").unwrap_err().errno, Errno::ENOENT);
    assert_ne!(free_counts(&mut fs), before, "its blocks are still in use");
    fs.drop_hold(ino).unwrap();
    assert!(fs.stat(ino).is_ok(), "one holder is left");
    fs.drop_hold(ino).unwrap();
    assert!(fs.stat(ino).is_err(), "freed at the last release");
    assert_eq!(free_counts(&mut fs), before);
    assert_eq!(fs.drop_hold(ino).unwrap_err().errno, Errno::EINVAL);
    let image = fs.unmount().unwrap().bytes;
    assert_eq!(last_orphan(&image), 0);
    assert_clean(&image, "after the last release");
}

#[test]
fn orphans_leave_the_list_in_any_order() {
    let mut fs = mounted();
    let before = free_counts(&mut fs);
    let inos: Vec<u32> = (0..4)
        .map(|k| open_orphan(&mut fs, format!("f{k}").as_bytes(), 3000 * k))
        .collect();
    fs.sync().unwrap();
    assert_eq!(
        last_orphan(&fs.device().bytes),
        inos[3],
        "the newest heads the list"
    );
    // Middle, head, tail, last.
    for k in [1, 3, 0, 2] {
        fs.drop_hold(inos[k]).unwrap();
        fs.sync().unwrap();
        check_crash_here(&fs.device().bytes, &format!("orphan {k} released"));
    }
    assert_eq!(free_counts(&mut fs), before);
    assert_clean(&fs.unmount().unwrap().bytes, "all orphans released");
}

#[test]
fn a_crash_with_open_orphans_is_repaired_by_our_mount_and_by_e2fsck() {
    let mut fs = mounted();
    let before = free_counts(&mut fs);
    let kept = fs.create(ROOT, b"kept", 0o644).unwrap();
    fs.write(kept, 0, b"stays").unwrap();
    let a = open_orphan(&mut fs, b"a", 50_000);
    let b = open_orphan(&mut fs, b"b", 700);
    fs.sync().unwrap();
    // The power goes: no release, no unmount.
    let crashed = fs.into_device().bytes;
    assert_eq!(last_orphan(&crashed), b);

    check_crash_here(&crashed, "two open orphans");
    // Our mount frees exactly those two, and the free counts come back.
    let mut fs = Fs::mount(MemDisk { bytes: crashed }).unwrap();
    fs.set_time(NOW);
    assert_eq!(fs.orphans_freed(), 2);
    assert!(fs.stat(a).is_err() && fs.stat(b).is_err());
    let kept_now = free_counts(&mut fs);
    fs.unlink(ROOT, b"kept").unwrap();
    assert_eq!(free_counts(&mut fs), before, "{kept_now:?}");
    let fs = Fs::mount(fs.unmount().unwrap()).unwrap();
    assert_eq!(fs.orphans_freed(), 0);
    let image = fs.unmount().unwrap().bytes;
    assert_eq!(last_orphan(&image), 0);
    assert_clean(&image, "after our mount freed the orphans");
}

#[test]
fn rename_over_a_held_file_keeps_it_until_released() {
    let mut fs = mounted();
    let old = fs.create(ROOT, b"old", 0o644).unwrap();
    fs.write(old, 0, b"old data").unwrap();
    fs.hold(old);
    let new = fs.create(ROOT, b"new", 0o644).unwrap();
    fs.rename(ROOT, b"new", ROOT, b"old").unwrap();
    assert_eq!(fs.lookup(ROOT, b"old").unwrap(), new);
    let mut buf = [0u8; 16];
    assert_eq!(fs.read(old, 0, &mut buf).unwrap(), 8);
    assert_eq!(&buf[..8], b"old data");
    fs.sync().unwrap();
    assert_eq!(last_orphan(&fs.device().bytes), old);
    fs.drop_hold(old).unwrap();
    assert_clean(
        &fs.unmount().unwrap().bytes,
        "after a rename over a held file",
    );
}

#[test]
fn a_held_removed_directory_takes_no_names_and_gives_no_listing() {
    let mut fs = mounted();
    let before = free_counts(&mut fs);
    let d = fs.mkdir(ROOT, b"d", 0o755).unwrap();
    fs.hold(d);
    fs.rmdir(ROOT, b"d").unwrap();
    assert_eq!(fs.stat(d).unwrap().links, 0);
    assert_eq!(fs.lookup(d, b"x").unwrap_err().errno, Errno::ENOENT);
    assert_eq!(fs.lookup(d, b"..").unwrap(), ROOT, "`..` still leads up");
    assert_eq!(
        fs.readdir(d, 0).unwrap_err().errno,
        Errno::ENOENT,
        "no listing"
    );
    assert_eq!(
        fs.readdir_block(d, 0).unwrap_err().errno,
        Errno::ENOENT,
        "no listing by blocks either (getdents64's way)"
    );
    let refused = fs.create(d, b"x", 0o644).unwrap_err();
    assert_eq!(refused.errno, Errno::ENOENT);
    assert_eq!(fs.mkdir(d, b"e", 0o755).unwrap_err().errno, Errno::ENOENT);
    let f = fs.create(ROOT, b"f", 0o644).unwrap();
    assert_eq!(
        fs.rename(ROOT, b"f", d, b"f").unwrap_err().errno,
        Errno::ENOENT
    );
    fs.unlink(ROOT, b"f").unwrap();
    fs.sync().unwrap();
    check_crash_here(&fs.device().bytes, "a held removed directory");
    fs.drop_hold(d).unwrap();
    assert_eq!(free_counts(&mut fs), before);
    assert_clean(
        &fs.unmount().unwrap().bytes,
        "after the directory's release",
    );
    let _ = f;
}

/// The model of the randomized test: per inode its names, holds and bytes.
#[derive(Default)]
struct Node {
    names: usize,
    holds: usize,
    data: Vec<u8>,
}

/// 400 random creates, writes, holds, releases, unlinks and renames of six
/// names (fixed seed) against a model: contents, link counts and the inodes
/// in use after each step; every 20 steps a crash there is mounted, which
/// must free exactly the model's nameless held inodes and leave `e2fsck -fn`
/// clean (up to 5 orphans at once with this seed).
#[test]
fn random_names_and_holds_match_a_model_and_every_crash_point_repairs() {
    use std::collections::BTreeMap;
    let mut rng = xorshift::XorShift64(0x0a7f_4a11);
    let mut fs = mounted();
    let before = free_counts(&mut fs);
    let mut names: BTreeMap<String, u32> = BTreeMap::new();
    let mut nodes: BTreeMap<u32, Node> = BTreeMap::new();
    for step in 0..400 {
        let name = format!("f{}", rng.below(6));
        let held: Vec<u32> = nodes
            .iter()
            .filter(|(_, n)| n.holds > 0)
            .map(|(i, _)| *i)
            .collect();
        // Creating and holding come twice as often as releasing.
        match [0, 0, 1, 2, 2, 3, 4, 5][rng.below(8)] {
            0 if !names.contains_key(&name) => {
                let ino = fs.create(ROOT, name.as_bytes(), 0o644).unwrap();
                names.insert(name, ino);
                nodes.insert(
                    ino,
                    Node {
                        names: 1,
                        ..Node::default()
                    },
                );
            }
            1 if !held.is_empty() || !names.is_empty() => {
                // Write to a held inode or a named one.
                let ino = match held.get(rng.below(held.len() + 1)) {
                    Some(ino) => *ino,
                    None => match names.values().nth(rng.below(names.len().max(1))) {
                        Some(ino) => *ino,
                        None => continue,
                    },
                };
                let bytes = vec![step as u8; rng.below(5000)];
                let at = rng.below(3000) as u64;
                fs.write(ino, at, &bytes).unwrap();
                let data = &mut nodes.get_mut(&ino).unwrap().data;
                let end = at as usize + bytes.len();
                if data.len() < end {
                    data.resize(end, 0);
                }
                data[at as usize..end].copy_from_slice(&bytes);
            }
            2 if names.contains_key(&name) => {
                let ino = names[&name];
                fs.hold(ino);
                nodes.get_mut(&ino).unwrap().holds += 1;
            }
            3 if !held.is_empty() => {
                let ino = held[rng.below(held.len())];
                fs.drop_hold(ino).unwrap();
                let node = nodes.get_mut(&ino).unwrap();
                node.holds -= 1;
                if node.holds == 0 && node.names == 0 {
                    nodes.remove(&ino);
                }
            }
            4 if names.contains_key(&name) => {
                fs.unlink(ROOT, name.as_bytes()).unwrap();
                let ino = names.remove(&name).unwrap();
                let node = nodes.get_mut(&ino).unwrap();
                node.names -= 1;
                if node.holds == 0 && node.names == 0 {
                    nodes.remove(&ino);
                }
            }
            5 if names.contains_key(&name) => {
                let to = format!("f{}", rng.below(6));
                fs.rename(ROOT, name.as_bytes(), ROOT, to.as_bytes())
                    .unwrap();
                let ino = names.remove(&name).unwrap();
                if let Some(old) = names.insert(to, ino)
                    && old != ino
                {
                    let node = nodes.get_mut(&old).unwrap();
                    node.names -= 1;
                    if node.holds == 0 && node.names == 0 {
                        nodes.remove(&old);
                    }
                }
            }
            _ => {}
        }
        // Every inode the model keeps reads back; the others are free.
        for (ino, node) in &nodes {
            let mut buf = vec![0; node.data.len() + 10];
            assert_eq!(
                fs.read(*ino, 0, &mut buf).unwrap(),
                node.data.len(),
                "step {step}"
            );
            assert_eq!(buf[..node.data.len()], node.data[..], "step {step}");
            assert_eq!(
                fs.stat(*ino).unwrap().links as usize,
                node.names,
                "step {step}"
            );
        }
        let free_inodes = free_counts(&mut fs).1;
        assert_eq!(before.1 - free_inodes, nodes.len() as u32, "step {step}");
        if step % 20 == 0 {
            fs.sync().unwrap();
            let orphans = nodes.values().filter(|n| n.names == 0).count();
            let copy = MemDisk {
                bytes: fs.device().bytes.clone(),
            };
            let crashed = Fs::mount(copy).unwrap();
            assert_eq!(crashed.orphans_freed(), orphans, "step {step}");
            assert_clean(
                &crashed.unmount().unwrap().bytes,
                "a crash in the random run",
            );
        }
    }
    for (ino, node) in &nodes {
        for _ in 0..node.holds {
            fs.drop_hold(*ino).unwrap();
        }
    }
    for name in names.keys() {
        fs.unlink(ROOT, name.as_bytes()).unwrap();
    }
    assert_eq!(free_counts(&mut fs), before);
    assert_clean(&fs.unmount().unwrap().bytes, "after the random run");
}
