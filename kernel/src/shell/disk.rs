//! The shell's device and disk commands: `pci` and `disk`.
//!
//! `pci` lists what the boot's bus scan finds (again: it is cheap), without
//! touching the BARs (sizing them would briefly switch off a running
//! device's registers). `disk` shows the virtio disk, dumps a sector as hex,
//! or syncs the block cache. See docs/disk.md.

use super::error::{Error, Result};
use crate::block::{cache, disk};
use crate::drivers::pci;
use crate::drivers::virtio_blk;
use crate::{print, println, time};
use ::pci::{Capabilities, capability, class};
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

pub fn lspci(args: &[&str]) -> Result {
    super::error::no_args(args, "pci")?;
    let started = time::now_ns();
    let functions = pci::scan();
    let took_us = (time::now_ns() - started) / 1000;
    for &f in &functions {
        let h = f.header;
        let caps: Vec<&str> = Capabilities::new(&f.config(), &h)
            .map(|c| capability::name(c.id))
            .collect();
        let virtio = if virtio_blk::matches(&f) {
            " [virtio-blk]"
        } else {
            ""
        };
        print!(
            "{} {:04x}:{:04x} {}{virtio}",
            f.address,
            h.vendor,
            h.device,
            class::name(h.class, h.subclass),
        );
        if !caps.is_empty() {
            print!(" (caps: {})", caps.join(", "));
        }
        println!();
    }
    println!("{} functions; the scan took {took_us} us", functions.len());
    Ok(())
}

const DISK_USAGE: &str = "disk [read SECTOR | sync]";

pub fn disk(args: &[&str]) -> Result {
    match args {
        [] => info(),
        ["read", n] => {
            let sector = n.parse().map_err(|_| Error::Usage(DISK_USAGE))?;
            read(sector)
        }
        ["sync"] => cache::sync().map_err(|e| Error::Text(format!("{e:?}"))),
        _ => Err(Error::Usage(DISK_USAGE)),
    }
}

fn info() -> Result {
    let d = virtio_blk::disk().ok_or(Error::Failed("no disk (cargo run -- --disk FILE)"))?;
    let (requests, interrupts, bad) = d.counters();
    println!(
        "virtio-blk: {} sectors ({} MiB){}{}",
        d.capacity(),
        d.capacity() / 2048,
        if d.read_only() { ", read-only" } else { "" },
        if d.has_flush() { ", write cache" } else { "" },
    );
    println!(
        "queue: {} descriptors, {} request slots of {} KiB, {} free",
        virtio_blk::QUEUE_SIZE,
        virtio_blk::SLOTS,
        virtio_blk::SLOT_BYTES / 1024,
        d.free_slots()
    );
    println!(
        "{requests} requests (at most {} at once), {interrupts} interrupts, {bad} bad used-ring entries",
        d.peak_in_flight()
    );
    Ok(())
}

fn read(sector: u64) -> Result {
    let mut buf = vec![0u8; 512];
    disk::read(sector, &mut buf).map_err(|e| Error::Text(format!("{e}")))?;
    for (row, bytes) in buf.chunks(16).enumerate() {
        print!("{:03x}:", row * 16);
        for b in bytes {
            print!(" {b:02x}");
        }
        print!("  ");
        for &b in bytes {
            let c = if (0x20..0x7F).contains(&b) {
                b as char
            } else {
                '.'
            };
            print!("{c}");
        }
        println!();
    }
    Ok(())
}

/// The block cache's line for `mem`.
pub fn cache_report() {
    match cache::stats() {
        Some(s) => {
            let looked_up = s.hits + s.misses;
            let rate = (s.hits * 100).checked_div(looked_up).unwrap_or(0);
            println!(
                "cache:  {} of {} blocks of {} B ({} KiB), {} dirty; {} hits, {} misses ({}% hits), {} written back",
                s.cached,
                s.capacity,
                s.block_size,
                s.cached * s.block_size / 1024,
                s.dirty,
                s.hits,
                s.misses,
                rate,
                s.writebacks
            );
        }
        None => println!("cache:  busy"),
    }
    if let Some(r) = cache::read_ahead_stats() {
        println!(
            "read-ahead: {} blocks from windows, {} reads waited for, {} prefetches taken, {} dropped",
            r.hit_blocks, r.device_reads, r.prefetches, r.dropped
        );
    }
}
