//! The shell's file system commands: `df` and `sync`.
//!
//! `df` asks each mounted file system for its `statfs` figures (so far the
//! one on the disk, found at boot) and shows size, used and free space in
//! KiB, like Linux's `df`, plus the inodes. `sync` commits every mounted file
//! system's running transaction through its journal and writes the block
//! cache back: after it, a power cut loses nothing done before.

use super::error::{Error, Result, no_args};
use crate::block::{cache, disk};
use crate::fs::disk_root;
use crate::println;
use alloc::format;

pub fn df(args: &[&str]) -> Result {
    no_args(args, "df")?;
    let Some(fs) = disk_root::mounted() else {
        println!("no file system mounted (no disk, or no ext2 on it)");
        return Ok(());
    };
    let s = fs
        .statfs()
        .map_err(|e| Error::Text(format!("statfs: errno {e}")))?;
    let kib = |blocks: u64| blocks * s.block_size / 1024;
    let used = s.blocks.saturating_sub(s.free_blocks);
    let percent = (used * 100).checked_div(s.blocks).unwrap_or(0);
    println!("file system   type   1K-blocks       used       free  use%    inodes     ifree");
    println!(
        "disk          {:<4} {:>11} {:>10} {:>10} {:>4}% {:>9} {:>9}",
        if s.magic == ext2::vfs::EXT2_MAGIC {
            "ext2"
        } else {
            "?"
        },
        kib(s.blocks),
        kib(used),
        kib(s.free_blocks),
        percent,
        s.files,
        s.free_files,
    );
    Ok(())
}

pub fn sync(args: &[&str]) -> Result {
    no_args(args, "sync")?;
    if let Some(fs) = disk_root::mounted() {
        fs.sync()
            .map_err(|e| Error::Text(format!("file system: errno {e}")))?;
    }
    if disk::capacity().is_some() {
        cache::sync().map_err(|e| Error::Text(format!("block cache: {e:?}")))?;
    }
    Ok(())
}
