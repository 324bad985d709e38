//! A new program's first stack: what the System V ABI says is there at entry.
//!
//! When a program starts, it has no arguments in registers: everything it is
//! told sits on its stack. `rsp` points at `argc`, a 64-bit count; above it are
//! the pointers of the argument strings and a zero, the pointers of the
//! environment strings (`NAME=value`) and a zero, then the *auxiliary vector*
//! (auxv): pairs of a key (`AT_...`) and a value, ended by `AT_NULL`. The auxv
//! tells the C library what only the kernel knows: where the program headers
//! were mapped (`AT_PHDR`, `AT_PHENT`, `AT_PHNUM`), the page size, the entry
//! point, 16 random bytes to seed stack protectors and pointer mangling
//! (`AT_RANDOM`), who runs it (`AT_UID`...), the CPU's features (`AT_HWCAP`)
//! and the program's path (`AT_EXECFN`). Strings and the random bytes live
//! above the tables, at the top of the stack.
//!
//! ```text
//!   top ->  8 zero bytes
//!           execfn string, argument strings, environment strings
//!           16 random bytes                     <- AT_RANDOM
//!           (padding to 16 bytes)
//!           AT_NULL, 0
//!           key, value ... (auxv)
//!           0
//!           envp[0..]
//!           0
//!           argv[0..]
//!   rsp ->  argc                                (rsp % 16 == 0)
//! ```
//!
//! [`build`] writes this into a byte buffer that stands for the highest bytes
//! of the stack (the buffer's last byte is at `top - 1`) and returns where
//! everything went. It needs no allocation: the kernel passes the page(s) it
//! will map at the stack's top. Too little room gives [`Error::TooBig`]
//! (`E2BIG`); a string with a NUL inside cannot be passed and gives
//! [`Error::NulInString`].
#![no_std]
#![forbid(unsafe_code)]

use linux_raw_sys::auxvec as at;

/// Why a stack could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The arguments, environment and tables do not fit in the buffer.
    TooBig,
    /// An argument, environment string or the path contains a NUL byte.
    NulInString,
    /// The buffer is larger than the addresses below `top`.
    BadTop,
}

impl Error {
    /// The errno a program calling `execve` sees.
    pub fn errno(self) -> i32 {
        let errno = match self {
            Error::TooBig => linux_raw_sys::errno::E2BIG,
            Error::NulInString | Error::BadTop => linux_raw_sys::errno::EINVAL,
        };
        errno as i32
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Error::TooBig => "arguments and environment do not fit on the stack",
            Error::NulInString => "a string contains a NUL byte",
            Error::BadTop => "the stack buffer reaches below address 0",
        })
    }
}

/// The auxv values that come from the loaded program and the system.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Aux {
    /// Where the program headers are in memory.
    pub phdr: u64,
    /// The size of one program header (56).
    pub phent: u64,
    /// How many program headers there are.
    pub phnum: u64,
    /// The program's entry point.
    pub entry: u64,
    /// Where the dynamic linker was loaded; 0 for static programs.
    pub base: u64,
    pub uid: u64,
    pub euid: u64,
    pub gid: u64,
    pub egid: u64,
    /// Whether the program runs with more privileges than its caller.
    pub secure: bool,
    /// CPU features (cpuid leaf 1, edx on x86_64).
    pub hwcap: u64,
}

/// The page size programs are told (`AT_PAGESZ`).
pub const PAGE_SIZE: u64 = 4096;
/// Clock ticks per second of `times()` (`AT_CLKTCK`).
pub const CLOCK_TICKS: u64 = 100;

/// Where things went: the result of [`build`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The initial `rsp`: it points at `argc` and is 16-byte aligned.
    pub rsp: u64,
    pub argc: u64,
    /// The address of `argv[0]`'s pointer.
    pub argv: u64,
    /// The address of `envp[0]`'s pointer.
    pub envp: u64,
    /// The address of the first auxv pair.
    pub auxv: u64,
    /// The 16 random bytes (`AT_RANDOM`).
    pub random: u64,
    /// The program's path (`AT_EXECFN`).
    pub execfn: u64,
}

