//! virtio-blk requests: what a disk request looks like in the queue.
//!
//! Each request is a chain of three descriptors:
//!
//! ```text
//! header (device reads, 16 bytes): type u32, reserved u32, sector u64
//! data   (device reads for a write, writes for a read): whole sectors
//! status (device writes, 1 byte):  0 OK, 1 IOERR, 2 UNSUPP
//! ```
//!
//! (A flush has no data descriptor.) Sectors are always 512 bytes in the
//! protocol, whatever the disk's own block size. The device configuration
//! starts with the capacity, in sectors (u64 at offset 0).
//!
//! The driver's data buffers have a fixed size, so a longer transfer is
//! [`split`] into requests that each fit.

/// The protocol's sector size.
pub const SECTOR: usize = 512;

/// Request types.
pub const TYPE_IN: u32 = 0;
pub const TYPE_OUT: u32 = 1;
pub const TYPE_FLUSH: u32 = 4;

/// Feature bits of the block device.
pub mod feature {
    /// The disk is read-only.
    pub const RO: u64 = 1 << 5;
    /// The device has a write cache and accepts flush requests.
    pub const FLUSH: u64 = 1 << 9;
}

/// The header's bytes.
pub fn header(kind: u32, sector: u64) -> [u8; 16] {
    let mut h = [0; 16];
    h[0..4].copy_from_slice(&kind.to_le_bytes());
    h[8..16].copy_from_slice(&sector.to_le_bytes());
    h
}

/// What the status byte says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    IoError,
    Unsupported,
    /// A value the protocol does not define.
    Other(u8),
}

impl Status {
    pub fn from_byte(byte: u8) -> Status {
        match byte {
            0 => Status::Ok,
            1 => Status::IoError,
            2 => Status::Unsupported,
            other => Status::Other(other),
        }
    }
}

/// One request's part of a transfer: `sectors` sectors from `sector`,
/// at byte `offset` of the caller's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    pub sector: u64,
    pub sectors: usize,
    pub offset: usize,
}

/// Splits a transfer of `sectors` sectors starting at `sector` into pieces
/// of at most `max_sectors` (> 0) each, in order.
pub fn split(sector: u64, sectors: usize, max_sectors: usize) -> impl Iterator<Item = Piece> {
    let max = max_sectors.max(1);
    (0..sectors).step_by(max).map(move |done| Piece {
        sector: sector + done as u64,
        sectors: max.min(sectors - done),
        offset: done * SECTOR,
    })
}

/// Whether `sectors` sectors from `sector` lie on a disk of `capacity`
/// sectors (no overflow either).
pub fn in_range(sector: u64, sectors: usize, capacity: u64) -> bool {
    sector
        .checked_add(sectors as u64)
        .is_some_and(|end| end <= capacity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn header_layout() {
        let h = header(TYPE_OUT, 0x0102_0304_0506_0708);
        assert_eq!(h[0..4], [1, 0, 0, 0]);
        assert_eq!(h[4..8], [0; 4]);
        assert_eq!(h[8..16], [8, 7, 6, 5, 4, 3, 2, 1]);
    }

    #[test]
    fn statuses() {
        assert_eq!(Status::from_byte(0), Status::Ok);
        assert_eq!(Status::from_byte(1), Status::IoError);
        assert_eq!(Status::from_byte(2), Status::Unsupported);
        assert_eq!(Status::from_byte(0xFF), Status::Other(0xFF));
    }

    #[test]
    fn split_covers_the_transfer_in_order() {
        let pieces: Vec<_> = split(100, 70, 32).collect();
        assert_eq!(
            pieces,
            [
                Piece {
                    sector: 100,
                    sectors: 32,
                    offset: 0
                },
                Piece {
                    sector: 132,
                    sectors: 32,
                    offset: 32 * 512
                },
                Piece {
                    sector: 164,
                    sectors: 6,
                    offset: 64 * 512
                },
            ]
        );
        assert_eq!(split(5, 0, 8).count(), 0);
        for total in 0..100 {
            for max in 1..20 {
                let pieces: Vec<_> = split(7, total, max).collect();
                assert_eq!(pieces.iter().map(|p| p.sectors).sum::<usize>(), total);
                assert!(pieces.iter().all(|p| p.sectors <= max && p.sectors > 0));
                for w in pieces.windows(2) {
                    assert_eq!(w[0].sector + w[0].sectors as u64, w[1].sector);
                }
            }
        }
    }

    #[test]
    fn range_checks() {
        assert!(in_range(0, 8, 8));
        assert!(!in_range(1, 8, 8));
        assert!(!in_range(8, 1, 8));
        assert!(in_range(8, 0, 8));
        assert!(!in_range(u64::MAX, 2, u64::MAX));
    }
}
