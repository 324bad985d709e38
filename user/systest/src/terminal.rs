//! The terminal and job control: process groups and sessions (`setpgid`,
//! `getpgid`, `getpgrp`, `setsid`, `getsid`), `kill` and `wait4` for a
//! group, `ENOTTY` on files that are not terminals; and where fds 0 and 1
//! are a terminal (on Kestrel, the console: under the host test they are
//! not) its settings (`TCSETSW`, `TCSETSF`, `VMIN` and `VTIME`), window
//! size, foreground group, and background reads: stopped by SIGTTIN, or
//! `EIO` when the group ignores it or is orphaned.
//!
//! Children and parent meet through a shared page: a child says "ready"
//! there, the parent acts, the child goes on when the parent says so.

use crate::check::Checker;
use crate::raw::{self, NULL, c_string, mut_ptr, ptr, sys};
use libc::{
    EINVAL, EIO, ENOTTY, EPERM, ESRCH, FIONREAD, ICANON, ISIG, MAP_ANONYMOUS, MAP_SHARED, O_RDONLY,
    PROT_READ, PROT_WRITE, SIG_IGN, SIGKILL, SIGTTIN, SYS_close, SYS_getpgid, SYS_getpgrp,
    SYS_getpid, SYS_getppid, SYS_getsid, SYS_ioctl, SYS_kill, SYS_mmap, SYS_open, SYS_read,
    SYS_sched_yield, SYS_setpgid, SYS_setsid, SYS_wait4, TCGETS, TCSETS, TCSETSF, TCSETSW,
    TIOCGPGRP, TIOCGWINSZ, TIOCSPGRP, TIOCSWINSZ, VINTR, VMIN, VTIME,
};
use std::sync::atomic::{AtomicU64, Ordering};

/// A pid no system has (above Linux's largest `pid_max`).
const NO_PID: u64 = 0x7fff_fff0;

fn me() -> u64 {
    sys(SYS_getpid, &[]).unwrap_or(0) as u64
}

/// A shared page of counters, for parent and children to meet.
fn shared_page() -> &'static [AtomicU64; 512] {
    let prot = (PROT_READ | PROT_WRITE) as u64;
    let flags = (MAP_SHARED | MAP_ANONYMOUS) as u64;
    let address = sys(SYS_mmap, &[0, 4096, prot, flags, u64::MAX, 0]).expect("mmap");
    // SAFETY: a fresh page, readable and writable, never unmapped; atomics
    // of any bit pattern are valid, and zero is what a new page holds.
    unsafe { &*(address as *const [AtomicU64; 512]) }
}

/// Yields until `flag` holds `value`.
fn wait_for(flag: &AtomicU64, value: u64) {
    while flag.load(Ordering::SeqCst) != value {
        let _ = sys(SYS_sched_yield, &[]);
    }
}

/// Forks (`raw::spawn`); a failed fork fails the run.
fn spawn(child: impl FnOnce() -> u64) -> u64 {
    raw::spawn(child).unwrap_or_else(|e| panic!("fork failed: {e}"))
}

/// `wait4(pid)`: the pid reaped and its status word.
fn wait(pid: u64) -> Result<(i64, i32), i32> {
    let mut status = 0i32;
    sys(SYS_wait4, &[pid, mut_ptr(&mut status), 0, NULL]).map(|p| (p, status))
}

pub fn checks(c: &mut Checker) {
    groups(c);
    sessions(c);
    signals_and_waits_for_groups(c);
    not_terminals(c);
    if sys(
        SYS_ioctl,
        &[1, TCGETS as u64, mut_ptr([0u8; 64].as_mut_ptr())],
    )
    .is_ok()
    {
        terminal(c);
    } else {
        c.check("fd 1 is a terminal on Kestrel", !c.on_kestrel, ());
    }
}

