//! Block group descriptors: where each group's bitmaps and inode table are.
//!
//! The descriptor table follows the superblock (in the block after the one
//! holding it) and has one 32-byte entry per group:
//!
//! ```text
//! 0x00 block bitmap   0x04 inode bitmap   0x08 first inode table block
//! 0x0C free blocks    0x0E free inodes    0x10 directories (u16 each)
//! ```
//!
//! The counters are kept exact: `e2fsck` recounts them from the bitmaps.

use crate::error::{Result, corrupt};
use crate::raw::{le16, le32, set_le16, set_le32};
use crate::superblock::Geometry;

pub(crate) const DESC_SIZE: usize = 32;
pub(crate) const BLOCK_BITMAP: usize = 0x00;
pub(crate) const INODE_BITMAP: usize = 0x04;
pub(crate) const INODE_TABLE: usize = 0x08;
pub(crate) const FREE_BLOCKS: usize = 0x0C;
pub(crate) const FREE_INODES: usize = 0x0E;
pub(crate) const USED_DIRS: usize = 0x10;

/// One group's descriptor, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupDesc {
    pub block_bitmap: u32,
    pub inode_bitmap: u32,
    pub inode_table: u32,
    pub free_blocks: u16,
    pub free_inodes: u16,
    pub used_dirs: u16,
}

impl GroupDesc {
    pub(crate) fn parse(b: &[u8]) -> GroupDesc {
        GroupDesc {
            block_bitmap: le32(b, BLOCK_BITMAP),
            inode_bitmap: le32(b, INODE_BITMAP),
            inode_table: le32(b, INODE_TABLE),
            free_blocks: le16(b, FREE_BLOCKS),
            free_inodes: le16(b, FREE_INODES),
            used_dirs: le16(b, USED_DIRS),
        }
    }

    /// Writes the fields into a descriptor's bytes (others are left alone).
    pub(crate) fn store(&self, b: &mut [u8]) {
        set_le32(b, BLOCK_BITMAP, self.block_bitmap);
        set_le32(b, INODE_BITMAP, self.inode_bitmap);
        set_le32(b, INODE_TABLE, self.inode_table);
        set_le16(b, FREE_BLOCKS, self.free_blocks);
        set_le16(b, FREE_INODES, self.free_inodes);
        set_le16(b, USED_DIRS, self.used_dirs);
    }

    /// Checks that the bitmaps and inode table lie inside the file system.
    pub(crate) fn check(&self, geo: &Geometry) -> Result<()> {
        let table_end = self.inode_table.checked_add(geo.itable_blocks);
        let ok = geo.valid_block(self.block_bitmap)
            && geo.valid_block(self.inode_bitmap)
            && geo.valid_block(self.inode_table)
            && table_end.is_some_and(|e| e <= geo.blocks_count);
        if ok {
            Ok(())
        } else {
            Err(corrupt("group descriptor points outside the file system"))
        }
    }
}

/// Where group `g`'s descriptor is: (block, byte offset in it).
pub(crate) fn location(geo: &Geometry, g: u32) -> (u32, usize) {
    let byte = g as usize * DESC_SIZE;
    let bs = geo.block_size as usize;
    (geo.first_data_block + 1 + (byte / bs) as u32, byte % bs)
}
