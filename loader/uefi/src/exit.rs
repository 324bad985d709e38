//! Exiting boot services: the moment the firmware lets go.
//!
//! `ExitBootServices(image, key)` ends the firmware's boot-time services:
//! its allocator, its drivers, its timers, its console. It takes the *key*
//! of the latest memory map, so that the loader provably saw the final one:
//! if anything allocated memory since (a timer event, a driver), the key is
//! stale and the call fails. After a failed call the only service allowed
//! is `GetMemoryMap`, so the map goes into a buffer allocated beforehand, and
//! we get a fresh map and try once more. If that fails too, we print why on
//! COM1 and halt (the `uefi` crate's own helper would reset the machine).

use crate::fail;
use bootplan::memmap::{Entry, uefi_kind};
use core::sync::atomic::{AtomicBool, Ordering};
use loader_common::serial;
use uefi::Status;
use uefi::boot::MemoryDescriptor;

static EXITED: AtomicBool = AtomicBool::new(false);

/// Whether boot services are gone (no console, no allocator).
pub fn exited() -> bool {
    EXITED.load(Ordering::Relaxed)
}

/// The final memory map, as the firmware wrote it.
#[derive(Clone, Copy)]
pub struct FinalMap {
    bytes: &'static [u8],
    descriptor_size: usize,
}

impl FinalMap {
    /// The descriptors, translated for `bootplan::memmap::convert`.
    pub fn entries(&self) -> impl Iterator<Item = Entry> + Clone + '_ {
        self.bytes
            .chunks_exact(self.descriptor_size)
            .map(|chunk| {
                // SAFETY: each chunk is one descriptor the firmware wrote
                // (`descriptor_size` >= the struct's size, checked on exit).
                unsafe { chunk.as_ptr().cast::<MemoryDescriptor>().read_unaligned() }
            })
            .map(|d| Entry {
                start: d.phys_start,
                len: d.page_count.saturating_mul(4096),
                kind: uefi_kind(d.ty.0),
            })
    }
}

/// Gets the final memory map into `buffer` and exits boot services.
pub fn exit_boot_services(buffer: &'static mut [u8]) -> FinalMap {
    let system = uefi::table::system_table_raw().unwrap_or_else(|| fail::halt());
    // SAFETY: the system table the firmware gave us is valid while we run,
    // and so is its boot-services table until the exit succeeds.
    let boot = unsafe { &*system.as_ref().boot_services };
    for attempt in 0..2 {
        let (mut size, mut key, mut descriptor_size, mut version) = (buffer.len(), 0, 0, 0);
        // SAFETY: all pointers are to live locals or to `buffer`, whose
        // length `size` says; the firmware writes at most that much.
        let status = unsafe {
            (boot.get_memory_map)(
                &mut size,
                buffer.as_mut_ptr().cast(),
                &mut key,
                &mut descriptor_size,
                &mut version,
            )
        };
        if status != Status::SUCCESS || descriptor_size < size_of::<MemoryDescriptor>() {
            if attempt == 0 {
                fail::stop(&"cannot read the final memory map (buffer too small?)");
            }
            break;
        }
        // SAFETY: `key` belongs to the map just read; on success the
        // firmware's services are gone and we no longer call them.
        let status = unsafe { (boot.exit_boot_services)(uefi::boot::image_handle().as_ptr(), key) };
        if status == Status::SUCCESS {
            EXITED.store(true, Ordering::Relaxed);
            return FinalMap {
                bytes: &buffer[..size],
                descriptor_size,
            };
        }
    }
    serial::line("kestrel loader: cannot exit boot services: the memory map keeps changing");
    fail::halt()
}
