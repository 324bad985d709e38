//! Shared by the integration tests: build once per test binary, boot, collect.

#![allow(dead_code)] // each test binary uses a different part

use kestrel::builder::{KernelTargets, Profile};
use kestrel::qemu::{Ending, Firmware};
use kestrel::testlog::{self, TestLog};
use kestrel::{Built, CaptureOptions, boot_captured, build, image_for};
use std::sync::OnceLock;
use std::time::Duration;

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
    let kernel = test_kernel(name);
    let (mut session, _) = boot_captured(
        firmware,
        image_for(&kernel.images, firmware),
        &CaptureOptions::default(),
    )
    .unwrap_or_else(|e| panic!("cannot boot {name}: {e}"));
    let ending = session.wait(TIMEOUT);
    let serial = session.serial();
    // Shown by `cargo test` only when the test fails.
    println!(
        "--- serial output of {name} ({}) ---\n{serial}",
        firmware.name()
    );
    let log = testlog::parse(&serial);
    Run {
        ending,
        serial,
        log,
    }
}
