//! The kernel shell's pure logic: reading a command line and splitting it.
//!
//! A shell reads keys, shows the line being typed, and when Enter is pressed,
//! runs the command the line names. This crate holds the parts that need no
//! hardware, so that they can be tested on the host:
//!
//! * [`LineEditor`] turns input bytes, as a terminal or our keyboard driver
//!   sends them, into an edited line with a cursor and a history, and says
//!   how to redraw the screen with a few VT100 controls, also for lines longer
//!   than a row and for characters two columns wide (`editor` and `keys`
//!   modules; the widths come from the `cellwidth` crate);
//! * [`split_args`] splits the finished line into words (`args` module);
//! * [`Millis`] and [`Ratio`] print the figures of `ps` and `taskbench`
//!   (`figures` module).
//!
//! Everything lives in fixed-size arrays: no heap is needed, and no input can
//! make anything overflow (a full line refuses more characters).
//!
//! ```
//! use shell::{LineEditor, Outcome, split_args};
//!
//! let mut editor = LineEditor::new();
//! let mut screen = String::new();
//! let mut outcome = None;
//! for &byte in b"echo \"hi there\"\r" {
//!     outcome = editor.feed(byte, &mut screen);
//! }
//! assert_eq!(outcome, Some(Outcome::Line));
//! let mut words = [""; 8];
//! let n = split_args(editor.line(), &mut words).unwrap();
//! assert_eq!(&words[..n], ["echo", "hi there"]);
//! ```

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

mod args;
mod editor;
mod figures;
mod history;
mod keys;
mod text;

pub use args::{ParseError, split_args};
pub use editor::{LineEditor, Outcome, TAB_WIDTH};
pub use figures::{Millis, Ratio};
pub use history::HISTORY_CAPACITY;
pub use text::LINE_CAPACITY;
