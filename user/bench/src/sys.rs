//! The system calls the benchmark makes, as small safe functions.
//!
//! Each wrapper calls one Linux system call (through musl's thin wrapper, or
//! `syscall()` where musl has none) and turns the C convention "-1 and errno"
//! into `Err(SysError)`, which names the call and the errno. The measures
//! need that name: a missing call (`ENOSYS`) makes a measure "unsupported"
//! instead of failing, and the report says which call was missing.

use std::ffi::CString;

/// A system call that failed: which one, and its errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysError {
    pub call: &'static str,
    pub errno: i32,
}

impl SysError {
    /// The error of the call that just returned -1.
    fn last(call: &'static str) -> SysError {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        SysError { call, errno }
    }
}

impl std::fmt::Display for SysError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{} from {}", errno_name(self.errno), self.call)
    }
}

pub type Result<T> = std::result::Result<T, SysError>;

/// Checks a C return value: negative means failure with errno set.
fn check<T: Copy + PartialOrd + Default>(call: &'static str, value: T) -> Result<T> {
    if value < T::default() {
        Err(SysError::last(call))
    } else {
        Ok(value)
    }
}

/// The symbolic name of the errno values the benchmark may meet.
pub fn errno_name(errno: i32) -> String {
    let name = match errno {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EINTR => "EINTR",
        libc::EIO => "EIO",
        libc::ENOEXEC => "ENOEXEC",
        libc::EBADF => "EBADF",
        libc::ECHILD => "ECHILD",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENODEV => "ENODEV",
        libc::ENOTDIR => "ENOTDIR",
        libc::EISDIR => "EISDIR",
        libc::EINVAL => "EINVAL",
        libc::EMFILE => "EMFILE",
        libc::ENOSPC => "ENOSPC",
        libc::EROFS => "EROFS",
        libc::EPIPE => "EPIPE",
        libc::ENOSYS => "ENOSYS",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        _ => return format!("errno {errno}"),
    };
    name.to_string()
}

/// A path for the C calls (the benchmark's own paths have no NUL bytes).
fn c_path(path: &str) -> CString {
    CString::new(path).expect("benchmark paths have no NUL byte")
}

pub fn getpid() -> i64 {
    // SAFETY: getpid takes no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_getpid) }
}

pub fn sched_yield() -> Result<()> {
    // SAFETY: sched_yield takes no arguments.
    check("sched_yield", unsafe { libc::sched_yield() }).map(drop)
}

/// What `fork` returned: in which process we are now.
pub enum Forked {
    Parent { child: i32 },
    Child,
}

pub fn fork() -> Result<Forked> {
    // SAFETY: the benchmark is single-threaded, so the child is a complete
    // copy of the only thread; it only calls async-signal-safe functions
    // (system calls and `_exit`) before it exits or executes a program.
    let pid = check("fork", unsafe { libc::fork() })?;
    Ok(if pid == 0 {
        Forked::Child
    } else {
        Forked::Parent { child: pid }
    })
}

/// Ends this process at once, without running any exit handlers (a forked
/// child must not flush the parent's buffers a second time).
pub fn exit_now(status: i32) -> ! {
    // SAFETY: `_exit` ends the process; it takes no pointers.
    unsafe { libc::_exit(status) }
}

/// How a child ended, from `waitpid`'s status word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    Exited(i32),
    Killed(i32),
}

fn ended(status: i32) -> Ended {
    if libc::WIFEXITED(status) {
        Ended::Exited(libc::WEXITSTATUS(status))
    } else {
        Ended::Killed(libc::WTERMSIG(status))
    }
}

/// Waits for `child` to end.
pub fn wait(child: i32) -> Result<Ended> {
    let mut status = 0;
    // SAFETY: `status` is a valid place for the kernel to write the status.
    check("wait4", unsafe { libc::waitpid(child, &mut status, 0) })?;
    Ok(ended(status))
}

/// Whether `child` has ended, without waiting (`WNOHANG`).
pub fn try_wait(child: i32) -> Result<Option<Ended>> {
    let mut status = 0;
    // SAFETY: as in `wait`.
    let pid = check("wait4", unsafe {
        libc::waitpid(child, &mut status, libc::WNOHANG)
    })?;
    Ok((pid != 0).then(|| ended(status)))
}

