//! System calls: Linux's numbers and conventions, answered by the kernel.
//!
//! A program asks for a service with the `syscall` instruction (see
//! `arch::syscall` for the way in and out): the number in `rax`, up to six
//! arguments in `rdi`, `rsi`, `rdx`, `r10`, `r8`, `r9`, the result back in
//! `rax`. Kestrel follows Linux's x86_64 ABI, so a result in
//! `-4095..=-1` is an error number negated (`-EFAULT` = -14).
//!
//! [`handle`] first offers the call to the fast path (`fast.rs`: a few
//! calls that only read a word, answered with interrupts off). Otherwise it
//! looks the number up in [`TABLE`] (a binary search: the table
//! is sorted by number, which the build checks), one line per implemented call,
//! pointing at the file of its area (`io.rs`, `exit.rs`, `memory.rs`,
//! `cpu_state.rs`, `setup.rs`, ...). An unknown
//! number returns `-ENOSYS`, and the kernel says so once per number, by name
//! (`names.rs`), so a program that probes for features does not flood the
//! console.

mod attributes;
mod console;
mod cpu_state;
mod descriptors;
mod directories;
mod exit;
mod fast;
mod files;
mod futex;
mod identity;
mod io;
mod io_buffer;
mod job_control;
mod limits;
mod memory;
pub mod names;
mod ownership;
mod paths;
mod pipes;
mod poll;
mod prctl;
mod process;
mod random;
mod restart;
mod select;
mod setup;
mod signals;
mod system_info;
mod time;
pub mod user_memory;
pub mod user_string;
mod wait_mask;

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
    /// A blocking call interrupted by a signal: `EINTR`, or restarted
    /// under `SA_RESTART` (see `process::deliver`). Never seen by programs.
    pub const ERESTARTSYS: Errno = Errno(crate::process::deliver::ERESTARTSYS as u32);
    /// Interrupted: `EINTR` if a handler runs, else restarted.
    pub const ERESTARTNOHAND: Errno = Errno(crate::process::deliver::ERESTARTNOHAND as u32);
    /// Interrupted: `EINTR` if a handler runs, else `restart_syscall`
    /// goes on (`restart.rs`).
    pub const ERESTART_RESTARTBLOCK: Errno =
        Errno(crate::process::deliver::ERESTART_RESTARTBLOCK as u32);
}

type Call = fn(&Args) -> Result<u64, Errno>;

/// The implemented system calls: number, name, function. (Those of
/// `fast::call`, answered with interrupts off, are not here.)
const TABLE: &[(u64, &str, Call)] = &[
    (0, "read", io::read),
    (1, "write", io::write),
    (2, "open", files::open),
    (3, "close", files::close),
    (4, "stat", files::stat),
    (5, "fstat", files::fstat),
    (6, "lstat", files::lstat),
    (7, "poll", poll::poll),
    (8, "lseek", files::lseek),
    (9, "mmap", memory::mmap),
    (10, "mprotect", memory::mprotect),
    (11, "munmap", memory::munmap),
    (12, "brk", memory::brk),
    (13, "rt_sigaction", setup::rt_sigaction),
    (14, "rt_sigprocmask", setup::rt_sigprocmask),
    (16, "ioctl", console::ioctl),
    (17, "pread64", files::pread64),
    (18, "pwrite64", files::pwrite64),
    (19, "readv", io::readv),
    (20, "writev", io::writev),
    (21, "access", attributes::access),
    (22, "pipe", pipes::pipe),
    (23, "select", select::select),
    (24, "sched_yield", time::sched_yield),
    (32, "dup", descriptors::dup),
    (33, "dup2", descriptors::dup2),
    (34, "pause", signals::pause),
    (35, "nanosleep", time::nanosleep),
    (60, "exit", exit::exit),
    (61, "wait4", process::wait4),
    (62, "kill", process::kill),
    (63, "uname", identity::uname),
    (72, "fcntl", descriptors::fcntl),
    (74, "fsync", attributes::fsync),
    (75, "fdatasync", attributes::fsync),
    (76, "truncate", attributes::truncate),
    (77, "ftruncate", attributes::ftruncate),
    (79, "getcwd", directories::getcwd),
    (80, "chdir", directories::chdir),
    (81, "fchdir", directories::fchdir),
    (82, "rename", directories::rename),
    (83, "mkdir", directories::mkdir),
    (84, "rmdir", directories::rmdir),
    (86, "link", directories::link),
    (87, "unlink", directories::unlink),
    (88, "symlink", directories::symlink),
    (89, "readlink", directories::readlink),
    (90, "chmod", attributes::chmod),
    (91, "fchmod", attributes::fchmod),
    (92, "chown", ownership::chown),
    (93, "fchown", ownership::fchown),
    (94, "lchown", ownership::lchown),
    (95, "umask", files::umask),
    (96, "gettimeofday", time::gettimeofday),
    (97, "getrlimit", limits::getrlimit),
    (99, "sysinfo", system_info::sysinfo),
    (109, "setpgid", job_control::setpgid),
    (110, "getppid", process::getppid),
    (111, "getpgrp", job_control::getpgrp),
    (112, "setsid", job_control::setsid),
    (121, "getpgid", job_control::getpgid),
    (124, "getsid", job_control::getsid),
    (127, "rt_sigpending", signals::rt_sigpending),
    (130, "rt_sigsuspend", signals::rt_sigsuspend),
    (137, "statfs", attributes::statfs),
    (138, "fstatfs", attributes::fstatfs),
    (157, "prctl", prctl::prctl),
    (158, "arch_prctl", cpu_state::arch_prctl),
    (160, "setrlimit", limits::setrlimit),
    (162, "sync", attributes::sync),
    (200, "tkill", signals::tkill),
    (201, "time", time::time),
    (202, "futex", futex::futex),
    (217, "getdents64", files::getdents64),
    (218, "set_tid_address", process::set_tid_address),
    (219, "restart_syscall", restart::restart_syscall),
    (228, "clock_gettime", time::clock_gettime),
    (229, "clock_getres", time::clock_getres),
    (230, "clock_nanosleep", time::clock_nanosleep),
    (231, "exit_group", exit::exit_group),
    (234, "tgkill", signals::tgkill),
    (257, "openat", files::openat),
    (258, "mkdirat", directories::mkdirat),
    (260, "fchownat", ownership::fchownat),
    (262, "newfstatat", files::newfstatat),
    (263, "unlinkat", directories::unlinkat),
    (264, "renameat", directories::renameat),
    (265, "linkat", directories::linkat),
    (266, "symlinkat", directories::symlinkat),
    (267, "readlinkat", directories::readlinkat),
    (268, "fchmodat", attributes::fchmodat),
    (269, "faccessat", attributes::faccessat),
    (270, "pselect6", select::pselect6),
    (271, "ppoll", poll::ppoll),
    (280, "utimensat", attributes::utimensat),
    (292, "dup3", descriptors::dup3),
    (293, "pipe2", pipes::pipe2),
    (302, "prlimit64", limits::prlimit64),
    (306, "syncfs", attributes::syncfs),
    (316, "renameat2", directories::renameat2),
    (318, "getrandom", random::getrandom),
    (439, "faccessat2", attributes::faccessat2),
];

