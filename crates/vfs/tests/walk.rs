//! Path resolution over mounts: `.`, `..`, mount crossings, symbolic links,
//! Linux's errors, the parent-and-name form, paths back from directories,
//! and garbage paths that must never panic.

use linux_raw_sys::errno::*;
use std::sync::Arc;
use vfs::{FileSystem, Follow, Kind, Location, Mounts, TmpFs};

/// `/` with `bin/sh`, `etc/`, `tmp/` (a second tmpfs with `x`), and links.
fn tree() -> (Mounts, Arc<TmpFs>, Arc<TmpFs>) {
    let root = Arc::new(TmpFs::new());
    let r = root.root();
    let bin = root.mkdir(r, b"bin", 0o755).unwrap();
    root.create(bin, b"sh", Kind::File, 0o755, 0).unwrap();
    root.mkdir(r, b"etc", 0o755).unwrap();
    let tmp_dir = root.mkdir(r, b"tmp", 0o1777).unwrap();
    root.symlink(r, b"abs", b"/bin/sh").unwrap();
    root.symlink(bin, b"rel", b"sh").unwrap();
    root.symlink(r, b"up", b"tmp/..").unwrap();
    root.symlink(r, b"loop", b"loop").unwrap();
    root.symlink(r, b"dangling", b"nowhere").unwrap();
    let tmp = Arc::new(TmpFs::new());
    let t = tmp.root();
    let x = tmp.mkdir(t, b"x", 0o755).unwrap();
    tmp.create(x, b"f", Kind::File, 0o644, 0).unwrap();
    let mut mounts = Mounts::new(root.clone());
    let on = Location {
        mount: 0,
        ino: tmp_dir,
    };
    assert_eq!(mounts.mount(on, tmp.clone()), Ok(1));
    assert_eq!(mounts.mount(on, tmp.clone()), Err(EBUSY));
    (mounts, root, tmp)
}

fn at(m: &Mounts, path: &str) -> Result<Location, u32> {
    m.resolve(m.root(), path.as_bytes(), Follow::Yes)
}

fn path(m: &Mounts, l: Location) -> String {
    String::from_utf8(m.path_of(l).unwrap()).unwrap()
}

#[test]
fn dots_and_mounts() {
    let (m, root, tmp) = tree();
    let sh = at(&m, "/bin/sh").unwrap();
    assert_eq!(sh.mount, 0);
    for p in [
        "bin/sh",
        "//bin///sh",
        "/bin/./sh",
        "/etc/../bin/sh",
        "/../../bin/sh",
        "/tmp/../bin/sh",
        "/tmp/x/../../bin/sh",
    ] {
        assert_eq!(at(&m, p), Ok(sh), "{p}");
    }
    let x = at(&m, "/tmp/x").unwrap();
    assert_eq!(
        x,
        Location {
            mount: 1,
            ino: tmp.lookup(tmp.root(), b"x").unwrap()
        }
    );
    assert_eq!(
        at(&m, "/tmp"),
        Ok(m.root_of(1)),
        "the mount covers the directory"
    );
    assert_eq!(at(&m, "/tmp/."), Ok(m.root_of(1)));
    assert_eq!(at(&m, "/tmp/.."), Ok(m.root()));
    assert_eq!(at(&m, "/"), Ok(m.root()));
    assert_eq!(at(&m, ".."), Ok(m.root()));
    // Relative to a start directory.
    assert_eq!(m.resolve(x, b"f", Follow::Yes).map(|l| l.mount), Ok(1));
    assert_eq!(m.resolve(x, b"../../bin/sh", Follow::Yes), Ok(sh));
    assert_eq!(path(&m, x), "/tmp/x");
    assert_eq!(path(&m, m.root_of(1)), "/tmp");
    assert_eq!(path(&m, m.root()), "/");
    assert_eq!(path(&m, at(&m, "/bin").unwrap()), "/bin");
    assert_eq!(m.path_of(sh), Err(ENOTDIR));
    let _ = root;
}

#[test]
fn linux_errors() {
    let (m, _, _) = tree();
    assert_eq!(at(&m, ""), Err(ENOENT));
    assert_eq!(at(&m, "/nope"), Err(ENOENT));
    assert_eq!(at(&m, "/nope/x"), Err(ENOENT));
    assert_eq!(at(&m, "/bin/sh/"), Err(ENOTDIR));
    assert_eq!(at(&m, "/bin/sh/x"), Err(ENOTDIR));
    assert_eq!(at(&m, "/bin/sh/.."), Err(ENOTDIR));
    assert_eq!(at(&m, &"a".repeat(256)), Err(ENAMETOOLONG));
    assert_eq!(at(&m, &"a".repeat(255)), Err(ENOENT));
    let deep = "./".repeat(2048);
    assert_eq!(at(&m, &deep), Err(ENAMETOOLONG), "4,096 bytes");
    assert_eq!(at(&m, &deep[..4095]), Ok(m.root()), "4,095 bytes");
}

