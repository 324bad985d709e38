//! Inodes: a file's type, permissions, size, times and where its blocks are.
//!
//! Inode `n` (numbered from 1) is entry `(n - 1) % inodes_per_group` of group
//! `(n - 1) / inodes_per_group`'s inode table. The first 128 bytes are ext2's;
//! larger inodes (256 bytes from `mke2fs`) carry extra fields after them,
//! which we keep as they are. Inodes 1 to 10 are reserved: 2 is the root
//! directory, 8 the journal; 11 is usually `lost+found`.
//!
//! `block` holds 15 block numbers: 12 direct ones, then the single, double and
//! triple indirect blocks (see `blockmap`). A short symlink keeps its target
//! in those 60 bytes instead ("fast" symlink).

use crate::raw::{le16, le32, set_le16, set_le32};
use alloc::vec::Vec;

pub(crate) const MODE: usize = 0x00;
pub(crate) const UID: usize = 0x02;
pub(crate) const SIZE_LO: usize = 0x04;
pub(crate) const ATIME: usize = 0x08;
pub(crate) const CTIME: usize = 0x0C;
pub(crate) const MTIME: usize = 0x10;
pub(crate) const DTIME: usize = 0x14;
pub(crate) const GID: usize = 0x18;
pub(crate) const LINKS: usize = 0x1A;
pub(crate) const BLOCKS: usize = 0x1C;
pub(crate) const FLAGS: usize = 0x20;
pub(crate) const BLOCK: usize = 0x28;
pub(crate) const FILE_ACL: usize = 0x68;
pub(crate) const SIZE_HI: usize = 0x6C;
pub(crate) const EXTRA_ISIZE: usize = 0x80;

/// The type bits of `mode`, and the types.
pub const S_IFMT: u16 = 0o170000;
pub const S_IFREG: u16 = 0o100000;
pub const S_IFDIR: u16 = 0o040000;
pub const S_IFLNK: u16 = 0o120000;
pub const S_IFCHR: u16 = 0o020000;
pub const S_IFBLK: u16 = 0o060000;
pub const S_IFIFO: u16 = 0o010000;
pub const S_IFSOCK: u16 = 0o140000;

/// The inode flag of a hash-indexed directory (we clear it when we change one).
pub(crate) const INDEX_FL: u32 = 0x1000;

/// Block pointers in `block`: 12 direct, then single, double, triple indirect.
pub const DIRECT: usize = 12;
pub const N_BLOCKS: usize = 15;

/// The largest link count ext2 allows.
pub const LINK_MAX: u16 = 32000;

/// An inode's raw bytes (`inode_size` of them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inode {
    pub raw: Vec<u8>,
}

impl Inode {
    pub fn mode(&self) -> u16 {
        le16(&self.raw, MODE)
    }
    pub fn set_mode(&mut self, m: u16) {
        set_le16(&mut self.raw, MODE, m)
    }
    pub fn kind(&self) -> u16 {
        self.mode() & S_IFMT
    }
    pub fn is_dir(&self) -> bool {
        self.kind() == S_IFDIR
    }
    pub fn links(&self) -> u16 {
        le16(&self.raw, LINKS)
    }
    pub fn set_links(&mut self, n: u16) {
        set_le16(&mut self.raw, LINKS, n)
    }
    /// The size in bytes (the high half counts for regular files only, as in
    /// ext2 revision 1 with `large_file`).
    pub fn size(&self) -> u64 {
        let hi = if self.kind() == S_IFREG {
            le32(&self.raw, SIZE_HI)
        } else {
            0
        };
        u64::from(le32(&self.raw, SIZE_LO)) | u64::from(hi) << 32
    }
    pub fn set_size(&mut self, s: u64) {
        set_le32(&mut self.raw, SIZE_LO, s as u32);
        if self.kind() == S_IFREG {
            set_le32(&mut self.raw, SIZE_HI, (s >> 32) as u32);
        }
    }
    /// Blocks in use, in 512-byte units (indirect blocks included).
    pub fn sectors(&self) -> u32 {
        le32(&self.raw, BLOCKS)
    }
    pub fn set_sectors(&mut self, n: u32) {
        set_le32(&mut self.raw, BLOCKS, n)
    }
    pub fn block(&self, i: usize) -> u32 {
        le32(&self.raw, BLOCK + 4 * i)
    }
    pub fn set_block(&mut self, i: usize, b: u32) {
        set_le32(&mut self.raw, BLOCK + 4 * i, b)
    }
    pub fn flags(&self) -> u32 {
        le32(&self.raw, FLAGS)
    }
    pub fn set_flags(&mut self, f: u32) {
        set_le32(&mut self.raw, FLAGS, f)
    }
    pub fn time(&self, at: usize) -> u32 {
        le32(&self.raw, at)
    }
    pub fn set_time(&mut self, at: usize, t: u32) {
        set_le32(&mut self.raw, at, t)
    }
    pub fn uid(&self) -> u16 {
        le16(&self.raw, UID)
    }
    pub fn gid(&self) -> u16 {
        le16(&self.raw, GID)
    }
    pub fn set_owner(&mut self, uid: u16, gid: u16) {
        set_le16(&mut self.raw, UID, uid);
        set_le16(&mut self.raw, GID, gid);
    }

