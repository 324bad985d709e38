//! The line editor: keys in, an edited line and screen updates out.
//!
//! The editor keeps the line being typed and a cursor inside it (a byte offset,
//! always at a character boundary). Each key changes them and writes to an
//! *echo* sink what the screen must do to show the change. The editor cannot
//! read the screen back, so it keeps this invariant after every key: the screen
//! row shows exactly the line, starting where the cursor was when the line
//! began (right after the prompt), with nothing after it, and the screen cursor
//! sits on the editor's cursor.
//!
//! It redraws with the plainest VT100 controls, which both a serial terminal
//! and our framebuffer console understand: printable text, `\x08` (one column
//! left, erasing nothing), `ESC [ n C` and `ESC [ n D` (n columns right or
//! left), `ESC [ K` (erase to the end of the row), plus `\n` and the bell `\x07`
//! (the line is full). Typing in the middle prints the new character and the
//! rest of the line, then moves back; deleting reprints the rest of the line one
//! column further left and erases the cell left over at its end.
//!
//! Limits: the prompt and the line must fit on one screen row, and every
//! character is taken to be one column wide (true on our console; a terminal
//! shows East Asian characters such as `中` two columns wide, and then the
//! cursor lands in the wrong place).

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
}

/// A terminal-style line editor with history, in fixed memory (about 9 KiB:
/// [`HISTORY_CAPACITY`](crate::HISTORY_CAPACITY) + 2 lines of
/// [`LINE_CAPACITY`](crate::LINE_CAPACITY) bytes).
///
/// Keys: printable characters insert at the cursor; Backspace and Delete
/// remove the character before or under the cursor; Left, Right, Home and End
/// move; Up and Down browse the history; Ctrl-U erases the line; Ctrl-C drops
/// it; Enter finishes it.
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
}

impl Default for LineEditor {
    fn default() -> Self {
        Self::new()
    }
}

impl LineEditor {
    /// An editor with an empty line and an empty history.
    pub const fn new() -> Self {
        LineEditor {
            text: Text::EMPTY,
            cursor: 0,
            decoder: Decoder::new(),
            history: History::new(),
            browsing: None,
            draft: Text::EMPTY,
            submitted: false,
        }
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

    /// The line being edited; after [`Outcome::Line`], the submitted line,
    /// until the next call to [`LineEditor::feed`].
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

    fn apply(&mut self, key: Key, echo: &mut Echo) -> Option<Outcome> {
        match key {
            Key::Char(c) => self.insert(c, echo),
            Key::Backspace => self.backspace(echo),
            Key::Delete => self.delete(echo),
            Key::Left => self.left(echo),
            Key::Right => self.right(echo),
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

    fn insert(&mut self, c: char, echo: &mut Echo) {
        let mut utf8 = [0; 4];
        if !self.text.insert(self.cursor, c.encode_utf8(&mut utf8)) {
            echo.text("\x07");
            return;
        }
        self.cursor += c.len_utf8();
        echo.char(c);
        // The line only grew, so there is nothing to erase after it.
        echo.text(self.tail());
        echo.left(self.tail().chars().count());
    }

    fn backspace(&mut self, echo: &mut Echo) {
        let n = self.before_len();
        if n > 0 {
            self.cursor -= n;
            self.text.remove(self.cursor..self.cursor + n);
            echo.left(1);
            self.redraw_tail(echo);
        }
    }

    fn delete(&mut self, echo: &mut Echo) {
        let n = self.under_len();
        if n > 0 {
            self.text.remove(self.cursor..self.cursor + n);
            self.redraw_tail(echo);
        }
    }

    /// Prints the text after the cursor, erases what was left beyond it, and
    /// moves back.
    fn redraw_tail(&self, echo: &mut Echo) {
        echo.text(self.tail());
        echo.erase_to_end();
        echo.left(self.tail().chars().count());
    }

    fn left(&mut self, echo: &mut Echo) {
        let n = self.before_len();
        if n > 0 {
            self.cursor -= n;
            echo.left(1);
        }
    }

    fn right(&mut self, echo: &mut Echo) {
        let n = self.under_len();
        if n > 0 {
            self.cursor += n;
            echo.right(1);
        }
    }

    /// Moves the cursor to byte offset `to`, a character boundary.
    fn move_to(&mut self, to: usize, echo: &mut Echo) {
        let line = self.text.as_str();
        if to < self.cursor {
            echo.left(line[to..self.cursor].chars().count());
        } else {
            echo.right(line[self.cursor..to].chars().count());
        }
        self.cursor = to;
    }

    /// Shows `new` instead of the current line, with the cursor at its end.
    fn replace(&mut self, new: &Text, echo: &mut Echo) {
        self.move_to(0, echo);
        self.text = *new;
        self.cursor = self.text.len();
        echo.text(self.text.as_str());
        echo.erase_to_end();
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
        echo.text("\n");
        self.history.add(&self.text);
        self.end_browsing();
        self.submitted = true;
        Outcome::Line
    }

    fn cancel(&mut self, echo: &mut Echo) -> Outcome {
        // Moves to the end first, so that "^C" does not hide part of the line.
        self.move_to(self.text.len(), echo);
        echo.text("^C\n");
        self.text.clear();
        self.cursor = 0;
        self.end_browsing();
        Outcome::Cancelled
    }

    fn end_browsing(&mut self) {
        self.browsing = None;
        self.draft.clear();
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

    /// Moves the cursor `n` columns left.
    fn left(&mut self, n: usize) {
        match n {
            0 => {}
            1 => self.text("\x08"),
            n => {
                let _ = write!(self.0, "\x1b[{n}D");
            }
        }
    }

    /// Moves the cursor `n` columns right.
    fn right(&mut self, n: usize) {
        if n > 0 {
            let _ = write!(self.0, "\x1b[{n}C");
        }
    }

    /// Erases from the cursor to the end of the row.
    fn erase_to_end(&mut self) {
        self.text("\x1b[K");
    }
}