/// Executes `path` with no arguments but its name and an empty environment.
/// Returns only if that failed.
pub fn execve(path: &str) -> SysError {
    let path = c_path(path);
    let argv = [path.as_ptr(), std::ptr::null()];
    let envp = [std::ptr::null()];
    // SAFETY: `path`, `argv` and `envp` are NUL-terminated and outlive the call.
    unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
    SysError::last("execve")
}

/// Anonymous memory from `mmap`, unmapped when dropped (unless [`Mapping::unmap`]
/// already did).
pub struct Mapping {
    addr: *mut u8,
    len: usize,
}

impl Mapping {
    /// `len` bytes of zeroed memory; `shared` keeps it shared with forked
    /// children (MAP_SHARED) instead of copied (MAP_PRIVATE).
    pub fn anonymous(len: usize, shared: bool) -> Result<Mapping> {
        let kind = if shared {
            libc::MAP_SHARED
        } else {
            libc::MAP_PRIVATE
        };
        // SAFETY: a new anonymous mapping at an address the kernel chooses
        // touches no existing memory.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                kind | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if addr == libc::MAP_FAILED {
            return Err(SysError::last("mmap"));
        }
        Ok(Mapping {
            addr: addr.cast(),
            len,
        })
    }

    pub fn as_ptr(&self) -> *mut u8 {
        self.addr
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Unmaps the memory now, reporting an error (dropping ignores it).
    pub fn unmap(mut self) -> Result<()> {
        let len = std::mem::take(&mut self.len);
        // SAFETY: the mapping is ours and nothing refers into it any more
        // (`self` is consumed; drop sees len 0 and does nothing).
        check("munmap", unsafe { libc::munmap(self.addr.cast(), len) }).map(drop)
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        if self.len != 0 {
            // SAFETY: as in `unmap`.
            unsafe { libc::munmap(self.addr.cast(), self.len) };
        }
    }
}

/// A file descriptor, closed when dropped.
pub struct Fd(i32);

impl Fd {
    pub fn raw(&self) -> i32 {
        self.0
    }

    /// Closes now, reporting an error (dropping ignores it).
    pub fn close(self) -> Result<()> {
        let fd = self.0;
        std::mem::forget(self);
        // SAFETY: the descriptor is ours and no other value refers to it.
        check("close", unsafe { libc::close(fd) }).map(drop)
    }

    /// Writes all of `bytes` (a pipe may take them in parts).
    pub fn write_all(&self, mut bytes: &[u8]) -> Result<()> {
        while !bytes.is_empty() {
            // SAFETY: `bytes` is valid for reads of its length.
            let n = check("write", unsafe {
                libc::write(self.0, bytes.as_ptr().cast(), bytes.len())
            })?;
            bytes = &bytes[n as usize..];
        }
        Ok(())
    }

    /// Reads up to `buf.len()` bytes; 0 means end of file.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize> {
        // SAFETY: `buf` is valid for writes of its length.
        check("read", unsafe {
            libc::read(self.0, buf.as_mut_ptr().cast(), buf.len())
        })
        .map(|n| n as usize)
    }

    pub fn fsync(&self) -> Result<()> {
        // SAFETY: fsync takes only the descriptor.
        check("fsync", unsafe { libc::fsync(self.0) }).map(drop)
    }

    /// Asks the kernel to drop the file's cached pages (clean after fsync),
    /// so that reading it again goes to the disk. Only a hint.
    pub fn drop_cache(&self) -> Result<()> {
        // SAFETY: posix_fadvise takes only numbers.
        let error = unsafe { libc::posix_fadvise(self.0, 0, 0, libc::POSIX_FADV_DONTNEED) };
        match error {
            0 => Ok(()),
            errno => Err(SysError {
                call: "fadvise64",
                errno,
            }),
        }
    }

    /// One `getdents64` call into `buf`: the number of bytes of entries.
    pub fn getdents64(&self, buf: &mut [u8]) -> Result<usize> {
        // SAFETY: `buf` is valid for writes of its length.
        let n = unsafe { libc::syscall(libc::SYS_getdents64, self.0, buf.as_mut_ptr(), buf.len()) };
        check("getdents64", n).map(|n| n as usize)
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: the descriptor is ours.
        unsafe { libc::close(self.0) };
    }
}

/// A pipe: (read end, write end).
pub fn pipe() -> Result<(Fd, Fd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    check("pipe2", unsafe {
        libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC)
    })?;
    Ok((Fd(fds[0]), Fd(fds[1])))
}

