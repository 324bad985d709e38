//! Time and scheduling calls: `clock_gettime`, `clock_getres`,
//! `gettimeofday`, `time`, `nanosleep`, `clock_nanosleep`, `sched_yield`.
//!
//! Two clocks underlie every clock id:
//! - *monotonic*: nanoseconds since the kernel started, from the TSC
//!   (`time::now_ns`). `CLOCK_MONOTONIC`, `_RAW`, `_COARSE` and
//!   `CLOCK_BOOTTIME` all read it (nothing suspends, so boot time and
//!   monotonic time agree);
//! - *real* (wall-clock) time: the CMOS real-time clock's reading, taken the
//!   first time it is asked for, plus the monotonic time since.
//!   `CLOCK_REALTIME`, `_COARSE`, `gettimeofday` and `time` read it.
//!
//! Other ids (the CPU-time clocks, the alarm clocks, numbers Linux does not
//! have) are `-EINVAL`. A `timespec` whose nanoseconds are outside
//! `0..1_000_000_000` or whose seconds are negative is `-EINVAL`.
//!
//! Sleeping (`nanosleep`, `clock_nanosleep`, with `TIMER_ABSTIME` too)
//! blocks the thread until the deadline: the CPU runs others meanwhile. A
//! signal for the caller interrupts it: the remaining time is written (for
//! a relative sleep) and the call ends with `EINTR` if a handler runs,
//! even with `SA_RESTART`. Otherwise (a stop and continue, a signal
//! dropped) it goes on to the same deadline (`restart.rs`).

use super::{Args, Errno, restart, user_memory};
use crate::process::signal;
use crate::process::signals::Resume;
use crate::tasks::thread;
use crate::time::now_ns;
use linux_raw_sys::errno::EINVAL;
use linux_raw_sys::general::{
    CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME,
    CLOCK_REALTIME_COARSE, TIMER_ABSTIME,
};
use spin::Once;

const NS_PER_S: u64 = 1_000_000_000;

/// Which of the two clocks a clock id reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Clock {
    Monotonic,
    Real,
}

fn clock(id: u64) -> Result<Clock, Errno> {
    // `clockid_t` is an `int`: only the low 32 bits count.
    match id as u32 {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE => Ok(Clock::Real),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => {
            Ok(Clock::Monotonic)
        }
        _ => Err(Errno(EINVAL)),
    }
}

/// Nanoseconds since the Unix epoch at the kernel's start, from the RTC.
fn epoch_at_start() -> u64 {
    static AT_START: Once<u64> = Once::new();
    *AT_START.call_once(|| {
        let now = now_ns();
        let rtc = crate::drivers::rtc::unix_seconds().unwrap_or(0);
        (rtc * NS_PER_S).saturating_sub(now)
    })
}

/// The monotonic time (`now_ns`) of real time `real` (for absolute
/// timeouts on `CLOCK_REALTIME`).
pub fn monotonic_of_real(real: u64) -> u64 {
    real.saturating_sub(epoch_at_start())
}

fn read(clock: Clock) -> u64 {
    match clock {
        Clock::Monotonic => now_ns(),
        Clock::Real => epoch_at_start() + now_ns(),
    }
}

/// `ns` as a `struct timespec` (or, with `micro`, a `struct timeval`).
fn split(ns: u64, micro: bool) -> [u8; 16] {
    let fraction = ns % NS_PER_S;
    let fraction = if micro { fraction / 1000 } else { fraction };
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&(ns / NS_PER_S).to_le_bytes());
    out[8..].copy_from_slice(&fraction.to_le_bytes());
    out
}

/// Reads a `struct timespec` from user memory as nanoseconds (saturating).
pub fn read_timespec(address: u64) -> Result<u64, Errno> {
    let mut raw = [0u8; 16];
    user_memory::copy_from_user(&mut raw, address)?;
    let seconds = i64::from_le_bytes(raw[..8].try_into().unwrap_or_default());
    let nanos = i64::from_le_bytes(raw[8..].try_into().unwrap_or_default());
    if seconds < 0 || !(0..NS_PER_S as i64).contains(&nanos) {
        return Err(Errno(EINVAL));
    }
    Ok((seconds as u64)
        .saturating_mul(NS_PER_S)
        .saturating_add(nanos as u64))
}

