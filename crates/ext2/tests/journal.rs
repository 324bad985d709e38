//! Our journal as the real tools see it: a transaction that was committed but
//! not yet written home is replayed by `e2fsck` exactly as by our mount; a
//! clean unmount leaves no `needs_recovery` behind.

mod common;

use common::*;
use ext2::{Fs, MemDisk, ROOT};

/// An image whose last transaction (writing `late`) reached the journal with
/// its commit block, but not its home locations; and the bytes of `late`.
fn committed_not_checkpointed(block_size: u32, size: usize) -> (Vec<u8>, Vec<u8>) {
    let mut fs = Fs::mount(MemDisk::from_bytes(own_image(size, block_size, 1024).bytes)).unwrap();
    fs.set_time(NOW);
    let d = fs.mkdir(ROOT, b"d", 0o755).unwrap();
    let early = fs.create(d, b"early", 0o644).unwrap();
    fs.write(early, 0, b"written before").unwrap();
    // Unmounted and mounted again: the log holds the next transaction only.
    let disk = RecordingDisk::new(fs.unmount().unwrap());
    let mut fs = Fs::mount(disk).unwrap();
    fs.set_time(NOW);
    let d = fs.lookup(ROOT, b"d").unwrap();
    let (base, epoch, mark) = (
        fs.device().disk.bytes.clone(),
        fs.device().epoch,
        fs.device().writes.len(),
    );
    // A block that starts with the journal magic must be escaped in the log.
    let mut late_data = vec![0xC0, 0x3B, 0x39, 0x98];
    late_data.extend((0..30_000u32).map(|i| (i * 7 % 256) as u8));
    let late = fs.create(d, b"late", 0o600).unwrap();
    // New blocks go straight home; written again in the same transaction,
    // they are journaled: the log then holds the file's data too.
    fs.write(late, 0, &vec![0; late_data.len()]).unwrap();
    fs.write(late, 0, &late_data).unwrap();
    fs.sync().unwrap();
    let disk = fs.into_device();
    let mut image = base;
    // Epoch `epoch` is the log, `epoch + 1` the commit block; the home
    // locations (written after that flush) never happened.
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

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

/// A revoke record in a later committed transaction stops the replay of a
/// block logged before it, in our replay and in e2fsck's alike.
#[test]
fn revoked_blocks_are_not_replayed() {
    let (mut image, _) = committed_not_checkpointed(1024, 4 << 20);
    let block = |image: &[u8], b: u32| image[b as usize * 1024..][..1024].to_vec();
    // The journal's blocks, in order, as debugfs lists them.
    let listing = String::from_utf8(debugfs(&image, "blocks <8>")).unwrap();
    let journal: Vec<u32> = listing
        .split_whitespace()
        .map(|w| w.parse().unwrap())
        .collect();
    let jsb = block(&image, journal[0]);
    let (seq, start) = (be32(&jsb, 0x18), be32(&jsb, 0x1C) as usize);
    assert_eq!(start, 1, "the pending transaction starts the log");
    // The first descriptor's last tag: the highest block it logs (file data).
    let desc = block(&image, journal[start]);
    assert_eq!(
        (be32(&desc, 0), be32(&desc, 4), be32(&desc, 8)),
        (0xC03B_3998, 1, seq)
    );
    let mut tags = Vec::new();
    let mut at = 12;
    loop {
        tags.push(be32(&desc, at));
        let flags = u16::from_be_bytes([desc[at + 6], desc[at + 7]]);
        at += 8 + if flags & 2 == 0 { 16 } else { 0 };
        if flags & 8 != 0 {
            break;
        }
    }
    let (k, &victim) = tags.iter().enumerate().max_by_key(|(_, b)| **b).unwrap();
    let logged = block(&image, journal[start + 1 + k]);
    let home_before = block(&image, victim);
    assert_ne!(logged, home_before, "the logged copy must differ from home");
    // Transaction seq + 1 after the commit block: a revoke of `victim`, committed.
    let commit_pos = (start..journal.len())
        .find(|&p| {
            let b = block(&image, journal[p]);
            be32(&b, 0) == 0xC03B_3998 && be32(&b, 4) == 2 && be32(&b, 8) == seq
        })
        .unwrap();
    let mut revoke = vec![0u8; 1024];
    for (at, v) in [
        (0, 0xC03B_3998u32),
        (4, 5),
        (8, seq + 1),
        (12, 20),
        (16, victim),
    ] {
        revoke[at..at + 4].copy_from_slice(&v.to_be_bytes());
    }
    let mut commit = vec![0u8; 1024];
    for (at, v) in [(0, 0xC03B_3998u32), (4, 2), (8, seq + 1)] {
        commit[at..at + 4].copy_from_slice(&v.to_be_bytes());
    }
    for (pos, data) in [(commit_pos + 1, &revoke), (commit_pos + 2, &commit)] {
        let b = journal[pos] as usize;
        image[b * 1024..(b + 1) * 1024].copy_from_slice(data);
    }
    // The journal declares revoke records (the incompat feature bit).
    let j0 = journal[0] as usize * 1024;
    image[j0 + 0x2B] |= 1;
    let ours = Fs::mount(MemDisk::from_bytes(image.clone()))
        .unwrap()
        .unmount()
        .unwrap()
        .bytes;
    assert_eq!(
        block(&ours, victim),
        home_before,
        "our replay wrote a revoked block"
    );
    let (theirs, code, text) = e2fsck_fix(&image);
    assert!(code <= 1, "e2fsck -fy exit {code}:\n{text}");
    assert_eq!(
        block(&theirs, victim),
        home_before,
        "e2fsck wrote a revoked block"
    );
    // Every block not revoked was replayed the same by both.
    for &b in &tags {
        if b != victim && b > 2 {
            assert_eq!(block(&ours, b), block(&theirs, b), "block {b}");
        }
    }
}

/// The journal superblock's `s_sequence` and `s_start` in an image.
fn journal_head(image: &[u8], bs: usize) -> (u32, u32) {
    let jsb: usize = String::from_utf8(debugfs(image, "bmap <8> 0"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let jsb = &image[jsb * bs..(jsb + 1) * bs];
    (be32(jsb, 0x18), be32(jsb, 0x1C))
}

/// `rounds` rounds of six synced transactions each: a file written, then
/// overwritten twice in later transactions (journaled data, where the
/// order of the replay decides which version wins), a directory removed,
/// its block taken by a new file's data, a rename and a symlink.
/// Returns the image a power cut leaves right after the last commit
/// record (its blocks not home yet), the tree then, the number of
/// transactions committed and the first one's sequence number.
fn several_transactions(maxlen: Option<u32>, rounds: usize) -> (Vec<u8>, Tree, usize, u32) {
    let bs = 1024;
    let mut base = own_image(4 << 20, bs as u32, 1024);
    if let Some(maxlen) = maxlen {
        shrink_journal(&mut base.bytes, bs, maxlen);
    }
    let mut fs = Fs::mount(RecordingDisk::new(base.clone())).unwrap();
    fs.set_time(NOW);
    let (first_seq, _) = journal_head(&fs.device().disk.bytes, bs);
    let mut tree = Tree::new();
    let mut commits = 0;
    let mut sync = |fs: &mut Fs<RecordingDisk>| {
        fs.sync().unwrap();
        commits += 1;
    };
    let version = |tag: u8| -> Vec<u8> { (0..1024u32).map(|i| (i % 251) as u8 ^ tag).collect() };
    for r in 0..rounds {
        let (a, f, g, h) = (
            format!("a{r}"),
            format!("f{r}"),
            format!("g{r}"),
            format!("h{r}"),
        );
        let dir = fs.mkdir(ROOT, a.as_bytes(), 0o755).unwrap();
        fs.create(dir, b"x", 0o644).unwrap();
        let file = fs.create(ROOT, f.as_bytes(), 0o644).unwrap();
        let mut contents: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 256) as u8).collect();
        fs.write(file, 0, &contents).unwrap();
        sync(&mut fs);
        for tag in [0x11, 0x22] {
            fs.write(file, 0, &version(tag)).unwrap();
            contents[..1024].copy_from_slice(&version(tag));
            sync(&mut fs);
        }
        fs.unlink(dir, b"x").unwrap();
        fs.rmdir(ROOT, a.as_bytes()).unwrap();
        sync(&mut fs);
        let new = fs.create(ROOT, g.as_bytes(), 0o644).unwrap();
        let data = version(0x33).repeat(4);
        fs.write(new, 0, &data).unwrap();
        sync(&mut fs);
        fs.rename(ROOT, g.as_bytes(), ROOT, h.as_bytes()).unwrap();
        fs.symlink(ROOT, format!("l{r}").as_bytes(), h.as_bytes())
            .unwrap();
        sync(&mut fs);
        tree.insert(format!("/{f}"), Node::File(contents));
        tree.insert(format!("/{h}"), Node::File(data));
        tree.insert(format!("/l{r}"), Node::Link(h.into_bytes()));
    }
    // The last commit record's flush is the last flush of all: keep every
    // write before it, and none of the checkpoint after it.
    let disk = fs.into_device();
    let mut image = base.bytes;
    for (sector, data, e) in &disk.writes {
        if *e < disk.epoch {
            let at = *sector as usize * 512;
            image[at..at + data.len()].copy_from_slice(data);
        }
    }
    (image, tree, commits, first_seq)
}

/// Replays a crash image with e2fsck and with our mount; both must give
/// `tree`, and `e2fsck -fn` must be clean after each. Returns how many
/// transactions our mount replayed.
fn both_replay_to(image: &[u8], tree: &Tree, context: &str) -> usize {
    let features = String::from_utf8(debugfs(image, "features")).unwrap();
    assert!(features.contains("needs_recovery"), "{context}: {features}");
    let mut fs = Fs::mount(MemDisk::from_bytes(image.to_vec())).unwrap();
    let replayed = fs.replayed();
    assert_eq!(&read_tree(&mut fs), tree, "{context}: our replay");
    assert_clean(&fs.unmount().unwrap().bytes, context);
    let (fixed, code, text) = e2fsck_fix(image);
    assert!(code <= 1, "{context}: e2fsck -fy exit {code}:\n{text}");
    assert_clean(&fixed, context);
    let mut fs = Fs::mount(MemDisk::from_bytes(fixed)).unwrap();
    assert_eq!(fs.replayed(), 0, "{context}: e2fsck left the log full");
    assert_eq!(&read_tree(&mut fs), tree, "{context}: e2fsck's replay");
    replayed
}

/// The log keeps every transaction since its start: a cut after several
/// commits leaves all of them to replay, in order, and e2fsck replays
/// them exactly as our mount does.
#[test]
fn several_committed_transactions_replay_alike_in_e2fsck_and_ours() {
    let (image, tree, commits, first_seq) = several_transactions(None, 2);
    assert_eq!(journal_head(&image, 1024), (first_seq, 1));
    let replayed = both_replay_to(&image, &tree, "twelve transactions in the log");
    assert_eq!(replayed, commits);
}

/// A log too short for every transaction starts over at its first block
/// (after making every checkpoint durable); a cut after that replays only
/// the transactions since, and e2fsck agrees.
#[test]
fn a_full_log_starts_over_and_replays_alike() {
    let (image, tree, commits, first_seq) = several_transactions(Some(40), 4);
    let (seq, start) = journal_head(&image, 1024);
    assert_eq!(start, 1);
    let replayed = both_replay_to(&image, &tree, "a log that started over");
    // Exactly the transactions from the log's new first one on.
    let before = (seq - first_seq) as usize;
    assert!(
        before > 0 && replayed >= 2,
        "replayed {replayed} of {commits}"
    );
    assert_eq!(before + replayed, commits);
}

/// A disk that, after its flush number `lose_after`, loses the writes it
/// is given and fails the next flush, then works again: a write-behind
/// error, reported only at the flush after it.
struct Lossy {
    disk: MemDisk,
    flushes: usize,
    lose_after: std::rc::Rc<std::cell::Cell<usize>>,
}

impl ext2::BlockDevice for Lossy {
    fn sectors(&self) -> u64 {
        self.disk.sectors()
    }
    fn read(&mut self, sector: u64, buf: &mut [u8]) -> ext2::Result<()> {
        self.disk.read(sector, buf)
    }
    fn write(&mut self, sector: u64, data: &[u8]) -> ext2::Result<()> {
        if self.flushes == self.lose_after.get() {
            return Ok(());
        }
        self.disk.write(sector, data)
    }
    fn flush(&mut self) -> ext2::Result<()> {
        self.flushes += 1;
        if self.flushes == self.lose_after.get().wrapping_add(1) {
            return Err(ext2::Error::new(ext2::Errno::EIO, "a lost write"));
        }
        Ok(())
    }
}

/// A commit is durable once its commit record is, but its checkpoint can
/// still fail; the log must then keep it. After a failed commit the
/// journal takes no more commits (later ones, starting the log over,
/// would drop it), and the next mount replays it.
#[test]
fn after_a_failed_commit_the_log_is_kept_for_the_next_mount() {
    let mut base = own_image(4 << 20, 1024, 1024);
    shrink_journal(&mut base.bytes, 1024, 40);
    let lose_after = std::rc::Rc::new(std::cell::Cell::new(usize::MAX));
    let disk = Lossy {
        disk: base,
        flushes: 0,
        lose_after: lose_after.clone(),
    };
    let mut fs = Fs::mount(disk).unwrap();
    fs.set_time(NOW);
    let a = fs.create(ROOT, b"a", 0o644).unwrap();
    fs.write(a, 0, b"synced").unwrap();
    // The commit's two flushes succeed; its checkpoint is lost.
    lose_after.set(fs.device().flushes + 2);
    fs.sync().unwrap();
    fs.create(ROOT, b"b", 0o644).unwrap();
    let err = fs.sync().unwrap_err();
    assert_eq!(err.errno, ext2::Errno::EIO);
    // Enough commits to fill the short log several times: all refused.
    let mut refused = 0;
    for i in 0..30 {
        if let Ok(c) = fs.create(ROOT, format!("c{i}").as_bytes(), 0o644) {
            fs.write(c, 0, &[7; 3000]).unwrap();
        }
        refused += usize::from(fs.sync().is_err_and(|e| e.errno == ext2::Errno::EIO));
    }
    let mut fs = Fs::mount(fs.into_device().disk).unwrap();
    let tree = read_tree(&mut fs);
    assert_eq!(tree.get("/a"), Some(&Node::File(b"synced".to_vec())));
    let names: Vec<&String> = tree.keys().collect();
    assert_eq!(names, ["/a"]);
    assert_eq!(fs.replayed(), 1);
    assert_eq!(refused, 30);
    assert_clean(&fs.unmount().unwrap().bytes, "after the failed commits");
}
