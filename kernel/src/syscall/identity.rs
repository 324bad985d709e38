//! Who and where: `uname`, and the user and group ids.
//!
//! Everything runs as root, so `getuid`, `geteuid`, `getgid` and `getegid`
//! are all 0. `uname` fills `struct utsname`: six fields of 65 bytes each
//! (system, node, release, version, machine, domain), NUL-padded.

use super::{Args, Errno, user_memory};

const FIELD: usize = 65;

/// The answers of `uname`, field by field.
pub const UTSNAME: [&str; 6] = [
    "Kestrel",
    "kestrel",
    env!("CARGO_PKG_VERSION"),
    "#1",
    "x86_64",
    "(none)",
];

/// `uname(buf)`.
pub fn uname(args: &Args) -> Result<u64, Errno> {
    let mut out = [0u8; FIELD * 6];
    for (i, text) in UTSNAME.iter().enumerate() {
        out[i * FIELD..i * FIELD + text.len()].copy_from_slice(text.as_bytes());
    }
    user_memory::copy_to_user(args[0], &out)?;
    Ok(0)
}

/// `getuid`, `geteuid`, `getgid`, `getegid`: root.
pub fn root_id(_: &Args) -> Result<u64, Errno> {
    Ok(0)
}
