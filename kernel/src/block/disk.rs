//! Blocking sector I/O on the virtio disk, from many threads at once.
//!
//! A transfer is split into requests of at most one driver slot
//! (`virtio::blk::split`). For each, the thread takes a free slot (sleeping
//! on [`SLOT_FREE`] while there is none), submits, and sleeps on [`DONE`]
//! until the interrupt handler has marked its request complete. Both waits
//! check an atomic inside `WaitQueue::wait_while`, so a completion between
//! the check and the sleep cannot be missed. The driver's completion hook
//! ([`on_completion`], in the interrupt handler) wakes both queues; nothing
//! polls the device.
//!
//! The pieces of one transfer go one after another, but several threads'
//! requests are in the queue together: the device sees up to
//! `virtio_blk::SLOTS` requests at once.

use crate::drivers::virtio_blk::{self, DiskError, Request};
use crate::tasks::wait_queue::WaitQueue;
use virtio::blk::{SECTOR, in_range, split};

/// Threads waiting for their request to complete.
static DONE: WaitQueue = WaitQueue::new();
/// Threads waiting for a free slot.
static SLOT_FREE: WaitQueue = WaitQueue::new();

/// The driver's hook: runs in its interrupt handler after completions.
pub fn on_completion() {
    DONE.wake_all();
    SLOT_FREE.wake_all();
}

/// The disk's size in sectors (`None`: no disk).
pub fn capacity() -> Option<u64> {
    virtio_blk::disk().map(|d| d.capacity())
}

/// Reads `buf.len() / 512` sectors from `sector` into `buf`.
pub fn read(sector: u64, buf: &mut [u8]) -> Result<(), DiskError> {
    check(sector, buf.len())?;
    for piece in split(sector, buf.len() / SECTOR, virtio_blk::SLOT_SECTORS) {
        let part = &mut buf[piece.offset..piece.offset + piece.sectors * SECTOR];
        let request = Request::Read {
            sector: piece.sector,
            bytes: part.len(),
        };
        submit_and_wait(request, part)?;
    }
    Ok(())
}

/// Writes `data` (whole sectors) from `sector` on.
pub fn write(sector: u64, data: &[u8]) -> Result<(), DiskError> {
    check(sector, data.len())?;
    for piece in split(sector, data.len() / SECTOR, virtio_blk::SLOT_SECTORS) {
        let part = &data[piece.offset..piece.offset + piece.sectors * SECTOR];
        let request = Request::Write {
            sector: piece.sector,
            data: part,
        };
        submit_and_wait(request, &mut [])?;
    }
    Ok(())
}

/// Makes every completed write durable (the device's write cache flushed);
/// nothing to do on a device without one.
pub fn flush() -> Result<(), DiskError> {
    let disk = virtio_blk::disk().ok_or(DiskError::NoDisk)?;
    if !disk.has_flush() {
        return Ok(());
    }
    submit_and_wait(Request::Flush, &mut [])
}

/// Reads sectors (at most one slot's worth) without the range check: the
/// device judges them (for the tests of its error status).
pub fn read_unchecked(sector: u64, buf: &mut [u8]) -> Result<(), DiskError> {
    let request = Request::Read {
        sector,
        bytes: buf.len(),
    };
    submit_and_wait(request, buf)
}

fn check(sector: u64, bytes: usize) -> Result<(), DiskError> {
    let disk = virtio_blk::disk().ok_or(DiskError::NoDisk)?;
    if !bytes.is_multiple_of(SECTOR) {
        return Err(DiskError::BadLength(bytes));
    }
    let sectors = bytes / SECTOR;
    if !in_range(sector, sectors, disk.capacity()) {
        return Err(DiskError::OutOfRange {
            sector,
            sectors,
            capacity: disk.capacity(),
        });
    }
    Ok(())
}

/// Submits `request` (sleeping while no slot is free), sleeps until it
/// completes, and finishes it (a read's data lands in `out`).
fn submit_and_wait(request: Request<'_>, out: &mut [u8]) -> Result<(), DiskError> {
    let disk = virtio_blk::disk().ok_or(DiskError::NoDisk)?;
    let ticket = loop {
        if let Some(ticket) = disk.submit(request)? {
            break ticket;
        }
        SLOT_FREE.wait_while(|| disk.free_slots() == 0);
    };
    DONE.wait_while(|| !disk.is_done(&ticket));
    disk.finish(ticket, out)
}
