//! Process system calls: identity (`getpid`, `getppid`, `gettid`), `fork`,
//! `vfork`, `clone`, `execve`, `wait4`, `kill`, `set_tid_address`.
//!
//! This file reads and checks the arguments (user pointers through the copy
//! helpers, flags against what is supported) and turns the process layer's
//! answers into Linux's results and error numbers; the work itself is in
//! `process` (`fork.rs`, `exec.rs`, `wait.rs`, `signal.rs`).

use super::{Args, Errno, user_memory};
use crate::arch::entry::InterruptFrame;
use crate::arch::syscall::USER_END;
use crate::process::fork::{ForkError, Options};
use crate::process::signal::KillError;
use crate::process::wait::WaitError;
use crate::process::{self, Error, Pid};
use alloc::vec::Vec;
use linux_raw_sys::errno;
use ptable::Target;

// `clone` flags (Linux's `sched.h`).
const CSIGNAL: u64 = 0xff;
const CLONE_VM: u64 = 0x100;
const CLONE_FS: u64 = 0x200;
const CLONE_FILES: u64 = 0x400;
const CLONE_SIGHAND: u64 = 0x800;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_THREAD: u64 = 0x1_0000;
const CLONE_SYSVSEM: u64 = 0x4_0000;
const CLONE_DETACHED: u64 = 0x40_0000;
const CLONE_SETTLS: u64 = 0x8_0000;
const CLONE_PARENT_SETTID: u64 = 0x10_0000;
const CLONE_CHILD_CLEARTID: u64 = 0x20_0000;
const CLONE_CHILD_SETTID: u64 = 0x100_0000;
/// The flags `clone` supports for a new process; any other (namespaces,
/// sharing files or signal actions with a process...) gives `-EINVAL`.
/// `CLONE_SYSVSEM` and `CLONE_DETACHED` are accepted and mean nothing here.
const CLONE_SUPPORTED: u64 = CSIGNAL
    | CLONE_SYSVSEM
    | CLONE_DETACHED
    | CLONE_VM
    | CLONE_VFORK
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_CHILD_SETTID;

// `wait4` options: WNOHANG, WUNTRACED and WCONTINUED (stopped and continued
// children, `process::stop`), and the ones accepted and ignored (no
// threads): __WNOTHREAD, __WALL, __WCLONE.
const WNOHANG: u64 = 1;
const WAIT_ACCEPTED: u64 = WNOHANG | 2 | 8 | 0x2000_0000 | 0x4000_0000 | 0x8000_0000;

/// Limits for `execve`: a path, and argv and envp together (Linux's
/// `ARG_MAX` is larger, but our initial stack is 16 KiB).
const MAX_PATH: usize = 4096;
const MAX_ARG_BYTES: usize = 16 * 1024;
const MAX_ARG_STRINGS: usize = 1024;
/// The size of `struct rusage`, which `wait4` fills with zeros.
const RUSAGE_SIZE: usize = 144;

fn the_caller() -> Result<Pid, Errno> {
    process::current_pid().ok_or(Errno::ENOSYS)
}

/// `getpid()`.
pub fn getpid(_: &Args) -> Result<u64, Errno> {
    Ok(u64::from(the_caller()?.0))
}

/// `getppid()`: 0 for a process the kernel started.
pub fn getppid(_: &Args) -> Result<u64, Errno> {
    let me = the_caller()?;
    Ok(process::parent_of(me).map_or(0, |p| u64::from(p.0)))
}

/// `gettid()`: the calling thread's id (the pid for the first thread).
pub fn gettid(_: &Args) -> Result<u64, Errno> {
    process::current_tid().map(u64::from).ok_or(Errno::ENOSYS)
}

/// `set_tid_address(tidptr)`: where 0 is stored when the calling thread
/// ends; returns its tid.
pub fn set_tid_address(args: &Args) -> Result<u64, Errno> {
    process::set_clear_child_tid(args[0]);
    gettid(args)
}

/// `fork()`.
pub fn fork(frame: &mut InterruptFrame) -> Result<u64, Errno> {
    make_child(frame, Options::default())
}

/// `vfork()`: shares the memory; the caller sleeps until the child execs or ends.
pub fn vfork(frame: &mut InterruptFrame) -> Result<u64, Errno> {
    let options = Options {
        share_memory: true,
        vfork: true,
        ..Options::default()
    };
    make_child(frame, options)
}

