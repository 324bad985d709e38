//! The VFS adapter (`ext2::Ext2`) against a model: random operations through
//! the `vfs::FileSystem` trait, each result (errno included) compared with
//! what a map of paths says; directory listings, `stat` and contents
//! compared along the way; then the image, replayed by a fresh mount, holds
//! the model's tree and passes `e2fsck -fn`.

mod common;

use common::*;
use ext2::{BlockDevice, Ext2, Fs, Lock, MemDisk};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use vfs::{Errno, FileSystem, Ino, Kind};
use xorshift::XorShift64;

/// The host tests' lock: std's mutex.
struct StdLock<T>(Mutex<T>);

impl<T: Send> Lock<T> for StdLock<T> {
    fn new(value: T) -> Self {
        StdLock(Mutex::new(value))
    }
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.0.lock().unwrap())
    }
}

type Adapter = Ext2<MemDisk, StdLock<Fs<MemDisk>>>;

fn clock() -> u64 {
    u64::from(NOW)
}

const ENOENT: Errno = 2;
const EEXIST: Errno = 17;
const ENOTDIR: Errno = 20;
const EISDIR: Errno = 21;
const EINVAL: Errno = 22;
const ENOTEMPTY: Errno = 39;

#[derive(Clone, Debug, PartialEq)]
enum Entry {
    Dir,
    /// A file, by identity (hard links share one).
    File(usize),
}

/// Paths ("/a/b") to entries, and the files' contents.
#[derive(Default)]
struct Model {
    names: BTreeMap<String, Entry>,
    files: Vec<Vec<u8>>,
}

fn parent(path: &str) -> &str {
    &path[..path.rfind('/').unwrap()]
}

fn leaf(path: &str) -> &[u8] {
    &path.as_bytes()[path.rfind('/').unwrap() + 1..]
}

impl Model {
    fn dirs(&self) -> Vec<String> {
        let mut v = vec![String::new()];
        v.extend(
            self.names
                .iter()
                .filter(|(_, e)| **e == Entry::Dir)
                .map(|(p, _)| p.clone()),
        );
        v
    }

    fn children(&self, dir: &str) -> BTreeSet<String> {
        let prefix = format!("{dir}/");
        self.names
            .keys()
            .filter(|k| k.starts_with(&prefix) && !k[prefix.len()..].contains('/'))
            .cloned()
            .collect()
    }

    fn links(&self, id: usize) -> u32 {
        self.names
            .values()
            .filter(|e| **e == Entry::File(id))
            .count() as u32
    }

    fn tree(&self) -> Tree {
        self.names
            .iter()
            .map(|(p, e)| {
                let node = match e {
                    Entry::Dir => Node::Dir,
                    Entry::File(id) => Node::File(self.files[*id].clone()),
                };
                (p.clone(), node)
            })
            .collect()
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<(), Errno> {
        let src = self.names.get(from).cloned().ok_or(ENOENT)?;
        if to == from {
            return Ok(()); // Linux: renaming a name onto itself does nothing
        }
        if src == Entry::Dir && (to.starts_with(&format!("{from}/"))) {
            return Err(EINVAL);
        }
        if let Some(dst) = self.names.get(to).cloned() {
            if dst == src && src != Entry::Dir {
                return Ok(()); // two names of the same file
            }
            match (&src, &dst) {
                (Entry::Dir, Entry::File(_)) => return Err(ENOTDIR),
                (Entry::File(_), Entry::Dir) => return Err(EISDIR),
                (Entry::Dir, Entry::Dir) if !self.children(to).is_empty() => {
                    return Err(ENOTEMPTY);
                }
                _ => {}
            }
        }
        let moved: Vec<(String, Entry)> = self
            .names
            .iter()
            .filter(|(k, _)| *k == from || k.starts_with(&format!("{from}/")))
            .map(|(k, e)| (k.clone(), e.clone()))
            .collect();
        self.names.remove(to);
        for (k, e) in moved {
            self.names.remove(&k);
            self.names.insert(format!("{to}{}", &k[from.len()..]), e);
        }
        Ok(())
    }
}

/// The inode of a path the model says exists.
fn resolve_vfs(fs: &Adapter, path: &str) -> Ino {
    let mut ino = fs.root();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        ino = fs.lookup(ino, part.as_bytes()).unwrap();
    }
    ino
}

fn random_name(rng: &mut XorShift64) -> String {
    ["a", "b", "c", "d", "e"][rng.below(5)].to_string()
}

