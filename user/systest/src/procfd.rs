//! A process's open files seen through `/proc`: `/proc/self` (a link to
//! the caller's pid), `/proc/<pid>/fd/<n>` (a link per descriptor: the
//! file's path, with ` (deleted)` once it has no name, or `pipe:[id]`;
//! opening it opens the same file again, with a position and status flags
//! of its own), `cwd`, `cmdline`, the links `/dev/fd`, `/dev/stdin`, ...;
//! and `O_NONBLOCK` belonging to the open file, so shared by `dup` and
//! `fork` (a pipe, and the console on Kestrel: under the host test
//! standard input is not a terminal).

use crate::check::Checker;
use crate::raw::{self, NULL, mut_ptr, ptr, sys};
use libc::{
    EAGAIN, ENOENT, F_GETFL, F_SETFL, O_NONBLOCK, O_RDONLY, O_WRONLY, S_IFIFO, S_IFLNK, S_IFMT,
    SYS_close, SYS_dup, SYS_fcntl, SYS_fstat, SYS_lseek, SYS_pipe2, SYS_read, SYS_wait4, SYS_write,
};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;

pub fn checks(c: &mut Checker) {
    self_link(c);
    file_links(c);
    deleted_file(c);
    renamed_file(c);
    pipe_links(c);
    dev_links(c);
    cwd_and_cmdline(c);
    another_process(c);
    shared_flags(c);
    if c.on_kestrel {
        console_nonblocking(c);
    }
}

/// `readlink(path)` as bytes (`Err(errno)`).
fn readlink(path: &str) -> Result<Vec<u8>, i32> {
    std::fs::read_link(path)
        .map(|p| p.as_os_str().as_bytes().to_vec())
        .map_err(|e| e.raw_os_error().unwrap_or(0))
}

fn open(path: &str, flags: i32) -> Result<u64, i32> {
    let path = raw::c_string(path);
    sys(libc::SYS_open, &[ptr(path.as_ptr()), flags as u64, 0]).map(|fd| fd as u64)
}

fn close(fd: u64) {
    let _ = sys(SYS_close, &[fd]);
}

fn read(fd: u64, buf: &mut [u8]) -> Result<i64, i32> {
    sys(SYS_read, &[fd, mut_ptr(buf.as_mut_ptr()), buf.len() as u64])
}

fn write(fd: u64, bytes: &[u8]) -> Result<i64, i32> {
    sys(SYS_write, &[fd, ptr(bytes.as_ptr()), bytes.len() as u64])
}

fn pipe() -> Option<(u64, u64)> {
    let mut fds = [0i32; 2];
    sys(SYS_pipe2, &[mut_ptr(fds.as_mut_ptr()), 0]).ok()?;
    Some((fds[0] as u64, fds[1] as u64))
}

fn fstat(fd: u64) -> Option<libc::stat> {
    // SAFETY: all zeros is a valid `struct stat` (integers only).
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    sys(SYS_fstat, &[fd, mut_ptr(&mut st)]).ok()?;
    Some(st)
}

fn flags(fd: u64) -> i64 {
    sys(SYS_fcntl, &[fd, F_GETFL as u64]).unwrap_or(-1)
}

