//! Runs the runner binary itself, as a user would through `cargo run -- ...`.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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

#[test]
fn bad_options_are_refused_before_anything_is_built() {
    let zero = runner(&["test", "--timeout", "0"]);
    assert_eq!(zero.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&zero.stderr).contains("--timeout must be at least 1"));
    // Checked before building and booting: no QMP error after a whole boot.
    let shot = runner(&["screenshot", "/nonexistent-dir/x.png"]);
    assert_eq!(shot.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&shot.stderr);
    assert!(
        stderr.contains("the directory /nonexistent-dir does not exist"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("Compiling") && !stderr.contains("QMP"),
        "{stderr}"
    );
}

/// Interactive runs boot the main image writable, which QEMU locks against
/// any other use: tests that boot the main image take turns.
fn main_image_turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `screenshot` waits for a settled screen and saves it as a PNG file.
#[test]
fn screenshot_saves_a_png() {
    let _turn = main_image_turn();
    let path = std::env::temp_dir().join(format!("kestrel-shot-{}.png", std::process::id()));
    let output = runner(&["screenshot", path.to_str().unwrap()]);
    let bytes = std::fs::read(&path);
    let _ = std::fs::remove_file(&path);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout(&output).contains("saved "), "{output:?}");
    assert!(bytes.unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
}

