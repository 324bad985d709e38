//! Pipes and descriptors: pipe2, EOF, EPIPE, O_NONBLOCK, dup/dup2/dup3,
//! fcntl, readv/writev on a pipe, poll's readiness, sleep and timeout, and
//! pipes between processes (ping-pong, 1 MiB with its content checked, a
//! child's stdout redirected with dup2, a reader killed while it waits).

use crate::check::Checker;
use crate::raw::{self, NULL, UNMAPPED, mut_ptr, ptr, sys};
use libc::{
    EAGAIN, EBADF, EFAULT, EINVAL, EPIPE, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_SETFD,
    F_SETFL, FD_CLOEXEC, O_ACCMODE, O_CLOEXEC, O_NONBLOCK, O_RDONLY, O_WRONLY, POLLERR, POLLHUP,
    POLLIN, POLLOUT, S_IFIFO, S_IFMT, SIGKILL, SYS_close, SYS_dup, SYS_dup2, SYS_dup3, SYS_fcntl,
    SYS_fstat, SYS_kill, SYS_pipe, SYS_pipe2, SYS_poll, SYS_read, SYS_readv, SYS_sched_yield,
    SYS_wait4, SYS_write, SYS_writev,
};

/// A pipe's capacity on Linux and on Kestrel.
const CAPACITY: usize = 64 * 1024;
/// Bytes sent from process to process in the large transfer.
const MIB: usize = 1024 * 1024;

/// `pipe2(flags)`: (read end, write end).
fn pipe(flags: i32) -> Option<(u64, u64)> {
    let mut fds = [0i32; 2];
    sys(SYS_pipe2, &[mut_ptr(fds.as_mut_ptr()), flags as u64]).ok()?;
    Some((fds[0] as u64, fds[1] as u64))
}

fn close(fd: u64) {
    let _ = sys(SYS_close, &[fd]);
}

fn write(fd: u64, bytes: &[u8]) -> Result<i64, i32> {
    sys(SYS_write, &[fd, ptr(bytes.as_ptr()), bytes.len() as u64])
}

fn read(fd: u64, buf: &mut [u8]) -> Result<i64, i32> {
    sys(SYS_read, &[fd, mut_ptr(buf.as_mut_ptr()), buf.len() as u64])
}

/// Reads until the end of file; everything read (stops at an error).
fn read_all(fd: u64) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = vec![0u8; 10_000];
    while let Ok(n @ 1..) = read(fd, &mut buf) {
        all.extend_from_slice(&buf[..n as usize]);
    }
    all
}

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

/// `poll` of one descriptor for `events`: (the call's answer, revents).
fn poll(fd: u64, events: i16, timeout_ms: i32) -> (Result<i64, i32>, i16) {
    let mut entry = libc::pollfd {
        fd: fd as i32,
        events,
        revents: 0,
    };
    let answer = sys(
        SYS_poll,
        &[mut_ptr(&mut entry), 1, timeout_ms as i64 as u64],
    );
    (answer, entry.revents)
}

/// The byte at `index` of the large transfer (not periodic in 64 KiB).
fn pattern(index: usize) -> u8 {
    (index % 251) as u8
}

pub fn checks(c: &mut Checker) {
    basics(c);
    nonblocking(c);
    descriptors(c);
    vectors(c);
    readiness(c);
    selecting(c);
    between_processes(c);
}

