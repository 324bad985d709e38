//! Running builds side by side, with readable output.
//!
//! A plain `cargo run` needs several cargo builds that do not depend on each
//! other: the user programs (release, for musl), the kernel (for the bare-metal
//! target) and our loaders. Each is a separate cargo process with its own
//! target directory, so they can run at the same time: each build has
//! stretches where it keeps only one core busy (one big crate, one link), and
//! another build fills the other core meanwhile.
//!
//! Two children writing to one terminal would mix their messages, so a build
//! run here has its output piped: every line of its stderr is printed with the
//! build's label in front (`[kernel] Compiling ...`), whole lines only, and
//! kept so that a failure can quote it. Its stdout (cargo's JSON messages) is
//! read at the same time by another thread: a child blocks when a pipe it
//! writes to is full, so both pipes are drained while it runs, never one after
//! the other.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

/// Runs `cmd` to its end: its stderr is printed line by line as it comes,
/// each line prefixed with `[label] `; its stdout is returned. If it fails,
/// the error names `what` and quotes its messages (without cargo's progress
/// lines, see [`quoted`]).
pub fn run(label: &str, what: &str, cmd: &mut Command) -> Result<Vec<u8>, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let (out, lines) = concurrently(
        move || {
            let mut bytes = Vec::new();
            stdout.read_to_end(&mut bytes).map(|_| bytes)
        },
        || echo_lines(label, stderr),
    );
    let status = child
        .wait()
        .map_err(|e| format!("waiting for cargo: {e}"))?;
    let out = out.map_err(|e| format!("reading cargo's output: {e}"))?;
    if status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{what} failed ({status}); its messages:\n{}",
            quoted(&lines)
        ))
    }
}

/// Prints each line of `from` with `[label] ` in front, and returns them.
/// (Not UTF-8 parts are shown replaced; a read error ends the reading.)
fn echo_lines(label: &str, from: impl Read) -> Vec<String> {
    let mut lines = Vec::new();
    for line in BufReader::new(from).split(b'\n') {
        let Ok(line) = line else { break };
        let line = String::from_utf8_lossy(&line).trim_end().to_string();
        // One `eprintln!` per line: it locks stderr, so lines of two builds
        // never mix within a line.
        eprintln!("[{label}] {line}");
        lines.push(line);
    }
    lines
}

/// The lines worth repeating in an error: all but cargo's progress lines
/// (`Compiling x`, `Downloaded y`, ...), each indented.
pub fn quoted(lines: &[String]) -> String {
    const PROGRESS: [&str; 7] = [
        "Compiling ",
        "Checking ",
        "Downloading ",
        "Downloaded ",
        "Fresh ",
        "Blocking ",
        "Locking ",
    ];
    let mut text = String::new();
    for line in lines {
        if PROGRESS.iter().any(|p| line.trim_start().starts_with(p)) {
            continue;
        }
        text.push_str("    ");
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// Runs `a` on a thread of its own while this thread runs `b`; returns both
/// results once both are done. (A panic in `a` is passed on.)
pub fn concurrently<A: Send, B>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    std::thread::scope(|scope| {
        let a = scope.spawn(a);
        let b = b();
        match a.join() {
            Ok(a) => (a, b),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Both values, or every error: when both builds failed, both are reported.
pub fn both<A, B>(a: Result<A, String>, b: Result<B, String>) -> Result<(A, B), String> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
        (Err(a), Err(b)) => Err(format!("{a}\n{b}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        cmd
    }

    #[test]
    fn stdout_is_returned_and_stderr_kept_out_of_it() {
        let out = run("t", "the test", &mut sh("echo out; echo err >&2")).unwrap();
        assert_eq!(out, b"out\n");
    }

    #[test]
    fn a_failure_quotes_the_messages_but_not_the_progress() {
        let script = "echo '   Compiling x v1' >&2; echo 'error[E0425]: no y' >&2; exit 3";
        let err = run("t", "building x", &mut sh(script)).unwrap_err();
        assert!(err.starts_with("building x failed"), "{err}");
        assert!(err.contains("    error[E0425]: no y\n"), "{err}");
        assert!(!err.contains("Compiling"), "{err}");
    }

    #[test]
    fn full_pipes_do_not_deadlock() {
        // Far more than a pipe holds (64 KiB on Linux), on both pipes at once,
        // interleaved: the child would block for ever if one pipe were read
        // only after the other.
        let script = "i=0; while [ $i -lt 3000 ]; do \
            echo 'a line of forty bytes, with its newline'; \
            echo 'a line of forty bytes, with its newline' >&2; \
            i=$((i+1)); done";
        let out = run("t", "the test", &mut sh(script)).unwrap();
        assert_eq!(out.len(), 3000 * 40);
    }

    #[test]
    fn concurrently_runs_both_at_the_same_time() {
        // Each side waits for the other's message: run one after the other,
        // the first would give up at its deadline.
        use std::sync::mpsc::channel;
        use std::time::Duration;
        let (to_a, from_b) = channel();
        let (to_b, from_a) = channel();
        let deadline = Duration::from_secs(30);
        let (a, b) = concurrently(
            move || {
                to_b.send("from a").unwrap();
                from_b.recv_timeout(deadline)
            },
            move || {
                to_a.send("from b").unwrap();
                from_a.recv_timeout(deadline)
            },
        );
        assert_eq!((a, b), (Ok("from b"), Ok("from a")));
    }

    #[test]
    fn both_reports_every_error() {
        assert_eq!(both::<u8, u8>(Ok(1), Ok(2)), Ok((1, 2)));
        assert_eq!(both::<u8, u8>(Err("a".into()), Ok(2)), Err("a".into()));
        assert_eq!(both::<u8, u8>(Ok(1), Err("b".into())), Err("b".into()));
        assert_eq!(
            both::<u8, u8>(Err("a".into()), Err("b".into())),
            Err("a\nb".into())
        );
    }
}
