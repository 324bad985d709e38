//! The crate against the real e2fsprogs: `mke2fs` disks that we mount and
//! change, our own `mkfs`, and `e2fsck -fn` / `debugfs` on the results.

mod common;

use common::*;
use ext2::{Errno, Fs, MemDisk, ROOT, S_IFDIR, S_IFLNK};

/// Bytes that differ from block to block (so misplaced blocks show).
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i / 7) as u8 ^ seed.wrapping_mul(31) ^ (i % 251) as u8)
        .collect()
}

/// A workload touching every kind of operation; returns what the tree must be.
fn workload(fs: &mut Fs<MemDisk>) -> Tree {
    fs.set_time(NOW);
    let docs = fs.mkdir(ROOT, b"docs", 0o755).unwrap();
    let deep = fs.mkdir(docs, b"deep", 0o700).unwrap();
    let small = fs.create(docs, b"small.txt", 0o644).unwrap();
    fs.write(small, 0, b"hello, ext2\n").unwrap();
    // Past the direct blocks, and (for 1 KiB blocks) past the single indirect.
    let big = fs.create(deep, b"big.bin", 0o644).unwrap();
    let big_data = pattern(300 * 1024 + 123, 1);
    assert_eq!(fs.write(big, 0, &big_data).unwrap(), big_data.len());
    // A sparse file: a hole, then data far out (double indirect with 1 KiB).
    let sparse = fs.create(ROOT, b"sparse", 0o600).unwrap();
    fs.write(sparse, 5 * 1024 * 1024, b"far away").unwrap();
    let mut sparse_data = vec![0; 5 * 1024 * 1024];
    sparse_data.extend_from_slice(b"far away");
    // Rename across directories, a hard link, an unlink.
    fs.rename(docs, b"small.txt", ROOT, b"moved.txt").unwrap();
    let tmp = fs.create(ROOT, b"tmp", 0o644).unwrap();
    fs.write(tmp, 0, &pattern(40_000, 2)).unwrap();
    fs.link(tmp, deep, b"tmp-link").unwrap();
    fs.unlink(ROOT, b"tmp").unwrap();
    // Truncate down to an odd size, and a directory move (fixes its '..').
    fs.truncate(tmp, 1001).unwrap();
    let sub = fs.mkdir(deep, b"sub", 0o755).unwrap();
    fs.rename(deep, b"sub", ROOT, b"sub").unwrap();
    let keep = fs.create(sub, b"keep", 0o644).unwrap();
    fs.write(keep, 0, b"kept").unwrap();
    let gone = fs.mkdir(ROOT, b"gone", 0o755).unwrap();
    fs.mkdir(gone, b"child", 0o755).unwrap();
    assert_eq!(fs.rmdir(ROOT, b"gone").unwrap_err().errno, Errno::ENOTEMPTY);
    fs.rmdir(gone, b"child").unwrap();
    fs.rmdir(ROOT, b"gone").unwrap();
    // Symlinks: fast (in the inode) and slow (in a block).
    fs.symlink(ROOT, b"fast", b"docs/deep").unwrap();
    let long_target = vec![b'x'; 100];
    fs.symlink(ROOT, b"slow", &long_target).unwrap();
    fs.chmod(keep, 0o600).unwrap();
    fs.sync().unwrap();

    let mut t = Tree::new();
    t.insert("/docs".into(), Node::Dir);
    t.insert("/docs/deep".into(), Node::Dir);
    t.insert("/docs/deep/big.bin".into(), Node::File(big_data));
    t.insert(
        "/docs/deep/tmp-link".into(),
        Node::File(pattern(40_000, 2)[..1001].to_vec()),
    );
    t.insert("/moved.txt".into(), Node::File(b"hello, ext2\n".to_vec()));
    t.insert("/sparse".into(), Node::File(sparse_data));
    t.insert("/sub".into(), Node::Dir);
    t.insert("/sub/keep".into(), Node::File(b"kept".to_vec()));
    t.insert("/fast".into(), Node::Link(b"docs/deep".to_vec()));
    t.insert("/slow".into(), Node::Link(long_target));
    t
}

/// Mounts, runs the workload, checks the tree, unmounts; then e2fsck, a
/// second mount, and debugfs reading a file.
fn exercise(image: Vec<u8>, context: &str) {
    let mut fs = Fs::mount(MemDisk::from_bytes(image)).unwrap();
    let want = workload(&mut fs);
    assert_eq!(read_tree(&mut fs), want, "{context}");
    let image = fs.unmount().unwrap().bytes;
    assert_clean(&image, context);
    let mut fs = Fs::mount(MemDisk::from_bytes(image.clone())).unwrap();
    assert_eq!(read_tree(&mut fs), want, "{context}: after remount");
    let keep = resolve(&mut fs, "/sub/keep").unwrap();
    assert_eq!(fs.stat(keep).unwrap().mode, ext2::S_IFREG | 0o600);
    let Some(Node::File(big)) = want.get("/docs/deep/big.bin") else {
        unreachable!()
    };
    assert_eq!(
        &debugfs(&image, "cat /docs/deep/big.bin"),
        big,
        "{context}: debugfs cat"
    );
    assert_eq!(debugfs(&image, "cat /moved.txt"), b"hello, ext2\n");
    let listing = String::from_utf8(debugfs(&image, "ls -l /sub")).unwrap();
    assert!(listing.contains("keep"), "{listing}");
}