/// pipe2's arguments, bytes in and out, fstat, EOF and EPIPE.
fn basics(c: &mut Checker) {
    c.fails("pipe2(flags 0x1)", sys(SYS_pipe2, &[0, 1]), EINVAL);
    c.fails("pipe(NULL)", sys(SYS_pipe, &[NULL]), EFAULT);
    c.fails("pipe2(unmapped)", sys(SYS_pipe2, &[UNMAPPED, 0]), EFAULT);
    let mut fds = [-1i32; 2];
    c.ok("pipe(fds)", sys(SYS_pipe, &[mut_ptr(fds.as_mut_ptr())]));
    let (r, w) = (fds[0] as u64, fds[1] as u64);
    c.check("pipe: two new descriptors", r != w && fds[0] >= 0, fds);
    c.equal("write 5 bytes", write(w, b"hello"), Ok(5));
    let mut buf = [0u8; 16];
    c.equal("read what is there", read(r, &mut buf), Ok(5));
    c.equal("the bytes", &buf[..5], b"hello");
    c.fails("read the write end", read(w, &mut buf), EBADF);
    c.fails("write the read end", write(r, b"x"), EBADF);
    c.equal("read 0 bytes", read(r, &mut buf[..0]), Ok(0));
    let mut stat: libc::stat = unsafe_zeroed();
    c.ok("fstat(pipe)", sys(SYS_fstat, &[r, mut_ptr(&mut stat)]));
    c.equal("fstat: a FIFO", stat.st_mode & S_IFMT, S_IFIFO);
    c.fails(
        "lseek(pipe)",
        sys(libc::SYS_lseek, &[r, 0, 0]),
        libc::ESPIPE,
    );
    c.equal("write before the close", write(w, b"bye"), Ok(3));
    close(w);
    c.equal(
        "bytes left after the writer closed",
        read(r, &mut buf),
        Ok(3),
    );
    c.equal("then the end of file", read(r, &mut buf), Ok(0));
    close(r);

    if let Some((r, w)) = pipe(0) {
        close(r);
        c.fails("write without a reader", write(w, b"x"), EPIPE);
        // Without a handler (Rust's runtime ignores SIGPIPE; the child puts
        // back the default), the writer dies of SIGPIPE, with no core.
        let child = spawn(|| {
            // SAFETY: SIG_DFL for SIGPIPE runs no code of ours.
            unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
            let _ = write(w, b"x");
            0
        });
        if let Some(status) = child.and_then(wait) {
            c.check(
                "a write without a reader, SIGPIPE by default: WTERMSIG 13",
                libc::WIFSIGNALED(status)
                    && libc::WTERMSIG(status) == libc::SIGPIPE
                    && !libc::WCOREDUMP(status),
                status,
            );
        } else {
            c.check("fork and wait for the SIGPIPE child", false, ());
        }
        close(w);
    }
}

/// O_NONBLOCK: EAGAIN when empty, and when full after exactly 64 KiB.
fn nonblocking(c: &mut Checker) {
    let Some((r, w)) = pipe(O_NONBLOCK | O_CLOEXEC) else {
        return c.check("pipe2(O_NONBLOCK | O_CLOEXEC)", false, ());
    };
    let mut buf = [0u8; 8];
    c.fails("read an empty nonblocking pipe", read(r, &mut buf), EAGAIN);
    c.equal(
        "O_CLOEXEC: FD_CLOEXEC",
        sys(SYS_fcntl, &[r, F_GETFD as u64]),
        Ok(1),
    );
    let big = vec![7u8; 3 * CAPACITY];
    c.equal(
        "a large nonblocking write fills the pipe",
        write(w, &big),
        Ok(CAPACITY as i64),
    );
    c.fails("a write to a full pipe", write(w, b"x"), EAGAIN);
    c.equal("a read makes room", read(r, &mut buf), Ok(8));
    c.fails(
        "a small write is atomic: 9 bytes wait for room",
        write(w, &[1; 9]),
        EAGAIN,
    );
    close(r);
    close(w);
}

