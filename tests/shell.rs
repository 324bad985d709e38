//! The kernel shell, driven from outside like a user would: commands typed on
//! the serial port (QEMU's stdin) and on the PS/2 keyboard (QMP `send-key`),
//! answers read from serial, `uptime` compared with the host's clock, and
//! `shutdown` ending QEMU with the success status; the thread commands (`ps`,
//! `spawn`, `kill`, `taskbench`). One boot per firmware.

mod common;

use common::{AtPrompt, PROMPT, boot_to_prompt, wait_after};
use kestrel::CaptureOptions;
use kestrel::outcome::Outcome;
use kestrel::qemu::{Ending, Firmware, QEMU_SUCCESS, Session};
use kestrel::qmp::Qmp;
use std::time::{Duration, Instant};

/// Sends `command` + Enter on serial and waits for its answer `answer` on a
/// line of its own (so the echo of the command line does not count) and the
/// next prompt. Returns the text between the command and that prompt.
fn run(session: &mut Session, from: usize, command: &[u8], answer: &str) -> (String, usize) {
    session.write_serial(command).unwrap();
    session.write_serial(b"\r").unwrap();
    let end_of_echo = wait_after(session, from, "\n");
    let after = wait_after(session, end_of_echo - 1, &format!("\n{answer}"));
    let prompt = wait_after(session, after, PROMPT);
    (session.serial()[end_of_echo..prompt].to_string(), prompt)
}

/// Seconds from the `uptime` answer `up S.NNNNNNNNN s (...)`.
fn seconds(answer: &str) -> f64 {
    let start = answer.find("up ").expect("an uptime line") + 3;
    let number: String = answer[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    number.parse().unwrap()
}

fn shell_session(firmware: Firmware) {
    let options = CaptureOptions {
        qmp: true,
        extra: vec![],
    };
    let AtPrompt {
        mut session,
        qmp: socket,
        mut at,
    } = boot_to_prompt(firmware, &options);

    // A command on the serial port, with a quoted argument.
    (_, at) = run(
        &mut session,
        at,
        b"echo hello \"from  serial\"",
        "hello from  serial\r",
    );

    // Bad input must not break anything: a stray escape sequence, invalid
    // UTF-8, NUL, an over-long line (reported, not run); then Ctrl-C drops a
    // half-typed line.
    let mut junk = b"\x1b[Z\x1bOx\xff\xfe\x00\xc3".to_vec();
    junk.extend(std::iter::repeat_n(b'y', 400));
    (_, at) = run(&mut session, at, &junk, "error: line too long");
    session.write_serial(b"echo dropped\x03").unwrap();
    let (text, next) = run(&mut session, at, b"echo after ctrl-c", "after ctrl-c\r");
    assert!(!session.serial()[at..next].contains("\ndropped"), "{text}");
    at = next;
    (_, at) = run(
        &mut session,
        at,
        b"frobnicate now",
        "error: unknown command `frobnicate`",
    );
    (_, at) = run(
        &mut session,
        at,
        b"uptime extra",
        "error: uptime: usage: uptime",
    );

    // Typed on the PS/2 keyboard (mixed case and shifted symbols).
    let mut qmp = Qmp::connect(&socket.unwrap(), Duration::from_secs(10)).unwrap();
    qmp.type_text("echo Typed: a_B!\n").unwrap();
    at = wait_after(&mut session, at, "\nTyped: a_B!\r");
    at = wait_after(&mut session, at, PROMPT);

    // `uptime` advances like the host's clock. Each reading is taken somewhere
    // between the host sending the command and seeing the answer, so the
    // kernel's interval must lie between the host's shortest and longest
    // possible intervals (with 1 % for the clock's calibration), however long
    // a busy host takes to pass the commands on.
    let sent_first = Instant::now();
    let (first, next) = run(&mut session, at, b"uptime", "up ");
    let answered_first = Instant::now();
    // Let the clocks run: this interval is what is measured, not a wait for
    // something to happen.
    std::thread::sleep(Duration::from_secs(3));
    let sent_second = Instant::now();
    let (second, next) = run(&mut session, next, b"uptime", "up ");
    let answered_second = Instant::now();
    let shortest = (sent_second - answered_first).as_secs_f64();
    let longest = (answered_second - sent_first).as_secs_f64();
    let kernel = seconds(&second) - seconds(&first);
    println!(
        "uptime advanced {kernel:.3} s; the host's clock between {shortest:.3} and {longest:.3} s"
    );
    assert!(
        kernel >= shortest * 0.99 && kernel <= longest * 1.01,
        "kernel {kernel} s, host between {shortest} and {longest} s"
    );
    at = next;

    // The breakpoint returns; the interrupt counts show every source.
    (_, at) = run(&mut session, at, b"int3", "back from the breakpoint");
    let (irq, next) = run(&mut session, at, b"irq", "  vector");
    for source in ["breakpoint", "keyboard", "serial COM1", "APIC timer"] {
        assert!(irq.contains(source), "{source} missing from:\n{irq}");
    }
    at = next;
    (_, at) = run(&mut session, at, b"irqbench", "interrupt round trip");
    at = threads(&mut session, at);
    let _ = at;

    // `shutdown` ends QEMU with the kernel's success status.
    session.write_serial(b"shutdown\r").unwrap();
    assert_eq!(
        session.wait(common::TIMEOUT),
        Ending::Exited(Some(QEMU_SUCCESS))
    );
    println!("--- serial ({}) ---\n{}", firmware.name(), session.serial());
}

/// One row of `ps`: id, name, state, CPU ms.
#[derive(Debug)]
struct Row {
    id: u64,
    name: String,
    state: String,
    cpu_ms: f64,
}

/// The rows of a `ps` answer (after its header line).
fn ps_rows(answer: &str) -> Vec<Row> {
    let mut lines = answer.lines().skip_while(|l| !l.contains("  ID  NAME"));
    let header = lines.next().expect("a ps header");
    assert!(
        header.contains("STATE") && header.contains("CPU ms"),
        "{answer}"
    );
    lines
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .take_while(|words| words.len() == 5 && words[0].parse::<u64>().is_ok())
        .map(|words| Row {
            id: words[0].parse().unwrap(),
            name: words[1].to_string(),
            state: words[2].to_string(),
            cpu_ms: words[3].parse().unwrap(),
        })
        .collect()
}

fn row<'a>(rows: &'a [Row], name: &str) -> Option<&'a Row> {
    rows.iter().find(|r| r.name == name)
}

