//! Linux's `struct stat` (x86_64), as the bytes `fstat` copies out.
//!
//! The layout (144 bytes) is the kernel's `struct stat` for x86_64:
//!
//! ```text
//!   0 st_dev      8 st_ino      16 st_nlink   24 st_mode (u32)
//!  28 st_uid     32 st_gid      36 (padding)  40 st_rdev
//!  48 st_size    56 st_blksize  64 st_blocks  (512-byte units)
//!  72 st_atime   80 atime_nsec  88 st_mtime   96 mtime_nsec
//! 104 st_ctime  112 ctime_nsec 120..144 unused
//! ```
//!
//! The test checks these offsets against `linux_raw_sys::general::stat`.

/// The size of `struct stat`.
pub const SIZE: usize = 144;

/// What we know about a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub device: u64,
    pub inode: u64,
    pub links: u64,
    /// Type and permission bits (`S_IFREG | 0o644`, ...).
    pub mode: u32,
    pub size: u64,
    pub uid: u32,
    pub gid: u32,
    /// The device a device file stands for.
    pub rdev: u64,
    /// Space used, in 512-byte units.
    pub blocks: u64,
    /// Seconds since the epoch: last access, last change of the contents,
    /// last change of the inode.
    pub atime: u64,
    pub mtime: u64,
    pub ctime: u64,
}

/// The block size `st_blksize` reports.
pub const BLOCK_SIZE: u64 = 4096;

impl Stat {
    /// The `struct stat` bytes (the nanoseconds of the times are 0).
    pub fn to_bytes(&self) -> [u8; SIZE] {
        let mut out = [0u8; SIZE];
        let mut put = |at: usize, bytes: &[u8]| out[at..at + bytes.len()].copy_from_slice(bytes);
        put(0, &self.device.to_le_bytes());
        put(8, &self.inode.to_le_bytes());
        put(16, &self.links.to_le_bytes());
        put(24, &self.mode.to_le_bytes());
        put(28, &self.uid.to_le_bytes());
        put(32, &self.gid.to_le_bytes());
        put(40, &self.rdev.to_le_bytes());
        put(48, &self.size.to_le_bytes());
        put(56, &BLOCK_SIZE.to_le_bytes());
        put(64, &self.blocks.to_le_bytes());
        put(72, &self.atime.to_le_bytes());
        put(88, &self.mtime.to_le_bytes());
        put(104, &self.ctime.to_le_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};
    use linux_raw_sys::general::stat;

    #[test]
    fn layout_is_linux_x86_64() {
        assert_eq!(size_of::<stat>(), SIZE);
        assert_eq!(offset_of!(stat, st_ino), 8);
        assert_eq!(offset_of!(stat, st_nlink), 16);
        assert_eq!(offset_of!(stat, st_mode), 24);
        assert_eq!(offset_of!(stat, st_uid), 28);
        assert_eq!(offset_of!(stat, st_size), 48);
        assert_eq!(offset_of!(stat, st_blksize), 56);
        assert_eq!(offset_of!(stat, st_blocks), 64);
        assert_eq!(offset_of!(stat, st_mtime), 88);
        assert_eq!(offset_of!(stat, st_gid), 32);
        assert_eq!(offset_of!(stat, st_rdev), 40);
        assert_eq!(offset_of!(stat, st_atime), 72);
        assert_eq!(offset_of!(stat, st_ctime), 104);
    }

    #[test]
    fn fields_land_where_linux_reads_them() {
        let bytes = Stat {
            device: 1,
            inode: 7,
            links: 1,
            mode: 0o100644,
            size: 1000,
            uid: 3,
            gid: 4,
            rdev: 0x103,
            blocks: 2,
            atime: 10,
            mtime: 11,
            ctime: 12,
        }
        .to_bytes();
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
        assert_eq!(u64_at(0), 1);
        assert_eq!(u64_at(8), 7);
        assert_eq!(
            u32::from_le_bytes(bytes[24..28].try_into().unwrap()),
            0o100644
        );
        assert_eq!(u64_at(48), 1000);
        assert_eq!(u64_at(56), 4096);
        assert_eq!(u64_at(64), 2);
        assert_eq!(u32::from_le_bytes(bytes[28..32].try_into().unwrap()), 3);
        assert_eq!(u32::from_le_bytes(bytes[32..36].try_into().unwrap()), 4);
        assert_eq!(u64_at(40), 0x103);
        assert_eq!((u64_at(72), u64_at(88), u64_at(104)), (10, 11, 12));
    }
}