/// Opens `path` with `flags` (and mode 0644 when creating).
pub fn open(path: &str, flags: i32) -> Result<Fd> {
    let path = c_path(path);
    // SAFETY: `path` is NUL-terminated and outlives the call.
    let fd = check("open", unsafe {
        libc::open(path.as_ptr(), flags | libc::O_CLOEXEC, 0o644)
    })?;
    Ok(Fd(fd))
}

pub fn unlink(path: &str) -> Result<()> {
    let path = c_path(path);
    // SAFETY: `path` is NUL-terminated and outlives the call.
    check("unlink", unsafe { libc::unlink(path.as_ptr()) }).map(drop)
}

pub fn mkdir(path: &str) -> Result<()> {
    let path = c_path(path);
    // SAFETY: `path` is NUL-terminated and outlives the call.
    check("mkdir", unsafe { libc::mkdir(path.as_ptr(), 0o755) }).map(drop)
}

pub fn rmdir(path: &str) -> Result<()> {
    let path = c_path(path);
    // SAFETY: `path` is NUL-terminated and outlives the call.
    check("rmdir", unsafe { libc::rmdir(path.as_ptr()) }).map(drop)
}

/// `clock_gettime(CLOCK_MONOTONIC)` in nanoseconds.
pub fn monotonic_ns() -> Result<u64> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the kernel to fill.
    check("clock_gettime", unsafe {
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now)
    })?;
    Ok(now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64)
}

/// Keeps this process on CPU 0, as Linux's reference figures did (the
/// emulated machine has one CPU anyway).
pub fn pin_to_cpu0() -> Result<()> {
    // SAFETY: an all-zero cpu_set_t is an empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: CPU 0 is inside the set; CPU_SET only sets its bit.
    unsafe { libc::CPU_SET(0, &mut set) };
    // SAFETY: `set` is a valid cpu_set_t of the size passed.
    check("sched_setaffinity", unsafe {
        libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set)
    })
    .map(drop)
}

/// The kernel's name from `uname` ("Linux", "Kestrel"), if it answers.
pub fn system_name() -> Result<String> {
    // SAFETY: an all-zero utsname is a valid value (empty strings).
    let mut names: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `names` is a valid utsname for the kernel to fill.
    check("uname", unsafe { libc::uname(&mut names) })?;
    let bytes: Vec<u8> = names
        .sysname
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Flushes every file system's dirty data to its disk.
pub fn sync() {
    // SAFETY: sync takes no arguments.
    unsafe { libc::sync() };
}

/// Switches the machine off (Linux, as pid 1). Returns only on failure.
pub fn power_off() -> SysError {
    // SAFETY: reboot with RB_POWER_OFF takes no pointers; it is what a
    // system's init does last.
    unsafe { libc::reboot(libc::RB_POWER_OFF) };
    SysError::last("reboot")
}

/// Mounts `source` of file-system `kind` at `target`.
pub fn mount(source: &str, target: &str, kind: &str) -> Result<()> {
    let (source, target, kind) = (c_path(source), c_path(target), c_path(kind));
    // SAFETY: the three strings are NUL-terminated and outlive the call; no
    // options are passed (null data).
    check("mount", unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            kind.as_ptr(),
            0,
            std::ptr::null(),
        )
    })
    .map(drop)
}

/// Loads a kernel module from the file `path` (Linux's `finit_module`).
pub fn load_module(path: &str) -> Result<()> {
    let file = open(path, libc::O_RDONLY)?;
    let no_options = c"";
    // SAFETY: the descriptor is open and the options string is NUL-terminated.
    let result =
        unsafe { libc::syscall(libc::SYS_finit_module, file.raw(), no_options.as_ptr(), 0) };
    check("finit_module", result).map(drop)
}

/// The file-system type number (`f_type`, a magic such as `0xEF53`) that
/// `statfs` gives for `path`.
pub fn statfs_type(path: &str) -> Result<i64> {
    let path = c_path(path);
    // SAFETY: an all-zero statfs is a valid value for the kernel to fill.
    let mut info: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated and `info` a valid statfs; both
    // outlive the call.
    check("statfs", unsafe { libc::statfs(path.as_ptr(), &mut info) })?;
    Ok(info.f_type as i64)
}
