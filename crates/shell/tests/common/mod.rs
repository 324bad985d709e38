//! Helpers shared by the tests: a model terminal and a session driving an
//! editor with it.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code, unused_imports)]

use shell::{LineEditor, Outcome};
use std::fmt;

/// Marks the second cell of a wide character.
const WIDE_TAIL: char = '\u{1}';

/// A model terminal: a grid of cells `width` columns wide that understands
/// exactly the controls the editor may send (printable text, `\r`, `\n`,
/// `\x08`, the bell, `ESC [ n A/B/C/D`, `ESC [ K`, `ESC [ J`) and panics on
/// anything else. Rows are added as needed, like a terminal that scrolls.
///
/// It wraps like a VT100: writing into the last column leaves a wrap
/// *pending* (`column == width`), and the next printable character goes to
/// the next row. Terminals disagree about what controls do in that state, so
/// the model panics on any control there except `\r` and the bell: the editor
/// must never leave the cursor in that state. A wide character that does not
/// fit into the row goes to the next one; zero-width characters are not drawn.
pub struct Terminal {
    pub width: usize,
    pub rows: Vec<Vec<Option<char>>>,
    pub column: usize,
    pub row: usize,
    /// An escape sequence read so far: `None` outside one, else what follows ESC.
    sequence: Option<String>,
}

/// Wide enough for any prompt plus a full line on one row.
pub const WIDTH: usize = 300;

impl Terminal {
    pub fn new(width: usize) -> Self {
        Terminal {
            width,
            rows: vec![vec![None; width]],
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
        let pending = self.column == self.width;
        match c {
            '\r' => self.column = 0,
            '\x07' => {}
            c if c.is_control() && pending => {
                panic!("control {c:?} while a wrap is pending")
            }
            '\x1b' => self.sequence = Some(String::new()),
            '\n' => self.new_row(),
            '\x08' => self.column = self.column.saturating_sub(1),
            c if c.is_control() => panic!("unexpected control character {c:?}"),
            c => self.print(c),
        }
    }

    fn new_row(&mut self) {
        self.row += 1;
        self.column = 0;
        if self.row == self.rows.len() {
            self.rows.push(vec![None; self.width]);
        }
    }

    fn print(&mut self, c: char) {
        let width = cellwidth::width(c);
        if width == 0 {
            return;
        }
        if self.column + width > self.width {
            self.new_row();
        }
        let row = &mut self.rows[self.row];
        row[self.column] = Some(c);
        if width == 2 {
            row[self.column + 1] = Some(WIDE_TAIL);
        }
        self.column += width;
    }

    fn run(&mut self, seq: &str) {
        let Some(body) = seq.strip_prefix('[') else {
            panic!("unexpected escape sequence ESC {seq:?}");
        };
        let (params, command) = body.split_at(body.len() - 1);
        let n: usize = params.parse().unwrap_or(1).max(1);
        let erase = params.is_empty() || params == "0";
        match command {
            "A" => {
                assert!(n <= self.row, "moved above the top row");
                self.row -= n;
            }
            "B" => {
                assert!(self.row + n < self.rows.len(), "moved below the last row");
                self.row += n;
            }
            "C" => self.column = (self.column + n).min(self.width - 1),
            "D" => self.column = self.column.saturating_sub(n),
            "K" if erase => self.rows[self.row][self.column..].fill(None),
            "J" if erase => {
                self.rows[self.row][self.column..].fill(None);
                for row in &mut self.rows[self.row + 1..] {
                    row.fill(None);
                }
            }
            _ => panic!("unexpected escape sequence ESC {seq:?}"),
        }
    }

    /// The text of `row` (blank cells as spaces, trailing blanks removed), or
    /// "" below the last row.
    pub fn text(&self, row: usize) -> String {
        let Some(cells) = self.rows.get(row) else {
            return String::new();
        };
        let s: String = cells
            .iter()
            .filter(|&&c| c != Some(WIDE_TAIL))
            .map(|c| c.unwrap_or(' '))
            .collect();
        s.trim_end().to_string()
    }

    /// Where the next character will go, with a pending wrap carried out.
    pub fn next_place(&self) -> (usize, usize) {
        if self.column == self.width {
            (self.row + 1, 0)
        } else {
            (self.row, self.column)
        }
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
    /// Lines submitted so far (also those reported too long).
    pub submitted: Vec<String>,
    /// How many lines were too long, and how many cancelled.
    pub too_long: usize,
    pub cancelled: usize,
    /// The last byte finished a line.
    finished: bool,
}

impl Session {
    /// A session on a terminal wide enough never to wrap.
    pub fn new() -> Self {
        Session::with_width(WIDTH)
    }

    /// A session on a terminal `width` columns wide.
    pub fn with_width(width: usize) -> Self {
        let mut terminal = Terminal::new(width);
        fmt::Write::write_str(&mut terminal, PROMPT).unwrap();
        let mut editor = LineEditor::new();
        editor.set_layout(width, PROMPT.len());
        Session {
            editor,
            terminal,
            prompt_row: 0,
            submitted: Vec::new(),
            too_long: 0,
            cancelled: 0,
            finished: false,
        }
    }

    /// Feeds `bytes` one by one, checking the screen after each.
    pub fn type_bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            // The rows the line used, for checking where a finished line leaves
            // the cursor (after a finished line, the editor still holds it
            // until this byte starts an empty one).
            let rows = match self.finished {
                true => 1,
                false => self.expected().0.rows.len(),
            };
            let outcome = self.editor.feed(byte, &mut self.terminal);
            match outcome {
                Some(Outcome::Line) => self.submitted.push(self.editor.line().to_string()),
                Some(Outcome::TooLong { .. }) => {
                    self.submitted.push(self.editor.line().to_string());
                    self.too_long += 1;
                }
                Some(Outcome::Cancelled) => self.cancelled += 1,
                None => {}
            }
            self.finished = outcome.is_some();
            if outcome.is_some() {
                if outcome != Some(Outcome::Cancelled) {
                    assert_eq!(
                        (self.terminal.row, self.terminal.column),
                        (self.prompt_row + rows, 0),
                        "a finished line moves to the start of the row below it"
                    );
                }
                fmt::Write::write_str(&mut self.terminal, PROMPT).unwrap();
                self.prompt_row = self.terminal.row;
            } else {
                self.check_screen();
            }
        }
    }

