//! Turning the bytes a terminal sends into keys.
//!
//! A terminal (or our PS/2 keyboard driver, which imitates one) sends one byte
//! stream for all keys:
//!
//! * printable characters as UTF-8: one byte for ASCII, 2 to 4 bytes for others
//!   (`é` is `C3 A9`), which may arrive one at a time;
//! * a few control bytes: Enter is `\r` (or `\n`, or both: `\r\n` counts once),
//!   Backspace is DEL `0x7f` (or `0x08`), Tab is `0x09`, Ctrl-C is `0x03`,
//!   Ctrl-U is `0x15`;
//! * the other keys as *escape sequences*: ESC `[` then an optional number and a
//!   final byte, e.g. `ESC [ A` for the up arrow or `ESC [ 3 ~` for Delete (some
//!   terminals send ESC `O` then a letter for the arrows, Home and End).
//!
//! [`Decoder`] is a state machine fed one byte at a time; it answers with a
//! [`Key`] once a key is complete. Whatever the bytes, it never gets stuck and
//! never loses input that makes sense: broken UTF-8, unknown control bytes and
//! unknown sequences are dropped, and a byte that cannot continue a sequence
//! ends it and is then read as the start of something new. Modifier parameters
//! (`ESC [ 1 ; 5 C`, Ctrl+Right) are read and ignored.

/// A key press, as the line editor sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Key {
    Char(char),
    Tab,
    Enter,
    Backspace,
    Delete,
    Left,
    Right,
    Home,
    End,
    Up,
    Down,
    /// Ctrl-C: give up the line.
    Cancel,
    /// Ctrl-U: erase the whole line.
    Kill,
}

const ESC: u8 = 0x1b;

#[derive(Clone, Copy)]
enum State {
    Ground,
    /// Just saw ESC.
    Escape,
    /// Inside `ESC [`: the first parameter so far, and whether the sequence has
    /// bytes we do not understand (then it is read to its end and dropped).
    Csi {
        param: u16,
        more: bool,
        odd: bool,
    },
    /// Just saw `ESC O`.
    Ss3,
}

pub(crate) struct Decoder {
    state: State,
    /// The bytes of a UTF-8 character read so far, and how many it needs.
    utf8: [u8; 4],
    have: usize,
    need: usize,
    /// The previous byte was `\r`, so a `\n` now is part of the same Enter.
    after_cr: bool,
}

impl Decoder {
    pub(crate) const fn new() -> Self {
        Decoder {
            state: State::Ground,
            utf8: [0; 4],
            have: 0,
            need: 0,
            after_cr: false,
        }
    }

    /// Feeds one byte; returns the key it completes, if any.
    pub(crate) fn push(&mut self, byte: u8) -> Option<Key> {
        let after_cr = core::mem::replace(&mut self.after_cr, false);
        match self.state {
            State::Ground => self.ground(byte, after_cr),
            State::Escape => self.escape(byte),
            State::Csi { param, more, odd } => self.csi(byte, param, more, odd),
            State::Ss3 => self.ss3(byte),
        }
    }

    fn ground(&mut self, byte: u8, after_cr: bool) -> Option<Key> {
        if self.need > 0 {
            if is_continuation(byte) {
                return self.continue_utf8(byte);
            }
            // The character was cut short: drop it, then read `byte` afresh.
            self.need = 0;
        }
        match byte {
            ESC => self.state = State::Escape,
            b'\r' => {
                self.after_cr = true;
                return Some(Key::Enter);
            }
            b'\n' if after_cr => {}
            b'\n' => return Some(Key::Enter),
            0x7f | 0x08 => return Some(Key::Backspace),
            0x03 => return Some(Key::Cancel),
            0x15 => return Some(Key::Kill),
            b'\t' => return Some(Key::Tab),
            b' '..=b'~' => return Some(Key::Char(char::from(byte))),
            0xc2..=0xdf => self.start_utf8(byte, 2),
            0xe0..=0xef => self.start_utf8(byte, 3),
            0xf0..=0xf4 => self.start_utf8(byte, 4),
            // Other control bytes, stray continuation bytes, bytes never
            // used in UTF-8 (0xc0, 0xc1, 0xf5 and up).
            _ => {}
        }
        None
    }

    fn start_utf8(&mut self, byte: u8, need: usize) {
        self.utf8[0] = byte;
        (self.have, self.need) = (1, need);
    }

    fn continue_utf8(&mut self, byte: u8) -> Option<Key> {
        self.utf8[self.have] = byte;
        self.have += 1;
        if self.have < self.need {
            return None;
        }
        self.need = 0;
        // Rejects what the lead byte alone cannot: overlong forms, surrogates,
        // values above U+10FFFF. Control characters (U+0080 to U+009F) are
        // dropped like their ASCII relatives.
        let c = core::str::from_utf8(&self.utf8[..self.have])
            .ok()
            .and_then(|s| s.chars().next())?;
        (!c.is_control()).then_some(Key::Char(c))
    }

