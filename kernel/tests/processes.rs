//! Kernel tests for processes: pids and parents, `fork` with copy-on-write,
//! `vfork` and `clone`, `execve`, `wait4`, `kill`, and that nothing leaks:
//! not after a fork bomb (and a fork in a full table gives EAGAIN), not
//! after 1,000 runs of bad programs, not after pipes made, copied,
//! inherited and closed.
//!
//! The programs are position-independent machine code in `global_asm!`
//! (flat programs: `process::spawn_flat`), which check the kernel's answers
//! themselves and exit with 42 if all were right, or with the number of the
//! first check that failed. Programs that `execve` runs are the same kind of
//! code wrapped in a minimal static ELF file, registered with
//! `process::programs`.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use core::arch::global_asm;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use kernel::arch::syscall as arch_syscall;
use kernel::arch::{acpi, gdt, idt, interrupts, irq};
use kernel::memory::{address_space, frames, heap, sharing};
use kernel::process::{self, Pid, programs, signal};
use kernel::tasks::thread::{self, JoinHandle, ThreadError};
use kernel::tasks::wait_queue::WaitQueue;
use kernel::{println, syscall, tasks, test, testing, time};

kernel::test_kernel![
    test!(boot_steps_succeed),
    test!(a_forked_child_has_its_parents_registers_and_its_own_memory),
    test!(wait4_and_kill_answer_as_on_linux),
    test!(execve_vfork_and_clone),
    test!(kill_from_the_kernel_frees_the_process),
    test!(a_parent_killed_while_it_waits_ends_and_its_child_is_orphaned),
    test!(a_process_killed_with_its_threads_leaves_nothing),
    test!(a_fork_bomb_ends_with_every_process_and_address_space_gone),
    test!(fork_in_a_full_table_gives_eagain_until_there_is_room),
    test!(a_thousand_bad_runs_leak_nothing),
    test!(pipes_opened_and_closed_leak_nothing),
];