#[test]
fn symbolic_links() {
    let (m, root, _) = tree();
    let sh = at(&m, "/bin/sh").unwrap();
    assert_eq!(at(&m, "/abs"), Ok(sh));
    assert_eq!(
        at(&m, "/bin/rel"),
        Ok(sh),
        "relative to the link's directory"
    );
    assert_eq!(at(&m, "/up/bin/rel"), Ok(sh));
    let abs = m.resolve(m.root(), b"/abs", Follow::No).unwrap();
    assert_eq!(root.readlink(abs.ino).unwrap(), b"/bin/sh");
    assert_eq!(at(&m, "/loop"), Err(ELOOP));
    assert_eq!(
        m.resolve(m.root(), b"/loop", Follow::No).map(|l| l.mount),
        Ok(0)
    );
    assert_eq!(at(&m, "/dangling"), Err(ENOENT));
    assert!(m.resolve(m.root(), b"/dangling", Follow::No).is_ok());
    assert_eq!(
        m.resolve(m.root(), b"/up/", Follow::No),
        Ok(m.root()),
        "a trailing / follows"
    );
    assert_eq!(at(&m, "/abs/"), Err(ENOTDIR));
}

#[test]
fn paths_without_links() {
    let (m, _, _) = tree();
    let sh = at(&m, "/bin/sh").unwrap();
    let x = at(&m, "/tmp/x").unwrap();
    let with_path = |start, p: &str| {
        m.resolve_with_path(start, p.as_bytes())
            .map(|(l, p)| (l, String::from_utf8(p).unwrap()))
    };
    for p in [
        "/abs",
        "/bin/rel",
        "/up/bin/rel",
        "/tmp/../bin/./sh",
        "bin//sh",
    ] {
        assert_eq!(
            with_path(m.root(), p),
            Ok((sh, "/bin/sh".to_string())),
            "{p}"
        );
    }
    assert_eq!(
        with_path(x, "f").map(|(_, p)| p),
        Ok("/tmp/x/f".to_string())
    );
    assert_eq!(with_path(x, "..").map(|(_, p)| p), Ok("/tmp".to_string()));
    assert_eq!(with_path(x, "/").map(|(_, p)| p), Ok("/".to_string()));
    assert_eq!(with_path(x, "/loop"), Err(ELOOP));
    assert_eq!(with_path(x, "/abs/"), Err(ENOTDIR));
    assert_eq!(with_path(x, "/dangling"), Err(ENOENT));
}

#[test]
fn forty_links_are_fine_and_forty_one_are_eloop() {
    let fs = Arc::new(TmpFs::new());
    let r = fs.root();
    fs.create(r, b"l0", Kind::File, 0o644, 0).unwrap();
    for i in 1..=41 {
        let target = format!("l{}", i - 1);
        fs.symlink(r, format!("l{i}").as_bytes(), target.as_bytes())
            .unwrap();
    }
    let m = Mounts::new(fs.clone());
    let file = at(&m, "/l0").unwrap();
    assert_eq!(at(&m, "/l40"), Ok(file));
    assert_eq!(at(&m, "/l41"), Err(ELOOP));
}

#[test]
fn parent_and_last_name() {
    let (m, _, _) = tree();
    let bin = at(&m, "/bin").unwrap();
    let p = m.resolve_parent(m.root(), b"/bin/new").unwrap();
    assert_eq!(
        (p.dir, p.name.as_slice(), p.trailing_slash),
        (bin, &b"new"[..], false)
    );
    let p = m.resolve_parent(m.root(), b"bin/new//").unwrap();
    assert_eq!(
        (p.dir, p.name.as_slice(), p.trailing_slash),
        (bin, &b"new"[..], true)
    );
    let p = m.resolve_parent(bin, b"x").unwrap();
    assert_eq!((p.dir, p.name.as_slice()), (bin, &b"x"[..]));
    let p = m.resolve_parent(bin, b"/").unwrap();
    assert_eq!((p.dir, p.name.as_slice()), (m.root(), &b""[..]));
    assert!(p.is_special());
    let p = m.resolve_parent(bin, b"/tmp/x/..").unwrap();
    assert_eq!(p.name, b"..");
    assert_eq!(p.dir, at(&m, "/tmp/x").unwrap());
    assert!(p.is_special());
    let p = m.resolve_parent(m.root(), b"/tmp").unwrap();
    assert_eq!((p.dir, p.name.as_slice()), (m.root(), &b"tmp"[..]));
    assert_eq!(
        m.resolve_parent(m.root(), b"/nope/x").map(|_| ()),
        Err(ENOENT)
    );
    assert_eq!(
        m.resolve_parent(m.root(), b"/bin/sh/x").map(|_| ()),
        Err(ENOTDIR)
    );
    assert_eq!(m.resolve_parent(m.root(), b"").map(|_| ()), Err(ENOENT));
    assert_eq!(
        m.resolve_parent(m.root(), "a".repeat(256).as_bytes())
            .map(|_| ()),
        Err(ENAMETOOLONG)
    );
}

