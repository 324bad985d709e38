//! Filling a disk by path: what the runner needs to put files on a new image.
//!
//! The rest of the crate works with a directory inode and one name at a time,
//! as a kernel's VFS does. Building a disk image on the host is simpler with
//! whole paths: `mkdir_all` makes the missing directories of a path (like
//! `mkdir -p`) and `put_file` writes a whole file at a path.

use crate::device::BlockDevice;
use crate::error::{Errno, Error, Result};
use crate::fs::{Fs, ROOT};

impl<D: BlockDevice> Fs<D> {
    /// Makes every missing directory of `path` ('/'-separated, from the
    /// root); returns the last one's inode.
    pub fn mkdir_all(&mut self, path: &[u8], perm: u16) -> Result<u32> {
        let mut dir = ROOT;
        for name in path.split(|&c| c == b'/').filter(|n| !n.is_empty()) {
            dir = match self.lookup(dir, name) {
                Ok(ino) => ino,
                Err(e) if e.errno == Errno::ENOENT => self.mkdir(dir, name, perm)?,
                Err(e) => return Err(e),
            };
        }
        Ok(dir)
    }

    /// Writes `data` as the whole contents of the file at `path`, making its
    /// directories (mode 0755) and the file (`perm`) as needed.
    pub fn put_file(&mut self, path: &[u8], data: &[u8], perm: u16) -> Result<u32> {
        let cut = path.iter().rposition(|&c| c == b'/').map_or(0, |i| i + 1);
        let (dirs, name) = path.split_at(cut);
        let dir = self.mkdir_all(dirs, 0o755)?;
        let ino = match self.lookup(dir, name) {
            Ok(ino) => ino,
            Err(e) if e.errno == Errno::ENOENT => self.create(dir, name, perm)?,
            Err(e) => return Err(e),
        };
        self.truncate(ino, 0)?;
        if self.write(ino, 0, data)? != data.len() {
            return Err(Error::new(Errno::ENOSPC, "disk full"));
        }
        self.chmod(ino, perm)?;
        Ok(ino)
    }
}
