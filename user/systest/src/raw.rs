//! Raw system calls: the number and six arguments go to the kernel as they
//! are, bad pointers included, and the answer comes back as `Ok(value)` or
//! `Err(errno)`.

/// The result of one system call.
pub type Answer = Result<i64, i32>;

/// Makes system call `number` with `args`.
pub fn call(number: i64, args: [u64; 6]) -> Answer {
    // SAFETY: a system call cannot harm this program's memory beyond what its
    // arguments allow: the bad pointers passed on purpose point at nothing we
    // own (NULL, the kernel's half, unmapped pages) and the kernel refuses
    // them; the good ones point at buffers of the caller that live through
    // the call and are as large as the length arguments say.
    let ret =
        unsafe { libc::syscall(number, args[0], args[1], args[2], args[3], args[4], args[5]) };
    if ret == -1 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(ret)
    }
}

/// `call` with fewer arguments (the rest are 0).
pub fn sys(number: i64, given: &[u64]) -> Answer {
    let mut args = [0; 6];
    args[..given.len()].copy_from_slice(given);
    call(number, args)
}

/// A pointer as a system-call argument.
pub fn ptr<T>(p: *const T) -> u64 {
    p as u64
}

/// A mutable pointer as a system-call argument.
pub fn mut_ptr<T>(p: *mut T) -> u64 {
    p as u64
}

/// Addresses no program may pass: NULL, the kernel's half, a low page no
/// one maps (below Linux's `mmap_min_addr`).
pub const NULL: u64 = 0;
pub const KERNEL: u64 = 0xffff_8000_0000_0000;
pub const UNMAPPED: u64 = 0x1000;
/// With a length of 100, a range that wraps around the end of memory.
pub const WRAPPING: u64 = u64::MAX - 10;

/// A NUL-terminated copy of `text`, for path arguments.
pub fn c_string(text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(0);
    bytes
}

/// Forks; the child runs `child` and exits with what it returns. The
/// child's pid (the parent's side), or the errno of a failed fork.
pub fn spawn(child: impl FnOnce() -> u64) -> Result<u64, i32> {
    let pid = sys(libc::SYS_fork, &[])?;
    if pid == 0 {
        let code = child();
        let _ = sys(libc::SYS_exit_group, &[code]);
        unreachable!("exit_group returned");
    }
    Ok(pid as u64)
}
