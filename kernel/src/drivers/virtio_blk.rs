//! The virtio block device: requests in a split virtqueue, completions by
//! MSI-X interrupt.
//!
//! One queue (queue 0) of [`QUEUE_SIZE`] descriptors carries every request
//! as a chain of three (header, data, status; see `virtio::blk`). The
//! driver owns a fixed set of request *slots*, one per three descriptors:
//! each slot has its header and status bytes and a 128 KiB data buffer in
//! physically contiguous frames, which the device reads or writes directly
//! (DMA). Callers' buffers are copied in and out, so they can live anywhere
//! (the heap is not physically contiguous). One request moves up to 128
//! KiB: the emulated device, like a real one, costs about the same per
//! request whatever its size, so a long run of blocks goes in few requests.
//!
//! This file does not block or sleep; it is machine code below the
//! scheduler. A caller [`submit`](Disk::submit)s a request into a free slot
//! (or learns that none is free), and later [`finish`](Disk::finish)es it
//! when [`is_done`](Disk::is_done) says so. The interrupt handler takes the
//! used ring's entries, marks their slots done and calls the hook the block
//! layer registered ([`set_completion_hook`]), which wakes the threads that
//! wait: the sleeping happens up there, in `block::disk`.
//!
//! A write may also be *detached* ([`Disk::submit_detached`]): nobody waits
//! for it, and the interrupt handler finishes it itself. Its failure is not
//! lost: the first one is kept until [`Disk::take_deferred_error`] (the block
//! layer's flush) reports it. While it is in flight its sectors are known
//! ([`Disk::write_in_flight`]), because the device may take requests in any
//! order: a later read or write of the same sectors must wait for it.
//!
//! Errors are values: a status byte other than OK, a device that returns
//! nonsense in the used ring (counted in [`Disk::protocol_errors`]), or
//! set-up failures, which leave the kernel running without a disk.

use super::pci::Function;
use super::virtio_pci::{Doorbell, QueueMemory, Transport, TransportError};
use crate::arch::{interrupts, irq};
use crate::memory::{frames, phys_to_virt};
use crate::sync::IrqMutex;
use core::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, AtomicUsize, Ordering, fence};
use spin::Once;
use virtio::blk::{self, SECTOR, Status};
use virtio::queue::{self, DESC_NEXT, DESC_WRITE, SplitQueue, layout};
use x86_64::PhysAddr;

/// Descriptors in the queue (the device may allow more; fewer keeps the
/// memory small).
pub const QUEUE_SIZE: u16 = 64;
/// Requests that can be in flight at once.
pub const SLOTS: usize = QUEUE_SIZE as usize / 3;
/// The largest request: one slot's data buffer.
pub const SLOT_BYTES: usize = 128 * 1024;
pub const SLOT_SECTORS: usize = SLOT_BYTES / SECTOR;
const SLOT_FRAMES: usize = SLOT_BYTES / 4096;

/// `Disk::deferred_error` when no detached write failed.
const NO_ERROR: u16 = u16::MAX;

/// The MSI-X table entry the queue uses.
const MSIX_ENTRY: u16 = 0;

/// A request's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Read,
    Write,
    Flush,
}

/// One request to [`Disk::submit`].
#[derive(Clone, Copy, Debug)]
pub enum Request<'a> {
    /// `bytes / 512` sectors from `sector`.
    Read { sector: u64, bytes: usize },
    /// `data` (whole sectors) from `sector` on.
    Write { sector: u64, data: &'a [u8] },
    /// Empty the device's write cache.
    Flush,
}

/// Why a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiskError {
    /// The device answered with this status.
    Device(Status),
    /// The sectors are not on the disk.
    OutOfRange {
        sector: u64,
        sectors: usize,
        capacity: u64,
    },
    /// A buffer that is not a whole number of sectors, or larger than a slot.
    BadLength(usize),
    /// The disk is read-only.
    ReadOnly,
    /// No disk was found or set up.
    NoDisk,
}

