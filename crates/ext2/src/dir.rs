//! Directories: a file of linked-list entries, block by block.
//!
//! A directory's data is a sequence of blocks, each filled exactly by entries:
//!
//! ```text
//! 0x0 inode (u32)   0x4 rec_len (u16)   0x6 name_len (u8)   0x7 file type (u8)
//! 0x8 name (name_len bytes, no NUL), padding to rec_len
//! ```
//!
//! `rec_len` leads to the next entry; the last entry of a block reaches its
//! end. Removing an entry adds its space to the entry before it (or, for a
//! block's first entry, sets its inode to 0). Adding one uses the slack after
//! an entry whose `rec_len` is larger than its name needs, or a new block.
//! Every directory starts with `.` and `..`. Without the `filetype` feature
//! the name length is a u16 and there is no type byte.
//!
//! Every entry is checked before use (lengths inside the block, the inode
//! number in range): a damaged directory gives EUCLEAN, never a wild read or
//! an endless walk.

use crate::device::BlockDevice;
use crate::error::{Errno, Error, Result, corrupt};
use crate::fs::Fs;
use crate::inode::{self, INDEX_FL, Inode};
use crate::raw::{le16, le32, set_le16, set_le32};
use alloc::vec;
use alloc::vec::Vec;

/// The longest name ext2 stores.
pub const NAME_MAX: usize = 255;

/// An entry as `readdir` returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: u32,
    /// The entry's file type byte (1 file, 2 directory, 7 symlink, ...; 0 if
    /// the disk has no `filetype` feature).
    pub kind: u8,
    pub name: Vec<u8>,
}

/// One entry's place and header in a block.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    pub pos: usize,
    pub ino: u32,
    pub rec_len: usize,
    pub name_len: usize,
}

/// The space an entry with a name of `len` bytes needs.
pub(crate) fn needed(len: usize) -> usize {
    (8 + len).div_ceil(4) * 4
}

impl Slot {
    pub fn name<'b>(&self, block: &'b [u8]) -> &'b [u8] {
        &block[self.pos + 8..self.pos + 8 + self.name_len]
    }
}

/// Checks a name for a new or looked-up entry.
pub(crate) fn check_name(name: &[u8]) -> Result<()> {
    if name.is_empty() {
        return Err(Error::new(Errno::ENOENT, "empty name"));
    }
    if name.len() > NAME_MAX {
        return Err(Error::new(
            Errno::ENAMETOOLONG,
            "name longer than 255 bytes",
        ));
    }
    if name.contains(&b'/') || name.contains(&0) {
        return Err(Error::new(Errno::EINVAL, "name contains '/' or NUL"));
    }
    Ok(())
}

pub(crate) fn is_dot(name: &[u8]) -> bool {
    name == b"." || name == b".."
}

fn put_rec_len(block: &mut [u8], pos: usize, len: usize) {
    set_le16(
        block,
        pos + 4,
        if len >= 65536 { 65535 } else { len as u16 },
    );
}

/// Writes an entry header and name at `pos` (`filetype`: the disk has the
/// feature, so the type byte is used).
fn write_entry(
    filetype: bool,
    block: &mut [u8],
    pos: usize,
    rec_len: usize,
    entry: (u32, &[u8], u8),
) {
    let (ino, name, kind) = entry;
    set_le32(block, pos, ino);
    put_rec_len(block, pos, rec_len);
    if filetype {
        block[pos + 6] = name.len() as u8;
        block[pos + 7] = kind;
    } else {
        set_le16(block, pos + 6, name.len() as u16);
    }
    block[pos + 8..pos + 8 + name.len()].copy_from_slice(name);
}

impl<D: BlockDevice> Fs<D> {
    fn rec_len(&self, block: &[u8], pos: usize) -> usize {
        let v = le16(block, pos + 4) as usize;
        if self.io.bs == 65536 && (v == 0 || v == 65535) {
            65536
        } else {
            v
        }
    }

    /// Every entry of a directory block, checked.
    pub(crate) fn slots(&self, block: &[u8]) -> Result<Vec<Slot>> {
        let bs = block.len();
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < bs {
            if pos + 8 > bs {
                return Err(corrupt("directory entry crosses the block end"));
            }
            let rec_len = self.rec_len(block, pos);
            let name_len = if self.geo.filetype {
                block[pos + 6] as usize
            } else {
                le16(block, pos + 6) as usize
            };
            let ino = le32(block, pos);
            if rec_len < 8
                || !rec_len.is_multiple_of(4)
                || pos + rec_len > bs
                || 8 + name_len > rec_len
            {
                return Err(corrupt("directory entry with a bad length"));
            }
            if ino != 0 && !self.geo.valid_inode(ino) {
                return Err(corrupt("directory entry inode out of range"));
            }
            out.push(Slot {
                pos,
                ino,
                rec_len,
                name_len,
            });
            pos += rec_len;
        }
        Ok(out)
    }

