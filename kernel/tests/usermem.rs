//! Kernel tests for user memory and per-thread CPU state: the real Rust std
//! programs of `user/` (`hello`, `memtest`), the FPU/SSE registers and FS
//! base of two programs running at once, demand-zero pages, the stack's
//! growth and guard gap, running out of memory, and leaks.
//!
//! The std programs come from the runner's build of `user/`
//! (`KESTREL_USER_PROGRAMS`); the two small CPU-state programs are machine
//! code written below in `global_asm!`, run with `process::spawn_flat`.
#![no_std]
#![no_main]

extern crate alloc;

use core::arch::global_asm;
use kernel::arch::user_state::{self, UserState};
use kernel::arch::{acpi, gdt, idt, interrupts, irq, syscall as arch_syscall};
use kernel::memory::{frames, heap};
use kernel::process;
use kernel::tasks::thread::ThreadError;
use kernel::{println, syscall, tasks, test, testing, time};
use x86_64::registers::control::{Cr4, Cr4Flags};

kernel::test_kernel![
    test!(boot_steps_succeed),
    test!(ring_3_may_use_sse),
    test!(a_new_user_state_is_clean),
    test!(two_processes_keep_their_own_fpu_state),
    test!(two_processes_keep_their_own_fs_base),
    test!(std_hello_runs),
    test!(memtest_passes),
    test!(the_stack_grows_on_demand),
    test!(a_stack_overflow_meets_the_guard_gap),
    test!(touching_unmapped_memory_ends_the_process),
    test!(mapping_until_enomem_is_refused_cleanly),
    test!(touching_until_memory_runs_out_ends_only_the_process),
    test!(many_runs_leak_no_frames_and_no_heap),
];

static HELLO: &[u8] = include_bytes!(concat!(env!("KESTREL_USER_PROGRAMS"), "/hello"));
static MEMTEST: &[u8] = include_bytes!(concat!(env!("KESTREL_USER_PROGRAMS"), "/memtest"));

global_asm!(
    ".section .rodata.user_programs, \"a\"",
    // Checks that it starts with a clean FPU/SSE state (exit 99 if not),
    // sets MXCSR to round toward zero, picks an increment from the TSC
    // (1 to 256), kept in xmm1, on the x87 stack and in r13, then adds it
    // to xmm0, to the x87 sum and to rbx once per loop, for 2^28 TSC cycles
    // (timer interrupts and the other program run meanwhile). Exits with 7
    // if both sums equal rbx and MXCSR is still its own, 1 if not: a switch
    // that lost the FPU/SSE registers leaves the other program's increment
    // or sum in them.
    ".global user_fpu, user_fpu_end",
    "user_fpu:",
    "sub rsp, 16",
    "fnstcw [rsp]",
    "movzx eax, word ptr [rsp]",
    "cmp eax, 0x37f",
    "jne fpu_dirty",
    "stmxcsr [rsp]",
    "mov eax, [rsp]",
    "cmp eax, 0x1f80",
    "jne fpu_dirty",
    "mov dword ptr [rsp], 0x7f80",
    "ldmxcsr [rsp]",
    "rdtsc",
    "and eax, 0xff",
    "inc eax",
    "mov r13, rax",
    "mov [rsp], rax",
    "fild qword ptr [rsp]",
    "fldz",
    "cvtsi2sd xmm1, r13",
    "xorpd xmm0, xmm0",
    "xor ebx, ebx",
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "mov r12, rax",
    "fpu_loop:",
    "pause",
    "addsd xmm0, xmm1",
    "fadd st(0), st(1)",
    "add rbx, r13",
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "sub rax, r12",
    "cmp rax, 0x10000000",
    "jb fpu_loop",
    "mov edi, 1",
    "cvtsi2sd xmm2, rbx",
    "ucomisd xmm0, xmm2",
    "jne fpu_done",
    "fistp qword ptr [rsp]",
    "cmp [rsp], rbx",
    "jne fpu_done",
    "stmxcsr [rsp]",
    "mov eax, [rsp]",
    "cmp eax, 0x7f80",
    "jne fpu_done",
    "mov edi, 7",
    "jmp fpu_done",
    "fpu_dirty:",
    "mov edi, 99",
    "fpu_done:",
    "mov eax, 60",
    "syscall",
    "user_fpu_end:",
    // Sets its FS base (arch_prctl) to a place on its stack that depends on
    // the TSC, and puts a TSC-based marker there; spins for 2^28 TSC cycles,
    // then reads fs:[0]. Exits with 7 if it is its marker, 1 if not, 2 if
    // arch_prctl failed.
    ".global user_fs, user_fs_end",
    "user_fs:",
    "rdtsc",
    "and eax, 0xff0",
    "lea rbx, [rsp - 8192]",
    "sub rbx, rax",
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "mov r12, rax",
    "mov [rbx], r12",
    "mov eax, 158",
    "mov edi, 0x1002",
    "mov rsi, rbx",
    "syscall",
    "mov edi, 2",
    "test rax, rax",
    "jnz fs_done",
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "mov r13, rax",
    "fs_loop:",
    "pause",
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "sub rax, r13",
    "cmp rax, 0x10000000",
    "jb fs_loop",
    "mov edi, 1",
    "mov rax, fs:[0]",
    "cmp rax, r12",
    "jne fs_done",
    "mov edi, 7",
    "fs_done:",
    "mov eax, 60",
    "syscall",
    "user_fs_end:",
    ".text",
);

