//! Shared helpers of the ext2 tests: the real e2fsprogs tools, a model of a
//! file tree, and a disk that records its writes (for crash tests).
#![allow(dead_code)]

use ext2::{BlockDevice, Fs, MemDisk, ROOT, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A fixed clock for the tests (November 2023).
pub const NOW: u32 = 1_700_000_000;

/// Finds an e2fsprogs tool; fails the test with the install command if the
/// tools are missing (they are never silently skipped).
pub fn tool(name: &str) -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/sbin", "/usr/sbin"].map(PathBuf::from));
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{name}` (e2fsprogs) is missing. Install it with `cargo run -- setup`, \
                 or: sudo apt-get update && sudo apt-get install -y e2fsprogs"
            )
        })
}

/// A path for a temporary image, unique to this process and call.
pub fn temp_path(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("kestrel-ext2-{}-{tag}-{n}.img", std::process::id()))
}

fn run(cmd: &mut Command) -> (i32, String) {
    let out = cmd
        .env("E2FSPROGS_SKIP_PROGRESS", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// Runs `e2fsck -fn` on an image: (clean, its output).
pub fn e2fsck(image: &[u8]) -> (bool, String) {
    let path = temp_path("fsck");
    std::fs::write(&path, image).unwrap();
    let (code, text) = run(Command::new(tool("e2fsck")).arg("-fn").arg(&path));
    std::fs::remove_file(&path).ok();
    (code == 0, text)
}

/// Fails unless `e2fsck -fn` finds nothing to fix.
pub fn assert_clean(image: &[u8], context: &str) {
    let (ok, text) = e2fsck(image);
    assert!(ok, "e2fsck -fn found problems ({context}):\n{text}");
}

/// Makes an image of `size` bytes with `mke2fs` and the given arguments.
pub fn mke2fs(args: &[&str], size: u64) -> Vec<u8> {
    let path = temp_path("mke2fs");
    std::fs::File::create(&path).unwrap().set_len(size).unwrap();
    let (code, text) = run(Command::new(tool("mke2fs"))
        .args(["-q", "-F"])
        .args(args)
        .arg(&path));
    let image = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(code, 0, "mke2fs {args:?} failed:\n{text}");
    image
}

/// Runs `debugfs -R request` (read-only) on an image; returns stdout.
pub fn debugfs(image: &[u8], request: &str) -> Vec<u8> {
    let path = temp_path("debugfs");
    std::fs::write(&path, image).unwrap();
    let out = Command::new(tool("debugfs"))
        .args(["-R", request])
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_file(&path).ok();
    assert!(out.status.success(), "debugfs -R {request:?} failed");
    out.stdout
}

/// Runs `debugfs -w -f script` on an image (writes with the real tool).
pub fn debugfs_write(image: &mut Vec<u8>, script: &str) -> String {
    let path = temp_path("debugfsw");
    let cmds = temp_path("cmds");
    std::fs::write(&path, &image).unwrap();
    std::fs::write(&cmds, script).unwrap();
    let (code, text) = run(Command::new(tool("debugfs"))
        .arg("-w")
        .arg("-f")
        .arg(&cmds)
        .arg(&path));
    *image = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).ok();
    std::fs::remove_file(&cmds).ok();
    assert_eq!(code, 0, "debugfs -w failed:\n{text}");
    text
}

/// A file tree: path -> node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Dir,
    File(Vec<u8>),
    Link(Vec<u8>),
}

pub type Tree = BTreeMap<String, Node>;

/// Reads the whole tree under the root (lost+found left out), checking that
/// each directory's `..` names its parent.
pub fn read_tree<D: BlockDevice>(fs: &mut Fs<D>) -> Tree {
    let mut tree = Tree::new();
    walk(fs, ROOT, ROOT, "", &mut tree);
    tree
}

fn walk<D: BlockDevice>(fs: &mut Fs<D>, dir: u32, parent: u32, path: &str, tree: &mut Tree) {
    let mut cursor = 0;
    while let Some((e, next)) = fs.readdir(dir, cursor).unwrap() {
        cursor = next;
        let name = String::from_utf8(e.name.clone()).unwrap();
        if name == "." {
            assert_eq!(e.ino, dir);
            continue;
        }
        if name == ".." {
            assert_eq!(e.ino, parent, "'..' of {path}");
            continue;
        }
        if path.is_empty() && name == "lost+found" {
            continue;
        }
        let full = format!("{path}/{name}");
        let st = fs.stat(e.ino).unwrap();
        match st.mode & S_IFMT {
            S_IFDIR => {
                tree.insert(full.clone(), Node::Dir);
                walk(fs, e.ino, dir, &full, tree);
            }
            S_IFREG => {
                let mut buf = vec![0; st.size as usize];
                assert_eq!(fs.read(e.ino, 0, &mut buf).unwrap(), buf.len());
                tree.insert(full, Node::File(buf));
            }
            S_IFLNK => {
                tree.insert(full, Node::Link(fs.readlink(e.ino).unwrap()));
            }
            other => panic!("unexpected type {other:o} at {full}"),
        }
    }
}

/// The inode of an absolute path ("" is the root).
pub fn resolve<D: BlockDevice>(fs: &mut Fs<D>, path: &str) -> ext2::Result<u32> {
    let mut ino = ROOT;
    for part in path.split('/').filter(|p| !p.is_empty()) {
        ino = fs.lookup(ino, part.as_bytes())?;
    }
    Ok(ino)
}

/// Our formatter on a memory disk.
pub fn own_image(size: usize, block_size: u32, journal_blocks: u32) -> MemDisk {
    let o = ext2::Options {
        block_size,
        journal_blocks,
        now: NOW,
        ..Default::default()
    };
    ext2::mkfs(MemDisk::new(size), &o).unwrap()
}

/// A disk that records every write, with the flush epoch it belongs to.
pub struct RecordingDisk {
    pub disk: MemDisk,
    /// (sector, data, epoch)
    pub writes: Vec<(u64, Vec<u8>, u32)>,
    pub epoch: u32,
}

impl RecordingDisk {
    pub fn new(disk: MemDisk) -> Self {
        RecordingDisk {
            disk,
            writes: Vec::new(),
            epoch: 0,
        }
    }
}

impl BlockDevice for RecordingDisk {
    fn sectors(&self) -> u64 {
        self.disk.sectors()
    }
    fn read(&mut self, sector: u64, buf: &mut [u8]) -> ext2::Result<()> {
        self.disk.read(sector, buf)
    }
    fn write(&mut self, sector: u64, data: &[u8]) -> ext2::Result<()> {
        // A request of many sectors may reach the platters in any order and
        // stop anywhere: each sector is its own write for the crash tests.
        for (k, part) in data.chunks(ext2::SECTOR).enumerate() {
            self.writes
                .push((sector + k as u64, part.to_vec(), self.epoch));
        }
        self.disk.write(sector, data)
    }
    fn flush(&mut self) -> ext2::Result<()> {
        self.epoch += 1;
        Ok(())
    }
}

/// Runs `e2fsck -fy` (which replays a journal and fixes what it finds) on a
/// copy of an image; returns the result and e2fsck's exit code.
pub fn e2fsck_fix(image: &[u8]) -> (Vec<u8>, i32, String) {
    let path = temp_path("fsck-fix");
    std::fs::write(&path, image).unwrap();
    let (code, text) = run(Command::new(tool("e2fsck")).arg("-fy").arg(&path));
    let fixed = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).ok();
    (fixed, code, text)
}

/// Shortens the journal's log to `maxlen` blocks (its superblock's
/// `s_maxlen`; e2fsck accepts a log shorter than the journal file), so
/// that a short workload fills it and the log starts over at its first
/// block.
pub fn shrink_journal(image: &mut [u8], block_size: usize, maxlen: u32) {
    let jsb: usize = String::from_utf8(debugfs(image, "bmap <8> 0"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let at = jsb * block_size + 0x10;
    image[at..at + 4].copy_from_slice(&maxlen.to_be_bytes());
}
