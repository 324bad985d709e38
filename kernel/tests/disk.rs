//! Kernel tests for the disk: PCI enumeration, the virtio-blk driver, the
//! block layer and the block cache. The runner boots this kernel with a
//! scratch disk (`src/disk.rs`) whose sectors hold `crates/diskpattern`'s
//! known contents; the tests change it, and each run gets a fresh one.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;
use diskpattern::{SECTOR, SECTORS};
use kernel::arch::{acpi, gdt, idt, interrupts, irq};
use kernel::block::{self, Found, cache, disk};
use kernel::drivers::pci;
use kernel::drivers::virtio_blk::{self, DiskError, Request};
use kernel::tasks::thread;
use kernel::{tasks, test, testing, time};
use virtio::blk::Status;

kernel::test_kernel![
    test!(boot_steps_and_the_disk_start),
    test!(pci_scan_finds_the_host_bridge_and_the_disk),
    test!(known_sectors_read_back),
    test!(a_read_longer_than_a_request_is_split),
    test!(writes_read_back_and_leave_neighbours_alone),
    test!(many_threads_at_once),
    test!(errors_are_values),
    test!(completions_arrive_by_interrupt),
    test!(cache_writes_back_on_sync),
    test!(cache_is_bounded_and_counts_hits),
    test!(write_behind_reads_back_and_reports_failures_at_flush),
    test!(sequential_runs_are_read_ahead_and_writes_keep_them_right),
];

fn boot_steps_and_the_disk_start() {
    let boot_info = testing::boot_info();
    gdt::init(boot_info);
    idt::init(boot_info);
    acpi::init(boot_info).expect("ACPI tables");
    irq::init();
    time::init();
    tasks::init();
    interrupts::enable();
    assert_eq!(block::init(&pci::scan()), Found::Disk { sectors: SECTORS });
}

fn pci_scan_finds_the_host_bridge_and_the_disk() {
    let functions = pci::scan();
    let host = functions[0];
    assert_eq!((host.address.bus, host.address.device), (0, 0));
    assert_eq!(
        (host.header.class, host.header.subclass),
        (6, 0),
        "host bridge"
    );
    assert_eq!(
        functions.iter().filter(|f| virtio_blk::matches(f)).count(),
        1
    );
    for pair in functions.windows(2) {
        assert!(pair[0].address < pair[1].address, "sorted, no duplicates");
    }
}

fn read_sectors(first: u64, count: usize) -> Vec<u8> {
    let mut buf = vec![0u8; count * SECTOR];
    disk::read(first, &mut buf).expect("read");
    buf
}

fn assert_pattern(first: u64, data: &[u8]) {
    for (i, sector) in data.chunks(SECTOR).enumerate() {
        let n = first + i as u64;
        assert!(diskpattern::matches(n, sector), "sector {n} differs");
    }
}

fn known_sectors_read_back() {
    for n in [0, 1, 2047, 4096, SECTORS - 1] {
        assert_pattern(n, &read_sectors(n, 1));
    }
}

fn a_read_longer_than_a_request_is_split() {
    let count = 3 * virtio_blk::SLOT_SECTORS + 5;
    let before = virtio_blk::disk().unwrap().counters().0;
    assert_pattern(3, &read_sectors(3, count));
    let requests = virtio_blk::disk().unwrap().counters().0 - before;
    assert_eq!(
        requests,
        4,
        "{count} sectors in requests of at most {}",
        virtio_blk::SLOT_SECTORS
    );
}

/// Sector contents of our own, different from the pattern.
fn ours(seed: u8, sectors: usize) -> Vec<u8> {
    (0..sectors * SECTOR)
        .map(|i| (i as u8).wrapping_mul(7) ^ seed)
        .collect()
}

fn writes_read_back_and_leave_neighbours_alone() {
    let count = 2 * virtio_blk::SLOT_SECTORS + 17;
    let data = ours(0xA5, count);
    disk::write(1000, &data).expect("write");
    assert_eq!(read_sectors(1000, count), data);
    assert_pattern(999, &read_sectors(999, 1));
    assert_pattern(1000 + count as u64, &read_sectors(1000 + count as u64, 1));
    let last = ours(0x3C, 1);
    disk::write(SECTORS - 1, &last).expect("write the last sector");
    assert_eq!(read_sectors(SECTORS - 1, 1), last);
    disk::flush().expect("flush");
}

/// More threads than request slots, each writing and reading back its own
/// sectors: the queue fills, threads sleep for slots and completions, and
/// every byte ends up where it belongs.
fn many_threads_at_once() {
    let threads = virtio_blk::SLOTS + 11;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            thread::spawn("disk-user", move || {
                let first = 2048 + 16 * t as u64;
                for round in 0..4u8 {
                    let data = ours(t as u8 ^ round << 6, 16);
                    disk::write(first, &data).expect("write");
                    let mut back = vec![0u8; data.len()];
                    disk::read(first, &mut back).expect("read");
                    assert_eq!(back, data, "thread {t} round {round}");
                }
                t
            })
            .expect("spawn")
        })
        .collect();
    for (t, handle) in handles.into_iter().enumerate() {
        assert_eq!(handle.join(), Ok(t));
    }
    let d = virtio_blk::disk().unwrap();
    assert!(d.peak_in_flight() > 1, "requests were queued together");
    assert_eq!(d.free_slots(), virtio_blk::SLOTS, "every slot came back");
}