/// The number after `prefix` in `text`.
fn number_after(text: &str, prefix: &str) -> u64 {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix:?} in {text}"))
        + prefix.len();
    let digits: String = text[start..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("a number after {prefix:?} in {text}"))
}

/// `ps`, `spawn`, `kill` and `taskbench`: the demo threads show preemption
/// (a busy thread's CPU time grows while the shell answers), `kill` ends
/// them, crashing threads are reported while the shell goes on, and
/// `taskbench` prints its figures. Returns the position after the last prompt.
fn threads(session: &mut Session, mut at: usize) -> usize {
    let (answer, next) = run(session, at, b"ps", "  ID  NAME");
    let rows = ps_rows(&answer);
    assert_eq!(row(&rows, "idle").map(|r| r.id), Some(0), "{answer}");
    let main = row(&rows, "main").unwrap_or_else(|| panic!("no main in {answer}"));
    assert_eq!((main.id, main.state.as_str()), (1, "running"), "{answer}");
    at = next;

    let (answer, next) = run(session, at, b"spawn demo", "started thread ");
    let busy = number_after(&answer, "started thread ");
    let sleeper = number_after(&answer, "(demo-busy) and thread ");
    at = next;
    let (first, next) = run(session, at, b"ps", "  ID  NAME");
    at = next;
    let cpu = |rows: &[Row]| row(rows, "demo-busy").map(|r| (r.id, r.cpu_ms));
    let Some((id, cpu_before)) = cpu(&ps_rows(&first)) else {
        panic!("demo-busy missing:\n{first}");
    };
    assert_eq!(id, busy);
    // The busy thread never yields: only preemption lets the shell answer, and
    // its CPU time grows meanwhile (asked again until it has, with a deadline).
    let start = Instant::now();
    let second = loop {
        (_, at) = run(session, at, b"echo still here", "still here\r");
        let (second, next) = run(session, at, b"ps", "  ID  NAME");
        at = next;
        match cpu(&ps_rows(&second)) {
            Some((_, cpu_after)) if cpu_after > cpu_before => break second,
            _ => assert!(
                start.elapsed() < common::TIMEOUT,
                "CPU time did not grow:\n{first}\n{second}"
            ),
        }
    };
    assert_eq!(
        row(&ps_rows(&second), "demo-sleep").map(|r| r.id),
        Some(sleeper)
    );

    // taskbench refuses to measure next to a busy thread.
    (_, at) = run(session, at, b"taskbench", "error: taskbench: busy threads");

    let (_, next) = run(session, at, format!("kill {busy}").as_bytes(), "thread ");
    (_, at) = run(
        session,
        next,
        format!("kill {sleeper}").as_bytes(),
        "thread ",
    );
    let (answer, next) = run(session, at, b"ps", "  ID  NAME");
    at = next;
    // Killed detached threads are freed by `ps` itself (or the idle thread).
    for name in ["demo-busy", "demo-sleep"] {
        assert!(row(&ps_rows(&answer), name).is_none(), "{answer}");
    }
    let again = format!("error: kill: thread {busy}: ");
    (_, at) = run(session, at, format!("kill {busy}").as_bytes(), &again);

    // Bad arguments.
    for (command, error) in [
        ("kill 1", "error: kill: thread 1: the kernel needs"),
        ("kill 0", "error: kill: thread 0: the kernel needs"),
        ("kill abc", "error: kill: `abc` is not a thread"),
        ("kill 999999", "error: kill: thread 999999: no such"),
    ] {
        (_, at) = run(session, at, command.as_bytes(), error);
    }
    (_, at) = run(session, at, b"kill", "error: kill: usage: kill ID");
    let (answer, next) = run(session, at, b"spawn bogus", "error: spawn: unknown kind");
    assert!(answer.contains("demo, panic, fault, overflow"), "{answer}");
    at = next;

    // Failing threads are reported and ended; the shell goes on.
    for (kind, report) in [
        (
            "panic",
            "panicked\x1b[0m: deliberate panic in thread demo-panic",
        ),
        ("fault", "divide error"),
        ("overflow", "stack overflow: it ran into its guard page"),
    ] {
        let command = format!("spawn {kind}");
        let (answer, next) = run(session, at, command.as_bytes(), "started thread ");
        let id = number_after(&answer, "started thread ");
        assert!(answer.contains(report), "{kind}: {answer}");
        assert!(
            answer.contains(&format!("thread {id} ended: crashed; the shell goes on")),
            "{answer}"
        );
        at = next;
    }
    (_, at) = run(session, at, b"echo alive", "alive\r");

    // taskbench: three figures and the ratios between them.
    let (answer, next) = run(session, at, b"taskbench", "taskbench: median of");
    let figure = |what: &str| -> u64 {
        let line = answer
            .lines()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("{what}: {answer}"));
        let number = line[..line.find(" cycles").expect("cycles")]
            .split_whitespace()
            .last()
            .unwrap();
        number.parse().unwrap()
    };
    let thread = figure("thread switch (");
    let task = figure("async task switch");
    let spawn = figure("spawn + join");
    for (what, a, b) in [
        ("thread switch / task switch = ", thread, task),
        ("spawn+join / thread switch = ", spawn, thread),
        ("spawn+join / task switch = ", spawn, task),
    ] {
        assert!(a > 0 && b > 0, "{answer}");
        let start = answer
            .find(what)
            .unwrap_or_else(|| panic!("{what}: {answer}"))
            + what.len();
        let shown: f64 = answer[start..].split('x').next().unwrap().parse().unwrap();
        let exact = a as f64 / b as f64;
        assert!((shown - exact).abs() <= 0.051, "{what}{shown} for {a}/{b}");
    }
    println!("taskbench: {answer}");
    next
}

