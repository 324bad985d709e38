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

impl Qmp {
    /// Types `text` on the emulated keyboard, one key (with shift where a US
    /// keyboard needs it) at a time. Fails on a character with no key.
    pub fn type_text(&mut self, text: &str) -> Result<(), String> {
        for c in text.chars() {
            let keys = keys_for(c).ok_or_else(|| format!("no key types {c:?}"))?;
            self.send_keys(&keys)?;
        }
        Ok(())
    }
}

/// The QEMU key names (qcodes) that type `c` on a US keyboard, e.g.
/// `['shift', 'a']` for `A`.
pub fn keys_for(c: char) -> Option<Vec<&'static str>> {
    const LETTERS: [&str; 26] = [
        "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r",
        "s", "t", "u", "v", "w", "x", "y", "z",
    ];
    const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    // Unshifted and shifted characters on the same key.
    const SYMBOLS: [(char, char, &str); 11] = [
        ('-', '_', "minus"),
        ('=', '+', "equal"),
        ('[', '{', "bracket_left"),
        (']', '}', "bracket_right"),
        ('\\', '|', "backslash"),
        (';', ':', "semicolon"),
        ('\'', '"', "apostrophe"),
        ('`', '~', "grave_accent"),
        (',', '<', "comma"),
        ('.', '>', "dot"),
        ('/', '?', "slash"),
    ];
    const SHIFTED_DIGITS: &str = ")!@#$%^&*(";
    let plain = |key| Some(vec![key]);
    let shifted = |key| Some(vec!["shift", key]);
    match c {
        'a'..='z' => plain(LETTERS[c as usize - 'a' as usize]),
        'A'..='Z' => shifted(LETTERS[c as usize - 'A' as usize]),
        '0'..='9' => plain(DIGITS[c as usize - '0' as usize]),
        ' ' => plain("spc"),
        '\n' | '\r' => plain("ret"),
        '\t' => plain("tab"),
        _ => {
            if let Some(i) = SHIFTED_DIGITS.find(c) {
                return shifted(DIGITS[i]);
            }
            let &(normal, _, key) = SYMBOLS.iter().find(|s| s.0 == c || s.1 == c)?;
            if c == normal {
                plain(key)
            } else {
                shifted(key)
            }
        }
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
    use super::{json_string, keys_for};

    #[test]
    fn characters_map_to_us_keys() {
        assert_eq!(keys_for('a'), Some(vec!["a"]));
        assert_eq!(keys_for('Q'), Some(vec!["shift", "q"]));
        assert_eq!(keys_for('7'), Some(vec!["7"]));
        assert_eq!(keys_for('&'), Some(vec!["shift", "7"]));
        assert_eq!(keys_for(')'), Some(vec!["shift", "0"]));
        assert_eq!(keys_for(' '), Some(vec!["spc"]));
        assert_eq!(keys_for('\n'), Some(vec!["ret"]));
        assert_eq!(keys_for('-'), Some(vec!["minus"]));
        assert_eq!(keys_for('_'), Some(vec!["shift", "minus"]));
        assert_eq!(keys_for('"'), Some(vec!["shift", "apostrophe"]));
        assert_eq!(keys_for('?'), Some(vec!["shift", "slash"]));
        assert_eq!(keys_for('é'), None);
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("/tmp/a b.ppm"), r#""/tmp/a b.ppm""#);
        assert_eq!(json_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(json_string("x\ny"), r#""x\u000ay""#);
    }
}
