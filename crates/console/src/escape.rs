//! Recognising ANSI escape sequences in the character stream.
//!
//! Terminals take commands in-band: the byte ESC (0x1B) followed by `[` starts a
//! *Control Sequence* (CSI) such as `ESC [ 1 ; 31 m` (bold red text). Its shape:
//!
//! ```text
//! ESC [  parameters (digits separated by ';')  intermediates (0x20-0x2F)  final byte (0x40-0x7E)
//! ```
//!
//! The final byte names the command (`m` colours, `J` erase the screen, `K` erase
//! in the row, `H` `C` `D` move the cursor).
//!
//! The [`Parser`] is a *state machine* fed one character at a time, so a sequence
//! may arrive split over several writes. For each character it answers with an
//! [`Action`]: print it, run a finished sequence, or nothing yet. The rules:
//!
//! * ESC then `[` starts a sequence; ESC then anything else drops the ESC, and the
//!   other character is handled as if the ESC had not been there.
//! * Inside a sequence, digits and `;` collect up to [`MAX_PARAMS`] numbers (each
//!   capped at [`MAX_PARAM_VALUE`]); any further ones are read and thrown away,
//!   so nothing can overflow however long the sequence is.
//! * Sequences with other parameter bytes (such as the `?` of `ESC [ ? 25 h`) or
//!   with intermediate bytes are read to their end but never reported.
//! * Any other character (a newline, a letter beyond ASCII, another ESC) cuts the
//!   sequence short and is then handled as ordinary input.

/// How many parameters of one sequence are kept.
pub(crate) const MAX_PARAMS: usize = 16;
/// Larger parameter values are treated as this value.
pub(crate) const MAX_PARAM_VALUE: u16 = 9999;

const ESC: char = '\x1b';

/// A complete control sequence, e.g. `ESC [ 2 J`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Csi {
    params: [u16; MAX_PARAMS],
    len: usize,
    command: char,
}

impl Csi {
    /// The final character, which names the command.
    pub(crate) fn command(&self) -> char {
        self.command
    }

    /// The parameters; empty ones (as in `ESC [ ; 5 H`) are 0.
    pub(crate) fn params(&self) -> &[u16] {
        &self.params[..self.len]
    }

    /// Parameter `index`, or 0 if there are fewer.
    pub(crate) fn param(&self, index: usize) -> u16 {
        self.params().get(index).copied().unwrap_or(0)
    }
}

/// What to do with one input character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Nothing (yet): the character was part of an escape sequence.
    None,
    /// An ordinary character (possibly a control character such as '\n').
    Char(char),
    /// A finished control sequence to carry out.
    Csi(Csi),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Ordinary text.
    Ground,
    /// Just saw ESC.
    Escape,
    /// Inside `ESC [ ...`, waiting for the final byte.
    Csi,
}

/// The escape-sequence state machine.
#[derive(Clone, Debug)]
pub(crate) struct Parser {
    state: State,
    params: [u16; MAX_PARAMS],
    /// Parameters started so far (may exceed `MAX_PARAMS`; extras are dropped).
    count: usize,
    /// Set for sequences we read but do not carry out.
    ignored: bool,
}

impl Parser {
    pub(crate) const fn new() -> Self {
        Parser {
            state: State::Ground,
            params: [0; MAX_PARAMS],
            count: 0,
            ignored: false,
        }
    }

    /// Feeds one character and says what to do about it.
    pub(crate) fn advance(&mut self, c: char) -> Action {
        match self.state {
            State::Ground => self.ground(c),
            State::Escape => self.escape(c),
            State::Csi => self.csi(c),
        }
    }

    fn ground(&mut self, c: char) -> Action {
        if c == ESC {
            self.state = State::Escape;
            Action::None
        } else {
            Action::Char(c)
        }
    }

    fn escape(&mut self, c: char) -> Action {
        if c == '[' {
            self.start_csi();
            Action::None
        } else {
            self.state = State::Ground;
            self.ground(c)
        }
    }

    fn start_csi(&mut self) {
        self.state = State::Csi;
        self.params = [0; MAX_PARAMS];
        self.count = 0;
        self.ignored = false;
    }