global_asm!(
    // `EXPECT value, code`: exit with `code` unless rax == value.
    ".macro EXPECT value, code",
    "cmp rax, \\value",
    "je .Lok\\@",
    "mov edi, \\code",
    "mov eax, 60",
    "syscall",
    ".Lok\\@:",
    ".endm",
    ".macro EXIT code",
    "mov edi, \\code",
    "mov eax, 60",
    "syscall",
    ".endm",
    // `WAIT pid_register, code`: wait4(pid, [rsp + 8], 0, 0), exit with
    // `code` unless it returned that pid; leaves the status word in eax.
    ".macro WAIT pid, code",
    "mov rdi, \\pid",
    "lea rsi, [rsp + 8]",
    "xor edx, edx",
    "xor r10d, r10d",
    "mov eax, 61",
    "syscall",
    "cmp rax, \\pid",
    "je .Lwaited\\@",
    "mov edi, \\code",
    "mov eax, 60",
    "syscall",
    ".Lwaited\\@:",
    "mov eax, dword ptr [rsp + 8]",
    ".endm",
    ".section .rodata.user_programs, \"a\"",
    //
    // fork_cow: registers set, fork; the child checks every register and
    // the stack word the parent changes after the fork (it must still see
    // 1), writes 3 there and exits 42; the parent waits, and passes on the
    // child's failure code, or checks that it still sees its own 2.
    ".global fork_cow, fork_cow_end",
    "fork_cow:",
    "sub rsp, 256",
    "mov qword ptr [rsp], 1",
    "mov rbx, 0x1111",
    "mov rbp, 0x2222",
    "mov r12, 0x1212",
    "mov r13, 0x1313",
    "mov r14, 0x1414",
    "mov r15, 0x1515",
    "mov r8, 0x808",
    "mov r9, 0x909",
    "mov r10, 0x1010",
    "mov rdi, 0x7d7d",
    "mov rsi, 0x5e5e",
    "mov rdx, 0xd0d0",
    "mov eax, 57",
    "syscall",
    "fork_cow_after:",
    "test rax, rax",
    "jz fork_cow_child",
    "js fork_cow_failed",
    "mov qword ptr [rsp], 2",
    "mov r12, rax",
    "WAIT r12, 91",
    "cmp eax, 0x2a00",
    "je fork_cow_child_ok",
    "shr eax, 8",
    "mov edi, eax",
    "mov eax, 60",
    "syscall",
    "fork_cow_child_ok:",
    "cmp qword ptr [rsp], 2",
    "jne fork_cow_parent_saw_it",
    "EXIT 42",
    "fork_cow_parent_saw_it:",
    "EXIT 92",
    "fork_cow_failed:",
    "EXIT 90",
    "fork_cow_child:",
    "mov rax, rbx",
    "EXPECT 0x1111, 11",
    "mov rax, rbp",
    "EXPECT 0x2222, 12",
    "mov rax, r12",
    "EXPECT 0x1212, 13",
    "mov rax, r13",
    "EXPECT 0x1313, 14",
    "mov rax, r14",
    "EXPECT 0x1414, 15",
    "mov rax, r15",
    "EXPECT 0x1515, 16",
    "mov rax, r8",
    "EXPECT 0x808, 17",
    "mov rax, r9",
    "EXPECT 0x909, 18",
    "mov rax, r10",
    "EXPECT 0x1010, 19",
    "mov rax, rdi",
    "EXPECT 0x7d7d, 20",
    "mov rax, rsi",
    "EXPECT 0x5e5e, 21",
    "mov rax, rdx",
    "EXPECT 0xd0d0, 22",
    "lea rax, [rip + fork_cow_after]",
    "cmp rcx, rax",
    "je fork_cow_rcx_ok",
    "EXIT 23",
    "fork_cow_rcx_ok:",
    "mov rax, [rsp]",
    "EXPECT 1, 24",
    "mov qword ptr [rsp], 3",
    "EXIT 42",
    "fork_cow_end:",
    //
    // waits: wait4 and kill, checked against Linux's answers.
    ".global waits, waits_end",
    "waits:",
    "sub rsp, 256",
    // No children: -ECHILD.
    "mov rdi, -1",
    "xor esi, esi",
    "xor edx, edx",
    "xor r10d, r10d",
    "mov eax, 61",
    "syscall",
    "EXPECT -10, 50",
    // A child that spins a while, then exits 5.
    "mov eax, 57",
    "syscall",
    "test rax, rax",
    "jz waits_spinner",
    "mov r12, rax",
    // WNOHANG while it runs: 0.
    "mov rdi, r12",
    "lea rsi, [rsp + 8]",
    "mov edx, 1",
    "xor r10d, r10d",
    "mov eax, 61",
    "syscall",
    "EXPECT 0, 51",
    // A pid that is not a child: -ECHILD.
    "lea rdi, [r12 + 1000]",
    "xor esi, esi",
    "xor edx, edx",
    "xor r10d, r10d",
    "mov eax, 61",
    "syscall",
    "EXPECT -10, 52",
    // Blocking wait for any child: its pid, status 5 << 8.
    "mov rdi, -1",
    "lea rsi, [rsp + 8]",
    "xor edx, edx",
    "xor r10d, r10d",
    "mov eax, 61",
    "syscall",
    "cmp rax, r12",
    "je waits_any_ok",
    "EXIT 53",
    "waits_any_ok:",
    "mov eax, dword ptr [rsp + 8]",
    "EXPECT 0x500, 54",
    // A child that loops forever, for kill.
    "mov eax, 57",
    "syscall",
    "test rax, rax",
    "jz waits_forever",
    "mov r12, rax",
    "mov rdi, r12",
    "xor esi, esi",
    "mov eax, 62",
    "syscall",
    "EXPECT 0, 55", // signal 0: it exists
    "mov rdi, r12",
    "mov esi, 99",
    "mov eax, 62",
    "syscall",
    "EXPECT -22, 56", // no signal 99: -EINVAL
    "mov edi, 30000",
    "mov esi, 9",
    "mov eax, 62",
    "syscall",
    "EXPECT -3, 57", // no such process: -ESRCH
    "mov rdi, r12",
    "mov esi, 10",
    "mov eax, 62",
    "syscall",
    "EXPECT 0, 58", // SIGUSR1: its default action ends the child
    "mov rdi, r12",
    "mov esi, 15",
    "mov eax, 62",
    "syscall",
    "EXPECT 0, 59", // SIGTERM (to the child, or the zombie it already is)
    "WAIT r12, 60",
    "EXPECT 10, 61", // ended by signal 10 (SIGUSR1), no core
    // A bad status pointer: -EFAULT (the child is reaped all the same).
    "mov eax, 57",
    "syscall",
    "test rax, rax",
    "jz waits_exit0",
    "mov rdi, -1",
    "movabs rsi, 0xffff800000000000",
    "xor edx, edx",
    "xor r10d, r10d",
    "mov eax, 61",
    "syscall",
    "EXPECT -14, 62",
    "mov rdi, -1",
    "xor esi, esi",
    "xor edx, edx",
    "xor r10d, r10d",
    "mov eax, 61",
    "syscall",
    "EXPECT -10, 63",
    // Unknown options: -EINVAL.
    "mov rdi, -1",
    "xor esi, esi",
    "mov edx, 0x100",
    "xor r10d, r10d",
    "mov eax, 61",
    "syscall",
    "EXPECT -22, 64",
    // Identity: started by the kernel, so getppid is 0; gettid = getpid;
    // a child's getppid is our pid.
    "mov eax, 110",
    "syscall",
    "EXPECT 0, 65",
    "mov eax, 39",
    "syscall",
    "mov r13, rax",
    "mov eax, 186",
    "syscall",
    "cmp rax, r13",
    "je waits_tid_ok",
    "EXIT 66",
    "waits_tid_ok:",
    "mov eax, 57",
    "syscall",
    "test rax, rax",
    "jz waits_ppid_child",
    "mov r12, rax",
    "WAIT r12, 67",
    "EXPECT 0x2a00, 68",
    "EXIT 42",
    "waits_ppid_child:",
    "mov eax, 110",
    "syscall",
    "cmp rax, r13",
    "je waits_ppid_ok",
    "EXIT 1",
    "waits_ppid_ok:",
    "EXIT 42",
    "waits_spinner:",
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "mov rbx, rax",
    "waits_spin:",
    "pause",
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "sub rax, rbx",
    "cmp rax, 0x4000000",
    "jb waits_spin",
    "EXIT 5",
    "waits_forever:",
    "pause",
    "jmp waits_forever",
    "waits_exit0:",
    "EXIT 0",
    "waits_end:",
    //
    // execs: execve's errors, then fork+exec, vfork+exec, vfork+exit,
    // posix_spawn's clone, a refused thread clone, glibc's fork clone.
    ".global execs, execs_end",
    "execs:",
    "sub rsp, 2048",
    "lea rax, [rip + s_args]",
    "mov [rsp + 16], rax",
    "lea rax, [rip + s_x]",
    "mov [rsp + 24], rax",
    "lea rax, [rip + s_y]",
    "mov [rsp + 32], rax",
    "mov qword ptr [rsp + 40], 0",
    "lea rax, [rip + s_home]",
    "mov [rsp + 48], rax",
    "mov qword ptr [rsp + 56], 0",
    "lea rdi, [rip + s_nope]",
    "lea rsi, [rsp + 16]",
    "lea rdx, [rsp + 48]",
    "mov eax, 59",
    "syscall",
    "EXPECT -2, 70", // ENOENT
    "movabs rdi, 0xffff800000000000",
    "lea rsi, [rsp + 16]",
    "lea rdx, [rsp + 48]",
    "mov eax, 59",
    "syscall",
    "EXPECT -14, 71", // EFAULT: the path
    "lea rdi, [rip + s_args]",
    "mov esi, 0x1000",
    "lea rdx, [rsp + 48]",
    "mov eax, 59",
    "syscall",
    "EXPECT -14, 72", // EFAULT: argv
    "lea rdi, [rip + s_junk]",
    "lea rsi, [rsp + 16]",
    "lea rdx, [rsp + 48]",
    "mov eax, 59",
    "syscall",
    "EXPECT -8, 73", // ENOEXEC
    // 200 environment strings of 100 bytes: more than fits, -E2BIG.
    "lea rax, [rip + s_long]",
    "lea rcx, [rsp + 64]",
    "mov edx, 200",
    "execs_fill:",
    "mov [rcx], rax",
    "add rcx, 8",
    "dec edx",
    "jnz execs_fill",
    "mov qword ptr [rcx], 0",
    "lea rdi, [rip + s_args]",
    "lea rsi, [rsp + 16]",
    "lea rdx, [rsp + 64]",
    "mov eax, 59",
    "syscall",
    "EXPECT -7, 74",
    // fork + exec of /bin/args x y: exits with argc, 3.
    "mov eax, 57",
    "syscall",
    "test rax, rax",
    "jz execs_args_child",
    "mov r12, rax",
    "WAIT r12, 75",
    "EXPECT 0x300, 76",
    // vfork + exec of /bin/hello42.
    "mov eax, 58",
    "syscall",
    "test rax, rax",
    "jz execs_hello_child",
    "mov r12, rax",
    "WAIT r12, 77",
    "EXPECT 0x2a00, 78",
    // vfork + exit(7).
    "mov eax, 58",
    "syscall",
    "test rax, rax",
    "jz execs_exit7",
    "mov r12, rax",
    "WAIT r12, 79",
    "EXPECT 0x700, 80",
    // clone(CLONE_VM | CLONE_VFORK | SIGCHLD, own stack): musl's posix_spawn.
    "mov edi, 0x4111",
    "lea rsi, [rsp + 1536]",
    "xor edx, edx",
    "xor r10d, r10d",
    "xor r8d, r8d",
    "mov eax, 56",
    "syscall",
    "test rax, rax",
    "jz execs_clone_child",
    "mov r12, rax",
    "WAIT r12, 81",
    "EXPECT 0x2a00, 82",
    // clone(CLONE_THREAD | CLONE_SIGHAND | CLONE_VM): threads are not supported.
    "mov edi, 0x10900",
    "xor esi, esi",
    "xor edx, edx",
    "xor r10d, r10d",
    "xor r8d, r8d",
    "mov eax, 56",
    "syscall",
    "EXPECT -22, 83",
    // glibc's fork: CHILD_SETTID | CHILD_CLEARTID | PARENT_SETTID | SIGCHLD.
    "mov qword ptr [rsp + 1800], 0",
    "mov qword ptr [rsp + 1808], 0",
    "mov edi, 0x1300011",
    "xor esi, esi",
    "lea rdx, [rsp + 1800]",
    "lea r10, [rsp + 1808]",
    "xor r8d, r8d",
    "mov eax, 56",
    "syscall",
    "test rax, rax",
    "jz execs_glibc_child",
    "mov r12, rax",
    "mov eax, dword ptr [rsp + 1800]",
    "cmp rax, r12",
    "je execs_ptid_ok",
    "EXIT 84",
    "execs_ptid_ok:",
    "WAIT r12, 85",
    "EXPECT 0x900, 86",
    "mov rax, [rsp + 1808]",
    "EXPECT 0, 87", // the child's tid went to the child's copy only
    "EXIT 42",
    "execs_args_child:",
    "lea rdi, [rip + s_args]",
    "lea rsi, [rsp + 16]",
    "lea rdx, [rsp + 48]",
    "mov eax, 59",
    "syscall",
    "EXIT 100",
    "execs_hello_child:",
    "lea rdi, [rip + s_hello]",
    "lea rsi, [rsp + 16]",
    "xor edx, edx",
    "mov eax, 59",
    "syscall",
    "EXIT 101",
    "execs_exit7:",
    "EXIT 7",
    "execs_clone_child:",
    "lea rdi, [rip + s_hello]",
    "xor esi, esi",
    "xor edx, edx",
    "mov eax, 59",
    "syscall",
    "EXIT 102",
    "execs_glibc_child:",
    "mov eax, dword ptr [rsp + 1808]",
    "mov r13, rax",
    "mov eax, 39",
    "syscall",
    "cmp rax, r13",
    "je execs_ctid_ok",
    "EXIT 1",
    "execs_ctid_ok:",
    "EXIT 9",
    "s_nope: .asciz \"/nope\"",
    "s_args: .asciz \"/bin/args\"",
    "s_x: .asciz \"x\"",
    "s_y: .asciz \"y\"",
    "s_home: .asciz \"HOME=/\"",
    "s_hello: .asciz \"/bin/hello42\"",
    "s_junk: .asciz \"/bin/junk\"",
    "s_long: .asciz \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\"",
    "execs_end:",
    //
    // hello42: write(1, "hello from exec\n", 16); exit(42).
    ".global hello42, hello42_end",
    "hello42:",
    "mov eax, 1",
    "mov edi, 1",
    "lea rsi, [rip + hello42_text]",
    "mov edx, 16",
    "syscall",
    "EXIT 42",
    "hello42_text: .ascii \"hello from exec\\n\"",
    "hello42_end:",
    //
    // args: exits with argc if rsp is 16-byte aligned, argv[0] starts with
    // '/', envp[0] with 'H' and rdx is 0; with 99 otherwise.
    ".global show_args, show_args_end",
    "show_args:",
    "test rsp, 15",
    "jnz show_args_bad",
    "test rdx, rdx",
    "jnz show_args_bad",
    "mov rdi, [rsp]",
    "mov rbx, [rsp + 8]",
    "cmp byte ptr [rbx], 0x2f",
    "jne show_args_bad",
    "mov rbx, [rsp + 8 * rdi + 16]",
    "cmp byte ptr [rbx], 0x48",
    "jne show_args_bad",
    "mov eax, 60",
    "syscall",
    "show_args_bad:",
    "EXIT 99",
    "show_args_end:",
    //
    // forever: loops in ring 3.
    ".global forever, forever_end",
    "forever:",
    "pause",
    "jmp forever",
    "forever_end:",
    //
    // wait_forever: forks a child that loops; waits for it.
    ".global wait_forever, wait_forever_end",
    "wait_forever:",
    "mov eax, 57",
    "syscall",
    "test rax, rax",
    "jz wait_forever_child",
    "mov rdi, -1",
    "xor esi, esi",
    "xor edx, edx",
    "xor r10d, r10d",
    "mov eax, 61",
    "syscall",
    "EXIT 1",
    "wait_forever_child:",
    "pause",
    "jmp wait_forever_child",
    "wait_forever_end:",
    //
    // bomb: forks forever, parents and children alike; writes to its stack
    // between forks (copy-on-write copies).
    ".global bomb, bomb_end",
    "bomb:",
    "sub rsp, 64",
    "bomb_again:",
    "inc qword ptr [rsp]",
    "mov eax, 57",
    "syscall",
    "jmp bomb_again",
    "bomb_end:",
    //
    // filler: forks until fork fails, then exits with its errno; the
    // children sleep in `pause` until killed.
    ".global filler, filler_end",
    "filler:",
    "mov eax, 57",
    "syscall",
    "test rax, rax",
    "jz filler_child",
    "jns filler",
    "neg rax",
    "mov edi, eax",
    "mov eax, 60",
    "syscall",
    "filler_child:",
    "mov eax, 34",
    "syscall",
    "jmp filler_child",
    "filler_end:",
    //
    // threads: makes 4 threads (clone with CLONE_THREAD, each on its own
    // 16 KiB of the stack region): even ones spin in ring 3, odd ones wait
    // on a futex forever (in the kernel); then waits on it too.
    ".global many_threads, many_threads_end",
    ".balign 16", // (so that the futex word below is aligned when copied)
    "many_threads:",
    "xor r12d, r12d",
    "many_again:",
    "mov edi, 0x10f00", // CLONE_VM | FS | FILES | SIGHAND | THREAD
    "lea rsi, [rsp - 0x4000]",
    "sub rsp, 0x4000",
    "xor edx, edx",
    "xor r10d, r10d",
    "xor r8d, r8d",
    "mov eax, 56",
    "syscall",
    "test rax, rax",
    "jz many_child",
    "inc r12",
    "cmp r12, 4",
    "jb many_again",
    "jmp many_wait",
    "many_child:",
    "test r12, 1",
    "jnz many_wait",
    "many_spin:",
    "jmp many_spin",
    "many_wait:",
    "lea rdi, [rip + many_word]",
    "mov esi, 128",   // FUTEX_WAIT | FUTEX_PRIVATE_FLAG
    "xor edx, edx",   // while the word is 0 (it stays 0)
    "xor r10d, r10d", // no timeout
    "mov eax, 202",
    "syscall",
    "jmp many_wait",
    ".balign 4",
    "many_word:",
    ".long 0",
    "many_threads_end:",
    //
    // Bad programs.
    ".global bad_divide, bad_divide_end",
    "bad_divide:",
    "xor ecx, ecx",
    "mov eax, 1",
    "cdq",
    "div ecx",
    "bad_divide_end:",
    ".global bad_write_code, bad_write_code_end",
    "bad_write_code:",
    "lea rax, [rip]",
    "mov byte ptr [rax], 0",
    "bad_write_code_end:",
    ".global bad_run_stack, bad_run_stack_end",
    "bad_run_stack:",
    "mov rax, rsp",
    "sub rax, 64",
    "jmp rax",
    "bad_run_stack_end:",
    ".global bad_noncanonical, bad_noncanonical_end",
    "bad_noncanonical:",
    "movabs rax, 0x0000800000000000",
    "jmp rax",
    "bad_noncanonical_end:",
    // `rt_sigreturn` with forged frames (no handler ever ran): a
    // non-canonical RIP, a kernel CS, a frame at an unmapped address. Each
    // ends with SIGSEGV; none may fault in the kernel. The frame starts at
    // rsp - 8; the sigcontext at +48: rip +128, eflags +136, cs +144, ss +150.
    ".global bad_sigreturn_rip, bad_sigreturn_rip_end",
    "bad_sigreturn_rip:",
    "sub rsp, 1024",
    "movabs rax, 0x0000800000000000",
    "mov [rsp + 176], rax",
    "mov qword ptr [rsp + 184], 0x202",
    "mov word ptr [rsp + 192], 0x23",
    "mov word ptr [rsp + 198], 0x1b",
    "add rsp, 8",
    "mov eax, 15",
    "syscall",
    "EXIT 1",
    "bad_sigreturn_rip_end:",
    ".global bad_sigreturn_cs, bad_sigreturn_cs_end",
    "bad_sigreturn_cs:",
    "sub rsp, 1024",
    "lea rax, [rip]",
    "mov [rsp + 176], rax",
    "mov qword ptr [rsp + 184], 0x202",
    "mov word ptr [rsp + 192], 0x08",
    "mov word ptr [rsp + 198], 0x1b",
    "add rsp, 8",
    "mov eax, 15",
    "syscall",
    "EXIT 1",
    "bad_sigreturn_cs_end:",
    ".global bad_sigreturn_unmapped, bad_sigreturn_unmapped_end",
    "bad_sigreturn_unmapped:",
    "mov esp, 0x1000",
    "mov eax, 15",
    "syscall",
    "EXIT 1",
    "bad_sigreturn_unmapped_end:",
    // Bad pointers and an unknown number, then exit(1).
    ".global bad_calls, bad_calls_end",
    "bad_calls:",
    "mov eax, 1",
    "mov edi, 1",
    "xor esi, esi",
    "mov edx, 8",
    "syscall",
    "mov eax, 59",
    "movabs rdi, 0xfffffffffffffff0",
    "xor esi, esi",
    "xor edx, edx",
    "syscall",
    "mov eax, 61",
    "mov rdi, -1",
    "mov esi, 0x1000",
    "xor edx, edx",
    "xor r10d, r10d",
    "syscall",
    "mov eax, 777",
    "syscall",
    "EXIT 1",
    "bad_calls_end:",
    ".text",
);

