//! Our journal as the real tools see it: a transaction that was committed but
//! not yet written home is replayed by `e2fsck` exactly as by our mount; a
//! clean unmount leaves no `needs_recovery` behind.

mod common;

use common::*;
use ext2::{Fs, MemDisk, ROOT};

/// An image whose last transaction (writing `late`) reached the journal with
/// its commit block, but not its home locations; and the bytes of `late`.
fn committed_not_checkpointed(block_size: u32, size: usize) -> (Vec<u8>, Vec<u8>) {
    let mut fs = Fs::mount(RecordingDisk::new(own_image(size, block_size, 1024))).unwrap();
    fs.set_time(NOW);
    let d = fs.mkdir(ROOT, b"d", 0o755).unwrap();
    let early = fs.create(d, b"early", 0o644).unwrap();
    fs.write(early, 0, b"written before").unwrap();
    fs.sync().unwrap();
    let (base, epoch, mark) = (
        fs.device().disk.bytes.clone(),
        fs.device().epoch,
        fs.device().writes.len(),
    );
    // A block that starts with the journal magic must be escaped in the log.
    let mut late_data = vec![0xC0, 0x3B, 0x39, 0x98];
    late_data.extend((0..30_000u32).map(|i| (i * 7 % 256) as u8));
    let late = fs.create(d, b"late", 0o600).unwrap();
    fs.write(late, 0, &late_data).unwrap();
    fs.sync().unwrap();
    let disk = fs.into_device();
    let mut image = base;
    // Epoch `epoch` is the log, `epoch + 1` the commit block; later ones
    // (home locations, journal superblock) never happened.
    for (sector, data, e) in &disk.writes[mark..] {
        if *e <= epoch + 1 {
            let at = *sector as usize * 512;
            image[at..at + data.len()].copy_from_slice(data);
        }
    }
    (image, late_data)
}

#[test]
fn e2fsck_replays_our_journal_like_our_mount() {
    for (bs, size) in [(1024, 4 << 20), (4096, 16 << 20)] {
        let (image, late) = committed_not_checkpointed(bs, size);
        let features = String::from_utf8(debugfs(&image, "features")).unwrap();
        assert!(features.contains("needs_recovery"), "{features}");
        // Before replay the file does not exist at home.
        let listing = String::from_utf8(debugfs(&image, "ls /d")).unwrap();
        assert!(!listing.contains("late"), "bs {bs}: {listing}");
        // e2fsck replays the journal (exit 0 or 1: "fixed", the replay).
        let (fixed, code, text) = e2fsck_fix(&image);
        assert!(code <= 1, "bs {bs}: e2fsck -fy exit {code}:\n{text}");
        assert_clean(&fixed, "after e2fsck replayed our journal");
        assert_eq!(
            debugfs(&fixed, "cat /d/late"),
            late,
            "bs {bs}: e2fsck's replay"
        );
        // Our mount replays it the same way.
        let mut fs = Fs::mount(MemDisk::from_bytes(image)).unwrap();
        let ino = resolve(&mut fs, "/d/late").unwrap();
        let mut back = vec![0; late.len()];
        assert_eq!(fs.read(ino, 0, &mut back).unwrap(), late.len());
        assert_eq!(back, late, "bs {bs}: our replay");
        let ours = fs.unmount().unwrap().bytes;
        assert_clean(&ours, "after our replay");
        let features = String::from_utf8(debugfs(&ours, "features")).unwrap();
        assert!(!features.contains("needs_recovery"), "{features}");
    }
}

#[test]
fn a_transaction_without_its_commit_block_is_ignored() {
    let mut fs = Fs::mount(RecordingDisk::new(own_image(4 << 20, 1024, 1024))).unwrap();
    fs.sync().unwrap();
    let (base, epoch, mark) = (
        fs.device().disk.bytes.clone(),
        fs.device().epoch,
        fs.device().writes.len(),
    );
    fs.create(ROOT, b"never", 0o644).unwrap();
    fs.sync().unwrap();
    let disk = fs.into_device();
    let mut image = base;
    for (sector, data, e) in &disk.writes[mark..] {
        if *e == epoch {
            let at = *sector as usize * 512;
            image[at..at + data.len()].copy_from_slice(data);
        }
    }
    let mut fs = Fs::mount(MemDisk::from_bytes(image.clone())).unwrap();
    assert_eq!(
        fs.lookup(ROOT, b"never").unwrap_err().errno,
        ext2::Errno::ENOENT
    );
    assert_clean(
        &fs.unmount().unwrap().bytes,
        "uncommitted transaction ignored",
    );
    let (fixed, _, _) = e2fsck_fix(&image);
    let listing = String::from_utf8(debugfs(&fixed, "ls /")).unwrap();
    assert!(
        !listing.contains("never"),
        "e2fsck replayed an uncommitted transaction: {listing}"
    );
}
