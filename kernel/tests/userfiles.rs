//! Kernel tests for the ramdisk, open files and the console/time/identity
//! system calls, made by a program in ring 3.
//!
//! The program (`global_asm!` below, position-independent, run with
//! `process::spawn_flat`) makes one system call after another and compares
//! each result with what Linux returns. `r15` counts the checks; at the
//! first wrong result it exits with that count, so a failure names the
//! check (the comments number them); all right, it exits with 0.
//! The ramdisk is the one the runner packs (`/bin/*`, `/etc/motd`).
#![no_std]
#![no_main]

extern crate alloc;

use core::arch::global_asm;
use files::Node;
use kernel::arch::syscall as arch_syscall;
use kernel::arch::{acpi, gdt, idt, interrupts, irq};
use kernel::fs::ramdisk;
use kernel::process;
use kernel::syscall;
use kernel::tasks::thread::ThreadError;
use kernel::{tasks, test, testing, time};

kernel::test_kernel![
    test!(boot_steps_succeed),
    test!(the_ramdisk_has_the_programs_and_the_motd),
    test!(a_program_uses_files_console_time_and_identity_calls),
    test!(random_bytes_differ),
    test!(console_reads_give_an_edited_line_then_end_of_file),
    test!(readv_of_the_console_ends_with_the_line),
    // Last: it replaces the root for good.
    test!(a_new_root_keeps_dev_tmp_and_proc),
];

