//! `cargo run -- bench-boot`: how long until the kernel speaks.
//!
//! For each build profile and firmware, boot the kernel several times (headless,
//! serial captured) and measure the wall time from starting QEMU to the kernel's
//! first serial line (`Hello World!`) and to the end of the boot report. The
//! median is printed, with the minimum and maximum, because a shared machine is
//! noisy; the figures are for comparing, not for asserting in tests.

use crate::builder::{KernelTargets, Profile};
use crate::qemu::Firmware;
use crate::{CaptureOptions, boot_captured, build, image_for};
use std::time::Duration;

/// The kernel's first line, and its last before going idle.
pub const FIRST_LINE: &str = "Hello World!";
pub const IDLE_LINE: &str = "Boot complete";

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

fn seconds(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// Runs the benchmark and prints a table.
pub fn run(runs: usize, extra: &[String]) -> Result<(), String> {
    println!("boot time under QEMU (TCG), median of {runs} runs [min .. max]");
    println!(
        "{:<8} {:<5} {:>28} {:>28}",
        "profile", "fw", "to first kernel line", "to boot complete"
    );
    let mut bios_median = None;
    for profile in [Profile::Debug, Profile::Release] {
        let kernel = build(profile, KernelTargets::Main)?.remove(0);
        for firmware in [Firmware::Bios, Firmware::Uefi] {
            let (mut first, mut idle) = (Vec::new(), Vec::new());
            for _ in 0..runs {
                let options = CaptureOptions {
                    qmp: false,
                    extra: extra.to_vec(),
                };
                let (mut session, _) =
                    boot_captured(firmware, image_for(&kernel.images, firmware), &options)?;
                let timeout = Duration::from_secs(120);
                first.push(session.wait_for(FIRST_LINE, timeout)?);
                idle.push(session.wait_for(IDLE_LINE, timeout)?);
            }
            let spread = |t: &mut Vec<Duration>| {
                let m = median(t);
                format!(
                    "{} [{:.2} .. {:.2}]",
                    seconds(m),
                    t[0].as_secs_f64(),
                    t[t.len() - 1].as_secs_f64()
                )
            };
            let first_median = median(&mut first);
            println!(
                "{:<8} {:<5} {:>28} {:>28}",
                profile.dir(),
                firmware.name(),
                spread(&mut first),
                spread(&mut idle)
            );
            match (firmware, bios_median) {
                (Firmware::Bios, _) => bios_median = Some(first_median),
                (Firmware::Uefi, Some(bios)) => println!(
                    "{:<8} {:<5} UEFI/BIOS ratio to first line: {:.2}x",
                    "",
                    "",
                    first_median.as_secs_f64() / bios.as_secs_f64()
                ),
                _ => {}
            }
        }
    }
    Ok(())
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
