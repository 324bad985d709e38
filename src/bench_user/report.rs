//! Reading the benchmark's output and comparing two runs (pure functions).
//!
//! The benchmark (`user/bench`) prints one line per figure, the same on
//! Kestrel and on Linux:
//!
//! ```text
//! bench: getpid median=1509 min=1239 max=4055 unit=cycles batches=7
//! bench: fork_exec_wait unsupported (ENOSYS from execve)
//! bench: small_files skipped: no writable fs (/tmp: ENOENT from open)
//! bench: done
//! ```
//!
//! [`parse`] turns a serial log into a [`Run`]; [`table`] lines up the
//! Linux and Kestrel runs with the ratio Kestrel/Linux per figure and the
//! issues' target for it.

use std::fmt::Write;

/// One figure: the median of the batches, their range, and the unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub unit: String,
}

/// What a run said about one measure.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Measured(Figure),
    /// "unsupported (...)", "failed (...)" or "skipped: ...", as printed.
    NoFigure(String),
}

/// Everything a run printed, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Run {
    pub results: Vec<(String, Outcome)>,
    /// The TSC's rate the benchmark measured, in MHz.
    pub tsc_mhz: Option<f64>,
    /// Where the file measures ran: `DIR fs=KIND` from `bench: files in`.
    pub files: Option<String>,
    /// Whether the last line, `bench: done`, came.
    pub done: bool,
}

impl Run {
    pub fn get(&self, name: &str) -> Option<&Outcome> {
        self.results.iter().find(|(n, _)| n == name).map(|(_, o)| o)
    }

    /// Whether the benchmark started at all.
    pub fn started(&self) -> bool {
        self.done || !self.results.is_empty() || self.tsc_mhz.is_some()
    }
}

/// Reads every `bench: ` line of `log` (other lines, such as kernel
/// messages, are ignored).
pub fn parse(log: &str) -> Run {
    let mut run = Run::default();
    for line in log.lines() {
        let Some(rest) = line.trim().strip_prefix("bench: ") else {
            continue;
        };
        if rest == "done" {
            run.done = true;
        } else if let Some(files) = rest.strip_prefix("files in ") {
            run.files = Some(files.to_string());
        } else if let Some(mhz) = rest.strip_prefix("tsc mhz=") {
            run.tsc_mhz = mhz.parse().ok();
        } else if let Some((name, outcome)) = parse_result(rest) {
            run.results.push((name, outcome));
        }
    }
    run
}

/// `NAME median=.. min=.. max=.. unit=..` or `NAME unsupported (..)` and the
/// like; `None` for the informational lines.
fn parse_result(rest: &str) -> Option<(String, Outcome)> {
    let (name, tail) = rest.split_once(' ')?;
    if ["unsupported", "failed", "skipped:"]
        .iter()
        .any(|word| tail.starts_with(word))
    {
        return Some((name.into(), Outcome::NoFigure(tail.into())));
    }
    let value = |key: &str| {
        tail.split_whitespace()
            .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
    };
    let number = |key: &str| value(key)?.parse::<f64>().ok();
    let figure = Figure {
        median: number("median")?,
        min: number("min")?,
        max: number("max")?,
        unit: value("unit")?.into(),
    };
    Some((name.into(), Outcome::Measured(figure)))
}

/// What the issues ask of Kestrel's figure, as a bound on Kestrel/Linux.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// Kestrel/Linux at most this (costs: cycles).
    AtMost(f64),
    /// Kestrel/Linux at least this (rates: MB/s, files/s).
    AtLeast(f64),
    /// No target: shown for information.
    None,
}

impl Target {
    pub fn met_by(self, ratio: f64) -> Option<bool> {
        match self {
            Target::AtMost(bound) => Some(ratio <= bound),
            Target::AtLeast(bound) => Some(ratio >= bound),
            Target::None => None,
        }
    }

    fn text(self) -> String {
        match self {
            Target::AtMost(bound) => format!("<= {bound:.2}x"),
            Target::AtLeast(bound) => format!(">= {bound:.2}x"),
            Target::None => "-".into(),
        }
    }
}

