//! The running transaction: block writes held in memory until commit.
//!
//! No operation writes to the disk directly. A changed block goes into the
//! transaction's map (block number -> new contents), and reads look there
//! first, so the file system sees its own changes. At commit the whole map
//! goes to the journal and then to its home locations (see `journal`).
//!
//! A savepoint makes operations all-or-nothing: the first time a block is
//! changed after the savepoint, its previous state is remembered, and
//! `rollback` puts every such block back. An operation that fails halfway
//! (no space for its second block, a corrupted entry) therefore leaves the
//! file system exactly as it found it.
//!
//! One kind of block skips the map: a file's data block newly allocated in
//! this transaction, which was free when the last transaction committed
//! (not freed since), may be written straight home ([`Txn::may_write_home`];
//! the journal adds a condition of its own: no copy of the block in the
//! log that a replay would write over it, see `journal`).
//! Nothing committed points at it, so a crash before the commit leaves it
//! free with whatever it holds, and the commit's first flush makes it
//! durable before the commit block that makes a file point at it (data
//! first, then the metadata: ext3's "ordered" mode, for new blocks only).
//! The allocator takes blocks freed in this transaction only when no other
//! block is free (`alloc_bitmap`); those are journaled.

use crate::device::BlockDevice;
use crate::error::Result;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec;
use alloc::vec::Vec;

pub(crate) struct Txn<D> {
    pub dev: D,
    /// Block size in bytes.
    pub bs: usize,
    /// Changed blocks of this transaction.
    pub dirty: BTreeMap<u32, Vec<u8>>,
    /// Each block's state before its first change since the savepoint (None: it
    /// was not in `dirty`).
    undo: BTreeMap<u32, Option<Vec<u8>>>,
    /// Blocks freed in this transaction (the last commit may still use them).
    freed: BTreeSet<u32>,
    /// Whether blocks went straight home since the last commit.
    pub wrote_home: bool,
}

impl<D: BlockDevice> Txn<D> {
    pub fn new(dev: D, bs: usize) -> Self {
        Txn {
            dev,
            bs,
            dirty: BTreeMap::new(),
            undo: BTreeMap::new(),
            freed: BTreeSet::new(),
            wrote_home: false,
        }
    }

    fn sector(&self, b: u32) -> u64 {
        u64::from(b) * (self.bs / crate::device::SECTOR) as u64
    }

    /// Reads block `b` from the disk, ignoring the transaction.
    pub fn read_disk(&mut self, b: u32, buf: &mut [u8]) -> Result<()> {
        let s = self.sector(b);
        self.dev.read(s, buf)
    }

    /// Writes block `b` to the disk, bypassing the transaction.
    pub fn write_disk(&mut self, b: u32, data: &[u8]) -> Result<()> {
        let s = self.sector(b);
        self.dev.write(s, data)
    }

    /// Reads block `b` as the file system currently sees it.
    pub fn read(&mut self, b: u32, buf: &mut [u8]) -> Result<()> {
        match self.dirty.get(&b) {
            Some(d) => {
                buf.copy_from_slice(d);
                Ok(())
            }
            None => self.read_disk(b, buf),
        }
    }

    /// `f` applied to block `b` as the file system currently sees it,
    /// without a copy when the transaction holds the block (bitmaps, group
    /// descriptors and pointer blocks are read once per block allocated).
    pub fn with_block<R>(&mut self, b: u32, f: impl FnOnce(&[u8]) -> R) -> Result<R> {
        if let Some(d) = self.dirty.get(&b) {
            return Ok(f(d));
        }
        let v = self.read_vec(b)?;
        Ok(f(&v))
    }

    /// Block `b` in a new vector.
    pub fn read_vec(&mut self, b: u32) -> Result<Vec<u8>> {
        let mut v = vec![0; self.bs];
        self.read(b, &mut v)?;
        Ok(v)
    }

    fn remember(&mut self, b: u32) {
        if !self.undo.contains_key(&b) {
            let before = self.dirty.get(&b).cloned();
            self.undo.insert(b, before);
        }
    }

    /// Block `b`'s contents in the transaction, to change in place.
    pub fn modify(&mut self, b: u32) -> Result<&mut [u8]> {
        if !self.dirty.contains_key(&b) {
            let v = self.read_vec(b)?;
            self.undo.entry(b).or_insert(None);
            self.dirty.insert(b, v);
        } else {
            self.remember(b);
        }
        Ok(self
            .dirty
            .get_mut(&b)
            .expect("inserted above")
            .as_mut_slice())
    }

    /// Replaces block `b` whole.
    pub fn write(&mut self, b: u32, data: &[u8]) {
        self.remember(b);
        self.dirty.insert(b, data.to_vec());
    }

    /// Notes that block `b` was freed: until the commit, it is not free on
    /// the disk's committed state, so it must not be written home.
    pub fn freed(&mut self, b: u32) {
        self.freed.insert(b);
    }

    /// Whether block `b` was freed in this transaction.
    pub fn is_freed(&self, b: u32) -> bool {
        self.freed.contains(&b)
    }

    /// Whether block `b`, just allocated for a file's data, may be written
    /// straight home (see the module docs): not freed in this transaction,
    /// and no copy of it in the map that would hide the write.
    pub fn may_write_home(&self, b: u32) -> bool {
        !self.freed.contains(&b) && !self.dirty.contains_key(&b)
    }

    /// Starts a new all-or-nothing step.
    pub fn savepoint(&mut self) {
        self.undo.clear();
    }

    /// Undoes every change since the savepoint.
    pub fn rollback(&mut self) {
        for (b, before) in core::mem::take(&mut self.undo) {
            match before {
                Some(v) => {
                    self.dirty.insert(b, v);
                }
                None => {
                    self.dirty.remove(&b);
                }
            }
        }
    }

    /// Takes the transaction's blocks (for commit), leaving it empty.
    pub fn take(&mut self) -> BTreeMap<u32, Vec<u8>> {
        self.undo.clear();
        self.freed.clear();
        core::mem::take(&mut self.dirty)
    }
}
