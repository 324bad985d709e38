//! The VFS: making, writing, linking, renaming and removing files and
//! directories; the current directory; attributes; devices;
//! `/proc/self/exe`; execve of a program written at run time.
//!
//! Everything happens in a fresh directory under the system's temporary
//! directory (`/tmp` on Kestrel, a tmpfs there; `std::env::temp_dir()` on
//! Linux), or under the work directory systest was given (the ext2 disk in
//! `tests/ext2_root.rs`), removed at the end. Calls are raw, so the error
//! numbers are the kernel's own.

use crate::check::Checker;
use crate::raw::{Answer, NULL, c_string, mut_ptr, ptr, sys};
use libc::{
    AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, EACCES, EBADF, EEXIST, EINVAL, EISDIR, ELOOP,
    ENOENT, ENOEXEC, ENOTDIR, ENOTEMPTY, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW,
    O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, SEEK_CUR, SEEK_SET,
};

const SYS_READ: i64 = 0;
const SYS_WRITE: i64 = 1;
const SYS_OPEN: i64 = 2;
const SYS_CLOSE: i64 = 3;
pub(crate) const SYS_STAT: i64 = 4;
const SYS_FSTAT: i64 = 5;
const SYS_LSTAT: i64 = 6;
pub(crate) const SYS_LSEEK: i64 = 8;
pub(crate) const SYS_PREAD64: i64 = 17;
pub(crate) const SYS_PWRITE64: i64 = 18;
pub(crate) const SYS_ACCESS: i64 = 21;
pub(crate) const SYS_FORK: i64 = 57;
const SYS_EXECVE: i64 = 59;
pub(crate) const SYS_EXIT_GROUP: i64 = 231;
pub(crate) const SYS_WAIT4: i64 = 61;
const SYS_FSYNC: i64 = 74;
const SYS_FDATASYNC: i64 = 75;
const SYS_TRUNCATE: i64 = 76;
const SYS_FTRUNCATE: i64 = 77;
const SYS_GETCWD: i64 = 79;
pub(crate) const SYS_CHDIR: i64 = 80;
const SYS_FCHDIR: i64 = 81;
pub(crate) const SYS_RENAME: i64 = 82;
pub(crate) const SYS_MKDIR: i64 = 83;
pub(crate) const SYS_RMDIR: i64 = 84;
const SYS_LINK: i64 = 86;
pub(crate) const SYS_UNLINK: i64 = 87;
const SYS_SYMLINK: i64 = 88;
const SYS_READLINK: i64 = 89;
pub(crate) const SYS_CHMOD: i64 = 90;
const SYS_FCHMOD: i64 = 91;
const SYS_UMASK: i64 = 95;
const SYS_STATFS: i64 = 137;
const SYS_FSTATFS: i64 = 138;
const SYS_SYNC: i64 = 162;
pub(crate) const SYS_GETDENTS64: i64 = 217;
const SYS_MKDIRAT: i64 = 258;
const SYS_NEWFSTATAT: i64 = 262;
const SYS_UNLINKAT: i64 = 263;
const SYS_RENAMEAT: i64 = 264;
const SYS_LINKAT: i64 = 265;
const SYS_SYMLINKAT: i64 = 266;
const SYS_READLINKAT: i64 = 267;
const SYS_FCHMODAT: i64 = 268;
const SYS_FACCESSAT: i64 = 269;
const SYS_UTIMENSAT: i64 = 280;
const SYS_SYNCFS: i64 = 306;
const SYS_RENAMEAT2: i64 = 316;
const SYS_FACCESSAT2: i64 = 439;

const CWD: u64 = AT_FDCWD as u64;

/// A path argument: the bytes live as long as the value.
struct Path(Vec<u8>);

impl Path {
    fn new(text: &str) -> Path {
        Path(c_string(text))
    }
    fn arg(&self) -> u64 {
        ptr(self.0.as_ptr())
    }
}

pub(crate) fn call1(number: i64, path: &str, rest: &[u64]) -> Answer {
    let path = Path::new(path);
    let mut args = vec![path.arg()];
    args.extend_from_slice(rest);
    sys(number, &args)
}

fn call2(number: i64, a: &str, b: &str) -> Answer {
    let (a, b) = (Path::new(a), Path::new(b));
    sys(number, &[a.arg(), b.arg()])
}

pub(crate) fn open(path: &str, flags: i32, mode: u32) -> Answer {
    call1(SYS_OPEN, path, &[flags as u64, u64::from(mode)])
}