impl core::fmt::Display for DiskError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DiskError::Device(status) => write!(f, "the disk reported {status:?}"),
            DiskError::OutOfRange {
                sector,
                sectors,
                capacity,
            } => write!(
                f,
                "sectors {sector}..{} are beyond the disk's {capacity}",
                sector.saturating_add(*sectors as u64)
            ),
            DiskError::BadLength(n) => write!(f, "{n} bytes is not a whole number of sectors"),
            DiskError::ReadOnly => write!(f, "the disk is read-only"),
            DiskError::NoDisk => write!(f, "no disk"),
        }
    }
}

/// When to tell the device about a queued request: at once, or later with
/// [`Disk::announce`], so that a batch (a read's pieces) costs one notify,
/// which under emulation is one expensive trip into the device model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notify {
    Now,
    Later,
}

/// A submitted request: its slot.
#[derive(Debug)]
#[must_use = "a submitted request must be finished, or its slot is lost"]
pub struct Ticket {
    slot: usize,
    op: Op,
    bytes: usize,
}

/// Physically contiguous memory the device can reach, seen through the
/// physical-memory window.
#[derive(Clone, Copy)]
struct Dma {
    phys: PhysAddr,
    virt: *mut u8,
}

// SAFETY: a `Dma` is an address pair; whoever dereferences `virt` follows
// the ownership rules of the `Disk` (slots and rings under its lock).
unsafe impl Send for Dma {}
// SAFETY: as for `Send`.
unsafe impl Sync for Dma {}

impl Dma {
    fn alloc(frames_needed: usize) -> Option<Dma> {
        let first = frames::alloc_contiguous(frames_needed, 1)?;
        let phys = first.start_address();
        let virt = phys_to_virt(phys).as_mut_ptr::<u8>();
        // SAFETY: the frames were just allocated: nothing else uses them, and
        // the physical-memory window maps them writable.
        unsafe { core::ptr::write_bytes(virt, 0, frames_needed * 4096) };
        Some(Dma { phys, virt })
    }

    fn at(&self, offset: usize) -> Dma {
        Dma {
            phys: self.phys + offset as u64,
            // SAFETY: callers keep offsets inside the allocation.
            virt: unsafe { self.virt.add(offset) },
        }
    }

    fn write<T>(&self, offset: usize, value: T) {
        // SAFETY: offsets stay inside the allocation and are aligned for `T`
        // (the ring layout's); the device may read concurrently, hence volatile.
        unsafe { (self.virt.add(offset) as *mut T).write_volatile(value) }
    }

    fn read<T>(&self, offset: usize) -> T {
        // SAFETY: as in `write`; the device may write concurrently.
        unsafe { (self.virt.add(offset) as *const T).read_volatile() }
    }
}

/// The shared ring memory and the driver's bookkeeping, under one lock.
struct Queue {
    ring: SplitQueue,
    /// Which slot each chain head belongs to.
    slot_of_head: [u8; queue::MAX_SIZE],
    busy: [bool; SLOTS],
}

/// The disk.
pub struct Disk {
    transport: Transport,
    doorbell: Doorbell,
    /// Requests were queued with [`Notify::Later`] and the device has not
    /// been told yet.
    unannounced: AtomicBool,
    queue: IrqMutex<Queue>,
    descriptors: Dma,
    available: Dma,
    used: Dma,
    /// Per slot: header at `16 * slot`, status byte at `2048 + slot`.
    small: Dma,
    data: [Dma; SLOTS],
    done: [AtomicBool; SLOTS],
    /// Per slot: a detached write is in it, on sectors `start..end`.
    detached: [AtomicBool; SLOTS],
    detached_start: [AtomicU64; SLOTS],
    detached_end: [AtomicU64; SLOTS],
    /// Detached writes not yet completed.
    detached_in_flight: AtomicUsize,
    /// The status byte of the first detached write that failed since the
    /// last [`Disk::take_deferred_error`] (`NO_ERROR`: none).
    deferred_error: AtomicU16,
    free_slots: AtomicUsize,
    capacity: u64,
    read_only: bool,
    has_flush: bool,
    requests: AtomicU64,
    interrupts: AtomicU64,
    protocol_errors: AtomicU64,
    /// The most requests that were in the queue at once.
    peak_in_flight: AtomicUsize,
}

