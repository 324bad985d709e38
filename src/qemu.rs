//! Starting QEMU: the command line for each way of booting, and a session type
//! that captures the serial console, enforces a timeout and maps the exit status.
//!
//! The kernel leaves QEMU through the `isa-debug-exit` device: a write of `v` to
//! port 0xf4 makes QEMU exit with status `(v << 1) | 1`. The kernel writes 0x10 for
//! success and 0x11 for failure, so QEMU exits with 33 or 35 (see
//! `kernel/src/arch/qemu.rs`); [`runner_status`] turns 33 into 0.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// QEMU's exit status when the kernel reports success.
pub const QEMU_SUCCESS: i32 = (0x10 << 1) | 1;
/// QEMU's exit status when the kernel reports failure.
pub const QEMU_FAILURE: i32 = (0x11 << 1) | 1;

/// Which firmware boots the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Firmware {
    Bios,
    Uefi,
}

impl Firmware {
    pub fn name(self) -> &'static str {
        match self {
            Firmware::Bios => "bios",
            Firmware::Uefi => "uefi",
        }
    }
}

/// Where the serial console goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Serial {
    /// This terminal, raw, multiplexed with the QEMU monitor (Ctrl-A C).
    Terminal,
    /// A pipe the runner reads (tests, benchmarks).
    Captured,
}

/// Everything that decides QEMU's command line.
#[derive(Clone, Debug)]
pub struct Boot {
    pub firmware: Firmware,
    pub image: PathBuf,
    /// OVMF code and a private, writable copy of the variable store (UEFI only).
    pub ovmf: Option<(PathBuf, PathBuf)>,
    /// Show a window (otherwise `-display none`).
    pub window: bool,
    pub serial: Serial,
    pub gdb: bool,
    /// A QMP control socket (screendump, sendkey) at this path.
    pub qmp: Option<PathBuf>,
    pub extra: Vec<String>,
}

/// The arguments for `qemu-system-x86_64`.
pub fn args(boot: &Boot) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    let mut push = |items: &[&str]| args.extend(items.iter().map(|s| s.to_string()));
    if let (Firmware::Uefi, Some((code, vars))) = (boot.firmware, &boot.ovmf) {
        push(&["-drive", &pflash(code, true)]);
        push(&["-drive", &pflash(vars, false)]);
    }
    // Captured runs (tests, benchmarks) boot in snapshot mode: QEMU opens the
    // image read-only and keeps any writes in a temporary file, so several runs
    // can boot the same image at once (QEMU locks an image it may write to).
    let snapshot = if boot.serial == Serial::Captured {
        ",snapshot=on"
    } else {
        ""
    };
    push(&[
        "-drive",
        &format!("format=raw,file={}{snapshot}", boot.image.display()),
    ]);
    // The kernel's exit device, and no reboot loop after a triple fault.
    push(&[
        "-device",
        "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-no-reboot",
    ]);
    if !boot.window {
        push(&["-display", "none"]);
    }
    match boot.serial {
        Serial::Terminal => push(&["-serial", "mon:stdio"]),
        Serial::Captured => push(&["-serial", "stdio", "-monitor", "none"]),
    }
    if let Some(socket) = &boot.qmp {
        push(&[
            "-qmp",
            &format!("unix:{},server=on,wait=off", socket.display()),
        ]);
    }
    if boot.gdb {
        push(&["-s", "-S"]);
    }
    args.extend(boot.extra.iter().cloned());
    args
}

fn pflash(path: &Path, readonly: bool) -> String {
    let ro = if readonly { ",readonly=on" } else { "" };
    format!("if=pflash,format=raw{ro},file={}", path.display())
}

/// The runner's exit status for a QEMU exit status: the kernel's success exit
/// and a normal QEMU exit (window closed, `quit`) are 0; the kernel's failure is 1;
/// anything else (QEMU could not start, was killed) is passed on, or 2.
pub fn runner_status(status: Option<i32>) -> i32 {
    match status {
        Some(0) | Some(QEMU_SUCCESS) => 0,
        Some(QEMU_FAILURE) => 1,
        Some(other) => other,
        None => 2,
    }
}

/// How a captured QEMU run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// QEMU exited with this status (None: killed by a signal).
    Exited(Option<i32>),
    /// The runner killed QEMU after the timeout.
    TimedOut,
}

/// A running QEMU whose serial output is captured.
pub struct Session {
    child: Child,
    /// QEMU's standard input, which `-serial stdio` connects to the guest's
    /// serial port: what the runner writes here, the kernel receives.
    stdin: Option<ChildStdin>,
    serial: Arc<Mutex<Vec<u8>>>,
    started: Instant,
    _vars_dir: Option<tempdir::TempDir>,
}

