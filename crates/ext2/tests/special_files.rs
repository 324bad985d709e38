//! Device files, fifos and sockets: inodes without blocks. A device keeps
//! its number in the block pointers (`i_block[0]` in the old 8+8-bit form,
//! `i_block[1]` in the new one), so freeing such an inode must not take
//! those numbers for blocks.

mod common;

use common::*;
use ext2::{Errno, Fs, MemDisk, ROOT, S_IFBLK, S_IFCHR, S_IFIFO, S_IFREG, S_IFSOCK, dev_t};

/// The old device encoding's block pointer for 1:3 (`/dev/null`) is 259: a
/// block in use on this disk (group 0's inode table), which an unlink that
/// freed "blocks" would free.
#[test]
fn unlinking_a_device_made_by_debugfs_frees_no_block() {
    let mut image = mke2fs(&["-t", "ext2", "-b", "1024", "-I", "128"], 4 << 20);
    debugfs_write(
        &mut image,
        "mknod null c 1 3\nmknod fifo p\nmknod big b 8 300\n",
    );
    let mut fs = Fs::mount(MemDisk::from_bytes(image)).unwrap();
    fs.set_time(NOW);
    for name in [&b"null"[..], b"fifo", b"big"] {
        fs.unlink(ROOT, name).unwrap();
    }
    let disk = fs.unmount().unwrap();
    assert_clean(&disk.bytes, "after unlinking special files");
}

#[test]
fn mknod_makes_what_debugfs_and_e2fsck_read() {
    let mut fs = Fs::mount(own_image(4 << 20, 1024, 1024)).unwrap();
    fs.set_time(NOW);
    let null = fs
        .mknod(ROOT, b"null", S_IFCHR | 0o666, dev_t(1, 3))
        .unwrap();
    let sda = fs
        .mknod(ROOT, b"big", S_IFBLK | 0o660, dev_t(259, 70_000))
        .unwrap();
    let fifo = fs.mknod(ROOT, b"fifo", S_IFIFO | 0o600, 0).unwrap();
    fs.mknod(ROOT, b"sock", S_IFSOCK | 0o755, 0).unwrap();
    assert_eq!(fs.stat(null).unwrap().rdev, dev_t(1, 3));
    assert_eq!(fs.stat(sda).unwrap().rdev, dev_t(259, 70_000));
    let st = fs.stat(fifo).unwrap();
    assert_eq!(
        (st.mode, st.size, st.blocks, st.rdev),
        (S_IFIFO | 0o600, 0, 0, 0)
    );
    assert_eq!(
        fs.mknod(ROOT, b"file", S_IFREG | 0o644, 0)
            .unwrap_err()
            .errno,
        Errno::EINVAL
    );
    assert_eq!(
        fs.mknod(ROOT, b"null", S_IFCHR | 0o666, 0)
            .unwrap_err()
            .errno,
        Errno::EEXIST
    );
    assert_eq!(
        fs.read(fifo, 0, &mut [0; 4]).unwrap_err().errno,
        Errno::EINVAL
    );
    let image = fs.unmount().unwrap().bytes;
    assert_clean(&image, "special files");
    let null = String::from_utf8(debugfs(&image, "stat /null")).unwrap();
    assert!(null.contains("Type: character special"), "{null}");
    assert!(null.contains("Device major/minor number: 01:03"), "{null}");
    let big = String::from_utf8(debugfs(&image, "stat /big")).unwrap();
    assert!(
        big.contains("(New-style) Device major/minor number: 259:70000"),
        "{big}"
    );
    // Removing them again leaves the disk clean.
    let mut fs = Fs::mount(MemDisk::from_bytes(image)).unwrap();
    for name in [&b"null"[..], b"big", b"fifo", b"sock"] {
        fs.unlink(ROOT, name).unwrap();
    }
    assert_clean(&fs.unmount().unwrap().bytes, "special files removed");
}

#[test]
fn device_numbers_round_trip_through_both_encodings() {
    let mut fs = Fs::mount(own_image(4 << 20, 1024, 1024)).unwrap();
    for (i, (major, minor)) in [
        (0, 0),
        (1, 3),
        (255, 255),
        (256, 0),
        (8, 300),
        (4095, 1 << 19),
    ]
    .into_iter()
    .enumerate()
    {
        let dev = dev_t(major, minor);
        let ino = fs
            .mknod(ROOT, format!("d{i}").as_bytes(), S_IFCHR | 0o600, dev)
            .unwrap();
        assert_eq!(fs.stat(ino).unwrap().rdev, dev, "{major}:{minor}");
    }
}
