//! `mkdir [-p] DIR...`: makes directories with `mkdir(2)`. With `-p` the
//! missing parents are made too, and a directory that exists is fine.

const USAGE: &str = "mkdir [-p] DIR...";

pub fn main(args: Vec<String>) {
    let (flags, dirs) = tools::options("mkdir", USAGE, &args, "p");
    if dirs.is_empty() {
        tools::usage_error("mkdir", USAGE, "no directory given");
    }
    let parents = flags.contains(&'p');
    let mut failed = false;
    for dir in &dirs {
        let made = if parents {
            std::fs::create_dir_all(dir)
        } else {
            std::fs::create_dir(dir)
        };
        if let Err(e) = made {
            tools::report("mkdir", dir, tools::why(&e));
            failed = true;
        }
    }
    std::process::exit(failed as i32);
}
