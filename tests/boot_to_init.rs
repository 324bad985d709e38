//! The default boot, as `cargo run` boots: the kernel starts `/sbin/init`
//! as process 1, init starts our shell, and a user types at it on serial
//! and on the PS/2 keyboard. One boot under BIOS drives the whole session:
//! pipelines, redirection into /tmp, variables, `cd`, job control and ^C,
//! `sh -c` and exit statuses, our tools, and `exit`, after which init
//! starts a new shell. (Natively on Linux the shell and tools are tested
//! in `tests/userland.rs`.) A second boot, with `init=/bin/echo`, shows
//! what happens when init ends: the kernel says so and starts the kernel
//! monitor; a third, whose init dies of a fault, that the kernel names the
//! signal. A fourth shows that Esc held at boot picks the monitor.

mod common;

use common::{PROMPT, main_kernel, wait_after};
use kestrel::kernel_options::KernelOptions;
use kestrel::qemu::{Firmware, Session};
use kestrel::qmp::Qmp;
use kestrel::{CaptureOptions, boot_captured_to, image_for};
use std::time::Duration;

/// The user shell's prompt in `/` and in `/tmp`.
const ROOT_PROMPT: &str = "/ $ ";
const TMP_PROMPT: &str = "/tmp $ ";

/// Boots the main kernel under BIOS with the boot options `kernel`.
fn boot(kernel: &KernelOptions, qmp: bool) -> (Session, Option<std::path::PathBuf>) {
    let image = image_for(&main_kernel().images, Firmware::Bios);
    let options = CaptureOptions { qmp, extra: vec![] };
    boot_captured_to(Firmware::Bios, image, &options, kernel)
        .unwrap_or_else(|e| panic!("cannot boot the kernel: {e}"))
}

/// Types `line` and Enter on serial and waits for `prompt` after the echo;
/// returns what the command printed (between its echo and the prompt) and
/// the position after the prompt.
fn command(session: &mut Session, from: usize, line: &str, prompt: &str) -> (String, usize) {
    session.write_serial(line.as_bytes()).unwrap();
    session.write_serial(b"\r").unwrap();
    let echoed = wait_after(session, from, line);
    let end_of_echo = wait_after(session, echoed, "\n");
    let after = wait_after(session, end_of_echo, prompt);
    let output = session.serial()[end_of_echo..after - prompt.len()].to_string();
    (output, after)
}

/// Whether `text` has `line` as one of its lines.
fn has_line(text: &str, line: &str) -> bool {
    text.lines().any(|l| l.trim_end_matches('\r') == line)
}

