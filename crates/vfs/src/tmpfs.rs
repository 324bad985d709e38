//! A RAM file system: every inode lives in memory, in one map.
//!
//! [`TmpFs`] keeps its inodes in a `BTreeMap` from inode number to
//! [`Node`]. A node is its metadata (mode, owner, times, link count) and
//! its contents: the bytes of a file, the names of a directory (and its
//! parent, for `..`), the target of a symbolic link. A directory's names
//! sit in numbered slots ([`DirSlots`]): `readdir`'s cursor is a slot
//! number (plus 2, for `.` and `..`), so resuming a listing costs O(1) per
//! slot, and a name present for the whole listing is listed exactly once
//! however names come and go meanwhile.
//!
//! Link counts follow Unix: a file has one link per name; a directory has
//! two (its name and its own `.`) plus one per subdirectory (their `..`).
//! An inode lives while it has names or holders (open files, current
//! directories: `hold`/`release`): an open file whose last name is removed
//! stays readable and writable, and goes with its memory at the last
//! `release`, as on Linux. A removed directory that is still held stays
//! too (its `..` still leads up), but refuses new names and listing
//! (`ENOENT`).
//!
//! A file's bytes are one `Vec`; growing it asks the allocator first, so
//! running out of memory is `ENOSPC` for the caller, not a kernel abort.
//!
//! All state sits behind one lock, taken by each call for its whole length,
//! so every operation is atomic. Times come from a clock given at creation
//! (seconds since the epoch), or are 0.

use crate::dir_slots::DirSlots;
use crate::filesystem::{DirEntry, FileSystem, Ino, Kind, Metadata, StatFs};
use crate::{Errno, NAME_MAX};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use linux_raw_sys::errno::{
    EEXIST, EFBIG, EINVAL, EISDIR, ENOENT, ENOSPC, ENOTDIR, ENOTEMPTY, EPERM,
};
use spin::Mutex;

/// `f_type` of a tmpfs (Linux's `TMPFS_MAGIC`).
pub const TMPFS_MAGIC: u64 = 0x0102_1994;
/// The largest file (writes beyond are `EFBIG`): 1 GiB is more RAM than we have.
pub const MAX_FILE_SIZE: u64 = 1 << 30;
/// The inode number of the root directory.
pub const ROOT: Ino = 1;

/// What an inode holds.
enum Content {
    File(Vec<u8>),
    Directory {
        parent: Ino,
        names: DirSlots,
    },
    Symlink(Vec<u8>),
    /// Devices, fifos and sockets: only their metadata.
    Special,
}

struct Node {
    meta: Metadata,
    content: Content,
    /// Holders (`FileSystem::hold`): open files, current directories.
    holds: u32,
}

struct Inner {
    nodes: BTreeMap<Ino, Node>,
    next_ino: Ino,
}

/// A file system in RAM (see the module docs).
pub struct TmpFs {
    inner: Mutex<Inner>,
    clock: fn() -> u64,
}

fn no_clock() -> u64 {
    0
}

impl Default for TmpFs {
    fn default() -> Self {
        TmpFs::new()
    }
}

impl TmpFs {
    /// An empty file system (a root directory, mode 0o755), times 0.
    pub fn new() -> TmpFs {
        TmpFs::with_clock(no_clock)
    }

    /// An empty file system whose times come from `clock`.
    pub fn with_clock(clock: fn() -> u64) -> TmpFs {
        let now = clock();
        let root = Node {
            meta: Metadata {
                ino: ROOT,
                mode: Kind::Directory.mode_bits() | 0o755,
                links: 2,
                atime: now,
                mtime: now,
                ctime: now,
                ..Metadata::default()
            },
            content: Content::Directory {
                parent: ROOT,
                names: DirSlots::new(),
            },
            holds: 0,
        };
        let mut nodes = BTreeMap::new();
        nodes.insert(ROOT, root);
        TmpFs {
            inner: Mutex::new(Inner {
                nodes,
                next_ino: ROOT + 1,
            }),
            clock,
        }
    }

    /// How many inodes exist (the root included).
    pub fn inode_count(&self) -> usize {
        self.inner.lock().nodes.len()
    }

