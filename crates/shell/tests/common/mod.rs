//! Helpers shared by the tests: a model terminal and a session driving an
//! editor with it.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code, unused_imports)]

use shell::{LineEditor, Outcome};
use std::fmt;

/// A model terminal: a grid of cells that understands exactly the controls the
/// editor may send (printable text, `\r`, `\n`, `\x08`, the bell, `ESC [ n C`,
/// `ESC [ n D`, `ESC [ K`) and panics on anything else. Rows are added as
/// needed; a row is wide enough for any prompt plus a full line.
pub struct Terminal {
    pub rows: Vec<Vec<Option<char>>>,
    pub column: usize,
    pub row: usize,
    /// An escape sequence read so far: `None` outside one, else what follows ESC.
    sequence: Option<String>,
}

pub const WIDTH: usize = 300;

impl Terminal {
    pub fn new() -> Self {
        Terminal {
            rows: vec![vec![None; WIDTH]],
            column: 0,
            row: 0,
            sequence: None,
        }
    }

    fn put(&mut self, c: char) {
        if let Some(mut seq) = self.sequence.take() {
            seq.push(c);
            if seq == "[" || (seq.starts_with('[') && c.is_ascii_digit()) {
                self.sequence = Some(seq);
            } else {
                self.run(&seq);
            }
            return;
        }
        match c {
            '\x1b' => self.sequence = Some(String::new()),
            '\r' => self.column = 0,
            '\n' => {
                self.row += 1;
                self.column = 0;
                self.rows.push(vec![None; WIDTH]);
            }
            '\x08' => self.column = self.column.saturating_sub(1),
            '\x07' => {}
            c if c.is_control() => panic!("unexpected control character {c:?}"),
            c => {
                assert!(self.column < WIDTH, "the line ran off the row");
                self.rows[self.row][self.column] = Some(c);
                self.column += 1;
            }
        }
    }

    fn run(&mut self, seq: &str) {
        let Some(body) = seq.strip_prefix('[') else {
            panic!("unexpected escape sequence ESC {seq:?}");
        };
        let (params, command) = body.split_at(body.len() - 1);
        let n: usize = params.parse().unwrap_or(1).max(1);
        match command {
            "C" => self.column = (self.column + n).min(WIDTH - 1),
            "D" => self.column = self.column.saturating_sub(n),
            "K" if params.is_empty() || params == "0" => {
                self.rows[self.row][self.column..].fill(None)
            }
            _ => panic!("unexpected escape sequence ESC {seq:?}"),
        }
    }

    /// The text of `row` (blank cells as spaces, trailing blanks removed).
    pub fn text(&self, row: usize) -> String {
        let s: String = self.rows[row].iter().map(|c| c.unwrap_or(' ')).collect();
        s.trim_end().to_string()
    }
}

impl fmt::Write for Terminal {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        s.chars().for_each(|c| self.put(c));
        Ok(())
    }
}

pub const PROMPT: &str = "> ";

/// An editor connected to a model terminal, used like the kernel shell does:
/// print the prompt, feed bytes, print a new prompt when a line is finished.
pub struct Session {
    pub editor: LineEditor,
    pub terminal: Terminal,
    /// The row of the current prompt.
    pub prompt_row: usize,
    /// Lines submitted so far.
    pub submitted: Vec<String>,
    pub cancelled: usize,
}

impl Session {
    pub fn new() -> Self {
        let mut terminal = Terminal::new();
        fmt::Write::write_str(&mut terminal, PROMPT).unwrap();
        Session {
            editor: LineEditor::new(),
            terminal,
            prompt_row: 0,
            submitted: Vec::new(),
            cancelled: 0,
        }
    }

    /// Feeds `bytes` one by one, checking the screen after each.
    pub fn type_bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            let outcome = self.editor.feed(byte, &mut self.terminal);
            match outcome {
                Some(Outcome::Line) => self.submitted.push(self.editor.line().to_string()),
                Some(Outcome::Cancelled) => self.cancelled += 1,
                None => {}
            }
            if outcome.is_some() {
                assert_eq!(
                    (self.terminal.row, self.terminal.column),
                    (self.prompt_row + 1, 0),
                    "a finished line moves to the start of the next row"
                );
                fmt::Write::write_str(&mut self.terminal, PROMPT).unwrap();
                self.prompt_row += 1;
            } else {
                self.check_screen();
            }
        }
    }

    pub fn type_str(&mut self, s: &str) {
        self.type_bytes(s.as_bytes());
    }

    /// The prompt row shows exactly the prompt and the line, and the cursor is
    /// on the editor's cursor.
    pub fn check_screen(&self) {
        let line = self.editor.line();
        let expected = PROMPT.chars().chain(line.chars()).map(Some);
        let cells = expected.chain(std::iter::repeat(None));
        let row = &self.terminal.rows[self.prompt_row];
        assert!(
            row.iter()
                .zip(cells)
                .all(|(cell, expected)| *cell == expected),
            "screen {:?}, line {line:?}",
            self.terminal.text(self.prompt_row)
        );
        let column = PROMPT.len() + line[..self.editor.cursor()].chars().count();
        assert_eq!(
            (self.terminal.row, self.terminal.column),
            (self.prompt_row, column),
            "cursor, for line {line:?} with the cursor at byte {}",
            self.editor.cursor()
        );
    }

    /// The finished row `back` rows above the current prompt.
    pub fn previous_row(&self, back: usize) -> String {
        self.terminal.text(self.prompt_row - back)
    }
}

/// The shared deterministic generator, so failures repeat.
pub use xorshift::XorShift64 as Rng;