fn groups(c: &mut Checker) {
    let pgrp = c.ok("getpgrp()", sys(SYS_getpgrp, &[]));
    c.equal("getpgid(0) is getpgrp()", sys(SYS_getpgid, &[0]), Ok(pgrp));
    c.equal(
        "getpgid(me) is getpgrp()",
        sys(SYS_getpgid, &[me()]),
        Ok(pgrp),
    );
    c.fails("getpgid(no such pid)", sys(SYS_getpgid, &[NO_PID]), ESRCH);
    c.fails("getpgid(-1)", sys(SYS_getpgid, &[-1i64 as u64]), ESRCH);
    c.fails(
        "setpgid(0, -1)",
        sys(SYS_setpgid, &[0, -1i64 as u64]),
        EINVAL,
    );
    c.fails(
        "setpgid(no such pid)",
        sys(SYS_setpgid, &[NO_PID, 0]),
        ESRCH,
    );
    c.fails(
        "setpgid(0, a group that does not exist)",
        sys(SYS_setpgid, &[0, NO_PID]),
        EPERM,
    );
    // A child in the same group, which makes a group of its own.
    let child = spawn(|| {
        let inherited =
            sys(SYS_getpgrp, &[]) == sys(SYS_getpgid, &[sys(SYS_getppid, &[]).unwrap() as u64]);
        let own = sys(SYS_setpgid, &[0, 0]).is_ok() && sys(SYS_getpgrp, &[]) == Ok(me() as i64);
        let not_the_parent =
            sys(SYS_setpgid, &[sys(SYS_getppid, &[]).unwrap() as u64, 0]) == Err(ESRCH);
        u64::from(inherited) | u64::from(own) << 1 | u64::from(not_the_parent) << 2
    });
    let status = wait(child).map(|(_, s)| s >> 8);
    c.equal(
        "child: inherited group, setpgid(0, 0), not its parent's",
        status,
        Ok(7),
    );
    // The parent moves a child into a new group, and waits for that group.
    let page = shared_page();
    let child = spawn(|| {
        wait_for(&page[0], 1);
        (sys(SYS_getpgrp, &[]) == Ok(me() as i64)) as u64 + 10
    });
    c.ok("setpgid(child, 0)", sys(SYS_setpgid, &[child, 0]));
    c.equal(
        "getpgid(child)",
        sys(SYS_getpgid, &[child]),
        Ok(child as i64),
    );
    c.ok(
        "setpgid(child, child) again",
        sys(SYS_setpgid, &[child, child]),
    );
    page[0].store(1, Ordering::SeqCst);
    let reaped = wait((child as i64).wrapping_neg() as u64).map(|(p, s)| (p, s >> 8));
    c.equal("wait4(-group)", reaped, Ok((child as i64, 11)));
}

fn sessions(c: &mut Checker) {
    let sid = c.ok("getsid(0)", sys(SYS_getsid, &[0]));
    c.equal("getsid(me)", sys(SYS_getsid, &[me()]), Ok(sid));
    c.fails("getsid(no such pid)", sys(SYS_getsid, &[NO_PID]), ESRCH);
    let page = shared_page();
    let child = spawn(|| {
        let new = sys(SYS_setsid, &[]) == Ok(me() as i64);
        let leads =
            sys(SYS_getsid, &[0]) == Ok(me() as i64) && sys(SYS_getpgrp, &[]) == Ok(me() as i64);
        let stays = sys(SYS_setpgid, &[0, 0]) == Err(EPERM);
        let once = sys(SYS_setsid, &[]) == Err(EPERM);
        page[0].store(1, Ordering::SeqCst);
        wait_for(&page[1], 1);
        u64::from(new) | u64::from(leads) << 1 | u64::from(stays) << 2 | u64::from(once) << 3
    });
    wait_for(&page[0], 1);
    c.equal(
        "getsid(child in its session)",
        sys(SYS_getsid, &[child]),
        Ok(child as i64),
    );
    c.fails(
        "setpgid(child in another session)",
        sys(SYS_setpgid, &[child, 0]),
        EPERM,
    );
    page[1].store(1, Ordering::SeqCst);
    let status = wait(child).map(|(_, s)| s >> 8);
    c.equal(
        "child: setsid, leads, cannot setpgid or setsid",
        status,
        Ok(15),
    );
    // A group leader cannot make a session: a child that leads a group.
    let child = spawn(|| {
        let _ = sys(SYS_setpgid, &[0, 0]);
        (sys(SYS_setsid, &[]) == Err(EPERM)) as u64
    });
    let status = wait(child).map(|(_, s)| s >> 8);
    c.equal("setsid() by a group leader: EPERM", status, Ok(1));
}