#[test]
fn unknown_test_kernel_lists_the_others_sorted() {
    let unknown = runner(&["test", "no_such_kernel"]);
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    let list = stderr
        .split("(there are: ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("{stderr}"));
    let names: Vec<&str> = list.split(", ").collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(names.contains(&"basics") && names.len() >= 5, "{list}");
}

/// With `CARGO_TARGET_DIR` set, every output of the runner goes there (so a
/// read-only checkout can be built). The kernel's, the loaders' and the
/// imager's build directories are linked from this checkout's, to save
/// rebuilding them.
#[test]
fn cargo_target_dir_receives_the_images() {
    let ours = kestrel::builder::target_dir(&kestrel::builder::root());
    let elsewhere = std::env::temp_dir().join(format!("kestrel-target-{}", std::process::id()));
    std::fs::create_dir_all(&elsewhere).unwrap();
    for dir in ["kernel", "loader", "imager"] {
        std::os::unix::fs::symlink(ours.join(dir), elsewhere.join(dir)).unwrap();
    }
    let output = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .arg("--images")
        .env("CARGO_TARGET_DIR", &elsewhere)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = stdout(&output);
    let _ = std::fs::remove_dir_all(&elsewhere);
    assert!(output.status.success(), "{output:?}");
    let images = elsewhere.join("images/debug");
    let names = ["kestrel-kestrel-bios.img", "kestrel-kestrel-uefi.img"];
    for (line, name) in text.lines().zip(names) {
        assert!(
            line.ends_with(&*images.join(name).to_string_lossy()),
            "{text}"
        );
    }
}

/// How long an interactive run may take to reach a text. Generous: on a fresh
/// clone this includes building the bootloader (minutes).
const DEADLINE: Duration = Duration::from_secs(900);

/// `cargo run -- --headless ...` as a user at a terminal: what the kernel prints
/// on its serial console arrives on the runner's stdout, and what the user types
/// goes to its stdin (Ctrl-A X quits QEMU).
struct Interactive {
    /// See [`main_image_turn`].
    _turn: std::sync::MutexGuard<'static, ()>,
    child: Child,
    stdin: ChildStdin,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Option<JoinHandle<String>>,
}

impl Interactive {
    fn start(args: &[&str]) -> Interactive {
        let turn = main_image_turn();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kestrel"))
            .arg("--headless")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0) // so that QEMU, the runner's child, can be stopped too
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut out = child.stdout.take().unwrap();
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stdout);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 1024];
            while let Ok(n @ 1..) = out.read(&mut chunk) {
                sink.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        let mut err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        Interactive {
            _turn: turn,
            child,
            stdin,
            stdout,
            stderr: Some(stderr),
        }
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    /// Waits until stdout contains `text` `count` times (or the runner exits).
    fn wait_for(&mut self, text: &str, count: usize) {
        let start = Instant::now();
        while self.stdout().matches(text).count() < count {
            assert!(
                start.elapsed() < DEADLINE && matches!(self.child.try_wait(), Ok(None)),
                "no {count}x {text:?} on the console:\n{}",
                self.stdout()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn type_text(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Types Ctrl-A X and returns the runner's exit status and stderr.
    fn quit(mut self) -> (ExitStatus, String) {
        self.type_text(b"\x01x");
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > Duration::from_secs(60) {
                self.stop();
                panic!("Ctrl-A X did not end the run");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (status, self.stderr.take().unwrap().join().unwrap())
    }

    /// Waits for the runner to exit by itself; returns its status and stderr.
    fn wait(mut self) -> (ExitStatus, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > DEADLINE {
                self.stop();
                panic!("the runner did not end:\n{}", self.stdout());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (status, self.stderr.take().unwrap().join().unwrap())
    }

    /// Stops the runner and QEMU.
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Interactive {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.stop();
        }
    }
}

/// `cargo run -- --headless` boots the kernel with its serial console on the
/// terminal, to init and the user shell's prompt; Ctrl-A X ends QEMU, and
/// the runner with success.
#[test]
fn headless_run_shows_the_kernel_on_the_terminal() {
    let mut run = Interactive::start(&[]);
    run.wait_for("Boot complete", 1);
    run.wait_for("/ $ ", 1);
    let seen = run.stdout();
    assert!(seen.contains("Hello World!"), "{seen}");
    assert!(seen.contains("Firmware:     BIOS"), "{seen}");
    // Kestrel's own disk is attached by default, and its ext2 mounted.
    assert!(
        seen.contains("File system:  ext2 on the disk, 64 MiB"),
        "{seen}"
    );
    let (status, stderr) = run.quit();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("[run] disk: "), "{stderr}");
}

/// A kernel panic is a failed run, even though QEMU keeps running (so the report
/// stays readable) and the user ends it with Ctrl-A X.
#[test]
fn a_kernel_panic_fails_the_run() {
    let mut run = Interactive::start(&["--monitor"]);
    run.wait_for("kestrel>", 1);
    run.type_text(b"panic\r");
    run.wait_for("KERNEL PANIC", 1);
    run.wait_for("kernel/src/shell/commands.rs:", 1);
    let (status, stderr) = run.quit();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the kernel panicked"), "{stderr}");
}

/// In an interactive run `reboot` restarts the machine (QEMU goes on), and
/// quitting afterwards is a clean end.
#[test]
fn reboot_restarts_an_interactive_run() {
    let mut run = Interactive::start(&["--monitor"]);
    run.wait_for("kestrel>", 1);
    run.type_text(b"reboot\r");
    run.wait_for("Hello World!", 2);
    run.wait_for("kestrel>", 2);
    let (status, stderr) = run.quit();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("reset without being asked"), "{stderr}");
}

/// Without NX (`-cpu qemu64,-nx`) the `bootloader` crate triple-faults: the
/// machine resets although nobody asked. The runner says so and fails, both
/// in an interactive run (where it ends QEMU instead of letting the machine
/// fault again and again) and when running a test kernel. (This is also the
/// test that keeps `--loader bootloader-crate` alive: it builds that loader,
/// adding the rust-src and llvm-tools components first if they are missing.)
#[test]
fn a_triple_fault_fails_the_run() {
    let run = Interactive::start(&["--loader", "bootloader-crate", "--", "-cpu", "qemu64,-nx"]);
    let (status, stderr) = run.wait();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("reset without being asked"), "{stderr}");

    let test = runner(&[
        "test",
        "basics",
        "--loader",
        "bootloader-crate",
        "--",
        "-cpu",
        "qemu64,-nx",
    ]);
    assert_eq!(test.status.code(), Some(1), "{}", stdout(&test));
    assert!(
        stdout(&test).contains("reset without being asked"),
        "{}",
        stdout(&test)
    );
}

/// Our own loaders are the default: `--images` makes an MBR image for BIOS
/// and a GPT image for UEFI, and `--loader kestrel` says the same.
#[test]
fn our_own_loaders_are_the_default() {
    for args in [&["--images"][..], &["--images", "--loader", "kestrel"]] {
        let output = runner(args);
        assert!(output.status.success(), "{output:?}");
        let text = stdout(&output);
        let path = |prefix: &str| {
            let line = text.lines().find(|l| l.starts_with(prefix)).expect(prefix);
            line[prefix.len()..].to_string()
        };
        let (bios, uefi) = (path("bios: "), path("uefi: "));
        assert!(bios.ends_with("kestrel-kestrel-bios.img"), "{bios}");
        assert!(uefi.ends_with("kestrel-kestrel-uefi.img"), "{uefi}");
        let bios = std::fs::read(bios).unwrap();
        assert_eq!(&bios[510..512], [0x55, 0xaa]);
        assert_eq!(bios[446 + 4], kestrel::image::PARTITION_TYPE);
        assert_eq!(&std::fs::read(uefi).unwrap()[512..520], b"EFI PART");
    }
}
