//! The JBD2 journal (ext3's): commit, checkpoint and replay.
//!
//! The journal is an ordinary file (inode 8) used as a log of whole blocks.
//! Its first block is the journal superblock; the log lives in blocks
//! `first..maxlen`. All journal fields are big-endian and every log block
//! starts with a 12-byte header: magic `C03B3998`, block type, transaction
//! sequence number.
//!
//! A transaction in the log:
//!
//! ```text
//! [descriptor: header, tags (disk block numbers)] [data] [data] ... [commit]
//! ```
//!
//! A data block that happens to begin with the magic number is written with
//! those four bytes zeroed and its tag flagged "escaped". Revoke blocks list
//! blocks whose earlier logged copies must not be replayed (Linux writes them;
//! we read them).
//!
//! Kestrel's protocol journals every changed block, file data included (full
//! data journaling; new data blocks are the exception, `txn`), one
//! transaction at a time. Transactions follow each other in the log, each
//! one right after the last (`head`):
//!
//! 1. write the descriptor(s) and block copies at `head`; flush (each
//!    step's blocks go out as runs of consecutive blocks, `runs`);
//! 2. write the commit block; flush. From here the transaction is durable:
//!    `fsync` costs these two flushes;
//! 3. write every block to its home location (checkpoint), **without a
//!    flush**: the next commit's first flush makes it durable.
//!
//! The journal superblock is not rewritten per commit. Its `s_start` and
//! `s_sequence` keep pointing at the first transaction written since the
//! log last started, and a mount replays every committed transaction from
//! there on, in order: the ones already home are written again, harmlessly,
//! and the last one, whose checkpoint may not have landed, is completed.
//! The scan ends at the first block without the next sequence number
//! (sequence numbers only grow, so whatever an earlier use of the log left
//! there never matches).
//!
//! **When the next transaction does not fit** before the log's end, the log
//! starts over: flush (every checkpoint so far is durable, so nothing
//! before needs replaying), write the journal superblock with `s_start` =
//! `first` and this transaction's number, flush, and only then write the
//! transaction at `first` (four flushes for this commit; a transaction
//! never wraps around the end). The mount does the same after its replay,
//! and a clean unmount flushes and writes `s_start` 0.
//!
//! **The hazard of replaying old transactions.** New data blocks go
//! straight home, outside the log (`txn`). Suppose a block was logged by a
//! transaction still in the log (as a directory block, say), then freed and
//! committed, then taken for a file's new data and written home: a replay
//! would put the old logged copy back over the synced data. So the journal
//! keeps the set of home blocks logged since `s_start` (`logged`, emptied
//! when the log starts over), and a new data block in that set is
//! journaled instead ([`Journal::may_write_home`]): the replay then writes
//! the old copy and, later in the log, the new one. The same rule keeps a
//! checkpoint write and a new data write to one block out of the same
//! flush epoch, where the disk could do them in either order. Every block a
//! replay writes is therefore either unchanged since its last logged copy
//! or logged again later; nothing else writes home while a copy is in the
//! log (the superblock's `needs_recovery` is written only with the log
//! empty). Revoke records would do the same job inside the log; the set is
//! simpler and needs no format feature.
//!
//! **A failed commit** (a device error) stops the journal: later commits
//! and `sync`s fail with EIO and new data no longer goes home. The
//! checkpoint of a durable transaction may be what failed, and only its
//! copy in the log, which a later commit could start over, can bring it
//! back: the log stays as it is for the next mount to replay (as JBD2
//! aborts its journal).
//!
//! Mounting scans the log from `s_start` for transactions with the expected
//! sequence numbers; each one with its commit block is written home again
//! (replay), a transaction without one is ignored. While mounted, the
//! superblock carries `needs_recovery` and the journal's `s_start` is set;
//! a clean unmount clears both.

use crate::device::BlockDevice;
use crate::error::{Errno, Error, Result, corrupt};
use crate::fs::Fs;
use crate::raw::{be16, be32, set_be16, set_be32};
use crate::runs::write_runs;
use crate::superblock::Geometry;
use crate::txn::Txn;
use alloc::borrow::Cow;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec;
use alloc::vec::Vec;

pub const MAGIC: u32 = 0xC03B_3998;
pub const DESCRIPTOR: u32 = 1;
pub const COMMIT: u32 = 2;
pub const SUPERBLOCK_V1: u32 = 3;
pub const SUPERBLOCK_V2: u32 = 4;
pub const REVOKE: u32 = 5;

// Journal superblock fields.
const S_BLOCKSIZE: usize = 0x0C;
const S_MAXLEN: usize = 0x10;
const S_FIRST: usize = 0x14;
const S_SEQUENCE: usize = 0x18;
const S_START: usize = 0x1C;
const S_INCOMPAT: usize = 0x28;
const S_UUID: usize = 0x30;

