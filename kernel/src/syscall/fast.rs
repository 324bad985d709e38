//! The fast path: system calls answered with interrupts off.
//!
//! Most system calls may block (a pipe, `wait4`, a page of a file), so the
//! general path (`handle`) turns interrupts on, notes that the thread is in
//! the kernel (so a kill waits for it, see `tasks/link.rs`), and on the way
//! out looks for signals to deliver. A few calls only read a word the
//! kernel already has at hand: `getpid` and `gettid` (the thread's link),
//! and the identity calls (everything runs as root). For these, all of that
//! is work for nothing, and under emulation every instruction counts
//! (`getpid` is the benchmark of the way in and out).
//!
//! So [`answer`] runs them straight from the entry, with interrupts still
//! off as `syscall` left them. Why that is safe:
//!
//! - with interrupts off on our one CPU, nothing else runs until `sysretq`:
//!   no killer can look at the thread while it is "in the kernel", so it
//!   need not say so, and no kill can be posted for it meanwhile;
//! - a signal sent while the thread ran in ring 3 was acted on when the
//!   thread came back from the interrupt that let the sender run, unless it
//!   was blocked; and any signal sent to its process raises the thread's
//!   *attention* word until its next general way out has found nothing
//!   pending. So the fast path tests that one word and, if it is set,
//!   leaves the call to the general path, which delivers;
//! - a call listed in [`call`] never blocks, takes no lock, allocates
//!   nothing and touches no user memory, so running it with interrupts off
//!   delays an interrupt by a few dozen instructions at most.

use super::{Args, Errno, identity, process};
use crate::arch::entry::InterruptFrame;

/// The calls answered with interrupts off (see the module docs), one line
/// per call: number => function (its name in the comment). `None`: not a
/// fast call. (The general path asks here too, for a fast call it answers
/// because a signal may be waiting.) A `match` rather than a table of
/// function pointers: the compiler turns it into compares and direct,
/// inlined calls, where each indirect call or jump costs a lookup under
/// emulation.
#[inline(always)]
pub fn call(number: u64, args: &Args) -> Option<Result<u64, Errno>> {
    Some(match number {
        39 => process::getpid(args),    // getpid
        102 => identity::root_id(args), // getuid
        104 => identity::root_id(args), // getgid
        107 => identity::root_id(args), // geteuid
        108 => identity::root_id(args), // getegid
        186 => process::gettid(args),   // gettid
        _ => return None,
    })
}

/// Answers the call saved in `frame` if it is a fast one and no signal may
/// be waiting for the caller (one load): true, the result is in `rax`.
/// False: the general path answers it. Runs with interrupts off.
#[inline(always)]
pub fn answer(frame: &mut InterruptFrame) -> bool {
    if crate::process::deliver::signal_may_wait() {
        return false;
    }
    let args = [
        frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9,
    ];
    let Some(result) = call(frame.rax, &args) else {
        return false;
    };
    frame.rax = super::result_word(result);
    true
}