/// Issue 10 §1 and §3: a script pasted in one write runs every line, a
/// 10,000-byte line is rejected with a message (its Enter is not lost), Tab
/// separates words, and too many words name the limit.
#[test]
fn pasted_input_is_never_lost() {
    let AtPrompt {
        mut session,
        mut at,
        ..
    } = boot_to_prompt(Firmware::Bios, &CaptureOptions::default());

    let lines = 120;
    let script: String = (0..lines).map(|i| format!("echo paste-{i:03}\r")).collect();
    assert!(script.len() > 1024, "{} bytes", script.len());
    session.write_serial(script.as_bytes()).unwrap();
    for i in 0..lines {
        at = wait_after(&mut session, at, &format!("\npaste-{i:03}\r"));
    }
    at = wait_after(&mut session, at, PROMPT);

    let mut long = b"echo ".to_vec();
    long.resize(10_000, b'x');
    long.extend_from_slice(b"\recho after-long\r");
    session.write_serial(&long).unwrap();
    at = wait_after(&mut session, at, "\nerror: line too long: ");
    at = wait_after(&mut session, at, "\nafter-long\r");
    at = wait_after(&mut session, at, PROMPT);

    (_, at) = run(&mut session, at, b"echo a\tb", "a b\r");
    let words = b"echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16";
    run(
        &mut session,
        at,
        words,
        "error: too many words (the limit is 16)",
    );
    assert!(
        !session.serial().contains("bytes lost"),
        "{}",
        session.serial()
    );
    session.kill();
}