/// Garbage paths (random bytes over a small alphabet, links included)
/// give an answer or an error, never a panic or a hang.
#[test]
fn random_paths_never_panic() {
    let (m, root, _) = tree();
    let r = root.root();
    root.symlink(r, b"b", b"b/../b").unwrap();
    root.symlink(r, b"c", b"/tmp/x/../../abs/").unwrap();
    let alphabet = b"/./bin/sh/tmp/x/abs/up/loop/b/c\xff\0";
    let mut rng = xorshift::XorShift64(3);
    let start = at(&m, "/tmp/x").unwrap();
    for _ in 0..50_000 {
        let len = rng.below(24);
        let path: Vec<u8> = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        let follow = if rng.below(2) == 0 {
            Follow::Yes
        } else {
            Follow::No
        };
        if let Ok(l) = m.resolve(start, &path, follow) {
            assert!(l.mount < m.len());
        }
        // Without links to open files, `Open` follows like `Yes`.
        assert_eq!(
            m.resolve(start, &path, Follow::Open),
            m.resolve(start, &path, Follow::Yes)
        );
        let _ = m.resolve_parent(start, &path);
        let _ = m.resolve_with_path(start, &path);
    }
}

/// A tmpfs whose links named `fd*` stand for open files (as procfs's
/// `/proc/<pid>/fd/<n>`): `Follow::Open` stops at them when last.
struct FdLinks(TmpFs);

impl FileSystem for FdLinks {
    fn root(&self) -> vfs::Ino {
        self.0.root()
    }
    fn lookup(&self, dir: vfs::Ino, name: &[u8]) -> Result<vfs::Ino, u32> {
        self.0.lookup(dir, name)
    }
    fn metadata(&self, ino: vfs::Ino) -> Result<vfs::Metadata, u32> {
        self.0.metadata(ino)
    }
    fn read(&self, ino: vfs::Ino, offset: u64, buf: &mut [u8]) -> Result<usize, u32> {
        self.0.read(ino, offset, buf)
    }
    fn write(&self, ino: vfs::Ino, offset: u64, data: &[u8]) -> Result<usize, u32> {
        self.0.write(ino, offset, data)
    }
    fn truncate(&self, ino: vfs::Ino, size: u64) -> Result<(), u32> {
        self.0.truncate(ino, size)
    }
    fn create(
        &self,
        dir: vfs::Ino,
        name: &[u8],
        kind: Kind,
        perm: u32,
        rdev: u64,
    ) -> Result<vfs::Ino, u32> {
        self.0.create(dir, name, kind, perm, rdev)
    }
    fn mkdir(&self, dir: vfs::Ino, name: &[u8], perm: u32) -> Result<vfs::Ino, u32> {
        self.0.mkdir(dir, name, perm)
    }
    fn symlink(&self, dir: vfs::Ino, name: &[u8], target: &[u8]) -> Result<vfs::Ino, u32> {
        self.0.symlink(dir, name, target)
    }
    fn readlink(&self, ino: vfs::Ino) -> Result<Vec<u8>, u32> {
        self.0.readlink(ino)
    }
    fn is_open_file_link(&self, ino: vfs::Ino) -> bool {
        let mut cursor = 0;
        while let Ok(Some((entry, next))) = self.0.readdir(self.0.root(), cursor) {
            if entry.ino == ino {
                return entry.name.starts_with(b"fd");
            }
            cursor = next;
        }
        false
    }
    fn link(&self, ino: vfs::Ino, dir: vfs::Ino, name: &[u8]) -> Result<(), u32> {
        self.0.link(ino, dir, name)
    }
    fn unlink(&self, dir: vfs::Ino, name: &[u8]) -> Result<(), u32> {
        self.0.unlink(dir, name)
    }
    fn rmdir(&self, dir: vfs::Ino, name: &[u8]) -> Result<(), u32> {
        self.0.rmdir(dir, name)
    }
    fn rename(&self, a: vfs::Ino, an: &[u8], b: vfs::Ino, bn: &[u8]) -> Result<(), u32> {
        self.0.rename(a, an, b, bn)
    }
    fn readdir(&self, dir: vfs::Ino, cursor: u64) -> Result<Option<(vfs::DirEntry, u64)>, u32> {
        self.0.readdir(dir, cursor)
    }
    fn chmod(&self, ino: vfs::Ino, perm: u32) -> Result<(), u32> {
        self.0.chmod(ino, perm)
    }
    fn set_times(&self, ino: vfs::Ino, a: Option<u64>, m: Option<u64>) -> Result<(), u32> {
        self.0.set_times(ino, a, m)
    }
    fn sync(&self) -> Result<(), u32> {
        self.0.sync()
    }
    fn statfs(&self) -> Result<vfs::StatFs, u32> {
        self.0.statfs()
    }
}

