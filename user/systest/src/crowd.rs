//! A crowd in one directory (part of the `file_semantics` area): several
//! processes at once create and remove files and subdirectories in the
//! same directory and append records to the same file.
//!
//! A file system serializes such work somewhere (Kestrel's ext2: one lock
//! around each operation); done wrong, two creates in one directory block
//! lose an entry, a removal frees an inode another process just took, or
//! two appends land on the same bytes. Afterwards the directory must hold
//! exactly the names that were kept, the log every record once and whole.
//! On a disk, `tests/ext2_root.rs` then has `e2fsck -fn` check the image.

use crate::check::Checker;
use crate::raw::{NULL, mut_ptr, sys};
use crate::vfs::{
    SYS_EXIT_GROUP, SYS_FORK, SYS_MKDIR, SYS_RMDIR, SYS_UNLINK, SYS_WAIT4, call1, close,
    file_contents, list, open, remove_tree, write,
};
use libc::{O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY, O_WRONLY};

/// Processes working at once.
const WORKERS: usize = 4;
/// Files (and directories) each makes.
const ROUNDS: usize = 40;
/// A log record: `w1-0042\n`.
const RECORD: usize = 8;

fn record(worker: usize, round: usize) -> String {
    format!("w{worker}-{round:04}\n")
}

/// Kept if `round` is even; odd ones are removed again.
fn file_name(worker: usize, round: usize) -> String {
    format!("f{worker}-{round:04}")
}

pub fn many_writers(c: &mut Checker, dir: &str) {
    let crowd = format!("{dir}/crowd");
    let log = format!("{dir}/crowd-log");
    let _ = call1(SYS_MKDIR, &crowd, &[0o755]);
    let mut children = Vec::new();
    for worker in 0..WORKERS {
        match sys(SYS_FORK, &[]) {
            Ok(0) => {
                let failures = work(worker, &crowd, &log);
                let _ = sys(SYS_EXIT_GROUP, &[failures]);
                unreachable!("exit_group returned");
            }
            Ok(pid) => children.push(pid),
            Err(e) => c.check("fork a crowd worker", false, e),
        }
    }
    let mut statuses = Vec::new();
    for pid in children {
        let mut status = 0i32;
        let _ = sys(SYS_WAIT4, &[pid as u64, mut_ptr(&mut status), 0, NULL]);
        statuses.push(status);
    }
    c.equal(
        "crowd: every worker's calls succeeded",
        statuses,
        vec![0; WORKERS],
    );

    let mut kept: Vec<String> = (0..WORKERS)
        .flat_map(|w| (0..ROUNDS).step_by(2).map(move |r| file_name(w, r)))
        .collect();
    kept.extend([".".to_string(), "..".to_string()]);
    kept.sort();
    let names = match open(&crowd, O_RDONLY | O_DIRECTORY, 0) {
        Ok(fd) => {
            let names = list(fd as u64);
            close(fd as u64);
            names
        }
        Err(e) => vec![format!("open failed: {e}")],
    };
    c.equal(
        "crowd: the directory holds exactly the kept names",
        names,
        kept,
    );
    let kept_bytes: Vec<bool> = (0..WORKERS)
        .flat_map(|w| (0..ROUNDS).step_by(2).map(move |r| (w, r)))
        .map(|(w, r)| {
            file_contents(&format!("{crowd}/{}", file_name(w, r))) == record(w, r).as_bytes()
        })
        .collect();
    c.check(
        "crowd: every kept file holds its record",
        kept_bytes.iter().all(|&good| good),
        kept_bytes,
    );

    let bytes = file_contents(&log);
    c.equal(
        "crowd: the log's length",
        bytes.len(),
        WORKERS * ROUNDS * RECORD,
    );
    let mut records: Vec<&[u8]> = bytes.chunks(RECORD).collect();
    records.sort();
    let mut expected: Vec<String> = (0..WORKERS)
        .flat_map(|w| (0..ROUNDS).map(move |r| record(w, r)))
        .collect();
    expected.sort();
    let expected: Vec<&[u8]> = expected.iter().map(|r| r.as_bytes()).collect();
    c.check(
        "crowd: the log holds every record once, whole",
        records == expected,
        String::from_utf8_lossy(&bytes),
    );
    remove_tree(&crowd);
    let _ = call1(SYS_UNLINK, &log, &[]);
}

/// One worker's rounds; the number of calls that failed.
fn work(worker: usize, crowd: &str, log: &str) -> u64 {
    let mut failures = 0;
    let mut count = |good: bool| failures += u64::from(!good);
    let log_fd = open(log, O_CREAT | O_WRONLY | O_APPEND, 0o644);
    count(log_fd.is_ok());
    let log_fd = log_fd.unwrap_or(-1) as u64;
    for round in 0..ROUNDS {
        let text = record(worker, round);
        let path = format!("{crowd}/{}", file_name(worker, round));
        match open(&path, O_CREAT | O_EXCL | O_WRONLY, 0o644) {
            Ok(fd) => {
                count(write(fd as u64, text.as_bytes()) == Ok(RECORD as i64));
                close(fd as u64);
            }
            Err(_) => count(false),
        }
        count(write(log_fd, text.as_bytes()) == Ok(RECORD as i64));
        let sub = format!("{crowd}/d{worker}-{round:04}");
        count(call1(SYS_MKDIR, &sub, &[0o755]).is_ok());
        count(call1(SYS_RMDIR, &sub, &[]).is_ok());
        if round % 2 == 1 {
            count(call1(SYS_UNLINK, &path, &[]).is_ok());
        }
    }
    close(log_fd);
    failures
}
