//! Files: open, openat, read, readv, lseek, fstat, stat, lstat,
//! newfstatat, getdents64, close; the fd rules (lowest free, EMFILE, EBADF).

use crate::check::Checker;
use crate::raw::{KERNEL, NULL, UNMAPPED, WRAPPING, c_string, mut_ptr, ptr, sys};
use libc::{
    AT_EMPTY_PATH, AT_FDCWD, EBADF, EFAULT, EINVAL, EISDIR, EMFILE, ENAMETOOLONG, ENOENT, ENOTDIR,
    O_DIRECTORY, O_RDONLY, O_WRONLY, S_IFMT, S_IFREG, SEEK_CUR, SEEK_END, SEEK_SET, SYS_close,
    SYS_fstat, SYS_getdents64, SYS_lseek, SYS_lstat, SYS_newfstatat, SYS_open, SYS_openat,
    SYS_read, SYS_readv, SYS_stat, SYS_write,
};

const MOTD_START: &[u8] = b"Welcome to Kestrel";

fn open(path: &str, flags: i32) -> crate::raw::Answer {
    let path = c_string(path);
    sys(SYS_open, &[ptr(path.as_ptr()), flags as u64])
}

fn stat_of(c: &mut Checker, what: &str, call: i64, args: &[u64]) -> libc::stat {
    // SAFETY: all zeros is a valid `struct stat` (integers only).
    let mut buf: libc::stat = unsafe { std::mem::zeroed() };
    let mut all = args.to_vec();
    let at = if call == SYS_newfstatat { 2 } else { 1 };
    all.insert(at, mut_ptr(&mut buf));
    c.ok(what, sys(call, &all));
    buf
}

