//! What can be wrong with a command line, in words a user understands.

use core::fmt;

/// Why a line could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// A `'` or `"` was opened and the line ended first.
    UnclosedQuote(char),
    /// `${` without its `}`.
    UnclosedBrace,
    /// `${}` or `${NAME` with a character a name cannot have.
    BadVariableName,
    /// The line ends with a backslash (there is nothing to escape).
    TrailingBackslash,
    /// An operator (`|`, `&&`, `||`, `;`, `&`) with no command before it.
    NothingBefore(&'static str),
    /// An operator (`|`, `&&`, `||`) with no command after it.
    NothingAfter(&'static str),
    /// A redirection (`<`, `>`, `>>`) without the file name it needs.
    MissingFile(&'static str),
    /// `>&` or `<&` not followed by a descriptor number.
    BadDescriptor(&'static str),
    /// A descriptor number too large to be one (`99999999999>x`).
    DescriptorTooLarge,
    /// A character the shell does not support, like `(` or `` ` ``.
    Unsupported(char),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnclosedQuote(q) => write!(f, "missing closing {q}"),
            Error::UnclosedBrace => f.write_str("missing closing } after ${"),
            Error::BadVariableName => f.write_str("bad variable name in ${...}"),
            Error::TrailingBackslash => f.write_str("the line ends with a backslash"),
            Error::NothingBefore(op) => write!(f, "no command before `{op}`"),
            Error::NothingAfter(op) => write!(f, "no command after `{op}`"),
            Error::MissingFile(op) => write!(f, "`{op}` needs a file name"),
            Error::BadDescriptor(op) => write!(f, "`{op}` needs a descriptor number"),
            Error::DescriptorTooLarge => f.write_str("descriptor number too large"),
            Error::Unsupported(c) => write!(f, "`{c}` is not supported by this shell"),
        }
    }
}
