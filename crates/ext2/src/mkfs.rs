//! The formatter: lays out an empty ext2 (or ext3, with a journal) file system.
//!
//! The disk is cut into block groups of `8 × block_size` blocks (one bitmap
//! block can describe that many). Each group holds, in order:
//!
//! ```text
//! [superblock copy][descriptor table copy]   only in groups 0, 1, 3^k, 5^k, 7^k
//! [block bitmap][inode bitmap][inode table ...][data blocks ...]
//! ```
//!
//! With 1 KiB blocks, block 0 (the boot block) is outside every group and the
//! superblock is block 1. Bitmap bits past the end of a short last group, and
//! past `inodes_per_group`, are set, as `e2fsck` expects. Inodes 1 to 10 are
//! reserved. Then, through the ordinary file system code: the root directory
//! (inode 2), `lost+found` (inode 11) and, for ext3, the journal (inode 8).
//!
//! The result passes `e2fsck -fn`; the runner uses this to build Kestrel's
//! disk image without e2fsprogs.

use crate::device::{BlockDevice, SECTOR};
use crate::error::{Errno, Error, Result};
use crate::fs::{Fs, ROOT, read_superblock};
use crate::group::GroupDesc;
use crate::inode::{Inode, S_IFDIR, S_IFREG};
use crate::journal;
use crate::raw::set_be32;
use crate::superblock::{self as sbk, Geometry, Superblock};
use alloc::vec;

/// How to format.
#[derive(Clone, Debug)]
pub struct Options {
    /// 1024, 2048 or 4096 (a group's counters are 16 bits, so larger blocks
    /// would need shorter groups).
    pub block_size: u32,
    /// Inodes wanted (0: one per 8 KiB of disk).
    pub inodes: u32,
    /// Journal length in blocks (0: plain ext2; otherwise at least 1024).
    pub journal_blocks: u32,
    /// 128 or 256.
    pub inode_size: u32,
    pub uuid: [u8; 16],
    pub label: [u8; 16],
    /// Seconds since 1970, for the times written.
    pub now: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            block_size: 1024,
            inodes: 0,
            journal_blocks: 1024,
            inode_size: 128,
            uuid: *b"Kestrel-ext2-fs!",
            label: [0; 16],
            now: 0,
        }
    }
}

fn invalid(what: &'static str) -> Error {
    Error::new(Errno::EINVAL, what)
}

/// The numbers of the layout, before anything is written.
fn plan(disk_bytes: u64, o: &Options) -> Result<Superblock> {
    let bs = o.block_size;
    if !bs.is_power_of_two() || !(1024..=4096).contains(&bs) {
        return Err(invalid("block size must be 1024, 2048 or 4096"));
    }
    if !o.inode_size.is_power_of_two() || o.inode_size < 128 || o.inode_size > bs {
        return Err(invalid(
            "inode size must be 128, 256, ... up to the block size",
        ));
    }
    let fdb = u32::from(bs == 1024);
    let mut blocks = u32::try_from(disk_bytes / u64::from(bs)).unwrap_or(u32::MAX);
    let bpg = 8 * bs;
    let isz = o.inode_size;
    let per_itable_block = bs / isz;
    let size_groups = |blocks: u32| (blocks.saturating_sub(fdb)).div_ceil(bpg).max(1);
    let mut groups = size_groups(blocks);
    let wanted = if o.inodes != 0 {
        u64::from(o.inodes)
    } else {
        (u64::from(blocks) * u64::from(bs) / 8192).max(64)
    };
    let ipg_for = |groups: u32| -> u32 {
        let ipg = wanted
            .div_ceil(u64::from(groups))
            .max(16)
            .min(u64::from(8 * bs)) as u32;
        ipg.div_ceil(per_itable_block).max(1) * per_itable_block
    };
    let mut ipg = ipg_for(groups);
    // A last group too small for its own metadata is left out.
    loop {
        let gdt = (groups * 32).div_ceil(bs);
        let last = blocks - fdb - (groups - 1) * bpg;
        let overhead = gdt + 3 + ipg * isz / bs;
        if last >= overhead + 16 {
            break;
        }
        if groups == 1 {
            return Err(invalid("disk too small for a file system"));
        }
        blocks = fdb + (groups - 1) * bpg;
        groups -= 1;
        ipg = ipg_for(groups);
    }
    let mut sb = Superblock {
        raw: vec![0; sbk::SIZE],
    };
    sb.set(sbk::INODES_COUNT, ipg * groups);
    sb.set(sbk::BLOCKS_COUNT, blocks);
    sb.set(sbk::FIRST_DATA_BLOCK, fdb);
    sb.set(sbk::LOG_BLOCK_SIZE, bs.trailing_zeros() - 10);
    sb.set(sbk::LOG_FRAG_SIZE, bs.trailing_zeros() - 10);
    sb.set(sbk::BLOCKS_PER_GROUP, bpg);
    sb.set(sbk::FRAGS_PER_GROUP, bpg);
    sb.set(sbk::INODES_PER_GROUP, ipg);
    sb.set(sbk::WTIME, o.now);
    sb.set(sbk::LASTCHECK, o.now);
    sb.set(sbk::MKFS_TIME, o.now);
    sb.set16(sbk::MAX_MNT_COUNT, 0xFFFF);
    sb.set16(sbk::MAGIC_AT, sbk::MAGIC);
    sb.set16(sbk::STATE, 1);
    sb.set16(sbk::ERRORS, 1);
    sb.set(sbk::REV_LEVEL, 1);
    sb.set(sbk::FIRST_INO, 11);
    sb.set16(sbk::INODE_SIZE, isz as u16);
    sb.set(sbk::FEATURE_INCOMPAT, sbk::INCOMPAT_FILETYPE);
    sb.set(
        sbk::FEATURE_RO_COMPAT,
        sbk::RO_COMPAT_SPARSE_SUPER | sbk::RO_COMPAT_LARGE_FILE,
    );
    sb.raw[sbk::UUID..sbk::UUID + 16].copy_from_slice(&o.uuid);
    sb.raw[sbk::VOLUME_NAME..sbk::VOLUME_NAME + 16].copy_from_slice(&o.label);
    if isz > 128 {
        sb.set16(0x15C, 32); // s_min_extra_isize
        sb.set16(0x15E, 32); // s_want_extra_isize
    }
    Ok(sb)
}