// One line per system call: kept as written (rustfmt would put each
// instruction on a line of its own).
#[rustfmt::skip]
global_asm!(
    ".section .rodata.user_programs, \"a\"",
    ".macro EXPECT value",
    "inc r15",
    "cmp rax, \\value",
    "jne files_fail",
    ".endm",
    ".macro SYS number",
    "mov eax, \\number",
    "syscall",
    ".endm",
    ".global user_files, user_files_end",
    "user_files:",
    "xor r15d, r15d",
    "sub rsp, 1024",
    "mov rbp, rsp",
    // 1: open("/etc/motd", O_RDONLY) = 3, the lowest free fd
    "lea rdi, [rip + s_motd]", "xor esi, esi", "xor edx, edx", "SYS 2", "EXPECT 3",
    // 2, 3: read(3, buf, 8) = 8, "Welcome "
    "mov edi, 3", "mov rsi, rbp", "mov edx, 8", "SYS 0", "EXPECT 8",
    "mov rax, [rbp]", "mov rbx, 0x20656d6f636c6557", "inc r15", "cmp rax, rbx", "jne files_fail",
    // 4: lseek(3, -2, SEEK_END) = size - 2 > 0 (kept in r14)
    "mov edi, 3", "mov rsi, -2", "mov edx, 2", "SYS 8",
    "inc r15", "cmp rax, 0", "jle files_fail", "mov r14, rax",
    // 5, 6, 7: read gives the last 2 bytes ".\n", then 0 at the end
    "mov edi, 3", "mov rsi, rbp", "mov edx, 8", "SYS 0", "EXPECT 2",
    "movzx eax, word ptr [rbp]", "EXPECT 0x0a2e",
    "mov edi, 3", "mov rsi, rbp", "mov edx, 8", "SYS 0", "EXPECT 0",
    // 8, 9: lseek with whence 7, or before the start: EINVAL
    "mov edi, 3", "xor esi, esi", "mov edx, 7", "SYS 8", "EXPECT -22",
    "mov edi, 3", "mov rsi, -1", "xor edx, edx", "SYS 8", "EXPECT -22",
    // 10, 11, 12: fstat(3): st_size = r14 + 2, st_mode = 0100644
    "mov edi, 3", "mov rsi, rbp", "SYS 5", "EXPECT 0",
    "mov rax, [rbp + 48]", "sub rax, 2", "inc r15", "cmp rax, r14", "jne files_fail",
    "mov eax, dword ptr [rbp + 24]", "EXPECT 0x81a4",
    // 13: open("/bin", O_DIRECTORY) = 4
    "lea rdi, [rip + s_bin]", "mov esi, 0x10000", "SYS 2", "EXPECT 4",
    // 14: read of a directory: EISDIR
    "mov edi, 4", "mov rsi, rbp", "mov edx, 8", "SYS 0", "EXPECT -21",
    // 15, 16: getdents64(4, buf, 512) > 0, the first name is "."
    "mov edi, 4", "mov rsi, rbp", "mov edx, 512", "SYS 217",
    "inc r15", "cmp rax, 0", "jle files_fail",
    "movzx eax, byte ptr [rbp + 19]", "EXPECT 0x2e",
    // 17: O_WRONLY on a directory: EISDIR
    "lea rdi, [rip + s_bin]", "mov esi, 1", "SYS 2", "EXPECT -21",
    // 18: a missing file: ENOENT
    "lea rdi, [rip + s_nope]", "xor esi, esi", "SYS 2", "EXPECT -2",
    // 19: a path through a file: ENOTDIR
    "lea rdi, [rip + s_through]", "xor esi, esi", "SYS 2", "EXPECT -20",
    // 20: O_DIRECTORY on a file: ENOTDIR
    "lea rdi, [rip + s_motd]", "mov esi, 0x10000", "SYS 2", "EXPECT -20",
    // 21: O_CREAT | O_EXCL of an existing file: EEXIST
    "lea rdi, [rip + s_motd]", "mov esi, 0xc0", "SYS 2", "EXPECT -17",
    // 22, 23: close(3) = 0, again: EBADF
    "mov edi, 3", "SYS 3", "EXPECT 0",
    "mov edi, 3", "SYS 3", "EXPECT -9",
    // 24: open again: the lowest free fd, 3
    "lea rdi, [rip + s_motd]", "xor esi, esi", "SYS 2", "EXPECT 3",
    // 25: write to a read-only fd: EBADF
    "mov edi, 3", "mov rsi, rbp", "mov edx, 1", "SYS 1", "EXPECT -9",
    // 26, 27: open(NULL), open(a kernel address): EFAULT
    "xor edi, edi", "xor esi, esi", "SYS 2", "EXPECT -14",
    "mov rdi, 0xffff800000000000", "xor esi, esi", "SYS 2", "EXPECT -14",
    // 28: ioctl(file, TCGETS): ENOTTY
    "mov edi, 3", "mov esi, 0x5401", "mov rdx, rbp", "SYS 16", "EXPECT -25",
    // 29, 30: ioctl(1, TIOCGWINSZ) = 0, columns > 0
    "mov edi, 1", "mov esi, 0x5413", "mov rdx, rbp", "SYS 16", "EXPECT 0",
    "movzx eax, word ptr [rbp + 2]", "inc r15", "cmp eax, 0", "je files_fail",
    // 31: an unknown ioctl on the console: ENOTTY
    "mov edi, 1", "mov esi, 0x1234", "mov rdx, rbp", "SYS 16", "EXPECT -25",
    // 32, 33, 34: clock_gettime: MONOTONIC = 0; clock 99: EINVAL; NULL: EFAULT
    "mov edi, 1", "mov rsi, rbp", "SYS 228", "EXPECT 0",
    "mov edi, 99", "mov rsi, rbp", "SYS 228", "EXPECT -22",
    "xor edi, edi", "xor esi, esi", "SYS 228", "EXPECT -14",
    // 35, 36: getrandom(buf, 16, 0) = 16; an unknown flag: EINVAL
    "mov rdi, rbp", "mov esi, 16", "xor edx, edx", "SYS 318", "EXPECT 16",
    "mov rdi, rbp", "mov esi, 16", "mov edx, 0x80", "SYS 318", "EXPECT -22",
    // 37, 38: uname = 0, sysname "Kest..."
    "mov rdi, rbp", "SYS 63", "EXPECT 0",
    "mov eax, dword ptr [rbp]", "EXPECT 0x7473654b",
    // 39: getuid = 0
    "SYS 102", "EXPECT 0",
    // 40, 41: poll({1, POLLOUT}, 1, 0) = 1, revents POLLOUT
    "mov dword ptr [rbp + 512], 1", "mov dword ptr [rbp + 516], 4",
    "lea rdi, [rbp + 512]", "mov esi, 1", "xor edx, edx", "SYS 7", "EXPECT 1",
    "movzx eax, word ptr [rbp + 518]", "EXPECT 4",
    // 42, 43: poll of a closed fd: 1, POLLNVAL
    "mov dword ptr [rbp + 512], 77", "mov dword ptr [rbp + 516], 1",
    "lea rdi, [rbp + 512]", "mov esi, 1", "xor edx, edx", "SYS 7", "EXPECT 1",
    "movzx eax, word ptr [rbp + 518]", "EXPECT 0x20",
    // 44, 45: nanosleep(1 ms) = 0; 10^9 ns: EINVAL
    "mov qword ptr [rbp + 528], 0", "mov qword ptr [rbp + 536], 1000000",
    "lea rdi, [rbp + 528]", "xor esi, esi", "SYS 35", "EXPECT 0",
    "mov qword ptr [rbp + 536], 1000000000",
    "lea rdi, [rbp + 528]", "xor esi, esi", "SYS 35", "EXPECT -22",
    // 46, 47: writev(1, {"files ok\n", 9}, 1) = 9; 1025 pieces: EINVAL
    "lea rax, [rip + s_ok]", "mov [rbp + 544], rax", "mov qword ptr [rbp + 552], 9",
    "mov edi, 1", "lea rsi, [rbp + 544]", "mov edx, 1", "SYS 20", "EXPECT 9",
    "mov edi, 1", "lea rsi, [rbp + 544]", "mov edx, 1025", "SYS 20", "EXPECT -22",
    // 48, 49: fstat(1) = 0, a character device
    "mov edi, 1", "mov rsi, rbp", "SYS 5", "EXPECT 0",
    "mov eax, dword ptr [rbp + 24]", "and eax, 0xf000", "EXPECT 0x2000",
    // 50, 51: stat("/bin/hello") = 0, mode 0100755
    "lea rdi, [rip + s_hello_path]", "mov rsi, rbp", "SYS 4", "EXPECT 0",
    "mov eax, dword ptr [rbp + 24]", "EXPECT 0x81ed",
    // 52, 53: openat(4 = /bin, "hello") = 5; close(5) = 0
    "mov edi, 4", "lea rsi, [rip + s_hello]", "xor edx, edx", "SYS 257", "EXPECT 5",
    "mov edi, 5", "SYS 3", "EXPECT 0",
    // 54, 55: openat from a file: ENOTDIR; from a closed fd: EBADF
    "mov edi, 3", "lea rsi, [rip + s_hello]", "xor edx, edx", "SYS 257", "EXPECT -20",
    "mov edi, 99", "lea rsi, [rip + s_hello]", "xor edx, edx", "SYS 257", "EXPECT -9",
    // 56, 57: newfstatat(AT_FDCWD, "etc/motd", buf, 0) = 0; an unknown flag: EINVAL
    "mov rdi, -100", "lea rsi, [rip + s_motd_relative]", "mov rdx, rbp", "xor r10d, r10d",
    "SYS 262", "EXPECT 0",
    "mov rdi, -100", "lea rsi, [rip + s_motd_relative]", "mov rdx, rbp", "mov r10d, 0x8000",
    "SYS 262", "EXPECT -22",
    // 58, 59: lseek on the console: ESPIPE; readv(3 at 0, {buf, 8}, 1) = 8
    "mov edi, 0", "xor esi, esi", "xor edx, edx", "SYS 8", "EXPECT -29",
    "mov [rbp + 544], rbp", "mov qword ptr [rbp + 552], 8",
    "mov edi, 3", "lea rsi, [rbp + 544]", "mov edx, 1", "SYS 19", "EXPECT 8",
    // 60, 61: open until EMFILE: 251 more (0-4 are open, the limit is 256)
    "xor r13d, r13d",
    "files_loop:",
    "lea rdi, [rip + s_motd]", "xor esi, esi", "SYS 2",
    "cmp rax, 0", "jl files_full", "inc r13", "jmp files_loop",
    "files_full:",
    "EXPECT -24",
    "mov rax, r13", "EXPECT 251",
    "mov eax, 60",
    "xor edi, edi",
    "syscall",
    "files_fail:",
    "mov eax, 60",
    "mov edi, r15d",
    "syscall",
    "s_motd: .asciz \"/etc/motd\"",
    "s_motd_relative: .asciz \"etc/motd\"",
    "s_bin: .asciz \"/bin\"",
    "s_nope: .asciz \"/nope\"",
    "s_through: .asciz \"/etc/motd/x\"",
    "s_hello_path: .asciz \"/bin/hello\"",
    "s_hello: .asciz \"hello\"",
    "s_ok: .ascii \"files ok\\n\"",
    "user_files_end:",
    // read(0, buf, 64) = n; write(1, buf, n); read(0, buf, 64) must be 0
    // (end of file); exit(n), or 99 if the second read was not 0.
    ".global user_echo, user_echo_end",
    "user_echo:",
    "sub rsp, 64",
    "xor edi, edi", "mov rsi, rsp", "mov edx, 64", "SYS 0",
    "mov rbx, rax",
    "mov edi, 1", "mov rsi, rsp", "mov rdx, rbx", "SYS 1",
    "xor edi, edi", "mov rsi, rsp", "mov edx, 64", "SYS 0",
    "mov edi, 99",
    "test rax, rax",
    "cmovz edi, ebx",
    "mov eax, 60",
    "syscall",
    "user_echo_end:",
    // readv(0, [{buf, 4}, {buf + 4, 4}], 2) = a; read(0, buf, 64) = b;
    // exit(10 * a + b).
    ".global user_readv, user_readv_end",
    "user_readv:",
    "sub rsp, 128",
    "lea rax, [rsp + 64]", "mov [rsp], rax", "mov qword ptr [rsp + 8], 4",
    "lea rax, [rsp + 68]", "mov [rsp + 16], rax", "mov qword ptr [rsp + 24], 4",
    "xor edi, edi", "mov rsi, rsp", "mov edx, 2", "SYS 19",
    "imul ebx, eax, 10",
    "xor edi, edi", "lea rsi, [rsp + 64]", "mov edx, 64", "SYS 0",
    "lea edi, [rbx + rax]",
    "mov eax, 60",
    "syscall",
    "user_readv_end:",
    ".text",
);

