//! `cat [FILE...]`: copies each file (standard input for none or `-`) to
//! standard output: `open`, then `read` and `write` in a loop until `read`
//! returns 0 (the end), `close`.

use std::io::{self, Write};

pub fn main(args: Vec<String>) {
    let mut files = args;
    if files.is_empty() {
        files.push("-".into());
    }
    let mut failed = false;
    let mut out = io::stdout().lock();
    for name in &files {
        let copied = if name == "-" {
            io::copy(&mut io::stdin().lock(), &mut out)
        } else {
            std::fs::File::open(name).and_then(|mut file| io::copy(&mut file, &mut out))
        };
        if let Err(e) = copied {
            tools::report("cat", name, tools::why(&e));
            failed = true;
        }
    }
    if out.flush().is_err() {
        failed = true;
    }
    std::process::exit(failed as i32);
}
