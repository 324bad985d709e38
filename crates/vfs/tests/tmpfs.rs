//! The RAM file system: each call's Linux behaviour, and a randomized run
//! against a simple model (a map from paths to contents).

use linux_raw_sys::errno::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use vfs::{FileSystem, Follow, Kind, Location, Mounts, TmpFs};

fn names(fs: &TmpFs, dir: u64) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = 0;
    while let Some((entry, next)) = fs.readdir(dir, cursor).unwrap() {
        out.push(String::from_utf8(entry.name).unwrap());
        cursor = next;
    }
    out
}

#[test]
fn files_are_written_read_and_cut() {
    let fs = TmpFs::new();
    let root = fs.root();
    let f = fs.create(root, b"a", Kind::File, 0o644, 0).unwrap();
    assert_eq!(fs.write(f, 3, b"xyz").unwrap(), 3);
    let mut buf = [9u8; 10];
    assert_eq!(fs.read(f, 0, &mut buf).unwrap(), 6);
    assert_eq!(&buf[..6], b"\0\0\0xyz", "a gap reads as zeros");
    assert_eq!(fs.read(f, 6, &mut buf).unwrap(), 0);
    assert_eq!(fs.read(f, 100, &mut buf).unwrap(), 0);
    fs.truncate(f, 4).unwrap();
    let meta = fs.metadata(f).unwrap();
    assert_eq!((meta.size, meta.mode, meta.links), (4, 0o100644, 1));
    fs.truncate(f, 8).unwrap();
    assert_eq!(fs.read(f, 0, &mut buf).unwrap(), 8);
    assert_eq!(&buf[..8], b"\0\0\0x\0\0\0\0");
    assert_eq!(fs.create(root, b"a", Kind::File, 0o644, 0), Err(EEXIST));
    assert_eq!(fs.read(root, 0, &mut buf), Err(EISDIR));
    assert_eq!(fs.write(root, 0, b"x"), Err(EISDIR));
}

#[test]
fn directories_count_links_and_must_be_empty_to_go() {
    let fs = TmpFs::new();
    let root = fs.root();
    let d = fs.mkdir(root, b"d", 0o755).unwrap();
    let e = fs.mkdir(d, b"e", 0o700).unwrap();
    assert_eq!(fs.metadata(root).unwrap().links, 3);
    assert_eq!(fs.metadata(d).unwrap().links, 3);
    assert_eq!(fs.metadata(e).unwrap().mode, 0o040700);
    assert_eq!(fs.lookup(e, b"..").unwrap(), d);
    assert_eq!(fs.lookup(root, b"..").unwrap(), root);
    assert_eq!(names(&fs, d), [".", "..", "e"]);
    assert_eq!(fs.rmdir(root, b"d"), Err(ENOTEMPTY));
    assert_eq!(fs.unlink(d, b"e"), Err(EISDIR));
    fs.rmdir(d, b"e").unwrap();
    assert_eq!(fs.metadata(d).unwrap().links, 2);
    assert_eq!(fs.metadata(e), Err(ENOENT));
    let f = fs.create(d, b"f", Kind::File, 0o600, 0).unwrap();
    assert_eq!(fs.rmdir(d, b"f"), Err(ENOTDIR));
    assert_eq!(fs.lookup(f, b"x"), Err(ENOTDIR));
    fs.unlink(d, b"f").unwrap();
    fs.rmdir(root, b"d").unwrap();
    assert_eq!(fs.inode_count(), 1);
}

#[test]
fn hard_links_keep_an_inode_until_the_last_name() {
    let fs = TmpFs::new();
    let root = fs.root();
    let f = fs.create(root, b"one", Kind::File, 0o644, 0).unwrap();
    fs.write(f, 0, b"data").unwrap();
    fs.link(f, root, b"two").unwrap();
    assert_eq!(fs.metadata(f).unwrap().links, 2);
    assert_eq!(fs.link(f, root, b"two"), Err(EEXIST));
    assert_eq!(
        fs.link(root, root, b"three"),
        Err(EPERM),
        "no links to directories"
    );
    fs.unlink(root, b"one").unwrap();
    assert_eq!(fs.lookup(root, b"two").unwrap(), f);
    assert_eq!(fs.metadata(f).unwrap().links, 1);
    fs.unlink(root, b"two").unwrap();
    assert_eq!(fs.metadata(f), Err(ENOENT));
    assert_eq!(fs.inode_count(), 1);
}

