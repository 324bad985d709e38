//! Kernel tests for user mode, first steps: the GDT and `syscall` set-up,
//! tiny programs in ring 3 that write, exit, fault and pass bad pointers,
//! and the copy helpers' checks.
//!
//! The programs are position-independent machine code written below in
//! `global_asm!`; the kernel copies their bytes into user pages
//! (`process::spawn_flat`) and enters them at their first byte.
#![no_std]
#![no_main]

extern crate alloc;

use core::arch::global_asm;
use fault::Fault;
use kernel::arch::entry::InterruptFrame;
use kernel::arch::syscall::{self as arch_syscall, USER_CODE, USER_DATA};
use kernel::arch::{acpi, alignment, gdt, idt, interrupts, irq};
use kernel::memory::address_space::AddressSpace;
use kernel::memory::{frames, paging};
use kernel::process::{self, Error, deliver};
use kernel::syscall::{self, Errno, names, user_memory};
use kernel::tasks::thread::{self, ThreadError};
use kernel::{println, tasks, test, testing, time};
use x86_64::registers::model_specific::{
    Efer, EferFlags, GsBase, KernelGsBase, LStar, SFMask, Star,
};
use x86_64::registers::rflags::RFlags;

kernel::test_kernel![
    test!(boot_steps_succeed),
    test!(gdt_and_msrs_are_in_the_order_sysret_needs),
    test!(sysret_only_to_user_segments_in_the_lower_half),
    test!(each_thread_enters_the_kernel_on_its_own_stack),
    test!(hello_writes_and_exits_with_its_code),
    test!(a_fault_in_ring_3_ends_only_the_process),
    test!(bad_programs_end_with_their_signals),
    test!(a_misaligned_access_with_ac_set_is_sigbus_where_the_cpu_checks),
    test!(bad_pointers_give_efault_unknown_numbers_enosys),
    test!(a_program_preempted_in_ring_3_keeps_its_registers),
    test!(a_new_address_space_has_an_empty_lower_half),
    test!(two_processes_at_the_same_addresses_at_once),
    test!(bad_sizes_refused),
    test!(copy_helpers_check_ranges_and_pages),
    test!(elf_programs_get_arguments_on_an_aligned_stack),
    test!(bad_elf_files_are_refused),
    test!(syscall_names),
    test!(many_runs_leak_no_frames),
];

