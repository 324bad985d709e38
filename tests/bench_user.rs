//! The user benchmark (`user/bench`) and `bench-user`'s Linux side, in quick
//! mode: every measure runs and prints its line, a measure that cannot run
//! says why while the others go on, and the same binary runs as `/init` of
//! Debian's Linux in QEMU. No test looks at the figures' values (they are
//! timings); `cargo run -- bench-user` is the benchmark itself.

use kestrel::bench_user::kestrel::run as run_on_kestrel;
use kestrel::bench_user::report::KestrelSide;
use kestrel::bench_user::report::{self, FIGURES, Outcome, Run};
use kestrel::bench_user::{self, BENCH, EXIT0, linux};
use kestrel::builder::{self, Profile};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn programs() -> PathBuf {
    builder::build_user_programs(&builder::root()).expect("the user programs build")
}

/// Runs the benchmark on this (Linux) host and parses what it printed.
fn run_natively(args: &[&str]) -> Run {
    let out = Command::new(programs().join(BENCH))
        .arg("--quick")
        .args(args)
        .output()
        .expect("the benchmark starts");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let run = report::parse(&text);
    assert!(run.done, "no `bench: done` in\n{text}");
    run
}

/// `bench-user --quick`'s options.
fn quick() -> bench_user::Options {
    bench_user::Options {
        quick: true,
        only: Vec::new(),
    }
}

fn measured(run: &Run, name: &str) -> bool {
    matches!(run.get(name), Some(Outcome::Measured(f)) if f.median > 0.0 && f.min <= f.median && f.median <= f.max)
}

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("kestrel-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn every_measure_runs_natively() {
    let dir = Scratch::new("bench-fs");
    let exit0 = programs().join(EXIT0);
    let run = run_natively(&[
        "--exec",
        exit0.to_str().unwrap(),
        "--fs",
        dir.0.to_str().unwrap(),
    ]);
    for (name, _) in FIGURES {
        assert!(measured(&run, name), "{name}: {:?}", run.get(name));
    }
    assert!(run.tsc_mhz.is_some_and(|mhz| mhz > 0.0));
    let left: Vec<_> = std::fs::read_dir(&dir.0).unwrap().collect();
    assert!(left.is_empty(), "the file measures clean up: {left:?}");
}

#[test]
fn a_measure_that_cannot_run_says_why_and_the_rest_go_on() {
    let run = run_natively(&["--exec", "/nonexistent/exit0", "--fs", "/nonexistent-dir"]);
    assert_eq!(
        run.get("fork_exec_wait"),
        Some(&Outcome::NoFigure(
            "failed (ENOENT from execve of /nonexistent/exit0)".into()
        ))
    );
    for name in ["small_files", "seq_write", "seq_read", "getdents"] {
        match run.get(name) {
            Some(Outcome::NoFigure(why)) => assert!(
                why.starts_with("skipped: no writable fs (/nonexistent-dir: ENOENT from open)"),
                "{name}: {why}"
            ),
            other => panic!("{name}: {other:?}"),
        }
    }
    for name in ["getpid", "fork_exit_wait", "page_fault", "pipe_throughput"] {
        assert!(measured(&run, name), "{name}: {:?}", run.get(name));
    }
}

/// `--only` runs the named figures' measures and no other; a name that no
/// measure gives is reported, not silently an empty run.
#[test]
fn only_the_named_figures_are_measured() {
    let dir = Scratch::new("bench-only");
    let run = run_natively(&[
        "--only",
        "getpid,seq_read,nosuch",
        "--fs",
        dir.0.to_str().unwrap(),
    ]);
    // seq_write comes with seq_read: one batch gives both.
    let names: Vec<&str> = run.results.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["getpid", "seq_write", "seq_read"], "{run:?}");
    assert!(measured(&run, "seq_read"), "{run:?}");
    let out = Command::new(programs().join(BENCH))
        .args(["--quick", "--only", "nosuch"])
        .output()
        .expect("the benchmark starts");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("bench: --only: no figure is called `nosuch`"),
        "{text}"
    );
}

/// Boots Debian's cloud kernel with the benchmark as `/init` (about 10-20 s).
/// Skipped, with a message, where the kernel package cannot be fetched.
#[test]
fn linux_runs_the_benchmark_as_init() {
    let root = builder::root();
    if let Err(why) = linux::fetch(&builder::target_dir(&root).join("linux")) {
        eprintln!("SKIPPED: Linux's kernel package cannot be fetched here: {why}");
        return;
    }
    let boot = bench_user::linux_run(&root, &programs(), &quick()).unwrap();
    let run = report::parse(&boot.serial);
    assert!(run.done, "no `bench: done`:\n{}", boot.serial);
    assert!(
        boot.serial.contains("bench: start pid=1 quick=1 os=Linux"),
        "{}",
        boot.serial
    );
    let with_disk = Path::new("/usr/sbin/mke2fs").exists() || Path::new("/sbin/mke2fs").exists();
    for (name, _) in FIGURES {
        let is_file_measure = ["small_files", "seq_write", "seq_read", "getdents"].contains(&name);
        if is_file_measure && !with_disk {
            continue;
        }
        assert!(
            measured(&run, name),
            "{name}: {:?}\n{}",
            run.get(name),
            boot.serial
        );
    }
    assert!(boot.serial.contains("bench: files in /mnt fs=ext4") || !with_disk);
    assert!(
        boot.serial.contains("reboot: Power down"),
        "it powered off: {}",
        boot.serial
    );
}

/// Kestrel's side: the shell runs the benchmark, with the file measures on
/// the scratch ext2 disk, or the command says why it could not, with the
/// shell's whole answer (not the end of the boot report, which the runner
/// took for an answer when it typed before the prompt).
#[test]
fn kestrel_runs_the_benchmark_or_says_why_not() {
    let (side, output) = run_on_kestrel(
        &quick(),
        Profile::Debug,
        &programs(),
        Duration::from_secs(300),
    );
    match side {
        KestrelSide::Ran(run) => {
            assert!(run.started(), "{output}");
            assert_eq!(run.files.as_deref(), Some("/ fs=ext2"), "{output}");
        }
        KestrelSide::NotRunnable(why) => {
            assert!(
                !why.is_empty() && !why.contains("Type `help`"),
                "{why}\n{output}"
            );
            assert!(
                output.contains("run bench --quick"),
                "the command was typed: {output}"
            );
        }
    }
}
