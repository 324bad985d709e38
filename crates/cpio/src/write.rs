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
/// The mode bits of a character device that only its owner may use (such as
/// `/dev/console`, which a Linux initramfs needs before `/dev` is mounted).
pub const CHAR_DEVICE: u32 = 0o020600;

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
        self.add_entry(path, mode, data, (0, 0));
    }

    /// Appends a device node (mode [`CHAR_DEVICE`], say) for the device
    /// numbers `major`:`minor`.
    pub fn add_device(&mut self, path: &str, mode: u32, major: u32, minor: u32) {
        self.add_entry(path, mode, &[], (major, minor));
    }

    /// Appends one file under several `paths`: hard links, as cpio stores
    /// them. Every entry has the same inode number and the link count
    /// `paths.len()`; the first carries the data, the others are empty (the
    /// reader finds the data by the inode number, see [`crate::Archive::find`]).
    pub fn add_linked(&mut self, paths: &[&str], mode: u32, data: &[u8]) {
        self.next_inode += 1;
        let links = paths.len() as u32;
        for (i, path) in paths.iter().enumerate() {
            let data = if i == 0 { data } else { &[] };
            self.write_entry(self.next_inode, links, path, mode, data, (0, 0));
        }
    }

    fn add_entry(&mut self, path: &str, mode: u32, data: &[u8], device: (u32, u32)) {
        self.next_inode += 1;
        let links = if mode & super::TYPE_MASK == super::TYPE_DIRECTORY {
            2
        } else {
            1
        };
        self.write_entry(self.next_inode, links, path, mode, data, device);
    }

    fn write_entry(
        &mut self,
        inode: u32,
        links: u32,
        path: &str,
        mode: u32,
        data: &[u8],
        (major, minor): (u32, u32),
    ) {
        let name_size = path.len() as u32 + 1;
        let fields = [
            inode,
            mode,
            0, // uid
            0, // gid
            links,
            0, // mtime
            data.len() as u32,
            0, // devmajor: of the file system the file was on
            0, // devminor
            major,
            minor,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The header field `index` of the entry that starts at `at`.
    fn field(bytes: &[u8], at: usize, index: usize) -> u32 {
        let digits = &bytes[at + 6 + 8 * index..][..8];
        u32::from_str_radix(core::str::from_utf8(digits).unwrap(), 16).unwrap()
    }

    #[test]
    fn hard_links_share_one_inode_and_one_copy_of_the_data() {
        let mut writer = Writer::new();
        writer.add("bin", DIRECTORY, &[]);
        writer.add_linked(&["bin/tools", "bin/ls", "bin/cat"], EXECUTABLE, b"ELF!");
        writer.add("bin/other", EXECUTABLE, b"x");
        let bytes = writer.finish();
        assert_eq!(bytes.windows(4).filter(|w| w == b"ELF!").count(), 1);
        let archive = crate::Archive::new(&bytes);
        let tools = archive.find("bin/tools").unwrap();
        for name in ["bin/tools", "/bin/ls", "bin/cat"] {
            let entry = archive.find(name).unwrap();
            assert!(entry.is_file(), "{name}");
            assert_eq!(entry.data, b"ELF!", "{name}");
            assert_eq!((entry.inode, entry.links), (tools.inode, 3), "{name}");
        }
        let other = archive.find("bin/other").unwrap();
        assert_ne!(other.inode, tools.inode);
        assert_eq!((other.data, other.links), (&b"x"[..], 1));
    }

    #[test]
    fn a_link_finds_its_data_on_a_later_entry_too() {
        // GNU cpio's order: the data on the last name.
        let mut writer = Writer::new();
        writer.write_entry(9, 2, "a", EXECUTABLE, &[], (0, 0));
        writer.write_entry(8, 1, "c", EXECUTABLE, &[], (0, 0));
        writer.write_entry(9, 2, "b", EXECUTABLE, b"data", (0, 0));
        let bytes = writer.finish();
        let archive = crate::Archive::new(&bytes);
        assert_eq!(archive.find("a").unwrap().data, b"data");
        assert_eq!(archive.find("c").unwrap().data, b"", "not a link");
    }

    #[test]
    fn device_nodes_carry_their_numbers() {
        let mut writer = Writer::new();
        writer.add_device("dev/console", CHAR_DEVICE, 5, 1);
        let bytes = writer.finish();
        assert_eq!(field(&bytes, 0, 1), CHAR_DEVICE);
        assert_eq!((field(&bytes, 0, 9), field(&bytes, 0, 10)), (5, 1));
        assert_eq!(field(&bytes, 0, 6), 0, "no data");
        let entry = crate::Archive::new(&bytes).find("dev/console").unwrap();
        assert!(!entry.is_file() && !entry.is_directory());
    }
}
