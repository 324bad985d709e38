//! File semantics that programs lean on (issue 12): an open file outlives
//! its last name, `rename` over an open file, the current directory removed
//! under a process, `O_APPEND` set by `fcntl` and honoured by `pwrite64`
//! and by two writers at once, a crowd of processes working in one
//! directory (`crowd.rs`), and what root may do whatever the mode says.
//!
//! Each check runs in two places: a directory under the temporary directory
//! (`/tmp`, a tmpfs, on Kestrel) and one in the data directory (on Kestrel
//! the root file system: ext2 when a disk is attached). On Linux both are
//! host directories. The root-only checks need an effective uid of 0: they
//! are skipped, and say so, for others.

use crate::check::Checker;
use crate::raw::{Answer, NULL, mut_ptr, ptr, sys};
use crate::vfs::{
    SYS_ACCESS, SYS_CHDIR, SYS_CHMOD, SYS_EXIT_GROUP, SYS_FORK, SYS_GETDENTS64, SYS_MKDIR,
    SYS_PREAD64, SYS_PWRITE64, SYS_RENAME, SYS_RMDIR, SYS_STAT, SYS_UNLINK, SYS_WAIT4, call1,
    close, execve_fails, exit_42_program, fstat, getcwd, open, remove_tree, run, stat, write,
};
use libc::{EACCES, ENOENT, O_APPEND, O_CREAT, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY};

const SYS_FCNTL: i64 = 72;
const F_GETFL: u64 = 3;
const F_SETFL: u64 = 4;
const X_OK: u64 = 1;
const W_OK: u64 = 2;
const R_OK: u64 = 4;

pub fn checks(c: &mut Checker) {
    let tag = format!("systest-files-{}", std::process::id());
    let temp = std::env::temp_dir()
        .join(&tag)
        .to_string_lossy()
        .into_owned();
    let data = c.data(&tag);
    for dir in [temp, data] {
        let _ = call1(SYS_MKDIR, &dir, &[0o755]);
        unlinked_but_open(c, &dir);
        renamed_over_while_open(c, &dir);
        removed_current_directory(c, &dir);
        append_flag(c, &dir);
        appends_from_two_processes(c, &dir);
        crate::crowd::many_writers(c, &dir);
        root_permissions(c, &dir);
        remove_tree(&dir);
    }
}

/// The path of `systest --hold-orphan PATH`, if asked.
pub fn hold_orphan_asked(mut args: impl Iterator<Item = String>) -> Option<String> {
    match (args.nth(1).as_deref(), args.next()) {
        (Some("--hold-orphan"), Some(path)) => Some(path),
        _ => None,
    }
}

/// Makes `path` (64 KiB), removes its name while holding it open, syncs,
/// says so, and sleeps until killed: the file is then an orphan on disk.
pub fn hold_orphan(path: &str) -> ! {
    let fd = fd_of(open(path, O_CREAT | O_RDWR, 0o644));
    let block: Vec<u8> = (0..65536u32).map(|i| (i % 251) as u8).collect();
    let written = write(fd, &block);
    let unlinked = call1(SYS_UNLINK, path, &[]);
    let _ = sys(162, &[]); // sync
    println!("systest: orphan held ({written:?}, unlink {unlinked:?})");
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}

fn pread(fd: u64, len: usize, offset: u64) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    let n = sys(
        SYS_PREAD64,
        &[fd, mut_ptr(buf.as_mut_ptr()), len as u64, offset],
    );
    buf.truncate(n.unwrap_or(0).max(0) as usize);
    buf
}

fn pwrite(fd: u64, data: &[u8], offset: u64) -> Answer {
    sys(
        SYS_PWRITE64,
        &[fd, ptr(data.as_ptr()), data.len() as u64, offset],
    )
}

fn fd_of(answer: Answer) -> u64 {
    answer.unwrap_or(-1) as u64
}

fn unlinked_but_open(c: &mut Checker, dir: &str) {
    let path = format!("{dir}/unlinked");
    let fd = fd_of(open(&path, O_CREAT | O_RDWR, 0o644));
    let other = fd_of(open(&path, O_RDONLY, 0));
    let _ = write(fd, b"hello");
    c.ok("unlink of an open file", call1(SYS_UNLINK, &path, &[]));
    c.fails("its name is gone", stat(SYS_STAT, &path).map(|_| 0), ENOENT);
    c.equal("fstat: no links left", fstat(fd).st_nlink, 0);
    c.equal("still writable", pwrite(fd, b" world", 5), Ok(6));
    c.equal("still readable", pread(fd, 64, 0), b"hello world".to_vec());
    close(fd);
    c.equal(
        "readable through another descriptor after the first closes",
        pread(other, 64, 6),
        b"world".to_vec(),
    );
    c.equal("its size", fstat(other).st_size, 11);
    close(other);
}

