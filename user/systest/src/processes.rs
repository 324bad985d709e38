//! fork, copy-on-write and `MAP_SHARED` memory, wait4's status words, kill.
//!
//! Each check forks a child that does one thing and exits (or is killed);
//! the parent reads the outcome from the child's exit status and from
//! memory the two share or do not share.

use crate::check::Checker;
use crate::raw::{self, NULL, mut_ptr, sys};
use libc::{
    ECHILD, ESRCH, MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE, SIGKILL,
    SYS_getpid, SYS_getppid, SYS_kill, SYS_mmap, SYS_mprotect, SYS_sched_yield, SYS_wait4, WNOHANG,
};

const PAGE: u64 = 4096;

/// Forks (`raw::spawn`); `None` if fork failed.
fn spawn(child: impl FnOnce() -> u64) -> Option<u64> {
    raw::spawn(child).ok()
}

/// Waits for `pid`; its status word.
fn wait(pid: u64) -> Option<i32> {
    let mut status = 0i32;
    sys(SYS_wait4, &[pid, mut_ptr(&mut status), 0, NULL])
        .ok()
        .map(|_| status)
}

/// A new anonymous page with `flags` (MAP_PRIVATE or MAP_SHARED).
fn page(flags: i32) -> *mut u64 {
    let prot = (PROT_READ | PROT_WRITE) as u64;
    let flags = (flags | MAP_ANONYMOUS) as u64;
    let address = sys(SYS_mmap, &[0, PAGE, prot, flags, u64::MAX, 0]).expect("mmap");
    address as *mut u64
}

pub fn checks(c: &mut Checker) {
    let me = sys(SYS_getpid, &[]).unwrap_or(0);
    let private = page(MAP_PRIVATE);
    let shared = page(MAP_SHARED);
    // SAFETY: both are pages this process just mapped, read and write.
    unsafe {
        private.write_volatile(1);
        shared.write_volatile(1);
    }
    let child = spawn(|| {
        let parent_ok = sys(SYS_getppid, &[]) == Ok(me as i64);
        // SAFETY: the child has the same mappings as its parent.
        unsafe {
            private.write_volatile(2);
            shared.write_volatile(3);
        }
        if parent_ok { 7 } else { 8 }
    });
    c.check("fork", child.is_some(), child);
    let Some(child) = child else { return };
    c.equal("wait4: exited with 7", wait(child), Some(7 << 8));
    // SAFETY: as above.
    let (seen_private, seen_shared) = unsafe { (private.read_volatile(), shared.read_volatile()) };
    c.equal(
        "a child's write to private memory is its own",
        seen_private,
        1,
    );
    c.equal(
        "a child's write to MAP_SHARED memory is seen",
        seen_shared,
        3,
    );

    // After fork, mprotect of a copy-on-write page must not make it shared.
    let child = spawn(|| {
        let prot = (PROT_READ | PROT_WRITE) as u64;
        let protected = sys(SYS_mprotect, &[private as u64, PAGE, prot]).is_ok();
        // SAFETY: the page is mapped read and write.
        unsafe { private.write_volatile(9) };
        if protected { 0 } else { 1 }
    });
    if let Some(child) = child {
        c.equal("mprotect in a child", wait(child), Some(0));
        // SAFETY: as above.
        c.equal(
            "mprotect does not share a copy-on-write page",
            unsafe { private.read_volatile() },
            1,
        );
    }

    // A child that spins until it is killed: the status word says SIGKILL.
    let child = spawn(|| {
        loop {
            let _ = sys(SYS_sched_yield, &[]);
        }
    });
    if let Some(child) = child {
        let mut status = 0i32;
        let early = sys(
            SYS_wait4,
            &[child, mut_ptr(&mut status), WNOHANG as u64, NULL],
        );
        c.equal("wait4(WNOHANG) of a running child", early, Ok(0));
        c.ok(
            "kill(child, SIGKILL)",
            sys(SYS_kill, &[child, SIGKILL as u64]),
        );
        c.equal("wait4: killed by SIGKILL", wait(child), Some(SIGKILL));
        c.fails("kill of a reaped child", sys(SYS_kill, &[child, 0]), ESRCH);
    }
    c.fails(
        "wait4 with no children",
        sys(SYS_wait4, &[u64::MAX, NULL, 0, NULL]),
        ECHILD,
    );
}
