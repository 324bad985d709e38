//! Reading (and, in `write`, writing) a cpio "newc" archive: the ramdisk that carries user programs.
//!
//! Before there is a disk driver and a file system, the programs a user can run
//! come in one archive that the bootloader loads into memory next to the
//! kernel. cpio's "newc" format (the one Linux uses for its initramfs) is about
//! the simplest archive there is: each file is a 110-byte ASCII header, its
//! path, and its data, one after another.
//!
//! ```text
//! header: "070701" then 13 fields of 8 hex digits each:
//!         ino mode uid gid nlink mtime filesize devmajor devminor
//!         rdevmajor rdevminor namesize check
//! name:   namesize bytes, the last one NUL; then zeros to a multiple of 4
//!         (counted from the header's start)
//! data:   filesize bytes; then zeros to a multiple of 4
//! ```
//!
//! The archive ends with an entry named `TRAILER!!!`. ("070702" is the same
//! format with a checksum in `check`; we accept it and do not verify the sum.)
//!
//! The reader borrows the archive's bytes and copies nothing. Every length
//! and offset is checked before use, so damaged or hostile input gives an
//! [`Error`] and never a panic or a read outside the archive.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod write;
pub use write::Writer;

const HEADER_SIZE: usize = 110;
const TRAILER: &[u8] = b"TRAILER!!!";

/// The file type bits of `mode` and the two types we tell apart.
const TYPE_MASK: u32 = 0o170000;
const TYPE_FILE: u32 = 0o100000;
const TYPE_DIRECTORY: u32 = 0o040000;

/// Why an archive could not be read, or a path not found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// An entry runs past the end of the archive, or it ends without a trailer.
    Truncated,
    /// A header does not start with "070701" or "070702".
    BadMagic,
    /// A header field is not 8 hex digits.
    BadNumber,
    /// A name is empty, not NUL-terminated, or not UTF-8.
    BadName,
    /// No entry has that path.
    NotFound,
}

impl Error {
    /// The errno a program sees for this error.
    pub fn errno(self) -> i32 {
        let errno = match self {
            Error::NotFound => linux_raw_sys::errno::ENOENT,
            _ => linux_raw_sys::errno::EIO,
        };
        errno as i32
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Error::Truncated => "archive truncated",
            Error::BadMagic => "not a cpio newc header",
            Error::BadNumber => "bad number in a cpio header",
            Error::BadName => "bad file name in the archive",
            Error::NotFound => "no such file in the archive",
        })
    }
}

/// One file, directory or other entry of the archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The path as stored (usually without a leading `/`).
    pub name: &'a str,
    /// Type and permission bits, as in `st_mode`.
    pub mode: u32,
    /// The inode number the archive gives. Entries with the same number are
    /// hard links: one file under several names.
    pub inode: u32,
    /// How many names the file has (`nlink`): more than 1 for a hard link.
    pub links: u32,
    pub data: &'a [u8],
}

impl Entry<'_> {
    pub fn is_file(&self) -> bool {
        self.mode & TYPE_MASK == TYPE_FILE
    }

    pub fn is_directory(&self) -> bool {
        self.mode & TYPE_MASK == TYPE_DIRECTORY
    }
}

/// An archive in memory.
#[derive(Clone, Copy, Debug)]
pub struct Archive<'a> {
    bytes: &'a [u8],
}

impl<'a> Archive<'a> {
    pub fn new(bytes: &'a [u8]) -> Archive<'a> {
        Archive { bytes }
    }

    /// The entries in order, up to the trailer. After an error it yields nothing more.
    pub fn entries(&self) -> Entries<'a> {
        Entries {
            rest: self.bytes,
            offset: 0,
            done: false,
        }
    }