impl Session {
    /// Starts `qemu` with `boot` (whose `serial` must be `Captured`). `vars_dir`
    /// is kept alive (and deleted) with the session.
    pub fn start(
        qemu: &Path,
        boot: &Boot,
        vars_dir: Option<tempdir::TempDir>,
    ) -> std::io::Result<Session> {
        let started = Instant::now();
        let mut child = Command::new(qemu)
            .args(args(boot))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child.stdin.take();
        let serial = Arc::new(Mutex::new(Vec::new()));
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let sink = Arc::clone(&serial);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        Ok(Session {
            child,
            stdin,
            serial,
            started,
            _vars_dir: vars_dir,
        })
    }

    /// Everything QEMU wrote to the serial port so far, as text.
    pub fn serial(&self) -> String {
        String::from_utf8_lossy(&self.serial.lock().unwrap()).into_owned()
    }

    /// Sends `bytes` to the guest's serial port (as if typed on a terminal).
    pub fn write_serial(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| std::io::Error::other("QEMU's stdin is closed"))?;
        stdin.write_all(bytes)?;
        stdin.flush()
    }

    /// Time since QEMU was started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Waits until the serial output contains `text`; returns the time since
    /// start when it appeared, or an error if QEMU exits or `timeout` passes.
    pub fn wait_for(&mut self, text: &str, timeout: Duration) -> Result<Duration, String> {
        loop {
            if self.serial().contains(text) {
                return Ok(self.elapsed());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("QEMU exited ({status}) before printing `{text}`"));
            }
            if self.elapsed() > timeout {
                return Err(format!("no `{text}` on serial after {timeout:?}"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for QEMU to exit, killing it after `timeout`.
    pub fn wait(&mut self, timeout: Duration) -> Ending {
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Give the reader thread a moment to drain the pipe.
                std::thread::sleep(Duration::from_millis(50));
                return Ending::Exited(status.code());
            }
            if self.elapsed() > timeout {
                self.kill();
                return Ending::TimedOut;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops QEMU now.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A directory deleted when dropped (for OVMF variable stores and QMP sockets).
pub mod tempdir {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub struct TempDir(PathBuf);

    impl TempDir {
        /// Creates a fresh directory below `parent`.
        pub fn new(parent: &Path) -> std::io::Result<TempDir> {
            static COUNT: AtomicUsize = AtomicUsize::new(0);
            let n = COUNT.fetch_add(1, Ordering::SeqCst);
            let dir = parent.join(format!("run-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            Ok(TempDir(dir))
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boot(firmware: Firmware) -> Boot {
        Boot {
            firmware,
            image: PathBuf::from("/img/k.img"),
            ovmf: Some((PathBuf::from("/o/CODE.fd"), PathBuf::from("/t/VARS.fd"))),
            window: false,
            serial: Serial::Captured,
            gdb: false,
            qmp: None,
            extra: vec![],
        }
    }

    fn joined(boot: &Boot) -> String {
        args(boot).join(" ")
    }

    #[test]
    fn bios_boot_uses_the_image_and_exit_device() {
        let line = joined(&boot(Firmware::Bios));
        assert!(line.contains("-drive format=raw,file=/img/k.img,snapshot=on"));
        assert!(line.contains("isa-debug-exit,iobase=0xf4,iosize=0x04"));
        assert!(line.contains("-display none"));
        assert!(!line.contains("pflash"), "BIOS boot needs no OVMF: {line}");
    }

    #[test]
    fn uefi_boot_adds_readonly_code_and_writable_vars() {
        let line = joined(&boot(Firmware::Uefi));
        assert!(line.contains("-drive if=pflash,format=raw,readonly=on,file=/o/CODE.fd"));
        assert!(line.contains("-drive if=pflash,format=raw,file=/t/VARS.fd"));
    }

    #[test]
    fn window_gdb_qmp_and_extra_arguments() {
        let mut b = boot(Firmware::Bios);
        b.window = true;
        b.gdb = true;
        b.serial = Serial::Terminal;
        b.qmp = Some(PathBuf::from("/t/qmp.sock"));
        b.extra = vec!["-m".into(), "2G".into()];
        let args = args(&b);
        let line = args.join(" ");
        assert!(!line.contains("-display none"));
        assert!(line.contains("-serial mon:stdio"));
        assert!(
            !line.contains("snapshot"),
            "interactive runs keep the disk writable"
        );
        assert!(line.contains("-qmp unix:/t/qmp.sock,server=on,wait=off"));
        assert!(line.contains("-s -S"));
        assert_eq!(
            &args[args.len() - 2..],
            ["-m", "2G"],
            "extra args come last"
        );
    }

    #[test]
    fn exit_statuses_map_to_runner_statuses() {
        assert_eq!(QEMU_SUCCESS, 33);
        assert_eq!(QEMU_FAILURE, 35);
        assert_eq!(runner_status(Some(33)), 0);
        assert_eq!(runner_status(Some(0)), 0);
        assert_eq!(runner_status(Some(35)), 1);
        assert_eq!(runner_status(Some(7)), 7);
        assert_eq!(runner_status(None), 2);
    }
}