/// Incompatible journal features: revoke blocks, 64-bit block numbers.
const INCOMPAT_REVOKE: u32 = 0x1;
const INCOMPAT_64BIT: u32 = 0x2;

// Tag flags.
const FLAG_ESCAPE: u16 = 1;
const FLAG_SAME_UUID: u16 = 2;
const FLAG_LAST_TAG: u16 = 8;

/// A block of the log to write home: (home block, log position, escaped).
type Tag = (u32, u32, bool);

pub(crate) struct Journal {
    /// The disk block of each journal block.
    blocks: Vec<u32>,
    first: u32,
    maxlen: u32,
    /// The next transaction's sequence number.
    seq: u32,
    /// `s_start` as the disk has it (0: nothing to replay).
    start: u32,
    /// Where the next transaction goes in the log.
    head: u32,
    /// Home blocks logged since `s_start`: a replay writes them again.
    logged: BTreeSet<u32>,
    /// A commit failed: the log is left as it is for the next mount.
    failed: bool,
    tag_bytes: usize,
    /// The journal superblock's block.
    sb: Vec<u8>,
}

/// Sequence numbers wrap: `a` is at or after `b`.
fn seq_geq(a: u32, b: u32) -> bool {
    a.wrapping_sub(b) as i32 >= 0
}

fn header(block: &mut [u8], kind: u32, seq: u32) {
    set_be32(block, 0, MAGIC);
    set_be32(block, 4, kind);
    set_be32(block, 8, seq);
}

impl Journal {
    /// Reads the journal of inode `ino` and checks its superblock.
    pub fn load<D: BlockDevice>(fs: &mut Fs<D>, ino: u32) -> Result<Journal> {
        let inode = fs.read_inode(ino)?;
        let bs = u64::from(fs.geo.block_size);
        let n = inode.size() / bs;
        if n < 2 || n > u64::from(fs.geo.blocks_count) {
            return Err(corrupt("journal size out of range"));
        }
        let mut blocks = fs.bmap_all(&inode, n)?;
        if blocks.contains(&0) {
            return Err(corrupt("hole in the journal"));
        }
        let mut sb = vec![0; fs.io.bs];
        fs.io.read_disk(blocks[0], &mut sb)?;
        let kind = be32(&sb, 4);
        if be32(&sb, 0) != MAGIC || !(kind == SUPERBLOCK_V1 || kind == SUPERBLOCK_V2) {
            return Err(corrupt("bad journal superblock"));
        }
        if u64::from(be32(&sb, S_BLOCKSIZE)) != bs {
            return Err(corrupt("journal block size differs from the file system's"));
        }
        let (maxlen, first, start) = (be32(&sb, S_MAXLEN), be32(&sb, S_FIRST), be32(&sb, S_START));
        if maxlen as usize > blocks.len() || first == 0 || first >= maxlen || maxlen - first < 16 {
            return Err(corrupt("journal superblock lengths out of range"));
        }
        if start != 0 && (start < first || start >= maxlen) {
            return Err(corrupt("journal start out of range"));
        }
        let incompat = if kind == SUPERBLOCK_V2 {
            be32(&sb, S_INCOMPAT)
        } else {
            0
        };
        if incompat & !(INCOMPAT_REVOKE | INCOMPAT_64BIT) != 0 {
            return Err(Error::new(
                Errno::EINVAL,
                "journal uses checksums or async commit (unsupported)",
            ));
        }
        blocks.truncate(maxlen as usize);
        Ok(Journal {
            blocks,
            first,
            maxlen,
            seq: be32(&sb, S_SEQUENCE),
            start,
            head: first,
            logged: BTreeSet::new(),
            failed: false,
            tag_bytes: if incompat & INCOMPAT_64BIT != 0 {
                12
            } else {
                8
            },
            sb,
        })
    }

    /// Whether the log holds transactions that may need replaying.
    pub fn needs_replay(&self) -> bool {
        self.start != 0
    }

    /// Log blocks a transaction can use.
    pub fn capacity(&self) -> usize {
        (self.maxlen - self.first) as usize
    }

    fn next(&self, pos: u32) -> u32 {
        if pos + 1 >= self.maxlen {
            self.first
        } else {
            pos + 1
        }
    }

    fn read_log<D: BlockDevice>(&self, io: &mut Txn<D>, pos: u32) -> Result<Vec<u8>> {
        let mut b = vec![0; io.bs];
        io.read_disk(self.blocks[pos as usize], &mut b)?;
        Ok(b)
    }

    fn write_log<D: BlockDevice>(&self, io: &mut Txn<D>, pos: u32, data: &[u8]) -> Result<()> {
        io.write_disk(self.blocks[pos as usize], data)
    }

