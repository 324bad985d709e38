//! Where command lines come from.
//!
//! On a terminal the shell edits the line itself, with the `shell` crate's
//! editor (the kernel shell's, with history on the arrow keys): it puts the
//! terminal in *raw mode* with termios (no ICANON: each key arrives at once;
//! no ECHO: the editor draws; no ISIG: Ctrl-C reaches the editor, which
//! drops the line), and back to the saved settings before a command runs.
//! Ctrl-D on an empty line ends the input.
//!
//! Otherwise (a script file, a pipe, `sh < file`), lines are read plainly.
//! Standard input is read one byte at a time, so that the shell never
//! swallows input meant for the commands it runs (`printf 'read\ndata' | sh`).

use crate::sys;
use shell::{LineEditor, Outcome};
use std::io::{self, BufRead, Write};

/// The source of lines.
pub enum Input {
    Terminal(Box<LineEditor>),
    File(Box<dyn BufRead>),
    Stdin,
}

impl Input {
    /// The next line without its newline, or `None` at the end.
    pub fn line(&mut self, prompt: &str) -> Option<String> {
        match self {
            Input::Terminal(editor) => edit(editor, prompt),
            Input::File(reader) => {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => None,
                    Ok(_) => Some(line.trim_end_matches('\n').to_string()),
                }
            }
            Input::Stdin => stdin_line(),
        }
    }
}

/// One line from fd 0, a byte at a time.
fn stdin_line() -> Option<String> {
    let mut line = Vec::new();
    let mut byte = [0];
    loop {
        match sys::read(0, &mut byte) {
            Ok(1) if byte[0] == b'\n' => break,
            Ok(1) => line.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            _ if line.is_empty() => return None,
            _ => break,
        }
    }
    Some(String::from_utf8_lossy(&line).into_owned())
}

/// Lets the editor's output go to stdout through `fmt::Write`.
struct Screen(io::Stdout);

impl std::fmt::Write for Screen {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.write_all(s.as_bytes()).map_err(|_| std::fmt::Error)
    }
}

/// Reads a line with the editor, the terminal in raw mode meanwhile.
fn edit(editor: &mut LineEditor, prompt: &str) -> Option<String> {
    let saved = sys::get_termios().ok();
    if let Some(saved) = saved {
        let mut raw = saved;
        raw.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        let _ = sys::set_termios(&raw);
    }
    editor.set_layout(sys::columns().unwrap_or(80), prompt.chars().count());
    let mut screen = Screen(io::stdout());
    let _ = write!(screen.0, "{prompt}");
    let _ = screen.0.flush();
    // The editor keeps the last line until the next key: `fresh` says that
    // no key was typed at this prompt yet.
    let mut fresh = true;
    let line = loop {
        let mut byte = [0];
        match sys::read(0, &mut byte) {
            Ok(1) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            _ => break None,
        }
        if byte[0] == 4 && (fresh || editor.line().is_empty()) {
            let _ = writeln!(screen.0);
            break None;
        }
        fresh = false;
        let outcome = editor.feed(byte[0], &mut screen);
        let _ = screen.0.flush();
        match outcome {
            Some(Outcome::Line) => break Some(editor.line().to_string()),
            Some(Outcome::Cancelled) => break Some(String::new()),
            Some(Outcome::TooLong { refused }) => {
                eprintln!("sh: line too long ({refused} characters refused), not run");
                break Some(String::new());
            }
            None => {}
        }
    };
    if let Some(saved) = saved {
        let _ = sys::set_termios(&saved);
    }
    line
}