static DISK: Once<Disk> = Once::new();
static HOOK: Once<fn()> = Once::new();

/// Called from the interrupt handler after requests completed (the block
/// layer wakes its waiters there). Set once, before [`init`].
pub fn set_completion_hook(hook: fn()) {
    HOOK.call_once(|| hook);
}

/// The disk, once [`init`] succeeded.
pub fn disk() -> Option<&'static Disk> {
    DISK.get()
}

/// Whether a PCI function is a virtio block device.
pub fn matches(function: &Function) -> bool {
    function.header.vendor == virtio::PCI_VENDOR && virtio::is_block_device(function.header.device)
}

/// Why [`init`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitError {
    Transport(TransportError),
    OutOfMemory,
    AlreadyStarted,
}

impl core::fmt::Display for InitError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            InitError::Transport(e) => write!(f, "{e}"),
            InitError::OutOfMemory => write!(f, "no memory for the queue"),
            InitError::AlreadyStarted => write!(f, "a disk is already running"),
        }
    }
}

/// Starts the block device `function` (one disk: the first call wins).
pub fn init(function: &Function) -> Result<&'static Disk, InitError> {
    if DISK.is_completed() {
        return Err(InitError::AlreadyStarted);
    }
    let transport = Transport::new(function).map_err(InitError::Transport)?;
    let features = transport
        .negotiate(blk::feature::RO | blk::feature::FLUSH)
        .map_err(InitError::Transport)?;
    let max = transport.queue_max_size(0);
    if max < QUEUE_SIZE {
        return Err(InitError::Transport(TransportError::Queue(
            "queue 0 too small",
        )));
    }
    let alloc = |frames| Dma::alloc(frames).ok_or(InitError::OutOfMemory);
    let descriptors = alloc(1)?;
    let available = alloc(1)?;
    let used = alloc(1)?;
    let small = alloc(1)?;
    let mut data = [descriptors; SLOTS];
    for slot in data.iter_mut() {
        *slot = alloc(SLOT_FRAMES)?;
    }
    let memory = QueueMemory {
        descriptors: descriptors.phys,
        available: available.phys,
        used: used.phys,
    };
    let doorbell = transport
        .setup_queue(0, QUEUE_SIZE, memory, MSIX_ENTRY)
        .map_err(InitError::Transport)?;
    interrupts::register(irq::DISK_VECTOR, "virtio-blk", |_| on_interrupt());
    transport.route_msix(MSIX_ENTRY, irq::DISK_VECTOR);
    let capacity = transport.device_config_u64(0).unwrap_or(0);
    let disk = Disk {
        transport,
        doorbell,
        unannounced: AtomicBool::new(false),
        queue: IrqMutex::new(Queue {
            ring: SplitQueue::new(QUEUE_SIZE).expect("QUEUE_SIZE is a power of two"),
            slot_of_head: [0; queue::MAX_SIZE],
            busy: [false; SLOTS],
        }),
        descriptors,
        available,
        used,
        small,
        data,
        done: [const { AtomicBool::new(false) }; SLOTS],
        detached: [const { AtomicBool::new(false) }; SLOTS],
        detached_start: [const { AtomicU64::new(0) }; SLOTS],
        detached_end: [const { AtomicU64::new(0) }; SLOTS],
        detached_in_flight: AtomicUsize::new(0),
        deferred_error: AtomicU16::new(NO_ERROR),
        free_slots: AtomicUsize::new(SLOTS),
        capacity,
        read_only: features & blk::feature::RO != 0,
        has_flush: features & blk::feature::FLUSH != 0,
        requests: AtomicU64::new(0),
        interrupts: AtomicU64::new(0),
        protocol_errors: AtomicU64::new(0),
        peak_in_flight: AtomicUsize::new(0),
    };
    let disk = DISK.call_once(|| disk);
    disk.transport.driver_ok();
    Ok(disk)
}