/// The auxv pairs, `AT_NULL` last.
fn aux_pairs(aux: &Aux, random: u64, execfn: u64) -> [(u32, u64); 17] {
    [
        (at::AT_PHDR, aux.phdr),
        (at::AT_PHENT, aux.phent),
        (at::AT_PHNUM, aux.phnum),
        (at::AT_PAGESZ, PAGE_SIZE),
        (at::AT_BASE, aux.base),
        (at::AT_FLAGS, 0),
        (at::AT_ENTRY, aux.entry),
        (at::AT_UID, aux.uid),
        (at::AT_EUID, aux.euid),
        (at::AT_GID, aux.gid),
        (at::AT_EGID, aux.egid),
        (at::AT_SECURE, u64::from(aux.secure)),
        (at::AT_HWCAP, aux.hwcap),
        (at::AT_CLKTCK, CLOCK_TICKS),
        (at::AT_RANDOM, random),
        (at::AT_EXECFN, execfn),
        (at::AT_NULL, 0),
    ]
}

/// The stack's bytes and the addresses they stand for.
struct Stack<'a> {
    bytes: &'a mut [u8],
    /// The address of `bytes[0]`.
    bottom: u64,
}

impl Stack<'_> {
    /// Copies `data` to `address` (already checked to be inside).
    fn put(&mut self, address: u64, data: &[u8]) {
        let at = (address - self.bottom) as usize;
        self.bytes[at..at + data.len()].copy_from_slice(data);
    }

    fn put_u64(&mut self, address: u64, value: u64) {
        self.put(address, &value.to_le_bytes());
    }

    /// Writes `s` and its NUL at `address`; returns the address after it.
    fn put_string(&mut self, address: u64, s: &[u8]) -> u64 {
        self.put(address, s);
        self.put(address + s.len() as u64, &[0]);
        address + s.len() as u64 + 1
    }
}

/// The bytes `strings` take with their NULs, if no string has a NUL inside.
fn strings_size(strings: &[&[u8]]) -> Result<u64, Error> {
    strings.iter().try_fold(0u64, |total, s| {
        if s.contains(&0) {
            return Err(Error::NulInString);
        }
        total.checked_add(s.len() as u64 + 1).ok_or(Error::TooBig)
    })
}

/// Writes the initial stack into `stack`, whose last byte is at address
/// `top - 1`, and returns where everything went.
pub fn build(
    stack: &mut [u8],
    top: u64,
    args: &[&[u8]],
    env: &[&[u8]],
    execfn: &[u8],
    random: &[u8; 16],
    aux: &Aux,
) -> Result<Layout, Error> {
    let bottom = top.checked_sub(stack.len() as u64).ok_or(Error::BadTop)?;
    let strings = strings_size(&[execfn])? + strings_size(args)? + strings_size(env)?;
    let words = (args.len() as u64 + 1)
        .checked_add(env.len() as u64 + 1)
        .and_then(|w| w.checked_add(1 + 2 * 17))
        .ok_or(Error::TooBig)?;
    let execfn_at = top
        .checked_sub(8)
        .and_then(|t| t.checked_sub(strings))
        .ok_or(Error::TooBig)?;
    let random_at = execfn_at.checked_sub(16).ok_or(Error::TooBig)?;
    let rsp = words
        .checked_mul(8)
        .and_then(|size| (random_at & !15).checked_sub(size))
        .map(|rsp| rsp & !15)
        .filter(|&rsp| rsp >= bottom)
        .ok_or(Error::TooBig)?;

    let mut s = Stack {
        bytes: stack,
        bottom,
    };
    s.bytes[(rsp - bottom) as usize..].fill(0);
    let mut string_at = s.put_string(execfn_at, execfn);
    s.put(random_at, random);
    let argv = rsp + 8;
    let envp = argv + 8 * (args.len() as u64 + 1);
    let auxv = envp + 8 * (env.len() as u64 + 1);
    s.put_u64(rsp, args.len() as u64);
    for (table, strings) in [(argv, args), (envp, env)] {
        for (i, string) in strings.iter().enumerate() {
            s.put_u64(table + 8 * i as u64, string_at);
            string_at = s.put_string(string_at, string);
        }
    }
    for (i, (key, value)) in aux_pairs(aux, random_at, execfn_at).iter().enumerate() {
        s.put_u64(auxv + 16 * i as u64, u64::from(*key));
        s.put_u64(auxv + 16 * i as u64 + 8, *value);
    }
    Ok(Layout {
        rsp,
        argc: args.len() as u64,
        argv,
        envp,
        auxv,
        random: random_at,
        execfn: execfn_at,
    })
}

#[cfg(test)]
mod tests;
