//! `cargo run -- ...`: build the kernel, make disk images, boot them in QEMU.
//! See `cargo run -- --help` and the README for the commands.
#![forbid(unsafe_code)]

use kestrel::builder::{KernelTargets, Profile};
use kestrel::cli::{self, Cli, Command};
use kestrel::qemu::{self, Boot, Firmware, Serial};
use kestrel::qmp::Qmp;
use kestrel::{Built, CaptureOptions, bench, build_with, image_for, inspect, setup, testlog};
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
            // Our own loader has no BIOS image yet.
            if !kernel.images.bios.as_os_str().is_empty() {
                println!("bios: {}", kernel.images.bios.display());
            }
            println!("uefi: {}", kernel.images.uefi.display());
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
        Command::Screenshot { file } => screenshot(cli, file),
        Command::Setup => {
            setup::ensure_rust_parts(&kestrel::builder::root())?;
            setup::qemu()?;
            setup::ovmf()?;
            println!("setup: the toolchain's parts, QEMU and OVMF are all there");
            Ok(0)
        }
    }
}

fn main_kernel(cli: &Cli) -> Result<Built, String> {
    Ok(build_with(cli.loader, profile(cli), KernelTargets::Main)?.remove(0))
}

/// Whether a window can be opened.
fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

fn boot_interactive(cli: &Cli) -> Result<u8, String> {
    let kernel = main_kernel(cli)?;
    let qemu = setup::qemu()?;
    let (scratch, ovmf) = kestrel::scratch_for(cli.firmware)?;
    let window = !cli.headless && has_display();
    let boot = Boot {
        firmware: cli.firmware,
        image: image_for(&kernel.images, cli.firmware).to_path_buf(),
        ovmf,
        window,
        serial: Serial::Terminal,
        gdb: cli.gdb,
        qmp: None,
        extra: cli.qemu_args.clone(),
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
    let status = std::process::Command::new(&qemu)
        .args(qemu::args(&boot))
        .status()
        .map_err(|e| format!("cannot start {}: {e}", qemu.display()))?;
    drop(scratch);
    Ok(qemu::runner_status(status.code()).clamp(0, 255) as u8)
}

fn screenshot(cli: &Cli, file: &str) -> Result<u8, String> {
    let kernel = main_kernel(cli)?;
    let options = CaptureOptions {
        qmp: true,
        extra: cli.qemu_args.clone(),
    };
    let image = image_for(&kernel.images, cli.firmware);
    let (mut session, socket) = kestrel::boot_captured(cli.firmware, image, &options)?;
    session.wait_for(bench::IDLE_LINE, Duration::from_secs(cli.timeout_secs))?;
    std::thread::sleep(Duration::from_millis(200));
    let socket = socket.expect("QMP was asked for");
    let mut qmp = Qmp::connect(&socket, Duration::from_secs(10))?;
    let path = std::path::absolute(file).map_err(|e| format!("{file}: {e}"))?;
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
            let options = CaptureOptions {
                qmp: false,
                extra: cli.qemu_args.clone(),
            };
            let (mut session, _) = kestrel::boot_captured(firmware, image, &options)?;
            let ending = session.wait(Duration::from_secs(cli.timeout_secs));
            let log = testlog::parse(&session.serial());
            for result in &log.results {
                println!("  {} ... {}", result.name, result.verdict);
            }
            let ok = ending == qemu::Ending::Exited(Some(qemu::QEMU_SUCCESS));
            if !ok {
                failures += 1;
                println!(
                    "  kernel ended with {ending:?}; serial output:\n{}",
                    session.serial()
                );
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
