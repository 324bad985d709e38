//! System calls: Linux's numbers and conventions, answered by the kernel.
//!
//! A program asks for a service with the `syscall` instruction (see
//! `arch::syscall` for the way in and out): the number in `rax`, up to six
//! arguments in `rdi`, `rsi`, `rdx`, `r10`, `r8`, `r9`, the result back in
//! `rax`. Kestrel follows Linux's x86_64 ABI, so a result in
//! `-4095..=-1` is an error number negated (`-EFAULT` = -14).
//!
//! [`handle`] looks the number up in [`TABLE`], one line per implemented call,
//! pointing at the file of its area (`io.rs`, `exit.rs`, ...). An unknown
//! number returns `-ENOSYS`, and the kernel says so once per number, by name
//! (`names.rs`), so a program that probes for features does not flood the
//! console.

mod exit;
mod io;
pub mod names;
mod process;
pub mod user_memory;

use crate::arch::entry::InterruptFrame;
use crate::arch::syscall;
use crate::println;
use core::sync::atomic::{AtomicU64, Ordering};

/// The six argument registers, in order.
pub type Args = [u64; 6];

/// An error number as Linux defines it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub u32);

impl Errno {
    pub const EBADF: Errno = Errno(linux_raw_sys::errno::EBADF);
    pub const EFAULT: Errno = Errno(linux_raw_sys::errno::EFAULT);
    pub const ENOSYS: Errno = Errno(linux_raw_sys::errno::ENOSYS);
}

type Call = fn(&Args) -> Result<u64, Errno>;

/// The implemented system calls: number, name, function.
const TABLE: &[(u64, &str, Call)] = &[
    (1, "write", io::write),
    (60, "exit", exit::exit),
    (231, "exit_group", exit::exit),
    (39, "getpid", process::getpid),
    (110, "getppid", process::getppid),
    (186, "gettid", process::gettid),
    (61, "wait4", process::wait4),
    (62, "kill", process::kill),
    (218, "set_tid_address", process::set_tid_address),
];

type FrameCall = fn(&mut InterruptFrame) -> Result<u64, Errno>;

/// The calls that need the whole saved frame, because they decide where a
/// program goes on: a forked child starts from a copy of it, `execve`
/// rewrites it. Number, name, function.
const FRAME_TABLE: &[(u64, &str, FrameCall)] = &[
    (56, "clone", process::clone),
    (57, "fork", process::fork),
    (58, "vfork", process::vfork),
    (59, "execve", process::execve),
];

/// Makes [`handle`] answer every `syscall`. Needs `arch::syscall::init`.
pub fn init() {
    syscall::set_handler(handle);
    crate::process::set_user_writer(|address, bytes| {
        user_memory::copy_to_user(address, bytes).is_ok()
    });
}

/// Answers the system call saved in `frame` (see the module docs).
pub fn handle(frame: &mut InterruptFrame) {
    let args = [
        frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9,
    ];
    crate::process::syscall_entered();
    let number = frame.rax;
    let result = match TABLE.iter().find(|(n, _, _)| *n == number) {
        Some((_, _, call)) => call(&args),
        None => match FRAME_TABLE.iter().find(|(n, _, _)| *n == number) {
            Some((_, _, call)) => call(frame),
            None => {
                report_unknown_once(number);
                Err(Errno::ENOSYS)
            }
        },
    };
    frame.rax = match result {
        Ok(value) => value,
        Err(Errno(errno)) => (-i64::from(errno)) as u64,
    };
    // A process killed meanwhile ends here instead of returning.
    crate::process::syscall_leaving();
}

/// Numbers below this are remembered one bit each; higher ones share the last bit.
const REMEMBERED: u64 = 512;
static REPORTED: [AtomicU64; REMEMBERED as usize / 64] =
    [const { AtomicU64::new(0) }; REMEMBERED as usize / 64];

/// Says that system call `number` is not implemented, the first time it is asked for.
fn report_unknown_once(number: u64) {
    let bit = number.min(REMEMBERED - 1);
    let mask = 1 << (bit % 64);
    let before = REPORTED[(bit / 64) as usize].fetch_or(mask, Ordering::Relaxed);
    if before & mask != 0 {
        return;
    }
    match names::name(number) {
        Some(name) => println!("syscall: {name} ({number}) is not supported: -ENOSYS"),
        None => println!("syscall: unknown system call {number}: -ENOSYS"),
    }
}
