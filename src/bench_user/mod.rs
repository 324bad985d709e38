//! `cargo run -- bench-user`: the user benchmark on Linux and on Kestrel, in
//! the same QEMU, and the ratio per figure.
//!
//! 1. The runner builds the user programs (`user/`): `bench` and `exit0`.
//! 2. Linux: Debian's cloud kernel (see `linux.rs`) boots with an initramfs
//!    whose `/init` is `bench`, and an ext4 disk made by `mke2fs` (if
//!    e2fsprogs is there) for the file measures. The benchmark prints its
//!    figures on the serial console and switches the machine off.
//! 3. Kestrel: the release kernel boots with a fresh ext2 scratch disk of
//!    the same size, attached the same way, and its shell runs the same
//!    binary, with the file measures on that disk (see `kestrel.rs`).
//! 4. Both runs are parsed and compared (see `report.rs`).
//!
//! `--quick` runs small batches (a smoke test of the whole path, not
//! figures to quote); `--only NAMES` runs only the measures of the named
//! figures, on both sides (a few minutes less when one figure is the work).

pub mod kestrel;
pub mod linux;
pub mod report;

use crate::builder::{self, Profile};
use crate::setup;
use report::Run;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What `bench-user` was asked for: batch sizes and which figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `--quick`: small batches.
    pub quick: bool,
    /// `--only`: these figures' measures (empty: all).
    pub only: Vec<String>,
}

impl Options {
    /// The benchmark's own arguments for these options.
    pub fn bench_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if self.quick {
            args.push("--quick".to_string());
        }
        if !self.only.is_empty() {
            args.extend(["--only".to_string(), self.only.join(",")]);
        }
        args
    }
}

/// Checks `--only`'s names against the figures the benchmark gives.
pub fn parse_only(list: &str) -> Result<Vec<String>, String> {
    let known: Vec<&str> = report::FIGURES.iter().map(|(name, _)| *name).collect();
    let names: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(String::from)
        .collect();
    if names.is_empty() {
        return Err(format!("`--only` needs figure names: {}", known.join(",")));
    }
    if let Some(unknown) = names.iter().find(|name| !known.contains(&name.as_str())) {
        return Err(format!(
            "`--only`: no figure is called `{unknown}` (the figures: {})",
            known.join(",")
        ));
    }
    Ok(names)
}

/// How long one benchmark run may take, full or quick.
pub fn timeout(quick: bool) -> Duration {
    Duration::from_secs(if quick { 300 } else { 900 })
}

/// Runs the whole comparison and prints it.
pub fn run(options: &Options) -> Result<u8, String> {
    let quick = options.quick;
    let root = builder::root();
    setup::ensure_rust_parts(&root)?;
    let programs = builder::build_user_programs(&root)?;
    let linux = match linux_run(&root, &programs, options) {
        Ok(boot) => {
            println!(
                "Linux ({}): /init's first line {:.2} s after starting QEMU",
                boot.kernel,
                boot.first_line.map_or(f64::NAN, |t| t.as_secs_f64())
            );
            report::parse(&boot.serial)
        }
        Err(why) => {
            println!("Linux: not run ({why})");
            Run::default()
        }
    };
    let (kestrel, output) = kestrel::run(options, Profile::Release, &programs, timeout(quick));
    if let report::KestrelSide::Ran(run) = &kestrel
        && !run.done
    {
        let tail: Vec<&str> = output.lines().rev().take(5).collect();
        println!("Kestrel's last lines:");
        for line in tail.iter().rev() {
            println!("  {line}");
        }
    }
    println!();
    print!("{}", report::table(&linux, &kestrel));
    Ok(0)
}

/// A finished Linux boot: which kernel, its serial log, and when `/init`
/// printed its first line.
pub struct LinuxBoot {
    pub kernel: String,
    pub serial: String,
    pub first_line: Option<Duration>,
}

/// The file names of the benchmark and its exec target in `programs`.
pub const BENCH: &str = "bench";
pub const EXIT0: &str = "exit0";

/// Fetches Linux, packs the initramfs, makes the disk (if it can) and boots.
pub fn linux_run(root: &Path, programs: &Path, options: &Options) -> Result<LinuxBoot, String> {
    let qemu = setup::qemu()?;
    let dir = builder::target_dir(root).join("linux");
    let kernel = linux::fetch(&dir)?;
    let read = |path: PathBuf| std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()));
    let modules = kernel
        .modules
        .iter()
        .map(|path| {
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            Ok((name, read(path.clone())?))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let initrd = dir.join("init.cpio");
    let archive = linux::initramfs(
        &read(programs.join(BENCH))?,
        &read(programs.join(EXIT0))?,
        &modules,
    );
    std::fs::write(&initrd, archive).map_err(|e| format!("{}: {e}", initrd.display()))?;
    let mut init_args = options.bench_args();
    let disk = dir.join("disk.img");
    let disk = match setup::optional_tool("mke2fs", "e2fsprogs") {
        Some(mke2fs) => {
            linux::make_disk(&mke2fs, &disk)?;
            init_args.extend(["--disk".to_string(), "/dev/vda".to_string()]);
            Some(disk)
        }
        None => {
            println!("Linux: no mke2fs (Debian's e2fsprogs): the file measures are skipped");
            None
        }
    };
    let args = linux::qemu_args(&kernel.vmlinuz, &initrd, disk.as_deref(), &init_args);
    eprintln!(
        "[bench-user] booting {} with the benchmark as /init",
        kernel.package
    );
    let (serial, first_line) = capture(&qemu, &args, timeout(options.quick))?;
    Ok(LinuxBoot {
        kernel: kernel.package,
        serial,
        first_line,
    })
}

/// Runs QEMU with `args` until it exits (or `timeout` passes: then it is
/// killed), and returns its serial output and when `bench: start` came.
fn capture(
    qemu: &Path,
    args: &[String],
    timeout: Duration,
) -> Result<(String, Option<Duration>), String> {
    let started = Instant::now();
    let mut child = Command::new(qemu)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", qemu.display()))?;
    let serial = Arc::new(Mutex::new(Vec::new()));
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let sink = Arc::clone(&serial);
    let reader = std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut chunk) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    let text =
        |serial: &Mutex<Vec<u8>>| String::from_utf8_lossy(&serial.lock().unwrap()).into_owned();
    let mut first_line = None;
    let timed_out = loop {
        if first_line.is_none() && text(&serial).contains("bench: start") {
            first_line = Some(started.elapsed());
        }
        if let Ok(Some(_)) = child.try_wait() {
            break false;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break true;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = reader.join();
    let mut log = text(&serial);
    if timed_out {
        log.push_str(&format!("\n[bench-user] killed after {timeout:?}\n"));
    }
    Ok((log, first_line))
}