    pub fn type_str(&mut self, s: &str) {
        self.type_bytes(s.as_bytes());
    }

    /// A fresh terminal that was simply given the prompt and the line, and
    /// the place of the editor's cursor on it.
    fn expected(&self) -> (Terminal, (usize, usize)) {
        let line = self.editor.line();
        let (before, after) = line.split_at(self.editor.cursor());
        let mut fresh = Terminal::new(self.terminal.width);
        fmt::Write::write_str(&mut fresh, PROMPT).unwrap();
        fmt::Write::write_str(&mut fresh, before).unwrap();
        let cursor = fresh.next_place();
        fmt::Write::write_str(&mut fresh, after).unwrap();
        (fresh, cursor)
    }

    /// From the prompt row on, the screen shows exactly the prompt and the
    /// line (and nothing below), and the cursor is on the editor's cursor.
    pub fn check_screen(&self) {
        let line = self.editor.line();
        let (fresh, (row, column)) = self.expected();
        for (i, cells) in self.terminal.rows[self.prompt_row..].iter().enumerate() {
            let empty = vec![None; fresh.width];
            let expected = fresh.rows.get(i).unwrap_or(&empty);
            assert!(
                cells == expected,
                "row {i} shows {:?} instead of {:?}, line {line:?}",
                self.terminal.text(self.prompt_row + i),
                fresh.text(i)
            );
        }
        assert_eq!(
            (self.terminal.row, self.terminal.column),
            (self.prompt_row + row, column),
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