/// The figures in the order they are shown, with their targets: issue 11's
/// "at most half of Linux", issue 12's "ahead of Linux on both pipe figures"
/// and "within 1.5x of Linux on the file figures".
pub const FIGURES: [(&str, Target); 12] = [
    ("getpid", Target::AtMost(0.5)),
    ("yield_pingpong", Target::AtMost(0.5)),
    ("fork_exit_wait", Target::AtMost(0.5)),
    ("fork_exec_wait", Target::AtMost(0.5)),
    ("page_fault", Target::AtMost(0.5)),
    ("munmap", Target::None),
    ("pipe_pingpong", Target::AtMost(1.0)),
    ("pipe_throughput", Target::AtLeast(1.0)),
    ("small_files", Target::AtLeast(1.0 / 1.5)),
    ("seq_write", Target::AtLeast(1.0 / 1.5)),
    ("seq_read", Target::AtLeast(1.0 / 1.5)),
    ("getdents", Target::AtMost(1.5)),
];

/// The target for `name` (`Target::None` for a figure the issues do not name).
pub fn target(name: &str) -> Target {
    FIGURES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(Target::None, |(_, t)| *t)
}

/// Kestrel's side of the comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum KestrelSide {
    Ran(Run),
    /// The benchmark could not run there yet; why, as seen.
    NotRunnable(String),
}

/// A figure as a table cell: `1,509 [1,239-4,055]`.
fn cell(outcome: Option<&Outcome>) -> String {
    match outcome {
        Some(Outcome::Measured(f)) => {
            format!(
                "{} [{}-{}]",
                grouped(f.median),
                grouped(f.min),
                grouped(f.max)
            )
        }
        Some(Outcome::NoFigure(why)) => why.split([' ', ':']).next().unwrap_or("").into(),
        None => "-".into(),
    }
}

/// A number with thousands separators (whole numbers from 100 up).
pub fn grouped(value: f64) -> String {
    if value.abs() < 100.0 {
        return format!("{value:.1}");
    }
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if value < 0.0 { format!("-{out}") } else { out }
}

/// The comparison table: one row per figure that either run printed (the
/// known ones first, in [`FIGURES`] order), then the reasons for the figures
/// that are missing.
pub fn table(linux: &Run, kestrel: &KestrelSide) -> String {
    let mut names: Vec<&str> = FIGURES.iter().map(|(n, _)| *n).collect();
    let kestrel_run = match kestrel {
        KestrelSide::Ran(run) => Some(run),
        KestrelSide::NotRunnable(_) => None,
    };
    for run in std::iter::once(linux).chain(kestrel_run) {
        for (name, _) in &run.results {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16} {:<13} {:>36} {:>36} {:>7} {:>9} met",
        "figure", "unit", "Linux median [min-max]", "Kestrel median [min-max]", "K/L", "target",
    );
    for name in names {
        if let Some(row) = row(name, linux, kestrel) {
            let _ = writeln!(out, "{row}");
        }
    }
    let _ = write!(out, "{}", files_line(linux, kestrel_run));
    let _ = write!(out, "{}", reasons("Linux", linux));
    match kestrel {
        KestrelSide::Ran(run) => {
            let _ = write!(out, "{}", reasons("Kestrel", run));
        }
        KestrelSide::NotRunnable(why) => {
            let _ = writeln!(out, "Kestrel: not yet runnable ({why})");
        }
    }
    out
}

/// Which directory and file system each side's file measures used, when
/// either ran them.
fn files_line(linux: &Run, kestrel: Option<&Run>) -> String {
    let side = |run: Option<&Run>| {
        run.and_then(|r| r.files.clone())
            .map_or("no file measures".to_string(), |f| format!("in {f}"))
    };
    if linux.files.is_none() && kestrel.and_then(|r| r.files.as_ref()).is_none() {
        return String::new();
    }
    format!(
        "files: Linux {}; Kestrel {}\n",
        side(Some(linux)),
        side(kestrel)
    )
}

