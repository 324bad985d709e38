//! `cargo run -- bench-boot`: how long until the kernel speaks.
//!
//! For each build profile and firmware, boot the kernel several times (headless,
//! serial captured) and measure the wall time from starting QEMU to the kernel's
//! first serial line (`Hello World!`) and to the end of the boot report. The
//! median is printed, with the minimum and maximum, because a shared machine is
//! noisy; the figures are for comparing, not for asserting in tests.
//!
//! Besides the `bootloader` crate under BIOS and UEFI, the same kernel is
//! booted under both firmwares by our own loaders (`--loader kestrel`), so the
//! two loaders are compared in one run; and each firmware's floor (the
//! smallest program it boots, `crate::floors`) is timed too, to show how much
//! of a boot is the firmware's own.

use crate::builder::{KernelTargets, Loader, Profile};
use crate::qemu::Firmware;
use crate::{CaptureOptions, boot_captured, build_with, image_for};
use std::time::Duration;

/// The kernel's first line, and its last before going idle.
pub const FIRST_LINE: &str = "Hello World!";
pub const IDLE_LINE: &str = "Boot complete";

/// The first line the bootloader's 64-bit part logs: stage 4 under BIOS (after the
/// real-mode stages have loaded the kernel file), the UEFI application under UEFI;
/// our own loader's first line.
pub fn bootloader_line(loader: Loader, firmware: Firmware) -> &'static str {
    match (loader, firmware) {
        (Loader::Kestrel, _) => "kestrel loader: started",
        (_, Firmware::Bios) => "4th Stage",
        (_, Firmware::Uefi) => "UEFI bootloader started",
    }
}

/// What is measured: the `bootloader` crate and our own loaders, each under
/// both firmwares.
const CONFIGURATIONS: [(Loader, Firmware); 4] = [
    (Loader::BootloaderCrate, Firmware::Bios),
    (Loader::BootloaderCrate, Firmware::Uefi),
    (Loader::Kestrel, Firmware::Uefi),
    (Loader::Kestrel, Firmware::Bios),
];

/// The median of some durations (the mean of the middle two for an even count).
pub fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    let n = times.len();
    match n {
        0 => Duration::ZERO,
        _ if n % 2 == 1 => times[n / 2],
        _ => (times[n / 2 - 1] + times[n / 2]) / 2,
    }
}

/// Runs the benchmark and prints a table.
pub fn run(runs: usize, extra: &[String]) -> Result<(), String> {
    println!("boot time under QEMU (TCG), median of {runs} runs [min .. max] in seconds");
    println!(
        "{:<8} {:<17} {:<5} {:>22} {:>22} {:>22}",
        "profile", "loader", "fw", "to bootloader log", "to first kernel line", "to boot complete"
    );
    for profile in [Profile::Debug, Profile::Release] {
        let mut first_medians = Vec::new();
        for (loader, firmware) in CONFIGURATIONS {
            let kernel = build_with(loader, profile, KernelTargets::Main)?.remove(0);
            let (mut log, mut first, mut idle) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..runs {
                let options = CaptureOptions {
                    qmp: false,
                    extra: extra.to_vec(),
                };
                let (mut session, _) =
                    boot_captured(firmware, image_for(&kernel.images, firmware), &options)?;
                let timeout = Duration::from_secs(120);
                log.push(session.wait_for(bootloader_line(loader, firmware), timeout)?);
                first.push(session.wait_for(FIRST_LINE, timeout)?);
                idle.push(session.wait_for(IDLE_LINE, timeout)?);
            }
            let spread = |t: &mut Vec<Duration>| {
                let m = median(t);
                format!(
                    "{:.3} [{:.2} .. {:.2}]",
                    m.as_secs_f64(),
                    t[0].as_secs_f64(),
                    t[t.len() - 1].as_secs_f64()
                )
            };
            first_medians.push(median(&mut first));
            println!(
                "{:<8} {:<17} {:<5} {:>22} {:>22} {:>22}",
                profile.dir(),
                loader.name(),
                firmware.name(),
                spread(&mut log),
                spread(&mut first),
                spread(&mut idle)
            );
        }
        let [(bios_floor, bios_text), (uefi_floor, uefi_text)] = floors(runs, extra)?;
        let ratio =
            |a: usize, b: usize| first_medians[a].as_secs_f64() / first_medians[b].as_secs_f64();
        println!(
            "{:<8} floors, to a line on COM1: a boot sector (BIOS) {bios_text}; \
             a trivial EFI application (UEFI) {uefi_text}",
            ""
        );
        let above = |ours: Duration, floor: Duration| ours.as_secs_f64() - floor.as_secs_f64();
        println!(
            "{:<8} our loaders' first kernel line, after their floor: BIOS +{:.3} s, UEFI +{:.3} s",
            "",
            above(first_medians[3], bios_floor),
            above(first_medians[2], uefi_floor)
        );
        println!(
            "{:<8} to the first line: UEFI/BIOS (bootloader crate) {:.2}x, \
             ours/bootloader crate (UEFI) {:.2}x, ours/bootloader crate (BIOS) {:.2}x",
            "",
            ratio(1, 0),
            ratio(2, 1),
            ratio(3, 0)
        );
    }
    Ok(())
}

/// Boots the two floors (`crate::floors`) `runs` times each: the median
/// and range of the time to their line, under BIOS and under UEFI.
fn floors(runs: usize, extra: &[String]) -> Result<[(Duration, String); 2], String> {
    let root = crate::builder::root();
    let dir = crate::builder::target_dir(&root).join("images");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (bios, uefi) = crate::floors::write_images(&dir)?;
    Ok([
        time_to_line(Firmware::Bios, &bios, crate::floors::BIOS_LINE, runs, extra)?,
        time_to_line(Firmware::Uefi, &uefi, crate::floors::UEFI_LINE, runs, extra)?,
    ])
}

/// Boots `image` `runs` times: the median time to `line`, and the median
/// with the range as text.
fn time_to_line(
    firmware: Firmware,
    image: &std::path::Path,
    line: &str,
    runs: usize,
    extra: &[String],
) -> Result<(Duration, String), String> {
    let mut times = Vec::new();
    for _ in 0..runs {
        let options = CaptureOptions {
            qmp: false,
            extra: extra.to_vec(),
        };
        let (mut session, _) = boot_captured(firmware, image, &options)?;
        times.push(session.wait_for(line, Duration::from_secs(60))?);
        session.kill();
    }
    let m = median(&mut times);
    let text = format!(
        "{:.3} [{:.2} .. {:.2}]",
        m.as_secs_f64(),
        times[0].as_secs_f64(),
        times[times.len() - 1].as_secs_f64()
    );
    Ok((m, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = Duration::from_millis;
        assert_eq!(median(&mut [ms(5), ms(1), ms(3)]), ms(3));
        assert_eq!(
            median(&mut [ms(4), ms(1), ms(2), ms(3)]),
            Duration::from_micros(2500)
        );
        assert_eq!(median(&mut []), Duration::ZERO);
    }
}