#[test]
fn rename_follows_linux() {
    let fs = TmpFs::new();
    let r = fs.root();
    let a = fs.mkdir(r, b"a", 0o755).unwrap();
    let b = fs.mkdir(a, b"b", 0o755).unwrap();
    let f = fs.create(r, b"f", Kind::File, 0o644, 0).unwrap();
    let g = fs.create(r, b"g", Kind::File, 0o644, 0).unwrap();
    assert_eq!(fs.rename(r, b"a", b, b"x"), Err(EINVAL), "into itself");
    assert_eq!(fs.rename(r, b"a", r, b"f"), Err(ENOTDIR));
    assert_eq!(fs.rename(r, b"f", a, b"b"), Err(EISDIR));
    assert_eq!(fs.rename(r, b"nope", r, b"x"), Err(ENOENT));
    let empty = fs.mkdir(r, b"empty", 0o755).unwrap();
    assert_eq!(fs.rename(r, b"empty", r, b"a"), Err(ENOTEMPTY));
    fs.rename(r, b"f", r, b"g").unwrap();
    assert_eq!(fs.lookup(r, b"g").unwrap(), f);
    assert_eq!(fs.metadata(g), Err(ENOENT), "the replaced file is gone");
    fs.rename(a, b"b", r, b"empty").unwrap();
    assert_eq!(fs.lookup(r, b"empty").unwrap(), b);
    assert_eq!(fs.metadata(empty), Err(ENOENT));
    assert_eq!(fs.lookup(b, b"..").unwrap(), r);
    assert_eq!(fs.metadata(a).unwrap().links, 2);
    assert_eq!(fs.metadata(r).unwrap().links, 4);
    fs.link(f, r, b"h").unwrap();
    fs.rename(r, b"g", r, b"h").unwrap();
    assert_eq!(
        fs.metadata(f).unwrap().links,
        2,
        "same inode: nothing happens"
    );
}

#[test]
fn symlinks_devices_modes_times() {
    let fs = TmpFs::with_clock(|| 1234);
    let r = fs.root();
    let l = fs.symlink(r, b"l", b"/some/where").unwrap();
    assert_eq!(fs.readlink(l).unwrap(), b"/some/where");
    assert_eq!(fs.metadata(l).unwrap().mode, 0o120777);
    assert_eq!(fs.metadata(l).unwrap().size, 11);
    assert_eq!(fs.readlink(r), Err(EINVAL));
    let d = fs
        .create(r, b"null", Kind::CharDevice, 0o666, 0x103)
        .unwrap();
    let meta = fs.metadata(d).unwrap();
    assert_eq!((meta.mode, meta.rdev, meta.mtime), (0o020666, 0x103, 1234));
    fs.chmod(d, 0o4600).unwrap();
    assert_eq!(fs.metadata(d).unwrap().mode, 0o024600);
    fs.set_times(d, Some(5), None).unwrap();
    let meta = fs.metadata(d).unwrap();
    assert_eq!((meta.atime, meta.mtime), (5, 1234));
    assert_eq!(
        fs.create(r, &[b'n'; 256], Kind::File, 0, 0),
        Err(ENAMETOOLONG)
    );
    fs.create(r, &[b'n'; 255], Kind::File, 0, 0).unwrap();
}

/// The model: every path and what it is.
#[derive(Clone, Debug, PartialEq)]
enum Model {
    File(Vec<u8>),
    Dir,
}

fn parent_of(path: &str) -> &str {
    &path[..path.rfind('/').unwrap()]
}

fn children<'a>(
    model: &'a BTreeMap<String, Model>,
    dir: &'a str,
) -> impl Iterator<Item = &'a String> {
    model.keys().filter(move |p| parent_of(p) == dir)
}