type FrameCall = fn(&mut InterruptFrame) -> Result<u64, Errno>;

/// The calls that need the whole saved frame, because they decide where a
/// program goes on: a forked child starts from a copy of it, `execve` and
/// `rt_sigreturn` rewrite it, `sigaltstack` reads the stack pointer.
/// Number, name, function.
const FRAME_TABLE: &[(u64, &str, FrameCall)] = &[
    (15, "rt_sigreturn", signals::rt_sigreturn),
    (56, "clone", process::clone),
    (57, "fork", process::fork),
    (58, "vfork", process::vfork),
    (59, "execve", process::execve),
    (131, "sigaltstack", setup::sigaltstack),
];

/// Whether `numbers` is sorted and has no number twice.
const fn strictly_sorted(numbers: &[u64]) -> bool {
    let mut i = 1;
    while i < numbers.len() {
        if numbers[i - 1] >= numbers[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The numbers of a table, in its order.
const fn numbers<T, const N: usize>(table: &[(u64, &str, T)]) -> [u64; N] {
    let mut numbers = [0; N];
    let mut i = 0;
    while i < N {
        numbers[i] = table[i].0;
        i += 1;
    }
    numbers
}

// [`handle`] finds a call by binary search: each table must stay sorted by
// number (the build fails here otherwise).
const _: () = assert!(strictly_sorted(&numbers::<Call, { TABLE.len() }>(TABLE)));
const _: () = assert!(strictly_sorted(
    &numbers::<FrameCall, { FRAME_TABLE.len() }>(FRAME_TABLE)
));

/// Makes [`handle`] answer every `syscall`. Needs `arch::syscall::init`.
pub fn init() {
    syscall::set_handler(handle);
    crate::process::set_user_writer(|address, bytes| {
        user_memory::copy_to_user(address, bytes).is_ok()
    });
    crate::arch::interrupts::set_user_return_hook(crate::process::deliver::on_interrupt_return);
    use crate::process::proc_files;
    crate::fs::procfs::set_proc_source(crate::fs::procfs::ProcSource {
        current: proc_files::current,
        pids: proc_files::pids,
        exists: proc_files::exists,
        stat: proc_files::stat,
        cmdline: proc_files::cmdline,
        exe: proc_files::exe,
        cwd: proc_files::cwd,
        fds: proc_files::fds,
        file: proc_files::file,
        uptime: system_info::proc_uptime,
        meminfo: system_info::proc_meminfo,
    });
}

/// Answers the system call saved in `frame` (see the module docs). Called
/// with interrupts off (as `syscall` leaves them), returns with them off.
pub fn handle(frame: &mut InterruptFrame) {
    if fast::answer(frame) {
        return;
    }
    // The general path may block or be preempted like any kernel code.
    x86_64::instructions::interrupts::enable();
    general(frame);
    x86_64::instructions::interrupts::disable();
}

/// Answers any call, with interrupts on.
fn general(frame: &mut InterruptFrame) {
    let args = [
        frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9,
    ];
    crate::process::syscall_entered();
    let number = frame.rax;
    let result = match find(TABLE, number) {
        Some(call) => call(&args),
        None => match (fast::call(number, &args), find(FRAME_TABLE, number)) {
            (Some(result), _) => result,
            (None, Some(call)) => call(frame),
            (None, None) => {
                report_unknown_once(number);
                Err(Errno::ENOSYS)
            }
        },
    };
    frame.rax = result_word(result);
    // A pending signal is acted on here, and a process killed meanwhile
    // ends here instead of returning.
    crate::process::syscall_leaving(frame, number);
}

/// A call's result as `rax` holds it: the value, or the error negated.
fn result_word(result: Result<u64, Errno>) -> u64 {
    match result {
        Ok(value) => value,
        Err(Errno(errno)) => (-i64::from(errno)) as u64,
    }
}

/// The function of call `number` in `table` (sorted by number).
fn find<T: Copy>(table: &[(u64, &str, T)], number: u64) -> Option<T> {
    let i = table.binary_search_by_key(&number, |&(n, _, _)| n).ok()?;
    Some(table[i].2)
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