/// dup, dup2, dup3 and fcntl.
fn descriptors(c: &mut Checker) {
    let Some((r, w)) = pipe(0) else {
        return c.check("pipe2(0)", false, ());
    };
    let bad = 999u64;
    let copy = c.ok("dup(write end)", sys(SYS_dup, &[w])) as u64;
    c.check("dup: a new number", copy != w && copy != r, copy);
    c.fails("dup(bad fd)", sys(SYS_dup, &[bad]), EBADF);
    c.equal("dup2(fd, fd)", sys(SYS_dup2, &[w, w]), Ok(w as i64));
    c.fails("dup2(bad, 40)", sys(SYS_dup2, &[bad, 40]), EBADF);
    c.fails("dup2(fd, 1 << 20)", sys(SYS_dup2, &[w, 1 << 20]), EBADF);
    c.equal("dup2(fd, 40)", sys(SYS_dup2, &[r, 40]), Ok(40));
    c.fails("dup3(fd, fd, 0)", sys(SYS_dup3, &[w, w, 0]), EINVAL);
    c.fails("dup3(.., flags 1)", sys(SYS_dup3, &[w, 41, 1]), EINVAL);
    let cloexec = O_CLOEXEC as u64;
    c.equal("dup3(O_CLOEXEC)", sys(SYS_dup3, &[w, 41, cloexec]), Ok(41));
    c.equal(
        "dup3: FD_CLOEXEC",
        sys(SYS_fcntl, &[41, F_GETFD as u64]),
        Ok(1),
    );
    c.equal(
        "dup: no FD_CLOEXEC",
        sys(SYS_fcntl, &[copy, F_GETFD as u64]),
        Ok(0),
    );
    // Every copy writes into the same pipe; the original can go.
    close(w);
    c.equal("write through dup", write(copy, b"ab"), Ok(2));
    c.equal("write through dup3", write(41, b"cd"), Ok(2));
    let mut buf = [0u8; 8];
    c.equal("read through dup2", read(40, &mut buf), Ok(4));
    c.equal("the bytes of both copies", &buf[..4], b"abcd");

    let getfl = |fd: u64| sys(SYS_fcntl, &[fd, F_GETFL as u64]).map(|f| f as i32);
    c.equal(
        "F_GETFL: read end",
        getfl(r).map(|f| f & O_ACCMODE),
        Ok(O_RDONLY),
    );
    c.equal(
        "F_GETFL: write end",
        getfl(copy).map(|f| f & O_ACCMODE),
        Ok(O_WRONLY),
    );
    c.equal("F_GETFL: blocking", getfl(r).map(|f| f & O_NONBLOCK), Ok(0));
    let setfl = sys(SYS_fcntl, &[r, F_SETFL as u64, O_NONBLOCK as u64]);
    c.equal("F_SETFL(O_NONBLOCK)", setfl, Ok(0));
    c.equal(
        "F_GETFL: nonblocking",
        getfl(r).map(|f| f & O_NONBLOCK),
        Ok(O_NONBLOCK),
    );
    c.equal(
        "F_GETFL: the dup2 copy shares it",
        getfl(40).map(|f| f & O_NONBLOCK),
        Ok(O_NONBLOCK),
    );
    c.fails("F_SETFL made reads nonblocking", read(r, &mut buf), EAGAIN);
    c.equal(
        "F_SETFD(FD_CLOEXEC)",
        sys(SYS_fcntl, &[r, F_SETFD as u64, FD_CLOEXEC as u64]),
        Ok(0),
    );
    c.equal(
        "F_GETFD after F_SETFD",
        sys(SYS_fcntl, &[r, F_GETFD as u64]),
        Ok(1),
    );
    c.equal(
        "F_GETFD of its dup2 copy",
        sys(SYS_fcntl, &[40, F_GETFD as u64]),
        Ok(0),
    );
    c.equal(
        "F_DUPFD(100)",
        sys(SYS_fcntl, &[r, F_DUPFD as u64, 100]),
        Ok(100),
    );
    c.equal(
        "F_DUPFD(100) again",
        sys(SYS_fcntl, &[r, F_DUPFD as u64, 100]),
        Ok(101),
    );
    let dupfd_cloexec = sys(SYS_fcntl, &[r, F_DUPFD_CLOEXEC as u64, 100]);
    c.equal("F_DUPFD_CLOEXEC(100)", dupfd_cloexec, Ok(102));
    c.equal(
        "its FD_CLOEXEC",
        sys(SYS_fcntl, &[102, F_GETFD as u64]),
        Ok(1),
    );
    c.fails(
        "F_DUPFD(1 << 30)",
        sys(SYS_fcntl, &[r, F_DUPFD as u64, 1 << 30]),
        EINVAL,
    );
    c.fails(
        "fcntl(bad fd)",
        sys(SYS_fcntl, &[bad, F_GETFD as u64]),
        EBADF,
    );
    c.fails("fcntl(cmd 9999)", sys(SYS_fcntl, &[r, 9999]), EINVAL);
    for fd in [r, copy, 40, 41, 100, 101, 102] {
        close(fd);
    }
}

/// writev and readv on a pipe: a readv takes what is there and does not
/// wait to fill its last pieces.
fn vectors(c: &mut Checker) {
    let Some((r, w)) = pipe(0) else {
        return c.check("pipe2(0)", false, ());
    };
    let (a, b) = (b"one ".as_slice(), b"two".as_slice());
    let out = [
        libc::iovec {
            iov_base: a.as_ptr() as *mut _,
            iov_len: a.len(),
        },
        libc::iovec {
            iov_base: b.as_ptr() as *mut _,
            iov_len: b.len(),
        },
    ];
    c.equal(
        "writev(2 pieces)",
        sys(SYS_writev, &[w, ptr(out.as_ptr()), 2]),
        Ok(7),
    );
    let (mut x, mut y) = ([0u8; 5], [0u8; 10]);
    let into = [
        libc::iovec {
            iov_base: x.as_mut_ptr().cast(),
            iov_len: x.len(),
        },
        libc::iovec {
            iov_base: y.as_mut_ptr().cast(),
            iov_len: y.len(),
        },
    ];
    c.equal(
        "readv takes the 7 bytes",
        sys(SYS_readv, &[r, ptr(into.as_ptr()), 2]),
        Ok(7),
    );
    c.equal("readv's first piece", &x, b"one t");
    c.equal("readv's second piece", &y[..2], b"wo");
    close(r);
    close(w);
}

