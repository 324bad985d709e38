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
//! A read submits all its pieces (as far as slots are free) before it waits
//! for the first, so the device works on them together, and tells the device
//! once for all of them (`Notify::Later`, then `announce`: each notify is a
//! trip into the emulator, which then takes every queued request); several threads'
//! requests are in the queue together too: the device sees up to
//! `virtio_blk::SLOTS` requests at once.
//!
//! **Write-behind.** [`write_behind`] queues its requests *detached*: the
//! caller goes on as soon as the data is copied into the driver's slots, and
//! the interrupt handler ends the requests. A failure is kept by the driver
//! and reported by the next [`flush`], which first waits until every
//! detached write has completed: a flush therefore still means "everything
//! written before is durable", or an error. Since the device may take
//! requests in any order, a read or write of sectors that a detached write
//! still covers waits for that write first.
//!
//! **Prefetch.** A [`Prefetch`] is a read started without waiting: its
//! pieces are queued (at most [`PREFETCH_SLOTS`], half the driver's slots,
//! so other threads always find some) and their tickets kept until the
//! owner takes the data, or discards it; it does not start while a detached
//! write covers its sectors, so it never reads older data than the cache
//! wrote.

use crate::drivers::virtio_blk::{self, DiskError, Notify, Request, Ticket};
use crate::tasks::wait_queue::WaitQueue;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
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

/// At most this many pieces of one read are in the queue at once (a bound
/// for the list of tickets: one thread should not hold every slot).
const QUEUED_PIECES: usize = 8;

/// Reads `buf.len() / 512` sectors from `sector` into `buf`: every piece is
/// submitted before the first is waited for (up to [`QUEUED_PIECES`]).
pub fn read(sector: u64, buf: &mut [u8]) -> Result<(), DiskError> {
    check(sector, buf.len())?;
    let disk = virtio_blk::disk().ok_or(DiskError::NoDisk)?;
    wait_for_detached(disk, sector, buf.len() / SECTOR);
    let mut pieces = split(sector, buf.len() / SECTOR, virtio_blk::SLOT_SECTORS).peekable();
    let mut queued: VecDeque<(Ticket, usize, usize)> = VecDeque::new();
    let mut result = Ok(());
    loop {
        // Queue what fits; stop queueing after an error.
        while result.is_ok() && queued.len() < QUEUED_PIECES {
            let Some(piece) = pieces.peek() else { break };
            let request = Request::Read {
                sector: piece.sector,
                bytes: piece.sectors * SECTOR,
            };
            match disk.submit_with(request, Notify::Later) {
                Ok(Some(ticket)) => {
                    queued.push_back((ticket, piece.offset, piece.sectors * SECTOR));
                    pieces.next();
                }
                Ok(None) if queued.is_empty() => {
                    disk.announce();
                    SLOT_FREE.wait_while(|| disk.free_slots() == 0);
                }
                Ok(None) => break,
                Err(e) => result = Err(e),
            }
        }
        disk.announce();
        // Finish the oldest (every queued ticket is finished, error or not).
        let Some((ticket, offset, len)) = queued.pop_front() else {
            return result;
        };
        DONE.wait_while(|| !disk.is_done(&ticket));
        let finished = disk.finish(ticket, &mut buf[offset..offset + len]);
        if result.is_ok() {
            result = finished;
        }
    }
}

/// A read started without waiting ([`Prefetch::start`]): its pieces' tickets
/// (each with its offset and length in the read), held until
/// [`Prefetch::take`] or [`Prefetch::discard`] ends them.
#[derive(Default)]
pub struct Prefetch {
    pieces: Vec<(Ticket, usize, usize)>,
}

/// A prefetch holds at most this many slots: the rest stay for everyone else.
pub const PREFETCH_SLOTS: usize = virtio_blk::SLOTS / 2;

impl Prefetch {
    /// Starts reading up to `bytes` (whole sectors) from `sector`, in as many
    /// whole pieces as free slots allow (at most [`PREFETCH_SLOTS`]), told to
    /// the device with one notify; returns the bytes started (0: none, also
    /// while a detached write covers any of the sectors, or on a bad range).
    /// Nothing else may be started before this one is taken or discarded.
    pub fn start(&mut self, sector: u64, bytes: usize) -> usize {
        debug_assert!(self.pieces.is_empty(), "one prefetch at a time");
        let Some(disk) = virtio_blk::disk() else {
            return 0;
        };
        if check(sector, bytes).is_err() || disk.write_in_flight(sector, bytes / SECTOR) {
            return 0;
        }
        let mut started = 0;
        for piece in split(sector, bytes / SECTOR, virtio_blk::SLOT_SECTORS) {
            if self.pieces.len() == PREFETCH_SLOTS {
                break;
            }
            let request = Request::Read {
                sector: piece.sector,
                bytes: piece.sectors * SECTOR,
            };
            let Ok(Some(ticket)) = disk.submit_with(request, Notify::Later) else {
                break;
            };
            self.pieces
                .push((ticket, piece.offset, piece.sectors * SECTOR));
            started += piece.sectors * SECTOR;
        }
        disk.announce();
        started
    }