    /// The directory's inode, which must be a directory of whole blocks.
    pub(crate) fn dir_inode(&mut self, dir: u32) -> Result<Inode> {
        let i = self.live_inode(dir)?;
        if !i.is_dir() {
            return Err(Error::new(Errno::ENOTDIR, "not a directory"));
        }
        if i.size() % u64::from(self.geo.block_size) != 0 {
            return Err(corrupt("directory size is not whole blocks"));
        }
        Ok(i)
    }

    /// The disk block of directory block `n` (a hole in a directory is damage).
    fn dir_block(&mut self, inode: &Inode, n: u64) -> Result<u32> {
        match self.bmap(inode, n)? {
            0 => Err(corrupt("hole in a directory")),
            b => Ok(b),
        }
    }

    /// Finds `name` in `dir`: (disk block, slot).
    pub(crate) fn find(&mut self, dir: u32, name: &[u8]) -> Result<Option<(u32, Slot)>> {
        let inode = self.dir_inode(dir)?;
        let blocks = inode.size() / u64::from(self.geo.block_size);
        for n in 0..blocks {
            let b = self.dir_block(&inode, n)?;
            let block = self.io.read_vec(b)?;
            for s in self.slots(&block)? {
                if s.ino != 0 && s.name(&block) == name {
                    return Ok(Some((b, s)));
                }
            }
        }
        Ok(None)
    }

    /// The inode `name` names in `dir`.
    pub fn lookup(&mut self, dir: u32, name: &[u8]) -> Result<u32> {
        check_name(name)?;
        match self.find(dir, name)? {
            Some((_, s)) => Ok(s.ino),
            None => Err(Error::new(Errno::ENOENT, "no such file or directory")),
        }
    }

    /// Marks a directory changed now (and no longer hash-indexed: we keep its
    /// entries as a plain list, which every reader understands).
    fn touch_dir(&mut self, dir: u32, inode: &mut Inode) -> Result<()> {
        inode.set_flags(inode.flags() & !INDEX_FL);
        inode.set_time(inode::MTIME, self.now);
        inode.set_time(inode::CTIME, self.now);
        self.write_inode(dir, inode)
    }

    /// Adds the entry `name -> ino` to `dir` (the name must not exist).
    pub(crate) fn add_entry(&mut self, dir: u32, name: &[u8], ino: u32, mode: u16) -> Result<()> {
        let mut inode = self.dir_inode(dir)?;
        let kind = inode::dirent_type(mode);
        let need = needed(name.len());
        let bs = self.io.bs;
        let blocks = inode.size() / bs as u64;
        for n in 0..blocks {
            let b = self.dir_block(&inode, n)?;
            let block = self.io.read_vec(b)?;
            for s in self.slots(&block)? {
                let used = if s.ino == 0 { 0 } else { needed(s.name_len) };
                if s.rec_len - used >= need {
                    let ft = self.geo.filetype;
                    let blk = self.io.modify(b)?;
                    if used == 0 {
                        write_entry(ft, blk, s.pos, s.rec_len, (ino, name, kind));
                    } else {
                        put_rec_len(blk, s.pos, used);
                        write_entry(ft, blk, s.pos + used, s.rec_len - used, (ino, name, kind));
                    }
                    return self.touch_dir(dir, &mut inode);
                }
            }
        }
        let goal = if blocks > 0 {
            self.dir_block(&inode, blocks - 1)?
        } else {
            0
        };
        let (b, _) = self.bmap_alloc(&mut inode, blocks, goal)?;
        let mut block = vec![0; bs];
        write_entry(self.geo.filetype, &mut block, 0, bs, (ino, name, kind));
        self.io.write(b, &block);
        inode.set_size(inode.size() + bs as u64);
        self.touch_dir(dir, &mut inode)
    }

