//! Kestrel's side of the user benchmark: boot the kernel, wait for the shell,
//! type `run bench ...` on the serial console, and collect the same lines as
//! on Linux.
//!
//! The benchmark reaches Kestrel as `/bin/bench` on its ramdisk, with
//! `/bin/exit0` beside it (the runner packs every user program there), and
//! the shell's `run PROGRAM [ARGS...]` starts it with the console as its
//! output. Until Kestrel can run it (the command, the ramdisk, or a system
//! call that a Rust `std` program needs before `main` may be missing), this
//! side reports "not yet runnable" with what the shell said, instead of
//! failing the whole command.
//!
//! The file measures run on Kestrel's ext2 disk, as Linux's run on ext4: the
//! runner makes a fresh scratch image for each run (never the user's
//! `target/disk/kestrel.img`), as large as Linux's and with the programs in
//! `/bin`, and attaches it with the same QEMU options as Linux's disk
//! (`disk::qemu_args`). Kestrel mounts it at `/`, where the measures run.

use super::Options;
use super::report::{self, KestrelSide};
use crate::CaptureOptions;
use crate::bench::IDLE_LINE;
use crate::builder::{KernelTargets, Loader, Profile};
use crate::qemu::Firmware;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What the kernel's shell shows when it waits for a command.
const PROMPT: &str = "kestrel>";

/// How long the benchmark may take to print its first line once typed.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The shell command that runs the benchmark: the file measures in `/`,
/// the root of the scratch ext2 disk.
pub fn command(options: &Options) -> String {
    let args: String = options
        .bench_args()
        .iter()
        .map(|arg| format!(" {arg}"))
        .collect();
    format!("run bench{args} --exec /bin/exit0 --fs /")
}

/// Builds and boots Kestrel (`profile`: the benchmark uses the release
/// kernel; BIOS, 512 MiB like Linux) with a scratch disk holding the user
/// programs of `programs` and runs the benchmark there; `timeout` bounds the
/// benchmark's run. Also returns the serial output from the typed command
/// on.
pub fn run(
    options: &Options,
    profile: Profile,
    programs: &Path,
    timeout: Duration,
) -> (KestrelSide, String) {
    match boot_and_run(options, profile, programs, timeout) {
        Ok((serial, typed_at)) => {
            let output = serial.get(typed_at..).unwrap_or("").to_string();
            let run = report::parse(&output);
            if run.started() {
                (KestrelSide::Ran(run), output)
            } else {
                (KestrelSide::NotRunnable(reason(&output)), output)
            }
        }
        Err(why) => (KestrelSide::NotRunnable(why), String::new()),
    }
}

/// Returns the serial log and where the typed command starts in it.
fn boot_and_run(
    options: &Options,
    profile: Profile,
    programs: &Path,
    timeout: Duration,
) -> Result<(String, usize), String> {
    let kernel =
        crate::build_with(Loader::BootloaderCrate, profile, KernelTargets::Main)?.remove(0);
    let disk = scratch_disk(programs)?;
    let mut extra = vec!["-m".to_string(), "512M".to_string()];
    extra.extend(crate::disk::qemu_args(&disk));
    let capture = CaptureOptions { qmp: false, extra };
    let image = crate::image_for(&kernel.images, Firmware::Bios);
    let (mut session, _) = crate::boot_captured(Firmware::Bios, image, &capture)?;
    // The prompt comes after the boot report's last lines: type only then.
    session.wait_for(IDLE_LINE, Duration::from_secs(120))?;
    session.wait_for(PROMPT, Duration::from_secs(120))?;
    let typed_at = session.serial().len();
    let command = command(options);
    eprintln!("[bench-user] Kestrel: typing `{command}`");
    session
        .write_serial(format!("{command}\r").as_bytes())
        .map_err(|e| format!("cannot type into QEMU: {e}"))?;
    let typed = Instant::now();
    loop {
        let serial = session.serial();
        let output = &serial[typed_at..];
        let started = output.contains("bench: start");
        // The shell shows a new prompt when the program ended, or at once
        // when it could not start it (after the echo of the typed line).
        let after_echo = output.split_once('\n').map_or("", |(_, rest)| rest);
        let prompt_again = after_echo.contains(PROMPT);
        if output.contains("bench: done") || prompt_again || !session.is_running() {
            break;
        }
        if (!started && typed.elapsed() > START_TIMEOUT) || typed.elapsed() > timeout {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let serial = session.serial();
    session.kill();
    Ok((serial, typed_at))
}

/// Writes a fresh ext2 image for the run ([`super::linux::DISK_MIB`] like
/// Linux's disk, the user programs of `programs` in `/bin`) beside Linux's
/// disk in `target/linux/`, and returns its path.
fn scratch_disk(programs: &Path) -> Result<PathBuf, String> {
    let dir = crate::builder::target_dir(&crate::builder::root()).join("linux");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for (name, file) in crate::ramdisk::programs_in(programs)? {
        let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        files.push((name, bytes));
    }
    let size = usize::try_from(super::linux::DISK_MIB << 20).expect("the disk fits in memory");
    let image = crate::disk_image::build_sized(size, &files, 1_700_000_000)?;
    let path = dir.join("kestrel-disk.img");
    std::fs::write(&path, image).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// What Kestrel said instead of running the benchmark: its output after the
/// typed line, without the prompt and colour codes, on one line.
pub fn reason(output: &str) -> String {
    let text: Vec<String> = output
        .lines()
        .skip(1) // the echo of the typed command
        .map(strip_ansi)
        .map(|line| line.trim().to_string())
        .filter(|line| !line.is_empty() && !line.starts_with(PROMPT))
        .collect();
    if text.is_empty() {
        return format!(
            "no output within {} s of `run bench`",
            START_TIMEOUT.as_secs()
        );
    }
    let joined = text.join("; ");
    match joined.char_indices().nth(200) {
        Some((cut, _)) => format!("{}...", &joined[..cut]),
        None => joined,
    }
}

/// `text` without ANSI escape sequences (`ESC [ ... letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_is_asked_to_run_the_same_binary() {
        let mut options = Options::default();
        assert_eq!(command(&options), "run bench --exec /bin/exit0 --fs /");
        options.quick = true;
        assert_eq!(
            command(&options),
            "run bench --quick --exec /bin/exit0 --fs /"
        );
        options.only = vec!["seq_read".into(), "small_files".into()];
        assert_eq!(
            command(&options),
            "run bench --quick --only seq_read,small_files --exec /bin/exit0 --fs /"
        );
    }

    #[test]
    fn the_reason_is_what_the_shell_said() {
        let output = "run bench --quick\r\n\
                      error: unknown command `run` (type `help` for the list)\r\n\
                      \x1b[32mkestrel>\x1b[0m ";
        assert_eq!(
            reason(output),
            "error: unknown command `run` (type `help` for the list)"
        );
        assert!(reason("run bench\r\n").starts_with("no output within 60 s"));
        let long = format!("run bench\n{}\n", "x".repeat(500));
        assert_eq!(reason(&long).len(), 203);
    }
}
