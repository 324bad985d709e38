//! Stop and continue: SIGSTOP and SIGTSTP stop a child, SIGCONT continues
//! it, and `wait4` reports each change once, with Linux's status words
//! (`WUNTRACED`: `0x7f | signal << 8`; `WCONTINUED`: `0xffff`).
//!
//! The child spins in user space (it never makes a system call while it
//! is stopped or running), so the stop must reach a thread that computes.

use crate::check::Checker;
use crate::raw::{self, NULL, mut_ptr, sys};
use libc::{
    SIG_SETMASK, SIGCONT, SIGKILL, SIGSTOP, SIGTERM, SIGTSTP, SYS_kill, SYS_rt_sigprocmask,
    SYS_setpgid, SYS_wait4, WCONTINUED, WNOHANG, WUNTRACED,
};

/// `wait4(pid, &status, options)`: the pid it returned and the status word.
fn wait(pid: u64, options: i32) -> Result<(i64, i32), i32> {
    let mut status = 0i32;
    sys(
        SYS_wait4,
        &[pid, mut_ptr(&mut status), options as u64, NULL],
    )
    .map(|p| (p, status))
}

fn kill(pid: u64, signal: i32) -> raw::Answer {
    sys(SYS_kill, &[pid, signal as u64])
}

/// A child that unblocks every signal (it inherits its parent's mask) and
/// spins until it is killed, in a process group of its own.
///
/// The group matters on Linux: SIGTSTP to a process of an *orphaned*
/// group (no member has a parent in another group of the same session,
/// as when the tests run under a non-interactive shell in CI) is thrown
/// away, so the stop would never come. A group of its own, whose parent
/// (this program) is in another group of the same session, is not
/// orphaned. Both sides set it, so it holds before the first `kill`.
fn spinner() -> Option<u64> {
    let child = raw::spawn(|| {
        let _ = sys(SYS_setpgid, &[0, 0]);
        let none = 0u64;
        let _ = sys(
            SYS_rt_sigprocmask,
            &[SIG_SETMASK as u64, raw::ptr(&none), NULL, 8],
        );
        loop {
            std::hint::spin_loop();
        }
    })
    .ok()?;
    let _ = sys(SYS_setpgid, &[child, child]);
    Some(child)
}

pub fn checks(c: &mut Checker) {
    let Some(child) = spinner() else {
        c.check("fork a spinning child", false, "fork failed");
        return;
    };
    let pid = child as i64;
    c.ok("kill(SIGSTOP)", kill(child, SIGSTOP));
    c.equal(
        "wait4(WUNTRACED) after SIGSTOP",
        wait(child, WUNTRACED),
        Ok((pid, 0x7f | SIGSTOP << 8)),
    );
    c.equal(
        "a stop is reported once",
        wait(child, WUNTRACED | WNOHANG),
        Ok((0, 0)),
    );
    c.ok("kill(SIGCONT)", kill(child, SIGCONT));
    c.equal(
        "wait4(WCONTINUED) after SIGCONT",
        wait(child, WCONTINUED),
        Ok((pid, 0xffff)),
    );
    c.ok("kill(SIGTSTP)", kill(child, SIGTSTP));
    c.equal(
        "wait4(WUNTRACED) after SIGTSTP",
        wait(child, WUNTRACED),
        Ok((pid, 0x7f | SIGTSTP << 8)),
    );
    // SIGTERM waits for the continue; without WCONTINUED the next report
    // is the end.
    c.ok("kill(SIGTERM) while stopped", kill(child, SIGTERM));
    c.equal(
        "a stopped child does not end of SIGTERM",
        wait(child, WNOHANG),
        Ok((0, 0)),
    );
    c.ok("kill(SIGCONT) after SIGTERM", kill(child, SIGCONT));
    c.equal(
        "the continued child ends of SIGTERM",
        wait(child, 0),
        Ok((pid, SIGTERM)),
    );
    // SIGKILL ends a stopped child at once.
    let Some(child) = spinner() else {
        c.check("fork a second spinning child", false, "fork failed");
        return;
    };
    c.ok("kill(SIGSTOP) again", kill(child, SIGSTOP));
    c.equal(
        "wait4(WUNTRACED) again",
        wait(child, WUNTRACED),
        Ok((child as i64, 0x7f | SIGSTOP << 8)),
    );
    c.ok("kill(SIGKILL) while stopped", kill(child, SIGKILL));
    c.equal(
        "a stopped child ends of SIGKILL",
        wait(child, 0),
        Ok((child as i64, SIGKILL)),
    );
}