pub(crate) fn write(fd: u64, data: &[u8]) -> Answer {
    sys(SYS_WRITE, &[fd, ptr(data.as_ptr()), data.len() as u64])
}

pub(crate) fn read(fd: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    let n = sys(SYS_READ, &[fd, mut_ptr(buf.as_mut_ptr()), len as u64]).unwrap_or(0);
    buf.truncate(n.max(0) as usize);
    buf
}

pub(crate) fn close(fd: u64) {
    let _ = sys(SYS_CLOSE, &[fd]);
}

pub(crate) fn stat(number: i64, path: &str) -> Result<libc::stat, i32> {
    // SAFETY: all zeros is a valid `struct stat` (integers only).
    let mut buf: libc::stat = unsafe { std::mem::zeroed() };
    call1(number, path, &[mut_ptr(&mut buf)]).map(|_| buf)
}

pub(crate) fn fstat(fd: u64) -> libc::stat {
    // SAFETY: as in `stat`.
    let mut buf: libc::stat = unsafe { std::mem::zeroed() };
    let _ = sys(SYS_FSTAT, &[fd, mut_ptr(&mut buf)]);
    buf
}

pub(crate) fn file_contents(path: &str) -> Vec<u8> {
    match open(path, O_RDONLY, 0) {
        Ok(fd) => {
            let bytes = read(fd as u64, 4096);
            close(fd as u64);
            bytes
        }
        Err(_) => Vec::new(),
    }
}

pub(crate) fn getcwd() -> String {
    let mut buf = [0u8; 4096];
    match sys(SYS_GETCWD, &[mut_ptr(buf.as_mut_ptr()), 4096]) {
        Ok(n) if n > 0 => String::from_utf8_lossy(&buf[..n as usize - 1]).into_owned(),
        _ => String::new(),
    }
}

