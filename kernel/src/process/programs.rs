//! Where `execve` finds programs: a path, resolved in the VFS.
//!
//! The path is walked from the calling process's current directory (links
//! followed, `/proc/self/exe` too); the file must be a regular file with an
//! execute bit (else `EACCES`, as Linux says to root), and its bytes are
//! read whole (or taken from `program_cache.rs`, which keeps the last few
//! programs read). A test kernel may also *register* programs of its own: a
//! path and the program's bytes, which live as long as the kernel; a
//! registered path is found first.

use super::program_cache;
use crate::sync::IrqMutex;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use linux_raw_sys::errno::{EACCES, EFBIG, ENOMEM};
use vfs::{Errno, Kind};

static PROGRAMS: IrqMutex<BTreeMap<&'static [u8], &'static [u8]>> = IrqMutex::new(BTreeMap::new());

/// The largest program file read (more than the memory we run in).
const MAX_PROGRAM: u64 = 256 << 20;

/// Makes `bytes` the program at `path` (replacing any before).
pub fn register(path: &'static [u8], bytes: &'static [u8]) {
    PROGRAMS.lock().insert(path, bytes);
}

/// A program found: its absolute path (without links) and its bytes.
pub struct Program {
    pub path: Vec<u8>,
    pub bytes: Bytes,
}

/// A program's bytes: registered for the kernel's lifetime, or read from
/// its file (and shared with the program cache).
pub enum Bytes {
    Registered(&'static [u8]),
    Read(Arc<Vec<u8>>),
}

impl core::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Registered(bytes) => bytes,
            Bytes::Read(bytes) => bytes,
        }
    }
}

/// The program at `path` (see the module docs).
pub fn find(path: &[u8]) -> Result<Program, Errno> {
    if let Some(bytes) = PROGRAMS.lock().get(path).copied() {
        return Ok(Program {
            path: path.to_vec(),
            bytes: Bytes::Registered(bytes),
        });
    }
    let mounts = crate::fs::vfs::mounts();
    let start = super::files::cwd();
    let (at, full) = mounts.resolve_with_path(start, path)?;
    let fs = mounts.fs(at.mount);
    let meta = fs.metadata(at.ino)?;
    if meta.kind() != Some(Kind::File) || meta.mode & 0o111 == 0 {
        return Err(EACCES);
    }
    if meta.size > MAX_PROGRAM {
        return Err(EFBIG);
    }
    if let Some(bytes) = program_cache::get(at, &meta) {
        return Ok(Program {
            path: full,
            bytes: Bytes::Read(bytes),
        });
    }
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(meta.size as usize)
        .map_err(|_| ENOMEM)?;
    bytes.resize(meta.size as usize, 0);
    let mut done = 0;
    while done < bytes.len() {
        match fs.read(at.ino, done as u64, &mut bytes[done..])? {
            0 => break,
            n => done += n,
        }
    }
    bytes.truncate(done);
    let bytes = Arc::new(bytes);
    program_cache::keep(at, &meta, bytes.clone());
    Ok(Program {
        path: full,
        bytes: Bytes::Read(bytes),
    })
}
