//! Watching what the virtual machine does, through QEMU's events.
//!
//! Every QEMU the runner starts connects to a socket on which the runner listens
//! (`-qmp unix:PATH`; tests may open a second QMP socket for their commands).
//! QEMU connects while it starts, before the machine runs, so no event of the
//! run is missed. QMP then sends asynchronous events as JSON lines, for example
//!
//! ```text
//! {"timestamp": {...}, "event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-reset"}}
//! ```
//!
//! We record three of them:
//! - `SHUTDOWN`: QEMU is about to stop, and why (`reason`): the guest switched
//!   the machine off (`guest-shutdown`) or reset it (`guest-reset`, which ends
//!   QEMU under `-no-reboot`), or the host ended it (`host-qmp-quit`,
//!   `host-signal`, `host-ui`...);
//! - `RESET`: the machine restarted and goes on (runs without `-no-reboot`);
//! - `GUEST_PANICKED`: the kernel reported a panic through the `pvpanic` device
//!   (see `kernel/src/arch/pvpanic.rs`).
//!
//! A reset's reason is `guest-reset` both when the kernel asked for it (`reboot`)
//! and after a triple fault, so the reason alone cannot tell them apart; see
//! `outcome.rs` for how the runner does.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::process::Child;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What QEMU reported so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// The `reason` of the `SHUTDOWN` event, once QEMU sent it.
    pub shutdown: Option<String>,
    /// The `reason` of each `RESET` event.
    pub resets: Vec<String>,
    /// A `GUEST_PANICKED` event arrived.
    pub panicked: bool,
    /// QEMU closed the connection (it has exited or is exiting).
    pub closed: bool,
}

impl Seen {
    /// Takes note of one line from QMP; anything but the three events is ignored.
    pub fn record(&mut self, line: &str) {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            return;
        };
        let reason = || message["data"]["reason"].as_str().unwrap_or("").to_string();
        match message["event"].as_str() {
            Some("SHUTDOWN") => self.shutdown = Some(reason()),
            Some("RESET") => self.resets.push(reason()),
            Some("GUEST_PANICKED") => self.panicked = true,
            _ => {}
        }
    }

    /// Whether the guest itself reset the machine (QEMU ended or went on).
    pub fn guest_reset(&self) -> bool {
        self.shutdown.as_deref() == Some("guest-reset")
            || self.resets.iter().any(|r| r == "guest-reset")
    }
}

/// The runner's QMP connection to one QEMU, read by a thread of its own.
pub struct Watcher {
    seen: Arc<(Mutex<Seen>, Condvar)>,
    writer: UnixStream,
}

impl Watcher {
    /// Listens at `path`, where QEMU will connect (start QEMU after this).
    pub fn listen(path: &Path) -> Result<UnixListener, String> {
        let _ = std::fs::remove_file(path);
        UnixListener::bind(path).map_err(|e| format!("cannot listen at {}: {e}", path.display()))
    }

    /// Accepts the connection of `qemu`; fails if QEMU exits first or `timeout`
    /// passes.
    pub fn accept(
        listener: &UnixListener,
        qemu: &mut Child,
        timeout: Duration,
    ) -> Result<Watcher, String> {
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let start = Instant::now();
        let stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if let Ok(Some(status)) = qemu.try_wait() {
                        return Err(format!("QEMU exited ({status}) before it could be watched"));
                    }
                    if start.elapsed() > timeout {
                        return Err(format!("QEMU did not connect to QMP in {timeout:?}"));
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(format!("accepting QEMU's QMP connection: {e}")),
            }
        };
        stream.set_nonblocking(false).map_err(|e| e.to_string())?;
        let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
        // Commands may be sent before the greeting is read: QMP queues them.
        writeln!(writer, r#"{{"execute":"qmp_capabilities"}}"#)
            .map_err(|e| format!("writing QMP: {e}"))?;
        let seen = Arc::new((Mutex::new(Seen::default()), Condvar::new()));
        let shared = Arc::clone(&seen);
        std::thread::spawn(move || {
            let (state, changed) = &*shared;
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                state.lock().unwrap().record(&line);
                changed.notify_all();
            }
            state.lock().unwrap().closed = true;
            changed.notify_all();
        });
        Ok(Watcher { seen, writer })
    }

    /// A copy of what was reported so far.
    pub fn seen(&self) -> Seen {
        self.seen.0.lock().unwrap().clone()
    }

    /// Waits until `condition` holds for what was reported, or `timeout` passes;
    /// returns what was reported then.
    pub fn wait_until(&self, timeout: Duration, condition: impl Fn(&Seen) -> bool) -> Seen {
        let (state, changed) = &*self.seen;
        let guard = state.lock().unwrap();
        let (guard, _) = changed
            .wait_timeout_while(guard, timeout, |seen| !condition(seen))
            .unwrap();
        guard.clone()
    }

    /// Waits (at most `timeout`) for QEMU to close the connection, so that every
    /// event it sent before exiting has been read.
    pub fn finish(&self, timeout: Duration) -> Seen {
        self.wait_until(timeout, |seen| seen.closed)
    }

    /// Asks QEMU to quit (as the `quit` command of its monitor would).
    pub fn quit(&mut self) -> Result<(), String> {
        writeln!(self.writer, r#"{{"execute":"quit"}}"#).map_err(|e| format!("writing QMP: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_shutdown_reset_and_panic_events() {
        let mut seen = Seen::default();
        for line in [
            r#"{"QMP": {"version": {}, "capabilities": ["oob"]}}"#,
            r#"{"return": {}}"#,
            r#"{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "RESET", "data": {"guest": true, "reason": "guest-reset"}}"#,
            r#"{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "GUEST_PANICKED", "data": {"action": "run"}}"#,
            "not json",
            r#"{"event": "STOP"}"#,
            r#"{"timestamp": {"seconds": 3, "microseconds": 4}, "event": "SHUTDOWN", "data": {"guest": false, "reason": "host-qmp-quit"}}"#,
        ] {
            seen.record(line);
        }
        assert_eq!(
            seen,
            Seen {
                shutdown: Some("host-qmp-quit".into()),
                resets: vec!["guest-reset".into()],
                panicked: true,
                closed: false,
            }
        );
        assert!(seen.guest_reset());
    }

    #[test]
    fn a_guest_reset_is_told_from_other_endings() {
        let ended = |line: &str| {
            let mut seen = Seen::default();
            seen.record(line);
            seen
        };
        assert!(ended(r#"{"event": "SHUTDOWN", "data": {"reason": "guest-reset"}}"#).guest_reset());
        for reason in ["guest-shutdown", "host-qmp-quit", "host-signal", "host-ui"] {
            let line = format!(r#"{{"event": "SHUTDOWN", "data": {{"reason": "{reason}"}}}}"#);
            assert!(!ended(&line).guest_reset(), "{reason}");
        }
        assert!(!Seen::default().guest_reset());
    }
}
