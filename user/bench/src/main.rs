//! The user benchmark: one static Linux program that measures the costs an
//! operating system's design decides (system calls, process switches, fork
//! and exec, page faults, pipes, files), in TSC cycles, the same binary on
//! Kestrel and on Linux in the same QEMU.
//!
//! `bench [--quick] [--only NAMES] [--exec PROGRAM] [--fs DIR] [--disk DEV]`
//!
//! - `--quick`: small batches, to show that every measure runs (tests);
//! - `--only NAMES`: only the measures giving these figures (names separated
//!   by commas, e.g. `seq_read,small_files`): the others are not run;
//! - `--exec PROGRAM`: what fork+exec+wait executes (default `/bin/exit0`);
//! - `--fs DIR`: where the file measures work (default `/tmp`); they are
//!   skipped unless a file can be created there;
//! - `--disk DEV`: (Linux as pid 1) load the virtio modules, mount `DEV` on
//!   `/mnt` and measure files there.
//!
//! Every measure is taken the same way (see `measure.rs`) and prints one line
//! `bench: NAME median=.. min=.. max=.. unit=.. batches=..`; one that cannot
//! run prints `bench: NAME unsupported (...)`, `failed (...)` or
//! `skipped: ...` and the others go on. The last line is `bench: done`. As
//! Linux's pid 1 (`/init`) it then switches the machine off.

// Every `unsafe` block says why it is sound (the kernel's workspace checks the
// same; this workspace does not inherit its lints).
#![deny(clippy::undocumented_unsafe_blocks)]

mod files;
mod linux_init;
mod measure;
mod memory;
mod pipes;
mod procs;
mod selection;
mod sizes;
mod sys;
mod tsc;

use measure::{Failure, Figure, Plan, emit};
use selection::Selection;
use sizes::Sizes;

/// What the command line asked for.
struct Options {
    sizes: Sizes,
    exec: String,
    fs: Option<String>,
    disk: Option<String>,
    only: Selection,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        sizes: sizes::FULL,
        exec: "/bin/exit0".into(),
        fs: None,
        disk: None,
        only: Selection::default(),
    };
    let mut args = args.skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("`{arg}` needs a value"));
        match arg.as_str() {
            "--quick" => options.sizes = sizes::QUICK,
            "--exec" => options.exec = value()?,
            "--fs" => options.fs = Some(value()?),
            "--disk" => options.disk = Some(value()?),
            "--only" => options.only = Selection::parse(&value()?)?,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

/// A measure that needs the TSC's rate (to turn cycles into seconds).
type RateMeasure<'a> = &'a dyn Fn(f64) -> Result<Vec<f64>, Failure>;

/// Runs a [`RateMeasure`] with the rate, or fails it softly without one.
type WithRate<'a> = &'a dyn Fn(RateMeasure) -> Result<Vec<f64>, Failure>;

fn figure(name: &'static str, unit: &'static str) -> Figure {
    Figure { name, unit }
}

fn main() {
    let options = match parse(std::env::args()) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("bench: {message}");
            eprintln!(
                "usage: bench [--quick] [--only NAMES] [--exec PROGRAM] [--fs DIR] [--disk DEV]"
            );
            std::process::exit(2);
        }
    };
    let pid = sys::getpid();
    let quick = options.sizes.calibration_ns < sizes::FULL.calibration_ns;
    let os = sys::system_name().unwrap_or_else(|e| format!("unknown ({e})"));
    emit(&format!(
        "bench: start pid={pid} quick={} os={os}",
        u8::from(quick)
    ));
    let _ = sys::pin_to_cpu0();
    let fs = file_system(&options, &os);
    run_all(&options, fs);
    for name in options.only.unmatched() {
        emit(&format!("bench: --only: no figure is called `{name}`"));
    }
    emit("bench: done");
    // Linux's first process must not exit (the kernel would panic); on
    // Kestrel the shell waits for the benchmark and goes on.
    if pid == 1 && os == "Linux" {
        linux_init::power_off();
    }
}

/// Where the file measures run: the directory and the kind of file system
/// it is on.
struct FileSystem {
    dir: String,
    kind: String,
}