unsafe extern "C" {
    static fork_cow: u8;
    static fork_cow_end: u8;
    static waits: u8;
    static waits_end: u8;
    static execs: u8;
    static execs_end: u8;
    static hello42: u8;
    static hello42_end: u8;
    static show_args: u8;
    static show_args_end: u8;
    static forever: u8;
    static forever_end: u8;
    static wait_forever: u8;
    static wait_forever_end: u8;
    static bomb: u8;
    static bomb_end: u8;
    static filler: u8;
    static filler_end: u8;
    static many_threads: u8;
    static many_threads_end: u8;
    static bad_divide: u8;
    static bad_divide_end: u8;
    static bad_write_code: u8;
    static bad_write_code_end: u8;
    static bad_run_stack: u8;
    static bad_run_stack_end: u8;
    static bad_noncanonical: u8;
    static bad_sigreturn_rip: u8;
    static bad_sigreturn_rip_end: u8;
    static bad_sigreturn_cs: u8;
    static bad_sigreturn_cs_end: u8;
    static bad_sigreturn_unmapped: u8;
    static bad_sigreturn_unmapped_end: u8;
    static bad_noncanonical_end: u8;
    static bad_calls: u8;
    static bad_calls_end: u8;
}

/// How many threads the kernel has before any program runs.
static KERNEL_THREADS: AtomicUsize = AtomicUsize::new(0);

