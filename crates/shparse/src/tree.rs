//! The syntax tree: what a parsed line is made of, from the whole script
//! down to one command and its redirections.

use crate::word::Word;
use alloc::vec::Vec;

/// A whole line: and-or chains separated by `;` or `&`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Script {
    pub items: Vec<Item>,
}

/// One chain of a script, and whether it runs in the background (`&`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub chain: Chain,
    pub background: bool,
}

/// `a && b || c`: the first pipeline, then each next one with the
/// connector that decides whether it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    pub first: Pipeline,
    pub rest: Vec<(Connector, Pipeline)>,
}

/// `&&` runs the next pipeline if the last one succeeded (status 0), `||`
/// if it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connector {
    And,
    Or,
}

/// Commands joined by `|`: each one's standard output is the next one's
/// standard input. Never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pipeline {
    pub commands: Vec<Command>,
}

/// One command: its words (the program and its arguments) and its
/// redirections, in the order written. A command may have only
/// redirections (`> file` creates an empty file).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Command {
    pub words: Vec<Word>,
    pub redirections: Vec<Redirection>,
}

/// Descriptor `fd` of the command is changed as `how` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirection {
    pub fd: u32,
    pub how: Redirect,
}

/// The kinds of redirection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redirect {
    /// `< file`: open for reading.
    Read(Word),
    /// `> file`: create or truncate, open for writing.
    Write(Word),
    /// `>> file`: create or open for writing at the end.
    Append(Word),
    /// `>&M` or `<&M`: a copy of descriptor M (`2>&1`).
    Duplicate(u32),
}