fn set_bits(bits: &mut [u8], range: core::ops::Range<u32>) {
    for i in range {
        bits[(i / 8) as usize] |= 1 << (i % 8);
    }
}

/// Writes the groups: superblock and descriptor copies, bitmaps, zeroed
/// inode tables; fills in the free counts.
fn write_groups<D: BlockDevice>(dev: &mut D, sb: &mut Superblock, geo: &Geometry) -> Result<()> {
    let bs = geo.block_size as usize;
    let spb = geo.sectors_per_block();
    let put = |dev: &mut D, b: u32, data: &[u8]| dev.write(u64::from(b) * spb, data);
    let mut descs = vec![0u8; geo.gdt_blocks as usize * bs];
    let (mut free_blocks, mut free_inodes) = (0, 0);
    for g in 0..geo.groups {
        let start = geo.group_start(g);
        let meta = if geo.has_super(g) {
            1 + geo.gdt_blocks
        } else {
            0
        };
        let d = GroupDesc {
            block_bitmap: start + meta,
            inode_bitmap: start + meta + 1,
            inode_table: start + meta + 2,
            free_blocks: 0,
            free_inodes: 0,
            used_dirs: 0,
        };
        let used = meta + 2 + geo.itable_blocks;
        let n = geo.group_blocks(g);
        let mut bits = vec![0u8; bs];
        set_bits(&mut bits, 0..used);
        set_bits(&mut bits, n..8 * bs as u32);
        put(dev, d.block_bitmap, &bits)?;
        let mut ibits = vec![0u8; bs];
        let reserved = if g == 0 { geo.first_ino - 1 } else { 0 };
        set_bits(&mut ibits, 0..reserved);
        set_bits(&mut ibits, geo.inodes_per_group..8 * bs as u32);
        put(dev, d.inode_bitmap, &ibits)?;
        let zero = vec![0u8; bs];
        for t in 0..geo.itable_blocks {
            put(dev, d.inode_table + t, &zero)?;
        }
        let d = GroupDesc {
            free_blocks: (n - used) as u16,
            free_inodes: (geo.inodes_per_group - reserved) as u16,
            ..d
        };
        free_blocks += n - used;
        free_inodes += geo.inodes_per_group - reserved;
        d.store(&mut descs[g as usize * 32..g as usize * 32 + 32]);
    }
    sb.set(sbk::FREE_BLOCKS, free_blocks);
    sb.set(sbk::FREE_INODES, free_inodes);
    for g in (0..geo.groups).filter(|&g| geo.has_super(g)) {
        let start = geo.group_start(g);
        sb.set16(sbk::BLOCK_GROUP_NR, g as u16);
        let mut block = vec![0u8; bs];
        if g == 0 && bs > 1024 {
            // The superblock shares block 0 with the boot sector.
            dev.read(0, &mut block[..1024])?;
            block[1024..2048].copy_from_slice(&sb.raw);
        } else {
            block[..1024].copy_from_slice(&sb.raw);
        }
        put(dev, start, &block)?;
        for (k, chunk) in descs.chunks(bs).enumerate() {
            put(dev, start + 1 + k as u32, chunk)?;
        }
    }
    sb.set16(sbk::BLOCK_GROUP_NR, 0);
    dev.flush()
}