#[test]
fn mke2fs_disks_are_mounted_changed_and_stay_clean() {
    for (kind, bs) in [
        ("ext2", "1024"),
        ("ext3", "1024"),
        ("ext2", "4096"),
        ("ext3", "4096"),
    ] {
        let image = mke2fs(&["-t", kind, "-b", bs], 16 << 20);
        exercise(image, &format!("mke2fs -t {kind} -b {bs}"));
    }
    // Larger inodes, and an ext3 made with -j.
    exercise(
        mke2fs(&["-t", "ext2", "-I", "256"], 16 << 20),
        "mke2fs -I 256",
    );
    exercise(mke2fs(&["-j", "-b", "2048"], 16 << 20), "mke2fs -j -b 2048");
}

#[test]
fn our_mkfs_passes_e2fsck_and_takes_the_workload() {
    for (bs, journal, size) in [
        (1024, 0, 16 << 20),
        (1024, 1024, 16 << 20),
        (4096, 1024, 16 << 20),
        (2048, 0, 12 << 20),
    ] {
        let context = format!("mkfs bs {bs} journal {journal}");
        let image = own_image(size, bs, journal).bytes;
        assert_clean(&image, &context);
        let features = String::from_utf8(debugfs(&image, "features")).unwrap();
        assert_eq!(features.contains("has_journal"), journal != 0, "{features}");
        exercise(image, &context);
    }
    let o = ext2::Options {
        inode_size: 256,
        now: NOW,
        ..Default::default()
    };
    let image = ext2::mkfs(MemDisk::new(8 << 20), &o).unwrap().bytes;
    assert_clean(&image, "mkfs -I 256");
}

#[test]
fn files_written_by_debugfs_are_read_back() {
    let mut image = mke2fs(&["-t", "ext3", "-b", "1024"], 16 << 20);
    let host = temp_path("host");
    let data = pattern(200_000, 9);
    std::fs::write(&host, &data).unwrap();
    debugfs_write(
        &mut image,
        &format!(
            "mkdir d\nwrite {} d/f\nsymlink d/l /some/where\n",
            host.display()
        ),
    );
    std::fs::remove_file(&host).ok();
    let mut fs = Fs::mount(MemDisk::from_bytes(image)).unwrap();
    let d = fs.lookup(ROOT, b"d").unwrap();
    assert_eq!(fs.stat(d).unwrap().mode & ext2::S_IFMT, S_IFDIR);
    let f = fs.lookup(d, b"f").unwrap();
    let mut back = vec![0; data.len()];
    assert_eq!(fs.read(f, 0, &mut back).unwrap(), data.len());
    assert_eq!(back, data);
    let l = fs.lookup(d, b"l").unwrap();
    assert_eq!(fs.kind(l).unwrap(), S_IFLNK);
    assert_eq!(fs.readlink(l).unwrap(), b"/some/where");
}

/// The checker itself notices damage (so a clean result means something).
#[test]
fn e2fsck_notices_a_wrong_free_count() {
    let mut image = own_image(8 << 20, 1024, 0).bytes;
    assert_clean(&image, "fresh");
    image[1024 + 0x0C] ^= 0x10; // the superblock's free block count
    image[2048 + 0x0C] ^= 0x01; // group 0's free block count
    assert!(
        !e2fsck(&image).0,
        "e2fsck accepted a wrong free block count"
    );
}

/// What the runner does: format, put files by path, unmount; the real tools
/// see the files.
#[test]
fn an_image_built_by_path_is_read_by_debugfs() {
    let mut fs = Fs::mount(own_image(8 << 20, 4096, 1024)).unwrap();
    let hello = pattern(70_000, 5);
    fs.put_file(b"/bin/hello", &hello, 0o755).unwrap();
    fs.put_file(b"/etc/motd", b"first", 0o644).unwrap();
    fs.put_file(b"/etc/motd", b"welcome to Kestrel\n", 0o644)
        .unwrap();
    assert_eq!(
        fs.put_file(b"/etc/motd/x", b"", 0o644).unwrap_err().errno,
        Errno::ENOTDIR
    );
    let image = fs.unmount().unwrap().bytes;
    assert_clean(&image, "populated image");
    assert_eq!(debugfs(&image, "cat /bin/hello"), hello);
    assert_eq!(debugfs(&image, "cat /etc/motd"), b"welcome to Kestrel\n");
    let stat = String::from_utf8(debugfs(&image, "stat /bin/hello")).unwrap();
    assert!(stat.contains("Mode:  0755"), "{stat}");
}

/// Files with an extended-attribute block (set by debugfs) are read and
/// removed cleanly: the block goes with the inode.
#[test]
fn attribute_blocks_go_with_their_inode() {
    let mut image = mke2fs(&["-t", "ext2", "-b", "1024", "-I", "128"], 8 << 20);
    let host = temp_path("xattr-host");
    std::fs::write(&host, b"data").unwrap();
    debugfs_write(
        &mut image,
        &format!(
            "write {} f\nea_set f user.one 1\nsymlink l /short\nea_set l user.two 2\n\
             write {} g\nea_set g user.one 1\n",
            host.display(),
            host.display()
        ),
    );
    std::fs::remove_file(&host).ok();
    let mut fs = Fs::mount(MemDisk::from_bytes(image)).unwrap();
    let l = fs.lookup(ROOT, b"l").unwrap();
    assert_eq!(fs.readlink(l).unwrap(), b"/short");
    fs.unlink(ROOT, b"f").unwrap();
    fs.unlink(ROOT, b"l").unwrap();
    fs.unlink(ROOT, b"g").unwrap();
    assert_clean(
        &fs.unmount().unwrap().bytes,
        "after unlinking files with attributes",
    );
}
