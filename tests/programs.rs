//! The shell's program commands on the main kernel, booted in QEMU: the
//! ramdisk's boot line, `ls` and `cat` on the VFS (the ramdisk's root with
//! `/dev`, `/tmp`, `/proc` mounted), `run` (a bad name, a program that
//! ends), and `systest`.

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

fn programs_in_the_shell(firmware: Firmware) {
    let mut at_prompt = boot_to_prompt(firmware, &CaptureOptions::default());
    let session = &mut at_prompt.session;
    let serial = session.serial();
    // Every program in user/ and every name linked to one (`ls` to `tools`, ...), and etc/motd.
    let programs_dir = kestrel::builder::user_programs_dir(&kestrel::builder::root());
    let programs = kestrel::ramdisk::programs_in(&programs_dir).unwrap_or_default();
    let files: usize = programs
        .iter()
        .map(|(name, _)| 1 + kestrel::multicall::links_of(name).len())
        .sum();
    let line = format!("ramdisk: {} files, ", files + 1);
    assert!(serial.contains(&line), "no `{line}` in:\n{serial}");
    let (answer, at) = command(session, at_prompt.at, "ls /bin", "systest");
    assert!(answer.contains("hello"), "{answer}");
    let (answer, at) = command(session, at, "ls", "etc/");
    assert!(answer.contains("bin/"), "{answer}");
    let (_, at) = command(session, at, "cat /etc/motd", "Welcome to Kestrel.");
    // The VFS: /dev, /tmp and /proc are mounted on the ramdisk's root.
    let (answer, at) = command(session, at, "ls /", "tmp/");
    assert!(
        answer.contains("dev/") && answer.contains("proc/"),
        "{answer}"
    );
    let (answer, at) = command(session, at, "ls /dev", "urandom");
    assert!(
        answer.contains("null") && answer.contains("console"),
        "{answer}"
    );
    let (answer, at) = command(session, at, "ls /proc", "meminfo");
    assert!(answer.contains("self"), "{answer}");
    let (_, at) = command(session, at, "ls /tmp/..//bin/../etc", "motd");
    let (_, at) = command(session, at, "cat /tmp", "error: cat: /tmp is a directory");
    let (_, at) = command(
        session,
        at,
        "cat /etc/nothing",
        "error: cat: /etc/nothing: no such file",
    );
    let (_, at) = command(
        session,
        at,
        "run nothing",
        "error: run: no program /bin/nothing (see `ls /bin`)",
    );
    let (_, at) = command(session, at, "run /etc", "error: run: /etc is not a file");
    let (_, at) = command(
        session,
        at,
        "run /etc/motd",
        "error: run: /etc/motd is not executable",
    );
    // `hello` needs usermem's calls to get to its end; whatever its status,
    // the shell reports it and goes on.
    let (_, at) = command(session, at, "run hello", "[hello exited with status ");
    // The shell's own directory.
    let (_, at) = command(session, at, "cd /tmp/..//etc", "");
    let (_, at) = command(session, at, "pwd", "/etc");
    let (_, at) = command(session, at, "cat motd", "Welcome to Kestrel.");
    let (_, at) = command(session, at, "ls", "motd");
    let (_, at) = command(session, at, "cd motd", "error: cd: motd: not a directory");
    let (_, at) = command(session, at, "cd", "");
    let (answer, at) = command(session, at, "pwd", "/");
    assert!(answer.lines().any(|l| l.trim() == "/"), "{answer}");
    command(session, at, "echo still here", "still here");
    println!("--- serial ({}) ---\n{}", firmware.name(), session.serial());
}

#[test]
fn programs_in_the_shell_under_bios() {
    programs_in_the_shell(Firmware::Bios);
}

#[test]
fn programs_in_the_shell_under_uefi() {
    programs_in_the_shell(Firmware::Uefi);
}

/// `systest` on Kestrel, under both firmwares: the same checks that pass
/// natively on Linux (`tests/systest.rs`) pass here.
#[test]
fn systest_passes_on_kestrel() {
    for firmware in [Firmware::Bios, Firmware::Uefi] {
        let mut at_prompt = boot_to_prompt(firmware, &CaptureOptions::default());
        let session = &mut at_prompt.session;
        let (answer, _) = command(session, at_prompt.at, "run systest", "[systest exited");
        assert!(answer.contains(" checks passed"), "{answer}");
        assert!(
            answer.contains("[systest exited with status 0]"),
            "{answer}"
        );
        assert!(!answer.contains("FAIL"), "{answer}");
        // The signals area's child that dies of SIGQUIT: the kernel's line.
        assert!(
            answer.contains("killed by SIGQUIT (core dumped)"),
            "{answer}"
        );
    }
}