    /// The tags of a descriptor block: (home block, escaped).
    fn tags(&self, block: &[u8]) -> Result<Vec<(u32, bool)>> {
        let mut out = Vec::new();
        let mut at = 12;
        while at + self.tag_bytes <= block.len() {
            let lo = be32(block, at);
            let flags = be16(block, at + 6);
            let hi = if self.tag_bytes == 12 {
                be32(block, at + 8)
            } else {
                0
            };
            if hi != 0 {
                return Err(corrupt("journal tag block number out of range"));
            }
            out.push((lo, flags & FLAG_ESCAPE != 0));
            at += self.tag_bytes;
            if flags & FLAG_SAME_UUID == 0 {
                at += 16;
            }
            if flags & FLAG_LAST_TAG != 0 {
                break;
            }
        }
        Ok(out)
    }

    /// The block numbers of a revoke block.
    fn revoked(&self, block: &[u8]) -> Result<Vec<u32>> {
        let used = be32(block, 12) as usize;
        let rec = if self.tag_bytes == 12 { 8 } else { 4 };
        if used < 16 || used > block.len() {
            return Err(corrupt("journal revoke block with a bad length"));
        }
        Ok((16..used - used % rec)
            .step_by(rec)
            .map(|at| be32(block, at + rec - 4))
            .collect())
    }

    /// Scans the log and writes every committed transaction home; returns
    /// how many transactions it found committed.
    pub fn replay<D: BlockDevice>(&mut self, io: &mut Txn<D>, geo: &Geometry) -> Result<usize> {
        let mut committed: Vec<(u32, Vec<Tag>)> = Vec::new();
        let mut revoked: BTreeMap<u32, u32> = BTreeMap::new();
        let (mut pending, mut pending_revoked) = (Vec::new(), Vec::new());
        let mut pos = self.start;
        let mut seq = self.seq;
        // An empty log (s_start 0) holds nothing to replay.
        let mut steps = if self.start == 0 { self.maxlen } else { 0 };
        while steps < self.maxlen {
            let block = self.read_log(io, pos)?;
            if be32(&block, 0) != MAGIC || be32(&block, 8) != seq {
                break;
            }
            steps += 1;
            match be32(&block, 4) {
                DESCRIPTOR => {
                    for (home, escaped) in self.tags(&block)? {
                        pos = self.next(pos);
                        steps += 1;
                        pending.push((home, pos, escaped));
                    }
                }
                REVOKE => pending_revoked.extend(self.revoked(&block)?),
                COMMIT => {
                    for b in pending_revoked.drain(..) {
                        revoked.insert(b, seq);
                    }
                    committed.push((seq, core::mem::take(&mut pending)));
                    seq = seq.wrapping_add(1);
                }
                _ => break,
            }
            pos = self.next(pos);
        }
        for (tseq, tags) in &committed {
            for &(home, pos, escaped) in tags {
                if revoked.get(&home).is_some_and(|&r| seq_geq(r, *tseq)) {
                    continue;
                }
                if home >= geo.blocks_count {
                    return Err(corrupt("journal block destined beyond the file system"));
                }
                let mut data = self.read_log(io, pos)?;
                if escaped {
                    set_be32(&mut data, 0, MAGIC);
                }
                io.write_disk(home, &data)?;
            }
        }
        io.dev.flush()?;
        // Like JBD2, skip one sequence number past whatever the log held.
        self.seq = seq.wrapping_add(1);
        self.write_super(io, 0)?;
        Ok(committed.len())
    }

    /// Writes the journal superblock: the log starts at `start` (0: empty)
    /// with the transaction numbered `self.seq`; then flushes.
    fn write_super<D: BlockDevice>(&mut self, io: &mut Txn<D>, start: u32) -> Result<()> {
        set_be32(&mut self.sb, S_SEQUENCE, self.seq);
        set_be32(&mut self.sb, S_START, start);
        let sb = core::mem::take(&mut self.sb);
        let r = self.write_log(io, 0, &sb).and_then(|_| io.dev.flush());
        self.sb = sb;
        r?;
        self.start = start;
        Ok(())
    }

    /// Starts the log afresh at `first` with the next transaction (at mount,
    /// and when the log is full). The caller has made every earlier
    /// checkpoint durable: nothing before this point is replayed again.
    fn restart<D: BlockDevice>(&mut self, io: &mut Txn<D>) -> Result<()> {
        self.head = self.first;
        self.logged.clear();
        self.write_super(io, self.first)
    }

    /// Starts using the log (at mount, after any replay).
    pub fn open<D: BlockDevice>(&mut self, io: &mut Txn<D>) -> Result<()> {
        self.restart(io)
    }

    /// Marks the log empty (at unmount): the last checkpoints made durable,
    /// then `s_start` 0.
    pub fn close<D: BlockDevice>(&mut self, io: &mut Txn<D>) -> Result<()> {
        self.check_running()?;
        io.dev.flush()?;
        self.write_super(io, 0)
    }

