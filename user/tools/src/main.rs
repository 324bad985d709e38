//! One program, many tools: a *multi-call binary*.
//!
//! Every Rust program for musl carries its own copy of the standard library
//! (about 380 KB of each tool's 390 KB), and every byte of the ramdisk is
//! loaded at each boot. So the tools are one binary, `tools`, whose names
//! `/bin/ls`, `/bin/cat`, ... are links to it (hard links on the disk and in
//! the ramdisk). It picks the tool by the file name in `argv[0]`, which is the
//! name the caller ran it by: `/bin/ls -l` runs `ls` with `["-l"]`.
//! Under its own name it takes the tool as its first argument (`tools ls -l`),
//! and `tools --list` prints the names, one per line (the runner's list of
//! links is checked against it).
//!
//! Each tool stays its own module, one file each, showing the system calls it
//! makes; `lib.rs` holds what they share.

mod cat;
mod echo;
mod free;
mod kill;
mod ls;
mod mkdir;
mod mv;
mod ps;
mod rm;
mod sleep;
mod uptime;

/// A tool's entry: it gets the arguments after its name.
type Tool = fn(Vec<String>);

/// The tools by name, sorted.
const TOOLS: &[(&str, Tool)] = &[
    ("cat", cat::main),
    ("echo", echo::main),
    ("free", free::main),
    ("kill", kill::main),
    ("ls", ls::main),
    ("mkdir", mkdir::main),
    ("mv", mv::main),
    ("ps", ps::main),
    ("rm", rm::main),
    ("sleep", sleep::main),
    ("uptime", uptime::main),
];

const USAGE: &str =
    "tools TOOL [ARGS...] | tools --list (or run it as TOOL: a link named after the tool)";

fn main() {
    let mut args = std::env::args();
    let argv0 = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    let name = argv0.rsplit('/').next().unwrap_or_default();
    if let Some(tool) = find(name) {
        return tool(rest);
    }
    match rest.split_first() {
        Some((flag, [])) if flag == "--list" => {
            for (name, _) in TOOLS {
                println!("{name}");
            }
        }
        Some((name, args)) => match find(name) {
            Some(tool) => tool(args.to_vec()),
            None => tools::usage_error("tools", USAGE, &format!("no tool named {name}")),
        },
        None => tools::usage_error("tools", USAGE, "which tool?"),
    }
}

/// The tool called `name`.
fn find(name: &str) -> Option<Tool> {
    TOOLS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, tool)| tool)
}