fn signals_and_waits_for_groups(c: &mut Checker) {
    c.ok("kill(0, 0): my group", sys(SYS_kill, &[0, 0]));
    c.fails(
        "kill(-(no such group), 0)",
        sys(SYS_kill, &[(NO_PID as i64).wrapping_neg() as u64, 0]),
        ESRCH,
    );
    c.fails("kill(0, 65)", sys(SYS_kill, &[0, 65]), EINVAL);
    let page = shared_page();
    let child = spawn(|| {
        let _ = sys(SYS_setpgid, &[0, 0]);
        page[0].store(1, Ordering::SeqCst);
        loop {
            let _ = sys(SYS_sched_yield, &[]);
        }
    });
    wait_for(&page[0], 1);
    c.ok(
        "kill(-group, SIGKILL)",
        sys(
            SYS_kill,
            &[(child as i64).wrapping_neg() as u64, SIGKILL as u64],
        ),
    );
    c.equal(
        "the group's member was killed",
        wait(child),
        Ok((child as i64, SIGKILL)),
    );
    // wait4(0): a child in my group.
    let child = spawn(|| 3);
    let reaped = wait(0).map(|(p, s)| (p, s >> 8));
    c.equal(
        "wait4(0): a child in my group",
        reaped,
        Ok((child as i64, 3)),
    );
}

fn not_terminals(c: &mut Checker) {
    let path = c_string(&c.data("motd"));
    let fd = c.ok(
        "open(motd)",
        sys(SYS_open, &[ptr(path.as_ptr()), O_RDONLY as u64]),
    );
    let mut termios = [0u8; 64];
    c.fails(
        "ioctl(file, TCGETS)",
        sys(
            SYS_ioctl,
            &[fd as u64, TCGETS as u64, mut_ptr(termios.as_mut_ptr())],
        ),
        ENOTTY,
    );
    let mut group = 0i32;
    c.fails(
        "ioctl(file, TIOCGPGRP)",
        sys(
            SYS_ioctl,
            &[fd as u64, TIOCGPGRP as u64, mut_ptr(&mut group)],
        ),
        ENOTTY,
    );
    let _ = sys(SYS_close, &[fd as u64]);
}

/// Reads `struct termios` of fd 0.
fn get(c: &mut Checker, what: &str) -> libc::termios {
    // SAFETY: all zeros is a valid `termios` (plain integers).
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    c.ok(what, sys(SYS_ioctl, &[0, TCGETS as u64, mut_ptr(&mut t)]));
    t
}

