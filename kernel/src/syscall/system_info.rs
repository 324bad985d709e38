//! The whole system's figures, as Linux gives them: `/proc/uptime`,
//! `/proc/meminfo` (procfs asks for them through a hook set at boot) and
//! the `sysinfo` system call (99), which busybox's `free` and `uptime` use.
//!
//! - `/proc/uptime`: seconds since the kernel started and seconds the
//!   idle thread has run, both with two decimals (`350.72 321.45`).
//! - `/proc/meminfo`: `Name:   value kB` lines; Kestrel gives the usable
//!   RAM its frame allocator manages (`MemTotal`), the frames free now
//!   (`MemFree`, and `MemAvailable`: nothing is cached that could be given
//!   back), and no swap.
//! - `struct sysinfo` (112 bytes on x86_64): uptime in seconds, three load
//!   averages (0: Kestrel keeps none), RAM and swap sizes in units of
//!   `mem_unit` bytes (1 here), and the number of processes.

use super::{Args, Errno, user_memory};
use crate::memory::frames;
use crate::{process, tasks, time};
use alloc::format;
use alloc::vec::Vec;

/// Bytes per frame.
const FRAME: u64 = 4096;

/// (usable, free) RAM in bytes.
fn ram() -> (u64, u64) {
    frames::stats().map_or((0, 0), |s| (s.usable as u64 * FRAME, s.free as u64 * FRAME))
}

/// `/proc/uptime`'s contents.
pub fn proc_uptime() -> Vec<u8> {
    let up = time::now_ns() / 10_000_000; // in hundredths of a second
    let idle: u64 = tasks::thread::list()
        .iter()
        .filter(|t| t.name == "idle")
        .map(|t| t.cpu_ns / 10_000_000)
        .sum();
    format!(
        "{}.{:02} {}.{:02}\n",
        up / 100,
        up % 100,
        idle / 100,
        idle % 100
    )
    .into_bytes()
}

/// `/proc/meminfo`'s contents.
pub fn proc_meminfo() -> Vec<u8> {
    let (total, free) = ram();
    let line =
        |name: &str, bytes: u64| format!("{:<16}{:>8} kB\n", format!("{name}:"), bytes / 1024);
    [
        line("MemTotal", total),
        line("MemFree", free),
        line("MemAvailable", free),
        line("SwapTotal", 0),
        line("SwapFree", 0),
    ]
    .concat()
    .into_bytes()
}

/// `sysinfo(info)`.
pub fn sysinfo(args: &Args) -> Result<u64, Errno> {
    let (total, free) = ram();
    let processes = process::proc_files::pids().len() as u16;
    let mut out = [0u8; 112];
    let mut put = |at: usize, bytes: &[u8]| out[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, &(time::now_ns() / 1_000_000_000).to_ne_bytes());
    put(32, &total.to_ne_bytes());
    put(40, &free.to_ne_bytes());
    put(80, &processes.to_ne_bytes());
    put(104, &1u32.to_ne_bytes());
    user_memory::copy_to_user(args[0], &out)?;
    Ok(0)
}
