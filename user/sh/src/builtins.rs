//! The builtins: commands the shell runs itself, because they change the
//! shell (`cd`, `exit`, `export`, `unset`), work on its jobs (`jobs`, `fg`,
//! `bg`, `wait`), or are too small to be worth a process (`pwd`, `echo`,
//! `true`, `false`). Each returns its exit status and reports a bad
//! argument as `sh: NAME: ...` with status 1 (2 for bad usage).

use crate::shell::Shell;
use crate::vars::{assignment, is_name};
use std::io::{self, Write};

const BUILTINS: &[&str] = &[
    "bg", "cd", "echo", "exit", "export", "false", "fg", "jobs", "pwd", "true", "unset", "wait",
];

pub fn is_builtin(name: &str) -> bool {
    BUILTINS.contains(&name)
}

/// Runs builtin `argv[0]` with its arguments.
pub fn run(shell: &mut Shell, argv: &[String]) -> i32 {
    let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    let result = match argv[0].as_str() {
        "bg" => bg(shell, &args),
        "cd" => cd(shell, &args),
        "echo" => echo(&args),
        "exit" => exit(shell, &args),
        "export" => export(shell, &args),
        "false" => Ok(1),
        "fg" => fg(shell, &args),
        "jobs" => jobs(shell),
        "pwd" => pwd(),
        "true" => Ok(0),
        "unset" => unset(shell, &args),
        "wait" => wait(shell, &args),
        other => Err((2, format!("{other}: not a builtin"))),
    };
    result.unwrap_or_else(|(status, message)| {
        eprintln!("sh: {}: {message}", argv[0]);
        status
    })
}

type Outcome = Result<i32, (i32, String)>;

fn io_error(e: io::Error) -> (i32, String) {
    (1, crate::sys::why(&e))
}

/// `cd [DIR]`: changes the shell's directory (`$HOME` by default) and sets
/// `$PWD`.
fn cd(shell: &mut Shell, args: &[&str]) -> Outcome {
    let dir = match args {
        [] => shell.vars.get("HOME").unwrap_or("/").to_string(),
        [dir] => dir.to_string(),
        _ => return Err((2, "usage: cd [DIR]".into())),
    };
    std::env::set_current_dir(&dir).map_err(|e| (1, format!("{dir}: {}", crate::sys::why(&e))))?;
    if let Ok(now) = std::env::current_dir() {
        shell.vars.set("PWD", &now.to_string_lossy());
    }
    Ok(0)
}

/// `echo [-n] WORDS...`: the words, separated by spaces; `-n`: no newline.
fn echo(args: &[&str]) -> Outcome {
    let (newline, words) = match args {
        ["-n", rest @ ..] => (false, rest),
        _ => (true, args),
    };
    let mut out = io::stdout().lock();
    let text = words.join(" ");
    write!(out, "{text}{}", if newline { "\n" } else { "" }).map_err(io_error)?;
    out.flush().map_err(io_error)?;
    Ok(0)
}

/// `exit [N]`: ends the shell with status N (default: `$?`).
fn exit(shell: &mut Shell, args: &[&str]) -> Outcome {
    let status = match args {
        [] => shell.vars.status,
        [n] => {
            n.parse::<i32>()
                .map_err(|_| (2, format!("{n}: not a number")))?
                & 0xff
        }
        _ => return Err((2, "usage: exit [N]".into())),
    };
    shell.exit = Some(status);
    Ok(status)
}

/// `export [NAME[=VALUE]...]`: exports variables; without arguments lists
/// the exported ones.
fn export(shell: &mut Shell, args: &[&str]) -> Outcome {
    if args.is_empty() {
        let mut out = io::stdout().lock();
        for line in shell.vars.exported() {
            writeln!(out, "export {line}").map_err(io_error)?;
        }
        return Ok(0);
    }
    for arg in args {
        match assignment(arg) {
            Some((name, value)) => shell.vars.set(name, value),
            None if is_name(arg) => {}
            None => return Err((1, format!("{arg}: not a variable name"))),
        }
        shell.vars.export(arg.split('=').next().unwrap_or(arg));
    }
    Ok(0)
}

/// `unset NAME...`: removes variables.
fn unset(shell: &mut Shell, args: &[&str]) -> Outcome {
    for name in args {
        if !is_name(name) {
            return Err((1, format!("{name}: not a variable name")));
        }
        shell.vars.unset(name);
    }
    Ok(0)
}

/// `pwd`: the current directory.
fn pwd() -> Outcome {
    let dir = std::env::current_dir().map_err(io_error)?;
    println!("{}", dir.display());
    Ok(0)
}

/// `jobs`: the background and stopped jobs.
fn jobs(shell: &mut Shell) -> Outcome {
    shell.jobs.reap();
    let mut out = io::stdout().lock();
    for job in shell.jobs.iter() {
        let state = if job.done() {
            format!("Done ({})", job.status())
        } else if job.stopped {
            "Stopped".to_string()
        } else {
            "Running".to_string()
        };
        writeln!(out, "[{}] {state} {}", job.id, job.text).map_err(io_error)?;
    }
    drop(out);
    shell.jobs.take_done();
    Ok(0)
}

/// `fg [%N]`: continues a job in the foreground and waits for it.
fn fg(shell: &mut Shell, args: &[&str]) -> Outcome {
    let job = shell.jobs.take(args.first().copied()).map_err(|e| (1, e))?;
    shell.foreground(job, true);
    Ok(shell.vars.status)
}

/// `bg [%N]`: continues a stopped job in the background (SIGCONT to its
/// group); it stays in the table under its number.
fn bg(shell: &mut Shell, args: &[&str]) -> Outcome {
    let mut job = shell.jobs.take(args.first().copied()).map_err(|e| (1, e))?;
    if job.stopped {
        let _ = crate::sys::kill(-job.pgid, libc::SIGCONT);
        job.stopped = false;
    }
    println!("[{}] {} &", job.id, job.text);
    shell.jobs.put_back(job);
    Ok(0)
}

/// `wait [%N...]`: waits for the named jobs, or all; the status is the last
/// one's.
fn wait(shell: &mut Shell, args: &[&str]) -> Outcome {
    let mut status = 0;
    if args.is_empty() {
        while !shell.jobs.is_empty() {
            status = shell.jobs.take(None).map_err(|e| (1, e))?.wait();
        }
    }
    for spec in args {
        status = shell.jobs.take(Some(spec)).map_err(|e| (127, e))?.wait();
    }
    Ok(status)
}