/// The table's row for `name`, if either run printed it.
fn row(name: &str, linux: &Run, kestrel: &KestrelSide) -> Option<String> {
    let kestrel_run = match kestrel {
        KestrelSide::Ran(run) => Some(run),
        KestrelSide::NotRunnable(_) => None,
    };
    let linux_outcome = linux.get(name);
    let kestrel_outcome = kestrel_run.and_then(|run| run.get(name));
    if linux_outcome.is_none() && kestrel_outcome.is_none() {
        return None;
    }
    let unit = [linux_outcome, kestrel_outcome]
        .into_iter()
        .find_map(|o| match o {
            Some(Outcome::Measured(f)) => Some(f.unit.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let ratio = match (linux_outcome, kestrel_outcome) {
        (Some(Outcome::Measured(l)), Some(Outcome::Measured(k))) if l.median > 0.0 => {
            Some(k.median / l.median)
        }
        _ => None,
    };
    let target = target(name);
    let met = match ratio.and_then(|r| target.met_by(r)) {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "-",
    };
    let kestrel_cell = match kestrel {
        KestrelSide::Ran(_) => cell(kestrel_outcome),
        KestrelSide::NotRunnable(_) => "not run".into(),
    };
    Some(format!(
        "{:<16} {:<13} {:>36} {:>36} {:>7} {:>9} {}",
        name,
        unit,
        cell(linux_outcome),
        kestrel_cell,
        ratio.map_or("-".into(), |r| format!("{r:.2}x")),
        target.text(),
        met
    ))
}

/// One line per figure that a run did not measure, with its reason, and a
/// note if the run did not finish.
fn reasons(side: &str, run: &Run) -> String {
    let mut out = String::new();
    for (name, outcome) in &run.results {
        if let Outcome::NoFigure(why) = outcome {
            let _ = writeln!(out, "{side}: {name} {why}");
        }
    }
    if !run.done {
        let _ = writeln!(
            out,
            "{side}: the benchmark did not finish (no `bench: done`)"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINUX: &str = "[    0.000000] Linux version 6.1.0\r
bench: start pid=1 quick=0 os=Linux\r
bench: tsc mhz=2596.1\r
bench: getpid median=1509 min=1239 max=4055 unit=cycles batches=7\r
bench: pipe_throughput median=345.2 min=216.0 max=424.0 unit=MB/s batches=7\r
bench: files in /mnt fs=ext4\r
bench: small_files skipped: no writable fs (/tmp: ENOENT from open)\r
bench: done\r
[    9.1] reboot: Power down\r
";

    fn measured(median: f64, min: f64, max: f64, unit: &str) -> Outcome {
        Outcome::Measured(Figure {
            median,
            min,
            max,
            unit: unit.into(),
        })
    }

    #[test]
    fn lines_are_parsed_and_noise_ignored() {
        let run = parse(LINUX);
        assert!(run.done && run.started());
        assert_eq!(run.tsc_mhz, Some(2596.1));
        assert_eq!(run.files.as_deref(), Some("/mnt fs=ext4"));
        assert_eq!(run.results.len(), 3, "{run:?}");
        assert_eq!(
            run.get("getpid"),
            Some(&measured(1509.0, 1239.0, 4055.0, "cycles"))
        );
        assert_eq!(
            run.get("pipe_throughput"),
            Some(&measured(345.2, 216.0, 424.0, "MB/s"))
        );
        assert_eq!(
            run.get("small_files"),
            Some(&Outcome::NoFigure(
                "skipped: no writable fs (/tmp: ENOENT from open)".into()
            ))
        );
    }

    #[test]
    fn broken_lines_give_no_figure() {
        let run = parse(
            "bench: getpid median=abc min=1 max=2 unit=cycles\n\
             bench: getpid median=1\n\
             bench: fork_exit_wait unsupported (ENOSYS from fork)\n\
             bench: \nbench:",
        );
        assert_eq!(run.results.len(), 1);
        assert!(!run.done && run.started());
        assert!(!parse("kestrel> run bench\nerror: unknown command `run`").started());
    }

    #[test]
    fn targets_follow_the_issues() {
        assert_eq!(target("getpid").met_by(0.5), Some(true));
        assert_eq!(target("getpid").met_by(0.51), Some(false));
        assert_eq!(target("pipe_throughput").met_by(1.2), Some(true));
        assert_eq!(target("pipe_throughput").met_by(0.9), Some(false));
        assert_eq!(target("pipe_pingpong").met_by(0.99), Some(true));
        assert_eq!(target("seq_read").met_by(0.7), Some(true), "within 1.5x");
        assert_eq!(target("seq_read").met_by(0.6), Some(false));
        assert_eq!(target("getdents").met_by(1.4), Some(true));
        assert_eq!(target("munmap").met_by(9.0), None);
        assert_eq!(target("unknown").met_by(1.0), None);
    }

    #[test]
    fn table_shows_ratios_and_verdicts() {
        let linux = parse(LINUX);
        let kestrel = parse(
            "bench: getpid median=600 min=500 max=700 unit=cycles batches=7\n\
             bench: pipe_throughput median=300 min=290 max=310 unit=MB/s batches=7\n\
             bench: small_files unsupported (ENOSYS from open)\nbench: done\n",
        );
        let table = table(&linux, &KestrelSide::Ran(kestrel));
        let row = |name: &str| {
            table
                .lines()
                .find(|l| l.starts_with(name))
                .unwrap_or_else(|| panic!("no row {name} in\n{table}"))
                .to_string()
        };
        let getpid = row("getpid ");
        assert!(getpid.contains("1,509 [1,239-4,055]"), "{getpid}");
        assert!(getpid.contains("600 [500-700]"), "{getpid}");
        assert!(
            getpid.contains("0.40x") && getpid.ends_with("yes"),
            "{getpid}"
        );
        let pipe = row("pipe_throughput");
        assert!(
            pipe.contains("0.87x") && pipe.contains(">= 1.00x"),
            "{pipe}"
        );
        assert!(pipe.trim_end().ends_with("NO"), "{pipe}");
        let small = row("small_files");
        assert!(
            small.contains("skipped") && small.contains("unsupported"),
            "{small}"
        );
        assert!(
            !table.contains("\nfork_exit_wait"),
            "rows only for printed figures"
        );
        assert!(table.contains("Linux: small_files skipped: no writable fs"));
        assert!(table.contains("Kestrel: small_files unsupported (ENOSYS from open)"));
        assert!(
            table.contains("files: Linux in /mnt fs=ext4; Kestrel no file measures\n"),
            "{table}"
        );
        let both = parse("bench: files in / fs=ext2\nbench: done\n");
        let table = super::table(&linux, &KestrelSide::Ran(both));
        assert!(
            table.contains("files: Linux in /mnt fs=ext4; Kestrel in / fs=ext2\n"),
            "{table}"
        );
    }

    #[test]
    fn kestrel_not_runnable_is_said_once() {
        let table = table(
            &parse(LINUX),
            &KestrelSide::NotRunnable("shell: unknown command `run`".into()),
        );
        assert!(table.contains("Kestrel: not yet runnable (shell: unknown command `run`)"));
        assert!(table.lines().nth(1).unwrap().contains("not run"), "{table}");
        let unfinished = table_for_unfinished();
        assert!(unfinished.contains("Linux: the benchmark did not finish"));
    }

    fn table_for_unfinished() -> String {
        table(
            &parse("bench: getpid median=1 min=1 max=1 unit=cycles"),
            &KestrelSide::NotRunnable("x".into()),
        )
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(grouped(1509.0), "1,509");
        assert_eq!(grouped(2_220_000.0), "2,220,000");
        assert_eq!(grouped(345.2), "345");
        assert_eq!(grouped(12.34), "12.3");
        assert_eq!(grouped(-1234.0), "-1,234");
    }
}