fn terminal(c: &mut Checker) {
    let original = get(c, "ioctl(0, TCGETS)");
    c.check(
        "a cooked terminal: ICANON and ISIG",
        original.c_lflag & (ICANON | ISIG) == ICANON | ISIG,
        original.c_lflag,
    );
    c.equal("VINTR is ^C", original.c_cc[VINTR], 3);
    let mut raw = original;
    raw.c_lflag &= !(ICANON | libc::ECHO);
    raw.c_cc[VMIN] = 1;
    c.ok(
        "ioctl(0, TCSETS, raw)",
        sys(SYS_ioctl, &[0, TCSETS as u64, ptr(&raw)]),
    );
    let back = get(c, "TCGETS after TCSETS");
    c.equal("TCSETS round trip", back.c_lflag, raw.c_lflag);
    c.ok(
        "ioctl(0, TCSETSF)",
        sys(SYS_ioctl, &[0, TCSETSF as u64, ptr(&original)]),
    );
    let restored = get(c, "TCGETS");
    c.equal("settings restored", restored.c_lflag, original.c_lflag);
    c.fails(
        "ioctl(0, TCSETS, NULL)",
        sys(SYS_ioctl, &[0, TCSETS as u64, NULL]),
        libc::EFAULT,
    );

    let mut size = [0u16; 4];
    c.ok(
        "TIOCGWINSZ",
        sys(
            SYS_ioctl,
            &[0, TIOCGWINSZ as u64, mut_ptr(size.as_mut_ptr())],
        ),
    );
    c.check("rows and columns", size[0] > 0 && size[1] > 0, size);
    let wanted = [30u16, 100, 0, 0];
    c.ok(
        "TIOCSWINSZ",
        sys(SYS_ioctl, &[0, TIOCSWINSZ as u64, ptr(wanted.as_ptr())]),
    );
    let mut now = [0u16; 4];
    let _ = sys(
        SYS_ioctl,
        &[0, TIOCGWINSZ as u64, mut_ptr(now.as_mut_ptr())],
    );
    c.equal("TIOCSWINSZ then TIOCGWINSZ", now, wanted);
    let _ = sys(SYS_ioctl, &[0, TIOCSWINSZ as u64, ptr(size.as_ptr())]);

    let mut waiting = -1i32;
    c.ok(
        "FIONREAD",
        sys(SYS_ioctl, &[0, FIONREAD as u64, mut_ptr(&mut waiting)]),
    );
    let mut foreground = 0i32;
    c.ok(
        "TIOCGPGRP",
        sys(SYS_ioctl, &[0, TIOCGPGRP as u64, mut_ptr(&mut foreground)]),
    );
    c.equal(
        "the foreground group is mine",
        Ok(i64::from(foreground)),
        sys(SYS_getpgrp, &[]),
    );
    let nobody = NO_PID as i32;
    c.fails(
        "TIOCSPGRP(no such group)",
        sys(SYS_ioctl, &[0, TIOCSPGRP as u64, ptr(&nobody)]),
        ESRCH,
    );
    let negative = -5i32;
    c.fails(
        "TIOCSPGRP(-5)",
        sys(SYS_ioctl, &[0, TIOCSPGRP as u64, ptr(&negative)]),
        EINVAL,
    );
    c.ok(
        "TIOCSPGRP(mine)",
        sys(SYS_ioctl, &[0, TIOCSPGRP as u64, ptr(&foreground)]),
    );

    // A signal with a handler ends a read of the terminal: EINTR (no
    // SA_RESTART). The parent sends it until the child is gone, since on
    // Linux a signal that comes before the read only runs the handler.
    let page = shared_page();
    let child = spawn(|| {
        extern "C" fn nothing(_: i32) {}
        // SAFETY: zeros are a valid `sigaction` (no flags, empty mask); the
        // handler does nothing, so it is safe to run at any point.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = nothing as extern "C" fn(i32) as usize;
            libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut());
        }
        page[0].store(1, Ordering::SeqCst);
        let mut byte = [0u8; 1];
        (sys(SYS_read, &[0, mut_ptr(byte.as_mut_ptr()), 1]) == Err(libc::EINTR)) as u64
    });
    wait_for(&page[0], 1);
    let mut status = 0i32;
    loop {
        let _ = sys(SYS_kill, &[child, libc::SIGUSR1 as u64]);
        let _ = sys(SYS_sched_yield, &[]);
        match sys(
            SYS_wait4,
            &[child, mut_ptr(&mut status), libc::WNOHANG as u64, NULL],
        ) {
            Ok(0) => continue,
            done => break c.equal("the child's end", done, Ok(child as i64)),
        }
    }
    c.equal(
        "a signal with a handler: the read ends with EINTR",
        status >> 8,
        1,
    );

    // A background group that ignores SIGTTIN cannot read: EIO.
    let child = spawn(|| {
        let _ = sys(SYS_setpgid, &[0, 0]);
        // SAFETY: setting a signal to "ignore" runs no code of ours.
        unsafe { libc::signal(SIGTTIN, SIG_IGN) };
        let mut byte = [0u8; 1];
        (sys(SYS_read, &[0, mut_ptr(byte.as_mut_ptr()), 1]) == Err(EIO)) as u64
    });
    let status = wait(child).map(|(_, s)| s >> 8);
    c.equal("a background read with SIGTTIN ignored: EIO", status, Ok(1));
    background_reads(c);
    timed_reads(c, &original);
}

