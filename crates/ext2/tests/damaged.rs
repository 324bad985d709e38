//! Damaged disks: random bytes in each structure (a fuzz loop with a fixed
//! seed), directory loops, block numbers out of range. Mounting refuses with
//! a reason, or operations fail with EIO/EUCLEAN; nothing panics or hangs.

mod common;

use common::*;
use ext2::{Errno, Fs, MemDisk, ROOT};
use xorshift::XorShift64;

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// A small populated ext3 image (1 KiB blocks) and, separately, the same with
/// a committed transaction still waiting in the journal (a crash after the
/// commit block).
fn images() -> (Vec<u8>, Vec<u8>) {
    let mut fs = Fs::mount(RecordingDisk::new(own_image(2 << 20, 1024, 1024))).unwrap();
    fs.set_time(NOW);
    let d = fs.mkdir(ROOT, b"dir", 0o755).unwrap();
    for i in 0..20 {
        let f = fs.create(d, format!("file{i}").as_bytes(), 0o644).unwrap();
        fs.write(f, 0, &vec![i as u8; 300 * i]).unwrap();
    }
    let big = fs.create(ROOT, b"big", 0o644).unwrap();
    fs.write(big, 0, &vec![7; 20_000]).unwrap();
    fs.symlink(ROOT, b"link", b"dir/file3").unwrap();
    // Unmounted: a synced disk still in use would have its transactions
    // in the log, and their replay would repair the damage.
    let clean = fs.unmount().unwrap().disk.bytes;
    let mut fs = Fs::mount(RecordingDisk::new(MemDisk::from_bytes(clean.clone()))).unwrap();
    fs.set_time(NOW);
    let d = fs.lookup(ROOT, b"dir").unwrap();
    let (epoch, mark) = (fs.device().epoch, 0);
    fs.mkdir(d, b"late", 0o755).unwrap();
    fs.sync().unwrap();
    let disk = fs.into_device();
    let mut pending = clean.clone();
    for (sector, data, e) in &disk.writes[mark..] {
        if *e <= epoch + 1 {
            let at = *sector as usize * 512;
            pending[at..at + data.len()].copy_from_slice(data);
        }
    }
    (clean, pending)
}

/// The byte ranges worth damaging: superblock, descriptors, bitmaps, the
/// start of the inode table, the root directory's block, the journal.
fn regions(image: &[u8]) -> Vec<(&'static str, std::ops::Range<usize>)> {
    let gd = 2048;
    let block = |b: u32| b as usize * 1024..b as usize * 1024 + 1024;
    let itable = le32(image, gd + 8) as usize * 1024;
    let mut fs = Fs::mount(MemDisk::from_bytes(image.to_vec())).unwrap();
    let root = fs.read_inode(ROOT).unwrap().block(0);
    let journal = fs.read_inode(8).unwrap().block(0);
    vec![
        ("superblock", 1024..2048),
        ("group descriptors", block(2)),
        ("block bitmap", block(le32(image, gd))),
        ("inode bitmap", block(le32(image, gd + 4))),
        ("inode table", itable..itable + 8 * 1024),
        ("root directory", block(root)),
        (
            "journal",
            journal as usize * 1024..(journal as usize + 4) * 1024,
        ),
    ]
}