unsafe extern "C" {
    static user_files: u8;
    static user_files_end: u8;
    static user_echo: u8;
    static user_echo_end: u8;
    static user_readv: u8;
    static user_readv_end: u8;
}

/// The bytes between two labels of the `global_asm!` above.
fn program(start: *const u8, end: *const u8) -> &'static [u8] {
    let len = end as usize - start as usize;
    // SAFETY: both labels are in the same read-only section of this binary,
    // `end` after `start`; the bytes between them never change.
    unsafe { core::slice::from_raw_parts(start, len) }
}

/// The boot story of `main.rs` up to the shell, with threads, `syscall` and the ramdisk.
fn boot_steps_succeed() {
    let boot_info = testing::boot_info();
    gdt::init(boot_info);
    idt::init(boot_info);
    acpi::init(boot_info).expect("ACPI tables");
    irq::init();
    time::init();
    tasks::init();
    arch_syscall::init();
    syscall::init();
    interrupts::enable();
    ramdisk::init(boot_info);
}

fn the_ramdisk_has_the_programs_and_the_motd() {
    let hello = ramdisk::find(b"/bin/hello").expect("/bin/hello");
    assert_eq!(&hello[..4], b"\x7fELF");
    assert_eq!(ramdisk::find(b"bin/hello"), Some(hello), "relative to /");
    let motd = ramdisk::find(b"/etc/motd").expect("/etc/motd");
    assert!(motd.starts_with(b"Welcome to Kestrel"));
    assert_eq!(ramdisk::find(b"/bin"), None, "a directory is not a file");
    assert_eq!(ramdisk::find(b"/bin/nothing"), None);
    assert!(matches!(
        ramdisk::lookup(b"/bin/"),
        Ok(Node::Directory { .. })
    ));
    assert_eq!(
        ramdisk::lookup(b"/etc/motd/").err(),
        Some(linux_raw_sys::errno::ENOTDIR)
    );
}

