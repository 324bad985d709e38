//! `echo [-n] WORDS...`: writes the words, separated by one space, and a
//! newline (not with `-n`). One `write` system call on standard output.

use std::io::Write;

pub fn main(args: Vec<String>) {
    let (newline, words) = match args.split_first() {
        Some((flag, rest)) if flag == "-n" => (false, rest),
        _ => (true, &args[..]),
    };
    let mut text = words.join(" ");
    if newline {
        text.push('\n');
    }
    if let Err(e) = std::io::stdout().write_all(text.as_bytes()) {
        tools::report("echo", "write", tools::why(&e));
        std::process::exit(1);
    }
}
