//! Kernel tests for SMEP and SMAP, booted with `-cpu qemu64,+smep,+smap`
//! (the runner adds that for this test kernel: `kestrel::test_kernels`).
//!
//! With both on, the kernel may neither read a user page nor run one: a
//! deliberate read and a deliberate call are caught as page faults
//! (protection violations in kernel mode), which end those tests as
//! expected. The copy helpers, which reach user pages through the
//! physical-memory window, still work, and so do programs.
#![no_std]
#![no_main]

use core::arch::global_asm;
use kernel::arch::{acpi, gdt, idt, interrupts, irq, smap, syscall as arch_syscall};
use kernel::memory::address_space::AddressSpace;
use kernel::memory::phys_to_virt;
use kernel::process;
use kernel::syscall::{self, user_memory};
use kernel::tasks::scheduler;
use kernel::tasks::thread::ThreadError;
use kernel::{should_panic, tasks, test, testing, time};
use x86_64::VirtAddr;
use x86_64::registers::control::{Cr4, Cr4Flags};
use x86_64::structures::paging::{Page, PageTableFlags as Flags};

kernel::test_kernel![
    test!(boot_steps_succeed),
    test!(smep_and_smap_are_on),
    test!(copy_helpers_still_work),
    test!(programs_still_run),
    should_panic!(
        a_kernel_read_of_user_memory_is_caught,
        "read of a present page (protection violation), in kernel mode"
    ),
    should_panic!(
        a_kernel_jump_into_user_code_is_caught,
        "instruction fetch from a present page (protection violation), in kernel mode"
    ),
    test!(the_kernel_goes_on),
];

global_asm!(
    ".section .rodata.user_programs, \"a\"",
    // exit(5)
    ".global user_exit5, user_exit5_end",
    "user_exit5:",
    "mov eax, 60",
    "mov edi, 5",
    "syscall",
    "user_exit5_end:",
    ".text",
);

unsafe extern "C" {
    static user_exit5: u8;
    static user_exit5_end: u8;
}

/// Where the tests put their user page.
const USER_PAGE: u64 = 0x40_0000;

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

fn smep_and_smap_are_on() {
    assert_eq!(smap::cpu_has(), (true, true), "the CPU has both (-cpu)");
    assert_eq!(smap::enabled(), (true, true));
    let cr4 = Cr4::read();
    assert!(cr4.contains(Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION));
    assert!(cr4.contains(Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION));
}

/// Makes the running thread run in a new address space with one user page
/// at [`USER_PAGE`] holding `bytes` (executable if `execute`). The space is
/// left to the thread (a test that faults never gets back to drop it).
fn enter_space_with_page(bytes: &[u8], execute: bool) -> &'static mut AddressSpace {
    let space = alloc_space();
    let flags = if execute {
        Flags::empty()
    } else {
        Flags::WRITABLE | Flags::NO_EXECUTE
    };
    let page = Page::containing_address(VirtAddr::new(USER_PAGE));
    let frame = space.map_new(page, flags).unwrap();
    let window: *mut u8 = phys_to_virt(frame.start_address()).as_mut_ptr();
    // SAFETY: the frame was just allocated for this page; `bytes` fits.
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), window, bytes.len()) };
    scheduler::set_address_space(Some(space.root()));
    space
}

fn alloc_space() -> &'static mut AddressSpace {
    extern crate alloc;
    alloc::boxed::Box::leak(alloc::boxed::Box::new(AddressSpace::new().unwrap()))
}

fn copy_helpers_still_work() {
    let space = enter_space_with_page(b"user bytes", false);
    let mut buffer = [0u8; 10];
    user_memory::copy_from_user(&mut buffer, USER_PAGE).unwrap();
    assert_eq!(&buffer, b"user bytes");
    user_memory::copy_to_user(USER_PAGE + 5, b"BYTES").unwrap();
    user_memory::copy_from_user(&mut buffer, USER_PAGE).unwrap();
    assert_eq!(&buffer, b"user BYTES");
    scheduler::set_address_space(None);
    // SAFETY: leaked by `alloc_space` for this test alone, no longer active.
    drop(unsafe { alloc::boxed::Box::from_raw(space as *mut AddressSpace) });
}

extern crate alloc;

fn programs_still_run() {
    let start = &raw const user_exit5;
    let len = &raw const user_exit5_end as usize - start as usize;
    // SAFETY: both labels are in the same read-only section, in order.
    let code = unsafe { core::slice::from_raw_parts(start, len) };
    let handle = process::spawn_flat("exit5", code).unwrap();
    assert_eq!(handle.join().err(), Some(ThreadError::Exited(5)));
}

fn a_kernel_read_of_user_memory_is_caught() {
    enter_space_with_page(b"secret", false);
    // SAFETY: not safe at all, on purpose: SMAP must stop this read.
    let byte = unsafe { (USER_PAGE as *const u8).read_volatile() };
    panic!("the kernel read user memory ({byte:#x}) with SMAP on");
}

fn a_kernel_jump_into_user_code_is_caught() {
    enter_space_with_page(&[0xc3], true); // ret
    // SAFETY: not safe at all, on purpose: SMEP must stop this call.
    let user_code: extern "C" fn() = unsafe { core::mem::transmute(USER_PAGE as *const ()) };
    user_code();
    panic!("the kernel ran user code with SMEP on");
}

fn the_kernel_goes_on() {
    scheduler::set_address_space(None);
    programs_still_run();
}