    /// Removes the entry `name` from `dir`; returns the inode it named.
    pub(crate) fn remove_entry(&mut self, dir: u32, name: &[u8]) -> Result<u32> {
        let (b, s) = self
            .find(dir, name)?
            .ok_or(Error::new(Errno::ENOENT, "no such file or directory"))?;
        let block = self.io.read_vec(b)?;
        let prev = self
            .slots(&block)?
            .into_iter()
            .take_while(|p| p.pos < s.pos)
            .last();
        let blk = self.io.modify(b)?;
        match prev {
            Some(p) => put_rec_len(blk, p.pos, p.rec_len + s.rec_len),
            None => set_le32(blk, s.pos, 0),
        }
        let mut inode = self.dir_inode(dir)?;
        self.touch_dir(dir, &mut inode)?;
        Ok(s.ino)
    }

    /// Points `dir`'s `..` entry at `parent`.
    pub(crate) fn set_dotdot(&mut self, dir: u32, parent: u32) -> Result<()> {
        let (b, s) = self
            .find(dir, b"..")?
            .ok_or(corrupt("directory without '..'"))?;
        set_le32(self.io.modify(b)?, s.pos, parent);
        Ok(())
    }

    /// Whether `dir` has no entries but `.` and `..`.
    pub(crate) fn is_empty_dir(&mut self, dir: u32) -> Result<bool> {
        let inode = self.dir_inode(dir)?;
        let blocks = inode.size() / u64::from(self.geo.block_size);
        for n in 0..blocks {
            let b = self.dir_block(&inode, n)?;
            let block = self.io.read_vec(b)?;
            for s in self.slots(&block)? {
                if s.ino != 0 && !is_dot(s.name(&block)) {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// Directory `dir`'s inode, for listing: a removed directory that is
    /// still held (someone's current directory) lists as `ENOENT`, as
    /// Linux's `getdents64` says.
    fn listable_dir_inode(&mut self, dir: u32) -> Result<Inode> {
        let inode = self.dir_inode(dir)?;
        if inode.links() == 0 {
            return Err(Error::new(Errno::ENOENT, "directory was removed"));
        }
        Ok(inode)
    }

    /// The first entry at or after byte `cursor` of `dir`, and the cursor of
    /// the entry after it; `None` at the end. Start with cursor 0.
    pub fn readdir(&mut self, dir: u32, cursor: u64) -> Result<Option<(DirEntry, u64)>> {
        let inode = self.listable_dir_inode(dir)?;
        let bs = u64::from(self.geo.block_size);
        let mut n = cursor / bs;
        while n < inode.size() / bs {
            let b = self.dir_block(&inode, n)?;
            let block = self.io.read_vec(b)?;
            for s in self.slots(&block)? {
                let at = n * bs + s.pos as u64;
                if at >= cursor && s.ino != 0 {
                    return Ok(Some((self.entry_at(&block, &s), at + s.rec_len as u64)));
                }
            }
            n += 1;
        }
        Ok(None)
    }

    /// The entries from byte `cursor` of `dir` to the end of the first
    /// directory block holding one, each with the cursor of the entry after
    /// it: what [`readdir`](Self::readdir) returns one by one, from one read
    /// and parse of the block. Empty at the end.
    pub fn readdir_block(&mut self, dir: u32, cursor: u64) -> Result<Vec<(DirEntry, u64)>> {
        let inode = self.listable_dir_inode(dir)?;
        let bs = u64::from(self.geo.block_size);
        let mut out = Vec::new();
        let mut n = cursor / bs;
        while out.is_empty() && n < inode.size() / bs {
            let b = self.dir_block(&inode, n)?;
            let block = self.io.read_vec(b)?;
            for s in self.slots(&block)? {
                let at = n * bs + s.pos as u64;
                if at >= cursor && s.ino != 0 {
                    out.push((self.entry_at(&block, &s), at + s.rec_len as u64));
                }
            }
            n += 1;
        }
        Ok(out)
    }

    /// The entry that slot `s` of `block` holds.
    fn entry_at(&self, block: &[u8], s: &Slot) -> DirEntry {
        DirEntry {
            ino: s.ino,
            kind: if self.geo.filetype {
                block[s.pos + 7]
            } else {
                0
            },
            name: s.name(block).to_vec(),
        }
    }

    /// A new directory's first block: `.` and `..`.
    pub(crate) fn dot_block(&self, me: u32, parent: u32) -> Vec<u8> {
        let bs = self.io.bs;
        let mut block = vec![0; bs];
        let ft = self.geo.filetype;
        write_entry(ft, &mut block, 0, 12, (me, b".", 2));
        write_entry(ft, &mut block, 12, bs - 12, (parent, b"..", 2));
        block
    }
}