/// The names in directory `path`, sorted (empty if it cannot be listed).
fn names(path: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(path)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// `/proc/self` is a link to the caller's pid, and `/proc/<pid>` lists it.
fn self_link(c: &mut Checker) {
    let pid = std::process::id();
    c.equal(
        "readlink(/proc/self)",
        readlink("/proc/self"),
        Ok(pid.to_string().into_bytes()),
    );
    let listed = names(&format!("/proc/{pid}"));
    for name in ["cmdline", "cwd", "exe", "fd", "stat"] {
        c.check(
            &format!("/proc/<pid> lists {name}"),
            listed.iter().any(|n| n == name),
            &listed,
        );
    }
}

/// A file's link reads as its path; opening it opens the file anew (its
/// own position); once closed, the link is gone.
fn file_links(c: &mut Checker) {
    let motd = c.data("motd");
    let fd = match open(&motd, O_RDONLY) {
        Ok(fd) => fd,
        Err(e) => return c.check("open(motd)", false, e),
    };
    let link = format!("/proc/self/fd/{fd}");
    c.equal(
        "readlink(fd/N) of a file",
        readlink(&link),
        Ok(motd.clone().into_bytes()),
    );
    let listed = names("/proc/self/fd");
    for name in ["0", "1", "2", &fd.to_string()] {
        c.check(
            &format!("/proc/self/fd lists {name}"),
            listed.iter().any(|n| n == name),
            &listed,
        );
    }
    let mut first = [0u8; 8];
    let _ = read(fd, &mut first);
    match open(&link, O_RDONLY) {
        Ok(again) => {
            let mut bytes = [0u8; 8];
            let _ = read(again, &mut bytes);
            c.equal("open(fd/N) reads from the start", bytes, first);
            c.equal(
                "the first open file keeps its position",
                sys(SYS_lseek, &[fd, 0, libc::SEEK_CUR as u64]),
                Ok(8),
            );
            let same = fstat(fd).zip(fstat(again));
            c.check(
                "open(fd/N) is the same inode",
                same.is_some_and(|(a, b)| a.st_ino == b.st_ino && a.st_dev == b.st_dev),
                (),
            );
            close(again);
        }
        Err(e) => c.check("open(fd/N) of a file", false, e),
    }
    c.check(
        "lstat(fd/N) is a link",
        std::fs::symlink_metadata(&link).is_ok_and(|m| m.mode() & S_IFMT == S_IFLNK),
        (),
    );
    close(fd);
    c.equal("readlink(fd/N) once closed", readlink(&link), Err(ENOENT));
    c.fails(
        "open(fd/N) once closed",
        open(&link, O_RDONLY).map(|fd| fd as i64),
        ENOENT,
    );
}

/// A file without names: its link says ` (deleted)`, and opening the link
/// still reaches it.
fn deleted_file(c: &mut Checker) {
    let dir = std::env::temp_dir();
    let path = format!("{}/procfd-{}", dir.display(), std::process::id());
    if std::fs::write(&path, b"kept").is_err() {
        return c.check("write a file in the temporary directory", false, &path);
    }
    let fd = open(&path, O_RDONLY);
    let _ = std::fs::remove_file(&path);
    let Ok(fd) = fd else {
        return c.check("open the new file", false, fd);
    };
    let link = format!("/proc/self/fd/{fd}");
    c.equal(
        "readlink(fd/N) of a removed file",
        readlink(&link),
        Ok(format!("{path} (deleted)").into_bytes()),
    );
    match open(&link, O_RDONLY) {
        Ok(again) => {
            let mut buf = [0u8; 8];
            let n = read(again, &mut buf).unwrap_or(0) as usize;
            c.equal(
                "open(fd/N) of a removed file reads it",
                &buf[..n],
                &b"kept"[..],
            );
            close(again);
        }
        Err(e) => c.check("open(fd/N) of a removed file", false, e),
    }
    close(fd);
}

/// A file renamed while open (written under a temporary name, renamed into
/// place): its link reads as the new name.
fn renamed_file(c: &mut Checker) {
    let dir = std::env::temp_dir();
    let old = format!("{}/procfd-tmp-{}", dir.display(), std::process::id());
    let new = format!("{}/procfd-final-{}", dir.display(), std::process::id());
    if std::fs::write(&old, b"draft").is_err() {
        return c.check("write a file in the temporary directory", false, &old);
    }
    let fd = open(&old, O_RDONLY);
    let renamed = std::fs::rename(&old, &new);
    match fd {
        Ok(fd) if renamed.is_ok() => {
            c.equal(
                "readlink(fd/N) of a file renamed in its directory",
                readlink(&format!("/proc/self/fd/{fd}")),
                Ok(new.clone().into_bytes()),
            );
            close(fd);
        }
        Ok(fd) => {
            c.check("rename the open file", false, renamed);
            close(fd);
        }
        Err(e) => c.check("open the new file", false, e),
    }
    let _ = std::fs::remove_file(&old);
    let _ = std::fs::remove_file(&new);
}

/// A pipe end's link reads as `pipe:[ino]`; opening it gives an end of the
/// same pipe, even the other end for the other access mode.
fn pipe_links(c: &mut Checker) {
    let Some((r, w)) = pipe() else {
        c.check("pipe2", false, ());
        return;
    };
    let ino = fstat(r).map_or(0, |st| st.st_ino);
    let want = format!("pipe:[{ino}]").into_bytes();
    c.equal(
        "readlink(fd/N) of a pipe's read end",
        readlink(&format!("/proc/self/fd/{r}")),
        Ok(want.clone()),
    );
    c.equal(
        "readlink(fd/N) of a pipe's write end",
        readlink(&format!("/proc/self/fd/{w}")),
        Ok(want),
    );
    let st = std::fs::metadata(format!("/proc/self/fd/{r}"));
    c.check(
        "stat(fd/N) of a pipe is the pipe",
        st.as_ref()
            .is_ok_and(|m| m.mode() & S_IFMT == S_IFIFO && m.ino() == ino),
        st.map(|m| m.mode()),
    );
    // Write through a new write end opened by the read end's link, read
    // through a new read end opened by /dev/fd/<w>.
    let writer = open(&format!("/proc/self/fd/{r}"), O_WRONLY);
    let reader = open(&format!("/dev/fd/{w}"), O_RDONLY);
    if let (Ok(writer), Ok(reader)) = (writer, reader) {
        c.equal("write through fd/N", write(writer, b"hello"), Ok(5));
        let mut buf = [0u8; 16];
        let n = read(reader, &mut buf).unwrap_or(0) as usize;
        c.equal("read through /dev/fd/N", &buf[..n], &b"hello"[..]);
        c.equal(
            "an end opened by the link has its own flags",
            flags(writer) & i64::from(libc::O_ACCMODE),
            i64::from(O_WRONLY),
        );
        close(writer);
        close(reader);
    } else {
        c.check("open(fd/N) of a pipe", false, (writer, reader));
    }
    close(w);
    let mut buf = [0u8; 4];
    c.equal("read end sees the end of file", read(r, &mut buf), Ok(0));
    close(r);
}

/// `/dev/fd` and `/dev/stdin`, `stdout`, `stderr` are links into
/// `/proc/self/fd`.
fn dev_links(c: &mut Checker) {
    for (name, target) in [
        ("/dev/fd", "/proc/self/fd"),
        ("/dev/stdin", "/proc/self/fd/0"),
        ("/dev/stdout", "/proc/self/fd/1"),
        ("/dev/stderr", "/proc/self/fd/2"),
    ] {
        c.equal(
            &format!("readlink({name})"),
            readlink(name),
            Ok(target.as_bytes().to_vec()),
        );
    }
    let listed = names("/dev/fd/");
    c.check(
        "/dev/fd/ lists 0, 1, 2",
        ["0", "1", "2"]
            .iter()
            .all(|n| listed.iter().any(|l| l == n)),
        &listed,
    );
    // Standard output as a path: the same file as fd 1.
    match open("/dev/stdout", O_WRONLY) {
        Ok(out) => {
            let same = fstat(out).zip(fstat(1));
            c.check(
                "open(/dev/stdout) is fd 1's file",
                same.is_some_and(|(a, b)| a.st_ino == b.st_ino && a.st_mode == b.st_mode),
                (),
            );
            let text = b"systest: procfd through /dev/stdout\n";
            c.equal(
                "write(/dev/stdout)",
                write(out, text),
                Ok(text.len() as i64),
            );
            close(out);
        }
        Err(e) => c.check("open(/dev/stdout)", false, e),
    }
}

/// `cwd` is the current directory; `cmdline` the arguments, NUL-ended.
fn cwd_and_cmdline(c: &mut Checker) {
    let cwd = std::env::current_dir().map(|p| p.as_os_str().as_bytes().to_vec());
    c.equal(
        "readlink(/proc/self/cwd)",
        readlink("/proc/self/cwd"),
        cwd.map_err(|e| e.raw_os_error().unwrap_or(0)),
    );
    let mut want = Vec::new();
    for arg in std::env::args_os() {
        want.extend_from_slice(arg.as_bytes());
        want.push(0);
    }
    c.equal(
        "/proc/self/cmdline",
        std::fs::read("/proc/self/cmdline").map_err(|e| e.raw_os_error().unwrap_or(0)),
        Ok(want),
    );
}

/// A child's `/proc/<pid>/fd` shows the pipe it inherited, as ours does,
/// and its `exe` is our program.
fn another_process(c: &mut Checker) {
    let (Some((r, w)), Some((gate_r, gate_w))) = (pipe(), pipe()) else {
        c.check("pipe2", false, ());
        return;
    };
    let child = raw::spawn(|| {
        close(gate_w);
        let mut byte = [0u8; 1];
        let _ = read(gate_r, &mut byte);
        0
    });
    let Ok(child) = child else {
        c.check("fork", false, ());
        return;
    };
    close(gate_r);
    c.equal(
        "readlink(/proc/<child>/fd/N)",
        readlink(&format!("/proc/{child}/fd/{w}")),
        readlink(&format!("/proc/self/fd/{w}")),
    );
    c.equal(
        "readlink(/proc/<child>/exe)",
        readlink(&format!("/proc/{child}/exe")),
        readlink("/proc/self/exe"),
    );
    let listed = names(&format!("/proc/{child}/fd"));
    c.check(
        "/proc/<child>/fd lists the inherited pipe",
        listed.contains(&r.to_string()) && listed.contains(&w.to_string()),
        &listed,
    );
    let _ = write(gate_w, b"x");
    close(gate_w);
    let mut status = 0i32;
    let _ = sys(SYS_wait4, &[child, mut_ptr(&mut status), 0, NULL]);
    close(r);
    close(w);
}

/// `O_NONBLOCK` belongs to the open file: set through a `dup` or in a
/// forked child, the other descriptor sees it; a new open does not.
fn shared_flags(c: &mut Checker) {
    let Some((r, w)) = pipe() else {
        c.check("pipe2", false, ());
        return;
    };
    let copy = sys(SYS_dup, &[r]).unwrap_or(-1) as u64;
    let _ = sys(SYS_fcntl, &[copy, F_SETFL as u64, O_NONBLOCK as u64]);
    c.check(
        "F_SETFL through a dup shows in the original",
        flags(r) & i64::from(O_NONBLOCK) != 0,
        flags(r),
    );
    let mut buf = [0u8; 4];
    c.fails(
        "read of the original is nonblocking",
        read(r, &mut buf),
        EAGAIN,
    );
    let again = open(&format!("/proc/self/fd/{r}"), O_RDONLY).unwrap_or(u64::MAX);
    c.equal(
        "a new open of it is not",
        flags(again) & i64::from(O_NONBLOCK),
        0,
    );
    close(again);
    // A child clears it; the parent sees that.
    let child = raw::spawn(|| {
        let _ = sys(SYS_fcntl, &[r, F_SETFL as u64, 0]);
        0
    });
    if let Ok(child) = child {
        let mut status = 0i32;
        let _ = sys(SYS_wait4, &[child, mut_ptr(&mut status), 0, NULL]);
    }
    c.equal(
        "F_SETFL in a forked child shows in the parent",
        flags(copy) & i64::from(O_NONBLOCK),
        0,
    );
    for fd in [copy, r, w] {
        close(fd);
    }
}

/// The console with `O_NONBLOCK` and nothing typed: `EAGAIN`, whether
/// opened so or set by `fcntl` on a copy of standard input.
fn console_nonblocking(c: &mut Checker) {
    let mut buf = [0u8; 16];
    match open("/dev/tty", O_RDONLY | O_NONBLOCK) {
        Ok(tty) => {
            c.fails("read(/dev/tty, O_NONBLOCK)", read(tty, &mut buf), EAGAIN);
            close(tty);
        }
        Err(e) => c.check("open(/dev/tty, O_NONBLOCK)", false, e),
    }
    let before = flags(0);
    let copy = sys(SYS_dup, &[0]).unwrap_or(-1) as u64;
    let _ = sys(
        SYS_fcntl,
        &[
            copy,
            F_SETFL as u64,
            (before | i64::from(O_NONBLOCK)) as u64,
        ],
    );
    c.fails("read(0) after F_SETFL on a dup", read(0, &mut buf), EAGAIN);
    let _ = sys(SYS_fcntl, &[copy, F_SETFL as u64, before as u64]);
    close(copy);
    c.equal("F_SETFL restores fd 0", flags(0), before);
}