    fn escape(&mut self, byte: u8) -> Option<Key> {
        match byte {
            b'[' => {
                self.state = State::Csi {
                    param: 0,
                    more: false,
                    odd: false,
                }
            }
            b'O' => self.state = State::Ss3,
            // A lone ESC (the Escape key) is dropped; the byte after it counts.
            _ => {
                self.state = State::Ground;
                return self.ground(byte, false);
            }
        }
        None
    }

    fn csi(&mut self, byte: u8, param: u16, more: bool, odd: bool) -> Option<Key> {
        let mut next = |param, more, odd| {
            self.state = State::Csi { param, more, odd };
            None
        };
        match byte {
            b'0'..=b'9' if !more => {
                let digit = u16::from(byte - b'0');
                next(param.saturating_mul(10).saturating_add(digit), more, odd)
            }
            b'0'..=b'9' | b';' => next(param, true, odd),
            // Other parameter bytes and intermediate bytes.
            b':' | b'<'..=b'?' | b' '..=b'/' => next(param, more, true),
            b'@'..=b'~' => {
                self.state = State::Ground;
                if odd { None } else { csi_key(param, byte) }
            }
            _ => {
                self.state = State::Ground;
                self.ground(byte, false)
            }
        }
    }

    fn ss3(&mut self, byte: u8) -> Option<Key> {
        self.state = State::Ground;
        match byte {
            b' '..=b'~' => letter_key(byte),
            _ => self.ground(byte, false),
        }
    }
}

fn is_continuation(byte: u8) -> bool {
    byte & 0xc0 == 0x80
}

/// The key a finished `ESC [ param final` sequence stands for.
fn csi_key(param: u16, final_byte: u8) -> Option<Key> {
    match (final_byte, param) {
        (b'~', 1 | 7) => Some(Key::Home),
        (b'~', 4 | 8) => Some(Key::End),
        (b'~', 3) => Some(Key::Delete),
        (b'~', _) => None,
        _ => letter_key(final_byte),
    }
}

fn letter_key(byte: u8) -> Option<Key> {
    match byte {
        b'A' => Some(Key::Up),
        b'B' => Some(Key::Down),
        b'C' => Some(Key::Right),
        b'D' => Some(Key::Left),
        b'H' => Some(Key::Home),
        b'F' => Some(Key::End),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(bytes: &[u8]) -> Vec<Key> {
        let mut decoder = Decoder::new();
        bytes.iter().filter_map(|&b| decoder.push(b)).collect()
    }

    #[test]
    fn ascii_and_control_bytes() {
        use Key::*;
        assert_eq!(
            keys(b"a Z~\x7f\x08\x03\x15\x00\x07\t\x1f"),
            [
                Char('a'),
                Char(' '),
                Char('Z'),
                Char('~'),
                Backspace,
                Backspace,
                Cancel,
                Kill,
                Tab
            ]
        );
    }

    #[test]
    fn enter_in_all_its_forms() {
        use Key::*;
        assert_eq!(keys(b"\r\n\r\n"), [Enter, Enter]);
        assert_eq!(keys(b"\n\n\r\r"), [Enter, Enter, Enter, Enter]);
        assert_eq!(keys(b"\rx\n"), [Enter, Char('x'), Enter]);
    }

    #[test]
    fn utf8_byte_by_byte() {
        assert_eq!(
            keys("é中😀".as_bytes()),
            [Key::Char('é'), Key::Char('中'), Key::Char('😀')]
        );
    }

    #[test]
    fn broken_utf8_is_dropped_without_losing_what_follows() {
        use Key::*;
        // Cut short, stray continuation, overlong, surrogate, too large, C1 control.
        assert_eq!(
            keys(b"\xc3a\xa9b\xc0\xafc\xed\xa0\x80d"),
            [Char('a'), Char('b'), Char('c'), Char('d')]
        );
        assert_eq!(
            keys(b"\xf4\x90\x80\x80e\xc2\x85f\xe4\xb8\x1b[A"),
            [Char('e'), Char('f'), Up]
        );
    }

    #[test]
    fn escape_sequences() {
        use Key::*;
        assert_eq!(
            keys(b"\x1b[A\x1b[B\x1b[C\x1b[D\x1b[H\x1b[F\x1b[1~\x1b[4~\x1b[7~\x1b[8~\x1b[3~"),
            [
                Up, Down, Right, Left, Home, End, Home, End, Home, End, Delete
            ]
        );
        assert_eq!(keys(b"\x1bOA\x1bOH\x1bOF\x1b[1;5C"), [Up, Home, End, Right]);
    }

    #[test]
    fn unknown_and_broken_sequences_are_dropped_without_losing_what_follows() {
        use Key::*;
        assert_eq!(
            keys(b"\x1b[5~a\x1b[?1Ab\x1b[2 Dc\x1b[99999999999999~d\x1bOxe\x1b[Zf"),
            [
                Char('a'),
                Char('b'),
                Char('c'),
                Char('d'),
                Char('e'),
                Char('f')
            ]
        );
        // A lone ESC, ESC ESC, and sequences cut short by another byte.
        assert_eq!(
            keys(b"\x1bx\x1b\x1b[D\x1b[1\ry\x1bO\x7f\x1b[\xc3\xa9"),
            [Char('x'), Left, Enter, Char('y'), Backspace, Char('é')]
        );
    }
}
