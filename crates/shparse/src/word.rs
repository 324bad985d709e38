//! Words and their expansion.
//!
//! A word as written mixes literal text with expansions: in
//! `"$HOME"/notes.txt` the first piece is the variable `HOME`, the second the
//! text `/notes.txt`. Quoting only matters while reading (it decides what is
//! literal), so a parsed [`Word`] is a list of [`Piece`]s plus one fact the
//! expansion needs: whether any of it was quoted. An unquoted word whose
//! expansion is empty (`$UNSET`) disappears, like in every Unix shell, while
//! `""` and `"$UNSET"` stay as one empty argument.

use alloc::string::String;
use alloc::vec::Vec;

/// Where expansion gets its values: the shell's variables, `$?` and `$$`.
pub trait Environment {
    /// The value of variable `name` (also `0`..`9`, the script's arguments),
    /// or `None` if it is not set.
    fn var(&self, name: &str) -> Option<String>;
    /// The exit status of the last pipeline that ran (`$?`).
    fn last_status(&self) -> i32;
    /// The shell's own process id (`$$`).
    fn shell_pid(&self) -> u32;
}

/// One piece of a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Text taken as it is (quotes and backslashes already removed).
    Text(String),
    /// `$NAME` or `${NAME}`.
    Var(String),
    /// `$?`.
    Status,
    /// `$$`.
    Pid,
}

/// A word of a command: its pieces, and whether any part was quoted.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Word {
    pub pieces: Vec<Piece>,
    pub quoted: bool,
}

impl Word {
    /// A word of literal text (as if it had been quoted).
    pub fn text(text: &str) -> Word {
        Word {
            pieces: alloc::vec![Piece::Text(text.into())],
            quoted: true,
        }
    }

    /// Appends literal text, joining it to a text piece before it.
    pub(crate) fn push_text(&mut self, c: char) {
        if let Some(Piece::Text(text)) = self.pieces.last_mut() {
            text.push(c);
        } else {
            self.pieces.push(Piece::Text(c.into()));
        }
    }

    /// The word's text when it has no expansions (used for descriptor
    /// numbers and tests).
    pub fn literal(&self) -> Option<String> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                _ => return None,
            }
        }
        Some(out)
    }

    /// The word with its variables filled in from `env`; `None` when it
    /// expands to nothing and was not quoted (it is then no argument at all).
    pub fn expand(&self, env: &dyn Environment) -> Option<String> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Var(name) => out.push_str(&env.var(name).unwrap_or_default()),
                Piece::Status => out.push_str(&alloc::format!("{}", env.last_status())),
                Piece::Pid => out.push_str(&alloc::format!("{}", env.shell_pid())),
            }
        }
        (self.quoted || !out.is_empty()).then_some(out)
    }
}