/// The directory for the file measures, or why there is none.
fn file_system(options: &Options, os: &str) -> Result<FileSystem, String> {
    let (dir, mounted) = match (&options.disk, &options.fs) {
        (Some(disk), fs) => {
            let kind = linux_init::mount_disk(disk)?;
            let dir = fs.clone().unwrap_or_else(|| linux_init::MOUNT_POINT.into());
            (dir, Some(kind))
        }
        (None, Some(fs)) => (fs.clone(), None),
        (None, None) => ("/tmp".into(), None),
    };
    files::probe(&dir).map_err(|why| format!("{dir}: {why}"))?;
    let kind = match mounted {
        Some(kind) => kind.to_string(),
        None => files::kind_of(&dir, os),
    };
    Ok(FileSystem { dir, kind })
}

fn run_all(options: &Options, fs: Result<FileSystem, String>) {
    let s = options.sizes;
    let plan = Plan {
        warmups: s.warmups,
        batches: s.batches,
        only: &options.only,
    };
    let hz = tsc::hz(s.calibration_ns);
    match &hz {
        Ok(hz) => emit(&format!("bench: tsc mhz={:.1}", hz / 1e6)),
        Err(e) => emit(&format!("bench: tsc rate unknown ({e}); rates are skipped")),
    }
    // Rates need the TSC's rate; without it those measures fail soft.
    let rate = |measure: RateMeasure| match hz {
        Ok(hz) => measure(hz),
        Err(e) => Err(Failure::from(e)),
    };
    measure::run(plan, &[figure("getpid", "cycles")], || {
        procs::getpid(s.getpid_calls)
    });
    measure::run(plan, &[figure("yield_pingpong", "cycles/switch")], || {
        procs::yield_pingpong(s.yield_rounds)
    });
    measure::run(plan, &[figure("fork_exit_wait", "cycles")], || {
        procs::fork_exit_wait(s.forks)
    });
    measure::run(plan, &[figure("fork_exec_wait", "cycles")], || {
        procs::fork_exec_wait(&options.exec, s.execs)
    });
    let faults = [
        figure("page_fault", "cycles/page"),
        figure("munmap", "cycles/page"),
    ];
    measure::run(plan, &faults, || memory::page_faults(s.fault_bytes));
    measure::run(plan, &[figure("pipe_pingpong", "cycles/switch")], || {
        pipes::pingpong(s.pingpong_rounds)
    });
    measure::run(plan, &[figure("pipe_throughput", "MB/s")], || {
        rate(&|hz| pipes::throughput(s.pipe_bytes, hz))
    });
    file_measures(plan, s, fs, &rate);
}

/// The file measures (issue 12), or a "skipped" line for each.
fn file_measures(plan: Plan, s: Sizes, fs: Result<FileSystem, String>, rate: WithRate) {
    let small = [figure("small_files", "files/s")];
    let sequential = [figure("seq_write", "MB/s"), figure("seq_read", "MB/s")];
    let listing = [figure("getdents", "cycles/entry")];
    let dir = match fs {
        Ok(FileSystem { dir, kind }) => {
            emit(&format!("bench: files in {dir} fs={kind}"));
            dir
        }
        Err(why) => {
            let failure = Failure::Skipped(format!("no writable fs ({why})"));
            for f in small.iter().chain(&sequential).chain(&listing) {
                if plan.only.wants(core::slice::from_ref(f)) {
                    emit(&measure::failure_line(f.name, &failure));
                }
            }
            return;
        }
    };
    measure::run(plan, &small, || {
        rate(&|hz| files::small_files(&dir, s.small_files, hz))
    });
    measure::run(plan, &sequential, || {
        rate(&|hz| files::sequential(&dir, s.file_bytes, hz))
    });
    if !plan.only.wants(&listing) {
        return;
    }
    match files::BigDir::create(&dir, s.dir_entries) {
        Ok(big) => measure::run(plan, &listing, || big.list()),
        Err(failure) => emit(&measure::failure_line("getdents", &failure)),
    }
}
