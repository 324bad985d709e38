//! Starting a pipeline: `fork`, rewire descriptors, `execve`, wait.
//!
//! For `a | b | c` the shell makes two pipes and forks three children.
//! Each child puts the pipe ends on its standard input and output with
//! `dup2`, applies its own redirections (`> file` opens the file and
//! `dup2`s it onto fd 1; `2>&1` is `dup2(1, 2)`, in the order written), and
//! `execve`s the program. The parent closes its copies of the pipe ends, or
//! `c` would never see the end of its input.
//!
//! A name without `/` is searched in each directory of `$PATH`. A builtin
//! alone in the foreground runs in the shell itself (`cd` must change the
//! shell's directory), with its redirections applied around it and undone
//! after; in a pipeline or in the background it runs in a child like a
//! program.
//!
//! With job control the children of a pipeline form one process group
//! (`setpgid`, called by parent and child alike, so that it holds whichever
//! runs first); a foreground job gets the terminal (`tcsetpgrp`) so that
//! Ctrl-C's SIGINT goes to it and not to the shell, which takes the terminal
//! back when the job ends or stops.

use crate::builtins;
use crate::jobs::Job;
use crate::shell::Shell;
use crate::sys;
use shparse::{Command, Pipeline, Redirect};
use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

/// A command with its words expanded.
struct Expanded {
    argv: Vec<String>,
    redirections: Vec<(i32, Target)>,
}

/// Where a redirection points, with its file name expanded.
enum Target {
    Read(String),
    Write(String),
    Append(String),
    Duplicate(i32),
}

fn expand(shell: &Shell, command: &Command) -> Expanded {
    let word = |w: &shparse::Word| w.expand(&shell.vars).unwrap_or_default();
    let argv = command
        .words
        .iter()
        .filter_map(|w| w.expand(&shell.vars))
        .collect();
    let redirections = command
        .redirections
        .iter()
        .map(|r| {
            let target = match &r.how {
                Redirect::Read(w) => Target::Read(word(w)),
                Redirect::Write(w) => Target::Write(word(w)),
                Redirect::Append(w) => Target::Append(word(w)),
                Redirect::Duplicate(fd) => Target::Duplicate(*fd as i32),
            };
            (r.fd as i32, target)
        })
        .collect();
    Expanded { argv, redirections }
}

impl Shell {
    /// Runs `pipeline`: waits for it (and sets `$?`), or with `background`
    /// keeps it as a job.
    pub fn start_pipeline(&mut self, pipeline: &Pipeline, text: &str, background: bool) {
        let commands: Vec<Expanded> = pipeline.commands.iter().map(|c| expand(self, c)).collect();
        if let [only] = &commands[..]
            && !background
            && self.run_in_shell(only)
        {
            return;
        }
        let mut pgid = 0;
        let mut pids = Vec::new();
        let mut input: Option<OwnedFd> = None;
        for (i, command) in commands.iter().enumerate() {
            let (next_input, output) = if i + 1 == commands.len() {
                (None, None)
            } else {
                match io::pipe() {
                    Ok((reader, writer)) => {
                        (Some(OwnedFd::from(reader)), Some(OwnedFd::from(writer)))
                    }
                    Err(e) => {
                        eprintln!("sh: pipe: {}", sys::why(&e));
                        break;
                    }
                }
            };
            match sys::fork() {
                Ok(0) => self.child(command, input, output, pgid, background),
                Ok(pid) => {
                    if pgid == 0 {
                        pgid = pid;
                    }
                    if self.job_control {
                        let _ = sys::setpgid(pid, pgid);
                    }
                    pids.push(pid);
                }
                Err(e) => {
                    eprintln!("sh: fork: {}", sys::why(&e));
                    break;
                }
            }
            input = next_input;
        }
        drop(input);
        if pids.len() < commands.len() {
            // The pipeline is incomplete: the started ones run to their end.
            Job::new(pgid, pids, text).wait();
            self.vars.status = 1;
            return;
        }
        let job = Job::new(pgid, pids, text);
        if background {
            self.add_background(job);
        } else {
            self.foreground(job, false);
        }
    }

    /// Waits for `job` in the foreground (with the terminal, under job
    /// control); a stopped job goes to the table. With `resume` (for `fg`)
    /// it first names the job, once the job has the terminal, and
    /// continues it if it was stopped.
    pub fn foreground(&mut self, mut job: Job, resume: bool) {
        if self.job_control {
            let _ = sys::give_terminal(job.pgid);
        }
        if resume {
            eprintln!("{}", job.text);
            if job.stopped {
                let _ = sys::kill(-job.pgid, libc::SIGCONT);
            }
        }
        let mut status = job.wait();
        // Without job control (`sh -c`, scripts) a stopped job is not ours
        // to put aside: whoever stopped our group continues it; wait on.
        while job.stopped && !self.job_control {
            status = job.wait();
        }
        if self.job_control {
            let _ = sys::give_terminal(self.pgid);
        }
        if job.stopped {
            let text = job.text.clone();
            let id = self.jobs.add(job);
            eprintln!("\n[{id}] Stopped {text}");
        } else if status == 128 + libc::SIGINT && self.job_control {
            eprintln!();
        }
        self.vars.status = status;
    }

