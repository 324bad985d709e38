//! Time: clock_gettime, clock_getres, gettimeofday, nanosleep,
//! clock_nanosleep, sched_yield.

use crate::check::Checker;
use crate::raw::{KERNEL, NULL, mut_ptr, ptr, sys};
use libc::{
    CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME,
    CLOCK_REALTIME_COARSE, EFAULT, EINVAL, SYS_clock_getres, SYS_clock_gettime,
    SYS_clock_nanosleep, SYS_gettimeofday, SYS_nanosleep, SYS_sched_yield, TIMER_ABSTIME,
};

/// 2020-01-01 00:00:00 UTC.
const YEAR_2020: i64 = 1_577_836_800;

fn now(c: &mut Checker, clock: i32) -> i128 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    c.ok(
        "clock_gettime",
        sys(SYS_clock_gettime, &[clock as u64, mut_ptr(&mut t)]),
    );
    c.check(
        "tv_nsec below 10^9",
        (0..1_000_000_000).contains(&t.tv_nsec),
        t.tv_nsec,
    );
    i128::from(t.tv_sec) * 1_000_000_000 + i128::from(t.tv_nsec)
}

pub fn checks(c: &mut Checker) {
    for clock in [
        CLOCK_REALTIME,
        CLOCK_MONOTONIC,
        CLOCK_MONOTONIC_RAW,
        CLOCK_REALTIME_COARSE,
        CLOCK_MONOTONIC_COARSE,
        CLOCK_BOOTTIME,
    ] {
        now(c, clock);
    }
    let real = now(c, CLOCK_REALTIME);
    c.check(
        "the real time is after 2020",
        real / 1_000_000_000 > i128::from(YEAR_2020),
        real,
    );
    let (a, b) = (now(c, CLOCK_MONOTONIC), now(c, CLOCK_MONOTONIC));
    c.check("the monotonic clock does not go back", b >= a, (a, b));
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    c.fails(
        "clock_gettime(clock 42)",
        sys(SYS_clock_gettime, &[42, mut_ptr(&mut t)]),
        EINVAL,
    );
    c.fails(
        "clock_gettime(NULL)",
        sys(SYS_clock_gettime, &[CLOCK_MONOTONIC as u64, NULL]),
        EFAULT,
    );
    c.fails(
        "clock_gettime(kernel address)",
        sys(SYS_clock_gettime, &[CLOCK_MONOTONIC as u64, KERNEL]),
        EFAULT,
    );
    c.ok(
        "clock_getres(MONOTONIC, NULL)",
        sys(SYS_clock_getres, &[CLOCK_MONOTONIC as u64, NULL]),
    );
    c.fails(
        "clock_getres(clock 42)",
        sys(SYS_clock_getres, &[42, NULL]),
        EINVAL,
    );

    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    c.ok(
        "gettimeofday",
        sys(SYS_gettimeofday, &[mut_ptr(&mut tv), NULL]),
    );
    let diff = (i128::from(tv.tv_sec) - real / 1_000_000_000).abs();
    c.check("gettimeofday agrees with CLOCK_REALTIME", diff <= 10, diff);
    c.check(
        "tv_usec below 10^6",
        (0..1_000_000).contains(&tv.tv_usec),
        tv.tv_usec,
    );
    c.ok(
        "gettimeofday(NULL, NULL)",
        sys(SYS_gettimeofday, &[NULL, NULL]),
    );
    c.fails(
        "gettimeofday(kernel address)",
        sys(SYS_gettimeofday, &[KERNEL, NULL]),
        EFAULT,
    );

    let before = now(c, CLOCK_MONOTONIC);
    let ten_ms = libc::timespec {
        tv_sec: 0,
        tv_nsec: 10_000_000,
    };
    c.equal(
        "nanosleep(10 ms)",
        sys(SYS_nanosleep, &[ptr(&ten_ms), NULL]),
        Ok(0),
    );
    let slept = now(c, CLOCK_MONOTONIC) - before;
    c.check("nanosleep slept 10 ms", slept >= 10_000_000, slept);
    for (what, bad) in [
        ("tv_nsec = 10^9", (0, 1_000_000_000)),
        ("tv_nsec < 0", (0, -1)),
        ("tv_sec < 0", (-1, 0)),
    ] {
        let t = libc::timespec {
            tv_sec: bad.0,
            tv_nsec: bad.1,
        };
        c.fails(
            &format!("nanosleep({what})"),
            sys(SYS_nanosleep, &[ptr(&t), NULL]),
            EINVAL,
        );
    }
    c.fails("nanosleep(NULL)", sys(SYS_nanosleep, &[NULL, NULL]), EFAULT);

    let target = now(c, CLOCK_MONOTONIC) + 5_000_000;
    let at = libc::timespec {
        tv_sec: (target / 1_000_000_000) as i64,
        tv_nsec: (target % 1_000_000_000) as i64,
    };
    c.equal(
        "clock_nanosleep(MONOTONIC, TIMER_ABSTIME)",
        sys(
            SYS_clock_nanosleep,
            &[CLOCK_MONOTONIC as u64, TIMER_ABSTIME as u64, ptr(&at), NULL],
        ),
        Ok(0),
    );
    let woke = now(c, CLOCK_MONOTONIC);
    c.check(
        "clock_nanosleep woke after its deadline",
        woke >= target,
        (woke, target),
    );
    c.equal(
        "clock_nanosleep(MONOTONIC, 1 ms)",
        sys(
            SYS_clock_nanosleep,
            &[
                CLOCK_MONOTONIC as u64,
                0,
                ptr(&libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 1_000_000,
                }),
                NULL,
            ],
        ),
        Ok(0),
    );
    c.fails(
        "clock_nanosleep(clock 42)",
        sys(SYS_clock_nanosleep, &[42, 0, ptr(&ten_ms), NULL]),
        EINVAL,
    );
    c.equal("sched_yield", sys(SYS_sched_yield, &[]), Ok(0));
}