fn random_data(rng: &mut XorShift64) -> Vec<u8> {
    let len = [0, 1, 100, 1024, 3000, 13_000][rng.below(6)];
    let byte = rng.next() as u8;
    (0..len).map(|i| byte.wrapping_add(i as u8)).collect()
}

/// `readdir_batch` lists what `readdir` does, from the start and resumed
/// after every entry.
fn check_batches(fs: &Adapter, ino: Ino, one_by_one: &[(vfs::DirEntry, u64)]) {
    for k in 0..=one_by_one.len() {
        let start = if k == 0 { 0 } else { one_by_one[k - 1].1 };
        let (mut batched, mut cursor) = (Vec::new(), start);
        loop {
            let before = batched.len();
            fs.readdir_batch(ino, cursor, &mut batched).unwrap();
            match batched.last() {
                Some((_, next)) if batched.len() > before => cursor = *next,
                _ => break,
            }
        }
        assert_eq!(batched, one_by_one[k..], "listed in batches from {start}");
    }
}

/// Compares one directory's listing with the model.
fn check_dir(fs: &Adapter, m: &Model, dir: &str) {
    let ino = resolve_vfs(fs, dir);
    let mut listed = BTreeMap::new();
    let mut one_by_one = Vec::new();
    let mut cursor = 0;
    while let Some((e, next)) = fs.readdir(ino, cursor).unwrap() {
        cursor = next;
        one_by_one.push((e.clone(), next));
        listed.insert(String::from_utf8(e.name).unwrap(), e.kind);
    }
    check_batches(fs, ino, &one_by_one);
    assert_eq!(listed.remove("."), Some(Kind::Directory));
    assert_eq!(listed.remove(".."), Some(Kind::Directory));
    if dir.is_empty() {
        listed.remove("lost+found");
    }
    let expected: BTreeMap<String, Kind> = m
        .children(dir)
        .into_iter()
        .map(|p| {
            let kind = match m.names[&p] {
                Entry::Dir => Kind::Directory,
                Entry::File(_) => Kind::File,
            };
            (String::from_utf8(leaf(&p).to_vec()).unwrap(), kind)
        })
        .collect();
    assert_eq!(listed, expected, "listing of '{dir}'");
}

/// Compares one file's `stat` and contents with the model.
fn check_file(fs: &Adapter, m: &Model, path: &str, id: usize) {
    let ino = resolve_vfs(fs, path);
    let md = fs.metadata(ino).unwrap();
    assert_eq!(md.ino, ino);
    assert_eq!(md.kind(), Some(Kind::File));
    assert_eq!(md.size, m.files[id].len() as u64, "size of {path}");
    assert_eq!(md.links, m.links(id), "links of {path}");
    assert_eq!(md.mtime, u64::from(NOW));
    let mut buf = vec![0; m.files[id].len() + 10];
    let n = fs.read(ino, 0, &mut buf).unwrap();
    assert_eq!(&buf[..n], &m.files[id][..], "contents of {path}");
}