    /// Adds a node of `kind` named `name` in `dir`; shared by the create calls.
    fn add(
        &self,
        dir: Ino,
        name: &[u8],
        kind: Kind,
        perm: u32,
        content: Content,
    ) -> Result<Ino, Errno> {
        check_name(name)?;
        let now = (self.clock)();
        let mut inner = self.inner.lock();
        if inner.live_dir_names_mut(dir)?.contains(name) {
            return Err(EEXIST);
        }
        let ino = inner.next_ino;
        inner.next_ino += 1;
        let is_dir = kind == Kind::Directory;
        let meta = Metadata {
            ino,
            mode: kind.mode_bits() | (perm & 0o7777),
            links: if is_dir { 2 } else { 1 },
            atime: now,
            mtime: now,
            ctime: now,
            ..Metadata::default()
        };
        inner.nodes.insert(
            ino,
            Node {
                meta,
                content,
                holds: 0,
            },
        );
        inner.dir_names_mut(dir)?.insert(name, ino);
        let parent = inner.node_mut(dir)?;
        parent.meta.mtime = now;
        parent.meta.ctime = now;
        if is_dir {
            parent.meta.links += 1;
        }
        Ok(ino)
    }
}

impl Inner {
    fn node(&self, ino: Ino) -> Result<&Node, Errno> {
        self.nodes.get(&ino).ok_or(ENOENT)
    }

    fn node_mut(&mut self, ino: Ino) -> Result<&mut Node, Errno> {
        self.nodes.get_mut(&ino).ok_or(ENOENT)
    }

    fn dir_names(&self, dir: Ino) -> Result<&DirSlots, Errno> {
        match &self.node(dir)?.content {
            Content::Directory { names, .. } => Ok(names),
            _ => Err(ENOTDIR),
        }
    }

    fn dir_names_mut(&mut self, dir: Ino) -> Result<&mut DirSlots, Errno> {
        match &mut self.node_mut(dir)?.content {
            Content::Directory { names, .. } => Ok(names),
            _ => Err(ENOTDIR),
        }
    }

    /// A directory's names, to add one: `ENOENT` if it was removed (a
    /// held directory without a name takes no new ones, as on Linux).
    fn live_dir_names_mut(&mut self, dir: Ino) -> Result<&mut DirSlots, Errno> {
        if self.node(dir)?.meta.links == 0 {
            return Err(ENOENT);
        }
        self.dir_names_mut(dir)
    }

    /// Frees `ino` if nothing names or holds it any more.
    fn free_if_unused(&mut self, ino: Ino) {
        if let Some(node) = self.nodes.get(&ino)
            && node.meta.links == 0
            && node.holds == 0
        {
            self.nodes.remove(&ino);
        }
    }

    /// Removes directory `ino`'s last name (its `.` goes with it): it is
    /// freed, or kept empty and nameless while it is held.
    fn drop_dir(&mut self, ino: Ino, now: u64) {
        if let Some(node) = self.nodes.get_mut(&ino) {
            node.meta.links = 0;
            node.meta.ctime = now;
        }
        self.free_if_unused(ino);
    }

    fn is_dir(&self, ino: Ino) -> bool {
        matches!(
            self.nodes.get(&ino).map(|n| &n.content),
            Some(Content::Directory { .. })
        )
    }

    fn file_mut(&mut self, ino: Ino) -> Result<&mut Vec<u8>, Errno> {
        match &mut self.node_mut(ino)?.content {
            Content::File(bytes) => Ok(bytes),
            Content::Directory { .. } => Err(EISDIR),
            _ => Err(EINVAL),
        }
    }

    /// Drops one link of `ino`; the node goes with its last, unless held.
    fn drop_link(&mut self, ino: Ino, now: u64) {
        if let Some(node) = self.nodes.get_mut(&ino) {
            node.meta.links = node.meta.links.saturating_sub(1);
            node.meta.ctime = now;
        }
        self.free_if_unused(ino);
    }

    /// Whether `ancestor` is `ino` or one of the directories above it.
    fn is_ancestor(&self, ancestor: Ino, mut ino: Ino) -> bool {
        loop {
            if ino == ancestor {
                return true;
            }
            match self.nodes.get(&ino).map(|n| &n.content) {
                Some(Content::Directory { parent, .. }) if *parent != ino => ino = *parent,
                _ => return false,
            }
        }
    }

