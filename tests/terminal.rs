//! The terminal on the main kernel, driven over serial as a user would type:
//! a program in raw mode gets single keys at once (no Enter), a timed
//! read (`VMIN`, `VTIME`) ends on its count or its timer, ^C ends a
//! program in a busy loop, ^\ one blocked in a read, ^D ends a program's
//! input, and the kernel shell goes on after each. One boot per firmware;
//! the program is `user/keys`.

mod common;

use common::{PROMPT, boot_to_prompt, wait_after};
use kestrel::CaptureOptions;
use kestrel::qemu::{Firmware, Session};

/// Types `bytes` on serial, then waits for each of `answers` in turn after
/// `from`; returns the position after the last one.
fn type_and_wait(session: &mut Session, from: usize, bytes: &[u8], answers: &[&str]) -> usize {
    session.write_serial(bytes).unwrap();
    answers
        .iter()
        .fold(from, |at, answer| wait_after(session, at, answer))
}

fn terminal_session(firmware: Firmware) {
    let mut at_prompt = boot_to_prompt(firmware, &CaptureOptions::default());
    let session = &mut at_prompt.session;
    let mut at = at_prompt.at;

    // Raw mode: each key arrives alone, DEL and ^D are bytes like others.
    at = type_and_wait(session, at, b"run keys raw\r", &["keys: raw mode, q ends"]);
    at = type_and_wait(session, at, b"a", &["key 0x61"]);
    at = type_and_wait(session, at, b"\x7f", &["key 0x7f"]);
    at = type_and_wait(session, at, b"\x04", &["key 0x04"]);
    at = type_and_wait(
        session,
        at,
        b"q",
        &["keys: cooked again", "[keys exited with status 0]", PROMPT],
    );

    // VMIN 4 with VTIME 10: four bytes typed at once end a read, two end
    // it 1 s after the second (the timer between bytes).
    at = type_and_wait(session, at, b"run keys timed\r", &["keys: timed reads"]);
    at = type_and_wait(session, at, b"abcd", &["keys: 4 bytes \"abcd\""]);
    at = type_and_wait(session, at, b"xy", &["keys: 2 bytes \"xy\""]);
    at = type_and_wait(
        session,
        at,
        b"q",
        &[
            "keys: 1 bytes \"q\"",
            "keys: cooked again",
            "[keys exited with status 0]",
            PROMPT,
        ],
    );

    // ^C ends a program that never makes a system call (its thread is
    // ended from outside, which the shell reports as "killed").
    at = type_and_wait(session, at, b"run keys spin\r", &["keys: spinning"]);
    at = type_and_wait(session, at, b"\x03", &["^C[keys killed]", PROMPT]);

    // A program reading lines: an edited line, then ^\ while it waits.
    at = type_and_wait(session, at, b"run keys lines\r", &["keys: reading lines"]);
    at = type_and_wait(session, at, b"abx\x7fc\r", &["keys: 4 bytes"]);
    at = type_and_wait(
        session,
        at,
        b"\x1c",
        &["[keys exited with status 131: killed by SIGQUIT]", PROMPT],
    );

    // ^D on an empty line is the end of its input.
    at = type_and_wait(session, at, b"run keys lines\r", &["keys: reading lines"]);
    at = type_and_wait(
        session,
        at,
        b"\x04",
        &["keys: end of file", "[keys exited with status 0]", PROMPT],
    );

    // The shell itself still reads lines, and ^C still cancels one.
    session.write_serial(b"echo dropped\x03").unwrap();
    let end = type_and_wait(session, at, b"echo still here\r", &["\nstill here", PROMPT]);
    let text = &session.serial()[at..end];
    assert!(!text.contains("\ndropped"), "{text}");
    println!("--- serial ({}) ---\n{}", firmware.name(), session.serial());
}

#[test]
fn terminal_under_bios() {
    terminal_session(Firmware::Bios);
}

#[test]
fn terminal_under_uefi() {
    terminal_session(Firmware::Uefi);
}
