//! An open file: what a file descriptor stands for.
//!
//! `open` makes one, `read`, `lseek`, `fstat` and `getdents64` use it. It is
//! an enum, one variant per kind of file; later kinds (pipes, disk files)
//! are new variants. The position lives in the open file, not in the
//! descriptor: descriptors are `Arc<OpenFile>`, so a copy of the table (for
//! `fork`) shares positions with the original, as on Linux.

use crate::fs::pipe::{PIPE_MODE, PipeEnd};
use crate::fs::ramdisk;
use alloc::string::String;
use alloc::vec::Vec;
use files::Errno;
use files::dirent::{DT_DIR, DT_REG, DirEntry};
use files::stat::Stat;
use linux_raw_sys::errno::EISDIR;
use spin::Mutex;

/// `st_dev` of ramdisk files.
const RAMDISK_DEVICE: u64 = 1;
/// `st_mode` of the console: a character device, rw for its owner, w for the group.
const CONSOLE_MODE: u32 = 0o020620;

/// One open file.
pub enum OpenFile {
    /// The keyboard/serial input and the screen/serial output.
    Console,
    /// A regular file of the ramdisk, read-only.
    RamFile {
        data: &'static [u8],
        inode: u32,
        mode: u32,
        position: Mutex<u64>,
    },
    /// A directory of the ramdisk; its position is the next entry to list.
    RamDirectory {
        /// Without leading or trailing `/` (`""` is the root).
        path: String,
        inode: u32,
        position: Mutex<usize>,
    },
    /// One end of a pipe (`fs::pipe`).
    Pipe(PipeEnd),
}

impl OpenFile {
    /// A ramdisk file or directory, as `ramdisk::lookup` found it.
    pub fn from_node(node: files::Node<'static>) -> OpenFile {
        match node {
            files::Node::File(entry) => OpenFile::RamFile {
                data: entry.data,
                inode: entry.inode,
                mode: entry.mode,
                position: Mutex::new(0),
            },
            files::Node::Directory { path, inode } => OpenFile::RamDirectory {
                path,
                inode,
                position: Mutex::new(0),
            },
        }
    }

    /// Copies bytes from the file's position into `buffer` and moves the
    /// position on; 0 at the end. Not for the console (see `syscall::console`).
    pub fn read(&self, buffer: &mut [u8]) -> Result<usize, Errno> {
        match self {
            OpenFile::RamFile { data, position, .. } => {
                let mut position = position.lock();
                let start = (*position).min(data.len() as u64) as usize;
                let n = buffer.len().min(data.len() - start);
                buffer[..n].copy_from_slice(&data[start..start + n]);
                *position += n as u64;
                Ok(n)
            }
            OpenFile::RamDirectory { .. } => Err(EISDIR),
            OpenFile::Console => Ok(0),
            // Pipes wait: `syscall::pipes` reads them.
            OpenFile::Pipe(_) => Err(linux_raw_sys::errno::EINVAL),
        }
    }

    /// `lseek`: the new position (see `files::seek`).
    pub fn seek(&self, offset: i64, whence: u32) -> Result<u64, Errno> {
        match self {
            OpenFile::RamFile { data, position, .. } => {
                let mut position = position.lock();
                *position = files::seek::seek(*position, data.len() as u64, offset, whence)?;
                Ok(*position)
            }
            OpenFile::RamDirectory { position, .. } => {
                // Positions in a directory are entry indexes (`d_off`).
                let mut position = position.lock();
                let new = files::seek::seek(*position as u64, 0, offset, whence)?;
                *position = new as usize;
                Ok(new)
            }
            OpenFile::Console | OpenFile::Pipe(_) => Err(linux_raw_sys::errno::ESPIPE),
        }
    }

    /// What `fstat` reports.
    pub fn stat(&self) -> Stat {
        match self {
            OpenFile::Console => Stat {
                inode: 1,
                links: 1,
                mode: CONSOLE_MODE,
                ..Stat::default()
            },
            OpenFile::RamFile {
                data, inode, mode, ..
            } => Stat {
                device: RAMDISK_DEVICE,
                inode: u64::from(*inode),
                links: 1,
                mode: *mode,
                size: data.len() as u64,
            },
            OpenFile::RamDirectory { inode, .. } => Stat {
                device: RAMDISK_DEVICE,
                inode: u64::from(*inode),
                links: 2,
                mode: cpio::write::DIRECTORY,
                size: 0,
            },
            OpenFile::Pipe(end) => Stat {
                inode: end.id(),
                links: 1,
                mode: PIPE_MODE,
                ..Stat::default()
            },
        }
    }

    /// `getdents64`: fills `out` with the next directory records; returns
    /// the bytes written (0 at the end). `ENOTDIR` for other files.
    pub fn read_directory(&self, out: &mut [u8]) -> Result<usize, Errno> {
        let OpenFile::RamDirectory {
            path,
            inode,
            position,
        } = self
        else {
            return Err(linux_raw_sys::errno::ENOTDIR);
        };
        let archive = ramdisk::archive().ok_or(linux_raw_sys::errno::ENOENT)?;
        let children = files::path::children(&archive, path);
        let mut entries: Vec<DirEntry> = Vec::with_capacity(children.len() + 2);
        entries.push(DirEntry {
            inode: u64::from(*inode),
            kind: DT_DIR,
            name: ".",
        });
        entries.push(DirEntry {
            inode: u64::from(*inode),
            kind: DT_DIR,
            name: "..",
        });
        for (name, entry) in &children {
            let (inode, kind) = match entry {
                Some(entry) if !entry.is_directory() => (u64::from(entry.inode), DT_REG),
                Some(entry) => (u64::from(entry.inode), DT_DIR),
                None => (u64::from(*inode) ^ 0x4000_0000, DT_DIR),
            };
            entries.push(DirEntry { inode, kind, name });
        }
        let mut position = position.lock();
        let (written, next) = files::dirent::fill(&entries, *position, out)?;
        *position = next;
        Ok(written)
    }

    /// Whether this is the console (readable by line, writable, a terminal).
    pub fn is_console(&self) -> bool {
        matches!(self, OpenFile::Console)
    }

    /// The pipe end this is, if it is one.
    pub fn as_pipe(&self) -> Option<&PipeEnd> {
        match self {
            OpenFile::Pipe(end) => Some(end),
            _ => None,
        }
    }
}
