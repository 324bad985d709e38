//! The console's line discipline: how typed keys become what `read(0, ...)` returns.
//!
//! A program reading its terminal in Linux's usual ("canonical") mode does
//! not see keys as they are typed: the terminal collects a line, echoing
//! each character and handling erase itself, and hands the line over when
//! Enter is pressed. [`Line`] does that for Kestrel's console:
//!
//! - a printable byte (or a tab) is added to the line and echoed;
//! - Backspace (DEL `0x7f` or BS `0x08`) erases the last character (all the
//!   bytes of a UTF-8 character) and echoes `"\x08 \x08"`;
//! - Ctrl-U erases the whole line;
//! - Enter (`\r` or `\n`) ends the line with `\n`;
//! - Ctrl-D on an empty line is the end of file (`read` returns 0); on a
//!   line with text it hands the text over without a newline;
//! - other control bytes are ignored; when the line is full
//!   ([`CAPACITY`] - 1 bytes), more text is ignored too.
//!
//! A finished line is then read out with [`Line::take`], in as many pieces
//! as the program's reads ask for; only then does a new line begin.
#![no_std]
#![forbid(unsafe_code)]

use core::fmt::Write;

/// The most bytes a line holds, its newline included.
pub const CAPACITY: usize = 1024;

const BACKSPACE: u8 = 0x08;
const DELETE: u8 = 0x7f;
const CTRL_D: u8 = 0x04;
const CTRL_U: u8 = 0x15;

/// What a byte did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fed {
    /// The line goes on.
    More,
    /// The line is finished: read it with [`Line::take`].
    Line,
    /// Ctrl-D on an empty line: the reader gets 0 bytes (end of file).
    EndOfFile,
}

/// A line being typed, or a finished one being read.
pub struct Line {
    bytes: [u8; CAPACITY],
    len: usize,
    /// Finished lines are read from here.
    taken: usize,
    finished: bool,
}

impl Default for Line {
    fn default() -> Self {
        Line::new()
    }
}

impl Line {
    pub const fn new() -> Line {
        Line {
            bytes: [0; CAPACITY],
            len: 0,
            taken: 0,
            finished: false,
        }
    }

    /// Whether a finished line still has bytes to read.
    pub fn has_pending(&self) -> bool {
        self.finished && self.taken < self.len
    }

    /// Takes one typed byte, writing its echo to `echo`. Not to be called
    /// while a finished line has bytes left ([`Line::has_pending`]).
    pub fn feed(&mut self, byte: u8, echo: &mut impl Write) -> Fed {
        if self.finished {
            self.clear();
        }
        match byte {
            b'\r' | b'\n' => {
                self.bytes[self.len] = b'\n';
                self.len += 1;
                self.finished = true;
                let _ = echo.write_str("\n");
                Fed::Line
            }
            CTRL_D if self.len == 0 => Fed::EndOfFile,
            CTRL_D => {
                self.finished = true;
                Fed::Line
            }
            BACKSPACE | DELETE => {
                self.erase_one(echo);
                Fed::More
            }
            CTRL_U => {
                while self.len > 0 {
                    self.erase_one(echo);
                }
                Fed::More
            }
            b'\t' | 0x20..=0x7e | 0x80..=0xff if self.len < CAPACITY - 1 => {
                self.bytes[self.len] = byte;
                self.len += 1;
                self.echo_tail(echo);
                Fed::More
            }
            _ => Fed::More,
        }
    }

    /// Copies the next bytes of a finished line into `out`; returns how many.
    pub fn take(&mut self, out: &mut [u8]) -> usize {
        if !self.finished {
            return 0;
        }
        let n = out.len().min(self.len - self.taken);
        out[..n].copy_from_slice(&self.bytes[self.taken..self.taken + n]);
        self.taken += n;
        if self.taken == self.len {
            self.clear();
        }
        n
    }

    fn clear(&mut self) {
        self.len = 0;
        self.taken = 0;
        self.finished = false;
    }

    /// Removes the last character (a UTF-8 lead byte and its continuation bytes).
    fn erase_one(&mut self, echo: &mut impl Write) {
        if self.len == 0 {
            return;
        }
        while self.len > 0 {
            self.len -= 1;
            if self.bytes[self.len] & 0xc0 != 0x80 {
                break;
            }
        }
        let _ = echo.write_str("\x08 \x08");
    }

