//! Starting QEMU: the command line for each way of booting, and a session type
//! that captures the serial console, enforces a timeout and judges how the run
//! ended.
//!
//! The kernel leaves QEMU through the `isa-debug-exit` device: a write of `v` to
//! port 0xf4 makes QEMU exit with status `(v << 1) | 1`. The kernel writes 0x10 for
//! success and 0x11 for failure, so QEMU exits with 33 or 35 (see
//! `kernel/src/arch/qemu.rs`). A kernel panic is reported through the `pvpanic`
//! device, and every run is watched over QMP (`events.rs`); `outcome.rs` turns all
//! this into the runner's exit status.
//!
//! Runs whose serial output the runner captures (tests, benchmarks, screenshots)
//! use `-no-reboot`: a reset ends QEMU, so a test kernel cannot boot again and
//! again. Interactive runs leave it out, so that `reboot` restarts the machine.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::events::{Seen, Watcher};
use crate::outcome::Outcome;

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
    /// Where the runner watches the run.
    pub watch: Watch,
    pub extra: Vec<String>,
}

/// The runner's own QMP socket (for events) and QEMU's log of CPU resets.
#[derive(Clone, Debug)]
pub struct Watch {
    pub socket: PathBuf,
    pub reset_log: PathBuf,
}

impl Watch {
    /// Both files in the run's scratch directory.
    pub fn in_dir(dir: &Path) -> Watch {
        Watch {
            socket: dir.join("events.sock"),
            reset_log: dir.join("resets.log"),
        }
    }

    /// What QEMU logged about CPU resets so far (empty if nothing yet).
    pub fn reset_log_text(&self) -> String {
        std::fs::read(&self.reset_log)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }
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
    let drive = format!("format=raw,file={}{snapshot}", boot.image.display());
    match boot.firmware {
        // The disk sits on an AHCI controller, whose firmware drivers read by
        // DMA. On QEMU's default IDE disk SeaBIOS reads by PIO, two bytes per
        // emulated port access: a BIOS loader spent ~1 s of TCG time reading
        // a 1.6 MiB kernel (measured with ours: 0.9-2.8 s from its first line
        // to long mode on IDE, 0.1 s on AHCI). OVMF on IDE is slow too: our
        // UEFI loader took ~0.5 s to read the kernel and ramdisk there, and
        // 0.05-0.25 s on AHCI.
        Firmware::Bios | Firmware::Uefi => push(&[
            "-drive",
            &format!("id=boot,if=none,{drive}"),
            "-device",
            "ahci,id=ahci",
            "-device",
            "ide-hd,drive=boot,bus=ahci.0",
        ]),
    }
    // No network card (QEMU's default is an e1000): Kestrel has no network
    // driver, and OVMF spends time on the card's iPXE driver, above all in
    // ExitBootServices: 0.3 s of our UEFI loader's 0.7 s from its start to
    // the kernel's first line, 3 ms without the card (serial timestamps,
    // one boot each, loaded machine). Floors and kernels alike boot without.
    push(&["-nic", "none"]);
    // The kernel's exit device, and the pvpanic device through which it reports
    // a panic; after one the machine keeps running, so the report stays readable.
    push(&[
        "-device",
        "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-device",
        "pvpanic",
        "-action",
        "panic=none",
    ]);
    // The runner's QMP socket for events (QEMU connects to the runner), and the
    // log in which QEMU names triple faults.
    push(&[
        "-qmp",
        &format!("unix:{}", boot.watch.socket.display()),
        "-d",
        "cpu_reset",
        "-D",
        &boot.watch.reset_log.display().to_string(),
    ]);
    // In a captured run a reset ends QEMU: no reboot loop after a triple fault.
    if boot.serial == Serial::Captured {
        push(&["-no-reboot"]);
    }
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
    /// The thread copying QEMU's standard output into `serial`.
    reader: Option<JoinHandle<()>>,
    watcher: Watcher,
    watch: Watch,
    started: Instant,
    /// QEMU's exit status, once it has exited (`None` inside: killed).
    exit: Option<Option<i32>>,
    _vars_dir: Option<tempdir::TempDir>,
}

