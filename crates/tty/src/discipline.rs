//! The line discipline: how typed bytes become what `read` returns, by the
//! rules of a [`Termios`].
//!
//! Each typed byte is [`Discipline::feed`]: first the input flags map it
//! (`ICRNL`: `\r` becomes `\n`), then:
//!
//! - with `ISIG`, `VINTR` (^C), `VQUIT` (^\) and `VSUSP` (^Z) are not input
//!   at all: they flush what was typed (unless `NOFLSH`), echo as `^C`, and
//!   say "send this signal to the foreground group" ([`Fed::Signal`]);
//! - in *canonical* mode (`ICANON`) bytes collect in a line that can be
//!   edited: `VERASE` (DEL, and Backspace 0x08 too) erases the last character
//!   (all the bytes of a UTF-8 character), `VKILL` (^U) the whole line;
//!   `\n`, `VEOL` and `VEOL2` end the line, which becomes readable;
//!   `VEOF` (^D) hands the line over without a newline, or on an empty line
//!   is the end of file (the read returns 0). When the line is full
//!   ([`CAPACITY`] - 1 bytes) more text is ignored, but it can still end;
//! - in *non-canonical* ("raw") mode every byte is readable at once; when
//!   a read returns is up to `VMIN` and `VTIME` ([`Discipline::read_wait`]).
//!
//! With `ECHO` each byte is echoed as it is taken: text as it is, control
//! bytes as `^X` with `ECHOCTL` (a tab and a newline as themselves), an
//! erase as `"\x08 \x08"` with `ECHOE` (twice for a `^X`), and a kill as
//! one erase per character with `ECHOKE` (or a newline with just
//! `ECHOK`). `ECHONL` echoes the newline even without `ECHO`.
//!
//! Readable bytes are taken with [`Discipline::take`], in pieces as small as
//! the program's reads; a read in canonical mode never returns more than
//! one line. A line being edited after a readable one is kept behind it:
//! erasing stops where the readable bytes end.

use crate::termios::{self, Termios};
use core::fmt::Write;

/// The most bytes held, readable and being edited.
pub const CAPACITY: usize = 1024;

/// Backspace, which erases as `VERASE` does (keyboards send it).
const BACKSPACE: u8 = 0x08;

/// What a byte did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fed {
    /// Nothing new to read.
    More,
    /// Bytes became readable (a line ended, or a byte in raw mode).
    Ready,
    /// `VEOF` on an empty line: the reader gets 0 bytes (end of file).
    EndOfFile,
    /// A signal key: send this signal to the foreground process group.
    Signal(u8),
}

/// How a read waits, given what is readable (see [`Discipline::read_wait`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadWait {
    /// Return now with what is readable (perhaps nothing, then 0 bytes).
    Now,
    /// Wait for more input.
    Wait,
    /// Wait for more input, at most this many tenths of a second after the
    /// last byte arrived (or the read began); then return what is readable.
    AtMost(u8),
}

/// A terminal's input: its settings and the bytes typed.
pub struct Discipline {
    pub termios: Termios,
    bytes: [u8; CAPACITY],
    /// Bytes held: `bytes[taken..ready]` readable, `bytes[ready..len]` the
    /// line being edited.
    len: usize,
    ready: usize,
    taken: usize,
}

impl Default for Discipline {
    fn default() -> Self {
        Discipline::new()
    }
}

impl Discipline {
    /// An empty terminal with Linux's default settings.
    pub const fn new() -> Discipline {
        Discipline {
            termios: Termios::new(),
            bytes: [0; CAPACITY],
            len: 0,
            ready: 0,
            taken: 0,
        }
    }

    /// How many bytes a read can take now.
    pub fn readable(&self) -> usize {
        self.ready - self.taken
    }

    /// Whether the terminal is in canonical (line by line) mode.
    pub fn canonical(&self) -> bool {
        self.termios.local(termios::ICANON)
    }

    /// Takes new settings. A line being edited when canonical mode is
    /// turned off becomes readable, as on Linux.
    pub fn set_termios(&mut self, termios: Termios) {
        self.termios = termios;
        if !self.canonical() {
            self.ready = self.len;
        }
    }

    /// Forgets every byte, readable or being edited (`TCSETSF`, a signal key).
    pub fn flush(&mut self) {
        self.len = 0;
        self.ready = 0;
        self.taken = 0;
    }

    /// Takes one typed byte, writing its echo to `echo`.
    pub fn feed(&mut self, byte: u8, echo: &mut impl Write) -> Fed {
        let t = self.termios;
        let byte = match byte {
            b'\r' if t.input(termios::IGNCR) => return Fed::More,
            b'\r' if t.input(termios::ICRNL) => b'\n',
            b'\n' if t.input(termios::INLCR) => b'\r',
            other => other,
        };
        if let Some(signal) = t.signal_for(byte) {
            if !t.local(termios::NOFLSH) {
                self.flush();
            }
            self.echo_byte(byte, echo);
            return Fed::Signal(signal);
        }
        if !self.canonical() {
            if self.len < CAPACITY {
                self.push(byte, echo);
                self.ready = self.len;
            }
            return Fed::Ready;
        }
        self.feed_canonical(byte, echo)
    }