    fn csi(&mut self, c: char) -> Action {
        match c {
            '0'..='9' => self.digit(c),
            ';' => self.next_param(),
            // Other parameter bytes (':', '<', '=', '>', '?') and intermediates.
            ':' | '<'..='?' | ' '..='/' => self.ignored = true,
            '@'..='~' => return self.finish(c),
            _ => {
                self.state = State::Ground;
                return self.ground(c);
            }
        }
        Action::None
    }

    fn digit(&mut self, c: char) {
        self.count = self.count.max(1);
        if let Some(param) = self.params.get_mut(self.count - 1) {
            // Computed in u32: 10 * MAX_PARAM_VALUE + 9 would not fit in a u16.
            let value = u32::from(*param) * 10 + c.to_digit(10).unwrap_or(0);
            *param = value.min(u32::from(MAX_PARAM_VALUE)) as u16;
        }
    }

    fn next_param(&mut self) {
        // "ESC [ ; 5" has an empty (zero) first parameter before the ';'.
        self.count = self.count.max(1).saturating_add(1);
    }

    fn finish(&mut self, command: char) -> Action {
        self.state = State::Ground;
        if self.ignored {
            return Action::None;
        }
        Action::Csi(Csi {
            params: self.params,
            len: self.count.min(MAX_PARAMS),
            command,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(parser: &mut Parser, text: &str) -> Vec<Action> {
        text.chars()
            .map(|c| parser.advance(c))
            .filter(|a| *a != Action::None)
            .collect()
    }

    fn csi(text: &str) -> Csi {
        match feed(&mut Parser::new(), text).as_slice() {
            [Action::Csi(csi)] => *csi,
            other => panic!("{text:?} gave {other:?}"),
        }
    }

    #[test]
    fn plain_text_passes_through() {
        let actions = feed(&mut Parser::new(), "a\n\u{e9}");
        assert_eq!(
            actions,
            [
                Action::Char('a'),
                Action::Char('\n'),
                Action::Char('\u{e9}')
            ]
        );
    }

    #[test]
    fn parameters_are_collected() {
        let seq = csi("\x1b[1;31m");
        assert_eq!((seq.command(), seq.params()), ('m', &[1, 31][..]));
        assert_eq!(csi("\x1b[m").params(), &[] as &[u16]);
        assert_eq!(csi("\x1b[;5H").params(), &[0, 5]);
        assert_eq!(csi("\x1b[3;H").params(), &[3, 0]);
        assert_eq!(csi("\x1b[2J").param(0), 2);
        assert_eq!(csi("\x1b[2J").param(1), 0);
    }

    #[test]
    fn huge_and_many_parameters_do_not_overflow() {
        let seq = csi("\x1b[99999999999999999999m");
        assert_eq!(seq.params(), &[MAX_PARAM_VALUE]);
        let many = format!("\x1b[{}7m", "1;".repeat(1000));
        assert_eq!(csi(&many).params(), &[1; MAX_PARAMS]);
    }

    #[test]
    fn private_and_intermediate_sequences_are_swallowed() {
        assert_eq!(
            feed(&mut Parser::new(), "\x1b[?25hx\x1b[1 qy"),
            [Action::Char('x'), Action::Char('y')]
        );
    }

    #[test]
    fn esc_without_bracket_is_dropped() {
        let actions = feed(&mut Parser::new(), "\x1bx\x1b\x1b[0m");
        assert_eq!(actions.len(), 2);
        assert_eq!(actions[0], Action::Char('x'));
        assert!(matches!(actions[1], Action::Csi(c) if c.command() == 'm'));
    }

    #[test]
    fn other_characters_cut_a_sequence_short() {
        assert_eq!(feed(&mut Parser::new(), "\x1b[12\n"), [Action::Char('\n')]);
        assert_eq!(
            feed(&mut Parser::new(), "\x1b[1\u{e9}"),
            [Action::Char('\u{e9}')]
        );
    }

    #[test]
    fn a_sequence_may_be_split_anywhere() {
        let mut parser = Parser::new();
        assert!(feed(&mut parser, "\x1b").is_empty());
        assert!(feed(&mut parser, "[3").is_empty());
        assert!(feed(&mut parser, "1;").is_empty());
        assert!(
            matches!(feed(&mut parser, "4m").as_slice(), [Action::Csi(c)] if c.params() == [31, 4])
        );
    }
}