impl Session {
    /// Starts `qemu` with `boot` (whose `serial` must be `Captured`) and connects
    /// the event watcher. `vars_dir` is kept alive (and deleted) with the session.
    pub fn start(
        qemu: &Path,
        boot: &Boot,
        vars_dir: Option<tempdir::TempDir>,
    ) -> Result<Session, String> {
        let listener = Watcher::listen(&boot.watch.socket)?;
        let started = Instant::now();
        let mut child = Command::new(qemu)
            .args(args(boot))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", qemu.display()))?;
        let watcher = match Watcher::accept(&listener, &mut child, WATCH_TIMEOUT) {
            Ok(watcher) => watcher,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        let stdin = child.stdin.take();
        let serial = Arc::new(Mutex::new(Vec::new()));
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let sink = Arc::clone(&serial);
        let reader = std::thread::spawn(move || {
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
            reader: Some(reader),
            watcher,
            watch: boot.watch.clone(),
            started,
            exit: None,
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

    /// Waits for QEMU to exit, killing it after `timeout` (measured from the
    /// start of the session).
    pub fn wait(&mut self, timeout: Duration) -> Ending {
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.collect(status.code());
                return Ending::Exited(status.code());
            }
            if self.elapsed() > timeout {
                self.kill();
                return Ending::TimedOut;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// After QEMU exited: reads the rest of its output and events.
    fn collect(&mut self, status: Option<i32>) {
        self.exit = Some(status);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join(); // it ends at the end of QEMU's output
        }
        self.watcher.finish(WATCH_TIMEOUT);
    }

    /// What QEMU has reported over QMP so far.
    pub fn seen(&self) -> Seen {
        self.watcher.seen()
    }

    /// Waits until QEMU's events satisfy `condition` (or `timeout` passes).
    pub fn wait_for_event(&self, timeout: Duration, condition: impl Fn(&Seen) -> bool) -> Seen {
        self.watcher.wait_until(timeout, condition)
    }

    /// Whether QEMU is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Asks QEMU to quit over QMP (the end a user's Ctrl-A X would give).
    pub fn quit(&mut self) -> Result<(), String> {
        self.watcher.quit()
    }

    /// How the run ended, once QEMU has exited (after [`Session::wait`]).
    pub fn outcome(&self) -> Option<Outcome> {
        let status = self.exit?;
        Some(Outcome::judge(
            status,
            &self.watcher.seen(),
            &self.watch.reset_log_text(),
        ))
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

/// How long QEMU may take to connect to the runner's QMP socket, and to close
/// it after exiting.
pub const WATCH_TIMEOUT: Duration = Duration::from_secs(10);

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
            watch: Watch::in_dir(Path::new("/t")),
            extra: vec![],
        }
    }

    fn joined(boot: &Boot) -> String {
        args(boot).join(" ")
    }

    #[test]
    fn bios_boot_uses_the_image_and_exit_device() {
        let line = joined(&boot(Firmware::Bios));
        assert!(line.contains("-drive id=boot,if=none,format=raw,file=/img/k.img,snapshot=on"));
        assert!(line.contains("isa-debug-exit,iobase=0xf4,iosize=0x04"));
        assert!(line.contains("-display none"));
        assert!(!line.contains("pflash"), "BIOS boot needs no OVMF: {line}");
    }

    #[test]
    fn no_firmware_boots_with_a_network_card() {
        for firmware in [Firmware::Bios, Firmware::Uefi] {
            assert!(joined(&boot(firmware)).contains("-nic none"));
        }
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
    fn every_run_is_watched_and_reports_panics() {
        for serial in [Serial::Captured, Serial::Terminal] {
            let mut b = boot(Firmware::Bios);
            b.serial = serial;
            let line = joined(&b);
            assert!(
                line.contains("-device pvpanic -action panic=none"),
                "{line}"
            );
            assert!(line.contains("-qmp unix:/t/events.sock -d"), "{line}");
            assert!(line.contains("-d cpu_reset -D /t/resets.log"), "{line}");
        }
    }

    #[test]
    fn the_boot_disk_is_on_ahci() {
        for firmware in [Firmware::Bios, Firmware::Uefi] {
            let line = joined(&boot(firmware));
            assert!(
                line.contains("-device ahci,id=ahci -device ide-hd,drive=boot,bus=ahci.0"),
                "{line}"
            );
            assert!(line.contains("id=boot,if=none,format=raw,file="), "{line}");
        }
    }

    #[test]
    fn only_captured_runs_end_at_a_reset() {
        let mut b = boot(Firmware::Bios);
        assert!(args(&b).contains(&"-no-reboot".to_string()));
        b.serial = Serial::Terminal;
        assert!(
            !args(&b).contains(&"-no-reboot".to_string()),
            "`reboot` must restart an interactive run"
        );
    }
}