// The user programs. Each is a label and an `_end` label; only
// rip-relative addressing, since they run at another address.
global_asm!(
    ".section .rodata.user_programs, \"a\"",
    // write(1, message, 18); exit(42)
    ".global user_hello, user_hello_end",
    "user_hello:",
    "mov eax, 1",
    "mov edi, 1",
    "lea rsi, [rip + hello_message]",
    "mov edx, 18",
    "syscall",
    "mov eax, 60",
    "mov edi, 42",
    "syscall",
    "ud2",
    "hello_message:",
    ".ascii \"hello from ring 3\\n\"",
    "user_hello_end:",
    // A read of address 0: a page fault in ring 3.
    ".global user_fault, user_fault_end",
    "user_fault:",
    "mov rax, qword ptr [0]",
    "ud2",
    "user_fault_end:",
    // Four bad write()s and an unknown number; exits with the sum of the
    // negated results: 14 (kernel address) + 14 (unmapped) + 14 (range
    // wraps) + 9 (EBADF) + 38 (ENOSYS) = 89.
    ".global user_bad, user_bad_end",
    "user_bad:",
    "xor ebx, ebx",
    "mov eax, 1",
    "mov edi, 1",
    "movabs rsi, 0xffff800000000000",
    "mov edx, 5",
    "syscall",
    "sub rbx, rax",
    "mov eax, 1",
    "mov edi, 1",
    "mov esi, 0x1000",
    "mov edx, 5",
    "syscall",
    "sub rbx, rax",
    "mov eax, 1",
    "mov edi, 1",
    "mov rsi, -16",
    "mov edx, 32",
    "syscall",
    "sub rbx, rax",
    "mov eax, 1",
    "mov edi, 7",
    "lea rsi, [rip + user_bad]",
    "mov edx, 1",
    "syscall",
    "sub rbx, rax",
    "mov eax, 999",
    "syscall",
    "sub rbx, rax",
    "mov eax, 999", // a second time: reported only once
    "syscall",
    "mov edi, ebx",
    "mov eax, 60",
    "syscall",
    "user_bad_end:",
    // Sets r12-r15 and rbp, spins for 2^28 TSC cycles (timer interrupts
    // arrive meanwhile: interrupts are on in ring 3), then exits with 7 if
    // the registers survived, 1 if not.
    ".global user_spin, user_spin_end",
    "user_spin:",
    "mov r12, 0x1212",
    "mov r13, 0x1313",
    "mov r14, 0x1414",
    "mov r15, 0x1515",
    "mov rbp, 0x5555",
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "mov rbx, rax",
    "spin_again:",
    "pause",
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "sub rax, rbx",
    "cmp rax, 0x10000000",
    "jb spin_again",
    "mov edi, 1",
    "cmp r12, 0x1212",
    "jne spin_done",
    "cmp r13, 0x1313",
    "jne spin_done",
    "cmp r14, 0x1414",
    "jne spin_done",
    "cmp r15, 0x1515",
    "jne spin_done",
    "cmp rbp, 0x5555",
    "jne spin_done",
    "mov edi, 7",
    "spin_done:",
    "mov eax, 60",
    "syscall",
    "user_spin_end:",
    // Exits with argc if rsp is 16-byte aligned at entry, argv[0] starts
    // with '/', envp[0] with 'H' and rdx is 0; with 99 otherwise.
    ".global user_args, user_args_end",
    "user_args:",
    "test rsp, 15",
    "jnz args_bad",
    "test rdx, rdx",
    "jnz args_bad",
    "mov rdi, [rsp]",
    "mov rbx, [rsp + 8]",
    "cmp byte ptr [rbx], 0x2f",
    "jne args_bad",
    "mov rbx, [rsp + 8 * rdi + 16]",
    "cmp byte ptr [rbx], 0x48",
    "jne args_bad",
    "mov eax, 60",
    "syscall",
    "args_bad:",
    "mov edi, 99",
    "mov eax, 60",
    "syscall",
    "user_args_end:",
    // Bad programs, one instruction or three each: see
    // `bad_programs_end_with_their_signals`.
    ".global bad_divide, bad_divide_end",
    "bad_divide:",
    "xor ecx, ecx",
    "mov eax, 1",
    "cdq",
    "div ecx",
    "bad_divide_end:",
    ".global bad_invalid, bad_invalid_end",
    "bad_invalid:",
    "ud2",
    "bad_invalid_end:",
    ".global bad_write_code, bad_write_code_end",
    "bad_write_code:",
    "lea rax, [rip]",
    "mov byte ptr [rax], 0",
    "bad_write_code_end:",
    ".global bad_write_kernel, bad_write_kernel_end",
    "bad_write_kernel:",
    "movabs rax, 0xffffffff80000000",
    "mov byte ptr [rax], 1",
    "bad_write_kernel_end:",
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
    ".global bad_halt, bad_halt_end",
    "bad_halt:",
    "hlt",
    "bad_halt_end:",
    ".global bad_interrupts_off, bad_interrupts_off_end",
    "bad_interrupts_off:",
    "cli",
    "bad_interrupts_off_end:",
    // Sets RFLAGS.AC, loads 4 bytes from an odd address, exits with 0 if
    // nothing stopped it.
    ".global bad_misaligned, bad_misaligned_end",
    "bad_misaligned:",
    "pushfq",
    "or qword ptr [rsp], 0x40000",
    "popfq",
    "mov eax, dword ptr [rsp - 7]",
    "xor edi, edi",
    "mov eax, 60",
    "syscall",
    "bad_misaligned_end:",
    ".text",
);

