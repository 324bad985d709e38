//! `mv SOURCE... DEST`: renames with `rename(2)`. When DEST is a directory,
//! each SOURCE moves into it under its own name. Moving between two file
//! systems (where `rename` says EXDEV) is not done: it would need a copy.

use std::path::Path;

const USAGE: &str = "mv SOURCE DEST | mv SOURCE... DIR";

pub fn main(args: Vec<String>) {
    let (_, mut operands) = tools::options("mv", USAGE, &args, "");
    if operands.len() < 2 {
        tools::usage_error("mv", USAGE, "needs a source and a destination");
    }
    let dest = operands.pop().unwrap_or_default();
    let into_dir = Path::new(&dest).is_dir();
    if operands.len() > 1 && !into_dir {
        tools::report("mv", &dest, "not a directory");
        std::process::exit(1);
    }
    let mut failed = false;
    for source in &operands {
        let target = match Path::new(source).file_name() {
            Some(name) if into_dir => Path::new(&dest).join(name),
            _ => Path::new(&dest).to_path_buf(),
        };
        if let Err(e) = std::fs::rename(source, &target) {
            tools::report("mv", source, tools::why(&e));
            failed = true;
        }
    }
    std::process::exit(failed as i32);
}