    fn touch_dir(&mut self, dir: Ino, now: u64) {
        if let Some(node) = self.nodes.get_mut(&dir) {
            node.meta.mtime = now;
            node.meta.ctime = now;
        }
    }
}

/// A name a directory may hold: not empty, no `/`, not `.` or `..`, at most 255 bytes.
fn check_name(name: &[u8]) -> Result<(), Errno> {
    if name.len() > NAME_MAX {
        return Err(linux_raw_sys::errno::ENAMETOOLONG);
    }
    if name.is_empty() || name.contains(&b'/') || name.contains(&0) {
        return Err(EINVAL);
    }
    if name == b"." || name == b".." {
        return Err(EEXIST);
    }
    Ok(())
}

/// Makes `bytes` at least `len` long (zeros added); `ENOSPC` when the
/// memory for it cannot be had, instead of the allocator's abort.
fn grow(bytes: &mut Vec<u8>, len: usize) -> Result<(), Errno> {
    if let Some(more) = len.checked_sub(bytes.len()) {
        bytes.try_reserve(more).map_err(|_| ENOSPC)?;
        bytes.resize(len, 0);
    }
    Ok(())
}

fn kind_of(node: &Node) -> Kind {
    node.meta.kind().unwrap_or(Kind::File)
}

impl FileSystem for TmpFs {
    fn root(&self) -> Ino {
        ROOT
    }

    fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        let inner = self.inner.lock();
        match &inner.node(dir)?.content {
            Content::Directory { .. } if name == b"." => Ok(dir),
            Content::Directory { parent, .. } if name == b".." => Ok(*parent),
            Content::Directory { names, .. } => names.get(name).ok_or(ENOENT),
            _ => Err(ENOTDIR),
        }
    }

    fn metadata(&self, ino: Ino) -> Result<Metadata, Errno> {
        let inner = self.inner.lock();
        let node = inner.node(ino)?;
        let mut meta = node.meta;
        meta.size = match &node.content {
            Content::File(bytes) | Content::Symlink(bytes) => bytes.len() as u64,
            Content::Directory { names, .. } => 4096.max(names.len() as u64 * 32),
            Content::Special => 0,
        };
        meta.blocks = match &node.content {
            Content::File(bytes) => (bytes.len() as u64).div_ceil(4096) * 8,
            _ => 0,
        };
        Ok(meta)
    }

    fn read(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let inner = self.inner.lock();
        let bytes = match &inner.node(ino)?.content {
            Content::File(bytes) => bytes,
            Content::Directory { .. } => return Err(EISDIR),
            _ => return Err(EINVAL),
        };
        let start = offset.min(bytes.len() as u64) as usize;
        let n = buf.len().min(bytes.len() - start);
        buf[..n].copy_from_slice(&bytes[start..start + n]);
        Ok(n)
    }

    fn write(&self, ino: Ino, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        let end = offset.checked_add(data.len() as u64).ok_or(EFBIG)?;
        if end > MAX_FILE_SIZE {
            return Err(EFBIG);
        }
        let now = (self.clock)();
        let mut inner = self.inner.lock();
        let bytes = inner.file_mut(ino)?;
        grow(bytes, end as usize)?;
        bytes[offset as usize..end as usize].copy_from_slice(data);
        let meta = &mut inner.node_mut(ino)?.meta;
        meta.mtime = now;
        meta.ctime = now;
        Ok(data.len())
    }

    fn truncate(&self, ino: Ino, size: u64) -> Result<(), Errno> {
        if size > MAX_FILE_SIZE {
            return Err(EFBIG);
        }
        let now = (self.clock)();
        let mut inner = self.inner.lock();
        let bytes = inner.file_mut(ino)?;
        grow(bytes, size as usize)?;
        bytes.truncate(size as usize);
        let meta = &mut inner.node_mut(ino)?.meta;
        meta.mtime = now;
        meta.ctime = now;
        Ok(())
    }

    fn create(
        &self,
        dir: Ino,
        name: &[u8],
        kind: Kind,
        perm: u32,
        rdev: u64,
    ) -> Result<Ino, Errno> {
        let content = match kind {
            Kind::File => Content::File(Vec::new()),
            Kind::Directory | Kind::Symlink => return Err(EINVAL),
            _ => Content::Special,
        };
        let ino = self.add(dir, name, kind, perm, content)?;
        self.inner.lock().node_mut(ino)?.meta.rdev = rdev;
        Ok(ino)
    }

    fn mkdir(&self, dir: Ino, name: &[u8], perm: u32) -> Result<Ino, Errno> {
        let content = Content::Directory {
            parent: dir,
            names: DirSlots::new(),
        };
        self.add(dir, name, Kind::Directory, perm, content)
    }

    fn symlink(&self, dir: Ino, name: &[u8], target: &[u8]) -> Result<Ino, Errno> {
        if target.is_empty() {
            return Err(ENOENT);
        }
        let content = Content::Symlink(target.to_vec());
        self.add(dir, name, Kind::Symlink, 0o777, content)
    }

    fn readlink(&self, ino: Ino) -> Result<Vec<u8>, Errno> {
        match &self.inner.lock().node(ino)?.content {
            Content::Symlink(target) => Ok(target.clone()),
            _ => Err(EINVAL),
        }
    }

    fn link(&self, ino: Ino, dir: Ino, name: &[u8]) -> Result<(), Errno> {
        check_name(name)?;
        let now = (self.clock)();
        let mut inner = self.inner.lock();
        if inner.is_dir(ino) {
            return Err(EPERM);
        }
        if inner.node(ino)?.meta.links == 0 {
            return Err(ENOENT); // Linux: an unlinked open file gets no new name
        }
        let names = inner.live_dir_names_mut(dir)?;
        if names.contains(name) {
            return Err(EEXIST);
        }
        names.insert(name, ino);
        let meta = &mut inner.node_mut(ino)?.meta;
        meta.links += 1;
        meta.ctime = now;
        inner.touch_dir(dir, now);
        Ok(())
    }

    fn unlink(&self, dir: Ino, name: &[u8]) -> Result<(), Errno> {
        let now = (self.clock)();
        let mut inner = self.inner.lock();
        let ino = inner.dir_names(dir)?.get(name).ok_or(ENOENT)?;
        if inner.is_dir(ino) {
            return Err(EISDIR);
        }
        inner.dir_names_mut(dir)?.remove(name);
        inner.drop_link(ino, now);
        inner.touch_dir(dir, now);
        Ok(())
    }

    fn rmdir(&self, dir: Ino, name: &[u8]) -> Result<(), Errno> {
        let now = (self.clock)();
        let mut inner = self.inner.lock();
        let ino = inner.dir_names(dir)?.get(name).ok_or(ENOENT)?;
        if !inner.dir_names(ino)?.is_empty() {
            return Err(ENOTEMPTY);
        }
        inner.dir_names_mut(dir)?.remove(name);
        inner.drop_dir(ino, now);
        inner.drop_link(dir, now); // the child's `..`
        inner.touch_dir(dir, now);
        Ok(())
    }

    fn rename(
        &self,
        old_dir: Ino,
        old_name: &[u8],
        new_dir: Ino,
        new_name: &[u8],
    ) -> Result<(), Errno> {
        check_name(new_name)?;
        let now = (self.clock)();
        let mut inner = self.inner.lock();
        let ino = inner.dir_names(old_dir)?.get(old_name).ok_or(ENOENT)?;
        inner.live_dir_names_mut(new_dir)?;
        let target = inner.dir_names(new_dir)?.get(new_name);
        let moving_dir = inner.is_dir(ino);
        if moving_dir && inner.is_ancestor(ino, new_dir) {
            return Err(EINVAL);
        }
        if let Some(target) = target {
            if target == ino {
                return Ok(()); // two names of one inode: nothing to do
            }
            match (moving_dir, inner.is_dir(target)) {
                (false, true) => return Err(EISDIR),
                (true, false) => return Err(ENOTDIR),
                (true, true) if !inner.dir_names(target)?.is_empty() => return Err(ENOTEMPTY),
                _ => {}
            }
        }
        // Checked: now change. Remove what the new name named first.
        if let Some(target) = target {
            inner.dir_names_mut(new_dir)?.remove(new_name);
            if inner.is_dir(target) {
                inner.drop_dir(target, now);
                inner.drop_link(new_dir, now);
            } else {
                inner.drop_link(target, now);
            }
        }
        inner.dir_names_mut(old_dir)?.remove(old_name);
        inner.dir_names_mut(new_dir)?.insert(new_name, ino);
        if moving_dir && old_dir != new_dir {
            if let Content::Directory { parent, .. } = &mut inner.node_mut(ino)?.content {
                *parent = new_dir;
            }
            inner.drop_link(old_dir, now);
            inner.node_mut(new_dir)?.meta.links += 1;
        }
        inner.node_mut(ino)?.meta.ctime = now;
        inner.touch_dir(old_dir, now);
        inner.touch_dir(new_dir, now);
        Ok(())
    }

    fn readdir(&self, dir: Ino, cursor: u64) -> Result<Option<(DirEntry, u64)>, Errno> {
        let inner = self.inner.lock();
        let node = inner.node(dir)?;
        let (parent, names) = match &node.content {
            Content::Directory { parent, names } => (*parent, names),
            _ => return Err(ENOTDIR),
        };
        if node.meta.links == 0 {
            return Err(ENOENT); // removed: Linux's `getdents64` says so
        }
        let entry = |ino: Ino, name: &[u8]| DirEntry {
            ino,
            kind: inner.nodes.get(&ino).map(kind_of).unwrap_or(Kind::File),
            name: name.to_vec(),
        };
        // Cursors 0 and 1 are `.` and `..`; cursor n >= 2 is slot n - 2.
        match cursor {
            0 => Ok(Some((entry(dir, b"."), 1))),
            1 => Ok(Some((entry(parent, b".."), 2))),
            n => {
                let from = usize::try_from(n - 2).unwrap_or(usize::MAX);
                Ok(names
                    .next_from(from)
                    .map(|(slot, name, ino)| (entry(ino, name), slot as u64 + 3)))
            }
        }
    }

    fn chmod(&self, ino: Ino, perm: u32) -> Result<(), Errno> {
        let now = (self.clock)();
        let mut inner = self.inner.lock();
        let meta = &mut inner.node_mut(ino)?.meta;
        meta.mode = (meta.mode & 0o170000) | (perm & 0o7777);
        meta.ctime = now;
        Ok(())
    }

    fn set_times(&self, ino: Ino, atime: Option<u64>, mtime: Option<u64>) -> Result<(), Errno> {
        let now = (self.clock)();
        let mut inner = self.inner.lock();
        let meta = &mut inner.node_mut(ino)?.meta;
        if let Some(atime) = atime {
            meta.atime = atime;
        }
        if let Some(mtime) = mtime {
            meta.mtime = mtime;
        }
        meta.ctime = now;
        Ok(())
    }

    fn sync(&self) -> Result<(), Errno> {
        Ok(()) // nothing is anywhere but in memory
    }

    fn hold(&self, ino: Ino) {
        if let Some(node) = self.inner.lock().nodes.get_mut(&ino) {
            node.holds += 1;
        }
    }

    fn release(&self, ino: Ino) -> Result<(), Errno> {
        let mut inner = self.inner.lock();
        let node = inner.node_mut(ino)?;
        node.holds = node.holds.checked_sub(1).ok_or(EINVAL)?;
        inner.free_if_unused(ino);
        Ok(())
    }

    fn statfs(&self) -> Result<StatFs, Errno> {
        let inner = self.inner.lock();
        let bytes: u64 = inner
            .nodes
            .values()
            .map(|n| match &n.content {
                Content::File(b) => b.len() as u64,
                _ => 0,
            })
            .sum();
        let used = bytes.div_ceil(4096);
        Ok(StatFs {
            magic: TMPFS_MAGIC,
            block_size: 4096,
            blocks: used,
            free_blocks: 0,
            files: inner.nodes.len() as u64,
            free_files: 0,
            name_max: NAME_MAX as u64,
        })
    }
}
