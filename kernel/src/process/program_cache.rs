//! The program cache: the bytes of the last few programs `execve` read.
//!
//! `execve` reads a program file whole before loading it. For a program on
//! the ext2 disk that is one disk request per 1 KiB block, because the
//! block cache below (`block::cache`) is far smaller than a big program:
//! busybox (1.9 MiB) would be read from the disk again at every `execve`,
//! and busybox's shell starts most commands by re-executing itself through
//! `/proc/self/exe`. So, as Linux keeps a running program's pages in its page
//! cache, we keep the bytes of the last [`ENTRIES`] programs read.
//!
//! An entry is found by the file's identity *and version*: mount, inode,
//! size, modification and change times. A program written again since is
//! read again (a write changes the times; a rewrite within the times'
//! resolution that keeps the same size would not be seen: tools that
//! replace programs write a new file and rename it, which changes the
//! inode). Only files of at most [`LARGEST`] bytes are kept.

use crate::sync::IrqMutex;
use alloc::sync::Arc;
use alloc::vec::Vec;
use vfs::{Location, Metadata};

/// How many programs are kept.
pub const ENTRIES: usize = 4;
/// The largest program kept.
pub const LARGEST: u64 = 8 << 20;

/// A file's identity and version.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    at: Location,
    size: u64,
    mtime: u64,
    ctime: u64,
}

impl Key {
    fn of(at: Location, meta: &Metadata) -> Key {
        Key {
            at,
            size: meta.size,
            mtime: meta.mtime,
            ctime: meta.ctime,
        }
    }
}

/// Most recently used last.
static CACHE: IrqMutex<Vec<(Key, Arc<Vec<u8>>)>> = IrqMutex::new(Vec::new());

/// The bytes of the file at `at`, if they are kept for its version `meta`.
pub fn get(at: Location, meta: &Metadata) -> Option<Arc<Vec<u8>>> {
    let key = Key::of(at, meta);
    let mut cache = CACHE.lock();
    let i = cache.iter().position(|(k, _)| *k == key)?;
    let entry = cache.remove(i);
    let bytes = entry.1.clone();
    cache.push(entry);
    Some(bytes)
}

/// Keeps `bytes`, just read from the file at `at` of version `meta`,
/// dropping the least recently used program if the cache is full.
pub fn keep(at: Location, meta: &Metadata, bytes: Arc<Vec<u8>>) {
    if meta.size > LARGEST {
        return;
    }
    let key = Key::of(at, meta);
    let dropped = {
        let mut cache = CACHE.lock();
        cache.retain(|(k, _)| k.at != key.at);
        let dropped = (cache.len() >= ENTRIES).then(|| cache.remove(0));
        cache.push((key, bytes));
        dropped
    };
    // Freed after the lock is released.
    drop(dropped);
}
