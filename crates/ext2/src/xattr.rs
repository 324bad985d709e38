//! Extended-attribute blocks: kept as they are, freed with their inode.
//!
//! Linux can store a file's extended attributes (ACLs, security labels) in
//! one extra block that the inode names in `i_file_acl` and counts in
//! `i_blocks`. Identical attribute sets are shared between inodes, so the
//! block starts with a header: magic `EA020000` and a reference count. This
//! crate does not read or write attributes; it only drops its reference when
//! an inode goes, freeing the block with the last one, so disks from Linux
//! stay consistent.

use crate::device::BlockDevice;
use crate::error::{Result, corrupt};
use crate::fs::Fs;
use crate::inode::{FILE_ACL, Inode};
use crate::raw::{le32, set_le32};

const MAGIC: u32 = 0xEA02_0000;

impl<D: BlockDevice> Fs<D> {
    /// Drops inode's reference to its attribute block, if it has one.
    pub(crate) fn drop_xattr_block(&mut self, inode: &mut Inode) -> Result<()> {
        let b = le32(&inode.raw, FILE_ACL);
        if b == 0 {
            return Ok(());
        }
        if !self.geo.valid_block(b) {
            return Err(corrupt("attribute block out of range"));
        }
        let block = self.io.read_vec(b)?;
        if le32(&block, 0) != MAGIC {
            return Err(corrupt("attribute block without its magic number"));
        }
        match le32(&block, 4) {
            0 | 1 => self.free_block(b)?,
            n => set_le32(self.io.modify(b)?, 4, n - 1),
        }
        inode.set_sectors(inode.sectors().saturating_sub(self.geo.block_size / 512));
        set_le32(&mut inode.raw, FILE_ACL, 0);
        Ok(())
    }
}
