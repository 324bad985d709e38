//! Splitting a command line into words.
//!
//! Words are separated by spaces or tabs. To put spaces inside a word, quote
//! it: `echo "hello   world"` has two words, `echo` and `hello   world`.
//! Double and single quotes work alike (there are no variables or escapes to
//! tell them apart), so each can quote the other: `'say "hi"'`.
//!
//! The words are slices of the line itself, so no memory is allocated; this is
//! why the rules are simpler than a Unix shell's. A quote only starts a quoted
//! word at the beginning of a word (so `it's` is an ordinary word), the word is
//! exactly the text between the quotes (possibly empty: `""`), and the closing
//! quote must be followed by a space, a tab or the end of the line (`"a"b` is
//! an error: it would need the two pieces glued together). A backslash is an
//! ordinary character.

use core::fmt;

/// Why a command line could not be split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// A quote was opened and never closed.
    UnterminatedQuote,
    /// A closing quote was followed by more text instead of a space.
    TextAfterQuote,
    /// The line has more words than the caller has room for (`limit`).
    TooManyWords { limit: usize },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::UnterminatedQuote => f.write_str("missing closing quote"),
            ParseError::TextAfterQuote => {
                f.write_str("a closing quote must be followed by a space")
            }
            ParseError::TooManyWords { limit } => {
                write!(f, "too many words (the limit is {limit})")
            }
        }
    }
}

/// Splits `line` into words (see the module documentation for the rules),
/// stores them in `out` in order and returns how many there are.
pub fn split_args<'a>(line: &'a str, out: &mut [&'a str]) -> Result<usize, ParseError> {
    let mut count = 0;
    let mut rest = line.trim_start_matches(is_blank);
    while !rest.is_empty() {
        let (word, after) = first_word(rest)?;
        let limit = out.len();
        let slot = out
            .get_mut(count)
            .ok_or(ParseError::TooManyWords { limit })?;
        *slot = word;
        count += 1;
        rest = after.trim_start_matches(is_blank);
    }
    Ok(count)
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Splits the non-empty `s`, which starts with a word, into that word and the
/// text after it.
fn first_word(s: &str) -> Result<(&str, &str), ParseError> {
    let Some(quote @ ('"' | '\'')) = s.chars().next() else {
        return Ok(s.split_at(s.find(is_blank).unwrap_or(s.len())));
    };
    let inside = &s[1..];
    let end = inside.find(quote).ok_or(ParseError::UnterminatedQuote)?;
    let after = &inside[end + 1..];
    if after.starts_with(|c| !is_blank(c)) {
        return Err(ParseError::TextAfterQuote);
    }
    Ok((&inside[..end], after))
}
