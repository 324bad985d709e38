//! A minimal client for QMP, the QEMU Machine Protocol.
//!
//! QMP is JSON over a socket: QEMU greets, the client enables commands with
//! `qmp_capabilities`, then sends `{"execute": ...}` objects and reads replies (one
//! JSON object per line, with asynchronous `{"event": ...}` lines in between). We
//! need only two commands: `screendump` (what is on the screen) and `send-key`
//! (typing on the emulated PS/2 keyboard), so the replies are checked by looking
//! for `"return"` or `"error"` rather than by a full JSON parser.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

pub struct Qmp {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Qmp {
    /// Connects to the socket QEMU was started with (`-qmp unix:PATH,...`),
    /// retrying until QEMU has created it or `timeout` passes.
    pub fn connect(path: &Path, timeout: Duration) -> Result<Qmp, String> {
        let start = Instant::now();
        let stream = loop {
            match UnixStream::connect(path) {
                Ok(stream) => break stream,
                Err(e) if start.elapsed() > timeout => {
                    return Err(format!("cannot connect to QMP at {}: {e}", path.display()));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        let writer = stream.try_clone().map_err(|e| e.to_string())?;
        let mut qmp = Qmp {
            reader: BufReader::new(stream),
            writer,
        };
        qmp.read_line()?; // the greeting
        qmp.execute(r#"{"execute":"qmp_capabilities"}"#)?;
        Ok(qmp)
    }

    fn read_line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => Err("QMP connection closed".into()),
            Ok(_) => Ok(line),
            Err(e) => Err(format!("reading QMP: {e}")),
        }
    }

    /// Sends one command and waits for its reply, skipping events.
    pub fn execute(&mut self, command: &str) -> Result<String, String> {
        writeln!(self.writer, "{command}").map_err(|e| format!("writing QMP: {e}"))?;
        loop {
            let line = self.read_line()?;
            if line.contains("\"return\"") {
                return Ok(line);
            }
            if line.contains("\"error\"") {
                return Err(format!("QMP error for {command}: {}", line.trim()));
            }
        }
    }

    /// Saves the screen as a PPM file at `path` (QEMU writes it before replying).
    pub fn screendump(&mut self, path: &Path) -> Result<(), String> {
        self.screendump_as(path, "ppm")
    }

    /// Saves the screen at `path` as `ppm` or `png` (PNG needs QEMU 7.1 or later).
    pub fn screendump_as(&mut self, path: &Path, format: &str) -> Result<(), String> {
        let command = format!(
            r#"{{"execute":"screendump","arguments":{{"filename":{},"format":{}}}}}"#,
            json_string(&path.display().to_string()),
            json_string(format)
        );
        self.execute(&command).map(|_| ())
    }

    /// Presses and releases keys together, e.g. `["shift", "a"]`, using QEMU's
    /// key names (`a`, `1`, `ret`, `spc`, `minus`, ...).
    pub fn send_keys(&mut self, keys: &[&str]) -> Result<(), String> {
        let list: Vec<String> = keys
            .iter()
            .map(|k| format!(r#"{{"type":"qcode","data":{}}}"#, json_string(k)))
            .collect();
        let command = format!(
            r#"{{"execute":"send-key","arguments":{{"keys":[{}]}}}}"#,
            list.join(",")
        );
        self.execute(&command).map(|_| ())
    }
}

/// `s` as a JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::json_string;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("/tmp/a b.ppm"), r#""/tmp/a b.ppm""#);
        assert_eq!(json_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(json_string("x\ny"), r#""x\u000ay""#);
    }
}