pub fn checks(c: &mut Checker) {
    let motd = c.data("motd");
    let fd = c.ok("open(motd, O_RDONLY)", open(&motd, O_RDONLY));
    let fd = fd as u64;
    let mut buf = [0u8; 64];
    let n = c.ok(
        "read(motd, 18)",
        sys(SYS_read, &[fd, mut_ptr(buf.as_mut_ptr()), 18]),
    );
    c.equal("motd's first bytes", &buf[..n.max(0) as usize], MOTD_START);
    let size = c.ok("lseek(SEEK_END)", sys(SYS_lseek, &[fd, 0, SEEK_END as u64]));
    c.equal(
        "read at the end",
        sys(SYS_read, &[fd, mut_ptr(buf.as_mut_ptr()), 8]),
        Ok(0),
    );
    c.equal(
        "lseek(-2, SEEK_CUR)",
        sys(SYS_lseek, &[fd, -2i64 as u64, SEEK_CUR as u64]),
        Ok(size - 2),
    );
    c.equal(
        "read the last 2 bytes",
        sys(SYS_read, &[fd, mut_ptr(buf.as_mut_ptr()), 8]),
        Ok(2),
    );
    c.fails("lseek(whence 7)", sys(SYS_lseek, &[fd, 0, 7]), EINVAL);
    c.equal(
        "lseek(1, SEEK_DATA)",
        sys(SYS_lseek, &[fd, 1, libc::SEEK_DATA as u64]),
        Ok(1),
    );
    c.equal(
        "lseek(0, SEEK_HOLE)",
        sys(SYS_lseek, &[fd, 0, libc::SEEK_HOLE as u64]),
        Ok(size),
    );
    c.fails(
        "lseek(size, SEEK_DATA)",
        sys(SYS_lseek, &[fd, size as u64, libc::SEEK_DATA as u64]),
        libc::ENXIO,
    );
    c.fails(
        "lseek(-1, SEEK_SET)",
        sys(SYS_lseek, &[fd, -1i64 as u64, SEEK_SET as u64]),
        EINVAL,
    );
    c.equal(
        "lseek(0, SEEK_SET)",
        sys(SYS_lseek, &[fd, 0, SEEK_SET as u64]),
        Ok(0),
    );
    let st = stat_of(c, "fstat(motd)", SYS_fstat, &[fd]);
    c.equal("fstat size", st.st_size, size);
    c.equal("fstat type", st.st_mode & S_IFMT, S_IFREG);
    let st = stat_of(c, "stat(motd)", SYS_stat, &[ptr(c_string(&motd).as_ptr())]);
    c.equal("stat size", st.st_size, size);
    let st = stat_of(
        c,
        "lstat(motd)",
        SYS_lstat,
        &[ptr(c_string(&motd).as_ptr())],
    );
    c.equal("lstat size", st.st_size, size);
    let empty = c_string("");
    let st = stat_of(
        c,
        "newfstatat(fd, \"\", AT_EMPTY_PATH)",
        SYS_newfstatat,
        &[fd, ptr(empty.as_ptr()), AT_EMPTY_PATH as u64],
    );
    c.equal("newfstatat size", st.st_size, size);

    // Bad pointers and bad descriptors.
    c.fails("read(buf NULL)", sys(SYS_read, &[fd, NULL, 8]), EFAULT);
    c.fails(
        "read(buf in the kernel)",
        sys(SYS_read, &[fd, KERNEL, 8]),
        EFAULT,
    );
    c.fails(
        "read(buf unmapped)",
        sys(SYS_read, &[fd, UNMAPPED, 8]),
        EFAULT,
    );
    c.fails(
        "read(buf wraps)",
        sys(SYS_read, &[fd, WRAPPING, 100]),
        EFAULT,
    );
    c.fails(
        "read(fd -1)",
        sys(SYS_read, &[-1i64 as u64, mut_ptr(buf.as_mut_ptr()), 8]),
        EBADF,
    );
    c.fails(
        "read(fd 999)",
        sys(SYS_read, &[999, mut_ptr(buf.as_mut_ptr()), 8]),
        EBADF,
    );
    c.fails(
        "write(read-only fd)",
        sys(SYS_write, &[fd, ptr(buf.as_ptr()), 1]),
        EBADF,
    );
    c.fails("fstat(buf NULL)", sys(SYS_fstat, &[fd, NULL]), EFAULT);
    c.fails(
        "fstat(buf in the kernel)",
        sys(SYS_fstat, &[fd, KERNEL]),
        EFAULT,
    );
    c.fails(
        "fstat(fd 999)",
        sys(SYS_fstat, &[999, mut_ptr(buf.as_mut_ptr())]),
        EBADF,
    );
    c.fails("lseek(fd 999)", sys(SYS_lseek, &[999, 0, 0]), EBADF);
    c.fails("open(NULL)", sys(SYS_open, &[NULL, 0]), EFAULT);
    c.fails("open(kernel address)", sys(SYS_open, &[KERNEL, 0]), EFAULT);
    c.fails("open(unmapped)", sys(SYS_open, &[UNMAPPED, 0]), EFAULT);
    c.fails(
        "stat(NULL)",
        sys(SYS_stat, &[NULL, mut_ptr(buf.as_mut_ptr())]),
        EFAULT,
    );

    // Path errors.
    c.fails(
        "open(missing)",
        open(&c.data("no-such-file"), O_RDONLY),
        ENOENT,
    );
    c.fails("open(\"\")", open("", O_RDONLY), ENOENT);
    c.fails(
        "open(motd/x)",
        open(&format!("{motd}/x"), O_RDONLY),
        ENOTDIR,
    );
    c.fails("open(motd/)", open(&format!("{motd}/"), O_RDONLY), ENOTDIR);
    c.fails("open(motd, O_DIRECTORY)", open(&motd, O_DIRECTORY), ENOTDIR);
    let long_name = format!("/{}", "a".repeat(256));
    c.fails(
        "open(component of 256)",
        open(&long_name, O_RDONLY),
        ENAMETOOLONG,
    );
    let long_path = "/".repeat(4096);
    c.fails(
        "open(path of 4096)",
        open(&long_path, O_RDONLY),
        ENAMETOOLONG,
    );
    c.fails("open(dir, O_WRONLY)", open(&c.data_dir, O_WRONLY), EISDIR);

    // Directories.
    let dir = c.ok(
        "open(dir, O_DIRECTORY)",
        open(&c.data_dir, O_RDONLY | O_DIRECTORY),
    ) as u64;
    c.fails(
        "read(dir)",
        sys(SYS_read, &[dir, mut_ptr(buf.as_mut_ptr()), 8]),
        EISDIR,
    );
    c.fails(
        "getdents64(buf NULL)",
        sys(SYS_getdents64, &[dir, NULL, 64]),
        EFAULT,
    );
    let names = list(c, dir);
    c.check(
        "getdents64 lists . and motd",
        names.iter().any(|n| n == ".") && names.iter().any(|n| n == "motd"),
        &names,
    );
    c.fails(
        "getdents64(file)",
        sys(SYS_getdents64, &[fd, mut_ptr(buf.as_mut_ptr()), 64]),
        ENOTDIR,
    );
    let name = c_string("motd");
    let at = c.ok(
        "openat(dir, \"motd\")",
        sys(SYS_openat, &[dir, ptr(name.as_ptr()), 0]),
    );
    c.ok("close(openat's fd)", sys(SYS_close, &[at as u64]));
    c.fails(
        "openat(file, \"motd\")",
        sys(SYS_openat, &[fd, ptr(name.as_ptr()), 0]),
        ENOTDIR,
    );
    c.fails(
        "openat(999, \"motd\")",
        sys(SYS_openat, &[999, ptr(name.as_ptr()), 0]),
        EBADF,
    );
    let path = c_string(&motd);
    c.fails(
        "newfstatat(unknown flag)",
        sys(
            SYS_newfstatat,
            &[
                AT_FDCWD as u64,
                ptr(path.as_ptr()),
                mut_ptr(buf.as_mut_ptr()),
                0x8000_0000,
            ],
        ),
        EINVAL,
    );

    // readv into two pieces.
    sys(SYS_lseek, &[fd, 0, SEEK_SET as u64]).ok();
    let (mut a, mut b) = ([0u8; 7], [0u8; 11]);
    let iov = [
        libc::iovec {
            iov_base: a.as_mut_ptr().cast(),
            iov_len: a.len(),
        },
        libc::iovec {
            iov_base: b.as_mut_ptr().cast(),
            iov_len: b.len(),
        },
    ];
    c.equal(
        "readv(7 + 11)",
        sys(SYS_readv, &[fd, ptr(iov.as_ptr()), 2]),
        Ok(18),
    );
    c.equal(
        "readv's bytes",
        [&a[..], &b[..]].concat(),
        MOTD_START.to_vec(),
    );

    // The lowest free descriptor; close twice.
    c.ok("close(dir)", sys(SYS_close, &[dir]));
    c.fails("close again", sys(SYS_close, &[dir]), EBADF);
    c.equal(
        "open takes the lowest free fd",
        open(&motd, O_RDONLY),
        Ok(dir as i64),
    );
    c.ok("close", sys(SYS_close, &[dir]));
    c.fails("close(-1)", sys(SYS_close, &[-1i64 as u64]), EBADF);
    too_many_files(c, &motd);
    c.ok("close(motd)", sys(SYS_close, &[fd]));
}