/// `clock_gettime(id, tp)`.
pub fn clock_gettime(args: &Args) -> Result<u64, Errno> {
    let clock = clock(args[0])?;
    user_memory::copy_to_user(args[1], &split(read(clock), false))?;
    Ok(0)
}

/// `clock_getres(id, res)`: 1 ns (the TSC is finer); `res` may be NULL.
pub fn clock_getres(args: &Args) -> Result<u64, Errno> {
    clock(args[0])?;
    if args[1] != 0 {
        user_memory::copy_to_user(args[1], &split(1, false))?;
    }
    Ok(0)
}

/// `gettimeofday(tv, tz)`: either may be NULL; the time zone is UTC.
pub fn gettimeofday(args: &Args) -> Result<u64, Errno> {
    let [tv, tz, ..] = *args;
    if tv != 0 {
        user_memory::copy_to_user(tv, &split(read(Clock::Real), true))?;
    }
    if tz != 0 {
        user_memory::copy_to_user(tz, &[0u8; 8])?;
    }
    Ok(0)
}

/// `time(tloc)`: the real time in whole seconds, also stored at `tloc`
/// unless it is NULL (glibc calls it when the program has no vDSO, as on
/// Kestrel; busybox's `ls -l` compares file times with it).
pub fn time(args: &Args) -> Result<u64, Errno> {
    let seconds = read(Clock::Real) / NS_PER_S;
    if args[0] != 0 {
        user_memory::copy_to_user(args[0], &seconds.to_le_bytes())?;
    }
    Ok(seconds)
}

/// `nanosleep(req, rem)`.
pub fn nanosleep(args: &Args) -> Result<u64, Errno> {
    let duration = read_timespec(args[0])?;
    sleep_relative(now_ns().saturating_add(duration), args[1])
}

/// Sleeps until `deadline` (monotonic), a time counted from the call; if a
/// signal interrupts, writes the time left at `remaining` (unless NULL),
/// and goes on to the same deadline if restarted (`restart.rs`).
pub fn sleep_relative(deadline: u64, remaining: u64) -> Result<u64, Errno> {
    if signal::sleep_interruptible(deadline).is_ok() {
        return Ok(0);
    }
    if remaining != 0 {
        let left = deadline.saturating_sub(now_ns());
        user_memory::copy_to_user(remaining, &split(left, false))?;
    }
    Err(restart::later(Resume::Sleep {
        deadline,
        remaining,
    }))
}

/// Writes the time from now to `deadline` (0 once past) as a `timespec` at
/// `address`, as `ppoll` and `pselect6` do with their timeout; a bad
/// address is not an error there (the result stands).
pub fn write_time_left(address: u64, deadline: u64) {
    let left = deadline.saturating_sub(now_ns());
    let _ = user_memory::copy_to_user(address, &split(left, false));
}

/// `clock_nanosleep(id, flags, req, rem)`.
pub fn clock_nanosleep(args: &Args) -> Result<u64, Errno> {
    let [id, flags, request, remaining, ..] = *args;
    let clock = clock(id)?;
    let time = read_timespec(request)?;
    let absolute = flags as u32 & TIMER_ABSTIME != 0;
    let deadline = match (absolute, clock) {
        (false, _) => now_ns().saturating_add(time),
        (true, Clock::Monotonic) => time,
        (true, Clock::Real) => time.saturating_sub(epoch_at_start()),
    };
    if !absolute {
        return sleep_relative(deadline, remaining);
    }
    // (Restarted as it is: the deadline is in the arguments.)
    signal::sleep_interruptible(deadline).map_err(|_| Errno::ERESTARTNOHAND)?;
    Ok(0)
}

/// `sched_yield()`.
pub fn sched_yield(_: &Args) -> Result<u64, Errno> {
    thread::yield_now();
    Ok(0)
}
