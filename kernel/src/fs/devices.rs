//! Device files: `/dev/null`, `/dev/zero`, `/dev/urandom`, `/dev/console`,
//! `/dev/tty`.
//!
//! A device file is an inode whose kind is "character device" and whose
//! `rdev` names the device: a *major* number for the driver and a *minor*
//! one for the unit (Linux's numbers: `1,3` is null, `5,1` the console).
//! `/dev` is a tmpfs holding just such inodes; opening one (`OpenFile::open`)
//! looks at the `rdev` and gives an open file of the device itself
//! ([`Device`], or the console), which reads and writes in its own way:
//!
//! | file | read | write |
//! |---|---|---|
//! | null | end of file | swallows everything |
//! | zero | zeros | swallows everything |
//! | urandom | random bytes (`random::fill`) | swallows everything |
//! | console, tty | the console's line | the screen and serial |
//!
//! Beside them, symbolic links: `/dev/fd` to `/proc/self/fd`, and
//! `/dev/stdin`, `stdout`, `stderr` to `/proc/self/fd/0`, `1`, `2`.

use vfs::{FileSystem, Kind, TmpFs};

/// Linux's device number for `major, minor` (both small).
pub const fn device_number(major: u64, minor: u64) -> u64 {
    (major << 8) | minor
}

pub const NULL: u64 = device_number(1, 3);
pub const ZERO: u64 = device_number(1, 5);
pub const URANDOM: u64 = device_number(1, 9);
pub const TTY: u64 = device_number(5, 0);
pub const CONSOLE: u64 = device_number(5, 1);

/// A device that is not the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    Null,
    Zero,
    Random,
}

/// What opening a device file gives.
pub enum Opened {
    Device(Device),
    /// The console, opened as `/dev/console` or `/dev/tty` (`rdev`).
    Console {
        rdev: u64,
    },
}

/// The device `rdev` names, if Kestrel has it.
pub fn open(rdev: u64) -> Option<Opened> {
    Some(match rdev {
        NULL => Opened::Device(Device::Null),
        ZERO => Opened::Device(Device::Zero),
        URANDOM => Opened::Device(Device::Random),
        TTY | CONSOLE => Opened::Console { rdev },
        _ => return None,
    })
}

impl Device {
    /// Fills `buffer` as a read does; the bytes read.
    pub fn read(self, buffer: &mut [u8]) -> usize {
        match self {
            Device::Null => 0,
            Device::Zero => {
                buffer.fill(0);
                buffer.len()
            }
            Device::Random => {
                crate::random::fill(buffer);
                buffer.len()
            }
        }
    }

    /// Its path in `/dev`.
    pub fn path(self) -> &'static str {
        match self {
            Device::Null => "/dev/null",
            Device::Zero => "/dev/zero",
            Device::Random => "/dev/urandom",
        }
    }

    /// The device's number.
    pub fn rdev(self) -> u64 {
        match self {
            Device::Null => NULL,
            Device::Zero => ZERO,
            Device::Random => URANDOM,
        }
    }
}

/// The symbolic links of `/dev` into `/proc/self/fd` (`fs::procfs`), as
/// on Linux: programs name their own descriptors through them.
const LINKS: [(&[u8], &[u8]); 4] = [
    (b"fd", b"/proc/self/fd"),
    (b"stdin", b"/proc/self/fd/0"),
    (b"stdout", b"/proc/self/fd/1"),
    (b"stderr", b"/proc/self/fd/2"),
];
/// The permission bits of device `rdev`'s file (the console's is
/// `crw--w----`, as Linux's; the others are open to all).
pub fn permissions(rdev: u64) -> u32 {
    if rdev == CONSOLE { 0o620 } else { 0o666 }
}

/// The file system mounted at `/dev`.
pub fn device_fs() -> TmpFs {
    let fs = TmpFs::with_clock(crate::fs::vfs::now);
    let root = fs.root();
    for (name, rdev) in [
        (&b"null"[..], NULL),
        (b"zero", ZERO),
        (b"urandom", URANDOM),
        (b"console", CONSOLE),
        (b"tty", TTY),
    ] {
        // A new tmpfs has room for five names.
        let _ = fs.create(root, name, Kind::CharDevice, permissions(rdev), rdev);
    }
    for (name, target) in LINKS {
        let _ = fs.symlink(root, name, target);
    }
    fs
}