    /// Waits for the started pieces and copies them into `buf` (as long as
    /// what [`start`](Self::start) started); every piece is finished, and
    /// the first failure is the result.
    pub fn take(&mut self, buf: &mut [u8]) -> Result<(), DiskError> {
        let disk = virtio_blk::disk().ok_or(DiskError::NoDisk)?;
        let mut result = Ok(());
        for (ticket, offset, len) in self.pieces.drain(..) {
            DONE.wait_while(|| !disk.is_done(&ticket));
            let out = buf.get_mut(offset..offset + len).unwrap_or(&mut []);
            let finished = disk.finish(ticket, out);
            if result.is_ok() {
                result = finished;
            }
        }
        result
    }

    /// Waits until every started piece has completed (they stay held).
    pub fn settle(&self) {
        let Some(disk) = virtio_blk::disk() else {
            return;
        };
        for (ticket, _, _) in &self.pieces {
            DONE.wait_while(|| !disk.is_done(ticket));
        }
    }

    /// Waits for the started pieces and frees their slots, data unread.
    pub fn discard(&mut self) {
        let Some(disk) = virtio_blk::disk() else {
            return;
        };
        for (ticket, _, _) in self.pieces.drain(..) {
            DONE.wait_while(|| !disk.is_done(&ticket));
            // An empty buffer: nothing is copied, the slot is freed; the
            // result does not matter, nobody reads these blocks.
            let _ = disk.finish(ticket, &mut []);
        }
    }
}

/// Writes `data` (whole sectors) from `sector` on, and waits until the
/// device has them (in its write cache: [`flush`] makes them durable).
pub fn write(sector: u64, data: &[u8]) -> Result<(), DiskError> {
    check(sector, data.len())?;
    let disk = virtio_blk::disk().ok_or(DiskError::NoDisk)?;
    wait_for_detached(disk, sector, data.len() / SECTOR);
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

/// Writes `data` (whole sectors) from `sector` on without waiting for the
/// device: returns once the data is queued (see the module docs). Range
/// errors come back now; a failure of the device comes back from the next
/// [`flush`].
pub fn write_behind(sector: u64, data: &[u8]) -> Result<(), DiskError> {
    check(sector, data.len())?;
    let disk = virtio_blk::disk().ok_or(DiskError::NoDisk)?;
    let mut result = Ok(());
    for piece in split(sector, data.len() / SECTOR, virtio_blk::SLOT_SECTORS) {
        let part = &data[piece.offset..piece.offset + piece.sectors * SECTOR];
        result = submit_detached(disk, piece.sector, part, Notify::Later);
        if result.is_err() {
            break;
        }
    }
    disk.announce();
    result
}

/// Queues one detached write (no range check: the device judges it), once
/// no other detached write covers its sectors and a slot is free.
pub fn write_behind_unchecked(sector: u64, data: &[u8]) -> Result<(), DiskError> {
    let disk = virtio_blk::disk().ok_or(DiskError::NoDisk)?;
    submit_detached(disk, sector, data, Notify::Now)
}

/// Queues one detached write; the device is told before any wait (and at
/// once with `Notify::Now`).
fn submit_detached(
    disk: &virtio_blk::Disk,
    sector: u64,
    data: &[u8],
    notify: Notify,
) -> Result<(), DiskError> {
    if disk.write_in_flight(sector, data.len() / SECTOR) {
        disk.announce();
        wait_for_detached(disk, sector, data.len() / SECTOR);
    }
    while !disk.submit_detached(sector, data, notify)? {
        disk.announce();
        SLOT_FREE.wait_while(|| disk.free_slots() == 0);
    }
    Ok(())
}

/// Sleeps while a detached write covers any of these sectors.
fn wait_for_detached(disk: &virtio_blk::Disk, sector: u64, sectors: usize) {
    DONE.wait_while(|| disk.write_in_flight(sector, sectors));
}

/// Makes every earlier write durable: waits for the detached writes, reports
/// the first of them that failed since the last flush (once), and flushes
/// the device's write cache (nothing to flush on a device without one).
pub fn flush() -> Result<(), DiskError> {
    let disk = virtio_blk::disk().ok_or(DiskError::NoDisk)?;
    DONE.wait_while(|| disk.detached_in_flight() > 0);
    if let Some(e) = disk.take_deferred_error() {
        return Err(e);
    }
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
