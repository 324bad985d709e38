//! Measures of system calls and processes: `getpid`, `sched_yield` between
//! two processes, fork+exit+wait and fork+exec+wait.

use crate::measure::Failure;
use crate::sys::{self, Ended, Forked};
use crate::tsc;
use std::sync::atomic::{AtomicU32, Ordering};

/// Cycles per `getpid`: the cheapest system call, so the cost of entering
/// and leaving the kernel.
pub fn getpid(calls: u64) -> Result<Vec<f64>, Failure> {
    let start = tsc::now();
    for _ in 0..calls {
        std::hint::black_box(sys::getpid());
    }
    Ok(vec![(tsc::now() - start) as f64 / calls as f64])
}

/// Whose turn it is in the yield ping-pong (a word in shared memory).
const PARENT: u32 = 0;
const CHILD: u32 = 1;

/// Untimed rounds before the timed ones (the child starts up meanwhile).
const WARM_ROUNDS: u64 = 10;

/// Cycles per switch when two processes take turns through a flag in
/// `MAP_SHARED` memory, each calling `sched_yield` while it is not its turn:
/// every round is two switches (parent to child and back).
pub fn yield_pingpong(rounds: u64) -> Result<Vec<f64>, Failure> {
    let page = sys::Mapping::anonymous(4096, true)?;
    // SAFETY: the page is mapped, zeroed (PARENT), aligned, and lives until
    // the end of this function; both processes use it only atomically.
    let turn = unsafe { AtomicU32::from_ptr(page.as_ptr().cast()) };
    let total = WARM_ROUNDS + rounds;
    let child = match sys::fork()? {
        Forked::Child => {
            for _ in 0..total {
                while turn.load(Ordering::Acquire) != CHILD {
                    if sys::sched_yield().is_err() {
                        sys::exit_now(1);
                    }
                }
                turn.store(PARENT, Ordering::Release);
            }
            sys::exit_now(0);
        }
        Forked::Parent { child } => child,
    };
    let mut start = 0;
    for round in 0..total {
        if round == WARM_ROUNDS {
            start = tsc::now();
        }
        turn.store(CHILD, Ordering::Release);
        let mut spins = 0u32;
        while turn.load(Ordering::Acquire) != PARENT {
            sys::sched_yield()?;
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(1024) && sys::try_wait(child)?.is_some() {
                return Err(Failure::Failed("the child ended early".into()));
            }
        }
    }
    let cycles = tsc::now() - start;
    expect_success(sys::wait(child)?, "the child")?;
    Ok(vec![cycles as f64 / (2 * rounds) as f64])
}

/// Cycles per fork+exit+wait: the child calls `_exit(0)` at once, the parent
/// waits for it.
pub fn fork_exit_wait(forks: u64) -> Result<Vec<f64>, Failure> {
    let start = tsc::now();
    for _ in 0..forks {
        match sys::fork()? {
            Forked::Child => sys::exit_now(0),
            Forked::Parent { child } => expect_success(sys::wait(child)?, "the child")?,
        }
    }
    Ok(vec![(tsc::now() - start) as f64 / forks as f64])
}

/// A child whose `execve` failed exits with this plus the errno.
const EXEC_FAILED: i32 = 128;

/// Cycles per fork+exec+wait: the child executes `program` (a tiny static
/// program that only exits), the parent waits for it.
pub fn fork_exec_wait(program: &str, execs: u64) -> Result<Vec<f64>, Failure> {
    let start = tsc::now();
    for _ in 0..execs {
        match sys::fork()? {
            Forked::Child => {
                let error = sys::execve(program);
                sys::exit_now(EXEC_FAILED + error.errno.min(127));
            }
            Forked::Parent { child } => match sys::wait(child)? {
                Ended::Exited(status) if status > EXEC_FAILED => {
                    let errno = status - EXEC_FAILED;
                    let error = sys::SysError {
                        call: "execve",
                        errno,
                    };
                    return Err(if errno == libc::ENOSYS {
                        Failure::Unsupported(error)
                    } else {
                        Failure::Failed(format!("{error} of {program}"))
                    });
                }
                ended => expect_success(ended, program)?,
            },
        }
    }
    Ok(vec![(tsc::now() - start) as f64 / execs as f64])
}

/// Turns anything but a clean exit of `who` into a failure.
pub fn expect_success(ended: Ended, who: &str) -> Result<(), Failure> {
    match ended {
        Ended::Exited(0) => Ok(()),
        Ended::Exited(status) => Err(Failure::Failed(format!("{who} exited with {status}"))),
        Ended::Killed(signal) => Err(Failure::Failed(format!(
            "{who} was killed by signal {signal}"
        ))),
    }
}
