//! The superblock: the file system's geometry, counters and features.
//!
//! It lives at byte 1024 of the disk and is 1024 bytes long, whatever the block
//! size (so with 1 KiB blocks it is block 1, with larger blocks it sits inside
//! block 0 after the boot sector). Copies live at the start of some block
//! groups (groups 0, 1 and powers of 3, 5 and 7 with `sparse_super`); only
//! the primary is kept up to date, as Linux does.
//!
//! The disk is divided into block groups of `blocks_per_group` blocks, each
//! with its own bitmaps and slice of the inode table. [`Geometry`] is what
//! follows from the superblock once its numbers have been checked against each
//! other: a damaged superblock is refused here, so the rest of the crate can
//! compute with these numbers without overflowing or dividing by zero.

use crate::error::{Error, Result, corrupt};
use crate::raw::{le16, le32, set_le16, set_le32};
use alloc::vec::Vec;

/// Where the superblock starts, in bytes.
pub const OFFSET: u64 = 1024;
/// Its size in bytes.
pub const SIZE: usize = 1024;
/// The magic number at offset 0x38.
pub const MAGIC: u16 = 0xEF53;

// Field offsets.
pub(crate) const INODES_COUNT: usize = 0x00;
pub(crate) const BLOCKS_COUNT: usize = 0x04;
pub(crate) const R_BLOCKS_COUNT: usize = 0x08;
pub(crate) const FREE_BLOCKS: usize = 0x0C;
pub(crate) const FREE_INODES: usize = 0x10;
pub(crate) const FIRST_DATA_BLOCK: usize = 0x14;
pub(crate) const LOG_BLOCK_SIZE: usize = 0x18;
pub(crate) const LOG_FRAG_SIZE: usize = 0x1C;
pub(crate) const BLOCKS_PER_GROUP: usize = 0x20;
pub(crate) const FRAGS_PER_GROUP: usize = 0x24;
pub(crate) const INODES_PER_GROUP: usize = 0x28;
pub(crate) const WTIME: usize = 0x30;
pub(crate) const MAX_MNT_COUNT: usize = 0x36;
pub(crate) const MAGIC_AT: usize = 0x38;
pub(crate) const STATE: usize = 0x3A;
pub(crate) const ERRORS: usize = 0x3C;
pub(crate) const LASTCHECK: usize = 0x40;
pub(crate) const REV_LEVEL: usize = 0x4C;
pub(crate) const FIRST_INO: usize = 0x54;
pub(crate) const INODE_SIZE: usize = 0x58;
pub(crate) const BLOCK_GROUP_NR: usize = 0x5A;
pub(crate) const FEATURE_COMPAT: usize = 0x5C;
pub(crate) const FEATURE_INCOMPAT: usize = 0x60;
pub(crate) const FEATURE_RO_COMPAT: usize = 0x64;
pub(crate) const UUID: usize = 0x68;
pub(crate) const VOLUME_NAME: usize = 0x78;
pub(crate) const JOURNAL_INUM: usize = 0xE0;
/// `s_last_orphan`: the first inode of the orphan list (`orphans`), 0 if none.
pub(crate) const LAST_ORPHAN: usize = 0xE8;
pub(crate) const JNL_BACKUP_TYPE: usize = 0xFD;
pub(crate) const MKFS_TIME: usize = 0x108;
pub(crate) const JNL_BLOCKS: usize = 0x10C;

/// Compatible features: `has_journal`.
pub const COMPAT_HAS_JOURNAL: u32 = 0x4;
/// Incompatible features we understand: file types in directory entries, and
/// "the journal needs recovery".
pub const INCOMPAT_FILETYPE: u32 = 0x2;
pub const INCOMPAT_RECOVER: u32 = 0x4;
/// Read-only-compatible features we understand: fewer superblock copies,
/// files over 2 GiB.
pub const RO_COMPAT_SPARSE_SUPER: u32 = 0x1;
pub const RO_COMPAT_LARGE_FILE: u32 = 0x2;

const INCOMPAT_KNOWN: u32 = INCOMPAT_FILETYPE | INCOMPAT_RECOVER;
const RO_COMPAT_KNOWN: u32 = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE;

/// The superblock's 1024 raw bytes.
#[derive(Clone)]
pub struct Superblock {
    pub raw: Vec<u8>,
}

impl Superblock {
    pub(crate) fn get(&self, at: usize) -> u32 {
        le32(&self.raw, at)
    }
    pub(crate) fn set(&mut self, at: usize, v: u32) {
        set_le32(&mut self.raw, at, v)
    }
    pub(crate) fn get16(&self, at: usize) -> u16 {
        le16(&self.raw, at)
    }
    pub(crate) fn set16(&mut self, at: usize, v: u16) {
        set_le16(&mut self.raw, at, v)
    }
    pub fn has_compat(&self, bit: u32) -> bool {
        self.get(FEATURE_COMPAT) & bit != 0
    }
    pub fn has_incompat(&self, bit: u32) -> bool {
        self.get(FEATURE_INCOMPAT) & bit != 0
    }
    pub(crate) fn set_incompat(&mut self, bit: u32, on: bool) {
        let v = self.get(FEATURE_INCOMPAT);
        self.set(FEATURE_INCOMPAT, if on { v | bit } else { v & !bit });
    }
}

/// The checked geometry of a file system.
#[derive(Clone, Copy, Debug)]
pub struct Geometry {
    pub block_size: u32,
    pub blocks_count: u32,
    pub first_data_block: u32,
    pub blocks_per_group: u32,
    pub inodes_per_group: u32,
    pub inodes_count: u32,
    pub inode_size: u32,
    pub first_ino: u32,
    pub groups: u32,
    /// Blocks the group descriptor table takes.
    pub gdt_blocks: u32,
    /// Blocks of inode table per group.
    pub itable_blocks: u32,
    pub filetype: bool,
    pub sparse_super: bool,
}