/// Random operations through paths (`Mounts` over one tmpfs) and on the
/// model give the same results, and the trees stay the same.
#[test]
fn random_operations_match_a_model() {
    let fs = Arc::new(TmpFs::new());
    let mounts = Mounts::new(fs.clone());
    let root = mounts.root();
    let mut model: BTreeMap<String, Model> = BTreeMap::new();
    let mut rng = xorshift::XorShift64(7);
    let parts = ["a", "b", "c"];
    let random_path = |rng: &mut xorshift::XorShift64| {
        let depth = 1 + rng.below(3);
        (0..depth)
            .map(|_| format!("/{}", parts[rng.below(3)]))
            .collect::<String>()
    };
    for step in 0..20_000 {
        let path = random_path(&mut rng);
        let parent_ok = |m: &BTreeMap<String, Model>, p: &str| {
            let parent = parent_of(p);
            parent.is_empty() || m.get(parent) == Some(&Model::Dir)
        };
        let at = mounts.resolve_parent(root, path.as_bytes());
        let expected_parent = parent_ok(&model, &path);
        assert_eq!(at.is_ok(), expected_parent, "step {step}: parent of {path}");
        let Ok(at) = at else { continue };
        let (dir, name) = (at.dir.ino, at.name.as_slice());
        match rng.below(6) {
            0 => {
                let got = fs.create(dir, name, Kind::File, 0o644, 0);
                assert_eq!(got.is_ok(), !model.contains_key(&path), "create {path}");
                model.entry(path).or_insert(Model::File(Vec::new()));
            }
            1 => {
                let got = fs.mkdir(dir, name, 0o755);
                assert_eq!(got.is_ok(), !model.contains_key(&path), "mkdir {path}");
                model.entry(path).or_insert(Model::Dir);
            }
            2 => {
                let offset = rng.below(20);
                let data = vec![step as u8; rng.below(20)];
                let got = fs
                    .lookup(dir, name)
                    .and_then(|ino| fs.write(ino, offset as u64, &data));
                match model.get_mut(&path) {
                    Some(Model::File(bytes)) => {
                        assert_eq!(got, Ok(data.len()));
                        if bytes.len() < offset + data.len() {
                            bytes.resize(offset + data.len(), 0);
                        }
                        bytes[offset..offset + data.len()].copy_from_slice(&data);
                    }
                    Some(Model::Dir) => assert_eq!(got, Err(EISDIR)),
                    None => assert_eq!(got, Err(ENOENT)),
                }
            }
            3 => {
                let got = fs.unlink(dir, name);
                match model.get(&path) {
                    Some(Model::File(_)) => {
                        assert_eq!(got, Ok(()));
                        model.remove(&path);
                    }
                    Some(Model::Dir) => assert_eq!(got, Err(EISDIR)),
                    None => assert_eq!(got, Err(ENOENT)),
                }
            }
            4 => {
                let got = fs.rmdir(dir, name);
                match model.get(&path) {
                    Some(Model::Dir) if children(&model, &path).next().is_some() => {
                        assert_eq!(got, Err(ENOTEMPTY))
                    }
                    Some(Model::Dir) => {
                        assert_eq!(got, Ok(()));
                        model.remove(&path);
                    }
                    Some(Model::File(_)) => assert_eq!(got, Err(ENOTDIR)),
                    None => assert_eq!(got, Err(ENOENT)),
                }
            }
            _ => {
                let to = random_path(&mut rng);
                let Ok(to_at) = mounts.resolve_parent(root, to.as_bytes()) else {
                    assert!(!parent_ok(&model, &to));
                    continue;
                };
                let got = fs.rename(dir, name, to_at.dir.ino, &to_at.name);
                let expected = model_rename(&model, &path, &to);
                assert_eq!(
                    got.map(|_| ()),
                    expected.as_ref().map(|_| ()).map_err(|e| *e),
                    "rename {path} {to}"
                );
                if let Ok(new_model) = expected {
                    model = new_model;
                }
            }
        }
        if step % 500 == 0 {
            check_tree(&fs, &mounts, &model);
        }
    }
    check_tree(&fs, &mounts, &model);
}

