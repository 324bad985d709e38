//! `cargo run -- ...`: build the kernel, make disk images, boot them in QEMU.
//! See `cargo run -- --help` and the README for the commands.
#![forbid(unsafe_code)]

use kestrel::builder::{KernelTargets, Profile};
use kestrel::cli::{self, Cli, Command};
use kestrel::events::Watcher;
use kestrel::kernel_options::KernelOptions;
use kestrel::outcome::{Outcome, unasked_triple_fault};
use kestrel::qemu::{self, Boot, Firmware, Serial, WATCH_TIMEOUT, Watch, tempdir::TempDir};
use kestrel::qmp::Qmp;
use kestrel::{
    Built, CaptureOptions, bench, build_for, build_with, disk, image_for, inspect, screenshot,
    setup, testlog,
};
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let cli = match cli::parse(std::env::args().skip(1)) {
        Ok(cli) => cli,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn profile(cli: &Cli) -> Profile {
    if cli.release {
        Profile::Release
    } else {
        Profile::Debug
    }
}

fn run(cli: &Cli) -> Result<u8, String> {
    match &cli.command {
        Command::Help => {
            print!("{}", cli::HELP);
            Ok(0)
        }
        Command::Images => {
            let kernel = main_kernel(cli)?;
            println!("bios: {}", kernel.images.bios.display());
            let uefi = image_for(&kernel.images, Firmware::Uefi);
            println!("uefi: {}", uefi.display());
            Ok(0)
        }
        Command::Inspect { elf } => {
            let path = match elf {
                Some(path) => path.into(),
                None => main_kernel(cli)?.elf,
            };
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            println!("{}", path.display());
            println!("{}", inspect::inspect(&bytes)?);
            Ok(0)
        }
        Command::Run => boot_interactive(cli),
        Command::Test { names } => run_tests(cli, names),
        Command::BenchBoot => bench::run(cli.runs, &cli.qemu_args).map(|()| 0),
        Command::BenchUser => kestrel::bench_user::run(&kestrel::bench_user::Options {
            quick: cli.quick,
            only: cli.only.clone(),
        }),
        Command::Soak => {
            let duration = std::time::Duration::from_secs(cli.soak_seconds);
            // The release kernel, as for bench-user.
            let soak = kestrel::soak::run(duration, Profile::Release, kestrel::soak::ROUNDS);
            soak.map(|(verdict, _)| verdict.exit_code())
        }
        Command::Screenshot { file } => screenshot(cli, file),
        Command::Setup => {
            setup::ensure_rust_parts(&kestrel::builder::root())?;
            setup::qemu()?;
            setup::ovmf()?;
            setup::e2fsprogs()?;
            setup::busybox()?;
            println!(
                "setup: the toolchain's parts, QEMU, OVMF, e2fsprogs and busybox-static are all there"
            );
            Ok(0)
        }
    }
}

fn main_kernel(cli: &Cli) -> Result<Built, String> {
    Ok(build_with(cli.loader, profile(cli), KernelTargets::Main)?.remove(0))
}

/// The main kernel with an image for `cli.firmware` only: under BIOS (a plain
/// `cargo run`), our UEFI loader is not built.
fn main_kernel_to_boot(cli: &Cli) -> Result<Built, String> {
    let firmwares = [cli.firmware];
    Ok(build_for(cli.loader, profile(cli), KernelTargets::Main, &firmwares)?.remove(0))
}

/// Whether a window can be opened.
fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// The disk `cargo run` attaches: `--disk FILE`, none with `--no-disk`, or
/// else Kestrel's own (`target/disk/kestrel.img`, made if missing or if
/// `--fresh-disk`).
fn attached_disk(cli: &Cli) -> Result<Option<std::path::PathBuf>, String> {
    if cli.no_disk {
        return Ok(None);
    }
    if let Some(file) = &cli.disk {
        return Ok(Some(file.into()));
    }
    let root = kestrel::builder::root();
    let target = kestrel::builder::target_dir(&root);
    let programs = kestrel::builder::user_programs_dir(&root);
    let (path, built) = kestrel::disk_image::ensure(&target, &programs, cli.fresh_disk)?;
    let how = if built {
        "built now"
    } else {
        "kept from an earlier run; --fresh-disk rebuilds it"
    };
    eprintln!("[run] disk: {} ({how})", path.display());
    Ok(Some(path))
}

fn boot_interactive(cli: &Cli) -> Result<u8, String> {
    let kernel = main_kernel_to_boot(cli)?;
    let qemu = setup::qemu()?;
    let (scratch, ovmf) = kestrel::scratch_for(cli.firmware)?;
    let window = !cli.headless && has_display();
    let watch = Watch::in_dir(scratch.path());
    let mut extra = Vec::new();
    if let Some(file) = attached_disk(cli)? {
        disk::check(&file)?;
        extra.extend(disk::qemu_args(&file));
    }
    let kernel_options = if cli.monitor {
        KernelOptions::monitor()
    } else {
        KernelOptions::init()
    };
    extra.extend(kernel_options.qemu_args());
    extra.extend(cli.qemu_args.iter().cloned());
    let boot = Boot {
        firmware: cli.firmware,
        image: image_for(&kernel.images, cli.firmware).to_path_buf(),
        ovmf,
        window,
        serial: Serial::Terminal,
        gdb: cli.gdb,
        qmp: None,
        watch: watch.clone(),
        extra,
    };
    if !window {
        eprintln!("[run] headless: serial console on this terminal; Ctrl-A X quits QEMU");
    }
    if cli.gdb {
        eprintln!(
            "[run] QEMU waits for GDB. In another terminal:\n    \
             gdb {} -ex 'target remote localhost:1234'",
            kernel.elf.display()
        );
    }
    let listener = Watcher::listen(&watch.socket)?;
    let mut child = std::process::Command::new(&qemu)
        .args(qemu::args(&boot))
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", qemu.display()))?;
    let outcome = watch_interactive(&listener, &mut child, &watch);
    if outcome.is_err() {
        let _ = child.kill();
        let _ = child.wait();
    }
    drop(scratch);
    let outcome = outcome?;
    if let Some(message) = outcome.message() {
        eprintln!("[run] {message}");
    }
    Ok(outcome.exit_code())
}

/// Waits for an interactive QEMU to end and judges the run. The kernel's
/// `reboot` restarts the machine and the run goes on; after a triple fault the
/// machine would only restart into the same fault, so the runner ends QEMU.
fn watch_interactive(
    listener: &std::os::unix::net::UnixListener,
    child: &mut std::process::Child,
    watch: &Watch,
) -> Result<Outcome, String> {
    let mut watcher = Watcher::accept(listener, child, WATCH_TIMEOUT)?;
    let mut resets_checked = 0;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        let seen = watcher.wait_until(Duration::from_millis(100), |seen| {
            seen.resets.len() > resets_checked || seen.closed
        });
        if seen.closed {
            break child.wait().map_err(|e| e.to_string())?;
        }
        if seen.resets.len() > resets_checked {
            resets_checked = seen.resets.len();
            if unasked_triple_fault(&watch.reset_log_text()) {
                watcher.quit()?;
            }
        }
    };
    let seen = watcher.finish(WATCH_TIMEOUT);
    Ok(Outcome::judge(
        status.code(),
        &seen,
        &watch.reset_log_text(),
    ))
}

