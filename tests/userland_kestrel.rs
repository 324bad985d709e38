//! Our shell and tools on Kestrel, booted in QEMU, started from the kernel
//! shell's `run` (init cannot be process 1 yet: the kernel does not start
//! it). Only what the kernel supports today: `sh -c` with builtins, `exit`
//! statuses, PATH search with fork + execve + wait4, and tools that need no
//! pipes, no writable files and no /proc. (Natively on Linux everything is
//! tested: `tests/userland.rs`.)

mod common;

use common::{PROMPT, boot_to_prompt, wait_after};
use kestrel::CaptureOptions;
use kestrel::qemu::{Firmware, Session};

/// Sends `command` + Enter on serial, waits for `answer` after the echo and
/// then for the next prompt; returns the text in between and the position
/// after the prompt.
fn command(session: &mut Session, from: usize, command: &str, answer: &str) -> (String, usize) {
    session.write_serial(command.as_bytes()).unwrap();
    session.write_serial(b"\r").unwrap();
    let end_of_echo = wait_after(session, from, "\n");
    let after = wait_after(session, end_of_echo, answer);
    let prompt = wait_after(session, after, PROMPT);
    (session.serial()[end_of_echo..prompt].to_string(), prompt)
}

fn userland_on_kestrel(firmware: Firmware) {
    let mut at_prompt = boot_to_prompt(firmware, &CaptureOptions::default());
    let session = &mut at_prompt.session;
    let at = at_prompt.at;
    let (answer, at) = command(session, at, "ls /sbin", "init");
    assert!(!answer.contains("error"), "{answer}");
    let (answer, at) = command(
        session,
        at,
        "run sh -c \"echo hi; exit 3\"",
        "[sh exited with status 3]",
    );
    assert!(
        answer.contains("hi\r\n") || answer.contains("hi\n"),
        "{answer}"
    );
    let (answer, at) = command(
        session,
        at,
        "run sh -c \"X=v; echo [$X] $?; false || echo or\"",
        "[sh exited",
    );
    assert!(answer.contains("[v] 0"), "{answer}");
    assert!(answer.contains("or"), "{answer}");
    assert!(answer.contains("[sh exited with status 0]"), "{answer}");
    let (answer, at) = command(
        session,
        at,
        "run sh -c \"sleep 0.1 && echo slept\"",
        "[sh exited",
    );
    assert!(answer.contains("slept"), "{answer}");
    assert!(answer.contains("[sh exited with status 0]"), "{answer}");
    let (answer, at) = command(
        session,
        at,
        "run sh -c \"nothing-here; exit\"",
        "[sh exited",
    );
    assert!(
        answer.contains("sh: nothing-here: command not found"),
        "{answer}"
    );
    assert!(answer.contains("[sh exited with status 127]"), "{answer}");
    let (answer, at) = command(session, at, "run echo -n one two", "[echo exited");
    assert!(
        answer.contains("one two[echo exited with status 0]"),
        "{answer}"
    );
    let (answer, at) = command(session, at, "run ls /bin", "[ls exited");
    for name in ["cat", "ls", "sh", "sleep"] {
        assert!(
            answer.contains(&format!("{name}\r\n")) || answer.contains(&format!("{name}\n")),
            "{name}: {answer}"
        );
    }
    let (answer, at) = command(session, at, "run cat /etc/motd /nothing", "[cat exited");
    assert!(answer.contains("Welcome to Kestrel."), "{answer}");
    assert!(
        answer.contains("cat: /nothing: No such file or directory"),
        "{answer}"
    );
    assert!(answer.contains("[cat exited with status 1]"), "{answer}");
    command(session, at, "echo still here", "still here");
    println!("--- serial ({}) ---\n{}", firmware.name(), session.serial());
}

#[test]
fn userland_on_kestrel_under_bios() {
    userland_on_kestrel(Firmware::Bios);
}

#[test]
fn userland_on_kestrel_under_uefi() {
    userland_on_kestrel(Firmware::Uefi);
}