/// Everything a kernel might do with a mounted disk, results ignored.
/// Returns whether some operation reported damage.
fn poke(mut fs: Fs<MemDisk>) -> bool {
    let mut damage = false;
    let mut note = |r: ext2::Result<()>| {
        if let Err(e) = r {
            damage |= matches!(e.errno, Errno::EUCLEAN | Errno::EIO);
        }
    };
    // A bounded walk: a damaged tree may hold loops.
    let mut stack = vec![(ROOT, 0)];
    let mut seen = 0;
    while let Some((dir, depth)) = stack.pop() {
        let mut cursor = 0;
        loop {
            seen += 1;
            if seen > 500 {
                break;
            }
            match fs.readdir(dir, cursor) {
                Ok(Some((e, next))) => {
                    cursor = next;
                    if e.name == b"." || e.name == b".." {
                        continue;
                    }
                    match fs.stat(e.ino) {
                        Ok(st) if st.mode & ext2::S_IFMT == ext2::S_IFDIR && depth < 6 => {
                            stack.push((e.ino, depth + 1))
                        }
                        Ok(st) if st.mode & ext2::S_IFMT == ext2::S_IFREG => {
                            let mut buf = vec![0; 4096];
                            note(fs.read(e.ino, 0, &mut buf).map(|_| ()));
                            note(fs.write(e.ino, 100, b"poke").map(|_| ()));
                            note(fs.truncate(e.ino, 10));
                        }
                        Ok(_) => note(fs.readlink(e.ino).map(|_| ())),
                        Err(e) => note(Err(e)),
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    note(Err(e));
                    break;
                }
            }
        }
    }
    note(fs.create(ROOT, b"new", 0o644).map(|_| ()));
    note(fs.mkdir(ROOT, b"newdir", 0o755).map(|_| ()));
    note(fs.rename(ROOT, b"dir", ROOT, b"newdir"));
    note(fs.unlink(ROOT, b"big"));
    note(fs.rmdir(ROOT, b"newdir"));
    note(fs.statfs().map(|_| ()));
    note(fs.sync());
    note(fs.unmount().map(|_| ()));
    damage
}

#[test]
fn random_bytes_in_every_structure_never_panic() {
    let (clean, pending) = images();
    let mut rng = XorShift64(0x5eed);
    let (mut refused, mut noticed, mut runs) = (0, 0, 0);
    for base in [&clean, &pending] {
        for (what, range) in regions(base) {
            for _ in 0..60 {
                let mut image = base.clone();
                for _ in 0..1 + rng.below(8) {
                    let at = range.start + rng.below(range.len());
                    image[at] = rng.next() as u8;
                }
                runs += 1;
                match Fs::mount(MemDisk::from_bytes(image)) {
                    Err(e) => {
                        assert!(!e.what.is_empty(), "{what}");
                        refused += 1;
                    }
                    Ok(fs) => noticed += usize::from(poke(fs)),
                }
            }
        }
    }
    // The damage was noticed, by mount or by the operations.
    assert!(
        refused > 20 && noticed > 20,
        "runs {runs}: {refused} refused, {noticed} noticed"
    );
}

#[test]
fn a_bad_superblock_is_refused_with_a_reason() {
    let (mut image, _) = images();
    image[1024 + 0x38] = 0;
    let err = Fs::mount(MemDisk::from_bytes(image.clone()))
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.errno, Errno::EUCLEAN);
    assert!(err.what.contains("magic"), "{err}");
    image[1024 + 0x38] = 0x53;
    image[1024 + 0x28..1024 + 0x2C].copy_from_slice(&0u32.to_le_bytes()); // inodes per group
    assert!(Fs::mount(MemDisk::from_bytes(image)).is_err());
    // A disk smaller than its file system.
    let (image, _) = images();
    let err = Fs::mount(MemDisk::from_bytes(image[..1 << 20].to_vec()))
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.errno, Errno::EIO);
}

/// Where inode `ino` of group 0 is in a 1 KiB-block, 128-byte-inode image.
fn inode_at(image: &[u8], ino: u32) -> usize {
    le32(image, 2048 + 8) as usize * 1024 + (ino as usize - 1) * 128
}

