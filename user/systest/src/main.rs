//! `systest [DATA_DIR]`: calls system calls with good and bad arguments and
//! checks the results and error numbers against what Linux returns.
//!
//! The same binary runs on Linux (the reference: a host test runs it there
//! and it must pass) and on Kestrel. Each area of the kernel has a module
//! of checks (`files`, `console`, `time`, ...), listed in [`AREAS`]; another
//! area adds its module and one line there. A failed check prints one line
//! (`systest: FAIL files: open(NULL): got ..., want EFAULT`); the last line
//! is `systest: N checks passed` (exit status 0) or `systest: F of N checks
//! failed` (exit status 1).
//!
//! `systest DATA_DIR AREA` runs only that area's checks (`tests/ext2_root.rs`
//! runs `file_semantics` with the data directory on Kestrel's ext2 disk);
//! `systest DATA_DIR AREA WORK_DIR` also moves the `vfs` area's work
//! directory from the temporary directory to WORK_DIR (there: the disk).
//!
//! `systest --soak ROUNDS` does the runner's soak work instead (`soak.rs`);
//! `systest --hold-orphan PATH` makes PATH, removes its name while holding
//! it open, syncs, says `orphan held` and sleeps (for a power cut in
//! `tests/ext2_root.rs`).
//!
//! `DATA_DIR` (default `/etc`, the ramdisk's) must hold `motd`, a file that
//! starts with "Welcome to Kestrel". The `vfs` area works in a directory of
//! its own under the temporary directory (`/tmp` on Kestrel) or WORK_DIR.

mod check;
mod console;
mod crowd;
mod eintr;
mod fast_calls;
mod file_semantics;
mod files;
mod fpu;
mod identity;
mod limits_and_owners;
mod masks;
mod pipes;
mod prctl;
mod processes;
mod procfd;
mod random;
mod raw;
mod signals;
mod soak;
mod stop;
mod terminal;
mod thread_signals;
mod threads;
mod time;
mod vfs;

use check::Checker;

/// One area's checks: its name, and the function that makes them.
type Area = (&'static str, fn(&mut Checker));

/// Every area's checks, in order.
const AREAS: &[Area] = &[
    ("console", console::checks),
    ("files", files::checks),
    ("time", time::checks),
    ("random", random::checks),
    ("identity", identity::checks),
    ("prctl", prctl::checks),
    ("processes", processes::checks),
    ("vfs", vfs::checks),
    ("file_semantics", file_semantics::checks),
    ("pipes", pipes::checks),
    ("signals", signals::checks),
    ("terminal", terminal::checks),
    ("fpu", fpu::checks),
    ("threads", threads::checks),
    ("thread_signals", thread_signals::checks),
    ("masks", masks::checks),
    ("fast_calls", fast_calls::checks),
    ("stop", stop::checks),
    ("limits and owners", limits_and_owners::checks),
    ("eintr", eintr::checks),
    ("procfd", procfd::checks),
];

fn main() {
    if let Some(rounds) = soak::rounds_asked(std::env::args()) {
        std::process::exit(soak::run(rounds));
    }
    if let Some(path) = file_semantics::hold_orphan_asked(std::env::args()) {
        file_semantics::hold_orphan(&path);
    }
    let data_dir = std::env::args().nth(1).unwrap_or_else(|| "/etc".into());
    let only = std::env::args().nth(2);
    if let Some(area) = &only
        && !AREAS.iter().any(|(name, _)| name == area)
    {
        println!("systest: no area named {area:?}");
        std::process::exit(2);
    }
    let mut checker = Checker::new(data_dir);
    if let Some(work_dir) = std::env::args().nth(3) {
        checker.work_dir = work_dir;
    }
    let chosen = AREAS
        .iter()
        .filter(|(name, _)| only.as_ref().is_none_or(|area| area == name));
    for (name, checks) in chosen {
        checker.area = name;
        checks(&mut checker);
    }
    std::process::exit(checker.finish());
}