/// A background group that reads the terminal with SIGTTIN at its default
/// action is stopped; one whose group is orphaned gets EIO instead.
///
/// The reader's parent is a child of ours: a group whose only parent
/// outside it is init is orphaned (on Linux and on Kestrel), and we may be
/// pid 1 (Kestrel's monitor starts `systest` as the first process).
fn background_reads(c: &mut Checker) {
    let page = shared_page();
    let middle = spawn(|| {
        let reader = spawn(|| {
            let _ = sys(SYS_setpgid, &[0, 0]);
            // SAFETY: SIG_DFL for SIGTTIN runs no code of ours.
            unsafe { libc::signal(SIGTTIN, libc::SIG_DFL) };
            let mut byte = [0u8; 1];
            let _ = sys(SYS_read, &[0, mut_ptr(byte.as_mut_ptr()), 1]);
            1
        });
        let mut status = 0i32;
        let waited = sys(
            SYS_wait4,
            &[reader, mut_ptr(&mut status), libc::WUNTRACED as u64, NULL],
        );
        let seen = u64::from(waited == Ok(reader as i64)) << 32;
        page[1].store(seen | status as u32 as u64, Ordering::SeqCst);
        let _ = sys(SYS_kill, &[reader, SIGKILL as u64]);
        let _ = wait(reader);
        0
    });
    let _ = wait(middle);
    let word = page[1].load(Ordering::SeqCst);
    let status = word as u32 as i32;
    c.check(
        "a background read: stopped by SIGTTIN (wait4 WUNTRACED)",
        word >> 32 == 1 && libc::WIFSTOPPED(status) && libc::WSTOPSIG(status) == SIGTTIN,
        format_args!("{word:#x}"),
    );

    // The grandchild makes a group of its own, then its parent ends: no
    // process in the session outside the group is a parent of its members.
    let page = shared_page();
    let child = spawn(|| {
        let parent = me();
        let _ = spawn(move || {
            let _ = sys(SYS_setpgid, &[0, 0]);
            while sys(SYS_getppid, &[]) == Ok(parent as i64) {
                let _ = sys(SYS_sched_yield, &[]);
            }
            let mut byte = [0u8; 1];
            let read = sys(SYS_read, &[0, mut_ptr(byte.as_mut_ptr()), 1]);
            page[0].store(if read == Err(EIO) { 1 } else { 2 }, Ordering::SeqCst);
            0
        });
        0
    });
    let _ = wait(child);
    while page[0].load(Ordering::SeqCst) == 0 {
        let _ = sys(SYS_sched_yield, &[]);
    }
    c.equal(
        "a read from an orphaned background group: EIO",
        page[0].load(Ordering::SeqCst),
        1,
    );
}

/// Non-canonical reads with `VMIN` 0: `VTIME` 0 returns at once, `VTIME`
/// 2 waits 0.2 s for a byte, then returns 0. (The timer between bytes, with
/// `VMIN` > 0, needs typing: `tests/terminal.rs`.) `TCSETSF` drops any
/// typed bytes first, `TCSETSW` puts the settings back.
fn timed_reads(c: &mut Checker, original: &libc::termios) {
    let mut raw = *original;
    raw.c_lflag &= !(ICANON | libc::ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    c.ok(
        "TCSETSF, VMIN 0 VTIME 0",
        sys(SYS_ioctl, &[0, TCSETSF as u64, ptr(&raw)]),
    );
    let mut bytes = [0u8; 8];
    c.equal(
        "a read with VMIN 0 VTIME 0 and nothing typed: 0",
        sys(SYS_read, &[0, mut_ptr(bytes.as_mut_ptr()), 8]),
        Ok(0),
    );
    raw.c_cc[VTIME] = 2;
    c.ok(
        "TCSETSW, VMIN 0 VTIME 2",
        sys(SYS_ioctl, &[0, TCSETSW as u64, ptr(&raw)]),
    );
    let back = get(c, "TCGETS");
    c.equal("TCSETSW round trip", back.c_cc[VTIME], 2);
    let start = std::time::Instant::now();
    c.equal(
        "a read with VMIN 0 VTIME 2 and nothing typed: 0",
        sys(SYS_read, &[0, mut_ptr(bytes.as_mut_ptr()), 8]),
        Ok(0),
    );
    let waited = start.elapsed();
    c.check(
        "...after at least VTIME (0.2 s)",
        waited >= std::time::Duration::from_millis(190),
        waited,
    );
    c.ok(
        "TCSETSW, the settings back",
        sys(SYS_ioctl, &[0, TCSETSW as u64, ptr(original)]),
    );
    let back = get(c, "TCGETS");
    c.equal("settings back", back.c_lflag, original.c_lflag);
}