#[test]
fn open_stops_at_a_last_link_to_an_open_file() {
    let fs = FdLinks(TmpFs::new());
    let r = fs.root();
    let dir = fs.mkdir(r, b"d", 0o755).unwrap();
    let file = fs.create(r, b"f", Kind::File, 0o644, 0).unwrap();
    let fd_dir = fs.symlink(r, b"fd_dir", b"d").unwrap();
    let fd_file = fs.symlink(r, b"fd_file", b"f").unwrap();
    let fd_gone = fs.symlink(r, b"fd_gone", b"pipe:[7]").unwrap();
    fs.symlink(r, b"plain", b"fd_file").unwrap();
    let m = Mounts::new(Arc::new(fs));
    let loc = |ino| Location { mount: 0, ino };
    let open = |p: &str| m.resolve(m.root(), p.as_bytes(), Follow::Open);
    let follow = |p: &str| m.resolve(m.root(), p.as_bytes(), Follow::Yes);
    // Last: the link itself, whatever its text says.
    assert_eq!(open("/fd_file"), Ok(loc(fd_file)));
    assert_eq!(open("/fd_gone"), Ok(loc(fd_gone)));
    assert_eq!(follow("/fd_gone"), Err(ENOENT));
    // Reached through another link: still the open-file link.
    assert_eq!(open("/plain"), Ok(loc(fd_file)));
    assert_eq!(follow("/plain"), Ok(loc(file)));
    // Not last (or a trailing `/`): followed as text.
    assert_eq!(open("/fd_dir"), Ok(loc(fd_dir)));
    assert_eq!(open("/fd_dir/."), Ok(loc(dir)));
    assert_eq!(open("/fd_dir/"), Ok(loc(dir)));
}

/// A file renamed inside the directory it was opened in is found under its
/// new name; moved to another directory or removed, it is not.
#[test]
fn a_file_renamed_within_its_directory_is_found_by_its_new_name() {
    let (m, root, tmp) = tree();
    let bin = at(&m, "/bin").unwrap();
    let sh = at(&m, "/bin/sh").unwrap();
    root.rename(bin.ino, b"sh", bin.ino, b"ash").unwrap();
    let found = m.renamed_within(m.root(), b"/bin/sh", sh);
    assert_eq!(found.as_deref(), Some(&b"/bin/ash"[..]));
    // Relative to another start, through a link in the directory part.
    let etc = at(&m, "/etc").unwrap();
    let found = m.renamed_within(etc, b"../up/bin/sh", sh);
    assert_eq!(found.as_deref(), Some(&b"/bin/ash"[..]));
    // On a mounted file system.
    let x = at(&m, "/tmp/x").unwrap();
    let f = at(&m, "/tmp/x/f").unwrap();
    tmp.rename(x.ino, b"f", x.ino, b"g").unwrap();
    let found = m.renamed_within(m.root(), b"/tmp/x/f", f);
    assert_eq!(found.as_deref(), Some(&b"/tmp/x/g"[..]));
    // Moved to another directory: not in the one it was opened in.
    let etc_ino = etc.ino;
    root.rename(bin.ino, b"ash", etc_ino, b"sh").unwrap();
    assert_eq!(m.renamed_within(m.root(), b"/bin/sh", sh), None);
    // A directory that is gone.
    assert_eq!(m.renamed_within(m.root(), b"/nowhere/sh", sh), None);
}