impl Disk {
    /// Size in 512-byte sectors.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// Whether the device has a write cache that [`Op::Flush`] empties.
    pub fn has_flush(&self) -> bool {
        self.has_flush
    }

    /// Slots free for [`submit`](Self::submit) now (an atomic read: fine in
    /// a wait condition).
    pub fn free_slots(&self) -> usize {
        self.free_slots.load(Ordering::Acquire)
    }

    /// Requests submitted, interrupts taken, bad used-ring entries seen.
    pub fn counters(&self) -> (u64, u64, u64) {
        (
            self.requests.load(Ordering::Relaxed),
            self.interrupts.load(Ordering::Relaxed),
            self.protocol_errors.load(Ordering::Relaxed),
        )
    }

    /// Queues one request. `Ok(None)`: no slot is free, try again after a
    /// completion. The sector range is not checked here: the device judges
    /// it (the block layer checks before).
    pub fn submit(&self, request: Request<'_>) -> Result<Option<Ticket>, DiskError> {
        self.queue_request(request, false, Notify::Now)
    }

    /// Like [`submit`](Self::submit), but with [`Notify::Later`] the device
    /// is told only at the next [`announce`](Self::announce) (or the next
    /// request queued with [`Notify::Now`]). Announce before waiting for
    /// anything, or the wait may never end.
    pub fn submit_with(
        &self,
        request: Request<'_>,
        notify: Notify,
    ) -> Result<Option<Ticket>, DiskError> {
        self.queue_request(request, false, notify)
    }

    /// Tells the device about requests queued with [`Notify::Later`], if any.
    pub fn announce(&self) {
        if self.unannounced.swap(false, Ordering::AcqRel) {
            self.transport.notify(self.doorbell);
        }
    }

    /// Queues a write that nobody waits for: the interrupt handler finishes
    /// it, and a failure is kept for [`take_deferred_error`](Self::take_deferred_error).
    /// `Ok(false)`: no slot is free, try again after a completion.
    pub fn submit_detached(
        &self,
        sector: u64,
        data: &[u8],
        notify: Notify,
    ) -> Result<bool, DiskError> {
        let ticket = self.queue_request(Request::Write { sector, data }, true, notify)?;
        // The ticket is the interrupt handler's now: it frees the slot.
        Ok(ticket.map(core::mem::forget).is_some())
    }

    /// Whether a detached write of any of `sectors` sectors from `sector` is
    /// still in flight (atomics only: fine in a wait condition).
    pub fn write_in_flight(&self, sector: u64, sectors: usize) -> bool {
        if self.detached_in_flight.load(Ordering::Acquire) == 0 {
            return false;
        }
        let end = sector.saturating_add(sectors as u64);
        (0..SLOTS).any(|slot| {
            self.detached[slot].load(Ordering::Acquire)
                && self.detached_start[slot].load(Ordering::Relaxed) < end
                && sector < self.detached_end[slot].load(Ordering::Relaxed)
        })
    }

    /// Detached writes still in flight (an atomic read).
    pub fn detached_in_flight(&self) -> usize {
        self.detached_in_flight.load(Ordering::Acquire)
    }

    /// The first failure of a detached write since the last call, if any;
    /// clears it.
    pub fn take_deferred_error(&self) -> Option<DiskError> {
        let byte = self.deferred_error.swap(NO_ERROR, Ordering::AcqRel);
        (byte != NO_ERROR).then(|| DiskError::Device(Status::from_byte(byte as u8)))
    }

