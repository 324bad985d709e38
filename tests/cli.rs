//! Runs the runner binary itself, as a user would through `cargo run -- ...`.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn runner(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the runner starts")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn images_prints_two_absolute_paths_to_bootable_images() {
    let output = runner(&["--images"]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let bios = lines[0]
        .strip_prefix("bios: ")
        .expect("first line is bios: PATH");
    let uefi = lines[1]
        .strip_prefix("uefi: ")
        .expect("second line is uefi: PATH");
    for path in [bios, uefi] {
        assert!(path.starts_with('/'), "absolute path: {path}");
    }
    // A BIOS disk starts with an MBR: boot signature 0x55 0xAA at byte 510.
    let bios = std::fs::read(bios).unwrap();
    assert_eq!(&bios[510..512], &[0x55, 0xAA]);
    // A UEFI disk is GPT-partitioned: "EFI PART" at the start of sector 1.
    let uefi = std::fs::read(uefi).unwrap();
    assert_eq!(&uefi[512..520], b"EFI PART");
}

#[test]
fn inspect_names_the_entry_point_and_sections() {
    let output = runner(&["inspect"]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let entry_line = text
        .lines()
        .find(|l| l.starts_with("entry point:"))
        .unwrap();
    // The kernel is linked in the higher half (see .cargo/config.toml) and the
    // bootloader's entry_point! macro exports the entry as `_start`.
    assert!(entry_line.contains("0xffffffff8"), "{entry_line}");
    assert!(entry_line.ends_with("<_start>"), "{entry_line}");
    let text_section = text
        .lines()
        .find(|l| l.trim_start().starts_with(".text"))
        .unwrap();
    assert!(text_section.ends_with("A-X"), "{text_section}");
    assert!(text.contains("total size:"));
}

#[test]
fn help_and_bad_arguments() {
    let help = runner(&["--help"]);
    assert!(help.status.success());
    assert!(stdout(&help).contains("--images"));
    let bad = runner(&["--no-such-flag"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown option `--no-such-flag`"));
}

#[test]
fn test_command_exit_status_follows_the_kernel() {
    let pass = runner(&["test", "basics"]);
    assert!(pass.status.success(), "{}", stdout(&pass));
    assert!(stdout(&pass).contains("all test kernels passed"));
    let fail = runner(&["test", "harness_failures"]);
    assert_eq!(fail.status.code(), Some(1), "{}", stdout(&fail));
    let unknown = runner(&["test", "no_such_kernel"]);
    assert!(!unknown.status.success());
}

/// `cargo run -- --headless` boots the kernel with its serial console on the
/// terminal. The kernel never exits, so the test stops QEMU once it has greeted.
#[test]
fn headless_run_shows_the_kernel_on_the_terminal() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .arg("--headless")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0) // so that QEMU, the runner's child, can be stopped too
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let (done, seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = Vec::new();
        let mut chunk = [0u8; 1024];
        while let Ok(n @ 1..) = out.read(&mut chunk) {
            text.extend_from_slice(&chunk[..n]);
            let so_far = String::from_utf8_lossy(&text);
            if so_far.contains("Boot complete") || so_far.contains("KERNEL PANIC") {
                break;
            }
        }
        let _ = done.send(String::from_utf8_lossy(&text).into_owned());
    });
    // Generous: on a fresh clone this includes building the bootloader (minutes).
    let result = seen.recv_timeout(Duration::from_secs(900));
    let _ = Command::new("kill")
        .args(["-TERM", "--", &format!("-{}", child.id())])
        .status();
    let _ = child.wait();
    let seen = result.expect("the kernel booted within the time limit");
    assert!(seen.contains("Hello World!"), "{seen}");
    assert!(seen.contains("Firmware:     BIOS"), "{seen}");
}

/// `--loader kestrel` (opt-in): the test kernels boot through our own UEFI
/// loader; `--images` makes only its UEFI image; BIOS is refused with advice.
#[test]
fn our_own_loader_is_selectable() {
    let output = runner(&["test", "basics", "--uefi", "--loader", "kestrel"]);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout(&output).contains("all test kernels passed"));

    let output = runner(&["--images", "--loader", "kestrel"]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let uefi = text.trim().strip_prefix("uefi: ").expect("only uefi: PATH");
    assert!(uefi.ends_with("kestrel-kestrel-uefi.img"), "{uefi}");
    assert_eq!(&std::fs::read(uefi).unwrap()[512..520], b"EFI PART");

    let output = runner(&["--loader", "kestrel", "--headless"]);
    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("no BIOS part yet"), "{error}");
}
