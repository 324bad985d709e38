//! The system calls the shell makes itself, as small safe functions.
//!
//! A shell is mostly process plumbing: `fork` makes a child, which rewires
//! its descriptors (`dup2`) and becomes the program (`execve`); the shell
//! waits for it (`wait4`, through libc's `waitpid`). Job control adds
//! process groups (`setpgid`) and the terminal's foreground group
//! (`tcsetpgrp`, the ioctl TIOCSPGRP). Each wrapper turns libc's -1 + errno
//! into an `io::Error`; nothing else here has any policy.

use std::ffi::{CStr, CString};
use std::io;

/// An error's text without Rust's " (os error N)" tail. musl has no text
/// for EUCLEAN (a damaged file system): it gets Linux's.
pub fn why(error: &io::Error) -> String {
    if error.raw_os_error() == Some(libc::EUCLEAN) {
        return "Structure needs cleaning".into();
    }
    let text = error.to_string();
    text.split(" (os error")
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Turns a libc return value into a result (-1 means "see errno").
fn check(value: libc::c_int) -> io::Result<libc::c_int> {
    if value == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(value)
    }
}

/// `fork`: 0 in the child, the child's pid in the parent.
pub fn fork() -> io::Result<i32> {
    // SAFETY: the shell has one thread, so the child is a complete copy of
    // it (no lock can be held by a thread that does not exist there).
    check(unsafe { libc::fork() })
}

/// `execve`: becomes the program at `path`; returns only on failure.
pub fn execve(path: &CStr, argv: &[CString], envp: &[CString]) -> io::Error {
    let mut argv: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let mut envp: Vec<*const libc::c_char> = envp.iter().map(|e| e.as_ptr()).collect();
    envp.push(std::ptr::null());
    // SAFETY: every pointer is to a NUL-terminated string that outlives
    // the call, and both arrays end with a null pointer.
    unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
    io::Error::last_os_error()
}

/// Ends the process at once (in a child after `fork`: no exit handlers of
/// the shell's run twice).
pub fn exit_now(status: i32) -> ! {
    // SAFETY: `_exit` takes any status and never returns.
    unsafe { libc::_exit(status) }
}

/// `dup2(from, to)`: descriptor `to` becomes a copy of `from`.
pub fn dup2(from: i32, to: i32) -> io::Result<()> {
    // SAFETY: plain call on descriptor numbers; a bad one is EBADF.
    check(unsafe { libc::dup2(from, to) }).map(drop)
}

/// A copy of `fd` numbered 10 or higher that closes on `execve`, to save a
/// descriptor while a builtin's redirection replaces it.
pub fn save(fd: i32) -> io::Result<i32> {
    // SAFETY: plain call on a descriptor number.
    check(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 10) })
}

/// `close(fd)`.
pub fn close(fd: i32) {
    // SAFETY: the caller owns `fd` and does not use it again.
    unsafe { libc::close(fd) };
}

/// Reads into `buf` from `fd` (one `read` call).
pub fn read(fd: i32, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// How a waited-for child changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// It ended; the shell's status for it (exit code, or 128 + signal).
    Ended(i32),
    /// It was stopped (Ctrl-Z); the status is 128 + the signal.
    Stopped(i32),
}

/// `waitpid(pid, WUNTRACED [| WNOHANG])`: the pid that changed and how, or
/// `None` with `no_hang` when nothing has changed yet.
pub fn wait(pid: i32, no_hang: bool) -> io::Result<Option<(i32, Change)>> {
    let mut status = 0;
    let flags = libc::WUNTRACED | if no_hang { libc::WNOHANG } else { 0 };
    // SAFETY: `status` is a valid place for the status word.
    let got = check(unsafe { libc::waitpid(pid, &mut status, flags) })?;
    if got == 0 {
        return Ok(None);
    }
    let change = if libc::WIFSTOPPED(status) {
        Change::Stopped(128 + libc::WSTOPSIG(status))
    } else if libc::WIFSIGNALED(status) {
        Change::Ended(128 + libc::WTERMSIG(status))
    } else {
        Change::Ended(libc::WEXITSTATUS(status))
    };
    Ok(Some((got, change)))
}

/// `setpgid(pid, pgid)` (0 = the caller, a new group = the pid itself).
pub fn setpgid(pid: i32, pgid: i32) -> io::Result<()> {
    // SAFETY: plain call on numbers.
    check(unsafe { libc::setpgid(pid, pgid) }).map(drop)
}

/// The caller's process group.
pub fn getpgrp() -> i32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { libc::getpgrp() }
}

/// Makes `pgid` the terminal's foreground group (ioctl TIOCSPGRP on fd 0).
pub fn give_terminal(pgid: i32) -> io::Result<()> {
    // SAFETY: plain call on numbers.
    check(unsafe { libc::tcsetpgrp(0, pgid) }).map(drop)
}

/// `kill(pid, signal)` (a negative pid: the whole group).
pub fn kill(pid: i32, signal: i32) -> io::Result<()> {
    // SAFETY: plain call on numbers.
    check(unsafe { libc::kill(pid, signal) }).map(drop)
}

/// Sets `signal` to be ignored (`true`) or to its default action.
pub fn ignore(signal: i32, ignored: bool) {
    let action = if ignored {
        libc::SIG_IGN
    } else {
        libc::SIG_DFL
    };
    // SAFETY: SIG_IGN and SIG_DFL are not handlers; no code of ours runs
    // from a signal.
    unsafe { libc::signal(signal, action) };
}

/// True if `fd` is a terminal.
pub fn is_terminal(fd: i32) -> bool {
    // SAFETY: plain call on a number.
    unsafe { libc::isatty(fd) == 1 }
}

/// The terminal's termios settings on fd 0.
pub fn get_termios() -> io::Result<libc::termios> {
    // SAFETY: termios is plain data; all-zero is a valid value to overwrite.
    let mut termios: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: `termios` is a valid place for the settings.
    check(unsafe { libc::tcgetattr(0, &mut termios) })?;
    Ok(termios)
}

/// Applies `termios` to fd 0 (TCSETS, at once).
pub fn set_termios(termios: &libc::termios) -> io::Result<()> {
    // SAFETY: `termios` points to valid settings.
    check(unsafe { libc::tcsetattr(0, libc::TCSANOW, termios) }).map(drop)
}

/// The terminal's width in columns (TIOCGWINSZ), if it says.
pub fn columns() -> Option<usize> {
    // SAFETY: winsize is plain data; all-zero is a valid value to overwrite.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ writes a winsize into `size`.
    let ok = unsafe { libc::ioctl(1, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some(size.ws_col as usize)
}
