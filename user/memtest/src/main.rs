//! The memory system calls, with good and bad arguments: `brk`, `mmap`,
//! `munmap`, `mprotect`, `arch_prctl`, and the start-up calls beside them
//! (`rt_sigaction`, `rt_sigprocmask`, `sigaltstack`, `poll`).
//!
//! Each check compares a result with what Linux returns (the error numbers
//! too), so the program passes on Linux and on Kestrel alike: the runner's
//! host tests run it natively, the kernel tests on Kestrel. It calls the
//! kernel directly (`syscall` instruction), not through the C library, so
//! that bad arguments reach the kernel as they are.
//!
//! With no argument it runs every check, prints one line per failure and a
//! summary, and exits with 0 if all passed, 1 if not. With an argument it
//! does one thing the kernel tests watch from outside:
//!
//! - `touch-until-oom`: maps and touches memory until the kernel stops it;
//! - `map-until-enomem`: maps (without touching) until `mmap` says `ENOMEM`,
//!   then unmaps it all and exits with 0;
//! - `use-after-munmap`: writes to a page it has just unmapped (SIGSEGV);
//! - `deep-stack`: uses 4 MiB of stack, then exits with 0;
//! - `stack-overflow`: recurses without end (SIGSEGV).

use std::arch::asm;
use std::hint::black_box;

const PAGE: usize = 4096;

// Linux x86_64 system-call numbers.
const SYS_POLL: usize = 7;
const SYS_MMAP: usize = 9;
const SYS_MPROTECT: usize = 10;
const SYS_MUNMAP: usize = 11;
const SYS_BRK: usize = 12;
const SYS_RT_SIGACTION: usize = 13;
const SYS_RT_SIGPROCMASK: usize = 14;
const SYS_SIGALTSTACK: usize = 131;
const SYS_ARCH_PRCTL: usize = 158;

const PROT_NONE: usize = 0;
const PROT_READ: usize = 1;
const PROT_WRITE: usize = 2;
const PROT_EXEC: usize = 4;
const RW: usize = PROT_READ | PROT_WRITE;
const MAP_SHARED: usize = 0x01;
const MAP_PRIVATE: usize = 0x02;
const MAP_FIXED: usize = 0x10;
const MAP_ANONYMOUS: usize = 0x20;
const MAP_FIXED_NOREPLACE: usize = 0x10_0000;
const ANON: usize = MAP_PRIVATE | MAP_ANONYMOUS;

const EPERM: isize = -1;
const EBADF: isize = -9;
const ENOMEM: isize = -12;
const EFAULT: isize = -14;
const EEXIST: isize = -17;
const EINVAL: isize = -22;

/// A kernel address: never the program's.
const KERNEL: usize = 0xffff_8000_0000_0000;