/// One random operation, on the adapter and the model; results must agree.
fn step(fs: &Adapter, m: &mut Model, rng: &mut XorShift64) {
    let dirs = m.dirs();
    let dir = dirs[rng.below(dirs.len())].clone();
    let path = format!("{dir}/{}", random_name(rng));
    let dir_ino = resolve_vfs(fs, &dir);
    let name = leaf(&path);
    let existing = m.names.get(&path).cloned();
    match rng.below(11) {
        0 | 1 => {
            let got = fs.create(dir_ino, name, Kind::File, 0o644, 0).map(|_| ());
            let want = if existing.is_some() {
                Err(EEXIST)
            } else {
                Ok(())
            };
            assert_eq!(got, want, "create {path}");
            if want.is_ok() {
                m.files.push(Vec::new());
                m.names.insert(path, Entry::File(m.files.len() - 1));
            }
        }
        2 => {
            let got = fs.mkdir(dir_ino, name, 0o755).map(|_| ());
            let want = if existing.is_some() {
                Err(EEXIST)
            } else {
                Ok(())
            };
            assert_eq!(got, want, "mkdir {path}");
            if want.is_ok() {
                m.names.insert(path, Entry::Dir);
            }
        }
        3 | 4 => {
            let Some(Entry::File(id)) = existing else {
                return;
            };
            let ino = fs.lookup(dir_ino, name).unwrap();
            let data = random_data(rng);
            let at = rng.below(m.files[id].len() + 2000);
            assert_eq!(fs.write(ino, at as u64, &data), Ok(data.len()));
            let f = &mut m.files[id];
            if !data.is_empty() {
                if f.len() < at + data.len() {
                    f.resize(at + data.len(), 0);
                }
                f[at..at + data.len()].copy_from_slice(&data);
            }
        }
        5 => {
            let Some(Entry::File(id)) = existing else {
                return;
            };
            let ino = fs.lookup(dir_ino, name).unwrap();
            let size = rng.below(m.files[id].len() + 2000);
            assert_eq!(fs.truncate(ino, size as u64), Ok(()));
            m.files[id].resize(size, 0);
        }
        6 => {
            let want = match existing {
                None => Err(ENOENT),
                Some(Entry::Dir) => Err(EISDIR),
                Some(Entry::File(_)) => Ok(()),
            };
            assert_eq!(fs.unlink(dir_ino, name), want, "unlink {path}");
            if want.is_ok() {
                m.names.remove(&path);
            }
        }
        7 => {
            let want = match existing {
                None => Err(ENOENT),
                Some(Entry::File(_)) => Err(ENOTDIR),
                Some(Entry::Dir) if !m.children(&path).is_empty() => Err(ENOTEMPTY),
                Some(Entry::Dir) => Ok(()),
            };
            assert_eq!(fs.rmdir(dir_ino, name), want, "rmdir {path}");
            if want.is_ok() {
                m.names.remove(&path);
            }
        }
        8 => {
            let Some(from) = m.names.keys().nth(rng.below(m.names.len().max(1))).cloned() else {
                return;
            };
            let from_dir = resolve_vfs(fs, parent(&from));
            let got = fs.rename(from_dir, leaf(&from), dir_ino, name);
            let want = m.rename(&from, &path);
            assert_eq!(got, want, "rename {from} -> {path}");
        }
        9 => {
            let files: Vec<(String, usize)> = m
                .names
                .iter()
                .filter_map(|(p, e)| match e {
                    Entry::File(id) => Some((p.clone(), *id)),
                    Entry::Dir => None,
                })
                .collect();
            if files.is_empty() {
                return;
            }
            let (from, id) = files[rng.below(files.len())].clone();
            let ino = resolve_vfs(fs, &from);
            let want = if existing.is_some() {
                Err(EEXIST)
            } else {
                Ok(())
            };
            assert_eq!(fs.link(ino, dir_ino, name), want, "link {from} {path}");
            if want.is_ok() {
                m.names.insert(path, Entry::File(id));
            }
        }
        _ => assert_eq!(fs.sync(), Ok(())),
    }
}

/// The adapter's image after a crash-free end: mounted afresh (replaying
/// the journal), it holds the model's tree.
fn remounted_tree(fs: &Adapter) -> (Tree, Vec<u8>) {
    let image = fs.with_fs(|fs| fs.device().bytes.clone());
    let mut again = Fs::mount(MemDisk::from_bytes(image)).unwrap();
    let tree = read_tree(&mut again);
    let disk = again.unmount().unwrap();
    (tree, disk.bytes)
}

#[test]
fn random_operations_match_the_model_and_the_image_stays_clean() {
    for seed in 1..=4u64 {
        let disk = own_image(8 << 20, 1024, 1024);
        let fs: Adapter = Ext2::new(Fs::mount(disk).unwrap(), clock);
        let mut m = Model::default();
        let mut rng = XorShift64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for i in 0..600 {
            step(&fs, &mut m, &mut rng);
            if i % 50 == 49 {
                for dir in m.dirs() {
                    check_dir(&fs, &m, &dir);
                }
                for (path, e) in m.names.clone() {
                    if let Entry::File(id) = e {
                        check_file(&fs, &m, &path, id);
                    }
                }
            }
        }
        fs.sync().unwrap();
        let (tree, image) = remounted_tree(&fs);
        assert_eq!(tree, m.tree(), "seed {seed}: the tree after a remount");
        assert_clean(&image, &format!("adapter, seed {seed}"));
    }
}

