//! The shell's file system commands: `df` and `sync`.
//!
//! `df` asks each mounted file system for its `statfs` figures and shows
//! where it is mounted, its type, its size, used and free space in KiB, like
//! Linux's `df`, and its inodes. `sync` commits every mounted file system's
//! running transaction (through its journal, for ext2) and writes the block
//! cache back: after it, a power cut loses nothing done before.
//! `shutdown` and `reboot` sync the same way before the power goes
//! ([`sync_before_power_off`]): without it, whatever was written since the
//! last commit would be lost.

use super::error::{Error, Result, no_args};
use crate::block::{cache, disk};
use crate::fs::vfs;
use crate::println;
use alloc::format;
use alloc::string::String;

/// The name `df` shows for a file system's magic number.
fn type_name(magic: u64) -> &'static str {
    match magic {
        ext2::vfs::EXT2_MAGIC => "ext2",
        ::vfs::tmpfs::TMPFS_MAGIC => "tmpfs",
        0x9fa0 => "proc",
        _ => "?",
    }
}

pub fn df(args: &[&str]) -> Result {
    no_args(args, "df")?;
    let mounts = vfs::mounts();
    println!("mounted on    type   1K-blocks       used       free  use%    inodes     ifree");
    for id in 0..mounts.len() {
        let path = mounts
            .path_of(mounts.root_of(id))
            .map(|p| String::from_utf8_lossy(&p).into_owned())
            .unwrap_or_else(|_| String::from("?"));
        let s = mounts
            .fs(id)
            .statfs()
            .map_err(|e| Error::Text(format!("statfs {path}: errno {e}")))?;
        let kib = |blocks: u64| blocks * s.block_size / 1024;
        let used = s.blocks.saturating_sub(s.free_blocks);
        let percent = (used * 100).checked_div(s.blocks).unwrap_or(0);
        println!(
            "{path:<13} {:<5} {:>10} {:>10} {:>10} {:>4}% {:>9} {:>9}",
            type_name(s.magic),
            kib(s.blocks),
            kib(used),
            kib(s.free_blocks),
            percent,
            s.files,
            s.free_files,
        );
    }
    Ok(())
}

pub fn sync(args: &[&str]) -> Result {
    no_args(args, "sync")?;
    sync_all()
}

/// Syncs everything before `what` ("shutdown", "reboot") and says so; if
/// the sync fails it says that instead (the machine goes off all the same:
/// the journal keeps the disk consistent, losing only the unsynced work).
pub fn sync_before_power_off(what: &str) {
    match sync_all() {
        Ok(()) => println!("Synced the file systems and the disk cache before {what}."),
        Err(e) => {
            println!("error: {what}: sync failed ({e}); changes since the last sync are lost")
        }
    }
}

/// Commits every mounted file system, then writes the block cache back.
fn sync_all() -> Result {
    let mounts = vfs::mounts();
    for id in 0..mounts.len() {
        mounts
            .fs(id)
            .sync()
            .map_err(|e| Error::Text(format!("file system: errno {e}")))?;
    }
    if disk::capacity().is_some() {
        cache::sync().map_err(|e| Error::Text(format!("block cache: {e:?}")))?;
    }
    Ok(())
}