/// Formats `dev`, returning it with an empty file system (root directory and
/// `lost+found`, and the journal if asked for).
pub fn mkfs<D: BlockDevice>(mut dev: D, o: &Options) -> Result<D> {
    let disk_bytes = dev.sectors().saturating_mul(SECTOR as u64);
    let mut sb = plan(disk_bytes, o)?;
    let geo = Geometry::of(&sb, disk_bytes)?;
    if o.journal_blocks != 0 && o.journal_blocks < 1024 {
        return Err(invalid("a journal needs at least 1024 blocks"));
    }
    write_groups(&mut dev, &mut sb, &geo)?;
    let mut fs = Fs::mount(dev)?;
    fs.set_time(o.now);
    make_root(&mut fs)?;
    fs.mkdir(ROOT, b"lost+found", 0o700)?;
    if o.journal_blocks != 0 {
        make_journal(&mut fs, o)?;
    }
    fs.unmount()
}

fn make_root<D: BlockDevice>(fs: &mut Fs<D>) -> Result<()> {
    fs.op(|fs| {
        let mut root = Inode::new(fs.geo.inode_size as usize, S_IFDIR | 0o755, fs.now);
        root.set_links(2);
        let (b, _) = fs.bmap_alloc(&mut root, 0, 0)?;
        let block = fs.dot_block(ROOT, ROOT);
        fs.io.write(b, &block);
        root.set_size(u64::from(fs.geo.block_size));
        fs.write_inode(ROOT, &root)?;
        fs.count(0, 0, 0, 1)
    })
}

/// The journal inode's number.
const JOURNAL_INO: u32 = 8;

fn make_journal<D: BlockDevice>(fs: &mut Fs<D>, o: &Options) -> Result<()> {
    let bs = fs.io.bs;
    let n = o.journal_blocks;
    if u64::from(n) * 2 > u64::from(fs.geo.blocks_count) {
        return Err(invalid("journal larger than half the disk"));
    }
    let mut j = Inode::new(fs.geo.inode_size as usize, S_IFREG | 0o600, o.now);
    let zero = vec![0u8; bs];
    let mut goal = 0;
    let mut first = 0;
    for i in 0..n {
        let (b, _) = fs.bmap_alloc(&mut j, u64::from(i), goal)?;
        goal = b + 1;
        if i == 0 {
            first = b;
        } else {
            fs.io.write(b, &zero);
        }
        if fs.io.dirty.len() >= 1024 {
            fs.write_inode(JOURNAL_INO, &j)?;
            fs.sync()?;
        }
    }
    j.set_size(u64::from(n) * bs as u64);
    fs.write_inode(JOURNAL_INO, &j)?;
    let mut jsb = vec![0u8; bs];
    set_be32(&mut jsb, 0, journal::MAGIC);
    set_be32(&mut jsb, 4, journal::SUPERBLOCK_V2);
    set_be32(&mut jsb, 0x0C, bs as u32);
    set_be32(&mut jsb, 0x10, n);
    set_be32(&mut jsb, 0x14, 1);
    set_be32(&mut jsb, 0x18, 1);
    jsb[0x30..0x40].copy_from_slice(&o.uuid);
    set_be32(&mut jsb, 0x40, 1); // s_nr_users
    fs.io.write(first, &jsb);
    // The superblock: has_journal, inode 8, and a backup of its block map.
    let compat = fs.sb_get(sbk::FEATURE_COMPAT)?;
    fs.sb_set(sbk::FEATURE_COMPAT, compat | sbk::COMPAT_HAS_JOURNAL)?;
    fs.sb_set(sbk::JOURNAL_INUM, JOURNAL_INO)?;
    for k in 0..15 {
        fs.sb_set(sbk::JNL_BLOCKS + 4 * k, j.block(k))?;
    }
    fs.sb_set(sbk::JNL_BLOCKS + 4 * 15, (j.size() >> 32) as u32)?;
    fs.sb_set(sbk::JNL_BLOCKS + 4 * 16, j.size() as u32)?;
    let (b, off) = (
        if bs == 1024 { 1 } else { 0 },
        if bs == 1024 { 0 } else { 1024 },
    );
    fs.io.modify(b)?[off + sbk::JNL_BACKUP_TYPE] = 1;
    fs.sync()?;
    // Check what we wrote reads back as a journal.
    let sb = read_superblock(&mut fs.io.dev)?;
    if !sb.has_compat(sbk::COMPAT_HAS_JOURNAL) {
        return Err(Error::new(
            Errno::EIO,
            "journal flag did not reach the disk",
        ));
    }
    Ok(())
}
