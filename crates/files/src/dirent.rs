//! `getdents64`: a directory's entries as `struct linux_dirent64` records.
//!
//! ```text
//! 0 d_ino (u64)  8 d_off (i64)  16 d_reclen (u16)  18 d_type (u8)
//! 19 d_name: the name and a NUL, then zeros to a multiple of 8
//! ```
//!
//! `d_off` is the position to come back to for the next entry: here simply
//! the entry's index + 1, and the directory's file position is the index of
//! the next entry to give. [`fill`] writes as many whole records as fit; if
//! not even the first fits, that is `EINVAL` (as on Linux); at the end it
//! writes nothing and returns 0.

use crate::Errno;
use linux_raw_sys::errno::EINVAL;

/// `d_type` of a directory.
pub const DT_DIR: u8 = 4;
/// `d_type` of a regular file.
pub const DT_REG: u8 = 8;

/// One name in a directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirEntry<'a> {
    pub inode: u64,
    pub kind: u8,
    pub name: &'a str,
}

/// The size of the record for `name`.
pub fn record_len(name: &str) -> usize {
    name_record_len(name.as_bytes())
}

/// The size of the record for a name of any bytes.
pub fn name_record_len(name: &[u8]) -> usize {
    (19 + name.len() + 1).next_multiple_of(8)
}

/// Writes one record at the start of `out`, whose `d_off` is `next`; the
/// bytes written, or `None` if it does not fit.
pub fn put(out: &mut [u8], inode: u64, next: i64, kind: u8, name: &[u8]) -> Option<usize> {
    let len = name_record_len(name);
    let record = out.get_mut(..len)?;
    record.fill(0);
    record[0..8].copy_from_slice(&inode.to_le_bytes());
    record[8..16].copy_from_slice(&next.to_le_bytes());
    record[16..18].copy_from_slice(&(len as u16).to_le_bytes());
    record[18] = kind;
    record[19..19 + name.len()].copy_from_slice(name);
    Some(len)
}

/// Writes the records of `entries[start..]` into `out`; returns the bytes
/// written and the index of the next entry to give.
pub fn fill(entries: &[DirEntry], start: usize, out: &mut [u8]) -> Result<(usize, usize), Errno> {
    let mut written = 0;
    let mut index = start;
    while let Some(entry) = entries.get(index) {
        let next = index as i64 + 1;
        let name = entry.name.as_bytes();
        let Some(len) = put(&mut out[written..], entry.inode, next, entry.kind, name) else {
            break;
        };
        written += len;
        index += 1;
    }
    if written == 0 && index < entries.len() {
        return Err(EINVAL);
    }
    Ok((written, index))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRIES: [DirEntry; 3] = [
        DirEntry {
            inode: 1,
            kind: DT_DIR,
            name: ".",
        },
        DirEntry {
            inode: 5,
            kind: DT_REG,
            name: "hello",
        },
        DirEntry {
            inode: 6,
            kind: DT_REG,
            name: "a-longer-name",
        },
    ];

    #[test]
    fn records_as_linux_lays_them_out() {
        let mut out = [0xaau8; 256];
        let (written, next) = fill(&ENTRIES, 0, &mut out).unwrap();
        assert_eq!(next, 3);
        assert_eq!(written, 24 + 32 + 40);
        assert_eq!(u64::from_le_bytes(out[24..32].try_into().unwrap()), 5);
        assert_eq!(i64::from_le_bytes(out[32..40].try_into().unwrap()), 2);
        assert_eq!(u16::from_le_bytes(out[40..42].try_into().unwrap()), 32);
        assert_eq!(out[42], DT_REG);
        assert_eq!(&out[43..49], b"hello\0");
        assert_eq!(fill(&ENTRIES, 3, &mut out), Ok((0, 3)), "the end");
    }

    #[test]
    fn a_small_buffer_gives_what_fits_then_einval() {
        let mut out = [0u8; 60];
        assert_eq!(fill(&ENTRIES, 0, &mut out), Ok((56, 2)));
        assert_eq!(fill(&ENTRIES, 2, &mut out[..39]), Err(EINVAL));
        assert_eq!(fill(&ENTRIES, 0, &mut out[..10]), Err(EINVAL));
    }
}