#[test]
fn cargo_run_boots_to_the_user_shell() {
    let (mut session, qmp) = boot(&KernelOptions::init(), true);
    let session = &mut session;
    let at = wait_after(session, 0, kestrel::bench::IDLE_LINE);
    let at = wait_after(session, at, ROOT_PROMPT);

    // Process 1 exists, and it is init (which would say "running as
    // process N, not 1", and the kernel "... is process N, not 1").
    let (out, at) = command(session, at, "kill -0 1; echo $?", ROOT_PROMPT);
    assert!(has_line(&out, "0"), "{out}");
    assert!(!session.serial().contains("not 1"), "{}", session.serial());
    // And `ps` (our tool, reading /proc/<pid>/stat and cmdline) shows it,
    // the shell it started (its child, leading its own group) and itself.
    let (out, at) = command(session, at, "ps", ROOT_PROMPT);
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(
        rows.contains(&vec!["1", "0", "1", "S", "/sbin/init"]),
        "{out}"
    );
    let shell = rows
        .iter()
        .find(|r| r.len() == 5 && r[1] == "1" && r[4] == "/bin/sh")
        .unwrap_or_else(|| panic!("no shell, child of init: {out}"));
    assert_eq!(shell[0], shell[2], "the shell leads its group: {out}");
    assert!(
        rows.iter()
            .any(|r| r.len() == 5 && r[1] == shell[0] && r[3] == "R" && r[4] == "ps"),
        "{out}"
    );

    // An orphan: the `sh -c` that started `sleep` in the background ends at
    // once, so the sleep is re-parented to init, which reaps it when it ends.
    // Between its end and init's `wait4` it is init's zombie (as on Linux,
    // and `ps` may catch that moment); a zombie of anyone else, or one that
    // stays, is a bug: the loop runs until no sleep, ended or not, is left.
    let (_, mut at) = command(session, at, "sh -c \"sleep 0.3 &\"", ROOT_PROMPT);
    let mut seen_orphan = false;
    for round in 0.. {
        let (out, after) = command(session, at, "ps", ROOT_PROMPT);
        at = after;
        let rows: Vec<Vec<&str>> = out
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert!(
            rows.iter()
                .all(|r| r.get(3) != Some(&"Z") || r.get(1) == Some(&"1")),
            "a zombie that init does not own: {out}"
        );
        let sleeps: Vec<_> = rows
            .iter()
            .filter(|r| matches!(r.get(4), Some(&"sleep") | Some(&"[sleep]")))
            .collect();
        seen_orphan |= sleeps.iter().any(|r| r[1] == "1");
        if sleeps.is_empty() {
            assert!(
                !rows.iter().any(|r| r.get(3) == Some(&"Z")),
                "a zombie left: {out}"
            );
            break;
        }
        assert!(round < 200, "the orphan was never reaped: {out}");
    }
    println!("orphan seen as init's child: {seen_orphan}");

    // `uptime` and `free` read /proc/uptime and /proc/meminfo (busybox's
    // `free` asks `sysinfo` instead: systest's identity area checks that).
    let (out, at) = command(session, at, "uptime; free", ROOT_PROMPT);
    assert!(out.lines().any(|l| l.trim().starts_with("up 0:")), "{out}");
    let mem = |out: &str| -> Vec<u64> {
        out.lines()
            .find(|l| l.trim_start().starts_with("Mem:"))
            .map(|l| {
                l.split_whitespace()
                    .skip(1)
                    .filter_map(|n| n.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let ours = mem(&out);
    assert!(ours.len() == 4 && ours[0] > ours[2] && ours[2] > 0, "{out}");

    // A pipeline; redirection into a file under /tmp, read back.
    let (out, at) = command(session, at, "ls /bin | cat", ROOT_PROMPT);
    for name in ["cat", "ls", "sh", "sleep"] {
        assert!(has_line(&out, name), "{name}: {out}");
    }
    let (_, at) = command(session, at, "echo into a file > /tmp/note", ROOT_PROMPT);
    let (out, at) = command(session, at, "cat /tmp/note", ROOT_PROMPT);
    assert!(has_line(&out, "into a file"), "{out}");

    // Variables, exit statuses, `sh -c`, and a command that is not there.
    let (out, at) = command(session, at, "false; echo $HOME $?", ROOT_PROMPT);
    assert!(has_line(&out, "/ 1"), "{out}");
    let (out, at) = command(
        session,
        at,
        "sh -c \"echo hi; exit 3\"; echo $?",
        ROOT_PROMPT,
    );
    assert!(has_line(&out, "hi") && has_line(&out, "3"), "{out}");
    let (out, at) = command(session, at, "nothing-here; echo $?", ROOT_PROMPT);
    assert!(out.contains("sh: nothing-here: command not found"), "{out}");
    assert!(has_line(&out, "127"), "{out}");
    let (out, at) = command(session, at, "sleep 0.1 && echo slept", ROOT_PROMPT);
    assert!(has_line(&out, "slept"), "{out}");
    let (out, at) = command(session, at, "echo -n one two; echo .", ROOT_PROMPT);
    assert!(has_line(&out, "one two."), "{out}");
    let (out, at) = command(session, at, "cat /etc/motd /nothing; echo $?", ROOT_PROMPT);
    assert!(out.contains("Welcome to Kestrel."), "{out}");
    assert!(
        out.contains("cat: /nothing: No such file or directory"),
        "{out}"
    );
    assert!(has_line(&out, "1"), "{out}");

    // `cd` changes the shell's directory (and its prompt).
    let (_, at) = command(session, at, "cd /tmp", TMP_PROMPT);
    let (out, at) = command(session, at, "pwd", TMP_PROMPT);
    assert!(has_line(&out, "/tmp"), "{out}");

    // Job control: a background job, `jobs`, `fg`, and ^C ends the job,
    // not the shell.
    let (_, at) = command(session, at, "sleep 10 &", TMP_PROMPT);
    let (out, at) = command(session, at, "jobs", TMP_PROMPT);
    assert!(out.contains("Running sleep 10 &"), "{out}");
    session.write_serial(b"fg\r").unwrap();
    let at = wait_after(session, at, "sleep 10 &\r\n");
    session.write_serial(b"\x03").unwrap();
    let at = wait_after(session, at, TMP_PROMPT);
    let (out, at) = command(session, at, "echo fg $?", TMP_PROMPT);
    assert!(has_line(&out, "fg 130"), "{out}");

    // ^C on a busy loop that makes no system call.
    session.write_serial(b"keys spin\r").unwrap();
    let at = wait_after(session, at, "keys: spinning");
    session.write_serial(b"\x03").unwrap();
    let at = wait_after(session, at, TMP_PROMPT);
    let (out, at) = command(session, at, "echo spin $?", TMP_PROMPT);
    assert!(has_line(&out, "spin 130"), "{out}");

    // A command typed on the PS/2 keyboard.
    let mut qmp = Qmp::connect(&qmp.expect("QMP was asked for"), Duration::from_secs(10))
        .expect("QMP connects");
    qmp.type_text("echo typed on the keyboard\n").unwrap();
    let at = wait_after(session, at, "\ntyped on the keyboard");
    let at = wait_after(session, at, TMP_PROMPT);

    // `exit`: init reports it and starts a new shell, which works.
    session.write_serial(b"exit 5\r").unwrap();
    let at = wait_after(
        session,
        at,
        "init: /bin/sh exited with status 5; starting it again",
    );
    let at = wait_after(session, at, ROOT_PROMPT);
    let (out, at) = command(session, at, "echo second shell", ROOT_PROMPT);
    assert!(has_line(&out, "second shell"), "{out}");

    // History on the arrow keys: Up brings the last line back, Enter runs it.
    let (_, at) = command(session, at, "echo from history", ROOT_PROMPT);
    session.write_serial(b"\x1b[A\r").unwrap();
    let at = wait_after(session, at, "from history\r\n");
    let at = wait_after(session, at, ROOT_PROMPT);

    // Garbage on the line (control bytes, a stray escape sequence, bytes that
    // are not UTF-8), then ^C: the line is dropped and the shell goes on.
    session
        .write_serial(b"qw\x01\x02e\x1b[Z\x1b[99~\xff\xfe\x05rty")
        .unwrap();
    session.write_serial(b"\x03").unwrap();
    let at = wait_after(session, at, ROOT_PROMPT);
    let (out, at) = command(session, at, "echo clean $?", ROOT_PROMPT);
    assert!(out.lines().any(|l| l.starts_with("clean")), "{out}");

    // ^D on an empty line ends the shell's input: it exits, and init starts
    // another.
    session.write_serial(b"\x04").unwrap();
    let at = wait_after(
        session,
        at,
        "init: /bin/sh exited with status 0; starting it again",
    );
    let at = wait_after(session, at, ROOT_PROMPT);
    let (out, _) = command(session, at, "echo third shell", ROOT_PROMPT);
    assert!(has_line(&out, "third shell"), "{out}");
    let serial = session.serial();
    assert!(!serial.contains(PROMPT), "the monitor ran:\n{serial}");
    assert!(!serial.contains("panicked"), "{serial}");
    println!("--- serial ---\n{serial}");
}

#[test]
fn when_init_ends_the_kernel_says_so_and_starts_the_monitor() {
    let options = KernelOptions("init=/bin/echo quiet".into());
    let (mut session, _) = boot(&options, false);
    let at = wait_after(&mut session, 0, "unknown boot option `quiet` ignored");
    let at = wait_after(&mut session, at, kestrel::bench::IDLE_LINE);
    let at = wait_after(
        &mut session,
        at,
        "init (pid 1) exited with status 0; starting the kernel monitor",
    );
    let at = wait_after(&mut session, at, PROMPT);
    // The monitor works: it runs a program, which is not process 1.
    session.write_serial(b"run sh -c \"exit 7\"\r").unwrap();
    let at = wait_after(&mut session, at, "[sh exited with status 7]");
    wait_after(&mut session, at, PROMPT);
    println!("--- serial ---\n{}", session.serial());
}

/// init killed by a signal: here a fault (`memtest use-after-munmap`, its
/// argument given after `--`, writes to a page it has just unmapped). The
/// kernel names the signal and starts the monitor, which works.
#[test]
fn when_init_is_killed_by_a_signal_the_kernel_names_it() {
    let options = KernelOptions("init=/bin/memtest -- use-after-munmap".into());
    let (mut session, _) = boot(&options, false);
    let at = wait_after(&mut session, 0, kestrel::bench::IDLE_LINE);
    let at = wait_after(
        &mut session,
        at,
        "init (pid 1) was killed by signal SIGSEGV; starting the kernel monitor",
    );
    let at = wait_after(&mut session, at, PROMPT);
    session.write_serial(b"run echo monitor here\r").unwrap();
    let at = wait_after(&mut session, at, "\nmonitor here");
    let at = wait_after(&mut session, at, "[echo exited with status 0]");
    wait_after(&mut session, at, PROMPT);
    let serial = session.serial();
    // It died of the fault: it never reached the line after the write.
    assert!(!serial.contains("wrote to an unmapped page"), "{serial}");
    println!("--- serial ---\n{serial}");
}

/// Esc pressed while the machine boots (here sent on serial the moment QEMU
/// starts: it waits in the UART's FIFO, see `tests/robustness.rs`; the first
/// byte is lost there) picks the monitor instead of init.
#[test]
fn esc_held_at_boot_picks_the_monitor() {
    let (mut session, _) = boot(&KernelOptions::init(), false);
    session.write_serial(b"\x1b\x1b\x1b").unwrap();
    let at = wait_after(&mut session, 0, kestrel::bench::IDLE_LINE);
    let at = wait_after(
        &mut session,
        at,
        "Esc held at boot: starting the kernel monitor",
    );
    let at = wait_after(&mut session, at, PROMPT);
    // The Esc bytes were taken: the monitor's first line is ours.
    session.write_serial(b"echo monitor here\r").unwrap();
    wait_after(&mut session, at, "\nmonitor here");
    assert!(!session.serial().contains("init:"), "{}", session.serial());
}
