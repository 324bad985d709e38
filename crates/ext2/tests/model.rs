//! Random operations against a simple model (paths -> directories and files,
//! files by identity so hard links share contents). Every operation's result,
//! errno included, must match the model's; the whole tree is compared along
//! the way, after a remount, and e2fsck checks the image at the end.

mod common;

use common::*;
use ext2::{Errno, Fs, MemDisk};
use std::collections::BTreeMap;
use xorshift::XorShift64;

#[derive(Clone, Debug, PartialEq)]
enum Entry {
    Dir,
    File(usize),
}

#[derive(Default)]
struct Model {
    names: BTreeMap<String, Entry>,
    files: Vec<Vec<u8>>,
}

fn parent(path: &str) -> &str {
    &path[..path.rfind('/').unwrap()]
}

impl Model {
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

    fn is_dir(&self, path: &str) -> bool {
        path.is_empty() || self.names.get(path) == Some(&Entry::Dir)
    }

    fn children(&self, dir: &str) -> Vec<String> {
        let prefix = format!("{dir}/");
        self.names
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .cloned()
            .collect()
    }

    /// Where a new name may go: the parent must exist and be a directory.
    fn new_name(&self, path: &str) -> Result<(), Errno> {
        if !self.is_dir(parent(path)) {
            return Err(if self.names.contains_key(parent(path)) {
                Errno::ENOTDIR
            } else {
                Errno::ENOENT
            });
        }
        if self.names.contains_key(path) {
            return Err(Errno::EEXIST);
        }
        Ok(())
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<(), Errno> {
        let src = self.names.get(from).cloned().ok_or(Errno::ENOENT)?;
        if to == from {
            return Ok(());
        }
        if !self.is_dir(parent(to)) {
            return Err(Errno::ENOENT);
        }
        if src == Entry::Dir && (to == from || to.starts_with(&format!("{from}/"))) {
            return Err(Errno::EINVAL);
        }
        if let Some(dst) = self.names.get(to).cloned() {
            if dst == src && src != Entry::Dir {
                return Ok(());
            }
            match (&src, &dst) {
                (Entry::Dir, Entry::File(_)) => return Err(Errno::ENOTDIR),
                (Entry::File(_), Entry::Dir) => return Err(Errno::EISDIR),
                (Entry::Dir, Entry::Dir) if !self.children(to).is_empty() => {
                    return Err(Errno::ENOTEMPTY);
                }
                _ => {}
            }
            self.names.remove(to);
        }
        let moved: Vec<String> = self.children(from);
        self.names.remove(from);
        self.names.insert(to.to_string(), src);
        for old in moved {
            let e = self.names.remove(&old).unwrap();
            self.names.insert(format!("{to}{}", &old[from.len()..]), e);
        }
        Ok(())
    }
}

const NAMES: [&str; 6] = ["a", "b", "c", "dir", "file", "x"];

fn random_path(rng: &mut XorShift64, m: &Model) -> String {
    // Mostly below existing directories, sometimes nonsense.
    let dirs: Vec<String> = std::iter::once(String::new())
        .chain(
            m.names
                .iter()
                .filter(|(_, e)| **e == Entry::Dir)
                .map(|(p, _)| p.clone()),
        )
        .collect();
    let base = if rng.below(10) == 0 {
        "/nope".to_string()
    } else {
        dirs[rng.below(dirs.len())].clone()
    };
    format!("{base}/{}", NAMES[rng.below(NAMES.len())])
}

/// Splits a path into (parent inode, name) on the file system.
fn locate(fs: &mut Fs<MemDisk>, path: &str) -> Result<(u32, String), Errno> {
    let dir = resolve(fs, parent(path)).map_err(|e| e.errno)?;
    Ok((dir, path[path.rfind('/').unwrap() + 1..].to_string()))
}

fn step(rng: &mut XorShift64, fs: &mut Fs<MemDisk>, m: &mut Model) {
    let path = random_path(rng, m);
    let errno = |r: ext2::Result<()>| r.map_err(|e| e.errno);
    match rng.below(10) {
        0 | 1 => {
            let want = m.new_name(&path);
            let got = locate(fs, &path)
                .and_then(|(d, n)| errno(fs.create(d, n.as_bytes(), 0o644).map(|_| ())));
            assert_eq!(got, want, "create {path}");
            if want.is_ok() {
                m.files.push(Vec::new());
                m.names.insert(path, Entry::File(m.files.len() - 1));
            }
        }
        2 => {
            let want = m.new_name(&path);
            let got = locate(fs, &path)
                .and_then(|(d, n)| errno(fs.mkdir(d, n.as_bytes(), 0o755).map(|_| ())));
            assert_eq!(got, want, "mkdir {path}");
            if want.is_ok() {
                m.names.insert(path, Entry::Dir);
            }
        }
        3 | 4 => {
            let Some(Entry::File(id)) = m.names.get(&path).cloned() else {
                return;
            };
            let ino = resolve(fs, &path).unwrap();
            let offset = rng.below(20_000);
            let data: Vec<u8> = (0..rng.below(9000)).map(|_| rng.next() as u8).collect();
            assert_eq!(fs.write(ino, offset as u64, &data).unwrap(), data.len());
            let f = &mut m.files[id];
            if !data.is_empty() {
                if f.len() < offset + data.len() {
                    f.resize(offset + data.len(), 0);
                }
                f[offset..offset + data.len()].copy_from_slice(&data);
            }
        }
        5 => {
            let Some(Entry::File(id)) = m.names.get(&path).cloned() else {
                return;
            };
            let ino = resolve(fs, &path).unwrap();
            let size = rng.below(30_000);
            fs.truncate(ino, size as u64).unwrap();
            m.files[id].resize(size, 0);
        }
        6 => {
            let want = match m.names.get(&path) {
                None => Err(Errno::ENOENT),
                Some(Entry::Dir) => Err(Errno::EISDIR),
                Some(_) => Ok(()),
            };
            let got = locate(fs, &path).and_then(|(d, n)| errno(fs.unlink(d, n.as_bytes())));
            assert_eq!(got, want, "unlink {path}");
            if want.is_ok() {
                m.names.remove(&path);
            }
        }
        7 => {
            let want = match m.names.get(&path) {
                None => Err(Errno::ENOENT),
                Some(Entry::File(_)) => Err(Errno::ENOTDIR),
                Some(Entry::Dir) if !m.children(&path).is_empty() => Err(Errno::ENOTEMPTY),
                Some(Entry::Dir) => Ok(()),
            };
            let got = locate(fs, &path).and_then(|(d, n)| errno(fs.rmdir(d, n.as_bytes())));
            assert_eq!(got, want, "rmdir {path}");
            if want.is_ok() {
                m.names.remove(&path);
            }
        }
        8 => {
            let to = random_path(rng, m);
            if !m.names.contains_key(&path) || !m.is_dir(parent(&to)) {
                return;
            }
            let want = m.clone_rename(&path, &to);
            let (od, on) = locate(fs, &path).unwrap();
            let (nd, nn) = locate(fs, &to).unwrap();
            let got = errno(fs.rename(od, on.as_bytes(), nd, nn.as_bytes()));
            assert_eq!(got, want, "rename {path} {to}");
            if want.is_ok() {
                m.rename(&path, &to).unwrap();
            }
        }
        _ => {
            let Some(Entry::File(id)) = m.names.get(&path).cloned() else {
                return;
            };
            let to = random_path(rng, m);
            let want = m.new_name(&to);
            let ino = resolve(fs, &path).unwrap();
            let got = locate(fs, &to).and_then(|(d, n)| errno(fs.link(ino, d, n.as_bytes())));
            assert_eq!(got, want, "link {path} {to}");
            if want.is_ok() {
                m.names.insert(to, Entry::File(id));
            }
        }
    }
}

impl Model {
    /// The result a rename would have, without doing it.
    fn clone_rename(&self, from: &str, to: &str) -> Result<(), Errno> {
        let mut copy = Model {
            names: self.names.clone(),
            files: Vec::new(),
        };
        copy.rename(from, to)
    }
}

fn run(seed: u64, block_size: u32, journal: u32, steps: usize) {
    let mut rng = XorShift64(seed);
    let mut fs = Fs::mount(own_image(8 << 20, block_size, journal)).unwrap();
    let mut m = Model::default();
    for i in 0..steps {
        step(&mut rng, &mut fs, &mut m);
        if i % 50 == 49 {
            assert_eq!(read_tree(&mut fs), m.tree(), "seed {seed} step {i}");
        }
        if i % 97 == 96 {
            fs = Fs::mount(fs.unmount().unwrap()).unwrap();
        }
    }
    assert_eq!(read_tree(&mut fs), m.tree(), "seed {seed}");
    // The run built something worth comparing.
    assert!(m.names.len() >= 5, "seed {seed}: only {:?}", m.names);
    assert!(
        m.files.iter().any(|f| f.len() > 1000),
        "seed {seed}: no file written"
    );
    let image = fs.unmount().unwrap();
    let mut fs = Fs::mount(image).unwrap();
    assert_eq!(read_tree(&mut fs), m.tree(), "seed {seed}: after remount");
    let image = fs.unmount().unwrap();
    assert_clean(&image.bytes, &format!("seed {seed}"));
}

#[test]
fn random_operations_match_the_model_with_a_journal() {
    for seed in 1..=4 {
        run(seed, 1024, 1024, 400);
    }
}

#[test]
fn random_operations_match_the_model_without_a_journal() {
    run(77, 4096, 0, 400);
    run(78, 1024, 0, 400);
}