    /// Whether new data may go straight to home block `b`: no copy of it
    /// in the live log, which a replay would write over the data, and no
    /// failed commit (after one, what the disk says is free may not be).
    pub fn may_write_home(&self, b: u32) -> bool {
        !self.failed && !self.logged.contains(&b)
    }

    /// Fails once a commit has failed (see [`Journal::commit`]).
    pub fn check_running(&self) -> Result<()> {
        if self.failed {
            return Err(Error::new(
                Errno::EIO,
                "the journal stopped at a failed commit: remount to recover",
            ));
        }
        Ok(())
    }

    /// Tags that fit in one descriptor block.
    fn tags_per_descriptor(&self, bs: usize) -> usize {
        1 + (bs - 12 - self.tag_bytes - 16) / self.tag_bytes
    }

    /// Commits one transaction: log and commit block, each flushed, then
    /// the checkpoint, left for the next flush. After a failure the journal
    /// takes no more commits (the disk may not have the last checkpoints,
    /// and only the log, left as it is, can still bring them back).
    pub fn commit<D: BlockDevice>(
        &mut self,
        io: &mut Txn<D>,
        blocks: &BTreeMap<u32, Vec<u8>>,
    ) -> Result<()> {
        self.check_running()?;
        let per = self.tags_per_descriptor(io.bs);
        let len = blocks.len() + blocks.len().div_ceil(per) + 1;
        if len > self.capacity() {
            return Err(Error::new(
                Errno::EIO,
                "transaction larger than the journal",
            ));
        }
        let r = self.log_and_checkpoint(io, blocks, per, len);
        self.failed = r.is_err();
        r
    }

    /// [`Journal::commit`]'s steps for a transaction of `len` log blocks,
    /// `per` tags to a descriptor.
    fn log_and_checkpoint<D: BlockDevice>(
        &mut self,
        io: &mut Txn<D>,
        blocks: &BTreeMap<u32, Vec<u8>>,
        per: usize,
        len: usize,
    ) -> Result<()> {
        if self.head as usize + len > self.maxlen as usize {
            // The log is full: make every checkpoint durable, then start it
            // again at `first` with this transaction.
            io.dev.flush()?;
            self.restart(io)?;
        }
        let bs = io.bs;
        let list: Vec<(&u32, &Vec<u8>)> = blocks.iter().collect();
        let mut pos = self.head;
        let uuid: [u8; 16] = self.sb[S_UUID..S_UUID + 16].try_into().expect("16 bytes");
        // The log's blocks, gathered to go out as runs (see `runs`).
        let mut log: Vec<(u32, Cow<[u8]>)> = Vec::new();
        for chunk in list.chunks(per) {
            let mut desc = vec![0; bs];
            header(&mut desc, DESCRIPTOR, self.seq);
            let mut at = 12;
            for (k, (home, data)) in chunk.iter().enumerate() {
                let escaped = be32(data, 0) == MAGIC;
                let mut flags = if escaped { FLAG_ESCAPE } else { 0 };
                if k > 0 {
                    flags |= FLAG_SAME_UUID;
                }
                if k + 1 == chunk.len() {
                    flags |= FLAG_LAST_TAG;
                }
                set_be32(&mut desc, at, **home);
                set_be16(&mut desc, at + 6, flags);
                at += self.tag_bytes;
                if k == 0 {
                    desc[at..at + 16].copy_from_slice(&uuid);
                    at += 16;
                }
            }
            log.push((self.blocks[pos as usize], Cow::Owned(desc)));
            pos += 1;
            for (_, data) in chunk {
                let copy = if be32(data, 0) == MAGIC {
                    let mut copy = (*data).clone();
                    copy[..4].fill(0);
                    Cow::Owned(copy)
                } else {
                    Cow::Borrowed(data.as_slice())
                };
                log.push((self.blocks[pos as usize], copy));
                pos += 1;
            }
        }
        let log: Vec<(u32, &[u8])> = log.iter().map(|(b, d)| (*b, d.as_ref())).collect();
        write_runs(io, &log)?;
        io.dev.flush()?;
        let mut commit = vec![0; bs];
        header(&mut commit, COMMIT, self.seq);
        self.write_log(io, pos, &commit)?;
        io.dev.flush()?;
        // Durable. The log moves on; the checkpoint is not flushed here:
        // the next commit's first flush (or a restart's, or `close`'s)
        // makes it durable, and until then `s_start` keeps this
        // transaction in what a mount replays.
        self.seq = self.seq.wrapping_add(1);
        self.head = pos + 1;
        self.logged.extend(blocks.keys());
        let homes: Vec<(u32, &[u8])> = list.iter().map(|(h, d)| (**h, d.as_slice())).collect();
        write_runs(io, &homes)
    }
}
