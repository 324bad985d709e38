//! Reading the kernel test harness's serial output.
//!
//! A test kernel prints `test NAME ... ok` or `test NAME ... FAILED (...)` for each
//! test and ends with `N passed, M failed` (see `kernel/src/testing.rs`). Lines the
//! tests print themselves may come between `test NAME ... ` and its verdict, so a
//! verdict is taken from the first line after the test's start that begins with
//! `ok` or `FAILED`, or ends the start line itself.

/// The outcome of one kernel test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestResult {
    pub name: String,
    pub passed: bool,
    /// The verdict text, e.g. `ok` or `FAILED (panicked: ...)`.
    pub verdict: String,
}

/// Everything the harness reported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestLog {
    pub results: Vec<TestResult>,
    /// The closing `N passed, M failed` counts, if the kernel got that far.
    pub summary: Option<(usize, usize)>,
}

/// Parses a test kernel's serial transcript.
pub fn parse(serial: &str) -> TestLog {
    let mut log = TestLog::default();
    let mut pending: Option<String> = None;
    for line in serial.lines().map(|l| l.trim_end_matches('\r')) {
        if let Some(rest) = line.strip_prefix("test ") {
            if let Some((name, tail)) = rest.split_once(" ... ") {
                pending = Some(name.to_string());
                if let Some(result) = verdict(name, tail) {
                    log.results.push(result);
                    pending = None;
                }
                continue;
            }
        }
        if let Some(name) = &pending {
            if let Some(result) = verdict(name, line) {
                log.results.push(result);
                pending = None;
                continue;
            }
        }
        if let Some(counts) = summary(line) {
            log.summary = Some(counts);
        }
    }
    log
}

fn verdict(name: &str, text: &str) -> Option<TestResult> {
    let passed = if text.starts_with("ok") {
        true
    } else if text.starts_with("FAILED") {
        false
    } else {
        return None;
    };
    Some(TestResult {
        name: name.to_string(),
        passed,
        verdict: text.to_string(),
    })
}

fn summary(line: &str) -> Option<(usize, usize)> {
    let (passed, failed) = line.trim().split_once(" passed, ")?;
    let failed = failed.strip_suffix(" failed")?;
    Some((passed.parse().ok()?, failed.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_verdicts_summary_and_interleaved_output() {
        let serial = "BIOS noise\r\nrunning 3 tests\r\ntest a ... ok\r\n\
                      test b ... line printed by b\r\nmore\r\nFAILED (panicked: x at y:1:2)\r\n\
                      test c ... ok (panicked: boom at t.rs:3:4)\r\n2 passed, 1 failed\r\n";
        let log = parse(serial);
        assert_eq!(log.summary, Some((2, 1)));
        let names: Vec<_> = log
            .results
            .iter()
            .map(|r| (r.name.as_str(), r.passed))
            .collect();
        assert_eq!(names, [("a", true), ("b", false), ("c", true)]);
        assert_eq!(log.results[1].verdict, "FAILED (panicked: x at y:1:2)");
    }

    #[test]
    fn a_kernel_that_died_has_no_summary() {
        let log = parse("running 2 tests\ntest a ... ok\ntest b ... ");
        assert_eq!(log.summary, None);
        assert_eq!(log.results.len(), 1);
    }

    #[test]
    fn garbage_does_not_count() {
        let log = parse("test without separator\nx passed, y failed\nok\n");
        assert_eq!(log, TestLog::default());
    }
}