#[test]
fn statfs_metadata_and_times_come_through() {
    let fs: Adapter = Ext2::new(Fs::mount(own_image(4 << 20, 1024, 1024)).unwrap(), clock);
    let root = fs.root();
    assert_eq!(root, 2);
    let before = fs.statfs().unwrap();
    assert_eq!(before.magic, 0xEF53);
    assert_eq!(before.block_size, 1024);
    assert_eq!(before.blocks, 4096);
    assert!(before.free_blocks < before.blocks && before.free_files < before.files);
    assert_eq!(before.name_max, 255);

    let dir = fs.mkdir(root, b"d", 0o700).unwrap();
    let md = fs.metadata(dir).unwrap();
    assert_eq!((md.mode, md.links, md.size), (0o040700, 2, 1024));
    assert_eq!(
        fs.metadata(root).unwrap().links,
        4,
        "root: ., lost+found, d"
    );

    let f = fs.create(dir, b"f", Kind::File, 0o640, 0).unwrap();
    assert_eq!(fs.write(f, 5000, b"x"), Ok(1));
    let md = fs.metadata(f).unwrap();
    assert_eq!((md.mode, md.size, md.blocks), (0o100640, 5001, 2));
    let after = fs.statfs().unwrap();
    assert!(after.free_blocks < before.free_blocks);
    assert_eq!(after.free_files, before.free_files - 2);

    fs.chmod(f, 0o100600).unwrap();
    assert_eq!(fs.metadata(f).unwrap().mode, 0o100600, "type bits stay");
    fs.set_times(f, Some(7), None).unwrap();
    let md = fs.metadata(f).unwrap();
    assert_eq!((md.atime, md.mtime), (7, u64::from(NOW)));
    fs.set_times(f, None, Some(9)).unwrap();
    let md = fs.metadata(f).unwrap();
    assert_eq!((md.atime, md.mtime), (7, 9));

    let l = fs.symlink(root, b"l", b"d/f").unwrap();
    assert_eq!(fs.readlink(l), Ok(b"d/f".to_vec()));
    assert_eq!(fs.metadata(l).unwrap().kind(), Some(Kind::Symlink));
    assert_eq!(fs.readlink(f), Err(EINVAL));

    assert_eq!(fs.lookup(dir, b".."), Ok(root));
    assert_eq!(fs.lookup(root, b".."), Ok(root));
    assert_eq!(fs.lookup(root, b"nope"), Err(ENOENT));
    assert_eq!(fs.lookup(f, b"x"), Err(ENOTDIR));
    assert_eq!(fs.lookup(root, &[b'n'; 256]), Err(36), "ENAMETOOLONG");
    assert_eq!(fs.metadata(1 << 40), Err(EINVAL), "not an ext2 number");
    let fifo = fs.create(root, b"fifo", Kind::Fifo, 0o644, 0).unwrap();
    let md = fs.metadata(fifo).unwrap();
    assert_eq!((md.mode, md.size, md.blocks, md.rdev), (0o010644, 0, 0, 0));
    let tty = ext2::dev_t(4, 1);
    let dev = fs
        .create(root, b"tty1", Kind::CharDevice, 0o620, tty)
        .unwrap();
    assert_eq!(fs.metadata(dev).unwrap().rdev, tty);
    assert_eq!(fs.metadata(dev).unwrap().kind(), Some(Kind::CharDevice));
    let (mut cursor, mut kinds) = (0, Vec::new());
    while let Some((e, next)) = fs.readdir(root, cursor).unwrap() {
        kinds.push((e.name, e.kind));
        cursor = next;
    }
    assert!(kinds.contains(&(b"fifo".to_vec(), Kind::Fifo)));
    assert!(kinds.contains(&(b"tty1".to_vec(), Kind::CharDevice)));
    assert_eq!(
        fs.create(root, b"x", Kind::Directory, 0o755, 0),
        Err(EINVAL),
        "directories have mkdir"
    );
    fs.unlink(root, b"tty1").unwrap();
    fs.unlink(root, b"fifo").unwrap();
    fs.sync().unwrap();
    let (_, image) = remounted_tree(&fs);
    assert_clean(&image, "statfs test");
}

#[test]
fn a_full_disk_gives_enospc_not_a_zero_length_success() {
    let fs: Adapter = Ext2::new(Fs::mount(own_image(2 << 20, 1024, 1024)).unwrap(), clock);
    let f = fs.create(fs.root(), b"big", Kind::File, 0o644, 0).unwrap();
    let chunk = vec![7u8; 64 * 1024];
    let mut at = 0u64;
    let err = loop {
        match fs.write(f, at, &chunk) {
            Ok(n) => at += n as u64,
            Err(e) => break e,
        }
    };
    assert_eq!(err, 28, "ENOSPC");
    assert!(at > 0 && fs.metadata(f).unwrap().size == at);
    fs.sync().unwrap();
    let (_, image) = remounted_tree(&fs);
    assert_clean(&image, "full disk");
}

