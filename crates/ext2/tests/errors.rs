//! The errno of each kind of bad request, and a full disk: ENOSPC for blocks
//! and for inodes, with nothing corrupted (e2fsck stays clean).

mod common;

use common::*;
use ext2::{Errno, Fs, MemDisk, ROOT};

fn fresh() -> Fs<MemDisk> {
    let mut fs = Fs::mount(own_image(4 << 20, 1024, 1024)).unwrap();
    fs.set_time(NOW);
    fs
}

fn errno<T: std::fmt::Debug>(r: ext2::Result<T>) -> Errno {
    r.unwrap_err().errno
}

#[test]
fn bad_requests_get_the_right_errno() {
    let mut fs = fresh();
    let f = fs.create(ROOT, b"file", 0o644).unwrap();
    let d = fs.mkdir(ROOT, b"dir", 0o755).unwrap();
    let long = vec![b'n'; 256];
    assert_eq!(errno(fs.create(ROOT, &long, 0o644)), Errno::ENAMETOOLONG);
    assert_eq!(errno(fs.lookup(ROOT, &long)), Errno::ENAMETOOLONG);
    fs.create(ROOT, &long[..255], 0o644).unwrap();
    assert_eq!(errno(fs.lookup(ROOT, b"missing")), Errno::ENOENT);
    assert_eq!(errno(fs.lookup(f, b"x")), Errno::ENOTDIR);
    assert_eq!(errno(fs.create(f, b"x", 0o644)), Errno::ENOTDIR);
    assert_eq!(errno(fs.create(ROOT, b"file", 0o644)), Errno::EEXIST);
    assert_eq!(errno(fs.mkdir(ROOT, b"dir", 0o755)), Errno::EEXIST);
    assert_eq!(errno(fs.mkdir(ROOT, b".", 0o755)), Errno::EEXIST);
    assert_eq!(errno(fs.write(d, 0, b"x")), Errno::EISDIR);
    assert_eq!(errno(fs.read(d, 0, &mut [0; 4])), Errno::EISDIR);
    assert_eq!(errno(fs.unlink(ROOT, b"dir")), Errno::EISDIR);
    assert_eq!(errno(fs.rmdir(ROOT, b"file")), Errno::ENOTDIR);
    assert_eq!(errno(fs.create(ROOT, b"a/b", 0o644)), Errno::EINVAL);
    assert_eq!(errno(fs.rename(ROOT, b"dir", d, b"inside")), Errno::EINVAL);
    assert_eq!(
        errno(fs.rename(ROOT, b"dir", ROOT, b"file")),
        Errno::ENOTDIR
    );
    assert_eq!(errno(fs.rename(ROOT, b"file", ROOT, b"dir")), Errno::EISDIR);
    assert_eq!(errno(fs.link(d, ROOT, b"dirlink")), Errno::EPERM);
    assert_eq!(errno(fs.readlink(f)), Errno::EINVAL);
    assert_eq!(errno(fs.write(f, u64::MAX - 2, b"abc")), Errno::EFBIG);
    // The failed requests changed nothing.
    let image = fs.unmount().unwrap();
    assert_clean(&image.bytes, "after failed requests");
}

#[test]
fn a_full_disk_gives_enospc_and_stays_consistent() {
    let mut fs = fresh();
    let before = fs.statfs().unwrap();
    let big = fs.create(ROOT, b"big", 0o644).unwrap();
    let chunk = vec![0xA5u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = fs.write(big, size, &chunk).unwrap_or(0);
        size += n as u64;
        if n < chunk.len() {
            break;
        }
    }
    assert!(size > 1 << 20, "only {size} bytes fit");
    assert_eq!(errno(fs.write(big, size, b"more")), Errno::ENOSPC);
    assert_eq!(fs.statfs().unwrap().free_blocks, 0);
    // Directories that need a block fail whole.
    let mut made = 0;
    let last = loop {
        match fs.mkdir(ROOT, format!("d{made}").as_bytes(), 0o755) {
            Ok(_) => made += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(last.errno, Errno::ENOSPC);
    fs.sync().unwrap();
    assert_clean(
        &fs.device().bytes.clone(),
        "disk full (mounted state synced)",
    );
    let mut back = vec![0; size as usize];
    assert_eq!(fs.read(big, 0, &mut back).unwrap(), back.len());
    assert!(back.iter().all(|&b| b == 0xA5));
    // Freeing gives the space back.
    fs.unlink(ROOT, b"big").unwrap();
    assert!(fs.statfs().unwrap().free_blocks > before.free_blocks / 2);
    let image = fs.unmount().unwrap();
    assert_clean(&image.bytes, "after the disk was full");
}

#[test]
fn running_out_of_inodes_gives_enospc() {
    let o = ext2::Options {
        inodes: 32,
        journal_blocks: 0,
        now: NOW,
        ..Default::default()
    };
    let mut fs = Fs::mount(ext2::mkfs(MemDisk::new(2 << 20), &o).unwrap()).unwrap();
    let free = fs.statfs().unwrap().free_inodes;
    for i in 0..free {
        fs.create(ROOT, format!("f{i}").as_bytes(), 0o644).unwrap();
    }
    assert_eq!(errno(fs.create(ROOT, b"one-more", 0o644)), Errno::ENOSPC);
    assert_eq!(errno(fs.mkdir(ROOT, b"dir", 0o755)), Errno::ENOSPC);
    assert_eq!(fs.statfs().unwrap().free_inodes, 0);
    let image = fs.unmount().unwrap();
    assert_clean(&image.bytes, "no inodes left");
}