/// How long the screen may keep changing after the boot report.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

fn screenshot(cli: &Cli, file: &str) -> Result<u8, String> {
    let path = screenshot::writable_file(file)?;
    let kernel = main_kernel_to_boot(cli)?;
    let options = CaptureOptions {
        qmp: true,
        extra: cli.qemu_args.clone(),
    };
    let image = image_for(&kernel.images, cli.firmware);
    let (mut session, socket) = kestrel::boot_captured(cli.firmware, image, &options)?;
    session.wait_for(bench::IDLE_LINE, Duration::from_secs(cli.timeout_secs))?;
    let socket = socket.expect("QMP was asked for");
    let mut qmp = Qmp::connect(&socket, Duration::from_secs(10))?;
    let scratch = socket
        .parent()
        .expect("the socket is in the scratch directory");
    screenshot::settled_screen(&mut qmp, scratch, SETTLE_TIMEOUT)?;
    qmp.screendump_as(&path, "png")?;
    println!("saved {}", path.display());
    Ok(0)
}

/// The test kernel that exercises the harness's failure reports.
const FAILS_ON_PURPOSE: &str = "harness_failures";

fn run_tests(cli: &Cli, names: &[String]) -> Result<u8, String> {
    let kernels = build_with(cli.loader, profile(cli), KernelTargets::Tests)?;
    for name in names {
        if !kernels.iter().any(|k| &k.name == name) {
            let known: Vec<_> = kernels.iter().map(|k| k.name.as_str()).collect();
            return Err(format!(
                "no test kernel `{name}` (there are: {})",
                known.join(", ")
            ));
        }
    }
    let firmwares: &[Firmware] = if cli.both_firmwares {
        &[Firmware::Bios, Firmware::Uefi]
    } else {
        std::slice::from_ref(&cli.firmware)
    };
    let mut failures = 0;
    let selected = kernels.iter().filter(|k| {
        if names.is_empty() && k.name == FAILS_ON_PURPOSE {
            println!(
                "(skipping `{FAILS_ON_PURPOSE}`: it fails on purpose; `cargo test` checks how)"
            );
            return false;
        }
        names.is_empty() || names.contains(&k.name)
    });
    for kernel in selected {
        for &firmware in firmwares {
            println!("== {} ({})", kernel.name, firmware.name());
            let image = image_for(&kernel.images, firmware);
            let mut extra = kestrel::test_kernels::qemu_args(&kernel.name);
            // A fresh disk for the kernels that test the disk driver or ext2.
            let disk_dir = TempDir::new(&std::env::temp_dir().join("kestrel"))
                .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
            extra.extend(disk::for_test_kernel(&kernel.name, disk_dir.path())?);
            extra.extend(cli.qemu_args.iter().cloned());
            let options = CaptureOptions { qmp: false, extra };
            let (mut session, _) = kestrel::boot_captured(firmware, image, &options)?;
            let ending = session.wait(Duration::from_secs(cli.timeout_secs));
            let log = testlog::parse(&session.serial());
            for result in &log.results {
                println!("  {} ... {}", result.name, result.verdict);
            }
            let outcome = session.outcome();
            if outcome != Some(Outcome::Success) {
                failures += 1;
                let why = match (&ending, outcome.and_then(|o| o.message())) {
                    (qemu::Ending::TimedOut, _) => {
                        format!("no end after {} s (--timeout)", cli.timeout_secs)
                    }
                    (_, Some(message)) => message,
                    (_, None) => format!("{ending:?}, not the harness's exit"),
                };
                println!("  {why}; serial output:\n{}", session.serial());
            }
        }
    }
    println!(
        "{}",
        if failures == 0 {
            "all test kernels passed"
        } else {
            "some test kernels FAILED"
        }
    );
    Ok(u8::from(failures > 0))
}
