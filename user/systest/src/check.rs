//! Counting checks and reporting the failed ones.

use crate::raw::Answer;
use std::fmt::Debug;

pub struct Checker {
    /// The area whose checks run now (named in failure lines).
    pub area: &'static str,
    /// Where `motd` is.
    pub data_dir: String,
    /// Where the `vfs` area makes its work directory: the system's
    /// temporary directory unless `systest DATA_DIR AREA WORK_DIR` names
    /// another (`tests/ext2_root.rs` gives one on the ext2 disk).
    pub work_dir: String,
    /// Whether we run on Kestrel (`uname`'s system name).
    pub on_kestrel: bool,
    passed: u32,
    failed: u32,
}

/// An errno's name, for messages.
pub fn errno_name(errno: i32) -> String {
    let name = match errno {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EBADF => "EBADF",
        libc::EFAULT => "EFAULT",
        libc::EEXIST => "EEXIST",
        libc::ENOTDIR => "ENOTDIR",
        libc::EISDIR => "EISDIR",
        libc::EINVAL => "EINVAL",
        libc::EMFILE => "EMFILE",
        libc::ENOTTY => "ENOTTY",
        libc::ESPIPE => "ESPIPE",
        libc::EROFS => "EROFS",
        libc::ENAMETOOLONG => "ENAMETOOLONG",
        libc::ENOSYS => "ENOSYS",
        libc::ENXIO => "ENXIO",
        libc::EPIPE => "EPIPE",
        libc::EAGAIN => "EAGAIN",
        libc::EINTR => "EINTR",
        libc::ETIMEDOUT => "ETIMEDOUT",
        _ => return format!("errno {errno}"),
    };
    name.to_string()
}

impl Checker {
    pub fn new(data_dir: String) -> Checker {
        let mut name: libc::utsname = unsafe_zeroed_utsname();
        // SAFETY: `name` is a valid, writable `struct utsname`.
        let on_kestrel = unsafe { libc::uname(&mut name) } == 0
            && name
                .sysname
                .starts_with(&[b'K' as libc::c_char, b'e' as libc::c_char]);
        Checker {
            area: "",
            data_dir,
            work_dir: std::env::temp_dir().to_string_lossy().into_owned(),
            on_kestrel,
            passed: 0,
            failed: 0,
        }
    }

    /// The path of `name` in the data directory.
    pub fn data(&self, name: &str) -> String {
        format!("{}/{name}", self.data_dir)
    }

    /// Records one check: `good`, or a failure described by `what` and `detail`.
    pub fn check(&mut self, what: &str, good: bool, detail: impl Debug) {
        if good {
            self.passed += 1;
        } else {
            self.failed += 1;
            println!("systest: FAIL {}: {what}: {detail:?}", self.area);
        }
    }

    /// Checks that a call succeeded with `expected`.
    pub fn equal<T: PartialEq + Debug>(&mut self, what: &str, got: T, expected: T) {
        let good = got == expected;
        self.check(what, good, format_args!("got {got:?}, want {expected:?}"));
    }

    /// Checks that a call succeeded, and returns its value.
    pub fn ok(&mut self, what: &str, answer: Answer) -> i64 {
        match answer {
            Ok(value) => {
                self.check(what, true, ());
                value
            }
            Err(errno) => {
                self.check(
                    what,
                    false,
                    format_args!("failed with {}", errno_name(errno)),
                );
                -1
            }
        }
    }

    /// Checks that a call failed with `errno`.
    pub fn fails(&mut self, what: &str, answer: Answer, errno: i32) {
        let good = answer == Err(errno);
        let got = match answer {
            Ok(value) => format!("success {value}"),
            Err(e) => errno_name(e),
        };
        self.check(
            what,
            good,
            format_args!("got {got}, want {}", errno_name(errno)),
        );
    }

    /// Prints the summary; returns the exit status.
    pub fn finish(&self) -> i32 {
        let total = self.passed + self.failed;
        if self.failed == 0 {
            println!("systest: {total} checks passed");
            0
        } else {
            println!("systest: {} of {total} checks failed", self.failed);
            1
        }
    }
}

fn unsafe_zeroed_utsname() -> libc::utsname {
    // SAFETY: `struct utsname` is arrays of C chars, for which all zeros is valid.
    unsafe { std::mem::zeroed() }
}