unsafe extern "C" {
    static user_hello: u8;
    static user_hello_end: u8;
    static user_fault: u8;
    static user_fault_end: u8;
    static user_bad: u8;
    static user_bad_end: u8;
    static user_spin: u8;
    static user_spin_end: u8;
    static user_args: u8;
    static user_args_end: u8;
    static bad_divide: u8;
    static bad_divide_end: u8;
    static bad_invalid: u8;
    static bad_invalid_end: u8;
    static bad_write_code: u8;
    static bad_write_code_end: u8;
    static bad_write_kernel: u8;
    static bad_write_kernel_end: u8;
    static bad_run_stack: u8;
    static bad_run_stack_end: u8;
    static bad_noncanonical: u8;
    static bad_noncanonical_end: u8;
    static bad_halt: u8;
    static bad_halt_end: u8;
    static bad_interrupts_off: u8;
    static bad_interrupts_off_end: u8;
    static bad_misaligned: u8;
    static bad_misaligned_end: u8;
}

/// The bytes between two labels of the `global_asm!` above.
fn program(start: *const u8, end: *const u8) -> &'static [u8] {
    let len = end as usize - start as usize;
    // SAFETY: both labels are in the same read-only section of this binary,
    // `end` after `start`; the bytes between them never change.
    unsafe { core::slice::from_raw_parts(start, len) }
}

fn hello() -> &'static [u8] {
    program(&raw const user_hello, &raw const user_hello_end)
}