/// Makes system call `n` with up to six arguments; returns `rax` (a
/// negative error number on failure).
fn syscall(n: usize, args: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: the `syscall` instruction clobbers only rcx and r11 besides
    // rax; the calls this program makes either touch no memory of ours or
    // memory it hands over for the purpose (and checks afterwards).
    unsafe {
        asm!("syscall",
            inlateout("rax") n as isize => ret,
            in("rdi") args[0], in("rsi") args[1], in("rdx") args[2],
            in("r10") args[3], in("r8") args[4], in("r9") args[5],
            lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    ret
}

fn mmap(address: usize, len: usize, prot: usize, flags: usize, fd: isize, offset: usize) -> isize {
    syscall(SYS_MMAP, [address, len, prot, flags, fd as usize, offset])
}

fn munmap(address: usize, len: usize) -> isize {
    syscall(SYS_MUNMAP, [address, len, 0, 0, 0, 0])
}

fn mprotect(address: usize, len: usize, prot: usize) -> isize {
    syscall(SYS_MPROTECT, [address, len, prot, 0, 0, 0])
}

fn brk(address: usize) -> usize {
    syscall(SYS_BRK, [address, 0, 0, 0, 0, 0]) as usize
}

/// Reads the byte at `address` (which the checks have mapped).
fn peek(address: usize) -> u8 {
    // SAFETY: each caller has mapped the page readable just before.
    unsafe { (address as *const u8).read_volatile() }
}

/// Writes the byte at `address` (which the checks have mapped writable).
fn poke(address: usize, value: u8) {
    // SAFETY: each caller has mapped the page writable just before; no
    // Rust object lives there.
    unsafe { (address as *mut u8).write_volatile(value) }
}

/// The checks' tally.
struct Checks {
    run: usize,
    failed: usize,
}

impl Checks {
    fn check(&mut self, what: &str, got: isize, expected: isize) {
        self.run += 1;
        if got != expected {
            self.failed += 1;
            println!("memtest: FAILED {what}: got {got}, expected {expected}");
        }
    }

    fn check_true(&mut self, what: &str, ok: bool) {
        self.check(what, ok as isize, 1);
    }
}

/// `brk`: grow, use, shrink; refused below the start. Runs first, before
/// the checks allocate (the C library's allocator may use `brk` too).
fn brk_checks() -> [(&'static str, bool); 5] {
    let start = brk(0);
    let wanted = start + 3 * PAGE + 5;
    let grown = brk(wanted);
    let mut used = grown == wanted;
    if used {
        for page in 0..4 {
            poke(start + page * PAGE, page as u8 + 1);
        }
        used = (0..4).all(|page| peek(start + page * PAGE) == page as u8 + 1);
    }
    let shrunk = brk(start);
    let below = brk(PAGE);
    [
        (
            "brk(0) is page-aligned and not null",
            start != 0 && start.is_multiple_of(PAGE),
        ),
        ("brk grows to any byte", grown == wanted),
        ("the heap's pages are usable", used),
        ("brk shrinks back", shrunk == start),
        (
            "brk below the heap's start returns the break",
            below == start,
        ),
    ]
}

fn mmap_checks(c: &mut Checks) {
    let m = mmap(0, 3 * PAGE, RW, ANON, -1, 0);
    c.check_true(
        "mmap returns a page-aligned user address",
        m > 0 && (m as usize).is_multiple_of(PAGE),
    );
    let m = m as usize;
    c.check_true(
        "new memory is zero",
        (0..3).all(|p| peek(m + p * PAGE + 7) == 0),
    );
    poke(m + 100, 0xab);
    c.check("written byte reads back", peek(m + 100) as isize, 0xab);

    c.check("mmap of length 0", mmap(0, 0, RW, ANON, -1, 0), EINVAL);
    c.check(
        "mmap without private or shared",
        mmap(0, PAGE, RW, MAP_ANONYMOUS, -1, 0),
        EINVAL,
    );
    c.check(
        "mmap of a file (bad fd)",
        mmap(0, PAGE, RW, MAP_PRIVATE, -1, 0),
        EBADF,
    );
    c.check(
        "mmap of a closed fd",
        mmap(0, PAGE, RW, MAP_PRIVATE, 99, 0),
        EBADF,
    );
    c.check(
        "mmap with an unaligned offset",
        mmap(0, PAGE, RW, ANON, -1, 1),
        EINVAL,
    );
    c.check(
        "MAP_FIXED at an unaligned address",
        mmap(m + 1, PAGE, RW, ANON | MAP_FIXED, -1, 0),
        EINVAL,
    );
    c.check(
        "MAP_FIXED_NOREPLACE over a mapping",
        mmap(m, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
        EEXIST,
    );
    c.check(
        "mmap longer than the address space",
        mmap(0, 1 << 47, RW, ANON, -1, 0),
        ENOMEM,
    );
    c.check(
        "mmap of length near 2^64",
        mmap(0, usize::MAX - 100, RW, ANON, -1, 0),
        ENOMEM,
    );
    c.check(
        "MAP_FIXED at the end of the user addresses",
        mmap(0x7fff_ffff_f000, PAGE, RW, ANON | MAP_FIXED, -1, 0),
        ENOMEM,
    );
    c.check(
        "MAP_FIXED in the kernel's half",
        mmap(KERNEL, PAGE, RW, ANON | MAP_FIXED, -1, 0),
        ENOMEM,
    );
    c.check(
        "MAP_FIXED replaces a mapping",
        mmap(m, PAGE, RW, ANON | MAP_FIXED, -1, 0),
        m as isize,
    );
    c.check("the replaced page is zero again", peek(m + 100) as isize, 0);

    let hint = 0x2000_0000_0000;
    c.check(
        "a free hint is taken",
        mmap(hint, PAGE, RW, ANON, -1, 0),
        hint as isize,
    );
    c.check("unmap the hinted page", munmap(hint, PAGE), 0);
    c.check(
        "MAP_FIXED_NOREPLACE where nothing is",
        mmap(hint, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
        hint as isize,
    );
    c.check("unmap it again", munmap(hint, PAGE), 0);

    // A terabyte with no access costs nothing and is allowed; writable,
    // it is more memory than the machine has.
    let huge = 1usize << 40;
    let none = mmap(0, huge, PROT_NONE, ANON, -1, 0);
    c.check_true("a terabyte of PROT_NONE", none > 0);
    c.check("unmap the terabyte", munmap(none as usize, huge), 0);
    c.check(
        "a terabyte of writable memory",
        mmap(0, huge, RW, ANON, -1, 0),
        ENOMEM,
    );

    let shared = mmap(0, PAGE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    c.check_true("MAP_SHARED anonymous memory", shared > 0);
    poke(shared as usize, 3);
    c.check("shared memory is usable", peek(shared as usize) as isize, 3);
    c.check("unmap the shared page", munmap(shared as usize, PAGE), 0);

    // Many pages, touched one by one and given back.
    let pages = 1024;
    let big = mmap(0, pages * PAGE, RW, ANON, -1, 0);
    c.check_true("mmap 4 MiB", big > 0);
    let big = big as usize;
    for p in 0..pages {
        poke(big + p * PAGE, p as u8);
    }
    c.check_true(
        "4 MiB touched and read back",
        (0..pages).all(|p| peek(big + p * PAGE) == p as u8),
    );
    c.check(
        "munmap the middle of it",
        munmap(big + PAGE, (pages - 2) * PAGE),
        0,
    );
    c.check(
        "the ends stay",
        (peek(big) as isize, peek(big + (pages - 1) * PAGE) as isize).1,
        (pages - 1) as u8 as isize,
    );
    c.check("munmap the rest", munmap(big, pages * PAGE), 0);

    munmap_checks(c, m);
    mprotect_checks(c, m);
    c.check("munmap everything", munmap(m, 3 * PAGE), 0);
}

fn munmap_checks(c: &mut Checks, m: usize) {
    c.check(
        "munmap at an unaligned address",
        munmap(m + 1, PAGE),
        EINVAL,
    );
    c.check("munmap of length 0", munmap(m, 0), EINVAL);
    c.check("munmap in the kernel's half", munmap(KERNEL, PAGE), EINVAL);
    c.check(
        "munmap past the user addresses",
        munmap(0x7fff_ffff_0000, 1 << 20),
        EINVAL,
    );
    c.check("munmap of nothing", munmap(0x3000_0000_0000, PAGE), 0);
}

fn mprotect_checks(c: &mut Checks, m: usize) {
    c.check(
        "mprotect at an unaligned address",
        mprotect(m + 1, PAGE, PROT_READ),
        EINVAL,
    );
    c.check("mprotect of length 0", mprotect(m, 0, PROT_READ), 0);
    c.check(
        "mprotect with an unknown bit",
        mprotect(m, PAGE, 0x100),
        EINVAL,
    );
    c.check(
        "mprotect GROWSDOWN and GROWSUP",
        mprotect(m, PAGE, PROT_READ | 0x0100_0000 | 0x0200_0000),
        EINVAL,
    );
    c.check(
        "mprotect of unmapped memory",
        mprotect(0x3000_0000_0000, PAGE, PROT_READ),
        ENOMEM,
    );
    // Two pages with a hole between them.
    let holey = 0x2000_0000_0000;
    mmap(holey, PAGE, RW, ANON | MAP_FIXED, -1, 0);
    mmap(holey + 2 * PAGE, PAGE, RW, ANON | MAP_FIXED, -1, 0);
    c.check(
        "mprotect of a range with a hole",
        mprotect(holey, 3 * PAGE, PROT_READ),
        ENOMEM,
    );
    // (Linux has changed the first page by then; Kestrel changes nothing.)
    munmap(holey, 3 * PAGE);
    c.check(
        "mprotect in the kernel's half",
        mprotect(KERNEL, PAGE, PROT_READ),
        ENOMEM,
    );
    c.check(
        "mprotect that wraps",
        mprotect(m, usize::MAX - m, PROT_READ),
        ENOMEM,
    );
    c.check("mprotect read-only", mprotect(m + PAGE, PAGE, PROT_READ), 0);
    c.check("a read-only page reads", peek(m + PAGE) as isize, 0);
    poke(m + 2 * PAGE, 0x5a);
    c.check(
        "mprotect PROT_NONE",
        mprotect(m + 2 * PAGE, PAGE, PROT_NONE),
        0,
    );
    c.check(
        "and back to read-write",
        mprotect(m + 2 * PAGE, PAGE, RW),
        0,
    );
    c.check(
        "the page kept its contents",
        peek(m + 2 * PAGE) as isize,
        0x5a,
    );
    c.check(
        "writable and executable at once (allowed, as on Linux)",
        mprotect(m, PAGE, RW | PROT_EXEC),
        0,
    );
}

fn arch_prctl_checks(c: &mut Checks) {
    const SET_GS: usize = 0x1001;
    const SET_FS: usize = 0x1002;
    const GET_FS: usize = 0x1003;
    const GET_GS: usize = 0x1004;
    let mut fs = 0usize;
    c.check(
        "ARCH_GET_FS",
        syscall(SYS_ARCH_PRCTL, [GET_FS, &raw mut fs as usize, 0, 0, 0, 0]),
        0,
    );
    c.check_true("the C library has set FS", fs != 0);
    c.check(
        "ARCH_SET_FS to the same base",
        syscall(SYS_ARCH_PRCTL, [SET_FS, fs, 0, 0, 0, 0]),
        0,
    );
    c.check(
        "ARCH_SET_FS to a kernel address",
        syscall(SYS_ARCH_PRCTL, [SET_FS, KERNEL, 0, 0, 0, 0]),
        EPERM,
    );
    c.check(
        "ARCH_SET_FS to a non-canonical address",
        syscall(SYS_ARCH_PRCTL, [SET_FS, 1 << 47, 0, 0, 0, 0]),
        EPERM,
    );
    c.check(
        "ARCH_GET_FS to a bad pointer",
        syscall(SYS_ARCH_PRCTL, [GET_FS, 16, 0, 0, 0, 0]),
        EFAULT,
    );
    c.check(
        "an unknown arch_prctl code",
        syscall(SYS_ARCH_PRCTL, [0x1234, 0, 0, 0, 0, 0]),
        EINVAL,
    );
    let mut gs = 1usize;
    c.check(
        "ARCH_SET_GS",
        syscall(SYS_ARCH_PRCTL, [SET_GS, 0x1234_5000, 0, 0, 0, 0]),
        0,
    );
    c.check(
        "ARCH_GET_GS",
        syscall(SYS_ARCH_PRCTL, [GET_GS, &raw mut gs as usize, 0, 0, 0, 0]),
        0,
    );
    c.check("the GS base reads back", gs as isize, 0x1234_5000);
    c.check(
        "ARCH_SET_GS back to 0",
        syscall(SYS_ARCH_PRCTL, [SET_GS, 0, 0, 0, 0, 0]),
        0,
    );
    // Thread-local storage goes through FS.
    thread_local!(static COUNTER: std::cell::Cell<u32> = const { std::cell::Cell::new(40) });
    COUNTER.with(|n| n.set(n.get() + 2));
    c.check(
        "thread-local storage",
        COUNTER.with(|n| n.get()) as isize,
        42,
    );
}

fn signal_checks(c: &mut Checks) {
    const SIGUSR1: usize = 10;
    const SIGKILL: usize = 9;
    let ignore = [1usize, 0, 0, 0]; // SIG_IGN
    let mut old = [7usize; 4];
    let action = |sig: usize, new: *const [usize; 4], old: *mut [usize; 4], size: usize| {
        syscall(
            SYS_RT_SIGACTION,
            [sig, new as usize, old as usize, size, 0, 0],
        )
    };
    c.check(
        "rt_sigaction SIGUSR1 to SIG_IGN",
        action(SIGUSR1, &ignore, &mut old, 8),
        0,
    );
    c.check("the old action was SIG_DFL", old[0] as isize, 0);
    c.check(
        "rt_sigaction reads it back",
        action(SIGUSR1, std::ptr::null(), &mut old, 8),
        0,
    );
    c.check("the action is SIG_IGN", old[0] as isize, 1);
    let default = [0usize; 4];
    c.check(
        "rt_sigaction back to SIG_DFL",
        action(SIGUSR1, &default, std::ptr::null_mut(), 8),
        0,
    );
    c.check(
        "rt_sigaction of SIGKILL",
        action(SIGKILL, &ignore, std::ptr::null_mut(), 8),
        EINVAL,
    );
    c.check(
        "rt_sigaction of signal 65",
        action(65, &ignore, std::ptr::null_mut(), 8),
        EINVAL,
    );
    c.check(
        "rt_sigaction of signal 0",
        action(0, std::ptr::null(), &mut old, 8),
        EINVAL,
    );
    c.check(
        "rt_sigaction with a 4-byte set",
        action(SIGUSR1, &ignore, std::ptr::null_mut(), 4),
        EINVAL,
    );
    c.check(
        "rt_sigaction from a bad pointer",
        action(SIGUSR1, 16 as *const _, std::ptr::null_mut(), 8),
        EFAULT,
    );

    let mask = |how: usize, new: *const u64, old: *mut u64, size: usize| {
        syscall(
            SYS_RT_SIGPROCMASK,
            [how, new as usize, old as usize, size, 0, 0],
        )
    };
    let usr1: u64 = 1 << (SIGUSR1 - 1);
    let mut before = 0u64;
    c.check(
        "rt_sigprocmask reads the mask",
        mask(0, std::ptr::null(), &mut before, 8),
        0,
    );
    c.check(
        "rt_sigprocmask blocks SIGUSR1",
        mask(0, &usr1, std::ptr::null_mut(), 8),
        0,
    );
    let mut now = 0u64;
    c.check(
        "rt_sigprocmask reads it back",
        mask(0, std::ptr::null(), &mut now, 8),
        0,
    );
    c.check_true("SIGUSR1 is blocked", now & usr1 != 0);
    let kill: u64 = 1 << (SIGKILL - 1);
    c.check(
        "rt_sigprocmask cannot block SIGKILL",
        mask(0, &kill, &mut now, 8),
        0,
    );
    mask(0, std::ptr::null(), &mut now, 8);
    c.check_true("SIGKILL is never blocked", now & kill == 0);
    c.check(
        "rt_sigprocmask with a bad how",
        mask(7, &usr1, std::ptr::null_mut(), 8),
        EINVAL,
    );
    c.check(
        "rt_sigprocmask with a 4-byte set",
        mask(0, &usr1, std::ptr::null_mut(), 4),
        EINVAL,
    );
    c.check(
        "rt_sigprocmask restores the mask",
        mask(2, &before, std::ptr::null_mut(), 8),
        0,
    );

    // stack_t: sp, flags (int, then padding), size.
    let mut old = [0usize; 3];
    let tiny = [0x1000usize, 0, 100];
    let alt = |new: *const [usize; 3], old: *mut [usize; 3]| {
        syscall(SYS_SIGALTSTACK, [new as usize, old as usize, 0, 0, 0, 0])
    };
    c.check(
        "sigaltstack reads the stack",
        alt(std::ptr::null(), &mut old),
        0,
    );
    c.check(
        "sigaltstack that is too small",
        alt(&tiny, std::ptr::null_mut()),
        ENOMEM,
    );
    let odd = [0x1000usize, 0x77, 1 << 16];
    c.check(
        "sigaltstack with unknown flags",
        alt(&odd, std::ptr::null_mut()),
        EINVAL,
    );

    // poll on the console: fds 0-2 are open.
    let mut fds = [0u64; 3];
    for (fd, entry) in fds.iter_mut().enumerate() {
        *entry = fd as u64; // events 0
    }
    c.check(
        "poll on fds 0-2",
        syscall(SYS_POLL, [fds.as_mut_ptr() as usize, 3, 0, 0, 0, 0]),
        0,
    );
    c.check_true("no fd is invalid", fds.iter().all(|e| e >> 48 & 0x20 == 0));
    c.check(
        "poll from a bad pointer",
        syscall(SYS_POLL, [16, 1, 0, 0, 0, 0]),
        EFAULT,
    );
}

/// Recurses with 64 KiB of stack per level, `levels` deep.
fn recurse(levels: usize) -> u8 {
    let mut frame = [0u8; 64 * 1024];
    frame[levels % frame.len()] = levels as u8;
    let below = if levels == 0 { 0 } else { recurse(levels - 1) };
    black_box(&mut frame)[levels % 1024].wrapping_add(below)
}

fn special(what: &str) -> i32 {
    match what {
        "touch-until-oom" => loop {
            let chunk = 1 << 20;
            let m = mmap(0, chunk, RW, ANON, -1, 0);
            if m < 0 {
                println!("memtest: mmap says {m} before memory ran out");
                return 1;
            }
            for p in (0..chunk).step_by(PAGE) {
                poke(m as usize + p, 1);
            }
        },
        "map-until-enomem" => {
            let chunk = 64 << 20;
            let mut maps = Vec::new();
            loop {
                let m = mmap(0, chunk, RW, ANON, -1, 0);
                if m == ENOMEM {
                    break;
                }
                if m < 0 || maps.len() > 1 << 16 {
                    println!("memtest: mmap gave {m} after {} maps", maps.len());
                    return 1;
                }
                maps.push(m as usize);
            }
            println!("memtest: ENOMEM after {} MiB", maps.len() * 64);
            for m in maps {
                munmap(m, chunk);
            }
            0
        }
        "use-after-munmap" => {
            let m = mmap(0, PAGE, RW, ANON, -1, 0) as usize;
            poke(m, 1);
            munmap(m, PAGE);
            poke(m, 2);
            println!("memtest: wrote to an unmapped page");
            1
        }
        "deep-stack" => {
            black_box(recurse(64));
            println!("memtest: 4 MiB of stack used");
            0
        }
        "stack-overflow" => {
            black_box(recurse(100_000));
            1
        }
        _ => {
            println!("memtest: unknown mode {what}");
            2
        }
    }
}

fn main() {
    let brk_results = brk_checks();
    if let Some(mode) = std::env::args().nth(1) {
        std::process::exit(special(&mode));
    }
    let mut c = Checks { run: 0, failed: 0 };
    for (what, ok) in brk_results {
        c.check_true(what, ok);
    }
    mmap_checks(&mut c);
    arch_prctl_checks(&mut c);
    signal_checks(&mut c);
    // Floating point in SSE registers, formatted by std.
    let x = black_box(2.0f64).sqrt() * black_box(1e6);
    c.check(
        "sqrt(2) * 1e6, formatted",
        (format!("{x:.3}") == "1414213.562") as isize,
        1,
    );
    if c.failed == 0 {
        println!("memtest: all {} checks passed", c.run);
        std::process::exit(0);
    }
    println!("memtest: {} of {} checks FAILED", c.failed, c.run);
    std::process::exit(1);
}
