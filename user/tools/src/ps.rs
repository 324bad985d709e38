//! `ps`: the processes, from `/proc`, in Linux's formats: each numbered
//! directory `/proc/<pid>` is a process (`getdents64` lists them); its
//! `stat` file is one line, `pid (comm) state ppid pgrp session ...`, and
//! its `cmdline` the arguments separated by NUL bytes (empty for a process
//! that has none, like a kernel thread: then the name is shown in brackets).

pub fn main(_args: Vec<String>) {
    let entries = match std::fs::read_dir("/proc") {
        Ok(entries) => entries,
        Err(e) => {
            tools::report("ps", "/proc", tools::why(&e));
            std::process::exit(1);
        }
    };
    let mut pids: Vec<u32> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    println!("{:>5} {:>5} {:>5} S COMMAND", "PID", "PPID", "PGID");
    for pid in pids {
        // A process may end while we look: then its files are gone; skip it.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(fields) = Stat::parse(&stat) else {
            tools::report("ps", &format!("/proc/{pid}/stat"), "unexpected format");
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let args: Vec<String> = cmdline
            .split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let command = if args.is_empty() {
            format!("[{}]", fields.comm)
        } else {
            args.join(" ")
        };
        println!(
            "{pid:>5} {:>5} {:>5} {} {command}",
            fields.ppid, fields.pgrp, fields.state
        );
    }
}

/// The fields of `/proc/<pid>/stat` that `ps` shows.
struct Stat<'a> {
    comm: &'a str,
    state: &'a str,
    ppid: &'a str,
    pgrp: &'a str,
}

impl<'a> Stat<'a> {
    /// The name is between the first `(` and the *last* `)`: it may itself
    /// hold spaces and parentheses.
    fn parse(line: &'a str) -> Option<Stat<'a>> {
        let open = line.find('(')?;
        let close = line.rfind(')')?;
        let comm = line.get(open + 1..close)?;
        let mut rest = line.get(close + 1..)?.split_whitespace();
        Some(Stat {
            comm,
            state: rest.next()?,
            ppid: rest.next()?,
            pgrp: rest.next()?,
        })
    }
}
