//! `systest --soak ROUNDS`: the work of a soak test, not checks.
//!
//! A soak test runs ordinary work for a long time and watches whether the
//! kernel's memory stays flat: a leak of one frame per `fork` is invisible
//! in one run, and obvious after ten thousand. The runner's `soak` command
//! (`src/soak/`) types this mode into Kestrel's shell again and again and
//! reads the kernel's counts (`mem`) between the batches.
//!
//! Each round does the three kinds of work that allocate and free the most
//! kernel memory per call:
//! - `fork`, a byte through a pipe from the child, `wait4` (a copy-on-write
//!   address space, a kernel stack, a pipe buffer, a zombie);
//! - `fork` + `execve` of `/bin/exit0` through `std::process::Command`
//!   (`vfork`-like `clone`, a fresh address space from an ELF file);
//! - a pipeline `echo | cat` whose output comes back through a pipe.
//!
//! It prints `soak: ROUNDS rounds done` and exits 0, or says which step
//! failed and exits 1. Natively (Linux) it runs the same way.

use crate::raw::{self, sys};
use std::io::Read;
use std::process::{Command, Stdio};

/// The program that fork + exec runs: Kestrel's smallest, or, where there
/// is none (Linux), `/bin/true`.
fn exit0() -> &'static str {
    if std::path::Path::new("/bin/exit0").exists() {
        "/bin/exit0"
    } else {
        "/bin/true"
    }
}

/// `Some(ROUNDS)` if the command line is `systest --soak ROUNDS` (a bad
/// number gives one round).
pub fn rounds_asked(mut args: impl Iterator<Item = String>) -> Option<u64> {
    (args.nth(1)? == "--soak").then(|| args.next().and_then(|n| n.parse().ok()).unwrap_or(1))
}

/// Runs `rounds` rounds; the exit status.
pub fn run(rounds: u64) -> i32 {
    for round in 0..rounds {
        if let Err(why) = one_round() {
            println!("soak: round {round}: {why}");
            return 1;
        }
    }
    println!("soak: {rounds} rounds done");
    0
}

/// One round of fork, exec and pipe work.
fn one_round() -> Result<(), String> {
    fork_through_pipe()?;
    let program = exit0();
    let status = Command::new(program)
        .status()
        .map_err(|e| format!("exec {program}: {e}"))?;
    if !status.success() {
        return Err(format!("{program} ended with {status}"));
    }
    pipeline()
}

/// A forked child writes one byte into a pipe; the parent reads it and
/// reaps the child.
fn fork_through_pipe() -> Result<(), String> {
    let mut fds = [0i32; 2];
    sys(libc::SYS_pipe2, &[raw::mut_ptr(fds.as_mut_ptr()), 0])
        .map_err(|e| format!("pipe2: errno {e}"))?;
    let [read_end, write_end] = fds.map(|fd| fd as u64);
    let byte = [7u8];
    let child =
        raw::spawn(
            || match sys(libc::SYS_write, &[write_end, raw::ptr(byte.as_ptr()), 1]) {
                Ok(1) => 0,
                _ => 1,
            },
        )
        .map_err(|e| format!("fork: errno {e}"))?;
    let _ = sys(libc::SYS_close, &[write_end]);
    let mut got = [0u8];
    let read = sys(
        libc::SYS_read,
        &[read_end, raw::mut_ptr(got.as_mut_ptr()), 1],
    );
    let _ = sys(libc::SYS_close, &[read_end]);
    let mut status = 0i32;
    let waited = sys(libc::SYS_wait4, &[child, raw::mut_ptr(&mut status), 0, 0]);
    match (read, got, waited, status) {
        (Ok(1), [7], Ok(pid), 0) if pid as u64 == child => Ok(()),
        other => Err(format!(
            "fork + pipe: read, byte, wait4, status = {other:?}"
        )),
    }
}

/// `echo soak | cat`, its output read back through a pipe (with `read`
/// until the end of file: `Command::output` would ask for non-blocking
/// pipes, which Kestrel does not have).
fn pipeline() -> Result<(), String> {
    let mut echo = Command::new("/bin/echo")
        .arg("soak")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn echo: {e}"))?;
    let echo_out = echo.stdout.take().ok_or("echo has no stdout")?;
    let mut cat = Command::new("/bin/cat")
        .stdin(echo_out)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn cat: {e}"))?;
    let mut text = Vec::new();
    let read = cat
        .stdout
        .take()
        .ok_or("cat has no stdout")?
        .read_to_end(&mut text);
    let cat_status = cat.wait().map_err(|e| format!("wait cat: {e}"))?;
    let echo_status = echo.wait().map_err(|e| format!("wait echo: {e}"))?;
    if read.is_ok() && text == b"soak\n" && cat_status.success() && echo_status.success() {
        Ok(())
    } else {
        Err(format!(
            "echo | cat gave {:?} ({read:?}, {cat_status}, {echo_status})",
            String::from_utf8_lossy(&text)
        ))
    }
}