/// The names in a directory, from getdents64.
fn list(c: &mut Checker, dir: u64) -> Vec<String> {
    let mut names = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let n = c.ok(
            "getdents64",
            sys(SYS_getdents64, &[dir, mut_ptr(buf.as_mut_ptr()), 1024]),
        );
        if n <= 0 {
            return names;
        }
        let mut at = 0;
        while at < n as usize {
            let len = u16::from_ne_bytes([buf[at + 16], buf[at + 17]]) as usize;
            let name = &buf[at + 19..at + len];
            let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            names.push(String::from_utf8_lossy(&name[..end]).into_owned());
            at += len;
        }
    }
}

/// Opens files until the table is full: `EMFILE`, within 256 descriptors
/// (on Linux after lowering the limit to 256; Kestrel's is 256).
fn too_many_files(c: &mut Checker, motd: &str) {
    let limit = libc::rlimit {
        rlim_cur: 256,
        rlim_max: 256,
    };
    // SAFETY: `limit` is a valid `struct rlimit`. (On Kestrel this fails with
    // ENOSYS and the limit is 256 already.)
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    let mut opened = Vec::new();
    let last = loop {
        match open(motd, O_RDONLY) {
            Ok(fd) if opened.len() < 1000 => opened.push(fd),
            other => break other,
        }
    };
    c.fails("open past the limit", last, EMFILE);
    c.check(
        "the limit is 256 descriptors",
        opened.last().is_some_and(|&fd| fd == 255),
        opened.last(),
    );
    for fd in opened {
        sys(SYS_close, &[fd as u64]).ok();
    }
}
