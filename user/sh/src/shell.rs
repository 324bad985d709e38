//! The shell's state and how it runs a parsed line: lists and and-or
//! chains (the pipelines themselves are started by `exec`).
//!
//! `a; b` runs one after the other; `a && b` runs `b` only if `a` ended
//! with status 0, `a || b` only if it did not; `a &` starts `a` and goes on
//! at once. A background chain with `&&`/`||` (`a && b &`) runs in a
//! forked copy of the shell, which is then the job.

use crate::jobs::Jobs;
use crate::sys;
use crate::vars::Vars;
use shparse::{Chain, Connector, Script};

/// Everything the shell keeps between lines.
pub struct Shell {
    pub vars: Vars,
    pub jobs: Jobs,
    /// Job control is on (an interactive shell on a terminal): each job gets
    /// its own process group and the terminal while in the foreground.
    pub job_control: bool,
    /// The shell's own process group (the terminal goes back to it).
    pub pgid: i32,
    /// Set by `exit`: the status to end with.
    pub exit: Option<i32>,
}

impl Shell {
    pub fn new(vars: Vars, job_control: bool) -> Shell {
        Shell {
            vars,
            jobs: Jobs::default(),
            job_control,
            pgid: sys::getpgrp(),
            exit: None,
        }
    }

    /// Parses and runs one line; a bad line is an error message and status 2.
    pub fn run_line(&mut self, line: &str) {
        match shparse::parse(line) {
            Ok(script) => self.run_script(&script, line),
            Err(error) => {
                eprintln!("sh: {error}");
                self.vars.status = 2;
            }
        }
    }

    fn run_script(&mut self, script: &Script, text: &str) {
        for item in &script.items {
            if self.exit.is_some() {
                return;
            }
            if !item.background {
                self.run_chain(&item.chain, text);
            } else if item.chain.rest.is_empty() {
                self.start_pipeline(&item.chain.first, text, true);
            } else {
                self.start_subshell(&item.chain, text);
            }
        }
    }

    /// Runs a chain in the foreground; `$?` is its last pipeline's status.
    fn run_chain(&mut self, chain: &Chain, text: &str) {
        self.start_pipeline(&chain.first, text, false);
        for (connector, pipeline) in &chain.rest {
            if self.exit.is_some() {
                return;
            }
            let succeeded = self.vars.status == 0;
            if (*connector == Connector::And) == succeeded {
                self.start_pipeline(pipeline, text, false);
            }
        }
    }

    /// `a && b &`: a child shell runs the chain; the parent records the job.
    fn start_subshell(&mut self, chain: &Chain, text: &str) {
        match sys::fork() {
            Ok(0) => {
                if self.job_control {
                    let _ = sys::setpgid(0, 0);
                    crate::exec::default_signals();
                }
                self.job_control = false;
                self.run_chain(chain, text);
                let _ = std::io::Write::flush(&mut std::io::stdout());
                sys::exit_now(self.exit.unwrap_or(self.vars.status));
            }
            Ok(pid) => {
                if self.job_control {
                    let _ = sys::setpgid(pid, pid);
                }
                self.add_background(crate::jobs::Job::new(pid, vec![pid], text));
            }
            Err(e) => {
                eprintln!("sh: fork: {}", sys::why(&e));
                self.vars.status = 1;
            }
        }
    }

    /// Keeps a background job; an interactive shell says its number and pid.
    pub fn add_background(&mut self, job: crate::jobs::Job) {
        let pgid = job.pgid;
        let id = self.jobs.add(job);
        if self.job_control {
            eprintln!("[{id}] {pgid}");
        }
        self.vars.status = 0;
    }

    /// Reaps finished background jobs; an interactive shell reports them.
    pub fn report_done_jobs(&mut self) {
        self.jobs.reap();
        for job in self.jobs.take_done() {
            if self.job_control {
                eprintln!("[{}] Done ({}) {}", job.id, job.status(), job.text);
            }
        }
    }
}