fn model_rename(
    model: &BTreeMap<String, Model>,
    from: &str,
    to: &str,
) -> Result<BTreeMap<String, Model>, u32> {
    let source = model.get(from).ok_or(ENOENT)?;
    let is_dir = *source == Model::Dir;
    if is_dir && (to == from || to.starts_with(&format!("{from}/"))) {
        return if to == from {
            Ok(model.clone())
        } else {
            Err(EINVAL)
        };
    }
    match (source, model.get(to)) {
        (_, None) => {}
        (_, Some(_)) if from == to => return Ok(model.clone()),
        (Model::File(_), Some(Model::Dir)) => return Err(EISDIR),
        (Model::Dir, Some(Model::File(_))) => return Err(ENOTDIR),
        (Model::Dir, Some(Model::Dir)) if children(model, to).next().is_some() => {
            return Err(ENOTEMPTY);
        }
        _ => {}
    }
    let mut out = BTreeMap::new();
    for (path, node) in model {
        if path == to || path.starts_with(&format!("{to}/")) {
            continue;
        }
        let moved = if path == from {
            to.to_string()
        } else if let Some(rest) = path.strip_prefix(&format!("{from}/")) {
            format!("{to}/{rest}")
        } else {
            path.clone()
        };
        out.insert(moved, node.clone());
    }
    Ok(out)
}

/// Every path of the model resolves to what it says; link counts add up;
/// no inode is left over.
fn check_tree(fs: &TmpFs, mounts: &Mounts, model: &BTreeMap<String, Model>) {
    for (path, node) in model {
        let at: Location = mounts
            .resolve(mounts.root(), path.as_bytes(), Follow::No)
            .unwrap();
        let meta = fs.metadata(at.ino).unwrap();
        match node {
            Model::Dir => {
                let subdirs = children(model, path)
                    .filter(|p| model[*p] == Model::Dir)
                    .count();
                assert_eq!(meta.links as usize, 2 + subdirs, "{path}");
                let mut listed = names(fs, at.ino);
                listed.sort();
                let mut expected: Vec<String> = children(model, path)
                    .map(|p| p[p.rfind('/').unwrap() + 1..].to_string())
                    .chain([".".to_string(), "..".to_string()])
                    .collect();
                expected.sort();
                assert_eq!(listed, expected, "{path}");
                assert_eq!(mounts.path_of(at).unwrap(), path.as_bytes());
            }
            Model::File(bytes) => {
                let mut buf = vec![0; bytes.len() + 1];
                assert_eq!(fs.read(at.ino, 0, &mut buf).unwrap(), bytes.len());
                assert_eq!(&buf[..bytes.len()], bytes.as_slice(), "{path}");
                assert_eq!(meta.links, 1);
            }
        }
    }
    assert_eq!(fs.inode_count(), model.len() + 1);
}