/// The bytes between two labels of the `global_asm!` above.
fn program(start: *const u8, end: *const u8) -> &'static [u8] {
    let len = end as usize - start as usize;
    // SAFETY: both labels are in the same read-only section of this binary,
    // `end` after `start`; the bytes between them never change.
    unsafe { core::slice::from_raw_parts(start, len) }
}

/// Runs `code` in ring 3 and returns how its thread ended.
fn run(name: &str, code: &[u8]) -> ThreadError {
    let handle = process::spawn_flat(name, code).expect("the program starts");
    handle.join().expect_err("a user program never returns")
}

/// The pid of the process that thread `handle` runs.
fn pid_of<T>(handle: &JoinHandle<T>) -> Pid {
    wait_for("the process is in the table", || {
        process::list()
            .iter()
            .find(|p| p.thread == Some(handle.id()))
            .map(|p| p.pid)
    })
}

/// Polls `check` (sleeping 10 ms between looks) until it gives something;
/// fails after 60 s.
fn wait_for<R>(what: &str, mut check: impl FnMut() -> Option<R>) -> R {
    let deadline = time::now_ns() + 60_000_000_000;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(time::now_ns() < deadline, "gave up waiting: {what}");
        thread::sleep(core::time::Duration::from_millis(10));
    }
}