/// More input than the 64 KiB queue holds, in one write: the loss is
/// reported on a line of its own, the line being edited is shown again after
/// a new prompt, and the shell goes on.
#[test]
fn lost_input_is_reported_on_its_own_line() {
    let AtPrompt {
        mut session, at, ..
    } = boot_to_prompt(Firmware::Bios, &CaptureOptions::default());
    let mut flood = b"echo ".to_vec();
    flood.resize(100_000, b'x');
    flood.extend_from_slice(b"\r");
    session.write_serial(&flood).unwrap();
    // At the start of a line (after a yellow colour code).
    let at = wait_after(&mut session, at, "\n\x1b[33minput: ");
    let report = wait_after(&mut session, at, "bytes lost here");
    // The report, then a new prompt with the line being edited.
    let at = wait_after(&mut session, report, &format!("{PROMPT}\x1b[0m echo xxx"));
    let (_, at) = run(&mut session, at, b"", "error: line too long");
    run(&mut session, at, b"echo still here", "still here\r");
    session.kill();
}

#[test]
fn shell_under_bios() {
    shell_session(Firmware::Bios);
}

#[test]
fn reboot_under_bios() {
    reboot_resets_the_machine(Firmware::Bios);
}

#[test]
fn shell_under_uefi() {
    shell_session(Firmware::Uefi);
}

/// `reboot` resets the machine; the runner starts captured runs with
/// `-no-reboot`, so a reset ends QEMU with status 0 instead of booting again,
/// and the runner judges it a clean end (no triple fault).
fn reboot_resets_the_machine(firmware: Firmware) {
    let AtPrompt { mut session, .. } = boot_to_prompt(firmware, &CaptureOptions::default());
    session.write_serial(b"reboot\r").unwrap();
    assert_eq!(session.wait(common::TIMEOUT), Ending::Exited(Some(0)));
    assert!(session.serial().contains("Rebooting."));
    assert_eq!(session.seen().shutdown.as_deref(), Some("guest-reset"));
    assert_eq!(session.outcome(), Some(Outcome::Ended));
}

/// `panic` takes the deliberate-panic path: the report gives the message and its
/// source location on serial, the kernel tells QEMU through the pvpanic device
/// and halts for good (no new prompt; QEMU keeps running until we quit it), and
/// the run counts as failed.
#[test]
fn panic_command_reports_and_halts() {
    let AtPrompt {
        mut session, at, ..
    } = boot_to_prompt(Firmware::Bios, &CaptureOptions::default());
    session.write_serial(b"panic\r").unwrap();
    let at = wait_after(&mut session, at, "KERNEL PANIC");
    let end = wait_after(&mut session, at, "deliberate panic from the shell at ");
    wait_after(&mut session, end, "kernel/src/shell/commands.rs:");
    let seen = session.wait_for_event(common::TIMEOUT, |seen| seen.panicked);
    assert!(seen.panicked, "no GUEST_PANICKED event: {seen:?}");
    assert!(session.is_running(), "QEMU keeps running after a panic");
    assert!(
        !session.serial()[at..].contains(PROMPT),
        "{}",
        session.serial()
    );
    session.quit().unwrap();
    assert_eq!(session.wait(common::TIMEOUT), Ending::Exited(Some(0)));
    let outcome = session.outcome().unwrap();
    assert_eq!(outcome, Outcome::Panicked);
    assert_eq!(outcome.exit_code(), 1);
    assert!(outcome.message().unwrap().contains("the kernel panicked"));
}