fn a_program_uses_files_console_time_and_identity_calls() {
    let code = program(&raw const user_files, &raw const user_files_end);
    let handle = process::spawn_flat("files", code).expect("the program starts");
    let ended = handle.join().expect_err("a user program never returns");
    assert_eq!(
        ended,
        ThreadError::Exited(0),
        "the number is the first check that failed"
    );
}

fn random_bytes_differ() {
    let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
    kernel::random::fill(&mut a);
    kernel::random::fill(&mut b);
    assert_ne!(a, b);
    assert_ne!(a, [0; 32]);
}

fn console_reads_give_an_edited_line_then_end_of_file() {
    // Typed before the program reads: "echo", a typo erased, Enter, Ctrl-D.
    for &byte in b"ecx\x7fho\r\x04" {
        kernel::input::push(byte);
    }
    let code = program(&raw const user_echo, &raw const user_echo_end);
    let handle = process::spawn_flat("echo", code).expect("the program starts");
    let ended = handle.join().expect_err("a user program never returns");
    assert_eq!(
        ended,
        ThreadError::Exited(5),
        "\"echo\\n\", then end of file"
    );
}

fn readv_of_the_console_ends_with_the_line() {
    // "abc\n" fills the first piece exactly; the second must not take the
    // next line (it did before: 7 bytes, and the read found nothing).
    for &byte in b"abc\rxy\r" {
        kernel::input::push(byte);
    }
    let code = program(&raw const user_readv, &raw const user_readv_end);
    let handle = process::spawn_flat("readv", code).expect("the program starts");
    let ended = handle.join().expect_err("a user program never returns");
    assert_eq!(ended, ThreadError::Exited(43), "readv 4 bytes, then read 3");
}

