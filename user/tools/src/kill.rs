//! `kill [-SIGNAL] PID...`: sends a signal (default TERM) with `kill(2)`.
//! SIGNAL is a name (`-INT`, `-SIGKILL`) or a number (`-9`; `-0` sends
//! nothing but checks that the process exists); a negative PID (after
//! `--`) means a whole process group. `kill -l` lists the names.

const USAGE: &str = "kill [-SIGNAL] PID... | kill -l";

/// The signals by name, with Linux's x86_64 numbers.
const SIGNALS: &[(&str, i32)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("CHLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
];

fn signal(spec: &str) -> Option<i32> {
    if let Ok(number) = spec.parse::<i32>() {
        return (0..=64).contains(&number).then_some(number);
    }
    let name = spec.strip_prefix("SIG").unwrap_or(spec);
    SIGNALS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, number)| number)
}

pub fn main(mut args: Vec<String>) {
    if args.first().map(String::as_str) == Some("-l") {
        let names: Vec<String> = SIGNALS
            .iter()
            .map(|(n, number)| format!("{number}) {n}"))
            .collect();
        println!("{}", names.join(" "));
        return;
    }
    let mut number = 15;
    if let Some(spec) = args.first().and_then(|a| a.strip_prefix('-'))
        && spec != "-"
    {
        number = signal(spec).unwrap_or_else(|| {
            tools::usage_error("kill", USAGE, &format!("-{spec}: no such signal"))
        });
        args.remove(0);
    }
    if args.first().map(String::as_str) == Some("--") {
        args.remove(0);
    }
    if args.is_empty() {
        tools::usage_error("kill", USAGE, "no process id given");
    }
    let mut failed = false;
    for pid in &args {
        let Ok(id) = pid.parse::<i32>() else {
            tools::report("kill", pid, "not a process id");
            failed = true;
            continue;
        };
        // SAFETY: kill takes any two numbers; a bad one is an error number.
        if unsafe { libc::kill(id, number) } != 0 {
            tools::report("kill", pid, tools::why(&std::io::Error::last_os_error()));
            failed = true;
        }
    }
    std::process::exit(failed as i32);
}