/// Frames and heap bytes in use, after handing back what ended threads and
/// the scheduler's queues keep. The frames the heap has mapped are not
/// counted: the heap keeps its pages once grown, and its bytes in use are
/// the second number.
fn in_use() -> (usize, usize) {
    // A process's thread still runs its last steps after the process has
    // left the table (and its parent has reaped it).
    // (A thread finishing a process may still hold its address space.)
    let threads = KERNEL_THREADS.load(Ordering::SeqCst);
    wait_for(
        "only the kernel's threads and no address space are left",
        || {
            let done = thread::list().len() <= threads && address_space::live_count() == 0;
            done.then_some(())
        },
    );
    tasks::scheduler::free_dead_threads();
    tasks::scheduler::shrink_to_fit();
    let heap = heap::stats().unwrap();
    let frames = frames::stats().unwrap().used() - heap.mapped_pages;
    (frames, heap.allocator.in_use)
}

/// Fails unless `after` (frames, heap bytes) equals `before`, both
/// exactly. (When `in_use` measures, only `main` runs and the idle thread
/// waits, so the scheduler's queues hold nothing; every structure that
/// keeps memory once grown was grown by the warm-up run before `before`.)
fn assert_nothing_leaked(before: (usize, usize), after: (usize, usize), what: &str) {
    println!("(frames, heap bytes) in use: {before:?} before {what}, {after:?} after");
    assert_eq!(after, before, "(frames, heap bytes) in use after {what}");
}