/// poll: readiness of each end, a timeout, POLLHUP and POLLERR.
fn readiness(c: &mut Checker) {
    let Some((r, w)) = pipe(0) else {
        return c.check("pipe2(0)", false, ());
    };
    let (inn, out) = (POLLIN, POLLOUT);
    c.equal(
        "poll: an empty pipe is not readable",
        poll(r, inn, 0),
        (Ok(0), 0),
    );
    c.equal("poll: a 20 ms timeout passes", poll(r, inn, 20), (Ok(0), 0));
    c.equal(
        "poll: the write end is writable",
        poll(w, out, 0),
        (Ok(1), out),
    );
    let _ = write(w, b"x");
    c.equal(
        "poll: readable after a write",
        poll(r, inn, -1),
        (Ok(1), inn),
    );
    close(w);
    c.equal(
        "poll: bytes and no writer: POLLIN | POLLHUP",
        poll(r, inn, -1),
        (Ok(1), inn | POLLHUP),
    );
    let mut buf = [0u8; 4];
    let _ = read(r, &mut buf);
    c.equal(
        "poll: drained, no writer: POLLHUP",
        poll(r, inn, -1),
        (Ok(1), POLLHUP),
    );
    close(r);
    if let Some((r, w)) = pipe(0) {
        close(r);
        let (answer, revents) = poll(w, out, -1);
        c.equal("poll: no reader: one ready", answer, Ok(1));
        c.equal("poll: no reader: POLLERR", revents & POLLERR, POLLERR);
        close(w);
    }
}

/// `select(nfds, read, write, NULL, timeout)` with one-word sets; the
/// answer and the sets after it.
fn select(nfds: u64, read: u64, write: u64, timeout_us: i64) -> (Result<i64, i32>, u64, u64) {
    let (mut r, mut w) = ([read], [write]);
    let mut timeout = libc::timeval {
        tv_sec: 0,
        tv_usec: timeout_us,
    };
    let args = [
        nfds,
        mut_ptr(r.as_mut_ptr()),
        mut_ptr(w.as_mut_ptr()),
        NULL,
        mut_ptr(&mut timeout),
    ];
    (sys(libc::SYS_select, &args), r[0], w[0])
}

/// select and pselect6 on a pipe.
fn selecting(c: &mut Checker) {
    let Some((r, w)) = pipe(0) else {
        return c.check("pipe2(0)", false, ());
    };
    let (rbit, wbit) = (1u64 << r, 1u64 << w);
    let n = w.max(r) + 1;
    c.equal(
        "select: only the write end is ready",
        select(n, rbit, wbit, 0),
        (Ok(1), 0, wbit),
    );
    c.equal(
        "select: a 10 ms timeout passes",
        select(n, rbit, 0, 10_000),
        (Ok(0), 0, 0),
    );
    let _ = write(w, b"x");
    c.equal(
        "select: both ready",
        select(n, rbit, wbit, 0),
        (Ok(2), rbit, wbit),
    );
    c.fails("select: a closed fd", select(64, 1 << 63, 0, 0).0, EBADF);
    c.fails("select: negative nfds", select(u64::MAX, 0, 0, 0).0, EINVAL);
    c.fails("select: a bad timeout", select(n, rbit, 0, -1).0, EINVAL);
    let mut set = [rbit];
    let mut zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let args = [
        n,
        mut_ptr(set.as_mut_ptr()),
        NULL,
        NULL,
        mut_ptr(&mut zero),
        NULL,
    ];
    c.equal(
        "pselect6: readable",
        (sys(libc::SYS_pselect6, &args), set[0]),
        (Ok(1), rbit),
    );
    close(w);
    let mut buf = [0u8; 2];
    let _ = read(r, &mut buf);
    c.equal(
        "select: no writer: readable (EOF)",
        select(n, rbit, 0, 0),
        (Ok(1), rbit, 0),
    );
    close(r);
}

/// Pipes between a parent and its children.
fn between_processes(c: &mut Checker) {
    ping_pong(c);
    large_transfer(c);
    redirected_stdout(c);
    woken_poll(c);
    killed_reader(c);
}

