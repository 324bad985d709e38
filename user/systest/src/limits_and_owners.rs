//! What busybox asks for besides the rest: time, resource limits
//! (prlimit64, getrlimit, setrlimit) and owners (chown and its variants).

use crate::check::Checker;
use crate::raw::{KERNEL, NULL, c_string, mut_ptr, ptr, sys};
use libc::{
    AT_FDCWD, EBADF, EFAULT, EINVAL, ENOENT, O_RDONLY, RLIMIT_NOFILE, RLIMIT_STACK, SYS_chown,
    SYS_close, SYS_fchown, SYS_fchownat, SYS_getrlimit, SYS_lchown, SYS_open, SYS_prlimit64,
    SYS_setrlimit, SYS_time,
};

/// 2020-01-01 00:00:00 UTC.
const YEAR_2020: i64 = 1_577_836_800;
/// -1 as a 32-bit id: "leave it as it is".
const UNCHANGED: u64 = u32::MAX as u64;

pub fn checks(c: &mut Checker) {
    time(c);
    limits(c);
    owners(c);
}

fn time(c: &mut Checker) {
    let now = c.ok("time(NULL)", sys(SYS_time, &[NULL]));
    c.check("time is after 2020", now > YEAR_2020, now);
    let mut stored: i64 = 0;
    let again = c.ok("time(&t)", sys(SYS_time, &[mut_ptr(&mut stored)]));
    c.equal("time stores what it returns", stored, again);
    c.check("time does not go back", again >= now, (now, again));
    c.fails("time(kernel address)", sys(SYS_time, &[KERNEL]), EFAULT);
}

fn limits(c: &mut Checker) {
    let mut old = [0u64; 2];
    c.ok(
        "prlimit64(0, RLIMIT_STACK, NULL, &old)",
        sys(
            SYS_prlimit64,
            &[0, RLIMIT_STACK as u64, NULL, mut_ptr(old.as_mut_ptr())],
        ),
    );
    c.check(
        "stack: 0 < soft <= hard",
        0 < old[0] && old[0] <= old[1],
        old,
    );
    let mut got = [0u64; 2];
    c.ok(
        "getrlimit(RLIMIT_STACK)",
        sys(
            SYS_getrlimit,
            &[RLIMIT_STACK as u64, mut_ptr(got.as_mut_ptr())],
        ),
    );
    c.equal("getrlimit = prlimit64", got, old);
    c.ok(
        "getrlimit(RLIMIT_NOFILE)",
        sys(
            SYS_getrlimit,
            &[RLIMIT_NOFILE as u64, mut_ptr(got.as_mut_ptr())],
        ),
    );
    c.check(
        "descriptors: 64 <= soft <= hard",
        64 <= got[0] && got[0] <= got[1],
        got,
    );
    c.ok(
        "setrlimit to the limit it has",
        sys(SYS_setrlimit, &[RLIMIT_NOFILE as u64, ptr(got.as_ptr())]),
    );
    let inverted = [2u64, 1];
    c.fails(
        "setrlimit soft above hard",
        sys(
            SYS_setrlimit,
            &[RLIMIT_NOFILE as u64, ptr(inverted.as_ptr())],
        ),
        EINVAL,
    );
    c.fails(
        "prlimit64 resource 999",
        sys(SYS_prlimit64, &[0, 999, NULL, mut_ptr(old.as_mut_ptr())]),
        EINVAL,
    );
    c.fails(
        "getrlimit(kernel address)",
        sys(SYS_getrlimit, &[RLIMIT_STACK as u64, KERNEL]),
        EFAULT,
    );
}

fn owners(c: &mut Checker) {
    let motd = c_string(&c.data("motd"));
    let fd = c.ok(
        "open motd",
        sys(SYS_open, &[ptr(motd.as_ptr()), O_RDONLY as u64]),
    );
    let fd = fd as u64;
    c.ok(
        "fchown(fd, -1, -1)",
        sys(SYS_fchown, &[fd, UNCHANGED, UNCHANGED]),
    );
    c.ok(
        "chown(motd, -1, -1)",
        sys(SYS_chown, &[ptr(motd.as_ptr()), UNCHANGED, UNCHANGED]),
    );
    c.ok(
        "lchown(motd, -1, -1)",
        sys(SYS_lchown, &[ptr(motd.as_ptr()), UNCHANGED, UNCHANGED]),
    );
    let cwd = AT_FDCWD as u64;
    c.ok(
        "fchownat(AT_FDCWD, motd, -1, -1, 0)",
        sys(
            SYS_fchownat,
            &[cwd, ptr(motd.as_ptr()), UNCHANGED, UNCHANGED, 0],
        ),
    );
    c.fails(
        "fchownat with an unknown flag",
        sys(
            SYS_fchownat,
            &[cwd, ptr(motd.as_ptr()), UNCHANGED, UNCHANGED, 0x8000_0000],
        ),
        EINVAL,
    );
    c.ok("close motd", sys(SYS_close, &[fd]));
    c.fails(
        "fchown(closed fd)",
        sys(SYS_fchown, &[fd, UNCHANGED, UNCHANGED]),
        EBADF,
    );
    let missing = c_string("/nothing/here");
    c.fails(
        "chown(missing file)",
        sys(SYS_chown, &[ptr(missing.as_ptr()), UNCHANGED, UNCHANGED]),
        ENOENT,
    );
    c.fails(
        "chown(NULL)",
        sys(SYS_chown, &[NULL, UNCHANGED, UNCHANGED]),
        EFAULT,
    );
}
