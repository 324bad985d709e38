//! How a shell command fails: [`Error`], the commands' [`Result`], and the
//! check every command without arguments makes ([`no_args`]).
//!
//! A failed command prints one line, `error: NAME: ...`, and the shell goes
//! on. The command files (`commands.rs`, `threads.rs`, `disk.rs`, `filesystems.rs`) share these and do not
//! import each other.

use alloc::string::String;
use core::fmt;

/// Why a command failed; printed as `error: NAME: ...`.
#[derive(Debug)]
pub enum Error {
    /// The arguments do not fit; the text says what is expected.
    Usage(&'static str),
    /// Something else went wrong.
    Failed(&'static str),
    /// The same, with details only known at run time.
    Text(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(usage) => write!(f, "usage: {usage}"),
            Error::Failed(why) => f.write_str(why),
            Error::Text(why) => f.write_str(why),
        }
    }
}

/// What a command returns.
pub type Result = core::result::Result<(), Error>;

/// `Ok` if the command got no arguments, else the usage error `usage`.
pub fn no_args(args: &[&str], usage: &'static str) -> Result {
    if args.is_empty() {
        Ok(())
    } else {
        Err(Error::Usage(usage))
    }
}
