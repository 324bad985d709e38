//! The line editor: keys in, an edited line and screen updates out.
//!
//! The editor keeps the line being typed and a cursor inside it (a byte offset,
//! always at a character boundary). Each key changes them and writes to an
//! *echo* sink what the screen must do to show the change. The editor cannot
//! read the screen back, so it keeps this invariant after every key: starting
//! where the line began (right after the prompt), the screen shows exactly the
//! line, laid out in rows of the terminal's width, with nothing after it, and
//! the screen cursor sits on the editor's cursor.
//!
//! # Where a character goes
//!
//! To keep that invariant for a line longer than a row, the editor must know
//! where the terminal puts each character. It is told the terminal's width and
//! the prompt's width ([`LineEditor::set_layout`]) and counts each character's
//! width with the `cellwidth` crate (`中` takes two columns, a combining
//! accent none). [`Pos`] is a (row, column) place relative to the prompt's row.
//! The editor never relies on the terminal wrapping by itself, because
//! terminals disagree on the details: it ends every full row with an explicit
//! `\r\n`, also when the line ends exactly at the edge (the cursor then waits at
//! the start of the next row), and a wide character that does not fit in the
//! last column goes to the next row, the column left over erased. A terminal at
//! least as wide as the editor was told then shows the same rows.
//!
//! # The controls it sends
//!
//! The plainest VT100 ones, which a serial terminal and our framebuffer
//! console both understand: printable text, `\r\n`, `\x08` (one column left,
//! erasing nothing), `ESC [ n A`, `B`, `C`, `D` (n rows up or down, columns
//! right or left), `ESC [ K` (erase to the end of the row), `ESC [ J` (erase to
//! the end of the screen, when the line lost a row), and the bell `\x07`.
//! Typing in the middle prints the new character and the rest of the line, then
//! moves back; deleting reprints the rest of the line and erases what was left
//! beyond its new end; the history and Ctrl-U go back to the start, print the
//! other line and erase the rest.

use core::fmt::Write;

use crate::history::History;
use crate::keys::{Decoder, Key};
use crate::text::Text;

/// How a line ended, as returned by [`LineEditor::feed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Enter: the line is in [`LineEditor::line`] (and, unless empty or a
    /// repeat, now also the newest history entry).
    Line,
    /// Ctrl-C: the line was dropped.
    Cancelled,
    /// Enter, but `refused` keys did not fit into the line (see
    /// [`LINE_CAPACITY`](crate::LINE_CAPACITY)): [`LineEditor::line`] holds
    /// only its beginning, which must not be run as if it were the whole line.
    /// It is not added to the history.
    TooLong { refused: usize },
}

/// Distance between tab stops, in columns: Tab inserts spaces up to the next.
pub const TAB_WIDTH: usize = 8;

/// A place on the screen, relative to the start of the prompt's row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pos {
    row: usize,
    column: usize,
}

/// A terminal-style line editor with history, in fixed memory (about 9 KiB:
/// [`HISTORY_CAPACITY`](crate::HISTORY_CAPACITY) + 2 lines of
/// [`LINE_CAPACITY`](crate::LINE_CAPACITY) bytes).
///
/// Keys: printable characters insert at the cursor, Tab inserts spaces up to
/// the next tab stop; Backspace and Delete remove the character before or
/// under the cursor; Left, Right, Home and End move; Up and Down browse the
/// history; Ctrl-U erases the line; Ctrl-C drops it; Enter finishes it. A full
/// line refuses more characters with a bell, and Enter then reports
/// [`Outcome::TooLong`].
///
/// History browsing: the first Up keeps the line being typed aside as a draft
/// and shows the newest entry; Down past the newest entry brings the draft
/// back. A recalled line can be edited and submitted like a typed one (it is
/// then added to the history as a new entry); the entries themselves never
/// change, so moving on with Up or Down drops edits made to a recalled line.
pub struct LineEditor {
    text: Text,
    /// Byte offset of the cursor in `text`, at a character boundary.
    cursor: usize,
    decoder: Decoder,
    history: History,
    /// The history entry shown, if browsing (see the type's documentation).
    browsing: Option<usize>,
    /// The line being typed when browsing started.
    draft: Text,
    /// Enter was pressed: `text` holds the submitted line until the next byte.
    submitted: bool,
    /// Keys refused (the line was full) since the line was started or replaced.
    refused: usize,
    /// The terminal's width in columns.
    columns: usize,
    /// The column where the line starts (the prompt's width).
    start: usize,
}

