//! Boot options: a few words the runner hands the kernel at boot.
//!
//! A kernel often needs to be told something before anything else runs: which
//! program is the first process, or that the user wants a debugging console
//! instead. Kestrel gets one line of text for that (from QEMU's fw_cfg
//! device, see the kernel's `drivers/fw_cfg.rs`); this crate reads it. Words
//! are separated by spaces, tabs or newlines:
//!
//! - `monitor`: boot to the kernel monitor (the kernel shell), not to init;
//! - `init=/path`: the first process is `/path` instead of `/sbin/init`;
//! - `--`: the words after it are init's arguments, not options (as on
//!   Linux): `init=/bin/memtest -- use-after-munmap` runs init as
//!   `["/bin/memtest", "use-after-munmap"]`.
//!
//! Anything else is a [`Problem`] handed to the caller to report; the word
//! is ignored and the others still count. A line that is not text at all
//! is reported and ignored too: a typo in a boot option must never stop the
//! boot.
#![no_std]
#![forbid(unsafe_code)]

use core::fmt;

/// The longest path `init=` may give (Linux's `PATH_MAX`).
pub const MAX_PATH: usize = 4096;

/// What the options ask for; the defaults when they say nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options<'a> {
    /// Start the kernel monitor instead of init.
    pub monitor: bool,
    /// The first process's program, if not `/sbin/init`.
    pub init: Option<&'a str>,
    /// The text after `--` (empty without one): init's arguments, see
    /// [`Options::init_args`].
    pub init_text: &'a str,
}

impl<'a> Options<'a> {
    /// The arguments init gets after its path: the words after `--`.
    pub fn init_args(&self) -> impl Iterator<Item = &'a str> + 'a {
        words(self.init_text)
    }
}

/// A word that was ignored, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem<'a> {
    /// The options are not UTF-8 text (all of them are ignored).
    NotText,
    /// A word this parser does not know.
    Unknown(&'a str),
    /// `init=` with an empty path, a relative one, or one too long.
    BadInit(&'a str),
    /// `monitor` with a value (`monitor=...`): it takes none.
    MonitorTakesNoValue(&'a str),
    /// A second `init=`: the last one counts.
    InitAgain(&'a str),
}

impl fmt::Display for Problem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Problem::NotText => f.write_str("the boot options are not text; all are ignored"),
            Problem::Unknown(word) => write!(
                f,
                "unknown boot option `{}` ignored (known: monitor, init=/path, -- ARGS)",
                Shown(word)
            ),
            Problem::BadInit(word) => write!(
                f,
                "`{}` ignored: init= needs an absolute path (like init=/sbin/init)",
                Shown(word)
            ),
            Problem::MonitorTakesNoValue(word) => {
                write!(f, "`{}` ignored: monitor takes no value", Shown(word))
            }
            Problem::InitAgain(word) => {
                write!(f, "init= given more than once; `{}` counts", Shown(word))
            }
        }
    }
}

/// A word as it is safe to print: control characters as `?`, at most 64
/// characters (a pasted page of garbage is one short line in the log).
struct Shown<'a>(&'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        const MOST: usize = 64;
        for (i, c) in self.0.chars().enumerate() {
            if i == MOST {
                return f.write_str("...");
            }
            let c = if c.is_control() { '?' } else { c };
            fmt::Write::write_char(f, c)?;
        }
        Ok(())
    }
}

/// Reads the options in `text`, calling `report` for each word it ignores.
pub fn parse<'a>(text: &'a [u8], mut report: impl FnMut(Problem<'a>)) -> Options<'a> {
    let mut options = Options::default();
    // A C string may end in NUL bytes: they are not part of the options.
    let end = text.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let Ok(text) = core::str::from_utf8(&text[..end]) else {
        report(Problem::NotText);
        return options;
    };
    let (text, init_text) = split_at_dashes(text);
    options.init_text = init_text;
    for word in words(text) {
        match word.split_once('=') {
            None if word == "monitor" => options.monitor = true,
            Some(("monitor", _)) => report(Problem::MonitorTakesNoValue(word)),
            Some(("init", path)) if is_absolute_path(path) => {
                if options.init.is_some() {
                    report(Problem::InitAgain(word));
                }
                options.init = Some(path);
            }
            Some(("init", _)) => report(Problem::BadInit(word)),
            _ => report(Problem::Unknown(word)),
        }
    }
    options
}

/// The words of `text` (separated by ASCII white space).
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_ascii_whitespace())
        .filter(|word| !word.is_empty())
}

/// `text` before the first word `--`, and the text after it (empty if
/// there is none).
fn split_at_dashes(text: &str) -> (&str, &str) {
    for word in words(text) {
        if word == "--" {
            // `word` is a slice of `text`: its offset there is the
            // distance between their starts.
            let at = word.as_ptr() as usize - text.as_ptr() as usize;
            return (&text[..at], &text[at + 2..]);
        }
    }
    (text, "")
}