    /// The entry for `path`. A leading `/` or `./` on either side is ignored,
    /// so `/bin/hello`, `bin/hello` and `./bin/hello` name the same entry.
    /// For a hard link stored without its data, the data comes from the
    /// entry of the same inode that has it ([`Archive::with_link_data`]).
    pub fn find(&self, path: &str) -> Result<Entry<'a>, Error> {
        let wanted = normalize(path);
        for entry in self.entries() {
            let entry = entry?;
            if normalize(entry.name) == wanted {
                return self.with_link_data(entry);
            }
        }
        Err(Error::NotFound)
    }

    /// `entry` with its data when it is one name of a hard-linked file whose
    /// data another entry carries. cpio stores such a file's data once, on
    /// one of its entries (GNU cpio on the last, our writer on the first),
    /// and the others are empty: they share the inode number.
    pub fn with_link_data(&self, mut entry: Entry<'a>) -> Result<Entry<'a>, Error> {
        if !entry.is_file() || entry.links < 2 || !entry.data.is_empty() {
            return Ok(entry);
        }
        for other in self.entries() {
            let other = other?;
            if other.is_file() && other.inode == entry.inode && !other.data.is_empty() {
                entry.data = other.data;
                break;
            }
        }
        Ok(entry)
    }
}

/// `path` without leading `/` and `./`.
fn normalize(mut path: &str) -> &str {
    loop {
        if let Some(rest) = path.strip_prefix('/') {
            path = rest;
        } else if let Some(rest) = path.strip_prefix("./") {
            path = rest;
        } else {
            return path;
        }
    }
}

/// Iterator over the entries of an [`Archive`].
pub struct Entries<'a> {
    /// The bytes from the next header on.
    rest: &'a [u8],
    /// How far `rest` is from the archive's start (padding counts from there).
    offset: usize,
    done: bool,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.read_entry() {
            Ok(Some(entry)) => Some(Ok(entry)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }
}

/// An 8-digit hex field of a header.
fn field(header: &[u8], index: usize) -> Result<u32, Error> {
    let digits = &header[6 + 8 * index..6 + 8 * index + 8];
    digits.iter().try_fold(0u32, |value, &digit| {
        let digit = char::from(digit).to_digit(16).ok_or(Error::BadNumber)?;
        Ok(value << 4 | digit)
    })
}

/// `n` rounded up to a multiple of 4.
fn pad4(n: usize) -> Option<usize> {
    n.checked_next_multiple_of(4)
}

impl<'a> Entries<'a> {
    /// The next entry, `None` at the trailer.
    fn read_entry(&mut self) -> Result<Option<Entry<'a>>, Error> {
        let header = self.rest.get(..HEADER_SIZE).ok_or(Error::Truncated)?;
        if &header[..6] != b"070701" && &header[..6] != b"070702" {
            return Err(Error::BadMagic);
        }
        let (inode, mode) = (field(header, 0)?, field(header, 1)?);
        let links = field(header, 4)?;
        let file_size = field(header, 6)? as usize;
        let name_size = field(header, 11)? as usize;
        let name_end = HEADER_SIZE.checked_add(name_size).ok_or(Error::Truncated)?;
        let name = self
            .rest
            .get(HEADER_SIZE..name_end)
            .ok_or(Error::Truncated)?;
        let name = match name.split_last() {
            Some((0, name)) if !name.is_empty() && !name.contains(&0) => name,
            _ => return Err(Error::BadName),
        };
        let name = core::str::from_utf8(name).map_err(|_| Error::BadName)?;
        if name.as_bytes() == TRAILER {
            return Ok(None);
        }
        let data_start = self.padded(name_end)?;
        let data_end = data_start.checked_add(file_size).ok_or(Error::Truncated)?;
        let data = self
            .rest
            .get(data_start..data_end)
            .ok_or(Error::Truncated)?;
        let next = self.padded(data_end)?.min(self.rest.len());
        self.rest = &self.rest[next..];
        self.offset += next;
        Ok(Some(Entry {
            name,
            mode,
            inode,
            links,
            data,
        }))
    }

    /// `at` (from the current header) rounded up so that it is 4-aligned from the
    /// archive's start.
    fn padded(&self, at: usize) -> Result<usize, Error> {
        let absolute = self.offset.checked_add(at).ok_or(Error::Truncated)?;
        Ok(pad4(absolute).ok_or(Error::Truncated)? - self.offset)
    }
}

#[cfg(test)]
mod tests;
