//! Our shell's language: from a line of text to a syntax tree.
//!
//! A shell line is a small program. `ls -l /bin | grep sh > out && echo ok`
//! is a *list* of one *and-or* chain whose first part is a *pipeline* of two
//! *commands*; the second command has a *redirection*. This crate turns the
//! text into that tree in two steps, each in its own module:
//!
//! 1. `lex`: characters to *tokens*: words (with their quoting and `$`
//!    expansions still visible), operators (`|`, `&&`, `>>`, ...) and the
//!    descriptor number in front of a redirection (`2` in `2>err`).
//! 2. `parse`: tokens to the tree ([`Script`]), by the grammar
//!
//! ```text
//! script   := and_or ((';' | '&') and_or)* [';' | '&']
//! and_or   := pipeline (('&&' | '||') pipeline)*
//! pipeline := command ('|' command)*
//! command  := (word | redirection)+
//! redirect := [N] ('<' | '>' | '>>') word  |  [N] ('>&' | '<&') M
//! ```
//!
//! A [`Word`] keeps its pieces (literal text, `$VAR`, `$?`, `$$`) until the
//! shell runs the command: then [`Word::expand`] fills in the variables from
//! an [`Environment`]. Words are never split at spaces after expansion (a
//! simplification of POSIX): `$X` is always one argument, or none when it is
//! empty and unquoted.
//!
//! ```
//! use shparse::{parse, Environment};
//!
//! struct Env;
//! impl Environment for Env {
//!     fn var(&self, name: &str) -> Option<String> {
//!         (name == "HOME").then(|| "/root".into())
//!     }
//!     fn last_status(&self) -> i32 { 1 }
//!     fn shell_pid(&self) -> u32 { 7 }
//! }
//!
//! let script = parse("echo \"$HOME\"/x '$HOME' $? | wc -c >> out").unwrap();
//! let pipeline = &script.items[0].chain.first;
//! let echo = &pipeline.commands[0];
//! let args: Vec<String> = echo.words.iter().filter_map(|w| w.expand(&Env)).collect();
//! assert_eq!(args, ["echo", "/root/x", "$HOME", "1"]);
//! assert_eq!(pipeline.commands[1].redirections.len(), 1);
//! ```
//!
//! Bad input is an [`Error`] that says what is wrong (an unclosed quote, a
//! `|` with nothing after it, a `>` without a file); no input makes the
//! parser panic (a randomized test feeds it garbage).

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

mod error;
mod lex;
mod parse;
#[cfg(test)]
mod tests;
mod tree;
mod word;

pub use error::Error;
pub use parse::parse;
pub use tree::{Chain, Command, Connector, Item, Pipeline, Redirect, Redirection, Script};
pub use word::{Environment, Piece, Word};