fn readlink(path: &str) -> Result<Vec<u8>, i32> {
    let mut buf = [0u8; 256];
    let n = call1(SYS_READLINK, path, &[mut_ptr(buf.as_mut_ptr()), 256])?;
    Ok(buf[..n as usize].to_vec())
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// The names a `getdents64` of the open directory `fd` gives.
pub(crate) fn list(fd: u64) -> Vec<String> {
    let mut names = Vec::new();
    let mut buf = [0u8; 1024];
    while let Ok(n) = sys(SYS_GETDENTS64, &[fd, mut_ptr(buf.as_mut_ptr()), 1024]) {
        if n <= 0 {
            break;
        }
        let mut at = 0;
        while at < n as usize {
            let len = u16::from_le_bytes([buf[at + 16], buf[at + 17]]) as usize;
            let name = &buf[at + 19..at + len];
            let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            names.push(String::from_utf8_lossy(&name[..end]).into_owned());
            at += len;
        }
    }
    names.sort();
    names
}

pub fn checks(c: &mut Checker) {
    let base = format!("{}/systest-vfs-{}", c.work_dir, std::process::id());
    let _ = call1(SYS_MKDIR, &base, &[0o755]);
    let before = getcwd();
    c.ok("chdir(work directory)", call1(SYS_CHDIR, &base, &[]));
    c.check(
        "getcwd after chdir",
        getcwd().ends_with(&format!("/systest-vfs-{}", std::process::id())),
        getcwd(),
    );
    create_write_read(c);
    names(c);
    attributes(c);
    directories(c);
    long_current_directory(c);
    devices(c);
    programs(c);
    // Clean up, from the parent directory.
    let _ = call1(SYS_CHDIR, &before, &[]);
    remove_tree(&base);
    c.fails(
        "stat(removed work dir)",
        stat(SYS_STAT, &base).map(|_| 0),
        ENOENT,
    );
}

pub(crate) fn remove_tree(path: &str) {
    if let Ok(fd) = open(path, O_RDONLY | O_DIRECTORY, 0) {
        for name in list(fd as u64) {
            if name != "." && name != ".." {
                let child = format!("{path}/{name}");
                if call1(SYS_UNLINK, &child, &[]) == Err(EISDIR) {
                    remove_tree(&child);
                }
            }
        }
        close(fd as u64);
    }
    let _ = call1(SYS_RMDIR, path, &[]);
}

fn create_write_read(c: &mut Checker) {
    let old = sys(SYS_UMASK, &[0o027]).unwrap_or(0o022);
    c.equal(
        "umask returns the old mask",
        sys(SYS_UMASK, &[0o027]),
        Ok(0o027),
    );
    let fd = c.ok("open(O_CREAT)", open("f", O_CREAT | O_WRONLY, 0o666)) as u64;
    c.equal(
        "the new file's mode, umask applied",
        fstat(fd).st_mode,
        S_IFREG | 0o640,
    );
    let _ = sys(SYS_UMASK, &[old as u64]);
    c.equal("write(hello)", write(fd, b"hello"), Ok(5));
    c.fails("read(O_WRONLY file)", sys(SYS_READ, &[fd, NULL, 0]), EBADF);
    close(fd);
    let fd = c.ok("open(O_APPEND)", open("f", O_RDWR | O_APPEND, 0)) as u64;
    let _ = sys(SYS_LSEEK, &[fd, 0, SEEK_SET as u64]);
    c.equal(
        "write(O_APPEND) goes to the end",
        write(fd, b" world"),
        Ok(6),
    );
    c.equal(
        "file after append",
        file_contents("f"),
        b"hello world".to_vec(),
    );
    let mut buf = [0u8; 5];
    let got = sys(SYS_PREAD64, &[fd, mut_ptr(buf.as_mut_ptr()), 5, 6]);
    c.equal("pread64(5 at 6)", (got, &buf), (Ok(5), b"world"));
    c.equal(
        "pread64 leaves the position",
        sys(SYS_LSEEK, &[fd, 0, SEEK_CUR as u64]),
        Ok(11),
    );
    close(fd);
    let fd = open("f", O_RDWR, 0).unwrap_or(-1) as u64;
    c.equal(
        "pwrite64(J at 0)",
        sys(SYS_PWRITE64, &[fd, ptr(b"J".as_ptr()), 1, 0]),
        Ok(1),
    );
    c.equal(
        "file after pwrite",
        file_contents("f"),
        b"Jello world".to_vec(),
    );
    c.equal(
        "lseek past the end, write: a gap of zeros",
        sys(SYS_LSEEK, &[fd, 13, SEEK_SET as u64]).and_then(|_| write(fd, b"!")),
        Ok(1),
    );
    c.equal(
        "file with a gap",
        file_contents("f"),
        b"Jello world\0\0!".to_vec(),
    );
    c.ok("fsync", sys(SYS_FSYNC, &[fd]));
    c.ok("fdatasync", sys(SYS_FDATASYNC, &[fd]));
    c.ok("syncfs", sys(SYS_SYNCFS, &[fd]));
    c.ok("sync", sys(SYS_SYNC, &[]));
    close(fd);
    c.fails(
        "open(O_CREAT|O_EXCL) of a file",
        open("f", O_CREAT | O_EXCL | O_WRONLY, 0o644),
        EEXIST,
    );
    c.fails(
        "open(O_DIRECTORY) of a file",
        open("f", O_RDONLY | O_DIRECTORY, 0),
        ENOTDIR,
    );
    c.fails("open(file/)", open("f/", O_RDONLY, 0), ENOTDIR);
    c.fails("open(missing)", open("missing", O_RDONLY, 0), ENOENT);
    c.fails(
        "open(O_CREAT, name/)",
        open("new/", O_CREAT | O_WRONLY, 0o644),
        EISDIR,
    );
    c.fails("open(., O_WRONLY)", open(".", O_WRONLY, 0), EISDIR);
    let fd = c.ok("open(O_TRUNC)", open("f", O_WRONLY | O_TRUNC, 0)) as u64;
    c.equal("size after O_TRUNC", fstat(fd).st_size, 0);
    close(fd);
}

fn names(c: &mut Checker) {
    let fd = open("a", O_CREAT | O_WRONLY, 0o644).unwrap_or(-1) as u64;
    let _ = write(fd, b"data");
    close(fd);
    c.ok("link(a, b)", call2(SYS_LINK, "a", "b"));
    c.equal("two links", stat(SYS_STAT, "a").map(|s| s.st_nlink), Ok(2));
    c.fails(
        "link over an existing name",
        call2(SYS_LINK, "a", "b"),
        EEXIST,
    );
    c.ok("unlink(a)", call1(SYS_UNLINK, "a", &[]));
    c.equal("b keeps the data", file_contents("b"), b"data".to_vec());
    c.equal(
        "one link left",
        stat(SYS_STAT, "b").map(|s| s.st_nlink),
        Ok(1),
    );
    c.fails("unlink(missing)", call1(SYS_UNLINK, "a", &[]), ENOENT);
    c.ok("symlink(b, s)", call2(SYS_SYMLINK, "b", "s"));
    c.equal("readlink(s)", readlink("s"), Ok(b"b".to_vec()));
    c.fails("readlink(file)", readlink("b").map(|_| 0), EINVAL);
    c.equal(
        "lstat(s) is a link",
        stat(SYS_LSTAT, "s").map(|s| s.st_mode & S_IFMT),
        Ok(S_IFLNK),
    );
    c.equal(
        "stat(s) is the file",
        stat(SYS_STAT, "s").map(|s| s.st_mode & S_IFMT),
        Ok(S_IFREG),
    );
    c.fails(
        "open(link, O_NOFOLLOW)",
        open("s", O_RDONLY | O_NOFOLLOW, 0),
        ELOOP,
    );
    c.ok("symlink(loop, loop)", call2(SYS_SYMLINK, "loop", "loop"));
    c.fails(
        "stat(a link loop)",
        stat(SYS_STAT, "loop").map(|_| 0),
        ELOOP,
    );
    c.ok("rename(b, c)", call2(SYS_RENAME, "b", "c"));
    c.fails("stat(old name)", stat(SYS_STAT, "b").map(|_| 0), ENOENT);
    c.fails(
        "stat(dangling link)",
        stat(SYS_STAT, "s").map(|_| 0),
        ENOENT,
    );
    c.ok("rename(c, s) over the link", call2(SYS_RENAME, "c", "s"));
    c.equal(
        "s is a file now",
        stat(SYS_LSTAT, "s").map(|s| s.st_mode & S_IFMT),
        Ok(S_IFREG),
    );
    // The *at forms, from a directory descriptor.
    let _ = call1(SYS_MKDIR, "at", &[0o755]);
    let dir = open("at", O_RDONLY | O_DIRECTORY, 0).unwrap_or(-1) as u64;
    let (x, y, z) = (Path::new("x"), Path::new("y"), Path::new("z"));
    c.ok("mkdirat", sys(SYS_MKDIRAT, &[dir, x.arg(), 0o700]));
    c.equal(
        "mkdirat's mode",
        stat(SYS_STAT, "at/x").map(|s| s.st_mode),
        Ok(S_IFDIR | 0o700),
    );
    c.ok("symlinkat", sys(SYS_SYMLINKAT, &[x.arg(), dir, y.arg()]));
    let mut buf = [0u8; 8];
    c.equal(
        "readlinkat",
        sys(
            SYS_READLINKAT,
            &[dir, y.arg(), mut_ptr(buf.as_mut_ptr()), 8],
        ),
        Ok(1),
    );
    // SAFETY: all zeros is a valid `struct stat`.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let nofollow = AT_SYMLINK_NOFOLLOW as u64;
    c.ok(
        "newfstatat(AT_SYMLINK_NOFOLLOW)",
        sys(SYS_NEWFSTATAT, &[dir, y.arg(), mut_ptr(&mut st), nofollow]),
    );
    c.equal("newfstatat saw the link", st.st_mode & S_IFMT, S_IFLNK);
    c.ok("renameat", sys(SYS_RENAMEAT, &[dir, y.arg(), dir, z.arg()]));
    c.ok(
        "renameat2(flags 0)",
        sys(SYS_RENAMEAT2, &[dir, z.arg(), dir, y.arg(), 0]),
    );
    c.ok("linkat", sys(SYS_LINKAT, &[dir, y.arg(), dir, z.arg(), 0]));
    c.ok("unlinkat(link)", sys(SYS_UNLINKAT, &[dir, z.arg(), 0]));
    c.ok("unlinkat(link)", sys(SYS_UNLINKAT, &[dir, y.arg(), 0]));
    c.fails(
        "unlinkat(dir, 0)",
        sys(SYS_UNLINKAT, &[dir, x.arg(), 0]),
        EISDIR,
    );
    let removedir = AT_REMOVEDIR as u64;
    c.ok(
        "unlinkat(AT_REMOVEDIR)",
        sys(SYS_UNLINKAT, &[dir, x.arg(), removedir]),
    );
    c.equal("the directory is empty", list(dir), strings(&[".", ".."]));
    close(dir);
}

/// Whether open file `fd` is on a tmpfs (Kestrel's RAM file system).
fn on_tmpfs(fd: u64) -> bool {
    // SAFETY: all zeros is a valid `struct statfs`.
    let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
    sys(SYS_FSTATFS, &[fd, mut_ptr(&mut fs)]).is_ok() && fs.f_type as i64 == libc::TMPFS_MAGIC
}

fn attributes(c: &mut Checker) {
    let fd = open("m", O_CREAT | O_RDWR, 0o644).unwrap_or(-1) as u64;
    let _ = write(fd, b"0123456789");
    let st = fstat(fd);
    c.equal("st_size", st.st_size, 10);
    c.check("st_blocks counts the data", st.st_blocks > 0, st.st_blocks);
    // SAFETY: getuid cannot fail.
    c.equal("st_uid", st.st_uid, unsafe { libc::getuid() });
    c.check(
        "st_mtime is today's",
        st.st_mtime > 1_600_000_000,
        st.st_mtime,
    );
    c.ok("truncate(3)", call1(SYS_TRUNCATE, "m", &[3]));
    c.equal("size after truncate", fstat(fd).st_size, 3);
    c.ok("ftruncate(20)", sys(SYS_FTRUNCATE, &[fd, 20]));
    c.equal("size after ftruncate", fstat(fd).st_size, 20);
    if c.on_kestrel && on_tmpfs(fd) {
        // A RAM file of 1 GiB does not fit (the kernel heap has at most
        // 512 MiB): ENOSPC, and the kernel goes on. (Linux makes it sparse.)
        let huge = sys(SYS_FTRUNCATE, &[fd, 1 << 30]);
        c.fails("ftruncate(1 GiB) of a RAM file", huge, libc::ENOSPC);
        c.equal("size after ENOSPC", fstat(fd).st_size, 20);
    } else {
        // On a disk (and on Linux) the file becomes sparse: a size, no blocks.
        c.ok("ftruncate(1 GiB)", sys(SYS_FTRUNCATE, &[fd, 1 << 30]));
        c.equal("size after ftruncate(1 GiB)", fstat(fd).st_size, 1 << 30);
        c.ok("ftruncate(20) again", sys(SYS_FTRUNCATE, &[fd, 20]));
    }
    c.fails("truncate(dir)", call1(SYS_TRUNCATE, ".", &[0]), EISDIR);
    c.fails(
        "truncate(-1)",
        call1(SYS_TRUNCATE, "m", &[u64::MAX]),
        EINVAL,
    );
    let ro = open("m", O_RDONLY, 0).unwrap_or(-1) as u64;
    c.fails("ftruncate(O_RDONLY)", sys(SYS_FTRUNCATE, &[ro, 0]), EINVAL);
    c.fails("write(O_RDONLY)", write(ro, b"x"), EBADF);
    close(ro);
    c.ok("chmod(0600)", call1(SYS_CHMOD, "m", &[0o600]));
    c.equal("mode after chmod", fstat(fd).st_mode, S_IFREG | 0o600);
    c.ok("fchmod(0751)", sys(SYS_FCHMOD, &[fd, 0o751]));
    c.equal("mode after fchmod", fstat(fd).st_mode, S_IFREG | 0o751);
    let m = Path::new("m");
    c.ok(
        "fchmodat(0644)",
        sys(SYS_FCHMODAT, &[CWD, m.arg(), 0o644, 0]),
    );
    c.equal("mode after fchmodat", fstat(fd).st_mode, S_IFREG | 0o644);
    c.ok("access(F_OK)", call1(SYS_ACCESS, "m", &[0]));
    c.ok("access(R_OK|W_OK)", call1(SYS_ACCESS, "m", &[6]));
    c.fails(
        "access(X_OK) without x",
        call1(SYS_ACCESS, "m", &[1]),
        EACCES,
    );
    c.ok("access(dir, X_OK)", call1(SYS_ACCESS, ".", &[1]));
    c.fails("access(missing)", call1(SYS_ACCESS, "nope", &[0]), ENOENT);
    c.fails("access(mode 8)", call1(SYS_ACCESS, "m", &[8]), EINVAL);
    c.ok("faccessat", sys(SYS_FACCESSAT, &[CWD, m.arg(), 4]));
    c.ok("faccessat2", sys(SYS_FACCESSAT2, &[CWD, m.arg(), 4, 0]));
    let times: [i64; 4] = [1000, 0, 2000, 0];
    c.ok(
        "utimensat",
        sys(SYS_UTIMENSAT, &[CWD, m.arg(), ptr(times.as_ptr()), 0]),
    );
    let st = fstat(fd);
    c.equal("atime, mtime set", (st.st_atime, st.st_mtime), (1000, 2000));
    let omit: [i64; 4] = [5, libc::UTIME_OMIT, 3000, 0];
    c.ok(
        "utimensat(UTIME_OMIT)",
        sys(SYS_UTIMENSAT, &[CWD, m.arg(), ptr(omit.as_ptr()), 0]),
    );
    let st = fstat(fd);
    c.equal("atime kept", (st.st_atime, st.st_mtime), (1000, 3000));
    let bad: [i64; 4] = [0, 1_000_000_000, 0, 0];
    c.fails(
        "utimensat(bad nanoseconds)",
        sys(SYS_UTIMENSAT, &[CWD, m.arg(), ptr(bad.as_ptr()), 0]),
        EINVAL,
    );
    // SAFETY: all zeros is a valid `struct statfs`.
    let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
    c.ok("statfs(.)", call1(SYS_STATFS, ".", &[mut_ptr(&mut fs)]));
    c.equal("f_namelen", fs.f_namelen, 255);
    c.ok("fstatfs", sys(SYS_FSTATFS, &[fd, mut_ptr(&mut fs)]));
    close(fd);
}

fn directories(c: &mut Checker) {
    c.ok("mkdir(d)", call1(SYS_MKDIR, "d", &[0o755]));
    c.fails("mkdir(d) again", call1(SYS_MKDIR, "d", &[0o755]), EEXIST);
    c.fails(
        "mkdir(x/y), x missing",
        call1(SYS_MKDIR, "x/y", &[0o755]),
        ENOENT,
    );
    c.fails("mkdir(file/y)", call1(SYS_MKDIR, "m/y", &[0o755]), ENOTDIR);
    c.fails("mkdir(.)", call1(SYS_MKDIR, ".", &[0o755]), EEXIST);
    c.ok("mkdir(d/e/)", call1(SYS_MKDIR, "d/e/", &[0o755]));
    c.equal(
        "d has 3 links",
        stat(SYS_STAT, "d").map(|s| s.st_nlink),
        Ok(3),
    );
    c.fails("rmdir(d), not empty", call1(SYS_RMDIR, "d", &[]), ENOTEMPTY);
    c.fails("rmdir(file)", call1(SYS_RMDIR, "m", &[]), ENOTDIR);
    c.fails("rmdir(d/e/.)", call1(SYS_RMDIR, "d/e/.", &[]), EINVAL);
    c.fails("unlink(dir)", call1(SYS_UNLINK, "d", &[]), EISDIR);
    c.fails(
        "rename(d, d/e/f): into itself",
        call2(SYS_RENAME, "d", "d/e/f"),
        EINVAL,
    );
    c.fails("rename(file, dir)", call2(SYS_RENAME, "m", "d"), EISDIR);
    c.fails("rename(dir, file)", call2(SYS_RENAME, "d", "m"), ENOTDIR);
    let _ = call1(SYS_MKDIR, "empty", &[0o755]);
    c.fails(
        "rename(empty, d): not empty",
        call2(SYS_RENAME, "empty", "d"),
        ENOTEMPTY,
    );
    c.ok("rename(d, empty)", call2(SYS_RENAME, "d", "empty"));
    c.ok("stat(empty/e)", stat(SYS_STAT, "empty/e").map(|_| 0));
    // The current directory moves and comes back.
    let here = getcwd();
    c.ok("chdir(empty/e)", call1(SYS_CHDIR, "empty/e", &[]));
    c.equal("getcwd", getcwd(), format!("{here}/empty/e"));
    c.ok("chdir(../..)", call1(SYS_CHDIR, "../..", &[]));
    c.equal("getcwd back", getcwd(), here.clone());
    c.fails("chdir(file)", call1(SYS_CHDIR, "m", &[]), ENOTDIR);
    let dir = open("empty", O_RDONLY | O_DIRECTORY, 0).unwrap_or(-1) as u64;
    c.ok("fchdir", sys(SYS_FCHDIR, &[dir]));
    c.equal("getcwd after fchdir", getcwd(), format!("{here}/empty"));
    c.equal("getdents64", list(dir), strings(&[".", "..", "e"]));
    close(dir);
    let mut small = [0u8; 2];
    c.fails(
        "getcwd(buffer too small)",
        sys(SYS_GETCWD, &[mut_ptr(small.as_mut_ptr()), 2]),
        libc::ERANGE,
    );
    let _ = call1(SYS_CHDIR, "..", &[]);
    c.ok("rmdir(empty/e)", call1(SYS_RMDIR, "empty/e", &[]));
    c.ok("rmdir(empty)", call1(SYS_RMDIR, "empty", &[]));
    let fd = open(".", O_RDONLY | O_DIRECTORY, 0).unwrap_or(-1) as u64;
    let names = list(fd);
    close(fd);
    c.equal(
        "the work directory's names",
        names,
        strings(&[".", "..", "at", "f", "loop", "m", "s"]),
    );
}

/// Nested directories whose path is longer than `PATH_MAX` (4096 bytes):
/// reachable one `chdir` at a time, but `getcwd` says `ENAMETOOLONG`,
/// whatever the buffer, as Linux does (and `ERANGE` just below the limit
/// for a buffer too small).
fn long_current_directory(c: &mut Checker) {
    let name = "n".repeat(200);
    let here = getcwd();
    // Deep enough for a path of 4096 bytes or more (4097 with the NUL),
    // while one level up stays within 4095 (4096 with the NUL).
    let depth = (4096 - here.len()).div_ceil(name.len() + 1);
    let mut entered = 0;
    for _ in 0..depth {
        let _ = call1(SYS_MKDIR, &name, &[0o755]);
        if call1(SYS_CHDIR, &name, &[]).is_err() {
            break;
        }
        entered += 1;
    }
    c.equal("chdir down the long path", entered, depth);
    let mut buf = vec![0u8; 8192];
    let mut getcwd_into = |size: usize| sys(SYS_GETCWD, &[mut_ptr(buf.as_mut_ptr()), size as u64]);
    c.fails(
        "getcwd(path > PATH_MAX)",
        getcwd_into(8192),
        libc::ENAMETOOLONG,
    );
    c.fails(
        "getcwd(path > PATH_MAX, small buffer)",
        getcwd_into(16),
        libc::ENAMETOOLONG,
    );
    // Back up one level at a time, removing each directory (a path to the
    // deepest would itself be too long).
    for level in 0..entered {
        let _ = call1(SYS_CHDIR, "..", &[]);
        if level == 0 {
            let length = here.len() + (depth - 1) * (name.len() + 1) + 1;
            c.equal(
                "getcwd(path <= PATH_MAX) one level up",
                getcwd_into(8192),
                Ok(length as i64),
            );
            c.fails(
                "getcwd(buffer 1 byte short)",
                getcwd_into(length - 1),
                libc::ERANGE,
            );
        }
        let _ = call1(SYS_RMDIR, &name, &[]);
    }
    c.equal("back from the long path, removed", getcwd(), here);
    c.fails(
        "stat(removed long path)",
        stat(SYS_STAT, &name).map(|_| 0),
        ENOENT,
    );
}

fn devices(c: &mut Checker) {
    let null = c.ok("open(/dev/null)", open("/dev/null", O_RDWR, 0)) as u64;
    c.equal("write(/dev/null)", write(null, b"gone"), Ok(4));
    c.equal("read(/dev/null)", read(null, 8), Vec::new());
    close(null);
    let zero = c.ok("open(/dev/zero)", open("/dev/zero", O_RDONLY, 0)) as u64;
    c.equal("read(/dev/zero)", read(zero, 8), vec![0; 8]);
    close(zero);
    let random = c.ok("open(/dev/urandom)", open("/dev/urandom", O_RDONLY, 0)) as u64;
    let (a, b) = (read(random, 16), read(random, 16));
    c.check(
        "/dev/urandom gives 16 bytes, new each time",
        a.len() == 16 && a != b,
        (a, b),
    );
    close(random);
    let st = stat(SYS_STAT, "/dev/null").map(|s| (s.st_mode & S_IFMT, s.st_rdev));
    c.equal(
        "stat(/dev/null)",
        st,
        Ok((libc::S_IFCHR, libc::makedev(1, 3))),
    );
    // Without a controlling terminal (a test on the host), Linux says ENXIO.
    if c.on_kestrel {
        for (tty, minor) in [("/dev/tty", 0), ("/dev/console", 1)] {
            let fd = c.ok(tty, open(tty, O_WRONLY, 0));
            c.equal("write to the terminal", write(fd as u64, b""), Ok(0));
            // The open file is the device it was opened as: 5,0 or 5,1.
            let st = fstat(fd as u64);
            c.equal(
                &format!("fstat({tty}): a character device, its number"),
                (st.st_mode & S_IFMT, st.st_rdev),
                (libc::S_IFCHR, libc::makedev(5, minor)),
            );
            let by_path = stat(SYS_STAT, tty).map(|s| (s.st_mode & S_IFMT, s.st_rdev));
            c.equal(
                &format!("stat({tty})"),
                by_path,
                Ok((libc::S_IFCHR, libc::makedev(5, minor))),
            );
            close(fd as u64);
        }
    }
}

/// A tiny static x86_64 program: `exit(42)`. One loadable segment (the
/// whole file, read + execute, at 0x400000); code at byte 120.
pub(crate) fn exit_42_program() -> Vec<u8> {
    let mut elf = Vec::new();
    let code: [u8; 12] = [
        0xbf, 42, 0, 0, 0, // mov edi, 42
        0xb8, 231, 0, 0, 0, // mov eax, 231 (exit_group)
        0x0f, 0x05, // syscall
    ];
    let size = 120 + code.len() as u64;
    elf.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    elf.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    elf.extend_from_slice(&62u16.to_le_bytes()); // x86-64
    elf.extend_from_slice(&1u32.to_le_bytes());
    elf.extend_from_slice(&(0x40_0000u64 + 120).to_le_bytes()); // entry
    elf.extend_from_slice(&64u64.to_le_bytes()); // program headers
    elf.extend_from_slice(&0u64.to_le_bytes()); // no section headers
    elf.extend_from_slice(&0u32.to_le_bytes());
    for half in [64u16, 56, 1, 64, 0, 0] {
        elf.extend_from_slice(&half.to_le_bytes());
    }
    elf.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    elf.extend_from_slice(&5u32.to_le_bytes()); // R + X
    for word in [0, 0x40_0000, 0x40_0000, size, size, 0x1000u64] {
        elf.extend_from_slice(&word.to_le_bytes());
    }
    elf.extend_from_slice(&code);
    elf
}

/// Forks a child that executes `path`; its wait status, or `None`.
pub(crate) fn run(path: &str) -> Option<i32> {
    let program = Path::new(path);
    let argv = [program.arg(), 0];
    match sys(SYS_FORK, &[]) {
        Ok(0) => {
            let _ = sys(SYS_EXECVE, &[program.arg(), ptr(argv.as_ptr()), NULL]);
            let _ = sys(SYS_EXIT_GROUP, &[99]);
            unreachable!("exit_group returned");
        }
        Ok(pid) => {
            let mut status = 0i32;
            let waited = sys(SYS_WAIT4, &[pid as u64, mut_ptr(&mut status), 0, NULL]);
            waited.ok().map(|_| status)
        }
        Err(_) => None,
    }
}

pub(crate) fn execve_fails(path: &str) -> Answer {
    let program = Path::new(path);
    let argv = [program.arg(), 0];
    sys(SYS_EXECVE, &[program.arg(), ptr(argv.as_ptr()), NULL])
}

fn programs(c: &mut Checker) {
    let exe = readlink("/proc/self/exe").unwrap_or_default();
    let exe = String::from_utf8_lossy(&exe).into_owned();
    c.check("readlink(/proc/self/exe)", exe.ends_with("/systest"), &exe);
    c.equal(
        "/proc/self/exe opens the program",
        file_contents("/proc/self/exe").get(..4).map(<[u8]>::to_vec),
        Some(b"\x7fELF".to_vec()),
    );
    let fd = open("prog", O_CREAT | O_WRONLY, 0o755).unwrap_or(-1) as u64;
    let _ = write(fd, &exit_42_program());
    close(fd);
    c.equal(
        "execve of a file just written",
        run("./prog"),
        Some(42 << 8),
    );
    let _ = call1(SYS_CHMOD, "prog", &[0o644]);
    c.fails("execve without an x bit", execve_fails("./prog"), EACCES);
    c.fails("execve of a directory", execve_fails("."), EACCES);
    c.fails(
        "execve of a missing file",
        execve_fails("./nothing"),
        ENOENT,
    );
    let fd = open("text", O_CREAT | O_WRONLY, 0o755).unwrap_or(-1) as u64;
    let _ = write(fd, b"\x7fELF but not really, just some bytes");
    close(fd);
    c.fails("execve of a broken ELF", execve_fails("./text"), ENOEXEC);
    let _ = call1(SYS_UNLINK, "prog", &[]);
    let _ = call1(SYS_UNLINK, "text", &[]);
}