#[test]
fn threads_share_one_mount() {
    let fs: std::sync::Arc<Adapter> = std::sync::Arc::new(Ext2::new(
        Fs::mount(own_image(8 << 20, 1024, 1024)).unwrap(),
        clock,
    ));
    let handles: Vec<_> = (0..4u8)
        .map(|t| {
            let fs = fs.clone();
            std::thread::spawn(move || {
                let root = fs.root();
                for i in 0..40u8 {
                    let name = [b't', b'0' + t, b'-', b'a' + i % 26, b'0' + i / 26];
                    let f = fs.create(root, &name, Kind::File, 0o644, 0).unwrap();
                    fs.write(f, 0, &[t; 300]).unwrap();
                    if i % 8 == 0 {
                        fs.sync().unwrap();
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    fs.sync().unwrap();
    let (tree, image) = remounted_tree(&fs);
    assert_eq!(tree.len(), 160);
    assert!(tree.iter().all(|(p, n)| match n {
        Node::File(d) => d.len() == 300 && d.iter().all(|&b| b == p.as_bytes()[2] - b'0'),
        _ => false,
    }));
    assert_clean(&image, "four threads");
}

#[test]
fn a_mount_after_a_crash_counts_the_transactions_it_replays() {
    let base = own_image(4 << 20, 1024, 1024);
    let disk = RecordingDisk::new(base.clone());
    let fs: Ext2<RecordingDisk, StdLock<Fs<RecordingDisk>>> =
        Ext2::new(Fs::mount(disk).unwrap(), clock);
    let start = fs.with_fs(|fs| fs.device().epoch);
    let f = fs.create(fs.root(), b"one", Kind::File, 0o644, 0).unwrap();
    fs.write(f, 0, b"one").unwrap();
    fs.sync().unwrap();
    // A commit flushes after the logged blocks, writes the commit block,
    // flushes again, then writes the blocks home. The power goes after the
    // commit block: keep the writes of the first two epochs only.
    let mut image = base.clone();
    fs.with_fs(|fs| {
        for (sector, data, epoch) in &fs.device().writes {
            if *epoch <= start + 1 {
                image.write(*sector, data).unwrap();
            }
        }
    });
    let again = Fs::mount(image).unwrap();
    assert_eq!(again.replayed(), 1);
    assert_eq!(again.journal_blocks(), 1023);
    let mut clean = Fs::mount(again.unmount().unwrap()).unwrap();
    assert_eq!(clean.replayed(), 0, "nothing to replay after an unmount");
    let tree = read_tree(&mut clean);
    assert_eq!(tree.get("/one"), Some(&Node::File(b"one".to_vec())));
}

#[test]
fn a_listing_in_batches_spans_blocks_and_gaps() {
    let fs: Adapter = Ext2::new(Fs::mount(own_image(4 << 20, 1024, 1024)).unwrap(), clock);
    let dir = fs.mkdir(fs.root(), b"many", 0o755).unwrap();
    for i in 0..300 {
        let name = format!("a-name-long-enough-to-fill-blocks-{i:03}");
        fs.create(dir, name.as_bytes(), Kind::File, 0o644, 0)
            .unwrap();
    }
    // Gaps: removed entries, and a whole block's worth in the middle.
    for i in (0..300).filter(|i| i % 7 == 0 || (100..130).contains(i)) {
        let name = format!("a-name-long-enough-to-fill-blocks-{i:03}");
        fs.unlink(dir, name.as_bytes()).unwrap();
    }
    let mut one_by_one = Vec::new();
    let mut cursor = 0;
    while let Some((e, next)) = fs.readdir(dir, cursor).unwrap() {
        one_by_one.push((e, next));
        cursor = next;
    }
    assert_eq!(
        one_by_one.len(),
        2 + 300 - 43 - 30 + 4,
        ". and .. and the rest"
    );
    let mut first = Vec::new();
    fs.readdir_batch(dir, 0, &mut first).unwrap();
    assert!(
        first.len() > 2 && first.len() < one_by_one.len(),
        "one batch is one block: {}",
        first.len()
    );
    check_batches(&fs, dir, &one_by_one);
}