    /// Runs a lone builtin or assignment in the shell; false if `command`
    /// is a program.
    fn run_in_shell(&mut self, command: &Expanded) -> bool {
        let argv = &command.argv;
        let assignments = argv.iter().all(|w| crate::vars::assignment(w).is_some());
        if !assignments && !builtins::is_builtin(&argv[0]) {
            return false;
        }
        let saved = match redirect_saving(&command.redirections) {
            Ok(saved) => saved,
            Err(message) => {
                eprintln!("sh: {message}");
                self.vars.status = 1;
                return true;
            }
        };
        self.vars.status = if argv.is_empty() {
            0
        } else if assignments {
            for (name, value) in argv.iter().filter_map(|w| crate::vars::assignment(w)) {
                self.vars.set(name, value);
            }
            0
        } else {
            builtins::run(self, argv)
        };
        let _ = io::Write::flush(&mut io::stdout());
        restore(saved);
        true
    }

    /// The child's side of one pipeline command; never returns.
    fn child(
        &mut self,
        command: &Expanded,
        input: Option<OwnedFd>,
        output: Option<OwnedFd>,
        pgid: i32,
        background: bool,
    ) -> ! {
        if self.job_control {
            let _ = sys::setpgid(0, pgid);
            if !background {
                let _ = sys::give_terminal(sys::getpgrp());
            }
        }
        default_signals();
        if background && !self.job_control {
            sys::ignore(libc::SIGINT, true);
            sys::ignore(libc::SIGQUIT, true);
        }
        for (fd, target) in [(input, 0), (output, 1)] {
            if let Some(fd) = fd
                && let Err(e) = sys::dup2(fd.as_raw_fd(), target)
            {
                fail(&format!("dup2: {}", sys::why(&e)), 1);
            }
        }
        for (fd, target) in &command.redirections {
            if let Err(message) = redirect(*fd, target) {
                fail(&message, 1);
            }
        }
        let argv = &command.argv;
        let Some(name) = argv.first() else {
            sys::exit_now(0)
        };
        if builtins::is_builtin(name) || crate::vars::assignment(name).is_some() {
            // A builtin in a pipeline changes nothing in the parent shell.
            self.job_control = false;
            let status = builtins::run(self, argv);
            let _ = io::Write::flush(&mut io::stdout());
            sys::exit_now(status);
        }
        exec(self, argv)
    }
}

/// Signals an interactive shell ignores go back to their default actions
/// in its children (an ignored signal stays ignored across `execve`), and
/// so does SIGPIPE, which Rust's runtime ignores in the shell itself.
pub fn default_signals() {
    for signal in [
        libc::SIGINT,
        libc::SIGQUIT,
        libc::SIGTSTP,
        libc::SIGTTIN,
        libc::SIGTTOU,
        libc::SIGPIPE,
    ] {
        sys::ignore(signal, false);
    }
}

/// Prints `sh: message` and ends the child with `status`.
fn fail(message: &str, status: i32) -> ! {
    eprintln!("sh: {message}");
    sys::exit_now(status)
}

/// Becomes the program `argv[0]` (searched in `$PATH` if it has no `/`).
fn exec(shell: &Shell, argv: &[String]) -> ! {
    let name = &argv[0];
    let Ok(args) = argv
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect::<Result<Vec<_>, _>>()
    else {
        fail(&format!("{name}: an argument contains a NUL byte"), 126)
    };
    let environment = shell.vars.environment();
    let candidates: Vec<String> = if name.contains('/') {
        vec![name.clone()]
    } else {
        let path = shell.vars.get("PATH").unwrap_or("/bin:/usr/bin");
        path.split(':')
            .map(|dir| format!("{}/{name}", if dir.is_empty() { "." } else { dir }))
            .collect()
    };
    let mut denied = None;
    for candidate in &candidates {
        let Ok(path) = CString::new(candidate.as_bytes()) else {
            continue;
        };
        let error = sys::execve(&path, &args, &environment);
        let missing = matches!(error.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR));
        if missing && name.contains('/') {
            fail(&format!("{name}: {}", sys::why(&error)), 127);
        }
        if !missing {
            denied = Some((candidate.clone(), error));
        }
    }
    match denied {
        Some((path, error)) => fail(&format!("{path}: {}", sys::why(&error)), 126),
        None => fail(&format!("{name}: command not found"), 127),
    }
}

/// Applies one redirection to the current process.
fn redirect(fd: i32, target: &Target) -> Result<(), String> {
    let open = |name: &str, options: &mut OpenOptions| -> Result<File, String> {
        options
            .open(name)
            .map_err(|e| format!("{name}: {}", sys::why(&e)))
    };
    let file = match target {
        Target::Duplicate(from) => {
            return sys::dup2(*from, fd).map_err(|e| format!("{fd}>&{from}: {}", sys::why(&e)));
        }
        Target::Read(name) => open(name, OpenOptions::new().read(true))?,
        Target::Write(name) => open(
            name,
            OpenOptions::new().write(true).create(true).truncate(true),
        )?,
        Target::Append(name) => open(name, OpenOptions::new().append(true).create(true))?,
    };
    sys::dup2(file.as_raw_fd(), fd).map_err(|e| format!("dup2: {}", sys::why(&e)))
}

/// Applies redirections in the shell itself, first saving each descriptor
/// it replaces (a copy, or `None` if it was not open), for undoing.
fn redirect_saving(redirections: &[(i32, Target)]) -> Result<Vec<(i32, Option<i32>)>, String> {
    let mut saved = Vec::new();
    for (fd, target) in redirections {
        saved.push((*fd, sys::save(*fd).ok()));
        if let Err(message) = redirect(*fd, target) {
            restore(saved);
            return Err(message);
        }
    }
    Ok(saved)
}

/// Undoes [`redirect_saving`], last redirection first.
fn restore(saved: Vec<(i32, Option<i32>)>) {
    for (fd, copy) in saved.into_iter().rev() {
        match copy {
            Some(copy) => {
                let _ = sys::dup2(copy, fd);
                sys::close(copy);
            }
            None => sys::close(fd),
        }
    }
}