fn renamed_over_while_open(c: &mut Checker, dir: &str) {
    let (a, b) = (format!("{dir}/a"), format!("{dir}/b"));
    let fd = fd_of(open(&a, O_CREAT | O_RDWR, 0o644));
    let _ = write(fd, b"old");
    let new = fd_of(open(&b, O_CREAT | O_WRONLY, 0o644));
    let _ = write(new, b"new");
    close(new);
    let answer = {
        let (from, to) = (cstr(&b), cstr(&a));
        sys(SYS_RENAME, &[ptr(from.as_ptr()), ptr(to.as_ptr())])
    };
    c.ok("rename b over the open a", answer);
    c.equal(
        "the open file keeps its bytes",
        pread(fd, 16, 0),
        b"old".to_vec(),
    );
    c.equal("and has no name left", fstat(fd).st_nlink, 0);
    let reopened = fd_of(open(&a, O_RDONLY, 0));
    c.equal(
        "the name opens the new file",
        pread(reopened, 16, 0),
        b"new".to_vec(),
    );
    close(reopened);
    close(fd);
}

fn cstr(text: &str) -> Vec<u8> {
    crate::raw::c_string(text)
}

/// The entries a `getdents64` of `.` gives, or its error.
fn getdents_here() -> Answer {
    let fd = fd_of(open(".", O_RDONLY | libc::O_DIRECTORY, 0));
    let mut buf = [0u8; 1024];
    let answer = sys(SYS_GETDENTS64, &[fd, mut_ptr(buf.as_mut_ptr()), 1024]);
    close(fd);
    answer
}

fn removed_current_directory(c: &mut Checker, dir: &str) {
    let before = getcwd();
    let gone = format!("{dir}/gone");
    c.ok("mkdir", call1(SYS_MKDIR, &gone, &[0o755]));
    c.ok("chdir into it", call1(SYS_CHDIR, &gone, &[]));
    c.ok(
        "rmdir of the current directory",
        call1(SYS_RMDIR, &gone, &[]),
    );
    let mut buf = [0u8; 4096];
    let answer = sys(79, &[mut_ptr(buf.as_mut_ptr()), 4096]);
    c.fails("getcwd in a removed directory", answer, ENOENT);
    c.equal(
        "stat(.) works: no links",
        stat(SYS_STAT, ".").map(|s| s.st_nlink),
        Ok(0),
    );
    c.fails(
        "a new file there",
        open("new", O_CREAT | O_WRONLY, 0o644),
        ENOENT,
    );
    c.fails(
        "a new directory there",
        call1(SYS_MKDIR, "sub", &[0o755]),
        ENOENT,
    );
    c.fails("listing it", getdents_here(), ENOENT);
    c.ok("chdir(..) leaves it", call1(SYS_CHDIR, "..", &[]));
    c.equal("back in the parent", getcwd(), dir.to_string());
    let _ = call1(SYS_CHDIR, &before, &[]);
}

fn flags(fd: u64) -> i64 {
    sys(SYS_FCNTL, &[fd, F_GETFL]).unwrap_or(-1)
}

fn append_flag(c: &mut Checker, dir: &str) {
    let path = format!("{dir}/append");
    let fd = fd_of(open(&path, O_CREAT | O_RDWR, 0o644));
    c.equal(
        "F_GETFL: no O_APPEND yet",
        flags(fd) & i64::from(O_APPEND),
        0,
    );
    let _ = write(fd, b"ab");
    c.ok(
        "F_SETFL(O_APPEND)",
        sys(SYS_FCNTL, &[fd, F_SETFL, O_APPEND as u64]),
    );
    c.equal(
        "F_GETFL reports O_APPEND",
        flags(fd) & i64::from(O_APPEND),
        i64::from(O_APPEND),
    );
    let _ = sys(crate::vfs::SYS_LSEEK, &[fd, 0, 0]);
    let _ = write(fd, b"cd");
    c.equal(
        "a write after lseek(0) appends",
        pread(fd, 16, 0),
        b"abcd".to_vec(),
    );
    c.equal("pwrite64 with O_APPEND", pwrite(fd, b"ef", 0), Ok(2));
    c.equal(
        "appends, the offset ignored",
        pread(fd, 16, 0),
        b"abcdef".to_vec(),
    );
    c.ok("F_SETFL(0)", sys(SYS_FCNTL, &[fd, F_SETFL, 0]));
    c.equal("O_APPEND cleared", flags(fd) & i64::from(O_APPEND), 0);
    let _ = pwrite(fd, b"XY", 0);
    c.equal(
        "pwrite64 writes at its offset again",
        pread(fd, 16, 0),
        b"XYcdef".to_vec(),
    );
    c.ok(
        "F_SETFL(O_NONBLOCK)",
        sys(SYS_FCNTL, &[fd, F_SETFL, O_NONBLOCK as u64]),
    );
    c.equal(
        "F_GETFL reports O_NONBLOCK and the access mode",
        flags(fd) & i64::from(O_NONBLOCK | O_APPEND | libc::O_ACCMODE),
        i64::from(O_NONBLOCK | O_RDWR),
    );
    close(fd);
}