impl Default for LineEditor {
    fn default() -> Self {
        Self::new()
    }
}

impl LineEditor {
    /// An editor with an empty line and an empty history, for a terminal of
    /// unbounded width and a line starting in column 0 (see
    /// [`LineEditor::set_layout`]).
    pub const fn new() -> Self {
        LineEditor {
            text: Text::EMPTY,
            cursor: 0,
            decoder: Decoder::new(),
            history: History::new(),
            browsing: None,
            draft: Text::EMPTY,
            submitted: false,
            refused: 0,
            columns: usize::MAX,
            start: 0,
        }
    }

    /// Tells the editor the terminal's width (`columns`, at least 2) and the
    /// width of the prompt printed before each line. Takes effect for the
    /// next line: call it before the prompt is printed.
    pub fn set_layout(&mut self, columns: usize, prompt_columns: usize) {
        self.columns = columns.max(2);
        self.start = prompt_columns % self.columns;
    }

    /// Feeds one input byte (see the `keys` module for what a terminal sends),
    /// writes what the screen must show to `echo`, and returns an [`Outcome`]
    /// when the line is finished. Never panics, whatever the bytes; errors
    /// from `echo` are ignored.
    pub fn feed(&mut self, byte: u8, echo: &mut dyn Write) -> Option<Outcome> {
        if self.submitted {
            self.submitted = false;
            self.text.clear();
            self.cursor = 0;
        }
        let key = self.decoder.push(byte)?;
        self.apply(key, &mut Echo(echo))
    }

    /// The line being edited; after an [`Outcome`] other than `Cancelled`,
    /// the submitted line, until the next call to [`LineEditor::feed`].
    pub fn line(&self) -> &str {
        self.text.as_str()
    }

    /// The cursor position in [`LineEditor::line`], as a byte offset.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The remembered lines, oldest first.
    pub fn history(&self) -> impl Iterator<Item = &str> {
        self.history.iter()
    }

    /// Moves the screen cursor below the line being edited, to the start of a
    /// fresh row, so that a message can be printed without mixing into the
    /// line. Print a new prompt and call [`LineEditor::redraw`] after it.
    pub fn leave(&self, echo: &mut dyn Write) {
        let echo = &mut Echo(echo);
        let end = self.position(self.text.len());
        self.move_between(self.position(self.cursor), end, echo);
        new_row_unless_there(end, echo);
    }

    /// Shows the line being edited again, with the cursor in its place,
    /// after a new prompt (see [`LineEditor::leave`]).
    pub fn redraw(&self, echo: &mut dyn Write) {
        let echo = &mut Echo(echo);
        let end = self.print(self.position(0), self.line(), echo);
        self.move_between(end, self.position(self.cursor), echo);
    }

    fn apply(&mut self, key: Key, echo: &mut Echo) -> Option<Outcome> {
        match key {
            Key::Char(c) => self.insert(c.encode_utf8(&mut [0; 4]), echo),
            Key::Tab => self.tab(echo),
            Key::Backspace => self.backspace(echo),
            Key::Delete => self.delete(echo),
            Key::Left => self.move_to(self.cursor - self.before_len(), echo),
            Key::Right => self.move_to(self.cursor + self.under_len(), echo),
            Key::Home => self.move_to(0, echo),
            Key::End => self.move_to(self.text.len(), echo),
            Key::Up => self.older(echo),
            Key::Down => self.newer(echo),
            Key::Kill => self.replace(&Text::EMPTY, echo),
            Key::Enter => return Some(self.submit(echo)),
            Key::Cancel => return Some(self.cancel(echo)),
        }
        None
    }

    /// Where the terminal cursor is after the prompt and the first `offset`
    /// bytes of the line (see the module documentation).
    fn position(&self, offset: usize) -> Pos {
        let mut at = Pos {
            row: 0,
            column: self.start,
        };
        for c in self.line()[..offset].chars() {
            let width = cellwidth::width(c);
            if width > 0 && at.column + width > self.columns {
                at = next_row(at);
            }
            at.column += width;
        }
        if at.column >= self.columns {
            at = next_row(at);
        }
        at
    }