/// Starts with `/`, holds no NUL byte and fits in [`MAX_PATH`].
fn is_absolute_path(path: &str) -> bool {
    path.starts_with('/') && path.len() < MAX_PATH && !path.contains('\0')
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::{String, ToString};
    use std::vec::Vec;

    /// The options and the problems, as text.
    fn run(text: &[u8]) -> (Options<'_>, Vec<String>) {
        let mut problems = Vec::new();
        let options = parse(text, |p| problems.push(p.to_string()));
        (options, problems)
    }

    #[test]
    fn nothing_means_the_defaults() {
        assert_eq!(run(b""), (Options::default(), Vec::new()));
        assert_eq!(run(b"  \n\t \0\0"), (Options::default(), Vec::new()));
    }

    #[test]
    fn monitor_and_init_are_read() {
        let (options, problems) = run(b"monitor init=/bin/echo\0");
        assert!(problems.is_empty(), "{problems:?}");
        assert!(options.monitor);
        assert_eq!(options.init, Some("/bin/echo"));
        let (options, _) = run(b"\tinit=/sbin/other\n");
        assert!(!options.monitor);
        assert_eq!(options.init, Some("/sbin/other"));
    }

    #[test]
    fn bad_words_are_reported_and_the_rest_still_counts() {
        let (options, problems) = run(b"quiet init=bin/sh monitor=yes init= monitor");
        assert!(options.monitor);
        assert_eq!(options.init, None);
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].contains("unknown boot option `quiet`"));
        assert!(problems[1].contains("`init=bin/sh` ignored"));
        assert!(problems[2].contains("monitor takes no value"));
        assert!(problems[3].contains("`init=` ignored"));
    }

    #[test]
    fn the_words_after_dashes_are_inits_arguments() {
        let (options, problems) = run(b"init=/bin/memtest -- use-after-munmap  x=1 monitor\0");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(options.init, Some("/bin/memtest"));
        assert!(!options.monitor, "`monitor` after `--` is an argument");
        let args: Vec<&str> = options.init_args().collect();
        assert_eq!(args, ["use-after-munmap", "x=1", "monitor"]);
        // Only a whole word `--` counts, and only the first one.
        let (options, problems) = run(b"--x monitor -- -- a");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(options.monitor);
        assert_eq!(options.init_args().collect::<Vec<_>>(), ["--", "a"]);
        let (options, _) = run(b"monitor --");
        assert_eq!(options.init_args().count(), 0);
        assert_eq!(run(b"monitor").0.init_args().count(), 0);
    }

    #[test]
    fn the_last_init_counts() {
        let (options, problems) = run(b"init=/a init=/b");
        assert_eq!(options.init, Some("/b"));
        assert_eq!(problems, ["init= given more than once; `init=/b` counts"]);
    }

    #[test]
    fn bytes_that_are_not_text_are_one_problem() {
        let (options, problems) = run(b"monitor \xff\xfe");
        assert_eq!(options, Options::default());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("not text"));
    }

    #[test]
    fn reports_are_short_and_printable() {
        let mut word = String::from("x\x1b[2J");
        word.push_str(&"y".repeat(500));
        let (_, problems) = run(word.as_bytes());
        assert_eq!(problems.len(), 1);
        assert!(!problems[0].contains('\x1b'), "{:?}", problems[0]);
        assert!(problems[0].len() < 200, "{}", problems[0].len());
    }

    #[test]
    fn a_long_path_is_refused() {
        let long = std::format!("init=/{}", "a".repeat(MAX_PATH));
        let (options, problems) = run(long.as_bytes());
        assert_eq!(options.init, None);
        assert_eq!(problems.len(), 1);
    }

    /// Random bytes, and random mixes of real and bad words: never a panic,
    /// and every word that is not a known option is reported once.
    #[test]
    fn random_input_never_panics_and_every_bad_word_is_reported() {
        let mut random = xorshift::XorShift64(0x5eed_b007);
        let words: [&[u8]; 8] = [
            b"monitor",
            b"init=/sbin/init",
            b"init=x",
            b"monitor=1",
            b"=",
            b"init==/",
            b"\xc3",
            b"\0",
        ];
        for _ in 0..2000 {
            let mut text = Vec::new();
            for _ in 0..random.below(6) {
                if random.below(4) == 0 {
                    text.push(random.next() as u8);
                } else {
                    text.extend_from_slice(words[random.below(words.len())]);
                }
                text.push(b' ');
            }
            let mut problems = 0;
            let options = parse(&text, |_| problems += 1);
            let Ok(valid) = core::str::from_utf8(&text) else {
                // Trailing NULs are trimmed first; otherwise one report.
                assert_eq!(problems, 1);
                continue;
            };
            let mut known = 0;
            let mut words = 0;
            for word in valid
                .trim_end_matches('\0')
                .split(|c: char| c.is_ascii_whitespace())
            {
                if word.is_empty() {
                    continue;
                }
                words += 1;
                known += usize::from(word == "monitor" || word == "init=/sbin/init");
            }
            let inits = valid.matches("init=/sbin/init").count();
            let again = inits.saturating_sub(1);
            assert_eq!(problems, words - known + again, "{valid:?}");
            assert_eq!(
                options.monitor,
                valid.split_ascii_whitespace().any(|w| w == "monitor")
            );
        }
    }
}