/// Runs `code` in ring 3 and returns how its thread ended.
fn run(name: &str, code: &[u8]) -> ThreadError {
    let handle = process::spawn_flat(name, code).expect("the program starts");
    handle.join().expect_err("a user program never returns")
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

fn gdt_and_msrs_are_in_the_order_sysret_needs() {
    let s = gdt::selectors();
    assert_eq!(s.code.0, 0x08);
    assert_eq!(s.data.0, 0x10);
    assert_eq!(u64::from(s.user_data.0), USER_DATA);
    assert_eq!(u64::from(s.user_code.0), USER_CODE);
    let (user_code, user_data, kernel_code, kernel_data) = Star::read();
    assert_eq!((user_code, user_data), (s.user_code, s.user_data));
    assert_eq!((kernel_code, kernel_data), (s.code, s.data));
    assert_ne!(LStar::read().as_u64(), 0);
    let masked = RFlags::INTERRUPT_FLAG
        | RFlags::DIRECTION_FLAG
        | RFlags::TRAP_FLAG
        | RFlags::ALIGNMENT_CHECK;
    assert_eq!(SFMask::read(), masked);
    assert!(Efer::read().contains(EferFlags::SYSTEM_CALL_EXTENSIONS));
}

fn sysret_only_to_user_segments_in_the_lower_half() {
    let frame = |rip, cs, ss| InterruptFrame {
        rip,
        cs,
        ss,
        vector: arch_syscall::SYSCALL_VECTOR,
        ..InterruptFrame::default()
    };
    assert!(arch_syscall::may_sysret(&frame(
        0x40_1000, USER_CODE, USER_DATA
    )));
    // `rt_sigreturn` restores rcx and r11 too: its frame goes by iretq.
    let mut restored = frame(0x40_1000, USER_CODE, USER_DATA);
    arch_syscall::return_by_iret(&mut restored);
    assert!(!arch_syscall::may_sysret(&restored));
    assert!(arch_syscall::may_sysret(&frame(
        0x7fff_ffff_fffe,
        USER_CODE,
        USER_DATA
    )));
    // The first non-canonical address: what `syscall` as the last two bytes
    // of the lower half would leave in rcx. Intel's sysret would #GP in ring 0.
    let hole = 0x0000_8000_0000_0000;
    assert!(!arch_syscall::is_canonical(hole));
    assert!(!arch_syscall::may_sysret(&frame(
        hole, USER_CODE, USER_DATA
    )));
    assert!(!arch_syscall::may_sysret(&frame(
        0xffff_8000_0000_0000,
        USER_CODE,
        USER_DATA
    )));
    assert!(!arch_syscall::may_sysret(&frame(
        0x40_1000, 0x08, USER_DATA
    )));
    assert!(!arch_syscall::may_sysret(&frame(
        0x40_1000, USER_CODE, 0x10
    )));
    assert!(arch_syscall::is_canonical(0xffff_8000_0000_0000));
    assert!(arch_syscall::is_canonical(0x7fff_ffff_ffff));
}

/// Whether the running thread's stack holds the TSS's `rsp0`.
fn rsp0_is_my_stack() -> bool {
    let local = 0u8;
    let here = &raw const local as u64;
    let top = gdt::kernel_stack().as_u64();
    here < top && top - here < thread::STACK_PAGES * 4096
}

fn each_thread_enters_the_kernel_on_its_own_stack() {
    let a = thread::spawn("rsp0-a", || {
        thread::yield_now();
        (rsp0_is_my_stack(), gdt::kernel_stack().as_u64())
    })
    .unwrap();
    let b = thread::spawn("rsp0-b", || {
        thread::yield_now();
        (rsp0_is_my_stack(), gdt::kernel_stack().as_u64())
    })
    .unwrap();
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    assert!(
        a.0 && b.0,
        "rsp0 is the running thread's stack after switches"
    );
    assert_ne!(a.1, b.1);
}

fn hello_writes_and_exits_with_its_code() {
    assert_eq!(run("hello", hello()), ThreadError::Exited(42));
    // The runner checks that "hello from ring 3" reached the serial port.
}

fn a_fault_in_ring_3_ends_only_the_process() {
    let code = program(&raw const user_fault, &raw const user_fault_end);
    assert_eq!(run("fault", code), ThreadError::Exited(128 + 11));
    // The kernel goes on: the next program runs.
    assert_eq!(run("hello", hello()), ThreadError::Exited(42));
}

fn bad_programs_end_with_their_signals() {
    // (name, code, status = 128 + signal): SIGFPE 8, SIGILL 4, SIGSEGV 11.
    let cases = [
        (
            "divide",
            program(&raw const bad_divide, &raw const bad_divide_end),
            136,
        ),
        (
            "invalid",
            program(&raw const bad_invalid, &raw const bad_invalid_end),
            132,
        ),
        (
            "write_code",
            program(&raw const bad_write_code, &raw const bad_write_code_end),
            139,
        ),
        (
            "write_kernel",
            program(&raw const bad_write_kernel, &raw const bad_write_kernel_end),
            139,
        ),
        (
            "run_stack",
            program(&raw const bad_run_stack, &raw const bad_run_stack_end),
            139,
        ),
        (
            "noncanonical",
            program(&raw const bad_noncanonical, &raw const bad_noncanonical_end),
            139,
        ),
        (
            "halt",
            program(&raw const bad_halt, &raw const bad_halt_end),
            139,
        ),
        (
            "interrupts_off",
            program(
                &raw const bad_interrupts_off,
                &raw const bad_interrupts_off_end,
            ),
            139,
        ),
    ];
    for (name, code, status) in cases {
        assert_eq!(run(name, code), ThreadError::Exited(status), "{name}");
    }
    // The kernel goes on.
    assert_eq!(run("hello", hello()), ThreadError::Exited(42));
}

/// CR0.AM is set (`arch::alignment`), and exception 17 maps to SIGBUS
/// (`BUS_ADRALN`). A program that sets AC and loads from an odd address
/// dies of SIGBUS (status 135) on a CPU that checks; QEMU's TCG does not
/// raise `#AC`, so there it exits with 0, and the test says which it saw.
fn a_misaligned_access_with_ac_set_is_sigbus_where_the_cpu_checks() {
    assert!(alignment::enabled(), "CR0.AM is set");
    let fault = Fault {
        vector: 17,
        error_code: 0,
        cr2: 0,
        guarded_stack: None,
    };
    assert_eq!(
        deliver::signal_of_fault(&fault, 0x40_1000),
        (7, "SIGBUS", 1, 0x40_1000)
    );
    let code = program(&raw const bad_misaligned, &raw const bad_misaligned_end);
    match run("misaligned", code) {
        ThreadError::Exited(135) => println!("#AC raised: the program died of SIGBUS"),
        ThreadError::Exited(0) => println!("#AC not raised by this CPU (QEMU TCG): skipped"),
        other => panic!("a misaligned access with AC set ended with {other:?}"),
    }
}

fn bad_pointers_give_efault_unknown_numbers_enosys() {
    let code = program(&raw const user_bad, &raw const user_bad_end);
    assert_eq!(run("bad", code), ThreadError::Exited(89));
}

fn a_program_preempted_in_ring_3_keeps_its_registers() {
    let timer_before = interrupts::count(irq::TIMER_VECTOR);
    let code = program(&raw const user_spin, &raw const user_spin_end);
    assert_eq!(run("spin", code), ThreadError::Exited(7));
    assert!(interrupts::count(irq::TIMER_VECTOR) > timer_before);
    // Every way into the kernel from ring 3 swapped GS once, every way back
    // once: the kernel's GS base is the CPU's block again.
    gs_is_the_kernels();
}

fn gs_is_the_kernels() {
    assert_eq!(GsBase::read().as_u64(), arch_syscall::per_cpu_address());
    assert_eq!(KernelGsBase::read().as_u64(), 0, "the programs' GS base");
}

fn a_new_address_space_has_an_empty_lower_half() {
    let before = frames::stats().unwrap().used();
    let space = AddressSpace::new().unwrap();
    assert!(space.lower_half_is_empty());
    assert!(space.shares_the_kernel_half());
    // The kernel's own PML4 has the bootloader's identity-mapped pieces in
    // its lower half; the new one has none of them.
    assert_ne!(space.root(), paging::kernel_pml4());
    drop(space);
    assert_eq!(frames::stats().unwrap().used(), before, "the PML4 is freed");
}

fn two_processes_at_the_same_addresses_at_once() {
    // Both use the same code and stack addresses, each in its own space;
    // the spinning one is preempted in ring 3 while the other runs.
    let spin = program(&raw const user_spin, &raw const user_spin_end);
    let first = process::spawn_flat("spin", spin).unwrap();
    let second = process::spawn_flat("hello", hello()).unwrap();
    assert_eq!(second.join().err(), Some(ThreadError::Exited(42)));
    assert_eq!(first.join().err(), Some(ThreadError::Exited(7)));
}

fn bad_sizes_refused() {
    assert_eq!(
        process::spawn_flat("empty", &[]).err(),
        Some(Error::BadSize)
    );
    let huge = alloc::vec![0x90u8; process::MAX_CODE + 1];
    assert_eq!(
        process::spawn_flat("huge", &huge).err(),
        Some(Error::BadSize)
    );
}

fn copy_helpers_check_ranges_and_pages() {
    use user_memory::{check_range, copy_from_user, copy_to_user};
    assert_eq!(check_range(0x1000, 16), Ok(()));
    assert_eq!(check_range(0x7fff_ffff_fff0, 16), Ok(()));
    assert_eq!(check_range(0x7fff_ffff_fff0, 17), Err(Errno::EFAULT));
    assert_eq!(check_range(u64::MAX - 4, 16), Err(Errno::EFAULT), "wraps");
    assert_eq!(check_range(0xffff_8000_0000_0000, 1), Err(Errno::EFAULT));
    let mut buffer = [0u8; 8];
    // Kernel memory is mapped, but not USER: refused.
    let kernel_data = &raw const buffer as u64;
    assert_eq!(copy_from_user(&mut buffer, kernel_data), Err(Errno::EFAULT));
    assert_eq!(copy_to_user(kernel_data, b"x"), Err(Errno::EFAULT));
    // The kernel's own address space has no user pages.
    let code = process::CODE_ADDRESS;
    assert_eq!(copy_from_user(&mut buffer, code), Err(Errno::EFAULT));
    assert_eq!(
        copy_from_user(&mut [], code),
        Ok(()),
        "an empty copy touches nothing"
    );
}

fn syscall_names() {
    assert_eq!(names::name(0), Some("read"));
    assert_eq!(names::name(57), Some("fork"));
    assert_eq!(names::name(231), Some("exit_group"));
    assert_eq!(names::name(999), None);
    assert_eq!(names::name(u64::MAX), None);
}

/// A static ELF file (`ET_EXEC` at 0x40_0000, or `ET_DYN` at 0) whose one
/// read + execute segment holds the headers and then `code`, the entry.
fn elf_around(code: &[u8], position_independent: bool, flags: u32) -> alloc::vec::Vec<u8> {
    let base: u64 = if position_independent { 0 } else { 0x40_0000 };
    let headers = 64 + 2 * 56;
    let size = (headers + code.len()) as u64;
    let mut f = alloc::vec![0u8; headers];
    f[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
    let kind: u16 = if position_independent { 3 } else { 2 };
    f[16..18].copy_from_slice(&kind.to_le_bytes());
    f[18..20].copy_from_slice(&62u16.to_le_bytes()); // x86_64
    f[20..24].copy_from_slice(&1u32.to_le_bytes());
    f[24..32].copy_from_slice(&(base + headers as u64).to_le_bytes());
    f[32..40].copy_from_slice(&64u64.to_le_bytes());
    f[52..54].copy_from_slice(&64u16.to_le_bytes());
    f[54..56].copy_from_slice(&56u16.to_le_bytes());
    f[56..58].copy_from_slice(&2u16.to_le_bytes());
    // PT_LOAD: offset 0, at `base`, the whole file.
    f[64..68].copy_from_slice(&1u32.to_le_bytes());
    f[68..72].copy_from_slice(&flags.to_le_bytes());
    f[80..88].copy_from_slice(&base.to_le_bytes());
    f[88..96].copy_from_slice(&base.to_le_bytes());
    f[96..104].copy_from_slice(&size.to_le_bytes());
    f[104..112].copy_from_slice(&size.to_le_bytes());
    f[112..120].copy_from_slice(&4096u64.to_le_bytes());
    // PT_GNU_STACK, read + write.
    f[120..124].copy_from_slice(&0x6474_e551u32.to_le_bytes());
    f[124..128].copy_from_slice(&6u32.to_le_bytes());
    f.extend_from_slice(code);
    f
}

const READ_EXECUTE: u32 = 5;

fn elf_programs_get_arguments_on_an_aligned_stack() {
    let code = program(&raw const user_args, &raw const user_args_end);
    let args: [&[u8]; 3] = [b"/bin/args", b"a", b"b"];
    let env: [&[u8]; 1] = [b"HOME=/"];
    for pie in [false, true] {
        let file = elf_around(code, pie, READ_EXECUTE);
        let handle = process::spawn_elf("args", &file, &args, &env).unwrap();
        assert_eq!(
            handle.join().err(),
            Some(ThreadError::Exited(3)),
            "pie: {pie}"
        );
        let handle = process::spawn_elf("args", &file, &args[..1], &env).unwrap();
        assert_eq!(
            handle.join().err(),
            Some(ThreadError::Exited(1)),
            "pie: {pie}"
        );
    }
    let file = elf_around(hello(), true, READ_EXECUTE);
    let handle = process::spawn_elf("hello", &file, &args, &[]).unwrap();
    assert_eq!(handle.join().err(), Some(ThreadError::Exited(42)));
}

fn bad_elf_files_are_refused() {
    let file = elf_around(hello(), false, READ_EXECUTE);
    let refused = |file: &[u8]| process::spawn_elf("bad", file, &[b"/bad"], &[]).err();
    assert_eq!(
        refused(&file[..100]),
        Some(Error::NotExecutable(uelf::Error::Truncated))
    );
    assert_eq!(uelf::Error::Truncated.errno(), 8, "ENOEXEC");
    let writable_code = elf_around(hello(), false, 7);
    assert_eq!(
        refused(&writable_code),
        Some(Error::NotExecutable(uelf::Error::WriteAndExecute))
    );
    let big: alloc::vec::Vec<&[u8]> = (0..4000).map(|_| b"0123456789".as_slice()).collect();
    let too_many = process::spawn_elf("big", &file, &big, &[]).err();
    assert_eq!(too_many, Some(Error::BadArguments(ustack::Error::TooBig)));
}

fn many_runs_leak_no_frames() {
    // A first run, so that lazily made kernel structures exist.
    assert_eq!(run("hello", hello()), ThreadError::Exited(42));
    tasks::scheduler::free_dead_threads();
    let before = frames::stats().unwrap().used();
    for _ in 0..20 {
        assert_eq!(run("hello", hello()), ThreadError::Exited(42));
        let code = program(&raw const user_fault, &raw const user_fault_end);
        assert_eq!(run("fault", code), ThreadError::Exited(139));
    }
    tasks::scheduler::free_dead_threads();
    tasks::scheduler::shrink_to_fit();
    let after = frames::stats().unwrap().used();
    println!("frames used: {before} before, {after} after 40 runs");
    assert_eq!(before, after);
    gs_is_the_kernels();
}
