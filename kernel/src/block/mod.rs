//! The block layer: the disk as the file system sees it.
//!
//! Below is the virtio driver (`drivers::virtio_blk`), which queues requests
//! and takes completions in its interrupt handler but never waits. This layer
//! adds what needs threads:
//!
//! - [`disk`]: blocking reads and writes of any number of sectors: split into
//!   requests that fit the driver's slots, submitted from any number of
//!   threads at once; a thread sleeps until its request completes (woken by
//!   the interrupt), or until a slot is free;
//! - [`cache`]: blocks of the file system's size, kept in a bounded
//!   write-back cache (`crates/blockcache`), written out by `sync`;
//! - [`read_ahead`]: below the cache, a window of blocks read ahead of a
//!   sequential reader, and writes that do not wait for the device;
//! - [`ext2_disk`]: the cache as the sector device `crates/ext2` reads.
//!
//! [`init`] looks for the disk among the PCI functions found at boot.

pub mod cache;
pub mod disk;
pub mod ext2_disk;
pub mod read_ahead;

use crate::drivers::pci::Function;
use crate::drivers::virtio_blk::{self, InitError};
use crate::println;

/// What [`init`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// A virtio disk of this many sectors, now running.
    Disk { sectors: u64 },
    /// No virtio block device on the bus.
    None,
    /// There was one, but it could not be started.
    Failed(InitError),
}

/// Starts the first virtio block device in `functions` and prints a line
/// about it for the boot report.
pub fn init(functions: &[Function]) -> Found {
    virtio_blk::set_completion_hook(disk::on_completion);
    let Some(function) = functions.iter().find(|f| virtio_blk::matches(f)) else {
        println!("Disk:         none (`cargo run` attaches Kestrel's disk unless `--no-disk`)");
        return Found::None;
    };
    match virtio_blk::init(function) {
        Ok(d) => {
            println!(
                "Disk:         virtio-blk at {}, {} sectors ({} MiB){}{}, MSI-X vector {:#x}",
                function.address,
                d.capacity(),
                d.capacity() / 2048,
                if d.read_only() { ", read-only" } else { "" },
                if d.has_flush() { ", write cache" } else { "" },
                crate::arch::irq::DISK_VECTOR,
            );
            Found::Disk {
                sectors: d.capacity(),
            }
        }
        Err(e) => {
            println!(
                "Disk:         virtio-blk at {} not started: {e}",
                function.address
            );
            Found::Failed(e)
        }
    }
}
