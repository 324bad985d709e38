//! QEMU's fw_cfg device: named files the host hands the guest at boot.
//!
//! QEMU gives its firmware (and us) configuration through two I/O ports: a
//! 16-bit *selector* port (0x510) that picks an item, and a byte-wide
//! *data* port (0x511) that reads the selected item one byte after the
//! other. Item 0 is a signature, the four bytes "QEMU"; item 0x19 is a
//! directory of files, a big-endian count followed by one 64-byte entry per
//! file: its size (u32, big-endian), its selector (u16, big-endian), two
//! reserved bytes and its name (56 bytes, NUL-padded). The runner adds a
//! file with `-fw_cfg name=opt/org.kestrel/cmdline,string=...`, which is
//! how `cargo run -- --monitor` reaches the kernel (`boot_options.rs`).
//!
//! On a real PC there is no such device: nothing answers at port 0x511, a
//! read gives 0xff, the signature does not match and [`read_file`] says
//! `None` without touching the ports again.

use alloc::vec::Vec;
use x86_64::instructions::port::Port;

const SELECTOR: u16 = 0x510;
const DATA: u16 = 0x511;
const SIGNATURE_ITEM: u16 = 0x0000;
const DIRECTORY_ITEM: u16 = 0x0019;
const SIGNATURE: [u8; 4] = *b"QEMU";
/// The size of a directory entry, and of the name inside it.
const ENTRY: usize = 64;
const NAME: usize = 56;
/// More than any file we look for: a bigger one is refused.
const MOST: u32 = 4096;
/// More entries than QEMU ever lists (it has a few dozen).
const MOST_ENTRIES: u32 = 4096;

/// Selects item `item`; reading starts at its first byte.
fn select(item: u16) {
    // SAFETY: port 0x510 is fw_cfg's selector under QEMU; the signature
    // check below is made before any other use. On a PC without the device
    // the port is not decoded and the write goes nowhere.
    unsafe { Port::new(SELECTOR).write(item) }
}

/// Reads the next `out.len()` bytes of the selected item.
fn read(out: &mut [u8]) {
    let mut port = Port::new(DATA);
    for byte in out {
        // SAFETY: reading fw_cfg's data port only advances its offset in
        // the selected item (0xff where nothing answers).
        *byte = unsafe { port.read() };
    }
}

/// Whether QEMU's fw_cfg device is there.
pub fn is_present() -> bool {
    select(SIGNATURE_ITEM);
    let mut signature = [0; 4];
    read(&mut signature);
    signature == SIGNATURE
}

/// The bytes of the fw_cfg file called `name` (like
/// `opt/org.kestrel/cmdline`), or `None`: no device, no such file, or one
/// larger than 4 KiB.
pub fn read_file(name: &str) -> Option<Vec<u8>> {
    if !is_present() {
        return None;
    }
    let (selector, size) = find(name.as_bytes())?;
    if size > MOST {
        return None;
    }
    let mut bytes = alloc::vec![0; size as usize];
    select(selector);
    read(&mut bytes);
    Some(bytes)
}

/// The selector and size of file `name`, from the directory.
fn find(name: &[u8]) -> Option<(u16, u32)> {
    select(DIRECTORY_ITEM);
    let mut count = [0; 4];
    read(&mut count);
    let count = u32::from_be_bytes(count).min(MOST_ENTRIES);
    let mut entry = [0; ENTRY];
    for _ in 0..count {
        read(&mut entry);
        let stored = &entry[8..8 + NAME];
        let length = stored.iter().position(|&b| b == 0).unwrap_or(NAME);
        if &stored[..length] == name {
            let size = u32::from_be_bytes([entry[0], entry[1], entry[2], entry[3]]);
            let selector = u16::from_be_bytes([entry[4], entry[5]]);
            return Some((selector, size));
        }
    }
    None
}