/// 1000 round trips of one byte each way; the child adds 1.
fn ping_pong(c: &mut Checker) {
    let (Some((to_child, ping)), Some((pong, from_child))) = (pipe(0), pipe(0)) else {
        return c.check("pipe2 for ping-pong", false, ());
    };
    let child = spawn(|| {
        close(ping);
        close(pong);
        let mut byte = [0u8];
        while read(to_child, &mut byte) == Ok(1) {
            byte[0] = byte[0].wrapping_add(1);
            if write(from_child, &byte) != Ok(1) {
                return 1;
            }
        }
        0
    });
    close(to_child);
    close(from_child);
    let mut good = 0;
    for round in 0..1000u32 {
        let mut byte = [round as u8];
        let sent = write(ping, &byte) == Ok(1);
        if sent && read(pong, &mut byte) == Ok(1) && byte[0] == (round as u8).wrapping_add(1) {
            good += 1;
        }
    }
    c.equal("ping-pong: round trips answered", good, 1000);
    close(ping);
    c.equal(
        "ping-pong: the child sees EOF",
        read(pong, &mut [0u8]),
        Ok(0),
    );
    close(pong);
    c.equal(
        "ping-pong: the child's status",
        child.and_then(wait),
        Some(0),
    );
}

/// 1 MiB from a child in writes of varied sizes, checked byte by byte.
fn large_transfer(c: &mut Checker) {
    let Some((r, w)) = pipe(0) else {
        return c.check("pipe2 for 1 MiB", false, ());
    };
    let child = spawn(|| {
        close(r);
        let data: Vec<u8> = (0..MIB).map(pattern).collect();
        let mut sent = 0;
        for size in [1, 4096, 5000, 65536, 100_000].iter().cycle() {
            if sent == MIB {
                break;
            }
            let end = (sent + size).min(MIB);
            match write(w, &data[sent..end]) {
                Ok(n) if n > 0 => sent += n as usize,
                _ => return 1,
            }
        }
        0
    });
    close(w);
    let got = read_all(r);
    close(r);
    c.equal("1 MiB: every byte arrived", got.len(), MIB);
    let wrong = got.iter().enumerate().position(|(i, &b)| b != pattern(i));
    c.equal("1 MiB: the first wrong byte", wrong, None);
    c.equal("1 MiB: the writer's status", child.and_then(wait), Some(0));
}

/// A child's standard output made a pipe with dup2.
fn redirected_stdout(c: &mut Checker) {
    let Some((r, w)) = pipe(0) else {
        return c.check("pipe2 for dup2", false, ());
    };
    let child = spawn(|| {
        close(r);
        if sys(SYS_dup2, &[w, 1]) != Ok(1) {
            return 1;
        }
        close(w);
        match write(1, b"through stdout\n") {
            Ok(15) => 0,
            _ => 2,
        }
    });
    close(w);
    let got = read_all(r);
    close(r);
    c.equal(
        "dup2: the child's stdout",
        got.as_slice(),
        b"through stdout\n",
    );
    c.equal("dup2: the child's status", child.and_then(wait), Some(0));
}

/// A poll without timeout wakes when another process writes.
fn woken_poll(c: &mut Checker) {
    let Some((r, w)) = pipe(0) else {
        return c.check("pipe2 for poll", false, ());
    };
    let child = spawn(|| {
        close(r);
        for _ in 0..10 {
            let _ = sys(SYS_sched_yield, &[]);
        }
        u64::from(write(w, b"!") != Ok(1))
    });
    close(w);
    // (The child may also have ended already: POLLHUP too.)
    let (answer, revents) = poll(r, POLLIN, -1);
    let woken = (answer, revents & POLLIN);
    c.equal("poll(-1) wakes at a write", woken, (Ok(1), POLLIN));
    close(r);
    c.equal("poll: the writer's status", child.and_then(wait), Some(0));
}

/// A child blocked reading an empty pipe ends when killed.
fn killed_reader(c: &mut Checker) {
    let Some((r, w)) = pipe(0) else {
        return c.check("pipe2 for kill", false, ());
    };
    let child = spawn(|| {
        let _ = read(r, &mut [0u8; 4]);
        3
    });
    close(r);
    if let Some(child) = child {
        for _ in 0..10 {
            let _ = sys(SYS_sched_yield, &[]);
        }
        c.ok(
            "kill(blocked reader)",
            sys(SYS_kill, &[child, SIGKILL as u64]),
        );
        c.equal("the blocked reader was killed", wait(child), Some(SIGKILL));
    }
    close(w);
}

fn unsafe_zeroed<T>() -> T {
    // SAFETY: used for `struct stat`, plain integers, for which zeros are valid.
    unsafe { std::mem::zeroed() }
}