    fn queue_request(
        &self,
        request: Request<'_>,
        detached: bool,
        notify: Notify,
    ) -> Result<Option<Ticket>, DiskError> {
        let (op, sector, bytes, data) = match request {
            Request::Read { sector, bytes } => (Op::Read, sector, bytes, &[][..]),
            Request::Write { sector, data } => (Op::Write, sector, data.len(), data),
            Request::Flush => (Op::Flush, 0, 0, &[][..]),
        };
        if !bytes.is_multiple_of(SECTOR) || bytes > SLOT_BYTES || (op == Op::Flush) != (bytes == 0)
        {
            return Err(DiskError::BadLength(bytes));
        }
        if op == Op::Write && self.read_only {
            return Err(DiskError::ReadOnly);
        }
        if detached && op != Op::Write {
            return Err(DiskError::BadLength(bytes));
        }
        let mut q = self.queue.lock();
        let Some(slot) = q.busy.iter().position(|b| !b) else {
            return Ok(None);
        };
        let mut chain = [0u16; 3];
        let chain = if op == Op::Flush {
            &mut chain[..2]
        } else {
            &mut chain[..]
        };
        let Some(head) = q.ring.alloc(chain) else {
            return Ok(None);
        };
        q.busy[slot] = true;
        q.slot_of_head[usize::from(head)] = slot as u8;
        let in_flight = SLOTS - self.free_slots.fetch_sub(1, Ordering::AcqRel) + 1;
        self.peak_in_flight.fetch_max(in_flight, Ordering::Relaxed);
        self.done[slot].store(false, Ordering::Release);
        if detached {
            self.detached_start[slot].store(sector, Ordering::Relaxed);
            let end = sector.saturating_add((bytes / SECTOR) as u64);
            self.detached_end[slot].store(end, Ordering::Relaxed);
            self.detached_in_flight.fetch_add(1, Ordering::AcqRel);
            self.detached[slot].store(true, Ordering::Release);
        }
        let kind = match op {
            Op::Read => blk::TYPE_IN,
            Op::Write => blk::TYPE_OUT,
            Op::Flush => blk::TYPE_FLUSH,
        };
        let header = self.small.at(16 * slot);
        header.write(0, blk::header(kind, sector));
        let status = self.small.at(2048 + slot);
        status.write(0, 0xFFu8);
        if op == Op::Write {
            // SAFETY: the slot's buffer is ours (busy), SLOT_BYTES long, and
            // `bytes` fits; the device does not touch it until published.
            unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), self.data[slot].virt, bytes) };
        }
        let mut parts = [(header.phys, 16u32, 0u16); 3];
        let mut n = 1;
        if op != Op::Flush {
            let flags = if op == Op::Read { DESC_WRITE } else { 0 };
            parts[n] = (self.data[slot].phys, bytes as u32, flags);
            n += 1;
        }
        parts[n] = (status.phys, 1, DESC_WRITE);
        for (i, &(addr, len, flags)) in parts[..chain.len()].iter().enumerate() {
            let d = 16 * usize::from(chain[i]);
            let last = i + 1 == chain.len();
            self.descriptors.write(d, addr.as_u64());
            self.descriptors.write(d + 8, len);
            self.descriptors
                .write(d + 12, if last { flags } else { flags | DESC_NEXT });
            self.descriptors
                .write(d + 14, if last { 0 } else { chain[i + 1] });
        }
        let publish = q.ring.publish(head);
        self.available.write(layout::avail_ring(publish.slot), head);
        // The device must see the ring entry (and the descriptors) before the
        // index that makes it visible.
        fence(Ordering::SeqCst);
        self.available.write(layout::AVAIL_IDX, publish.new_idx);
        fence(Ordering::SeqCst);
        match notify {
            Notify::Now => {
                self.unannounced.store(false, Ordering::Release);
                self.transport.notify(self.doorbell);
            }
            Notify::Later => self.unannounced.store(true, Ordering::Release),
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        Ok(Some(Ticket { slot, op, bytes }))
    }

    /// The most requests that were in the device's queue at once.
    pub fn peak_in_flight(&self) -> usize {
        self.peak_in_flight.load(Ordering::Relaxed)
    }

    /// Whether the device has completed `ticket`'s request (an atomic read).
    pub fn is_done(&self, ticket: &Ticket) -> bool {
        self.done[ticket.slot].load(Ordering::Acquire)
    }

    /// Ends a completed request (check [`is_done`](Self::is_done) first):
    /// for a read, copies the data into `out`, which must be exactly as long
    /// as the request; frees the slot in every case.
    pub fn finish(&self, ticket: Ticket, out: &mut [u8]) -> Result<(), DiskError> {
        assert!(self.is_done(&ticket), "finish before the request completed");
        fence(Ordering::SeqCst);
        let status = Status::from_byte(self.small.at(2048 + ticket.slot).read(0));
        let wrong_length = ticket.op == Op::Read && out.len() != ticket.bytes;
        if status == Status::Ok && !wrong_length && ticket.op == Op::Read {
            // SAFETY: the device is done with the slot's buffer (its chain
            // came back), which stays ours until `busy` is cleared below;
            // `out` is `ticket.bytes` long, at most SLOT_BYTES.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    self.data[ticket.slot].virt,
                    out.as_mut_ptr(),
                    ticket.bytes,
                )
            };
        }
        self.queue.lock().busy[ticket.slot] = false;
        self.free_slots.fetch_add(1, Ordering::AcqRel);
        match status {
            Status::Ok if wrong_length => Err(DiskError::BadLength(out.len())),
            Status::Ok => Ok(()),
            other => Err(DiskError::Device(other)),
        }
    }

    /// Takes every completion the device has posted; marks the slots done.
    fn collect(&self) -> usize {
        let mut q = self.queue.lock();
        let mut completed = 0;
        loop {
            let device_idx: u16 = self.used.read(layout::USED_IDX);
            let slot = match q.ring.next_used(device_idx) {
                Ok(Some(slot)) => slot,
                Ok(None) => break,
                Err(_) => {
                    self.protocol_errors.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            };
            fence(Ordering::SeqCst);
            let id: u32 = self.used.read(layout::used_ring(slot));
            match q.ring.complete(id) {
                Ok(_) => {
                    let request = usize::from(q.slot_of_head[id as usize]);
                    if self.detached[request].load(Ordering::Acquire) {
                        self.finish_detached(&mut q, request);
                    } else {
                        self.done[request].store(true, Ordering::Release);
                    }
                    completed += 1;
                }
                Err(_) => {
                    self.protocol_errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        completed
    }
}

impl Disk {
    /// Ends a detached write whose chain came back: keeps a failure, frees
    /// the slot (the queue is locked by the caller).
    fn finish_detached(&self, q: &mut Queue, slot: usize) {
        fence(Ordering::SeqCst);
        let status: u8 = self.small.at(2048 + slot).read(0);
        if Status::from_byte(status) != Status::Ok {
            // Only the first failure is kept; later ones find it set.
            let _ = self.deferred_error.compare_exchange(
                NO_ERROR,
                u16::from(status),
                Ordering::AcqRel,
                Ordering::Acquire,
            );
        }
        self.detached[slot].store(false, Ordering::Release);
        q.busy[slot] = false;
        self.free_slots.fetch_add(1, Ordering::AcqRel);
        self.detached_in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

fn on_interrupt() {
    let Some(disk) = DISK.get() else { return };
    disk.interrupts.fetch_add(1, Ordering::Relaxed);
    if disk.collect() > 0
        && let Some(hook) = HOOK.get()
    {
        hook();
    }
}