    /// A fresh inode of `mode`, one link, all three times `now`.
    pub(crate) fn new(size: usize, mode: u16, now: u32) -> Inode {
        let mut i = Inode {
            raw: alloc::vec![0; size],
        };
        i.set_mode(mode);
        i.set_links(1);
        for at in [ATIME, CTIME, MTIME] {
            i.set_time(at, now);
        }
        if size > 128 {
            // The extra fields in use (as Linux writes them): times' high bits.
            set_le16(&mut i.raw, EXTRA_ISIZE, 32);
        }
        i
    }

    /// A device file's number, as Linux's `dev_t` (0 for other inodes).
    ///
    /// ext2 keeps it in the block pointers: `block[0]` = `major << 8 |
    /// minor` when both fit in 8 bits, else `block[1]` = `minor & 0xff |
    /// major << 8 | (minor & !0xff) << 12`.
    pub fn device(&self) -> u64 {
        if !matches!(self.kind(), S_IFCHR | S_IFBLK) {
            return 0;
        }
        let (old, new) = (self.block(0), self.block(1));
        let (major, minor) = if old != 0 {
            ((old >> 8) & 0xff, old & 0xff)
        } else {
            ((new >> 8) & 0xfff, (new & 0xff) | ((new >> 12) & 0xf_ff00))
        };
        dev_t(major, minor)
    }

    /// Stores a device number (Linux's `dev_t`) as [`device`](Self::device)
    /// reads it.
    pub fn set_device(&mut self, dev: u64) {
        let major = (((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff)) as u32;
        let minor = ((dev & 0xff) | ((dev >> 12) & !0xff)) as u32;
        if major < 256 && minor < 256 {
            self.set_block(0, major << 8 | minor);
            self.set_block(1, 0);
        } else {
            self.set_block(0, 0);
            self.set_block(1, (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12));
        }
    }

    /// Whether `block` holds block pointers: for files, directories and
    /// symlinks with a target block. A device keeps its number there, a fast
    /// symlink its target; fifos and sockets have nothing.
    pub fn owns_blocks(&self, block_size: u32) -> bool {
        match self.kind() {
            S_IFREG | S_IFDIR => true,
            S_IFLNK => !self.is_fast_symlink(block_size),
            _ => false,
        }
    }

    /// Whether a symlink keeps its target inside the inode: it owns no block
    /// but perhaps an extended-attribute block (`block_size` bytes).
    pub fn is_fast_symlink(&self, block_size: u32) -> bool {
        let xattr = if le32(&self.raw, FILE_ACL) != 0 {
            block_size / 512
        } else {
            0
        };
        self.kind() == S_IFLNK && self.sectors() == xattr && self.size() < 60
    }
}

/// Linux's `dev_t` of a major and minor number (glibc's `makedev`).
pub fn dev_t(major: u32, minor: u32) -> u64 {
    let (major, minor) = (u64::from(major), u64::from(minor));
    (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & !0xff) << 12) | ((major & !0xfff) << 32)
}

/// The directory-entry file type of an inode mode (with the `filetype` feature).
pub(crate) fn dirent_type(mode: u16) -> u8 {
    match mode & S_IFMT {
        S_IFREG => 1,
        S_IFDIR => 2,
        0o020000 => 3,
        0o060000 => 4,
        0o010000 => 5,
        0o140000 => 6,
        S_IFLNK => 7,
        _ => 0,
    }
}