/// `clone(flags, stack, parent_tid, child_tid, tls)` with fork-like flags
/// (see [`CLONE_SUPPORTED`]); `CLONE_VM` only with `CLONE_VFORK`.
pub fn clone(frame: &mut InterruptFrame) -> Result<u64, Errno> {
    let [flags, stack, parent_tid, child_tid, tls, _] = [
        frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9,
    ];
    if flags & CLONE_THREAD != 0 {
        return clone_thread(frame, flags, [stack, parent_tid, child_tid, tls]);
    }
    if flags & !CLONE_SUPPORTED != 0 || (flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0) {
        return Err(Errno(errno::EINVAL));
    }
    if flags & CLONE_SETTLS != 0 && tls >= USER_END {
        return Err(Errno(errno::EPERM));
    }
    let when = |flag: u64, value: u64| (flags & flag != 0).then_some(value);
    let options = Options {
        share_memory: flags & CLONE_VM != 0,
        vfork: flags & CLONE_VFORK != 0,
        stack: Some(stack).filter(|&s| s != 0),
        tls: when(CLONE_SETTLS, tls),
        set_child_tid: when(CLONE_CHILD_SETTID, child_tid),
        clear_child_tid: when(CLONE_CHILD_CLEARTID, child_tid),
    };
    let pid = make_child(frame, options)?;
    if flags & CLONE_PARENT_SETTID != 0 {
        // As on Linux, a bad pointer here does not undo the clone.
        let _ = user_memory::copy_to_user(parent_tid, &(pid as u32).to_le_bytes());
    }
    Ok(pid)
}

/// The flags a new thread must have (it shares memory, files and signal
/// actions with its process), and those it may have besides.
const THREAD_NEEDS: u64 = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
const THREAD_MAY: u64 = THREAD_NEEDS
    | CLONE_SYSVSEM
    | CLONE_DETACHED
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_SETTID
    | CLONE_CHILD_CLEARTID;

/// `clone` with `CLONE_THREAD`: a new thread of the calling process (see
/// `process::threads`); returns its tid.
fn clone_thread(frame: &InterruptFrame, flags: u64, args: [u64; 4]) -> Result<u64, Errno> {
    let [stack, parent_tid, child_tid, tls] = args;
    if flags & THREAD_NEEDS != THREAD_NEEDS || flags & !THREAD_MAY != 0 {
        return Err(Errno(errno::EINVAL));
    }
    if flags & CLONE_SETTLS != 0 && tls >= USER_END {
        return Err(Errno(errno::EPERM));
    }
    let when = |flag: u64, value: u64| (flags & flag != 0).then_some(value);
    let options = process::threads::Options {
        stack,
        tls: when(CLONE_SETTLS, tls),
        set_tid: [
            when(CLONE_PARENT_SETTID, parent_tid),
            when(CLONE_CHILD_SETTID, child_tid),
        ],
        clear_tid: when(CLONE_CHILD_CLEARTID, child_tid),
    };
    match process::threads::spawn(frame, options) {
        Ok(tid) => {
            if let Some(address) = options.set_tid[0] {
                // (Stored by the new thread too, before it runs.)
                let _ = user_memory::copy_to_user(address, &tid.to_le_bytes());
            }
            Ok(u64::from(tid))
        }
        Err(process::threads::Error::OutOfMemory) => Err(Errno(errno::ENOMEM)),
        Err(process::threads::Error::Ending) => Err(Errno(errno::EAGAIN)),
        Err(process::threads::Error::NotAProcess) => Err(Errno::ENOSYS),
    }
}

fn make_child(frame: &InterruptFrame, options: Options) -> Result<u64, Errno> {
    match process::fork::fork(frame, options) {
        Ok(pid) => Ok(u64::from(pid.0)),
        Err(ForkError::TooMany) => Err(Errno(errno::EAGAIN)),
        Err(ForkError::OutOfMemory) => Err(Errno(errno::ENOMEM)),
        Err(ForkError::NotAProcess) => Err(Errno::ENOSYS),
    }
}

/// `execve(path, argv, envp)`: the program comes from `process::programs`
/// (the VFS), and `/proc/self/exe` names it from then on.
pub fn execve(frame: &mut InterruptFrame) -> Result<u64, Errno> {
    let [path, argv, envp] = [frame.rdi, frame.rsi, frame.rdx];
    let path = read_string(path, MAX_PATH).map_err(|e| match e {
        Errno(errno::E2BIG) => Errno(errno::ENAMETOOLONG),
        e => e,
    })?;
    let mut budget = MAX_ARG_BYTES;
    let args = read_strings(argv, &mut budget)?;
    let env = read_strings(envp, &mut budget)?;
    let program = process::programs::find(&path).map_err(Errno)?;
    // Not yet: ending the other threads of the caller first.
    if process::thread_count() > 1 {
        return Err(Errno(errno::EAGAIN));
    }
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(&path);
    let name = core::str::from_utf8(name).unwrap_or("?");
    let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
    let env: Vec<&[u8]> = env.iter().map(Vec::as_slice).collect();
    process::exec::exec(frame, name, &program.bytes, &args, &env).map_err(|e| match e {
        Error::NotExecutable(_) | Error::BadSize => Errno(errno::ENOEXEC),
        Error::BadArguments(ustack::Error::TooBig) => Errno(errno::E2BIG),
        Error::BadArguments(_) => Errno(errno::EINVAL),
        Error::OutOfMemory | Error::Spawn(_) | Error::TooMany => Errno(errno::ENOMEM),
    })?;
    process::files::set_exe_path(program.path);
    Ok(0)
}