unsafe extern "C" {
    static user_fpu: u8;
    static user_fpu_end: u8;
    static user_fs: u8;
    static user_fs_end: u8;
}

/// The bytes between two labels of the `global_asm!` above.
fn program(start: *const u8, end: *const u8) -> &'static [u8] {
    let len = end as usize - start as usize;
    // SAFETY: both labels are in the same read-only section of this binary,
    // `end` after `start`; the bytes between them never change.
    unsafe { core::slice::from_raw_parts(start, len) }
}

/// Runs a std program from `user/` with `args` and returns how it ended.
fn run_std(file: &[u8], args: &[&[u8]]) -> ThreadError {
    let env: [&[u8]; 1] = [b"HOME=/"];
    let handle = process::spawn_elf("std", file, args, &env).expect("the program starts");
    handle.join().expect_err("a user program never returns")
}

fn memtest(mode: &[u8]) -> ThreadError {
    if mode.is_empty() {
        run_std(MEMTEST, &[b"/bin/memtest"])
    } else {
        run_std(MEMTEST, &[b"/bin/memtest", mode])
    }
}

/// The boot story of `main.rs` up to the shell, with threads and `syscall`.
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
}

fn ring_3_may_use_sse() {
    let cr4 = Cr4::read();
    assert!(cr4.contains(Cr4Flags::OSFXSR));
    assert!(cr4.contains(Cr4Flags::OSXMMEXCPT_ENABLE));
}

fn a_new_user_state_is_clean() {
    let state = UserState::new();
    assert_eq!(
        state.control_words(),
        (user_state::DEFAULT_FCW, user_state::DEFAULT_MXCSR)
    );
    assert_eq!((0x37f, 0x1f80), state.control_words());
}

fn two_processes_keep_their_own_fpu_state() {
    // Both at once: each is preempted while the other runs. A state not
    // saved and restored shows as a wrong sum, or as a second program that
    // does not start clean (99).
    let code = program(&raw const user_fpu, &raw const user_fpu_end);
    let first = process::spawn_flat("fpu-a", code).unwrap();
    let second = process::spawn_flat("fpu-b", code).unwrap();
    assert_eq!(first.join().err(), Some(ThreadError::Exited(7)));
    assert_eq!(second.join().err(), Some(ThreadError::Exited(7)));
}

fn two_processes_keep_their_own_fs_base() {
    let code = program(&raw const user_fs, &raw const user_fs_end);
    let first = process::spawn_flat("fs-a", code).unwrap();
    let second = process::spawn_flat("fs-b", code).unwrap();
    assert_eq!(first.join().err(), Some(ThreadError::Exited(7)));
    assert_eq!(second.join().err(), Some(ThreadError::Exited(7)));
}

fn std_hello_runs() {
    let status = run_std(HELLO, &[b"/bin/hello", b"one", b"two"]);
    assert_eq!(status, ThreadError::Exited(0));
    // The runner checks its line on the serial port.
}

fn memtest_passes() {
    assert_eq!(memtest(b""), ThreadError::Exited(0));
    // The runner checks for "memtest: all N checks passed".
}

fn the_stack_grows_on_demand() {
    let before = frames::stats().unwrap().used();
    assert_eq!(memtest(b"deep-stack"), ThreadError::Exited(0));
    tasks::scheduler::free_dead_threads();
    assert_eq!(
        frames::stats().unwrap().used(),
        before,
        "the stack's pages are freed"
    );
}

fn a_stack_overflow_meets_the_guard_gap() {
    assert_eq!(memtest(b"stack-overflow"), ThreadError::Exited(128 + 11));
    // The runner checks the line says "stack overflow into the guard gap".
}

fn touching_unmapped_memory_ends_the_process() {
    assert_eq!(memtest(b"use-after-munmap"), ThreadError::Exited(128 + 11));
}

fn mapping_until_enomem_is_refused_cleanly() {
    assert_eq!(memtest(b"map-until-enomem"), ThreadError::Exited(0));
}

fn touching_until_memory_runs_out_ends_only_the_process() {
    assert_eq!(memtest(b"touch-until-oom"), ThreadError::Exited(128 + 9));
    // The kernel goes on, with its memory back.
    assert_eq!(run_std(HELLO, &[b"/bin/hello"]), ThreadError::Exited(0));
}

/// Frames and heap bytes in use, after giving back what ended threads held.
fn in_use() -> (usize, usize) {
    tasks::scheduler::free_dead_threads();
    tasks::scheduler::shrink_to_fit();
    let frames = frames::stats().unwrap().used();
    let heap = heap::stats().unwrap().allocator.in_use;
    (frames, heap)
}

fn many_runs_leak_no_frames_and_no_heap() {
    // A first round, so that lazily made kernel structures exist.
    assert_eq!(memtest(b""), ThreadError::Exited(0));
    assert_eq!(memtest(b"use-after-munmap"), ThreadError::Exited(139));
    let before = in_use();
    for _ in 0..5 {
        assert_eq!(memtest(b""), ThreadError::Exited(0));
        assert_eq!(memtest(b"use-after-munmap"), ThreadError::Exited(139));
        assert_eq!(memtest(b"stack-overflow"), ThreadError::Exited(139));
    }
    assert_eq!(memtest(b"map-until-enomem"), ThreadError::Exited(0));
    assert_eq!(memtest(b"touch-until-oom"), ThreadError::Exited(137));
    let after = in_use();
    println!("frames and heap bytes used: {before:?} before, {after:?} after 17 runs");
    assert_eq!(before, after);
}
