//! The end of the boot story: the kernel hands the machine to init.
//!
//! A Unix kernel runs one program itself, the first process, *init*
//! (`/sbin/init`, or the path of the `init=` boot option), as process 1;
//! everything else in user space descends from it. Our init (`user/init`)
//! opens the console, starts the shell in a session of its own, starts it
//! again when it exits, and reaps orphans, which the kernel gives it.
//!
//! The kernel's own thread `main` then only waits for init. init is not
//! supposed to end; if it does, the kernel says how on screen and serial
//! ("init (pid 1) exited with status 3", "... was killed by signal
//! SIGSEGV") and starts the kernel monitor, the kernel shell, so the
//! machine never just hangs. The monitor also runs instead of init when
//! the boot option `monitor` asks for it (`cargo run -- --monitor`), when
//! Esc is held while booting (a key already waiting when init would
//! start), or when there is no init to start; the boot log says why.

use crate::boot_options;
use crate::fs::ramdisk;
use crate::process::{self, WaitStatus, pid1};
use crate::tasks::thread::ThreadError;
use crate::{input, println, shell, terminal};
use alloc::format;
use alloc::string::String;
use bootloader_api::BootInfo;
use linux_raw_sys::errno::ENOENT;

/// The byte the Esc key gives.
const ESCAPE: u8 = 0x1b;

/// Starts init and waits for it; then, or instead, the kernel monitor.
pub fn run(boot_info: &'static BootInfo) -> ! {
    let options = boot_options::get();
    if options.monitor {
        println!("boot option `monitor`: starting the kernel monitor");
    } else if escape_held() {
        println!("Esc held at boot: starting the kernel monitor");
    } else {
        run_init(&options.init, &options.init_args);
        // The console goes back to the kernel: no session owns it now.
        terminal::take_back();
    }
    shell::run(boot_info)
}

/// Starts init from `path` with the arguments `args` and waits until it
/// ends, saying how it ended; or says why it could not start.
fn run_init(path: &str, args: &[String]) {
    let program = match process::programs::find(path.as_bytes()) {
        Ok(program) => program,
        Err(ENOENT) if ramdisk::archive().is_none() => {
            return println!("no {path} (and no ramdisk): starting the kernel monitor");
        }
        Err(ENOENT) => return println!("no {path}: starting the kernel monitor"),
        Err(errno) => {
            return println!("cannot read {path} (errno {errno}): starting the kernel monitor");
        }
    };
    let (pid, handle) = match pid1::start(path, args, &program.bytes) {
        Ok(started) => started,
        Err(e) => return println!("cannot start {path}: {e}: starting the kernel monitor"),
    };
    if pid != process::Pid(1) {
        println!("warning: {path} is process {}, not 1", pid.0);
    }
    let ended = handle.join();
    let how = match (pid1::ended(), ended) {
        (Some(status), _) => describe(status),
        (None, Err(ThreadError::Exited(code))) => format!("ended with code {code}"),
        (None, Ok(())) => String::from("ended"),
        (None, Err(how)) => format!("{how}"),
    };
    println!("init (pid {}) {how}; starting the kernel monitor", pid.0);
}

/// "exited with status N", or "was killed by signal SIGxxx".
fn describe(status: WaitStatus) -> String {
    match status {
        WaitStatus::Exited(code) => format!("exited with status {code}"),
        WaitStatus::Signaled { signal, .. } => match signal_name(signal) {
            Some(name) => format!("was killed by signal {name}"),
            None => format!("was killed by signal {signal}"),
        },
    }
}

/// The name of signal `signal` (1 to 31), as Linux numbers them on x86_64.
fn signal_name(signal: u8) -> Option<&'static str> {
    const NAMES: [&str; 31] = [
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    NAMES.get(usize::from(signal).checked_sub(1)?).copied()
}

/// Whether the oldest waiting input is Esc: a key held (or pressed) while
/// the machine booted. The Esc bytes are taken; other input stays queued.
fn escape_held() -> bool {
    if input::peek() != Some(ESCAPE) {
        return false;
    }
    while input::peek() == Some(ESCAPE) {
        input::try_read();
    }
    true
}
