//! Shared by the integration tests: build once per test binary, boot (to the
//! shell's prompt), wait for serial output, collect.

#![allow(dead_code)] // each test binary uses a different part

use kestrel::builder::{KernelTargets, Profile};
use kestrel::qemu::{Ending, Firmware, Session};
use kestrel::testlog::{self, TestLog};
use kestrel::{Built, CaptureOptions, boot_captured, build, image_for};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a test kernel may run before the runner kills it.
pub const TIMEOUT: Duration = Duration::from_secs(120);

fn built(
    what: KernelTargets,
    cell: &'static OnceLock<Result<Vec<Built>, String>>,
) -> &'static [Built] {
    match cell.get_or_init(|| build(Profile::Debug, what)) {
        Ok(kernels) => kernels,
        Err(e) => panic!("build failed: {e}"),
    }
}

/// The main kernel, built once for this test binary.
pub fn main_kernel() -> &'static Built {
    static CELL: OnceLock<Result<Vec<Built>, String>> = OnceLock::new();
    &built(KernelTargets::Main, &CELL)[0]
}

/// Our user programs, `(name, bytes)` each, as the main kernel's build
/// (which builds them first) left them: what a disk image is made of.
pub fn user_programs() -> Vec<(String, Vec<u8>)> {
    main_kernel();
    let programs_dir = kestrel::builder::user_programs_dir(&kestrel::builder::root());
    kestrel::ramdisk::programs_in(&programs_dir)
        .unwrap()
        .into_iter()
        .map(|(name, path)| (name, std::fs::read(path).unwrap()))
        .collect()
}

/// The test kernel called `name`.
pub fn test_kernel(name: &str) -> &'static Built {
    static CELL: OnceLock<Result<Vec<Built>, String>> = OnceLock::new();
    built(KernelTargets::Tests, &CELL)
        .iter()
        .find(|k| k.name == name)
        .unwrap_or_else(|| panic!("no test kernel {name}"))
}

/// What one boot of a test kernel produced.
pub struct Run {
    pub ending: Ending,
    pub serial: String,
    pub log: TestLog,
}

/// Boots test kernel `name` under `firmware` until it exits (or times out).
pub fn run_test_kernel(name: &str, firmware: Firmware) -> Run {
    run_test_kernel_with(name, firmware, &[])
}

/// Like [`run_test_kernel`], with extra QEMU arguments such as `["-m", "64M"]`.
pub fn run_test_kernel_with(name: &str, firmware: Firmware, qemu_args: &[&str]) -> Run {
    let kernel = test_kernel(name);
    let mut extra = kestrel::test_kernels::qemu_args(name);
    extra.extend(qemu_args.iter().map(|a| a.to_string()));
    let options = CaptureOptions { qmp: false, extra };
    let (mut session, _) = boot_captured(firmware, image_for(&kernel.images, firmware), &options)
        .unwrap_or_else(|e| panic!("cannot boot {name}: {e}"));
    let ending = session.wait(TIMEOUT);
    let serial = session.serial();
    // Shown by `cargo test` only when the test fails.
    println!(
        "--- serial output of {name} ({} {qemu_args:?}) ---\n{serial}",
        firmware.name()
    );
    let log = testlog::parse(&serial);
    Run {
        ending,
        serial,
        log,
    }
}

/// The shell's prompt.
pub const PROMPT: &str = "kestrel>";

/// Waits until `text` appears in the serial output after byte `from`; returns
/// the position just after it.
pub fn wait_after(session: &mut Session, from: usize, text: &str) -> usize {
    let start = Instant::now();
    loop {
        let serial = session.serial();
        if let Some(at) = serial.get(from..).and_then(|s| s.find(text)) {
            return from + at + text.len();
        }
        assert!(
            start.elapsed() < TIMEOUT && session.is_running(),
            "no {text:?} after byte {from}; serial:\n{serial}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The main kernel, booted headless (with a QMP socket for the test if
/// `options.qmp`) up to its first shell prompt.
pub struct AtPrompt {
    pub session: Session,
    /// The test's QMP socket, if one was asked for.
    pub qmp: Option<PathBuf>,
    /// The serial position just after the prompt.
    pub at: usize,
}

/// Boots the main kernel and waits for the end of the boot report and the
/// shell's first prompt.
pub fn boot_to_prompt(firmware: Firmware, options: &CaptureOptions) -> AtPrompt {
    let kernel = main_kernel();
    let (mut session, qmp) = boot_captured(firmware, image_for(&kernel.images, firmware), options)
        .unwrap_or_else(|e| panic!("cannot boot the kernel: {e}"));
    let at = wait_after(&mut session, 0, kestrel::bench::IDLE_LINE);
    let at = wait_after(&mut session, at, PROMPT);
    AtPrompt { session, qmp, at }
}

/// Boots the main kernel with extra QEMU arguments to its prompt and returns
/// the serial transcript.
pub fn boot_main_kernel(firmware: Firmware, qemu_args: &[&str]) -> String {
    let options = CaptureOptions {
        qmp: false,
        extra: qemu_args.iter().map(|a| a.to_string()).collect(),
    };
    let serial = boot_to_prompt(firmware, &options).session.serial();
    println!(
        "--- serial output of the kernel ({} {qemu_args:?}) ---\n{serial}",
        firmware.name()
    );
    serial
}