/// `fs::vfs::mount_root` (what a disk's file system calls): the new root
/// replaces the ramdisk's, and `/dev`, `/tmp`, `/proc` are mounted on it,
/// their directories made.
fn a_new_root_keeps_dev_tmp_and_proc() {
    use kernel::fs::vfs as tree;
    use vfs::{FileSystem, Follow};
    let before = tree::mounts();
    let motd = before.resolve(before.root(), b"/etc/motd", Follow::Yes);
    assert!(motd.is_ok(), "the ramdisk's root has /etc/motd");
    let root = alloc::sync::Arc::new(vfs::TmpFs::new());
    tree::mount_root(root.clone());
    let mounts = tree::mounts();
    let null = mounts.resolve(mounts.root(), b"/dev/null", Follow::Yes);
    assert_eq!(null.map(|at| at.mount), Ok(tree::DEV));
    let tmp = mounts.resolve(mounts.root(), b"/tmp/../tmp", Follow::Yes);
    assert_eq!(tmp, Ok(mounts.root_of(tree::TMP)));
    let exe = mounts.resolve(mounts.root(), b"/proc/self", Follow::No);
    assert_eq!(exe.map(|at| at.mount), Ok(tree::PROC));
    for name in [&b"dev"[..], b"tmp", b"proc"] {
        assert!(
            root.lookup(root.root(), name).is_ok(),
            "made on the new root"
        );
    }
    let motd = mounts.resolve(mounts.root(), b"/etc/motd", Follow::Yes);
    assert_eq!(
        motd,
        Err(linux_raw_sys::errno::ENOENT),
        "the ramdisk's root is gone"
    );
}
