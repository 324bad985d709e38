//! `sh`: Kestrel's shell.
//!
//! ```text
//! sh                      interactive on a terminal, else reads stdin
//! sh -c 'LINE' [NAME ARGS...]   runs LINE ($0 = NAME, $1... = ARGS)
//! sh SCRIPT [ARGS...]     runs the file SCRIPT line by line
//! ```
//!
//! The parts, one file each: `input` (where lines come from: the line
//! editor on a terminal), `shell` (lists and `&&`/`||`), `exec` (pipelines,
//! redirections, PATH search, process groups), `jobs` (waiting, the job
//! table), `builtins`, `vars` (variables and `$` expansion), and `sys` (the
//! system calls). The language itself is parsed by the `shparse` crate.
//!
//! An interactive shell (standard input a terminal, no `-c` or script) runs
//! with job control: it takes its own process group and the terminal, and
//! ignores SIGINT, SIGQUIT and the job-control stop signals, so that Ctrl-C
//! ends the job in the foreground and never the shell. The exit status is
//! that of the last command, or `exit N`'s.

mod builtins;
mod exec;
mod input;
mod jobs;
mod shell;
mod sys;
mod vars;

use input::Input;
use shell::Shell;
use std::io::BufReader;

const USAGE: &str = "usage: sh [-c LINE [NAME ARGS...] | SCRIPT [ARGS...]]";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let program = args.first().cloned().unwrap_or_else(|| "sh".into());
    let status = match args.get(1).map(String::as_str) {
        Some("-c") => {
            let Some(line) = args.get(2) else {
                eprintln!("sh: -c needs a command line\n{USAGE}");
                std::process::exit(2);
            };
            let arguments = if args.len() > 3 {
                args[3..].to_vec()
            } else {
                vec![program]
            };
            let mut shell = Shell::new(vars::Vars::from_environment(arguments), false);
            shell.run_line(line);
            shell.exit.unwrap_or(shell.vars.status)
        }
        Some(option) if option.starts_with('-') => {
            eprintln!("sh: unknown option {option}\n{USAGE}");
            2
        }
        Some(script) => match std::fs::File::open(script) {
            Ok(file) => {
                let vars = vars::Vars::from_environment(args[1..].to_vec());
                repl(
                    Shell::new(vars, false),
                    Input::File(Box::new(BufReader::new(file))),
                )
            }
            Err(e) => {
                eprintln!("sh: {script}: {}", sys::why(&e));
                127
            }
        },
        None if sys::is_terminal(0) => interactive(program),
        None => repl(
            Shell::new(vars::Vars::from_environment(vec![program]), false),
            Input::Stdin,
        ),
    };
    std::process::exit(status);
}

/// Reads and runs lines until the end of input or `exit`.
fn repl(mut shell: Shell, mut input: Input) -> i32 {
    loop {
        shell.report_done_jobs();
        let prompt = if shell.job_control {
            prompt()
        } else {
            String::new()
        };
        let Some(line) = input.line(&prompt) else {
            break;
        };
        shell.run_line(&line);
        if let Some(status) = shell.exit {
            return status;
        }
    }
    shell.vars.status
}

/// The prompt: the current directory and `$ `.
fn prompt() -> String {
    let dir = std::env::current_dir().map(|d| d.display().to_string());
    format!("{} $ ", dir.unwrap_or_else(|_| "?".into()))
}

/// Sets up job control and runs the editor's lines.
fn interactive(program: String) -> i32 {
    for signal in [
        libc::SIGINT,
        libc::SIGQUIT,
        libc::SIGTSTP,
        libc::SIGTTIN,
        libc::SIGTTOU,
    ] {
        sys::ignore(signal, true);
    }
    // Our own process group, and the terminal for it (a shell started by
    // init is a session leader already, so setpgid may fail harmlessly).
    let _ = sys::setpgid(0, 0);
    let shell = Shell::new(vars::Vars::from_environment(vec![program]), true);
    let _ = sys::give_terminal(shell.pgid);
    repl(shell, Input::Terminal(Box::default()))
}