/// The NUL-terminated string at user address `address`, at most `limit`
/// bytes before the NUL (`-E2BIG` if longer, `-EFAULT` if unreadable).
fn read_string(address: u64, limit: usize) -> Result<Vec<u8>, Errno> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 64];
    loop {
        let at = address
            .checked_add(bytes.len() as u64)
            .ok_or(Errno::EFAULT)?;
        // Never read past the page the string may end on.
        let to_page_end = (4096 - at % 4096) as usize;
        let piece = chunk.len().min(to_page_end);
        user_memory::copy_from_user(&mut chunk[..piece], at)?;
        if let Some(nul) = chunk[..piece].iter().position(|&b| b == 0) {
            bytes.extend_from_slice(&chunk[..nul]);
            return Ok(bytes);
        }
        bytes.extend_from_slice(&chunk[..piece]);
        if bytes.len() > limit {
            return Err(Errno(errno::E2BIG));
        }
    }
}

/// The strings of a NULL-terminated array of string pointers at `address`
/// (none if `address` is 0, as Linux allows), taking their sizes from
/// `budget` (`-E2BIG` when it runs out).
fn read_strings(address: u64, budget: &mut usize) -> Result<Vec<Vec<u8>>, Errno> {
    let mut strings = Vec::new();
    if address == 0 {
        return Ok(strings);
    }
    loop {
        if strings.len() >= MAX_ARG_STRINGS {
            return Err(Errno(errno::E2BIG));
        }
        let mut pointer = [0u8; 8];
        let at = address
            .checked_add(8 * strings.len() as u64)
            .ok_or(Errno::EFAULT)?;
        user_memory::copy_from_user(&mut pointer, at)?;
        let pointer = u64::from_le_bytes(pointer);
        if pointer == 0 {
            return Ok(strings);
        }
        let string = read_string(pointer, *budget)?;
        *budget = budget
            .checked_sub(string.len() + 1)
            .ok_or(Errno(errno::E2BIG))?;
        strings.push(string);
    }
}

/// `wait4(pid, wstatus, options, rusage)`: pid > 0 is that child, -1 any
/// child, 0 any child in the caller's process group, < -1 any child in
/// group -pid. The status word is Linux's; the rusage is zeros.
pub fn wait4(args: &Args) -> Result<u64, Errno> {
    let [pid, wstatus, options, rusage, ..] = *args;
    if options & !WAIT_ACCEPTED != 0 {
        return Err(Errno(errno::EINVAL));
    }
    let target = match pid as i32 {
        -1 => Target::Any,
        0 => Target::Group(process::groups::pgid(Pid(0)).ok_or(Errno(errno::ECHILD))?),
        pid if pid < 0 => Target::Group(Pid(pid.unsigned_abs())),
        pid => Target::Child(Pid(pid as u32)),
    };
    let no_hang = options & WNOHANG != 0;
    let found = process::wait::wait_for_change(target, no_hang, options).map_err(|e| match e {
        WaitError::NoChild | WaitError::NotAProcess => Errno(errno::ECHILD),
        WaitError::Killed => Errno(errno::EINTR),
        WaitError::Interrupted => Errno::ERESTARTSYS,
    })?;
    let Some((pid, status)) = found else {
        return Ok(0);
    };
    // The child is reaped either way; as on Linux, a bad pointer is still
    // reported.
    if wstatus != 0 {
        user_memory::copy_to_user(wstatus, &status.word().to_le_bytes())?;
    }
    if rusage != 0 {
        user_memory::copy_to_user(rusage, &[0; RUSAGE_SIZE])?;
    }
    Ok(u64::from(pid.0))
}

/// `kill(pid, signal)`: pid > 0 is that process, 0 the caller's process
/// group, -1 every process but init and the caller, < -1 group -pid; see
/// `process::signal` for what each signal does.
pub fn kill(args: &Args) -> Result<u64, Errno> {
    let [pid, signal, ..] = *args;
    let signal = u64::try_from(signal as i32).map_err(|_| Errno(errno::EINVAL))?;
    let groups = &process::groups::kill_group;
    let sent = match pid as i32 {
        -1 => process::groups::kill_all(signal),
        0 => {
            let group = process::groups::pgid(Pid(0)).ok_or(Errno(errno::ESRCH))?;
            groups(group, signal)
        }
        pid if pid < 0 => groups(Pid(pid.unsigned_abs()), signal),
        pid => process::signal::kill(Pid(pid as u32), signal),
    };
    sent.map_err(|e| match e {
        KillError::NoProcess => Errno(errno::ESRCH),
        KillError::BadSignal => Errno(errno::EINVAL),
    })?;
    Ok(0)
}
