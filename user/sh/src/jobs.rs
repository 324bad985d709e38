//! Jobs: the pipelines the shell started and has not finished waiting for.
//!
//! A job is one process group: the processes of a pipeline, all in the
//! group of its first process (with job control; see `exec`). The shell
//! waits for a foreground job's processes with `waitpid(pid, WUNTRACED)`,
//! and collects background ones with `waitpid(-1, WNOHANG)` before each
//! prompt (which also reaps them, so no zombie stays). A job stopped by
//! Ctrl-Z, or started with `&`, is kept in the table that `jobs` lists and
//! `fg`, `bg` and `wait` take jobs from.

use crate::sys::{self, Change};

/// One job.
pub struct Job {
    pub id: usize,
    pub pgid: i32,
    /// Each process, with its status once it ended.
    pub processes: Vec<(i32, Option<i32>)>,
    pub text: String,
    pub stopped: bool,
}

impl Job {
    pub fn new(pgid: i32, pids: Vec<i32>, text: &str) -> Job {
        let processes = pids.into_iter().map(|pid| (pid, None)).collect();
        Job {
            id: 0,
            pgid,
            processes,
            text: text.to_string(),
            stopped: false,
        }
    }

    /// Records that `pid` changed; false if it is not this job's.
    pub fn record(&mut self, pid: i32, change: Change) -> bool {
        let Some(process) = self.processes.iter_mut().find(|(p, _)| *p == pid) else {
            return false;
        };
        match change {
            Change::Ended(status) => process.1 = Some(status),
            Change::Stopped(_) => self.stopped = true,
        }
        true
    }

    pub fn done(&self) -> bool {
        self.processes.iter().all(|(_, status)| status.is_some())
    }

    /// The job's status: its last process's.
    pub fn status(&self) -> i32 {
        self.processes.last().and_then(|(_, s)| *s).unwrap_or(0)
    }

    /// Waits until every process ended or one stopped; returns the status
    /// (128 + the signal for a stop).
    pub fn wait(&mut self) -> i32 {
        self.stopped = false;
        while let Some(&(pid, None)) = self.processes.iter().find(|(_, s)| s.is_none()) {
            match sys::wait(pid, false) {
                Ok(Some((pid, change))) => {
                    self.record(pid, change);
                    if let Change::Stopped(status) = change {
                        return status;
                    }
                }
                // Interrupted, or not our child any more: count it as gone.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                _ => {
                    self.record(pid, Change::Ended(127));
                }
            }
        }
        self.status()
    }
}

/// The table of jobs.
#[derive(Default)]
pub struct Jobs {
    jobs: Vec<Job>,
}

impl Jobs {
    /// Adds `job` with the next free number, which it returns.
    pub fn add(&mut self, mut job: Job) -> usize {
        job.id = self.jobs.iter().map(|j| j.id).max().unwrap_or(0) + 1;
        let id = job.id;
        self.jobs.push(job);
        id
    }

    /// Collects every change of a child without blocking.
    pub fn reap(&mut self) {
        while let Ok(Some((pid, change))) = sys::wait(-1, true) {
            for job in &mut self.jobs {
                if job.record(pid, change) {
                    break;
                }
            }
        }
    }

    /// Removes the finished jobs and returns them.
    pub fn take_done(&mut self) -> Vec<Job> {
        let (done, running) = std::mem::take(&mut self.jobs)
            .into_iter()
            .partition(Job::done);
        self.jobs = running;
        done
    }

    pub fn iter(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter()
    }

    /// Takes the job a `fg`/`wait` argument names (`%2` or `2`), or the
    /// newest one without argument.
    pub fn take(&mut self, spec: Option<&str>) -> Result<Job, String> {
        let index = match spec {
            None => self.jobs.len().checked_sub(1).ok_or("no current job")?,
            Some(spec) => {
                let id: usize = spec
                    .trim_start_matches('%')
                    .parse()
                    .map_err(|_| format!("{spec}: not a job number"))?;
                self.jobs
                    .iter()
                    .position(|j| j.id == id)
                    .ok_or(format!("{spec}: no such job"))?
            }
        };
        Ok(self.jobs.remove(index))
    }

    /// Puts back a job that [`take`](Self::take) gave, under its number.
    pub fn put_back(&mut self, job: Job) {
        self.jobs.push(job);
        self.jobs.sort_by_key(|j| j.id);
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }
}
