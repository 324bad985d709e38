//! How every figure is taken: a warm-up, then batches, and the median.
//!
//! One batch runs an operation many times (say 100,000 `getpid`s) and gives
//! one value (cycles per call). The first batches are a warm-up whose values
//! are thrown away (caches, page tables and the emulator's translated code
//! are filled); then [`Plan::batches`] batches are kept and the figure is
//! their median, printed with the minimum and maximum. On a shared machine a
//! batch can be slowed down by other work, never sped up, so the minimum is
//! the best case and the median the typical one.
//!
//! Each figure becomes one line on standard output, which the runner parses:
//!
//! ```text
//! bench: getpid median=1509 min=1239 max=4055 unit=cycles batches=7
//! bench: pipe_pingpong unsupported (ENOSYS from pipe2)
//! bench: seq_write skipped: no writable fs (EROFS from open)
//! ```

use crate::selection::Selection;
use crate::sys::SysError;
use std::io::Write;

/// How many batches to run, and which measures (`--only`).
#[derive(Clone, Copy, Debug)]
pub struct Plan<'a> {
    pub warmups: usize,
    pub batches: usize,
    pub only: &'a Selection,
}

/// Why a measure gave no figure.
#[derive(Debug)]
pub enum Failure {
    /// A system call it needs is missing (ENOSYS).
    Unsupported(SysError),
    /// Something else went wrong; the text says what.
    Failed(String),
    /// The measure needs something that is not there (a writable file system).
    Skipped(String),
}

impl From<SysError> for Failure {
    fn from(error: SysError) -> Failure {
        if error.errno == libc::ENOSYS {
            Failure::Unsupported(error)
        } else {
            Failure::Failed(error.to_string())
        }
    }
}

/// A figure's name and unit, as printed.
#[derive(Clone, Copy, Debug)]
pub struct Figure {
    pub name: &'static str,
    pub unit: &'static str,
}

/// Runs `batch` as the plan says and prints one line per figure: `batch`
/// gives one value for each of `figures` (a page-fault batch measures the
/// faults and then the unmapping, for instance).
/// A measure whose figures `plan.only` does not select is not run.
pub fn run(plan: Plan, figures: &[Figure], mut batch: impl FnMut() -> Result<Vec<f64>, Failure>) {
    if !plan.only.wants(figures) {
        return;
    }
    let mut kept: Vec<Vec<f64>> = vec![Vec::new(); figures.len()];
    for round in 0..plan.warmups + plan.batches {
        match batch() {
            Ok(values) => {
                assert_eq!(values.len(), figures.len(), "one value per figure");
                if round >= plan.warmups {
                    for (list, value) in kept.iter_mut().zip(values) {
                        list.push(value);
                    }
                }
            }
            Err(failure) => {
                for figure in figures {
                    emit(&failure_line(figure.name, &failure));
                }
                return;
            }
        }
    }
    for (figure, values) in figures.iter().zip(&mut kept) {
        emit(&figure_line(figure, values));
    }
}

/// Prints a whole line at once (so that lines from two processes never mix).
pub fn emit(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(format!("{line}\n").as_bytes());
    let _ = out.flush();
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The line for a figure's batch values.
pub fn figure_line(figure: &Figure, values: &mut [f64]) -> String {
    let median = median(values);
    let (min, max) = (values[0], values[values.len() - 1]);
    format!(
        "bench: {} median={} min={} max={} unit={} batches={}",
        figure.name,
        number(median),
        number(min),
        number(max),
        figure.unit,
        values.len()
    )
}

/// Whole numbers for large values (cycles), one decimal for small ones
/// (MB/s).
fn number(value: f64) -> String {
    if value >= 1000.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// The line for a measure that gave no figure.
pub fn failure_line(name: &str, failure: &Failure) -> String {
    match failure {
        Failure::Unsupported(error) => format!("bench: {name} unsupported ({error})"),
        Failure::Failed(why) => format!("bench: {name} failed ({why})"),
        Failure::Skipped(why) => format!("bench: {name} skipped: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [5.0, 1.0, 3.0]), 3.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn lines_as_the_runner_reads_them() {
        let figure = Figure {
            name: "getpid",
            unit: "cycles",
        };
        assert_eq!(
            figure_line(&figure, &mut [1600.0, 1500.4, 4000.0]),
            "bench: getpid median=1600 min=1500 max=4000 unit=cycles batches=3"
        );
        let missing = SysError {
            call: "fork",
            errno: libc::ENOSYS,
        };
        assert_eq!(
            failure_line("fork_exit_wait", &Failure::from(missing)),
            "bench: fork_exit_wait unsupported (ENOSYS from fork)"
        );
        let refused = SysError {
            call: "mmap",
            errno: libc::EINVAL,
        };
        assert_eq!(
            failure_line("yield_pingpong", &Failure::from(refused)),
            "bench: yield_pingpong failed (EINVAL from mmap)"
        );
    }
}