    /// Echoes the last byte once it completes a UTF-8 character.
    fn echo_tail(&mut self, echo: &mut impl Write) {
        let start = (0..self.len)
            .rev()
            .find(|&i| self.bytes[i] & 0xc0 != 0x80)
            .unwrap_or(0);
        if let Ok(text) = core::str::from_utf8(&self.bytes[start..self.len]) {
            let _ = echo.write_str(text);
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    fn type_keys(line: &mut Line, keys: &[u8], echo: &mut String) -> Fed {
        let mut last = Fed::More;
        for &key in keys {
            last = line.feed(key, echo);
        }
        last
    }

    fn read_all(line: &mut Line, piece: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buffer = std::vec![0; piece];
        loop {
            let n = line.take(&mut buffer);
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buffer[..n]);
        }
    }

    #[test]
    fn a_line_is_echoed_and_handed_over_on_enter() {
        let mut line = Line::new();
        let mut echo = String::new();
        assert_eq!(type_keys(&mut line, b"hi the", &mut echo), Fed::More);
        assert!(!line.has_pending());
        assert_eq!(line.take(&mut [0; 8]), 0, "nothing before Enter");
        assert_eq!(type_keys(&mut line, b"re\r", &mut echo), Fed::Line);
        assert_eq!(echo, "hi there\n");
        assert!(line.has_pending());
        assert_eq!(read_all(&mut line, 3), b"hi there\n", "in pieces of 3");
        assert!(!line.has_pending());
    }

    #[test]
    fn erase_and_kill() {
        let mut line = Line::new();
        let mut echo = String::new();
        type_keys(&mut line, "abé\x7f\x7fX\x08Y\n".as_bytes(), &mut echo);
        assert_eq!(read_all(&mut line, 64), b"aY\n");
        assert_eq!(echo, "abé\x08 \x08\x08 \x08X\x08 \x08Y\n");
        type_keys(&mut line, b"junk\x15ok\n", &mut echo);
        assert_eq!(read_all(&mut line, 64), b"ok\n");
        let mut quiet = String::new();
        type_keys(&mut line, b"\x7f\x7fz\n", &mut quiet);
        assert_eq!(quiet, "z\n", "erasing nothing echoes nothing");
    }

    #[test]
    fn ctrl_d_ends_the_file_or_the_line() {
        let mut line = Line::new();
        let mut echo = String::new();
        assert_eq!(line.feed(CTRL_D, &mut echo), Fed::EndOfFile);
        assert_eq!(type_keys(&mut line, b"abc\x04", &mut echo), Fed::Line);
        assert_eq!(read_all(&mut line, 64), b"abc", "no newline");
        assert_eq!(line.feed(CTRL_D, &mut echo), Fed::EndOfFile);
    }

    #[test]
    fn a_full_line_ignores_more_text_but_ends() {
        let mut line = Line::new();
        let mut echo = String::new();
        for _ in 0..CAPACITY * 2 {
            line.feed(b'x', &mut echo);
        }
        line.feed(0x1b, &mut echo);
        assert_eq!(line.feed(b'\r', &mut echo), Fed::Line);
        let read = read_all(&mut line, 100);
        assert_eq!(read.len(), CAPACITY);
        assert_eq!(read.last(), Some(&b'\n'));
    }

    /// Random keys against a model: a Vec of characters.
    #[test]
    fn random_keys_match_a_model() {
        let keys = [
            b'a', b'b', 0x7f, 0x08, 0x15, b'\r', CTRL_D, 0x1b, 0xc3, 0xa9,
        ];
        let mut rng = xorshift::XorShift64(3);
        let mut line = Line::new();
        let mut model: Vec<u8> = Vec::new();
        let mut echo = String::new();
        for _ in 0..50_000 {
            let key = keys[rng.below(keys.len())];
            let fed = line.feed(key, &mut echo);
            match key {
                b'\r' => {
                    model.push(b'\n');
                    assert_eq!(fed, Fed::Line);
                }
                CTRL_D if model.is_empty() => assert_eq!(fed, Fed::EndOfFile),
                CTRL_D => assert_eq!(fed, Fed::Line),
                0x7f | 0x08 => {
                    while let Some(b) = model.pop() {
                        if b & 0xc0 != 0x80 {
                            break;
                        }
                    }
                }
                0x15 => model.clear(),
                0x1b => {}
                _ => model.push(key),
            }
            if fed == Fed::Line {
                assert_eq!(read_all(&mut line, 1 + rng.below(7)), model);
                model.clear();
            }
        }
    }
}
