//! The lexer: characters to tokens.
//!
//! Outside quotes, a blank (space, tab) ends a word, and the characters
//! `| & ; < >` start an operator, taking the longest one that fits (`||`
//! before `|`, `>>` before `>`). A newline counts as `;`. `#` at the start
//! of a word starts a comment that runs to the end of its line.
//!
//! Inside a word:
//! * `'...'` is literal text, every character as it is;
//! * `"..."` is text too, except that `$` still expands and a backslash
//!   escapes `$`, `"`, `\` and `` ` ``;
//! * `\c` outside quotes is the character `c`;
//! * `$NAME`, `${NAME}`, `$?`, `$$` and `$0`..`$9` are expansions; a `$`
//!   followed by anything else is a plain `$`.
//!
//! A word of digits right before `<` or `>` (`2>`) is not a word but the
//! descriptor the redirection applies to.

use crate::error::Error;
use crate::word::{Piece, Word};
use alloc::string::String;
use alloc::vec::Vec;
use core::iter::Peekable;
use core::str::Chars;

/// An operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Pipe,
    And,
    Or,
    Semicolon,
    Newline,
    Background,
    Less,
    Great,
    DoubleGreat,
    GreatAnd,
    LessAnd,
}

impl Op {
    /// How the operator is written.
    pub fn text(self) -> &'static str {
        match self {
            Op::Pipe => "|",
            Op::And => "&&",
            Op::Or => "||",
            Op::Semicolon => ";",
            Op::Newline => "newline",
            Op::Background => "&",
            Op::Less => "<",
            Op::Great => ">",
            Op::DoubleGreat => ">>",
            Op::GreatAnd => ">&",
            Op::LessAnd => "<&",
        }
    }
}

/// A token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    Word(Word),
    Op(Op),
    /// The descriptor number in front of a redirection.
    Fd(u32),
}

/// The tokens of `line`, or the first error in it.
pub fn tokens(line: &str) -> Result<Vec<Token>, Error> {
    let mut chars = line.chars().peekable();
    let mut out = Vec::new();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | '\r' => {
                chars.next();
            }
            '#' => while chars.next_if(|&c| c != '\n').is_some() {},
            '\n' | '|' | '&' | ';' | '<' | '>' => out.push(Token::Op(operator(&mut chars))),
            '(' | ')' | '`' => return Err(Error::Unsupported(c)),
            _ => out.push(word_or_fd(&mut chars)?),
        }
    }
    Ok(out)
}

/// Reads the longest operator at the front of `chars`.
fn operator(chars: &mut Peekable<Chars>) -> Op {
    let first = chars.next();
    let second = chars.peek().copied();
    let (op, two) = match (first, second) {
        (Some('|'), Some('|')) => (Op::Or, true),
        (Some('|'), _) => (Op::Pipe, false),
        (Some('&'), Some('&')) => (Op::And, true),
        (Some('&'), _) => (Op::Background, false),
        (Some('>'), Some('>')) => (Op::DoubleGreat, true),
        (Some('>'), Some('&')) => (Op::GreatAnd, true),
        (Some('>'), _) => (Op::Great, false),
        (Some('<'), Some('&')) => (Op::LessAnd, true),
        (Some('<'), _) => (Op::Less, false),
        (Some('\n'), _) => (Op::Newline, false),
        _ => (Op::Semicolon, false),
    };
    if two {
        chars.next();
    }
    op
}

/// True for the characters that end an unquoted word.
fn ends_word(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\r' | '\n' | '|' | '&' | ';' | '<' | '>' | '(' | ')' | '`'
    )
}

/// Reads one word; if it is all digits, unquoted, and a redirection follows
/// at once, it is that redirection's descriptor instead.
fn word_or_fd(chars: &mut Peekable<Chars>) -> Result<Token, Error> {
    let mut word = Word::default();
    while let Some(&c) = chars.peek() {
        if ends_word(c) {
            break;
        }
        chars.next();
        match c {
            '\'' => single_quoted(chars, &mut word)?,
            '"' => double_quoted(chars, &mut word)?,
            '\\' => {
                word.quoted = true;
                word.push_text(chars.next().ok_or(Error::TrailingBackslash)?);
            }
            '$' => dollar(chars, &mut word)?,
            _ => word.push_text(c),
        }
    }
    let redirect_follows = matches!(chars.peek(), Some('<' | '>'));
    match word.literal() {
        Some(text)
            if redirect_follows && !word.quoted && text.bytes().all(|b| b.is_ascii_digit()) =>
        {
            text.parse()
                .map(Token::Fd)
                .map_err(|_| Error::DescriptorTooLarge)
        }
        _ => Ok(Token::Word(word)),
    }
}

/// After `'`: text up to the next `'`.
fn single_quoted(chars: &mut Peekable<Chars>, word: &mut Word) -> Result<(), Error> {
    word.quoted = true;
    loop {
        match chars.next() {
            Some('\'') => return Ok(()),
            Some(c) => word.push_text(c),
            None => return Err(Error::UnclosedQuote('\'')),
        }
    }
}

/// After `"`: text and expansions up to the next unescaped `"`.
fn double_quoted(chars: &mut Peekable<Chars>, word: &mut Word) -> Result<(), Error> {
    word.quoted = true;
    loop {
        match chars.next() {
            Some('"') => return Ok(()),
            Some('$') => dollar(chars, word)?,
            Some('\\') => match chars.peek() {
                Some(&c @ ('$' | '"' | '\\' | '`')) => {
                    chars.next();
                    word.push_text(c);
                }
                _ => word.push_text('\\'),
            },
            Some(c) => word.push_text(c),
            None => return Err(Error::UnclosedQuote('"')),
        }
    }
}

/// After `$`: the expansion it starts, or a plain `$`.
fn dollar(chars: &mut Peekable<Chars>, word: &mut Word) -> Result<(), Error> {
    let piece = match chars.peek().copied() {
        Some('?') => Piece::Status,
        Some('$') => Piece::Pid,
        Some(c) if c.is_ascii_digit() => Piece::Var(c.into()),
        Some('{') => {
            chars.next();
            return braced(chars, word);
        }
        Some(c) if starts_name(c) => {
            word.pieces.push(Piece::Var(name(chars)));
            return Ok(());
        }
        _ => {
            word.push_text('$');
            return Ok(());
        }
    };
    chars.next();
    word.pieces.push(piece);
    Ok(())
}

/// After `${`: a name and the closing `}`.
fn braced(chars: &mut Peekable<Chars>, word: &mut Word) -> Result<(), Error> {
    let name = match chars.peek().copied() {
        Some('?') | Some('$') => chars.next().map(String::from).unwrap_or_default(),
        Some(c) if starts_name(c) || c.is_ascii_digit() => name(chars),
        Some(_) => return Err(Error::BadVariableName),
        None => return Err(Error::UnclosedBrace),
    };
    match chars.next() {
        Some('}') => {}
        Some(_) => return Err(Error::BadVariableName),
        None => return Err(Error::UnclosedBrace),
    }
    word.pieces.push(match name.as_str() {
        "?" => Piece::Status,
        "$" => Piece::Pid,
        _ => Piece::Var(name),
    });
    Ok(())
}

fn starts_name(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

/// Reads a variable name: letters, digits, `_`.
fn name(chars: &mut Peekable<Chars>) -> String {
    let mut name = String::new();
    while let Some(&c) = chars.peek() {
        if !(c.is_ascii_alphanumeric() || c == '_') {
            break;
        }
        name.push(c);
        chars.next();
    }
    name
}