/// One record each writer appends.
const RECORD: usize = 8;
const ROUNDS: usize = 300;

fn appends_from_two_processes(c: &mut Checker, dir: &str) {
    let path = format!("{dir}/two-writers");
    let fd = fd_of(open(&path, O_CREAT | O_WRONLY | O_APPEND, 0o644));
    match sys(SYS_FORK, &[]) {
        Ok(0) => {
            // The child: a descriptor (an open file) of its own.
            let own = fd_of(open(&path, O_WRONLY | O_APPEND, 0));
            for _ in 0..ROUNDS {
                let _ = write(own, b"child--\n");
            }
            let _ = sys(SYS_EXIT_GROUP, &[0]);
            unreachable!("exit_group returned");
        }
        Ok(pid) => {
            for _ in 0..ROUNDS {
                let _ = write(fd, b"parent-\n");
            }
            let mut status = 0i32;
            let _ = sys(SYS_WAIT4, &[pid as u64, mut_ptr(&mut status), 0, NULL]);
        }
        Err(e) => c.check("fork for two appenders", false, e),
    }
    close(fd);
    let reader = fd_of(open(&path, O_RDONLY, 0));
    let bytes = pread(reader, 2 * ROUNDS * RECORD + 100, 0);
    close(reader);
    c.equal(
        "two appenders: every byte kept",
        bytes.len(),
        2 * ROUNDS * RECORD,
    );
    let records: Vec<&[u8]> = bytes.chunks(RECORD).collect();
    let count = |r: &[u8]| records.iter().filter(|x| **x == r).count();
    c.equal(
        "two appenders: whole records, none overwritten",
        (count(b"parent-\n"), count(b"child--\n")),
        (ROUNDS, ROUNDS),
    );
}

fn access(path: &str, mode: u64) -> Answer {
    call1(SYS_ACCESS, path, &[mode])
}

fn root_permissions(c: &mut Checker, dir: &str) {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        println!("systest: note: not root (euid != 0): root's permission checks skipped");
        return;
    }
    let prog = format!("{dir}/prog");
    let fd = fd_of(open(&prog, O_CREAT | O_WRONLY, 0o644));
    let _ = write(fd, &exit_42_program());
    close(fd);
    let _ = call1(SYS_CHMOD, &prog, &[0o644]);
    c.fails(
        "root: execve without any x bit",
        execve_fails(&prog),
        EACCES,
    );
    c.fails(
        "root: access(X_OK) without any x bit",
        access(&prog, X_OK),
        EACCES,
    );
    c.ok(
        "root: access(R_OK|W_OK) of mode 644",
        access(&prog, R_OK | W_OK),
    );
    let _ = call1(SYS_CHMOD, &prog, &[0o001]);
    c.ok(
        "root: access(X_OK) with only others' x",
        access(&prog, X_OK),
    );
    c.equal(
        "root: execve with only others' x",
        run(&prog),
        Some(42 << 8),
    );
    let _ = call1(SYS_CHMOD, &prog, &[0o000]);
    c.ok(
        "root: access(R_OK|W_OK) of mode 000",
        access(&prog, R_OK | W_OK),
    );
    let opened = open(&prog, O_RDWR, 0);
    c.ok("root: open(O_RDWR) of mode 000", opened);
    close(fd_of(opened));

    let locked = format!("{dir}/locked");
    let _ = call1(SYS_MKDIR, &locked, &[0o755]);
    let inner = format!("{locked}/prog");
    let fd = fd_of(open(&inner, O_CREAT | O_WRONLY, 0o755));
    let _ = write(fd, &exit_42_program());
    close(fd);
    let _ = call1(SYS_CHMOD, &locked, &[0o000]);
    c.ok(
        "root: access(X_OK) of a mode 000 directory",
        access(&locked, X_OK),
    );
    let made = open(&format!("{locked}/new"), O_CREAT | O_WRONLY, 0o644);
    c.ok("root: a new file in a mode 000 directory", made);
    close(fd_of(made));
    c.equal(
        "root: execve through a mode 000 directory",
        run(&inner),
        Some(42 << 8),
    );
    let _ = call1(SYS_CHMOD, &locked, &[0o755]);
}
