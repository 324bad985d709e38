//! The shell's thread commands: `ps`, `spawn`, `kill` and `taskbench`.
//!
//! They are thin: `ps` prints `thread::list()` and then `process::list()`,
//! `spawn` starts the threads of `tasks::demo`, `kill` ends a process (by
//! pid, through `process::signal`, so its memory is freed) or a kernel
//! thread (`thread::kill`), and `taskbench` prints the
//! figures of `bench::tasks`. What they show is explained in `docs/tasks.md`
//! ("In the shell").

use super::error::{Error, Result, no_args};
use crate::bench::tasks as bench;
use crate::println;
use crate::process;
use crate::tasks::demo;
use crate::tasks::thread::{self, ThreadInfo};
use crate::time;
use ::shell::{Millis, Ratio};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use sched::State;

pub fn ps(args: &[&str]) -> Result {
    no_args(args, "ps")?;
    println!(
        "{:>4}  {:<16} {:<15} {:>10} {:>9}",
        "ID", "NAME", "STATE", "CPU ms", "STACK KiB"
    );
    for t in thread::list() {
        let stack = match t.stack_kib {
            0 => String::from("boot"),
            kib => format!("{kib}"),
        };
        println!(
            "{:>4}  {:<16} {:<15} {:>10} {:>9}",
            t.id.0,
            t.name,
            t.state.name(),
            format!("{}", Millis(t.cpu_ns)),
            stack
        );
    }
    let processes = process::list();
    if !processes.is_empty() {
        println!();
        println!(
            "{:>4}  {:>6}  {:<16} {:<15} {:>6} {:>6}",
            "PID", "PARENT", "NAME", "STATE", "THREAD", "FILES"
        );
    }
    for p in processes {
        let state = match p.zombie {
            None => String::from("alive"),
            Some(status) => format!("zombie ({})", status.shell_code()),
        };
        println!(
            "{:>4}  {:>6}  {:<16} {:<15} {:>6} {:>6}",
            p.pid.0,
            p.parent
                .map_or(String::from("kernel"), |pid| format!("{}", pid.0)),
            p.name,
            state,
            p.thread.map_or(String::from("-"), |t| format!("{}", t.0)),
            p.open_files,
        );
    }
    Ok(())
}

const SPAWN_USAGE: &str = "spawn KIND (KIND: demo, panic, fault or overflow)";

pub fn spawn(args: &[&str]) -> Result {
    let [kind] = args else {
        return Err(Error::Usage(SPAWN_USAGE));
    };
    if *kind == "demo" {
        let [busy, sleeper] = demo::start_demo().map_err(|e| Error::Text(format!("{e}")))?;
        println!(
            "started thread {} (demo-busy) and thread {} (demo-sleep); stop them with `kill {}` and `kill {}`",
            busy.0, sleeper.0, busy.0, sleeper.0
        );
        return Ok(());
    }
    let Some(started) = demo::start_failing(kind) else {
        return Err(Error::Text(format!(
            "unknown kind `{kind}`; the kinds are: {}",
            demo::KINDS.join(", ")
        )));
    };
    let handle = started.map_err(|e| Error::Text(format!("{e}")))?;
    let id = handle.id().0;
    println!("started thread {id} (demo-{kind}); waiting for it to end");
    match handle.join() {
        Ok(value) => println!("thread {id} returned {value}"),
        Err(how) => println!("thread {id} ended: {how}; the shell goes on"),
    }
    Ok(())
}

pub fn kill(args: &[&str]) -> Result {
    const USAGE: &str = "kill ID (a process's PID, or a kernel thread's ID, from `ps`)";
    let [id] = args else {
        return Err(Error::Usage(USAGE));
    };
    let Ok(number) = id.parse::<u64>() else {
        return Err(Error::Text(format!(
            "`{id}` is not a thread or process number (see `ps`)"
        )));
    };
    // A process first: its memory must go with it.
    let pid = u32::try_from(number).map(process::Pid);
    if let Ok(pid) = pid
        && process::list().iter().any(|p| p.pid == pid)
    {
        process::signal::kill(pid, u64::from(process::signal::SIGKILL))
            .map_err(|e| Error::Text(format!("process {number}: {e:?}")))?;
        println!("process {number} killed");
        return Ok(());
    }
    if let Some(pid) = process::signal::kill_thread_process(thread::ThreadId(number)) {
        println!(
            "thread {number} ran process {}; the process was killed",
            pid.0
        );
        return Ok(());
    }
    thread::kill(thread::ThreadId(number))
        .map_err(|e| Error::Text(format!("thread {number}: {e}")))?;
    println!("thread {number} killed");
    Ok(())
}

pub fn taskbench(args: &[&str]) -> Result {
    no_args(args, "taskbench")?;
    let others = bench::competitors();
    // A thread that wants the CPU would get a whole time slice at every
    // yield of the benchmark: the figures would measure it, and slowly.
    let busy = |t: &&ThreadInfo| matches!(t.state, State::Ready | State::Running);
    if others.iter().any(|t| busy(&t)) {
        return Err(Error::Text(format!(
            "busy threads would take most of the CPU: {}; `kill` them first",
            names(others.iter().filter(busy))
        )));
    }
    if !others.is_empty() {
        println!(
            "note: sleeping threads may wake during the run and add to the thread figures: {}",
            names(others.iter())
        );
    }
    let figures = bench::run().map_err(Error::Failed)?;
    println!(
        "taskbench: median of {} rounds, in TSC cycles ({} MHz)",
        bench::ROUNDS,
        time::tsc_hz() / 1_000_000
    );
    let (thread, task, spawn) = (
        figures.thread_switch,
        figures.task_switch,
        figures.spawn_join,
    );
    for (what, cycles) in [
        ("thread switch (2 threads, yield_now)", thread),
        ("async task switch (2 tasks, wakers)", task),
        ("thread spawn + join", spawn),
    ] {
        let ns = time::cycles_to_ns(cycles);
        println!("  {what:<38} {cycles:>9} cycles ({ns} ns)");
    }
    for (what, a, b) in [
        ("thread switch / task switch", thread, task),
        ("spawn+join / thread switch", spawn, thread),
        ("spawn+join / task switch", spawn, task),
    ] {
        println!("  {what} = {}x", Ratio(a, b));
    }
    Ok(())
}

/// `2 (demo-busy), 3 (demo-sleep)`.
fn names<'a>(threads: impl Iterator<Item = &'a ThreadInfo>) -> String {
    let names: Vec<String> = threads
        .map(|t| format!("{} ({})", t.id.0, t.name))
        .collect();
    names.join(", ")
}