    /// Prints `s` starting at `from`, breaking rows where [`position`] says
    /// (see the module documentation); returns where the cursor ends up.
    ///
    /// [`position`]: LineEditor::position
    fn print(&self, from: Pos, s: &str, echo: &mut Echo) -> Pos {
        let mut at = from;
        for c in s.chars() {
            let width = cellwidth::width(c);
            if width > 0 && at.column + width > self.columns {
                if at.column < self.columns {
                    // A wide character at the last column: blank that column.
                    echo.erase_to_end();
                }
                echo.text("\r\n");
                at = next_row(at);
            }
            echo.char(c);
            at.column += width;
        }
        if at.column >= self.columns {
            echo.text("\r\n");
            at = next_row(at);
        }
        at
    }

    /// Moves the terminal cursor from `from` to `to`.
    fn move_between(&self, from: Pos, to: Pos, echo: &mut Echo) {
        if to.row < from.row {
            echo.up(from.row - to.row);
        } else if to.row > from.row {
            echo.down(to.row - from.row);
        }
        if to.column < from.column {
            echo.left(from.column - to.column);
        } else {
            echo.right(to.column - from.column);
        }
    }

    /// After printing up to `end` a line that used to end at `old_end`:
    /// erases what is left of the old line.
    fn erase_rest(&self, old_end: Pos, end: Pos, echo: &mut Echo) {
        if old_end.row > end.row {
            echo.text("\x1b[J");
        } else {
            echo.erase_to_end();
        }
    }

    /// The text after the cursor.
    fn tail(&self) -> &str {
        &self.line()[self.cursor..]
    }

    /// The length in bytes of the character before the cursor (0 at the start).
    fn before_len(&self) -> usize {
        let before = &self.line()[..self.cursor];
        before.chars().next_back().map_or(0, char::len_utf8)
    }

    /// The length in bytes of the character under the cursor (0 at the end).
    fn under_len(&self) -> usize {
        self.tail().chars().next().map_or(0, char::len_utf8)
    }

    fn insert(&mut self, s: &str, echo: &mut Echo) {
        if !self.text.insert(self.cursor, s) {
            self.refused += 1;
            echo.text("\x07");
            return;
        }
        let from = self.position(self.cursor);
        let old_cursor = self.cursor;
        self.cursor += s.len();
        // The line only grew, so there is nothing to erase after it.
        let end = self.print(from, &self.line()[old_cursor..], echo);
        self.move_between(end, self.position(self.cursor), echo);
    }

    /// Tab: spaces up to the next tab stop (counted from the prompt's start).
    fn tab(&mut self, echo: &mut Echo) {
        let column = self.position(self.cursor).column;
        let spaces = TAB_WIDTH - column % TAB_WIDTH;
        self.insert(&"        "[..spaces], echo);
    }

    fn backspace(&mut self, echo: &mut Echo) {
        let n = self.before_len();
        if n > 0 {
            let old_end = self.position(self.text.len());
            let from = self.position(self.cursor - n);
            self.move_between(self.position(self.cursor), from, echo);
            self.cursor -= n;
            self.text.remove(self.cursor..self.cursor + n);
            self.redraw_tail(from, old_end, echo);
        }
    }

    fn delete(&mut self, echo: &mut Echo) {
        let n = self.under_len();
        if n > 0 {
            let old_end = self.position(self.text.len());
            self.text.remove(self.cursor..self.cursor + n);
            self.redraw_tail(self.position(self.cursor), old_end, echo);
        }
    }

    /// Prints the text after the cursor (at `from`), erases what was left of
    /// the line that ended at `old_end`, and moves back.
    fn redraw_tail(&self, from: Pos, old_end: Pos, echo: &mut Echo) {
        let end = self.print(from, self.tail(), echo);
        self.erase_rest(old_end, end, echo);
        self.move_between(end, from, echo);
    }

