//! `rm [-r] [-f] PATH...`: removes files with `unlink(2)`. A directory needs
//! `-r`: its contents go first (`getdents64` lists them), then the
//! directory itself (`rmdir(2)`). `-f` keeps quiet about paths that do not
//! exist.

use std::io::ErrorKind;

const USAGE: &str = "rm [-r] [-f] PATH...";

pub fn main(args: Vec<String>) {
    let (flags, paths) = tools::options("rm", USAGE, &args, "rfR");
    let recursive = flags.iter().any(|&f| f == 'r' || f == 'R');
    let force = flags.contains(&'f');
    if paths.is_empty() && !force {
        tools::usage_error("rm", USAGE, "no path given");
    }
    let mut failed = false;
    for path in &paths {
        let removed = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() && !recursive => {
                tools::report("rm", path, "is a directory (use -r)");
                failed = true;
                continue;
            }
            Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
            Ok(_) => std::fs::remove_file(path),
            Err(e) => Err(e),
        };
        match removed {
            Err(e) if force && e.kind() == ErrorKind::NotFound => {}
            Err(e) => {
                tools::report("rm", path, tools::why(&e));
                failed = true;
            }
            Ok(()) => {}
        }
    }
    std::process::exit(failed as i32);
}