/// A listing resumed from its cursor while names before and after it are
/// unlinked and created lists every name present throughout exactly once
/// (the cursor used to count names, so each unlink behind it skipped one).
#[test]
fn a_listing_survives_unlinks_and_creates_between_calls() {
    let fs = TmpFs::new();
    let root = vfs::tmpfs::ROOT;
    let dir = fs.mkdir(root, b"big", 0o755).unwrap();
    let name = |i: usize| format!("f{i:04}");
    for i in 0..1000 {
        fs.create(dir, name(i).as_bytes(), Kind::File, 0o644, 0)
            .unwrap();
    }
    let mut seen: Vec<String> = Vec::new();
    let mut cursor = 0;
    let mut created = 0;
    while let Some((entry, next)) = fs.readdir(dir, cursor).unwrap() {
        let listed = String::from_utf8(entry.name).unwrap();
        cursor = next;
        // Every 10th listed name goes, and a new name comes.
        if seen.len() % 10 == 5 && listed.starts_with('f') {
            fs.unlink(dir, listed.as_bytes()).unwrap();
            fs.create(
                dir,
                format!("new{created}").as_bytes(),
                Kind::File,
                0o644,
                0,
            )
            .unwrap();
            created += 1;
        }
        seen.push(listed);
    }
    for i in 0..1000 {
        let times = seen.iter().filter(|s| **s == name(i)).count();
        assert_eq!(times, 1, "{} listed {times} times", name(i));
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no name twice");
    assert!(seen.starts_with(&[".".to_string(), "..".to_string()]));
}

#[test]
fn a_held_file_outlives_its_last_name_until_the_last_release() {
    let fs = TmpFs::new();
    let root = fs.root();
    let before = fs.inode_count();
    let f = fs.create(root, b"a", Kind::File, 0o644, 0).unwrap();
    fs.write(f, 0, b"kept").unwrap();
    fs.hold(f);
    fs.hold(f);
    fs.unlink(root, b"a").unwrap();
    assert_eq!(
        fs.lookup(root, b"a"),
        Err(ENOENT),
        "the name is gone at once"
    );
    assert_eq!(fs.metadata(f).unwrap().links, 0);
    assert_eq!(fs.write(f, 4, b"+more").unwrap(), 5, "still writable");
    let mut buf = [0u8; 16];
    assert_eq!(fs.read(f, 0, &mut buf).unwrap(), 9);
    assert_eq!(&buf[..9], b"kept+more");
    assert_eq!(
        fs.link(f, root, b"again"),
        Err(ENOENT),
        "no name for the nameless"
    );
    fs.release(f).unwrap();
    assert!(fs.metadata(f).is_ok(), "one holder is left");
    fs.release(f).unwrap();
    assert_eq!(fs.metadata(f), Err(ENOENT), "freed at the last release");
    assert_eq!(fs.inode_count(), before);
    assert_eq!(fs.release(f), Err(ENOENT));
}

#[test]
fn a_held_file_replaced_by_rename_stays_and_an_unheld_one_goes() {
    let fs = TmpFs::new();
    let root = fs.root();
    let old = fs.create(root, b"old", Kind::File, 0o644, 0).unwrap();
    fs.write(old, 0, b"old").unwrap();
    fs.hold(old);
    let new = fs.create(root, b"new", Kind::File, 0o644, 0).unwrap();
    fs.rename(root, b"new", root, b"old").unwrap();
    assert_eq!(fs.lookup(root, b"old"), Ok(new));
    let mut buf = [0u8; 8];
    assert_eq!(
        fs.read(old, 0, &mut buf).unwrap(),
        3,
        "the held one is readable"
    );
    fs.release(old).unwrap();
    assert_eq!(fs.metadata(old), Err(ENOENT));
    let other = fs.create(root, b"other", Kind::File, 0o644, 0).unwrap();
    fs.rename(root, b"old", root, b"other").unwrap();
    assert_eq!(fs.metadata(other), Err(ENOENT), "not held: gone at once");
}

#[test]
fn a_held_removed_directory_takes_no_names_and_gives_no_listing() {
    let fs = TmpFs::new();
    let root = fs.root();
    let d = fs.mkdir(root, b"d", 0o755).unwrap();
    fs.hold(d);
    fs.rmdir(root, b"d").unwrap();
    assert_eq!(
        fs.metadata(root).unwrap().links,
        2,
        "the parent lost the `..`"
    );
    assert_eq!(fs.metadata(d).unwrap().links, 0);
    assert_eq!(fs.readdir(d, 0), Err(ENOENT), "no listing, as Linux");
    assert_eq!(fs.lookup(d, b".."), Ok(root), "`..` still leads up");
    assert_eq!(fs.create(d, b"f", Kind::File, 0o644, 0), Err(ENOENT));
    assert_eq!(fs.mkdir(d, b"e", 0o755), Err(ENOENT));
    let f = fs.create(root, b"f", Kind::File, 0o644, 0).unwrap();
    assert_eq!(fs.link(f, d, b"g"), Err(ENOENT));
    assert_eq!(fs.rename(root, b"f", d, b"f"), Err(ENOENT));
    fs.release(d).unwrap();
    assert_eq!(fs.metadata(d), Err(ENOENT));
}

/// 2,000 random creates, writes, holds, releases, unlinks and renames of
/// six names (fixed seed) against a model of each inode's names, holds and
/// bytes: after every step the contents and link counts agree and exactly
/// the inodes with a name or a holder exist.
#[test]
fn random_names_and_holds_match_a_model() {
    #[derive(Default)]
    struct Node {
        names: usize,
        holds: usize,
        data: Vec<u8>,
    }
    let fs = TmpFs::new();
    let root = fs.root();
    let mut rng = xorshift::XorShift64(0x5eed_0f11);
    let mut names: BTreeMap<String, u64> = BTreeMap::new();
    let mut nodes: BTreeMap<u64, Node> = BTreeMap::new();
    let forget_if_unused = |nodes: &mut BTreeMap<u64, Node>, ino: u64| {
        if nodes[&ino].names == 0 && nodes[&ino].holds == 0 {
            nodes.remove(&ino);
        }
    };
    for step in 0..2000 {
        let name = format!("f{}", rng.below(6));
        let held: Vec<u64> = nodes
            .iter()
            .filter(|(_, n)| n.holds > 0)
            .map(|(i, _)| *i)
            .collect();
        match [0, 0, 1, 2, 2, 3, 4, 5][rng.below(8)] {
            0 if !names.contains_key(&name) => {
                let ino = fs
                    .create(root, name.as_bytes(), Kind::File, 0o644, 0)
                    .unwrap();
                names.insert(name, ino);
                nodes.insert(
                    ino,
                    Node {
                        names: 1,
                        ..Node::default()
                    },
                );
            }
            1 if !nodes.is_empty() => {
                let ino = *nodes.keys().nth(rng.below(nodes.len())).unwrap();
                let bytes = vec![step as u8; rng.below(300)];
                let at = rng.below(200);
                fs.write(ino, at as u64, &bytes).unwrap();
                let data = &mut nodes.get_mut(&ino).unwrap().data;
                if data.len() < at + bytes.len() {
                    data.resize(at + bytes.len(), 0);
                }
                data[at..at + bytes.len()].copy_from_slice(&bytes);
            }
            2 if names.contains_key(&name) => {
                fs.hold(names[&name]);
                nodes.get_mut(&names[&name]).unwrap().holds += 1;
            }
            3 if !held.is_empty() => {
                let ino = held[rng.below(held.len())];
                fs.release(ino).unwrap();
                nodes.get_mut(&ino).unwrap().holds -= 1;
                forget_if_unused(&mut nodes, ino);
            }
            4 if names.contains_key(&name) => {
                fs.unlink(root, name.as_bytes()).unwrap();
                let ino = names.remove(&name).unwrap();
                nodes.get_mut(&ino).unwrap().names -= 1;
                forget_if_unused(&mut nodes, ino);
            }
            5 if names.contains_key(&name) => {
                let to = format!("f{}", rng.below(6));
                fs.rename(root, name.as_bytes(), root, to.as_bytes())
                    .unwrap();
                let ino = names.remove(&name).unwrap();
                if let Some(old) = names.insert(to, ino)
                    && old != ino
                {
                    nodes.get_mut(&old).unwrap().names -= 1;
                    forget_if_unused(&mut nodes, old);
                }
            }
            _ => {}
        }
        for (ino, node) in &nodes {
            let mut buf = vec![0; node.data.len() + 1];
            assert_eq!(
                fs.read(*ino, 0, &mut buf),
                Ok(node.data.len()),
                "step {step}"
            );
            assert_eq!(buf[..node.data.len()], node.data[..], "step {step}");
            let links = fs.metadata(*ino).unwrap().links as usize;
            assert_eq!(links, node.names, "step {step}");
        }
        assert_eq!(
            fs.inode_count(),
            nodes.len() + 1,
            "step {step}: the root and the model's"
        );
    }
}

/// The trait's default `readdir_batch` (tmpfs keeps it): one entry per
/// call, the same as `readdir`, then nothing at the end.
#[test]
fn the_default_batch_is_one_readdir() {
    let fs = TmpFs::new();
    let root = fs.root();
    for name in [&b"a"[..], b"b", b"c"] {
        fs.create(root, name, Kind::File, 0o644, 0).unwrap();
    }
    let mut cursor = 0;
    while let Some(one) = fs.readdir(root, cursor).unwrap() {
        let mut batch = Vec::new();
        fs.readdir_batch(root, cursor, &mut batch).unwrap();
        assert_eq!(batch, std::slice::from_ref(&one));
        cursor = one.1;
    }
    let mut batch = Vec::new();
    fs.readdir_batch(root, cursor, &mut batch).unwrap();
    assert!(batch.is_empty(), "nothing past the end");
    assert_eq!(names(&fs, root), [".", "..", "a", "b", "c"]);
}