    /// Moves the cursor to byte offset `to`, a character boundary.
    fn move_to(&mut self, to: usize, echo: &mut Echo) {
        self.move_between(self.position(self.cursor), self.position(to), echo);
        self.cursor = to;
    }

    /// Shows `new` instead of the current line, with the cursor at its end.
    fn replace(&mut self, new: &Text, echo: &mut Echo) {
        let old_end = self.position(self.text.len());
        self.move_to(0, echo);
        self.text = *new;
        self.cursor = self.text.len();
        self.refused = 0;
        let end = self.print(self.position(0), self.line(), echo);
        self.erase_rest(old_end, end, echo);
    }

    /// Up: shows the next older history entry.
    fn older(&mut self, echo: &mut Echo) {
        let index = match self.browsing {
            None if self.history.len() > 0 => {
                self.draft = self.text;
                self.history.len() - 1
            }
            Some(i) if i > 0 => i - 1,
            _ => return,
        };
        self.show_entry(index, echo);
    }

    /// Down: shows the next newer history entry, or the draft after the newest.
    fn newer(&mut self, echo: &mut Echo) {
        match self.browsing {
            Some(i) if i + 1 < self.history.len() => self.show_entry(i + 1, echo),
            Some(_) => {
                self.browsing = None;
                let draft = self.draft;
                self.replace(&draft, echo);
            }
            None => {}
        }
    }

    fn show_entry(&mut self, index: usize, echo: &mut Echo) {
        if let Some(&entry) = self.history.get(index) {
            self.browsing = Some(index);
            self.replace(&entry, echo);
        }
    }

    fn submit(&mut self, echo: &mut Echo) -> Outcome {
        self.leave(echo.0);
        self.end_browsing();
        self.submitted = true;
        let refused = core::mem::take(&mut self.refused);
        if refused > 0 {
            return Outcome::TooLong { refused };
        }
        self.history.add(&self.text);
        Outcome::Line
    }

    fn cancel(&mut self, echo: &mut Echo) -> Outcome {
        // Moves to the end first, so that "^C" does not hide part of the line.
        self.move_to(self.text.len(), echo);
        let end = self.print(self.position(self.cursor), "^C", echo);
        new_row_unless_there(end, echo);
        self.text.clear();
        self.cursor = 0;
        self.refused = 0;
        self.end_browsing();
        Outcome::Cancelled
    }

    fn end_browsing(&mut self) {
        self.browsing = None;
        self.draft.clear();
    }
}

/// The start of the row after `at`'s.
fn next_row(at: Pos) -> Pos {
    Pos {
        row: at.row + 1,
        column: 0,
    }
}

/// Ends the row the line ends on with `\n`, unless the line filled it and
/// the cursor already waits at the start of the next one.
fn new_row_unless_there(end: Pos, echo: &mut Echo) {
    if end.column > 0 || end.row == 0 {
        echo.text("\n");
    }
}

/// The echo sink, with the few screen controls the editor uses. A failing sink
/// (a disconnected terminal, say) must not disturb editing, so errors are
/// ignored.
struct Echo<'a>(&'a mut dyn Write);

impl Echo<'_> {
    fn text(&mut self, s: &str) {
        let _ = self.0.write_str(s);
    }

    fn char(&mut self, c: char) {
        let _ = self.0.write_char(c);
    }

    /// `ESC [ n letter`, a move by `n` (nothing for 0).
    fn motion(&mut self, n: usize, letter: char) {
        if n > 0 {
            let _ = write!(self.0, "\x1b[{n}{letter}");
        }
    }

    /// Moves the cursor `n` columns left (one column by backspace).
    fn left(&mut self, n: usize) {
        match n {
            1 => self.text("\x08"),
            n => self.motion(n, 'D'),
        }
    }

    /// Moves the cursor `n` columns right.
    fn right(&mut self, n: usize) {
        self.motion(n, 'C');
    }

    /// Moves the cursor `n` rows up.
    fn up(&mut self, n: usize) {
        self.motion(n, 'A');
    }

    /// Moves the cursor `n` rows down.
    fn down(&mut self, n: usize) {
        self.motion(n, 'B');
    }

    /// Erases from the cursor to the end of the row.
    fn erase_to_end(&mut self) {
        self.text("\x1b[K");
    }
}
