//! `lseek`: moving an open file's position.
//!
//! The new position is the offset counted from the start (`SEEK_SET`), from
//! the current position (`SEEK_CUR`) or from the end (`SEEK_END`). A
//! position before the start, an unknown `whence`, or one that overflows is
//! `EINVAL`; past the end is allowed (a read there returns 0 bytes).
//! `SEEK_DATA` and `SEEK_HOLE` see a file without holes: data from the
//! offset on, the one hole at the end; an offset at or past the end is `ENXIO`.

use crate::Errno;
use linux_raw_sys::errno::{EINVAL, ENXIO};
use linux_raw_sys::general::{SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET};

/// The position after `lseek(fd, offset, whence)` on a file of `size` bytes
/// whose position is `position`.
pub fn seek(position: u64, size: u64, offset: i64, whence: u32) -> Result<u64, Errno> {
    let base = match whence {
        SEEK_SET => 0,
        SEEK_CUR => position,
        SEEK_END => size,
        SEEK_DATA | SEEK_HOLE if offset < 0 => return Err(ENXIO),
        SEEK_DATA | SEEK_HOLE if offset as u64 >= size => return Err(ENXIO),
        SEEK_DATA => return Ok(offset as u64),
        SEEK_HOLE => return Ok(size),
        _ => return Err(EINVAL),
    };
    let base = i64::try_from(base).map_err(|_| EINVAL)?;
    match base.checked_add(offset) {
        Some(new) if new >= 0 => Ok(new as u64),
        _ => Err(EINVAL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_whence() {
        assert_eq!(seek(5, 100, 10, SEEK_SET), Ok(10));
        assert_eq!(seek(5, 100, 10, SEEK_CUR), Ok(15));
        assert_eq!(seek(5, 100, -3, SEEK_CUR), Ok(2));
        assert_eq!(seek(5, 100, 0, SEEK_END), Ok(100));
        assert_eq!(
            seek(5, 100, 50, SEEK_END),
            Ok(150),
            "past the end is allowed"
        );
        assert_eq!(seek(5, 100, -100, SEEK_END), Ok(0));
    }

    #[test]
    fn data_and_hole() {
        assert_eq!(seek(5, 100, 7, SEEK_DATA), Ok(7));
        assert_eq!(seek(5, 100, 7, SEEK_HOLE), Ok(100));
        assert_eq!(seek(5, 100, 100, SEEK_DATA), Err(ENXIO));
        assert_eq!(seek(5, 100, -1, SEEK_HOLE), Err(ENXIO));
        assert_eq!(seek(5, 0, 0, SEEK_DATA), Err(ENXIO));
    }

    #[test]
    fn einval() {
        assert_eq!(seek(5, 100, -1, SEEK_SET), Err(EINVAL));
        assert_eq!(seek(5, 100, -6, SEEK_CUR), Err(EINVAL));
        assert_eq!(seek(5, 100, -101, SEEK_END), Err(EINVAL));
        assert_eq!(seek(5, 100, 0, 5), Err(EINVAL));
        assert_eq!(seek(5, 100, 0, u32::MAX), Err(EINVAL));
        assert_eq!(seek(5, 100, i64::MAX, SEEK_CUR), Err(EINVAL));
        assert_eq!(seek(5, 100, i64::MIN, SEEK_CUR), Err(EINVAL));
    }
}
