//! New data blocks go straight home, outside the journal, and only where
//! that cannot hurt a crash: a block allocated in the running transaction
//! that was free when the last one committed. A block freed in the running
//! transaction (its old file's removal not committed yet) is journaled
//! instead, so a crash before the commit finds the old file whole.

mod common;

use common::*;
use ext2::{Errno, Fs, MemDisk, ROOT};

/// `len` bytes that name their file, to find them in the raw image.
fn pattern(tag: u8, len: u32) -> Vec<u8> {
    (0..len)
        .map(|i| {
            if i % 16 == 0 {
                tag
            } else {
                (i * 31 % 251) as u8
            }
        })
        .collect()
}

/// Where `data` starts in `image`, if it is there.
fn find(image: &[u8], data: &[u8]) -> Option<usize> {
    image.windows(data.len()).position(|w| w == data)
}

#[test]
fn a_new_file_is_written_once_not_twice() {
    let mut fs = Fs::mount(RecordingDisk::new(own_image(8 << 20, 1024, 1024))).unwrap();
    fs.set_time(NOW);
    let data: Vec<u8> = (0..16).flat_map(|k| pattern(k as u8, 64 * 1024)).collect();
    let f = fs.create(ROOT, b"big", 0o644).unwrap();
    let before = fs.device().writes.len();
    assert_eq!(fs.write(f, 0, &data).unwrap(), data.len());
    fs.sync().unwrap();
    let sectors = fs.device().writes.len() - before;
    let written = sectors * ext2::SECTOR;
    // Data journaled would be written twice (2 MiB); metadata is small.
    assert!(
        written < data.len() * 5 / 4,
        "{written} bytes written for {} of data",
        data.len()
    );
    let image = fs.unmount().unwrap().disk.bytes;
    assert_clean(&image, "after one large write");
    let mut fs = Fs::mount(MemDisk::from_bytes(image)).unwrap();
    let mut back = vec![0; data.len()];
    assert_eq!(fs.read(f, 0, &mut back).unwrap(), data.len());
    assert!(back == data, "the file reads back as written");
}

/// `old` (8 KiB, direct blocks only, so consecutive on the disk) written
/// and committed; then removed and `new` written without a commit. Returns
/// the file system, where `old`'s data lay, and the image a crash would
/// leave now.
fn remove_old_write_new(fs: &mut Fs<MemDisk>, old: &[u8], new: &[u8]) -> (usize, Vec<u8>) {
    let a = fs.create(ROOT, b"old", 0o644).unwrap();
    fs.write(a, 0, old).unwrap();
    fs.sync().unwrap();
    let old_at = find(&fs.device().bytes, old).expect("old's data on the disk");
    fs.unlink(ROOT, b"old").unwrap();
    let b = fs.create(ROOT, b"new", 0o644).unwrap();
    assert_eq!(fs.write(b, 0, new).unwrap(), new.len());
    (old_at, fs.device().bytes.clone())
}

/// After a crash, `old` is there whole and `new` is not.
fn assert_old_survives(crashed: Vec<u8>, old: &[u8]) {
    let mut fs = Fs::mount(MemDisk::from_bytes(crashed)).unwrap();
    let ino = fs.lookup(ROOT, b"old").unwrap();
    let mut back = vec![0; old.len()];
    assert_eq!(fs.read(ino, 0, &mut back).unwrap(), old.len());
    assert!(back == old, "old's data survived the crash");
    assert_eq!(fs.lookup(ROOT, b"new").unwrap_err().errno, Errno::ENOENT);
}

fn fresh_fs() -> Fs<MemDisk> {
    let mut fs = Fs::mount(MemDisk::from_bytes(own_image(8 << 20, 1024, 1024).bytes)).unwrap();
    fs.set_time(NOW);
    fs
}

#[test]
fn blocks_freed_in_the_running_transaction_are_left_alone() {
    let mut fs = fresh_fs();
    let (old, new) = (pattern(0xA1, 8192), pattern(0xB2, 8192));
    let (old_at, crashed) = remove_old_write_new(&mut fs, &old, &new);
    // `new` went straight home, elsewhere.
    let new_at = find(&crashed, &new).expect("new's data went straight home");
    assert_ne!(new_at, old_at);
    assert_old_survives(crashed, &old);
}

#[test]
fn on_a_full_disk_freed_blocks_are_reused_through_the_journal() {
    let mut fs = fresh_fs();
    let (old, new) = (pattern(0xA1, 8192), pattern(0xB2, 8192));
    let filler = fs.create(ROOT, b"filler", 0o644).unwrap();
    let chunk = vec![0x5a; 64 * 1024];
    let mut at = 0;
    // Leave room for `old` and nothing more.
    while fs.statfs().unwrap().free_blocks > 8 + 64 {
        at += fs.write(filler, at, &chunk).unwrap() as u64;
    }
    while fs.statfs().unwrap().free_blocks > 8 {
        at += fs.write(filler, at, &chunk[..1024]).unwrap() as u64;
    }
    let (old_at, crashed) = remove_old_write_new(&mut fs, &old, &new);
    // The only free blocks were old's: `new` has them, in the journal only.
    assert_eq!(find(&crashed, &new), None);
    assert_old_survives(crashed, &old);
    fs.sync().unwrap();
    let home = &fs.device().bytes[old_at..old_at + new.len()];
    assert!(home == new, "new's data is home where old's was");
}

/// The disk blocks of `path` in an image, as `debugfs` lists them.
fn blocks_of(image: &[u8], path: &str) -> Vec<u32> {
    String::from_utf8(debugfs(image, &format!("blocks {path}")))
        .unwrap()
        .split_whitespace()
        .map(|w| w.parse().unwrap())
        .collect()
}

/// The log keeps every committed transaction since its start, and a mount
/// after a crash writes all of them home again. A directory block logged
/// by one of them, freed by a later one and then taken for a new file's
/// data must therefore be journaled, not written straight home: the replay
/// would put the directory block back over the synced data.
#[test]
fn a_block_the_log_still_holds_is_journaled_when_reused_for_data() {
    let mut fs = fresh_fs();
    let d = fs.mkdir(ROOT, b"d", 0o755).unwrap();
    fs.create(d, b"an entry", 0o644).unwrap();
    fs.sync().unwrap();
    let dir_block = blocks_of(&fs.device().bytes, "/d");
    assert_eq!(dir_block.len(), 1);
    fs.unlink(d, b"an entry").unwrap();
    fs.rmdir(ROOT, b"d").unwrap();
    fs.sync().unwrap();
    let data = pattern(0xC3, 4096);
    let f = fs.create(ROOT, b"f", 0o644).unwrap();
    assert_eq!(fs.write(f, 0, &data).unwrap(), data.len());
    fs.sync().unwrap();
    // The power goes now: all three transactions are in the log.
    let mut fs = Fs::mount(fs.into_device()).unwrap();
    assert_eq!(fs.replayed(), 3);
    let f = fs.lookup(ROOT, b"f").unwrap();
    let mut back = vec![0; data.len()];
    assert_eq!(fs.read(f, 0, &mut back).unwrap(), data.len());
    assert!(back == data, "the synced file lost its data to the replay");
    let image = fs.unmount().unwrap().bytes;
    assert!(
        blocks_of(&image, "/f").contains(&dir_block[0]),
        "the file reused the directory's block"
    );
    assert_clean(&image, "after the replay");
}