/// [`assert_nothing_leaked`] once the counts are back to `before`, waiting
/// for that (up to 20 s): for runs whose end a kill brings, where threads
/// finish their last steps after their processes have left the table.
fn assert_back_to(before: (usize, usize), what: &str) {
    let mut after = in_use();
    let _ = wait_until_deadline(|| {
        after = in_use();
        (after == before).then_some(())
    });
    assert_nothing_leaked(before, after, what);
}

/// A static `ET_EXEC` file at 0x40_0000 whose one read + execute segment
/// holds the headers and then `code`, the entry point.
fn elf_around(code: &[u8]) -> Vec<u8> {
    let base: u64 = 0x40_0000;
    let headers = 64 + 56;
    let size = (headers + code.len()) as u64;
    let mut f = alloc::vec![0u8; headers];
    f[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
    f[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f[18..20].copy_from_slice(&62u16.to_le_bytes()); // x86_64
    f[20..24].copy_from_slice(&1u32.to_le_bytes());
    f[24..32].copy_from_slice(&(base + headers as u64).to_le_bytes());
    f[32..40].copy_from_slice(&64u64.to_le_bytes());
    f[52..54].copy_from_slice(&64u16.to_le_bytes());
    f[54..56].copy_from_slice(&56u16.to_le_bytes());
    f[56..58].copy_from_slice(&1u16.to_le_bytes());
    // PT_LOAD, read + execute: offset 0, at `base`, the whole file.
    f[64..68].copy_from_slice(&1u32.to_le_bytes());
    f[68..72].copy_from_slice(&5u32.to_le_bytes());
    f[80..88].copy_from_slice(&base.to_le_bytes());
    f[88..96].copy_from_slice(&base.to_le_bytes());
    f[96..104].copy_from_slice(&size.to_le_bytes());
    f[104..112].copy_from_slice(&size.to_le_bytes());
    f[112..120].copy_from_slice(&4096u64.to_le_bytes());
    f.extend_from_slice(code);
    f
}

/// The boot story of `main.rs` up to the shell, with threads and `syscall`,
/// and the programs `execve` can find.
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
    KERNEL_THREADS.store(thread::list().len(), Ordering::SeqCst);
    // The scheduler keeps the map of wait queues' waiters once it has had
    // one (456 bytes); whether a parent's wait4 sleeps depends on timing, so
    // make the map exist before any leak check.
    static QUEUE: WaitQueue = WaitQueue::new();
    static GO: AtomicBool = AtomicBool::new(false);
    let waiter =
        thread::spawn("waiter", || QUEUE.wait_while(|| !GO.load(Ordering::SeqCst))).unwrap();
    wait_for("the waiter sleeps", || (QUEUE.waiting() == 1).then_some(()));
    GO.store(true, Ordering::SeqCst);
    QUEUE.wake_all();
    waiter.join().unwrap();
    // Likewise the set of sleeping threads (192 bytes), which `wait_for` uses.
    thread::sleep(core::time::Duration::from_millis(1));
    let hello = program(&raw const hello42, &raw const hello42_end);
    let args = program(&raw const show_args, &raw const show_args_end);
    programs::register(b"/bin/hello42", elf_around(hello).leak());
    programs::register(b"/bin/args", elf_around(args).leak());
    programs::register(b"/bin/junk", b"\x7fELF, but no more");
}

fn a_forked_child_has_its_parents_registers_and_its_own_memory() {
    let code = program(&raw const fork_cow, &raw const fork_cow_end);
    run("fork_cow", code); // lazily made kernel structures exist after this
    run("fork_cow", code);
    let before = in_use();
    for _ in 0..20 {
        assert_eq!(run("fork_cow", code), ThreadError::Exited(42));
    }
    assert_eq!(sharing::shared_frames(), 0, "no frame is shared any more");
    assert!(process::list().is_empty(), "the children were reaped");
    assert_nothing_leaked(before, in_use(), "20 runs");
}

fn wait4_and_kill_answer_as_on_linux() {
    let code = program(&raw const waits, &raw const waits_end);
    assert_eq!(run("waits", code), ThreadError::Exited(42));
    assert!(process::list().is_empty());
}

fn execve_vfork_and_clone() {
    let code = program(&raw const execs, &raw const execs_end);
    run("execs", code);
    let before = in_use();
    for _ in 0..20 {
        assert_eq!(run("execs", code), ThreadError::Exited(42));
    }
    assert!(process::list().is_empty());
    assert_nothing_leaked(before, in_use(), "20 runs");
    // The runner checks that "hello from exec" reached the serial port.
}

fn kill_from_the_kernel_frees_the_process() {
    let code = program(&raw const forever, &raw const forever_end);
    kill_twice(code);
    let before = in_use();
    for _ in 0..10 {
        kill_twice(code);
    }
    assert!(process::list().is_empty());
    assert_nothing_leaked(before, in_use(), "20 kills");
}

/// Kills a looping program by pid, and another by its thread.
fn kill_twice(code: &[u8]) {
    // By pid, as `kill PID` in the shell.
    let handle = process::spawn_flat("forever", code).unwrap();
    let pid = pid_of(&handle);
    assert_eq!(signal::kill(pid, 0), Ok(()));
    assert_eq!(signal::kill(pid, 65), Err(signal::KillError::BadSignal));
    assert_eq!(signal::kill(pid, 9), Ok(()));
    assert_eq!(handle.join().err(), Some(ThreadError::Killed));
    assert_eq!(signal::kill(pid, 0), Err(signal::KillError::NoProcess));
    // By its thread (the shell's `kill ID` of a thread that runs a process):
    // before, the thread ended and the address space stayed allocated.
    let handle = process::spawn_flat("forever", code).unwrap();
    let pid = pid_of(&handle);
    assert_eq!(signal::kill_thread_process(handle.id()), Some(pid));
    assert_eq!(handle.join().err(), Some(ThreadError::Killed));
}

fn a_parent_killed_while_it_waits_ends_and_its_child_is_orphaned() {
    let code = program(&raw const wait_forever, &raw const wait_forever_end);
    orphan_run(code); // lazily made kernel structures exist after this
    let before = in_use();
    for _ in 0..20 {
        orphan_run(code);
    }
    assert_nothing_leaked(before, in_use(), "20 runs");
}

fn orphan_run(code: &[u8]) {
    let handle = process::spawn_flat("wait_forever", code).unwrap();
    let parent = pid_of(&handle);
    let child = wait_for("the child exists", || {
        process::list()
            .iter()
            .find(|p| p.parent == Some(parent))
            .map(|p| p.pid)
    });
    // Once the parent sleeps in wait4, a kill is left for it: it ends
    // itself on its way out (with the signaled status).
    wait_for("the parent sleeps in wait4", || {
        thread::list()
            .iter()
            .any(|t| t.id == handle.id() && t.state.name().starts_with("blocked"))
            .then_some(())
    });
    assert_eq!(signal::kill(parent, 9), Ok(()));
    assert_eq!(handle.join().err(), Some(ThreadError::Exited(128 + 9)));
    let orphan = process::list();
    assert_eq!(orphan.len(), 1);
    assert_eq!((orphan[0].pid, orphan[0].parent), (child, None));
    assert_eq!(signal::kill(child, 15), Ok(()));
    assert!(
        process::list().is_empty(),
        "reaped by the kernel: no parent"
    );
}

/// Starts a fork bomb, waits until the process table is full, kills every
/// process, waits until all are gone.
fn fork_bomb() {
    let code = program(&raw const bomb, &raw const bomb_end);
    let handle = process::spawn_flat("bomb", code).unwrap();
    wait_for("the table fills", || {
        (process::list().len() == process::MAX_PROCESSES).then_some(())
    });
    // All at once, with no process running in between to make more.
    x86_64::instructions::interrupts::without_interrupts(|| {
        for p in process::list() {
            assert_eq!(signal::kill(p.pid, 9), Ok(()));
        }
    });
    wait_for("every bomb process ends", || {
        process::list().is_empty().then_some(())
    });
    let _ = handle.join();
    // Out of the table, a process's thread still runs its last steps.
    wait_for("every bomb thread is gone", || {
        thread::list()
            .iter()
            .all(|t| t.name != "bomb")
            .then_some(())
    });
}

fn a_fork_bomb_ends_with_every_process_and_address_space_gone() {
    // Lazily made kernel structures exist after these, and the stack window
    // has room for as many threads as a bomb has at once.
    fork_bomb();
    let before = in_use();
    for _ in 0..BOMBS {
        fork_bomb();
        // (`in_use` waits until no address space is left.)
        let _ = in_use();
        assert!(process::list().is_empty());
        assert_eq!(address_space::live_count(), 0, "address spaces alive");
        assert_eq!(sharing::shared_frames(), 0, "frames still shared");
    }
    // Equal counts. Two causes once made a bomb's counts vary: the list of
    // freed kernel stacks was a heap vector that grew by 16 bytes whenever
    // a bomb had more threads at once than any before (now it has a fixed
    // size, see `memory::stack`); and the idle thread, preempted between
    // taking a dead bomb thread's record and freeing it, held a stack and a
    // record that `in_use` could not see (now both happen with interrupts
    // off, see `tasks::scheduler::release`).
    assert_back_to(before, "fork bombs");
}

/// A process forks until the table is full: the fork that finds no room
/// fails with EAGAIN (11, its exit status), and its children stay. Once
/// they are killed, the same program fills the table again: the limit
/// holds, and the system recovers.
fn fork_in_a_full_table_gives_eagain_until_there_is_room() {
    let code = program(&raw const filler, &raw const filler_end);
    for round in 0..2 {
        let handle = process::spawn_flat("filler", code).unwrap();
        assert_eq!(
            handle.join().err(),
            Some(ThreadError::Exited(11)),
            "round {round}"
        );
        // The filler is reaped at once (no parent); its children fill the
        // rest of the table.
        wait_for("the filler leaves the table", || {
            (process::list().len() == process::MAX_PROCESSES - 1).then_some(())
        });
        for p in process::list() {
            assert_eq!(signal::kill(p.pid, 9), Ok(()));
        }
        wait_for("every child ends", || {
            process::list().is_empty().then_some(())
        });
    }
}

/// Polls `check` like [`wait_for`], but gives `None` after 20 s instead of failing.
fn wait_until_deadline<R>(mut check: impl FnMut() -> Option<R>) -> Option<R> {
    let deadline = time::now_ns() + 20_000_000_000;
    loop {
        if let Some(found) = check() {
            return Some(found);
        }
        if time::now_ns() >= deadline {
            return None;
        }
        thread::sleep(core::time::Duration::from_millis(10));
    }
}

/// How many fork bombs the fork bomb test sets off (each fills the table).
const BOMBS: usize = 1;

/// A process of 5 threads (two spinning in ring 3, three asleep on a
/// futex in the kernel) is killed, 5 times: every thread ends, nothing stays.
fn a_process_killed_with_its_threads_leaves_nothing() {
    let code = program(&raw const many_threads, &raw const many_threads_end);
    kill_threaded(code); // lazily made kernel structures exist after this
    let before = in_use();
    for _ in 0..5 {
        kill_threaded(code);
    }
    assert!(process::list().is_empty());
    assert!(!process::futex::waiting(), "futex waiters left");
    assert_back_to(before, "5 threaded kills");
}

fn kill_threaded(code: &[u8]) {
    let handle = process::spawn_flat("threads", code).unwrap();
    let pid = pid_of(&handle);
    wait_for("5 threads, 3 of them asleep", || {
        let list = thread::list();
        let mine = list.iter().filter(|t| t.name == "threads");
        let asleep = mine
            .clone()
            .filter(|t| t.state.name().starts_with("blocked"));
        (mine.count() == 5 && asleep.count() == 3).then_some(())
    });
    assert_eq!(signal::kill(pid, 9), Ok(()));
    // The first thread ends itself on its way out of the kernel (signaled),
    // or is ended at once if it was on its way back to its futex in ring 3.
    let end = handle.join().err();
    assert!(
        end == Some(ThreadError::Exited(128 + 9)) || end == Some(ThreadError::Killed),
        "{end:?}"
    );
    wait_for("every thread of it is gone", || {
        thread::list()
            .iter()
            .all(|t| t.name != "threads")
            .then_some(())
    });
    assert!(
        process::list().is_empty(),
        "reaped by the kernel: no parent"
    );
}

fn a_thousand_bad_runs_leak_nothing() {
    let bad = [
        (
            program(&raw const bad_divide, &raw const bad_divide_end),
            136,
        ),
        (
            program(&raw const bad_write_code, &raw const bad_write_code_end),
            139,
        ),
        (
            program(&raw const bad_run_stack, &raw const bad_run_stack_end),
            139,
        ),
        (
            program(&raw const bad_noncanonical, &raw const bad_noncanonical_end),
            139,
        ),
        (program(&raw const bad_calls, &raw const bad_calls_end), 1),
    ];
    // Forged signal frames: each once here, and a few times in the leak
    // check (1,000 runs of each would not fit the test's time under UEFI).
    let forged = [
        (
            program(
                &raw const bad_sigreturn_rip,
                &raw const bad_sigreturn_rip_end,
            ),
            139,
        ),
        (
            program(&raw const bad_sigreturn_cs, &raw const bad_sigreturn_cs_end),
            139,
        ),
        (
            program(
                &raw const bad_sigreturn_unmapped,
                &raw const bad_sigreturn_unmapped_end,
            ),
            139,
        ),
    ];
    for (code, status) in bad.iter().chain(&forged) {
        assert_eq!(run("bad", code), ThreadError::Exited(*status));
    }
    // (The fork bomb test, before this one, grew what a bomb grows.)
    let before = in_use();
    // 1,000 runs: every 500th a fork bomb (forking until the table is full,
    // then killed), the others the bad programs in turn.
    for i in 0..1000 {
        if i % 500 == 499 {
            fork_bomb();
            continue;
        }
        let (code, status) = bad[i % bad.len()];
        assert_eq!(run("bad", code), ThreadError::Exited(status), "run {i}");
    }
    for i in 0..9 {
        let (code, status) = forged[i % forged.len()];
        assert_eq!(run("bad", code), ThreadError::Exited(status), "forged {i}");
    }
    assert_back_to(before, "1009 bad runs (2 of them fork bombs)");
}

global_asm!(
    ".section .rodata.user_programs, \"a\"",
    //
    // pipe_churn: 10 times: pipe2 into [rsp + 16]; dup the write end and
    // write a byte through the copy; fork a child that exits at once with
    // both ends open (they close when it ends); wait for it; read the byte
    // back; close both ends. Exits 42, or the number of the failed step.
    ".global pipe_churn, pipe_churn_end",
    "pipe_churn:",
    "sub rsp, 64",
    "mov r12, 10",
    ".Lpipe_churn_loop:",
    "lea rdi, [rsp + 16]",
    "xor esi, esi",
    "mov eax, 293",
    "syscall",
    "EXPECT 0, 1",
    "mov edi, dword ptr [rsp + 20]",
    "mov eax, 32",
    "syscall",
    "mov r13, rax",
    "mov rdi, r13",
    "lea rsi, [rsp]",
    "mov edx, 1",
    "mov eax, 1",
    "syscall",
    "EXPECT 1, 2",
    "mov rdi, r13",
    "mov eax, 3",
    "syscall",
    "EXPECT 0, 3",
    "mov eax, 57",
    "syscall",
    "test rax, rax",
    "jnz .Lpipe_churn_parent",
    "EXIT 42",
    ".Lpipe_churn_parent:",
    "mov rbx, rax",
    "WAIT rbx, 4",
    "mov edi, dword ptr [rsp + 16]",
    "lea rsi, [rsp]",
    "mov edx, 1",
    "xor eax, eax",
    "syscall",
    "EXPECT 1, 5",
    "mov edi, dword ptr [rsp + 16]",
    "mov eax, 3",
    "syscall",
    "EXPECT 0, 6",
    "mov edi, dword ptr [rsp + 20]",
    "mov eax, 3",
    "syscall",
    "EXPECT 0, 7",
    "dec r12",
    "jnz .Lpipe_churn_loop",
    "EXIT 42",
    "pipe_churn_end:",
    ".text",
);

unsafe extern "C" {
    static pipe_churn: u8;
    static pipe_churn_end: u8;
}

/// Pipes made, copied with dup, inherited by a child and closed: after 20
/// runs of 10 each, no frame and no heap byte more is in use (a pipe's
/// buffer is 64 KiB of heap).
fn pipes_opened_and_closed_leak_nothing() {
    let code = program(&raw const pipe_churn, &raw const pipe_churn_end);
    assert_eq!(run("pipe_churn", code), ThreadError::Exited(42));
    let before = in_use();
    for _ in 0..20 {
        assert_eq!(run("pipe_churn", code), ThreadError::Exited(42));
    }
    assert_nothing_leaked(before, in_use(), "20 runs of 10 pipes");
}
