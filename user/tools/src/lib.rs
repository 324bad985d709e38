//! What the small tools share: how they split options from operands and
//! report errors.
//!
//! Every tool reports a problem as one line, `TOOL: what: why`, on standard
//! error, goes on with its other operands where that makes sense, and ends
//! with status 1 if anything failed (2 for a bad option or usage).

use std::fmt::Display;

/// Splits `args` into option letters (from words like `-la`) and operands.
/// A lone `-` and everything after `--` are operands. An option letter not
/// in `known` ends the tool with a usage message.
pub fn options(tool: &str, usage: &str, args: &[String], known: &str) -> (Vec<char>, Vec<String>) {
    let mut letters = Vec::new();
    let mut operands = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg == "--" {
            operands.extend(rest.cloned());
            break;
        }
        match arg.strip_prefix('-') {
            Some(flags) if !flags.is_empty() => {
                for letter in flags.chars() {
                    if !known.contains(letter) {
                        usage_error(tool, usage, &format!("unknown option -{letter}"));
                    }
                    letters.push(letter);
                }
            }
            _ => operands.push(arg.clone()),
        }
    }
    (letters, operands)
}

/// Prints `tool: message` and the usage, and exits with status 2.
pub fn usage_error(tool: &str, usage: &str, message: &str) -> ! {
    eprintln!("{tool}: {message}\nusage: {usage}");
    std::process::exit(2)
}

/// Prints `tool: what: why` (for an operand that failed).
pub fn report(tool: &str, what: &str, why: impl Display) {
    eprintln!("{tool}: {what}: {why}");
}

/// An `io::Error` as a short message without Rust's "(os error N)". musl
/// has no text for EUCLEAN (a damaged file system): it gets Linux's.
pub fn why(error: &std::io::Error) -> String {
    if error.raw_os_error() == Some(libc::EUCLEAN) {
        return "Structure needs cleaning".into();
    }
    let text = error.to_string();
    match text.find(" (os error") {
        Some(end) => text[..end].to_string(),
        None => text,
    }
}
