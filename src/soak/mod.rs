//! `cargo run --release -- soak [--minutes N]`: a long run of ordinary
//! work, watching whether the kernel's memory stays flat.
//!
//! A leak too small to see in a test (one frame per thousand forks, a few
//! heap bytes per pipe) shows over minutes. The soak boots Kestrel (the
//! release kernel, BIOS, no disk: the root is the ramdisk's tmpfs copy, so
//! no block cache grows) and, until the time is up, types two commands into
//! the kernel shell over serial, again and again:
//!
//! 1. `run systest --soak ROUNDS`: a batch of fork, exec and pipe work
//!    (`user/systest/src/soak.rs`), which must end with status 0;
//! 2. `mem`: the kernel's frame and heap counts, read between batches, when
//!    no program runs.
//!
//! A first batch warms up what the kernel makes once and keeps (queues that
//! grow to their working size). Each `mem` after it is one [`Sample`],
//! printed with the elapsed time, and at the end [`verdict::judge`] says
//! flat (exit status 0) or growing (1, with the figures).

pub mod verdict;

use crate::builder::{KernelTargets, Loader, Profile};
use crate::qemu::{Firmware, Session};
use crate::{CaptureOptions, bench::IDLE_LINE};
use std::time::{Duration, Instant};
pub use verdict::{Sample, Verdict, judge};

/// What the kernel's shell shows when it waits for a command.
const PROMPT: &str = "kestrel>";

/// Rounds of work per batch for the benchmark.
pub const ROUNDS: u32 = 20;

/// How long one batch or one `mem` may take before the soak gives up.
const STEP_TIMEOUT: Duration = Duration::from_secs(120);

/// Boots Kestrel and soaks it for `duration` in batches of `rounds`
/// rounds (`profile`: release for the benchmark, debug for a quick test);
/// prints each sample and the verdict. Returns the verdict and the samples.
pub fn run(
    duration: Duration,
    profile: Profile,
    rounds: u32,
) -> Result<(Verdict, Vec<Sample>), String> {
    let kernel = crate::build_with(Loader::Kestrel, profile, KernelTargets::Main)?.remove(0);
    let image = crate::image_for(&kernel.images, Firmware::Bios);
    let (mut session, _) = crate::boot_captured(Firmware::Bios, image, &CaptureOptions::default())?;
    let result = soak(&mut session, duration, rounds);
    session.kill();
    let samples = result?;
    let verdict = judge(&samples);
    println!("soak: {} samples; verdict: {verdict}", samples.len());
    Ok((verdict, samples))
}

/// The batches and samples, on a booted kernel.
fn soak(session: &mut Session, duration: Duration, rounds: u32) -> Result<Vec<Sample>, String> {
    session.wait_for(IDLE_LINE, STEP_TIMEOUT)?;
    session.wait_for(PROMPT, STEP_TIMEOUT)?;
    batch(session, rounds)?; // the warm-up
    let start = Instant::now();
    let mut samples = Vec::new();
    let mut batches = 0;
    loop {
        let mut sample = read_counts(session)?;
        sample.seconds = start.elapsed().as_secs_f64();
        println!(
            "soak: {:7.1} s  {:>4} batches  frames in use {:>6}  heap bytes in use {:>9}",
            sample.seconds, batches, sample.frames, sample.heap_bytes
        );
        samples.push(sample);
        if start.elapsed() >= duration {
            return Ok(samples);
        }
        batch(session, rounds)?;
        batches += 1;
    }
}

/// Types `command` and returns what the kernel printed up to the next prompt.
fn type_command(session: &mut Session, command: &str) -> Result<String, String> {
    let typed_at = session.serial().len();
    session
        .write_serial(format!("{command}\r").as_bytes())
        .map_err(|e| format!("cannot type into QEMU: {e}"))?;
    let typed = Instant::now();
    loop {
        let serial = session.serial();
        let output = serial.get(typed_at..).unwrap_or("");
        // The echo of the typed line comes first; the prompt after it ends
        // the command's output.
        if let Some((_, after_echo)) = output.split_once('\n')
            && let Some(end) = after_echo.find(PROMPT)
        {
            return Ok(after_echo[..end].to_string());
        }
        if !session.is_running() {
            return Err(format!("Kestrel stopped during `{command}`:\n{output}"));
        }
        if typed.elapsed() > STEP_TIMEOUT {
            return Err(format!("`{command}` did not end in time:\n{output}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One batch of work; an error unless it ended with status 0.
fn batch(session: &mut Session, rounds: u32) -> Result<(), String> {
    let command = format!("run systest --soak {rounds}");
    let output = type_command(session, &command)?;
    if output.contains(&format!("soak: {rounds} rounds done"))
        && output.contains("[systest exited with status 0]")
    {
        Ok(())
    } else {
        Err(format!("`{command}` failed:\n{output}"))
    }
}

/// The counts `mem` prints (`seconds` left 0).
fn read_counts(session: &mut Session) -> Result<Sample, String> {
    let output = type_command(session, "mem")?;
    parse_mem(&output).ok_or_else(|| format!("cannot read the counts in `mem`'s output:\n{output}"))
}

/// Frames in use (less the heap's pages) and heap bytes in use, from the
/// kernel shell's `mem`:
///
/// ```text
/// frames: 130000 total, 2345 used, 127655 free (498 MiB free; ...)
/// heap:   1024 KiB mapped of 65536 KiB limit, 900 KiB held by the allocator, 123456 bytes in use (peak 200000)
/// ```
pub fn parse_mem(output: &str) -> Option<Sample> {
    let line = |start: &str| output.lines().map(str::trim).find(|l| l.starts_with(start));
    let frames_used = number_before(line("frames:")?, " used")?;
    let heap = line("heap:")?;
    let heap_pages = number_before(heap, " KiB mapped")? / 4;
    let heap_bytes = number_before(heap, " bytes in use")?;
    Some(Sample {
        seconds: 0.0,
        frames: frames_used.checked_sub(heap_pages)?,
        heap_bytes,
    })
}

/// The number right before `marker` in `line`.
fn number_before(line: &str, marker: &str) -> Option<u64> {
    let before = &line[..line.find(marker)?];
    let digits = before.rsplit(|c: char| !c.is_ascii_digit()).next()?;
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_output_gives_frames_without_the_heap_and_heap_bytes() {
        let output = "\r\nframes: 130000 total, 2345 used, 127655 free (498 MiB free; 2000 used when the boot was complete)\r\n\
                      heap:   1024 KiB mapped of 65536 KiB limit, 900 KiB held by the allocator, 123456 bytes in use (peak 200000)\r\n\
                              10 allocations, 5 frees, 0 reallocations, 0 failed\r\n";
        let sample = parse_mem(output).unwrap();
        assert_eq!((sample.frames, sample.heap_bytes), (2345 - 256, 123456));
        assert_eq!(parse_mem("frames: not available\r\n"), None);
        assert_eq!(parse_mem("error: unknown command"), None);
    }
}