impl Geometry {
    /// Checks the superblock and derives the geometry; `disk_bytes` is the size
    /// of the device (the file system must fit on it).
    pub fn of(sb: &Superblock, disk_bytes: u64) -> Result<Geometry> {
        if sb.get16(MAGIC_AT) != MAGIC {
            return Err(corrupt("no ext2 superblock (bad magic number)"));
        }
        let rev = sb.get(REV_LEVEL);
        if rev > 1 {
            return Err(corrupt("unknown ext2 revision"));
        }
        let incompat = sb.get(FEATURE_INCOMPAT);
        if incompat & !INCOMPAT_KNOWN != 0 {
            return Err(Error::new(
                crate::Errno::EINVAL,
                "unsupported incompatible feature (extents, 64bit, flex_bg, ... are ext4's)",
            ));
        }
        if sb.get(FEATURE_RO_COMPAT) & !RO_COMPAT_KNOWN != 0 {
            return Err(Error::new(
                crate::Errno::EROFS,
                "unsupported read-only-compatible feature (checksums, huge files, ...)",
            ));
        }
        let log = sb.get(LOG_BLOCK_SIZE);
        if log > 6 {
            return Err(corrupt("block size over 64 KiB"));
        }
        let bs = 1024u32 << log;
        let blocks_count = sb.get(BLOCKS_COUNT);
        let fdb = sb.get(FIRST_DATA_BLOCK);
        let bpg = sb.get(BLOCKS_PER_GROUP);
        let ipg = sb.get(INODES_PER_GROUP);
        let (isz, first_ino) = if rev == 0 {
            (128, 11)
        } else {
            (u32::from(sb.get16(INODE_SIZE)), sb.get(FIRST_INO))
        };
        if fdb != u32::from(bs == 1024) {
            return Err(corrupt("first data block does not match the block size"));
        }
        if bpg < 8 || bpg > 8 * bs || !bpg.is_multiple_of(8) {
            return Err(corrupt("blocks per group out of range"));
        }
        if ipg == 0 || ipg > 8 * bs {
            return Err(corrupt("inodes per group out of range"));
        }
        if !isz.is_power_of_two() || isz < 128 || isz > bs {
            return Err(corrupt("inode size out of range"));
        }
        if blocks_count <= fdb + 1 {
            return Err(corrupt("too few blocks"));
        }
        let groups = (blocks_count - fdb).div_ceil(bpg);
        let inodes_count = sb.get(INODES_COUNT);
        if u64::from(groups) * u64::from(ipg) != u64::from(inodes_count) {
            return Err(corrupt("inode count does not match the groups"));
        }
        if first_ino < 11 || first_ino >= inodes_count {
            return Err(corrupt("first non-reserved inode out of range"));
        }
        if u64::from(blocks_count) * u64::from(bs) > disk_bytes {
            return Err(Error::new(
                crate::Errno::EIO,
                "the file system is larger than the disk",
            ));
        }
        // In 64 bits: hostile values must not overflow.
        let gdt_blocks = (u64::from(groups) * 32).div_ceil(u64::from(bs));
        let itable_blocks = (u64::from(ipg) * u64::from(isz)).div_ceil(u64::from(bs));
        if u64::from(fdb) + 1 + gdt_blocks >= u64::from(blocks_count) {
            return Err(corrupt("group descriptors beyond the last block"));
        }
        if itable_blocks >= u64::from(bpg) {
            return Err(corrupt("inode table larger than a group"));
        }
        let (gdt_blocks, itable_blocks) = (gdt_blocks as u32, itable_blocks as u32);
        Ok(Geometry {
            block_size: bs,
            blocks_count,
            first_data_block: fdb,
            blocks_per_group: bpg,
            inodes_per_group: ipg,
            inodes_count,
            inode_size: isz,
            first_ino,
            groups,
            gdt_blocks,
            itable_blocks,
            filetype: incompat & INCOMPAT_FILETYPE != 0,
            sparse_super: sb.get(FEATURE_RO_COMPAT) & RO_COMPAT_SPARSE_SUPER != 0,
        })
    }

    /// The first block of group `g`.
    pub fn group_start(&self, g: u32) -> u32 {
        self.first_data_block + g * self.blocks_per_group
    }

    /// How many blocks group `g` has (the last one may be short).
    pub fn group_blocks(&self, g: u32) -> u32 {
        (self.blocks_count - self.group_start(g)).min(self.blocks_per_group)
    }

    /// Whether group `g` holds a copy of the superblock and descriptors.
    pub fn has_super(&self, g: u32) -> bool {
        if !self.sparse_super || g <= 1 {
            return true;
        }
        [3u32, 5, 7].iter().any(|&p| {
            let mut n = p;
            while n < g {
                n = n.saturating_mul(p);
            }
            n == g
        })
    }

    /// Whether `b` is a block number inside the file system's data area.
    pub fn valid_block(&self, b: u32) -> bool {
        b >= self.first_data_block && b < self.blocks_count
    }

    /// Whether `ino` names an inode (1-based).
    pub fn valid_inode(&self, ino: u32) -> bool {
        ino >= 1 && ino <= self.inodes_count
    }

    /// Sectors per block.
    pub fn sectors_per_block(&self) -> u64 {
        u64::from(self.block_size) / crate::device::SECTOR as u64
    }
}