fn errors_are_values() {
    let mut one = [0u8; SECTOR];
    let out_of_range = |r| matches!(r, Err(DiskError::OutOfRange { .. }));
    assert!(out_of_range(disk::read(SECTORS, &mut one)));
    assert!(out_of_range(disk::read(
        SECTORS - 1,
        &mut [0u8; 2 * SECTOR]
    )));
    assert!(out_of_range(disk::read(u64::MAX, &mut one)));
    assert!(out_of_range(disk::write(SECTORS, &one)));
    assert_eq!(
        disk::read(0, &mut [0u8; 100]),
        Err(DiskError::BadLength(100))
    );
    // Past the end, unchecked: the device itself answers with an error status.
    assert_eq!(
        disk::read_unchecked(SECTORS, &mut one),
        Err(DiskError::Device(Status::IoError))
    );
    let d = virtio_blk::disk().unwrap();
    let too_long = Request::Read {
        sector: 0,
        bytes: virtio_blk::SLOT_BYTES + SECTOR,
    };
    assert_eq!(
        d.submit(too_long).err(),
        Some(DiskError::BadLength(virtio_blk::SLOT_BYTES + SECTOR))
    );
    // The disk goes on working, and nothing was lost.
    assert_eq!(d.free_slots(), virtio_blk::SLOTS);
    assert_pattern(0, &read_sectors(0, 1));
    assert_eq!(d.counters().2, 0, "no bad used-ring entries");
}

fn completions_arrive_by_interrupt() {
    let d = virtio_blk::disk().unwrap();
    let (requests_before, interrupts_before, _) = d.counters();
    let counted_before = interrupts::count(irq::DISK_VECTOR);
    for n in 0..10 {
        read_sectors(n, 1);
    }
    let (requests, interrupts_taken, _) = d.counters();
    assert_eq!(requests - requests_before, 10);
    // One request at a time: each completion is its own interrupt.
    assert_eq!(interrupts_taken - interrupts_before, 10);
    assert_eq!(interrupts::count(irq::DISK_VECTOR) - counted_before, 10);
}

fn cache_writes_back_on_sync() {
    cache::configure(1024).expect("1 KiB blocks");
    let block = 100; // sectors 200-201
    let data = ours(0x77, 2);
    cache::write(block, &data).expect("cached write");
    assert_pattern(200, &read_sectors(200, 2));
    let mut back = vec![0u8; 1024];
    cache::read(block, &mut back).expect("cached read");
    assert_eq!(back, data);
    cache::sync().expect("sync");
    assert_eq!(read_sectors(200, 2), data, "on the disk after sync");
    assert_eq!(cache::stats().unwrap().dirty, 0);
}

fn cache_is_bounded_and_counts_hits() {
    cache::configure(512).expect("512-byte blocks");
    let mut buf = vec![0u8; 512];
    cache::read(5, &mut buf).unwrap();
    cache::read(5, &mut buf).unwrap();
    let s = cache::stats().unwrap();
    assert_eq!((s.hits, s.misses), (1, 1));
    assert_pattern(5, &buf);
    for b in 0..cache::CAPACITY as u64 + 20 {
        cache::read(3000 + b, &mut buf).unwrap();
        assert_pattern(3000 + b, &buf);
    }
    assert_eq!(cache::stats().unwrap().cached, cache::CAPACITY);
    assert!(matches!(
        cache::write(SECTORS, &buf),
        Err(cache::CacheError::Disk(DiskError::OutOfRange { .. }))
    ));
    assert_eq!(
        cache::read(0, &mut [0u8; 100]),
        Err(cache::CacheError::WrongSize {
            expected: 512,
            got: 100
        })
    );
    assert_eq!(
        cache::configure(1000),
        Err(cache::CacheError::BadBlockSize(1000))
    );
}

fn write_behind_reads_back_and_reports_failures_at_flush() {
    let d = virtio_blk::disk().unwrap();
    let data = ours(0x5A, 3 * virtio_blk::SLOT_SECTORS);
    disk::write_behind(5000, &data).expect("queued");
    // A read of the same sectors waits for the writes: it sees the new data.
    assert_eq!(read_sectors(5000, data.len() / SECTOR), data);
    disk::flush().expect("nothing failed");
    // A detached write the device refuses (past the end): nobody waits for
    // it, and its error comes back from the next flush, once.
    disk::write_behind_unchecked(SECTORS, &ours(1, 1)).expect("queued");
    assert_eq!(disk::flush(), Err(DiskError::Device(Status::IoError)));
    assert_eq!(disk::flush(), Ok(()));
    assert_eq!(d.detached_in_flight(), 0);
    assert_eq!(d.free_slots(), virtio_blk::SLOTS, "every slot came back");
}

fn sequential_runs_are_read_ahead_and_writes_keep_them_right() {
    cache::configure(4096).expect("4 KiB blocks");
    let before = cache::read_ahead_stats().unwrap();
    let mut run = vec![0u8; 4 * 4096];
    for k in 0..8u64 {
        let first = 900 + 4 * k;
        cache::read_run(first, &mut run).expect("read a run");
        assert_pattern(first * 8, &run);
    }
    let after = cache::read_ahead_stats().unwrap();
    let reads = after.device_reads - before.device_reads;
    let hits = after.hit_blocks - before.hit_blocks;
    assert!(
        reads < 8 && hits >= 16,
        "{reads} device reads, {hits} blocks from the window"
    );
    assert!(
        after.prefetches > before.prefetches,
        "a window came from a prefetch"
    );
    // Block 933 is in the window now; a write of it replaces the window's copy.
    let new = ours(0x42, 8);
    cache::write_run(933, &new).expect("write a block");
    cache::read_run(932, &mut run).expect("read it back");
    assert_pattern(932 * 8, &run[..4096]);
    assert_eq!(&run[4096..8192], &new[..]);
    assert_pattern(934 * 8, &run[8192..]);
    cache::sync().expect("sync");
    let d = virtio_blk::disk().unwrap();
    assert_eq!(
        d.free_slots(),
        virtio_blk::SLOTS,
        "no prefetch holds a slot"
    );
}
