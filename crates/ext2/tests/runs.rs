//! Consecutive blocks go to and from the disk as runs: a commit writes its
//! log and its home blocks in few requests, and a large read of a file
//! whose blocks are consecutive reads them in few requests, while still
//! seeing the blocks the running transaction changed and reading holes as
//! zeros. And a commit costs two flushes (each one a host `fdatasync`
//! under QEMU), four when the log starts over.

mod common;

use common::{NOW, own_image};
use ext2::{BlockDevice, Fs, MemDisk, ROOT};

/// A disk that counts its requests, and the bytes of its multi-block reads.
struct Counting {
    disk: MemDisk,
    reads: usize,
    run_bytes: usize,
    writes: usize,
    flushes: usize,
}

impl BlockDevice for Counting {
    fn sectors(&self) -> u64 {
        self.disk.sectors()
    }
    fn read(&mut self, sector: u64, buf: &mut [u8]) -> ext2::Result<()> {
        self.reads += 1;
        if buf.len() > 1024 {
            self.run_bytes += buf.len();
        }
        self.disk.read(sector, buf)
    }
    fn write(&mut self, sector: u64, data: &[u8]) -> ext2::Result<()> {
        self.writes += 1;
        self.disk.write(sector, data)
    }
    fn flush(&mut self) -> ext2::Result<()> {
        self.flushes += 1;
        Ok(())
    }
}

/// A fresh image of `bytes` bytes (1 KiB blocks), mounted over a counting
/// disk whose counts started at zero before the mount.
fn mounted(bytes: usize) -> Fs<Counting> {
    let disk = Counting {
        disk: own_image(bytes, 1024, 2048),
        reads: 0,
        run_bytes: 0,
        writes: 0,
        flushes: 0,
    };
    let mut fs = Fs::mount(disk).unwrap();
    fs.set_time(NOW);
    fs
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i / 1000) as u8 ^ seed).collect()
}

#[test]
fn a_commit_and_a_large_read_take_few_requests() {
    let mut fs = mounted(8 << 20);
    let ino = fs.create(ROOT, b"big", 0o644).unwrap();
    let data = pattern(256 * 1024, 0);
    assert_eq!(fs.write(ino, 0, &data).unwrap(), data.len());
    let before = fs.device().writes;
    fs.sync().unwrap();
    let commit = fs.device().writes - before;
    // 256 data blocks and a few metadata blocks, logged and written home:
    // one block per request would be over 500.
    assert!(commit < 40, "the commit took {commit} write requests");

    // Change two blocks in the running transaction and leave a hole at the
    // end: the read must see both and zeros.
    let changed = pattern(1024, 0x55);
    fs.write(ino, 10 * 1024, &changed).unwrap();
    fs.write(ino, 100 * 1024 + 7, &changed).unwrap();
    fs.truncate(ino, 300 * 1024).unwrap();
    let mut expected = data.clone();
    expected[10 * 1024..11 * 1024].copy_from_slice(&changed);
    expected[100 * 1024 + 7..101 * 1024 + 7].copy_from_slice(&changed);
    expected.resize(300 * 1024, 0);
    let (reads, run_bytes) = (fs.device().reads, fs.device().run_bytes);
    let mut back = vec![0xffu8; 300 * 1024];
    assert_eq!(fs.read(ino, 0, &mut back).unwrap(), back.len());
    assert!(back == expected, "the read differs from what was written");
    // Nearly every data block comes in a run: not the three changed ones,
    // nor one alone between a changed block and the indirect block. The
    // other requests are the block map's (cached in the kernel).
    let run_bytes = fs.device().run_bytes - run_bytes;
    assert!(run_bytes >= 250 * 1024, "{run_bytes} bytes read in runs");
    let reads = fs.device().reads - reads;
    assert!(reads < 300, "the read took {reads} requests");
    // An unaligned read gives the same bytes.
    let mut part = vec![0u8; 5000];
    fs.read(ino, 9 * 1024 + 3, &mut part).unwrap();
    assert_eq!(part, expected[9 * 1024 + 3..9 * 1024 + 5003]);
}

/// A file written from start to end lies in long runs, pointer blocks
/// included: also right after a file of the same size was removed in the
/// same transaction (its blocks are free but may not be reused yet), so
/// each 64 KiB write is one device request of new data.
#[test]
fn a_file_written_in_order_is_contiguous_also_after_a_removal() {
    let mut fs = mounted(16 << 20);
    let chunk = pattern(64 * 1024, 3);
    let chunks = 48; // 3 MiB: direct, indirect and double indirect blocks
    for round in 0..2 {
        let ino = fs.create(ROOT, b"seq", 0o644).unwrap();
        let before = fs.device().writes;
        for k in 0..chunks {
            let at = (k * chunk.len()) as u64;
            assert_eq!(fs.write(ino, at, &chunk).unwrap(), chunk.len());
        }
        let requests = fs.device().writes - before;
        // One request per write, and one more where a pointer block splits
        // a run (every 256 blocks here).
        assert!(
            requests <= chunks + chunks / 4 + 2,
            "round {round}: {requests} requests for {chunks} writes"
        );
        let mut back = vec![0; chunk.len()];
        for k in [0, chunks / 2, chunks - 1] {
            fs.read(ino, (k * chunk.len()) as u64, &mut back).unwrap();
            assert_eq!(back, chunk, "round {round}, chunk {k}");
        }
        fs.unlink(ROOT, b"seq").unwrap();
    }
}

/// The `small_files` benchmark's loop (create, write 4 KiB, fsync) on a
/// mounted file system: each fsync is one commit of two flushes (the log
/// with the new data, then the commit block); the checkpoint waits for
/// the next commit's first flush. Where the log is full and starts over,
/// that commit costs four (every checkpoint made durable, the journal
/// superblock, then the two).
#[test]
fn a_small_file_fsync_costs_two_flushes() {
    let mut fs = mounted(8 << 20);
    let data = pattern(4096, 9);
    let mut costs = Vec::new();
    for i in 0..400 {
        let before = fs.device().flushes;
        let ino = fs
            .create(ROOT, format!("small-{i}").as_bytes(), 0o644)
            .unwrap();
        assert_eq!(fs.write(ino, 0, &data).unwrap(), data.len());
        fs.sync().unwrap();
        costs.push(fs.device().flushes - before);
    }
    let restarts = costs.iter().filter(|&&c| c == 4).count();
    let steady = costs.iter().filter(|&&c| c == 2).count();
    println!(
        "{} fsyncs: {steady} of 2 flushes, {restarts} of 4 (the log starting over)",
        costs.len()
    );
    assert_eq!(
        steady + restarts,
        costs.len(),
        "flushes per fsync: {costs:?}"
    );
    // 2047 log blocks, a few per commit: the log fills up and starts over.
    assert!(
        (1..=3).contains(&restarts),
        "{restarts} restarts: {costs:?}"
    );
    let before = fs.device().flushes;
    let disk = fs.unmount().unwrap();
    // The last checkpoint made durable, the journal superblock marked
    // empty, the superblock's `needs_recovery` cleared.
    assert_eq!(disk.flushes - before, 3);
}
