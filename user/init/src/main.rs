//! `/sbin/init`: the first user process. It has three jobs:
//!
//! 1. **Standard descriptors.** A program expects fds 0, 1 and 2 to be
//!    open. The kernel starts process 1 with none, so init, as process 1,
//!    opens `/dev/console` on all three. (It cannot just look for closed
//!    ones: Rust's runtime, before `main`, has put `/dev/null` on any
//!    standard descriptor that was closed.) Run as another process (a
//!    test), it opens the console only on those that are closed.
//! 2. **A shell, always.** It forks a child that starts a new session
//!    (`setsid`: the shell leads it, with the console as its controlling
//!    terminal, `ioctl(TIOCSCTTY)`, so that it can do job control) and
//!    `execve`s `/bin/sh`. When the shell ends, init says so and starts it
//!    again at once; a shell that keeps ending at once (several times in a
//!    row, each within a second) is started only once a second, with a
//!    word about it, so that it does not spin. If `/bin/sh` does not exist,
//!    init says so and checks again every few seconds. (The console may
//!    still belong to the last shell's session: the new one takes it,
//!    `TIOCSCTTY` with 1, as root may.)
//! 3. **Reaping.** A process whose parent ended becomes init's child (on
//!    Linux only for process 1, or a "subreaper": `prctl`, which init also
//!    asks for, so that it can be tested as an ordinary process). Init waits
//!    for *any* child (`wait4(-1)`) in a loop, so no orphan stays a zombie.
//!
//! `init [SHELL]`: the shell's path can be given, for tests; the kernel
//! starts init without arguments.

use std::ffi::CString;
use std::io;
use std::time::Duration;

/// How long init waits before starting again a shell that keeps ending at
/// once; and how long a shell must live not to count as ending at once.
const RESTART_DELAY: Duration = Duration::from_secs(1);
/// After this many quick ends in a row, init waits between attempts.
const QUICK_ENDS: u32 = 3;
/// How often init looks for a missing shell.
const MISSING_DELAY: Duration = Duration::from_secs(5);

fn main() {
    open_standard_descriptors(std::process::id() == 1);
    // Become a session leader ourselves too (fails harmlessly if we are);
    // as an ordinary process (tests on Linux), adopt orphans as pid 1 does.
    let pid1 = std::process::id() == 1;
    // SAFETY: plain calls without pointers.
    unsafe {
        libc::setsid();
        if !pid1 {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        }
    }
    let shell = std::env::args().nth(1).unwrap_or_else(|| "/bin/sh".into());
    if std::process::id() != 1 {
        eprintln!("init: running as process {}, not 1", std::process::id());
    }
    let mut quick_ends = 0;
    loop {
        if std::fs::metadata(&shell).is_err() {
            eprintln!(
                "init: {shell} is missing; looking again in {} s",
                MISSING_DELAY.as_secs()
            );
            reap_for(MISSING_DELAY);
            continue;
        }
        let started = std::time::Instant::now();
        match start(&shell) {
            Ok(pid) => {
                let status = reap_until(pid);
                eprintln!("init: {shell} {status}; starting it again");
            }
            Err(e) => eprintln!("init: cannot start {shell}: {e}"),
        }
        quick_ends = if started.elapsed() < RESTART_DELAY {
            quick_ends + 1
        } else {
            0
        };
        if quick_ends >= QUICK_ENDS {
            eprintln!(
                "init: {shell} ended at once {quick_ends} times in a row; \
                 waiting {} s between attempts",
                RESTART_DELAY.as_secs()
            );
            reap_for(RESTART_DELAY);
        }
    }
}

/// Opens `/dev/console` on each of fds 0, 1, 2 that is closed, or on all
/// three if `all`.
fn open_standard_descriptors(all: bool) {
    if all {
        for fd in 0..3 {
            // SAFETY: closing a descriptor number (maybe not open) is harmless.
            unsafe { libc::close(fd) };
        }
    }
    for fd in 0..3 {
        // SAFETY: F_GETFD only reads the descriptor's flags.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1 {
            continue;
        }
        // SAFETY: the path is a NUL-terminated literal.
        let opened = unsafe { libc::open(c"/dev/console".as_ptr(), libc::O_RDWR) };
        // The lowest free number is `fd` itself when the ones below are open;
        // otherwise move it there.
        if opened >= 0 && opened != fd {
            // SAFETY: both are descriptor numbers; `opened` is ours.
            unsafe {
                libc::dup2(opened, fd);
                libc::close(opened);
            }
        }
    }
}

/// Forks the shell in a session of its own; its pid.
fn start(shell: &str) -> io::Result<i32> {
    let path = CString::new(shell).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let argv = [path.as_ptr(), std::ptr::null()];
    let env = [
        c"PATH=/bin:/sbin".as_ptr(),
        c"HOME=/".as_ptr(),
        c"TERM=linux".as_ptr(),
        std::ptr::null(),
    ];
    // SAFETY: init has one thread, so the child is a complete copy.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            // SAFETY: setsid and ioctl take no memory of ours (TIOCSCTTY's
            // argument is a number: 1 takes the console from another
            // session, the last shell's); argv and env are null-terminated arrays
            // of NUL-terminated strings that live until execve.
            unsafe {
                libc::setsid();
                libc::ioctl(0, libc::TIOCSCTTY, 1);
                libc::execve(path.as_ptr(), argv.as_ptr(), env.as_ptr());
            }
            eprintln!("init: execve {shell}: {}", io::Error::last_os_error());
            // SAFETY: ends the child at once.
            unsafe { libc::_exit(127) }
        }
        pid => Ok(pid),
    }
}

/// Reaps children until `shell` ends; how it ended, in words.
fn reap_until(shell: i32) -> String {
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid place for the status word.
        let pid = unsafe { libc::wait4(-1, &mut status, 0, std::ptr::null_mut()) };
        if pid == shell {
            return if libc::WIFSIGNALED(status) {
                format!("was killed by signal {}", libc::WTERMSIG(status))
            } else {
                format!("exited with status {}", libc::WEXITSTATUS(status))
            };
        }
        if pid == -1 && io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return format!("is gone ({})", io::Error::last_os_error());
        }
    }
}

/// Waits `time`, reaping any child that ends meanwhile.
fn reap_for(time: Duration) {
    let end = std::time::Instant::now() + time;
    loop {
        // SAFETY: a null status pointer is allowed.
        while unsafe {
            libc::wait4(
                -1,
                std::ptr::null_mut(),
                libc::WNOHANG,
                std::ptr::null_mut(),
            )
        } > 0
        {}
        let now = std::time::Instant::now();
        if now >= end {
            return;
        }
        std::thread::sleep((end - now).min(Duration::from_millis(100)));
    }
}