#[test]
fn directory_loops_and_wild_pointers_give_euclean() {
    let (image, _) = images();
    let mut fs = Fs::mount(MemDisk::from_bytes(image)).unwrap();
    let a = fs.mkdir(ROOT, b"a", 0o755).unwrap();
    let b = fs.mkdir(a, b"b", 0o755).unwrap();
    let c = fs.mkdir(ROOT, b"c", 0o755).unwrap();
    let big = fs.lookup(ROOT, b"big").unwrap();
    let b_block = fs.read_inode(b).unwrap().block(0) as usize;
    let big_indirect = fs.read_inode(big).unwrap().block(12) as usize;
    let mut disk = fs.unmount().unwrap();
    // b's '..' (at byte 12 of its block) points at b itself: a loop.
    disk.bytes[b_block * 1024 + 12..][..4].copy_from_slice(&b.to_le_bytes());
    // big's first block pointer lies far beyond the disk, and so does the
    // first pointer of its indirect block.
    let at = inode_at(&disk.bytes, big) + 0x28;
    disk.bytes[at..at + 4].copy_from_slice(&0x00FF_FFFFu32.to_le_bytes());
    disk.bytes[big_indirect * 1024..][..4].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let mut fs = Fs::mount(disk).unwrap();
    // Moving c below b walks up from b: the loop is found, nothing changes.
    let err = fs.rename(ROOT, b"c", b, b"c").unwrap_err();
    assert_eq!(err.errno, Errno::EUCLEAN, "{err}");
    assert_eq!(fs.lookup(ROOT, b"c").unwrap(), c);
    let mut buf = vec![0; 1024];
    assert_eq!(fs.read(big, 0, &mut buf).unwrap_err().errno, Errno::EUCLEAN);
    assert_eq!(
        fs.read(big, 12 * 1024, &mut buf).unwrap_err().errno,
        Errno::EUCLEAN
    );
    assert_eq!(fs.unlink(ROOT, b"big").unwrap_err().errno, Errno::EUCLEAN);
    assert_eq!(
        fs.lookup(ROOT, b"big").unwrap(),
        big,
        "the failed unlink changed nothing"
    );
    // A directory entry with a zero length cannot make a lookup spin.
    let root_block = fs.read_inode(ROOT).unwrap().block(0) as usize;
    let mut disk = fs.unmount().unwrap();
    disk.bytes[root_block * 1024 + 12 + 4..][..2].copy_from_slice(&0u16.to_le_bytes());
    let mut fs = Fs::mount(disk).unwrap();
    assert_eq!(fs.lookup(ROOT, b"zzz").unwrap_err().errno, Errno::EUCLEAN);
    // An entry naming an inode beyond the inode count.
    let mut disk = fs.into_device();
    disk.bytes[root_block * 1024 + 12 + 4..][..2].copy_from_slice(&12u16.to_le_bytes());
    disk.bytes[root_block * 1024 + 12..][..4].copy_from_slice(&u32::MAX.to_le_bytes());
    let mut fs = Fs::mount(disk).unwrap();
    assert_eq!(fs.lookup(ROOT, b"a").unwrap_err().errno, Errno::EUCLEAN);
}

/// Random values in the superblock's numeric fields, many times over.
#[test]
fn superblock_fields_with_random_values_are_refused_or_harmless() {
    let o = ext2::Options {
        journal_blocks: 0,
        now: NOW,
        ..Default::default()
    };
    let base = ext2::mkfs(MemDisk::new(256 << 10), &o).unwrap().bytes;
    let mut rng = XorShift64(0xb10c);
    let mut refused = 0;
    for _ in 0..3000 {
        let mut image = base.clone();
        for _ in 0..1 + rng.below(3) {
            let field = 1024 + 4 * rng.below(0x68 / 4);
            let value = match rng.below(4) {
                0 => 0,
                1 => u32::MAX,
                2 => rng.below(70_000) as u32,
                _ => rng.next() as u32,
            };
            image[field..field + 4].copy_from_slice(&value.to_le_bytes());
        }
        match Fs::mount(MemDisk::from_bytes(image)) {
            Err(_) => refused += 1,
            Ok(fs) => {
                poke(fs);
            }
        }
    }
    assert!(refused > 1000, "only {refused} refused");
}
