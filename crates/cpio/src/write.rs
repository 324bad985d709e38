//! Writing a "newc" archive: what the runner does to pack the user programs
//! (and what a Linux initramfs is). The layout is the one the reader expects
//! (see the crate docs); [`Writer::finish`] adds the trailer.

use alloc::format;
use alloc::vec::Vec;

/// The mode bits of a regular file that anyone may read and run.
pub const EXECUTABLE: u32 = 0o100755;
/// The mode bits of a regular file that anyone may read.
pub const READABLE: u32 = 0o100644;
/// The mode bits of a directory.
pub const DIRECTORY: u32 = 0o040755;

/// Builds an archive in memory, one entry after another.
#[derive(Default)]
pub struct Writer {
    bytes: Vec<u8>,
    next_inode: u32,
}

impl Writer {
    pub fn new() -> Writer {
        Writer::default()
    }

    /// Appends a file (or, with [`DIRECTORY`] and no data, a directory) at
    /// `path` (no leading `/`, as cpio writes it) with `mode`.
    pub fn add(&mut self, path: &str, mode: u32, data: &[u8]) {
        self.next_inode += 1;
        let name_size = path.len() as u32 + 1;
        let fields = [
            self.next_inode,
            mode,
            0, // uid
            0, // gid
            if mode & super::TYPE_MASK == super::TYPE_DIRECTORY {
                2
            } else {
                1
            },
            0, // mtime
            data.len() as u32,
            0,
            0,
            0,
            0,
            name_size,
            0, // check: unused by "070701"
        ];
        self.bytes.extend_from_slice(b"070701");
        for value in fields {
            self.bytes
                .extend_from_slice(format!("{value:08X}").as_bytes());
        }
        self.bytes.extend_from_slice(path.as_bytes());
        self.bytes.push(0);
        self.pad();
        self.bytes.extend_from_slice(data);
        self.pad();
    }

    /// Ends the archive with its trailer and returns its bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.add("TRAILER!!!", 0, &[]);
        self.bytes
    }

    fn pad(&mut self) {
        self.bytes.resize(self.bytes.len().next_multiple_of(4), 0);
    }
}
