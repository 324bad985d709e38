//! Mounting the disk's ext2 file system at boot.
//!
//! An ext2 disk says so in its superblock, the 1024 bytes from byte 1024:
//! the magic number `0xEF53` sits at byte 56 of it (byte 1080 of the disk),
//! and byte 24 holds the block size as a power of two (`1024 << n`). Booting
//! reads those two sectors straight from the disk, sets the block cache to
//! the file system's block size (so every later request is whole blocks),
//! and lets `crates/ext2` mount it, which checks every structure it reads and
//! replays a journal left by a crash. The result is shared as a
//! `vfs::FileSystem` (`ext2::Ext2`) and mounted at `/` (`fs::vfs::mount_root`).
//!
//! A disk without ext2, or one the crate refuses as damaged, gives a boot
//! line saying why, and the system runs without it.
//!
//! The file system's lock is held across disk reads, during which the thread
//! sleeps: it is the sleeping [`Mutex`], wrapped as an `ext2::Lock`.

use crate::block::ext2_disk::CachedDisk;
use crate::block::{cache, disk};
use crate::tasks::mutex::Mutex;
use crate::{println, time};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};
use ext2::{Ext2, Fs};

/// The sleeping mutex as the lock around the ext2 `Fs`.
pub struct SleepLock<T>(Mutex<T>);

impl<T: Send> ext2::Lock<T> for SleepLock<T> {
    fn new(value: T) -> Self {
        SleepLock(Mutex::new(value))
    }
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.0.lock())
    }
}

/// The disk's file system, as the kernel holds it.
pub type DiskFs = Ext2<CachedDisk, SleepLock<Fs<CachedDisk>>>;

/// Why the disk was not mounted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotMounted {
    /// No disk is attached.
    NoDisk,
    /// The disk does not carry an ext2 superblock.
    NotExt2,
    /// The superblock's block size is not one ext2 uses.
    BadBlockSize(u32),
    /// Reading the superblock failed.
    Unreadable,
    /// The ext2 crate refused the disk (damaged, unsupported, ...).
    Refused(ext2::Error),
}

/// Where the superblock is, and what in it identifies ext2.
const SUPERBLOCK_SECTOR: u64 = 2;
const MAGIC_AT: usize = 56;
const LOG_BLOCK_SIZE_AT: usize = 24;
const MAGIC: u16 = 0xEF53;

/// The file system's block size, if the disk carries an ext2 superblock.
fn probe() -> Result<usize, NotMounted> {
    disk::capacity().ok_or(NotMounted::NoDisk)?;
    let mut sb = [0u8; 1024];
    disk::read(SUPERBLOCK_SECTOR, &mut sb).map_err(|_| NotMounted::Unreadable)?;
    if u16::from_le_bytes([sb[MAGIC_AT], sb[MAGIC_AT + 1]]) != MAGIC {
        return Err(NotMounted::NotExt2);
    }
    let log = u32::from_le_bytes(
        sb[LOG_BLOCK_SIZE_AT..LOG_BLOCK_SIZE_AT + 4]
            .try_into()
            .unwrap(),
    );
    if log > 2 {
        // ext2 blocks are 1, 2 or 4 KiB here (as crates/ext2 formats them).
        return Err(NotMounted::BadBlockSize(log));
    }
    Ok(1024 << log)
}

/// Mounts the disk's ext2 file system (replaying its journal if needed).
pub fn mount() -> Result<Arc<DiskFs>, NotMounted> {
    let block_size = probe()?;
    cache::configure(block_size).map_err(|_| NotMounted::Unreadable)?;
    start_clock();
    let mut fs = Fs::mount(CachedDisk).map_err(NotMounted::Refused)?;
    fs.set_time(now() as u32);
    Ok(Arc::new(Ext2::new(fs, now)))
}

/// Mounts the disk at boot, prints what happened, and hands the file system
/// to the VFS, which puts it at `/` (`fs::vfs::mount_root`).
pub fn mount_at_boot() {
    match mount() {
        Ok(fs) => {
            print_mounted(&fs);
            super::vfs::mount_root(fs);
        }
        Err(NotMounted::NoDisk) => {}
        Err(why) => print_not_mounted(why),
    }
}

fn print_mounted(fs: &DiskFs) {
    let (bytes, free, bs, journal, replayed) = fs.with_fs(|fs| {
        let s = fs.statfs().ok();
        let bs = u64::from(fs.geometry().block_size);
        (
            u64::from(fs.geometry().blocks_count) * bs,
            s.map_or(0, |s| u64::from(s.free_blocks) * bs),
            bs,
            fs.journal_blocks(),
            fs.replayed(),
        )
    });
    let journal = if journal > 0 {
        alloc::format!("journal of {journal} blocks, {replayed} transactions replayed")
    } else {
        "no journal".into()
    };
    println!(
        "File system:  ext2 on the disk, {} MiB ({} MiB free), {bs}-byte blocks, {journal}",
        bytes >> 20,
        free >> 20,
    );
    let orphans = fs.with_fs(|fs| fs.orphans_freed());
    if orphans > 0 {
        println!("File system:  freed {orphans} files left open without a name (the orphan list)");
    }
}

fn print_not_mounted(why: NotMounted) {
    match why {
        NotMounted::NoDisk => {}
        NotMounted::NotExt2 => {
            println!("File system:  none (the disk carries no ext2 superblock)")
        }
        NotMounted::BadBlockSize(log) => println!(
            "File system:  ext2 not mounted: block size 1024 << {log} is not supported; booting without it"
        ),
        NotMounted::Unreadable => {
            println!("File system:  not mounted: the superblock could not be read")
        }
        NotMounted::Refused(e) => {
            println!("File system:  ext2 not mounted: {e}; booting without it")
        }
    }
}

/// The wall clock for inode times: the RTC read once, then the TSC.
static BOOT_UNIX: AtomicU64 = AtomicU64::new(0);
static BOOT_NS: AtomicU64 = AtomicU64::new(0);

fn start_clock() {
    let unix = crate::drivers::rtc::unix_seconds().unwrap_or(0);
    BOOT_NS.store(time::now_ns(), Ordering::Relaxed);
    BOOT_UNIX.store(unix, Ordering::Relaxed);
}

/// Seconds since 1970.
fn now() -> u64 {
    let since = time::now_ns().saturating_sub(BOOT_NS.load(Ordering::Relaxed));
    BOOT_UNIX.load(Ordering::Relaxed) + since / 1_000_000_000
}