    fn feed_canonical(&mut self, byte: u8, echo: &mut impl Write) -> Fed {
        let t = self.termios;
        if t.is(termios::VERASE, byte) || byte == BACKSPACE {
            self.erase_one(echo);
        } else if t.is(termios::VKILL, byte) {
            self.kill_line(byte, echo);
        } else if t.is(termios::VEOF, byte) {
            if self.len == self.ready {
                return Fed::EndOfFile;
            }
            self.ready = self.len;
            return Fed::Ready;
        } else if self.ends_line(byte) {
            if self.len == CAPACITY {
                return Fed::More; // full of unread lines: dropped
            }
            // Text leaves one byte free, so an edited line can always end.
            self.bytes[self.len] = byte;
            self.len += 1;
            self.ready = self.len;
            if t.local(termios::ECHO) || (byte == b'\n' && t.local(termios::ECHONL)) {
                self.echo_byte(byte, echo);
            }
            return Fed::Ready;
        } else if self.len < CAPACITY - 1 {
            self.push(byte, echo);
        }
        Fed::More
    }

    /// Copies readable bytes into `out` (at most one line in canonical
    /// mode); returns how many.
    pub fn take(&mut self, out: &mut [u8]) -> usize {
        let mut n = out.len().min(self.readable());
        if self.canonical()
            && let Some(end) = self.bytes[self.taken..self.taken + n]
                .iter()
                .position(|&b| self.ends_line(b))
        {
            n = end + 1;
        }
        out[..n].copy_from_slice(&self.bytes[self.taken..self.taken + n]);
        self.taken += n;
        if self.taken == self.ready {
            // Move the line being edited to the front.
            self.bytes.copy_within(self.ready..self.len, 0);
            self.len -= self.ready;
            self.ready = 0;
            self.taken = 0;
        }
        n
    }

    fn ends_line(&self, byte: u8) -> bool {
        byte == b'\n'
            || self.termios.is(termios::VEOL, byte)
            || self.termios.is(termios::VEOL2, byte)
    }

    /// How a read that wants `wanted` bytes waits now.
    pub fn read_wait(&self, wanted: usize) -> ReadWait {
        let have = self.readable();
        if self.canonical() {
            return if have > 0 {
                ReadWait::Now
            } else {
                ReadWait::Wait
            };
        }
        let min = usize::from(self.termios.cc[termios::VMIN]).min(wanted);
        let time = self.termios.cc[termios::VTIME];
        match (min, time) {
            (0, 0) => ReadWait::Now,
            (0, time) if have == 0 => ReadWait::AtMost(time),
            (0, _) => ReadWait::Now,
            (min, _) if have >= min => ReadWait::Now,
            (_, 0) => ReadWait::Wait,
            (_, _) if have == 0 => ReadWait::Wait,
            (_, time) => ReadWait::AtMost(time),
        }
    }

    fn push(&mut self, byte: u8, echo: &mut impl Write) {
        self.bytes[self.len] = byte;
        self.len += 1;
        if self.termios.local(termios::ECHO) {
            if is_control(byte) {
                self.echo_byte(byte, echo);
            } else {
                self.echo_text_tail(echo);
            }
        }
    }

    /// Removes the last character of the line being edited.
    fn erase_one(&mut self, echo: &mut impl Write) {
        if self.len == self.ready {
            return;
        }
        let mut last = 0;
        while self.len > self.ready {
            self.len -= 1;
            last = self.bytes[self.len];
            if last & 0xc0 != 0x80 {
                break;
            }
        }
        let t = self.termios;
        if !t.local(termios::ECHO) {
            return;
        }
        if t.local(termios::ECHOE) {
            let columns = if is_control(last) && t.local(termios::ECHOCTL) {
                2
            } else {
                1
            };
            for _ in 0..columns {
                let _ = echo.write_str("\x08 \x08");
            }
        } else {
            self.echo_byte(t.cc[termios::VERASE], echo);
        }
    }

    /// Removes the whole line being edited (`VKILL`, which is `byte`).
    fn kill_line(&mut self, byte: u8, echo: &mut impl Write) {
        let t = self.termios;
        if t.local(termios::ECHO | termios::ECHOKE) || t.local(termios::ECHO | termios::ECHOE) {
            while self.len > self.ready {
                self.erase_one(echo);
            }
            return;
        }
        self.len = self.ready;
        if t.local(termios::ECHO) {
            self.echo_byte(byte, echo);
            if t.local(termios::ECHOK) {
                let _ = echo.write_str("\n");
            }
        }
    }

    /// Echoes one byte by the settings (nothing without `ECHO`; a control
    /// byte as `^X` with `ECHOCTL`).
    pub fn echo_byte(&self, byte: u8, echo: &mut impl Write) {
        if !self.termios.local(termios::ECHO) && byte != b'\n' {
            return;
        }
        if is_control(byte) && self.termios.local(termios::ECHOCTL) {
            let _ = echo.write_char('^');
            let _ = echo.write_char(char::from(byte ^ 0x40));
        } else if byte.is_ascii() {
            let _ = echo.write_char(char::from(byte));
        }
    }

    /// Echoes the last byte of the line once it completes a UTF-8 character.
    fn echo_text_tail(&self, echo: &mut impl Write) {
        let start = (self.taken..self.len)
            .rev()
            .find(|&i| self.bytes[i] & 0xc0 != 0x80)
            .unwrap_or(self.taken);
        if let Ok(text) = core::str::from_utf8(&self.bytes[start..self.len]) {
            let _ = echo.write_str(text);
        }
    }
}

/// A byte echoed as `^X`: control bytes and DEL, but not tab or newline.
fn is_control(byte: u8) -> bool {
    (byte < 0x20 && byte != b'\t' && byte != b'\n') || byte == 0x7f
}

#[cfg(test)]
mod tests;
